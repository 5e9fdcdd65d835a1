/*
 * recsys_writer.c: the model file's write side and atomic publication.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "recsys_mapped.h"
#include "recsys_schema.h"
#include "recsys_seal.h"
#include "recsys_status.h"
#include "recsys_writer.h"


/* the map's pages are dropped from the process after this many bytes */
#define RECSYS_WRITER_RELEASE  ((size_t) 64 << 20)


static int recsys_writer_begin(recsys_writer_t *w);
static int recsys_writer_commit(recsys_writer_t *w, int sync);
static void recsys_writer_release(recsys_writer_t *w, size_t size);


/* The directory part of path ("." for a bare name), in buf. */
static const char *
recsys_writer_dir(const char *path, char *buf, size_t size)
{
    char  copy[4096];

    /* dirname() may write into its argument and may return a static "." */
    snprintf(copy, sizeof(copy), "%s", path);
    snprintf(buf, size, "%s", dirname(copy));

    return buf;
}


/*
 * Why a write failed, in words.  LMDB reports a short write, which is what
 * a full disk gives, as EIO: with less than a mebibyte left on the file's
 * file system after the failure, that is what it was.
 */
static const char *
recsys_writer_why(recsys_writer_t *w, int err, char *buf, size_t size)
{
    char                dir[4096];
    unsigned long long  avail;
    struct statvfs      fs;

    if ((err != EIO && err != ENOSPC && err != EDQUOT) || w->tmp == NULL
        || statvfs(recsys_writer_dir(w->tmp, dir, sizeof(dir)), &fs) != 0)
    {
        return mdb_strerror(err);
    }

    avail = (unsigned long long) fs.f_bavail * fs.f_frsize;

    if (err == EIO && avail >= 1024 * 1024) {
        return mdb_strerror(err);
    }

    snprintf(buf, size, "%s: %llu bytes left on the file system of %.300s",
             err == EDQUOT ? "disk quota exceeded" : "no space left on device",
             avail, dir);

    return buf;
}


static int
recsys_writer_fail(recsys_writer_t *w, int status, const char *what,
    const char *why)
{
    snprintf(w->err, sizeof(w->err), "%s: %s: %s", w->tmp ? w->tmp : "",
             what, why);
    return status;
}


/* RECSYS_EIO, with what failed and why (err: an errno or LMDB code) */
static int
recsys_writer_fail_io(recsys_writer_t *w, const char *what, int err)
{
    char  why[384];

    return recsys_writer_fail(w, RECSYS_EIO, what,
                              recsys_writer_why(w, err, why, sizeof(why)));
}


unsigned
recsys_writer_sweep(const char *path)
{
    long            pid;
    char            dir[4096], name[4096], full[8192], *end;
    size_t          len;
    unsigned        n;
    DIR            *d;
    struct dirent  *e;

    snprintf(full, sizeof(full), "%s", path);
    snprintf(name, sizeof(name), "%s", basename(full));
    len = strlen(name);

    d = opendir(recsys_writer_dir(path, dir, sizeof(dir)));
    if (d == NULL) {
        return 0;
    }

    n = 0;

    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, name, len) != 0
            || strncmp(e->d_name + len, ".tmp.", 5) != 0)
        {
            continue;
        }

        errno = 0;
        pid = strtol(e->d_name + len + 5, &end, 10);

        if (errno != 0 || *end != '\0' || pid <= 0 || pid == (long) getpid()
            || kill((pid_t) pid, 0) == 0 || errno != ESRCH)
        {
            continue;
        }

        snprintf(full, sizeof(full), "%s/%s", dir, e->d_name);

        if (unlink(full) == 0) {
            n++;
        }
    }

    closedir(d);

    return n;
}


int
recsys_writer_check(const char *path, char *err, size_t errlen)
{
    char         dir[4096];
    struct stat  st;

    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: is a directory, not a model file path",
                 path);
        return RECSYS_EINVAL;
    }

    recsys_writer_dir(path, dir, sizeof(dir));

    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: the directory %.300s does not exist",
                 path, dir);
        return RECSYS_EINVAL;
    }

    if (access(dir, W_OK | X_OK) != 0) {
        snprintf(err, errlen, "%s: cannot write in %.300s: %s", path, dir,
                 strerror(errno));
        return RECSYS_EINVAL;
    }

    return RECSYS_OK;
}


int
recsys_writer_open(recsys_writer_t *w, const char *path, size_t map_size)
{
    size_t  len;

    memset(w, 0, sizeof(recsys_writer_t));

    len = strlen(path);
    w->path = strdup(path);
    w->tmp = malloc(len + 32);

    if (w->path == NULL || w->tmp == NULL) {
        recsys_writer_abort(w);
        snprintf(w->err, sizeof(w->err), "out of memory");
        return RECSYS_ENOMEM;
    }

    snprintf(w->tmp, len + 32, "%s.tmp.%ld", path, (long) getpid());
    unlink(w->tmp);
    w->stale = recsys_writer_sweep(path);

    w->map_size = map_size;

    return recsys_writer_begin(w);
}


/*
 * Opens the environment at w->tmp and a write transaction over it.
 *
 * MDB_WRITEMAP: the transaction's dirty pages are the file's own shared
 * map, not pages malloc()ed until the commit, so a model is written
 * without holding its size in anonymous memory (RLIMIT_DATA does not
 * count them, and the kernel writes them back and reclaims them; see
 * recsys_writer_release).  Still one transaction, the same pages in the
 * same order: the same keys, values and tree (the bytes LMDB leaves
 * unset, a page's free space and a node's padding, are now the fresh
 * file's zeros rather than whatever a reused page buffer held).  LMDB
 * then sizes the file to the map: its blocks are allocated here (a full
 * disk answers ENOSPC now, where a write into a hole of the map would be
 * a SIGBUS later), and recsys_writer_commit cuts the file back to its
 * pages.
 */
static int
recsys_writer_begin(recsys_writer_t *w)
{
    int               rc;
    struct stat       st;
    MDB_envinfo       info;
    mdb_filehandle_t  fd;

    rc = mdb_env_create(&w->db.env);
    if (rc != 0) {
        return recsys_writer_fail(w, RECSYS_ELMDB, "mdb_env_create",
                                  mdb_strerror(rc));
    }

    mdb_env_set_maxdbs(w->db.env, RECSYS_MAX_DBS);
    mdb_env_set_mapsize(w->db.env, w->map_size);

    /* one writer, a private file: no lock file, sync once at the end */
    rc = mdb_env_open(w->db.env, w->tmp,
                      MDB_NOSUBDIR | MDB_NOLOCK | MDB_NOSYNC | MDB_WRITEMAP,
                      0644);
    if (rc != 0) {
        return recsys_writer_fail_io(w, "create", rc);
    }

    /* the map's size as LMDB set it (at least the file's pages) */
    rc = mdb_env_info(w->db.env, &info);
    if (rc == 0) {
        rc = mdb_env_get_fd(w->db.env, &fd);
    }

    if (rc == 0) {
        rc = posix_fallocate(fd, 0, (off_t) info.me_mapsize);
    }

    if (rc == 0 && fstat(fd, &st) != 0) {
        rc = errno;
    }

    if (rc != 0) {
        return recsys_writer_fail_io(w, "allocate", rc);
    }

    w->written = 0;
    recsys_mapped_find(&w->map, &st);

    rc = mdb_txn_begin(w->db.env, NULL, 0, &w->db.txn);
    if (rc != 0) {
        return recsys_writer_fail(w, RECSYS_ELMDB, "mdb_txn_begin",
                                  mdb_strerror(rc));
    }

    rc = recsys_lmdb_open_dbs(&w->db, MDB_CREATE);
    if (rc != 0) {
        return recsys_writer_fail(w, RECSYS_ELMDB, "mdb_dbi_open",
                                  mdb_strerror(rc));
    }

    return RECSYS_OK;
}


/* Closes the environment, its transaction over. */
static void
recsys_writer_env_close(recsys_writer_t *w)
{
    mdb_env_close(w->db.env);
    w->db.env = NULL;
    w->map.addr = NULL;
}


/*
 * Commits, syncs the map when sync is set, closes the environment and
 * cuts the file back from the map's size to the pages the model uses:
 * what a write without MDB_WRITEMAP would have left, and where the seal
 * goes.
 */
static int
recsys_writer_commit(recsys_writer_t *w, int sync)
{
    int          rc;
    off_t        size;
    MDB_stat     st;
    MDB_envinfo  info;

    rc = mdb_txn_commit(w->db.txn);
    w->db.txn = NULL;

    if (rc != 0) {
        recsys_writer_env_close(w);
        return recsys_writer_fail_io(w, "commit", rc);
    }

    rc = sync ? mdb_env_sync(w->db.env, 1) : 0;
    if (rc != 0) {
        recsys_writer_env_close(w);
        return recsys_writer_fail_io(w, "sync", rc);
    }

    rc = mdb_env_info(w->db.env, &info);
    if (rc == 0) {
        rc = mdb_env_stat(w->db.env, &st);
    }

    recsys_writer_env_close(w);

    if (rc != 0) {
        return recsys_writer_fail(w, RECSYS_ELMDB, "mdb_env_info",
                                  mdb_strerror(rc));
    }

    size = (off_t) (info.me_last_pgno + 1) * (off_t) st.ms_psize;

    if (truncate(w->tmp, size) != 0) {
        return recsys_writer_fail_io(w, "truncate", errno);
    }

    return RECSYS_OK;
}


/*
 * Counts size bytes about to be written and, every RECSYS_WRITER_RELEASE
 * bytes, drops the map's pages from the process (MADV_DONTNEED).  The map
 * is a shared file map: its pages, dirty or not, stay in the page cache,
 * the kernel writes them back, and a page LMDB or a caller touches again
 * is mapped again from there (recsys_mapped.h).  The resident size then
 * holds the values being written, not the file written so far.
 */
static void
recsys_writer_release(recsys_writer_t *w, size_t size)
{
    w->written += size;

    if (w->written >= RECSYS_WRITER_RELEASE) {
        w->written = 0;
        recsys_mapped_drop(&w->map);
    }
}


int
recsys_writer_pause(recsys_writer_t *w)
{
    return recsys_writer_commit(w, 0);
}


int
recsys_writer_resume(recsys_writer_t *w, size_t extra)
{
    w->map_size += extra;

    return recsys_writer_begin(w);
}


static MDB_dbi
recsys_writer_dbi(recsys_writer_t *w, recsys_wdb_t db)
{
    switch (db) {
    case RECSYS_W_USERS:
        return w->db.users;
    case RECSYS_W_ITEMS:
        return w->db.items;
    case RECSYS_W_BLOBS:
        return w->db.blobs;
    default:
        return w->db.meta;
    }
}


int
recsys_writer_put(recsys_writer_t *w, recsys_wdb_t db, const void *key,
    size_t key_len, const void *val, size_t val_len, int append)
{
    int      rc;
    MDB_val  k, v;

    recsys_writer_release(w, key_len + val_len);

    k.mv_data = (void *) key;
    k.mv_size = key_len;
    v.mv_data = (void *) val;
    v.mv_size = val_len;

    rc = mdb_put(w->db.txn, recsys_writer_dbi(w, db), &k, &v,
                 append ? MDB_APPEND : 0);
    if (rc != 0) {
        return recsys_writer_fail(w, RECSYS_ELMDB, "mdb_put",
                                  mdb_strerror(rc));
    }

    return RECSYS_OK;
}


int
recsys_writer_reserve(recsys_writer_t *w, recsys_wdb_t db, const char *key,
    size_t size, void **data)
{
    int      rc;
    MDB_val  k, v;

    recsys_writer_release(w, size);

    k.mv_data = (void *) key;
    k.mv_size = strlen(key);
    v.mv_data = NULL;
    v.mv_size = size;

    rc = mdb_put(w->db.txn, recsys_writer_dbi(w, db), &k, &v, MDB_RESERVE);
    if (rc != 0) {
        return recsys_writer_fail(w, RECSYS_ELMDB, key, mdb_strerror(rc));
    }

    *data = v.mv_data;

    return RECSYS_OK;
}


static int
recsys_writer_fsync_path(const char *path, int flags)
{
    int  fd, rc;

    fd = open(path, flags);
    if (fd < 0) {
        return -1;
    }

    rc = fsync(fd);
    close(fd);

    return rc;
}


/*
 * Appends the checksum seal (recsys_seal.h) to the closed LMDB file and
 * syncs it: 0, or -1 with errno set.
 */
static int
recsys_writer_seal(const char *path)
{
    int             fd, e;
    off_t           off;
    ssize_t         r;
    unsigned char  *buf, seal[RECSYS_SEAL_SIZE];
    recsys_sum64_t  sum;

    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd == -1) {
        return -1;
    }

    buf = malloc(1 << 20);
    if (buf == NULL) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }

    recsys_sum64_init(&sum);
    off = 0;

    /* whole chunks but the last: a multiple of the sum's stripe */
    while ((r = pread(fd, buf, 1 << 20, off)) > 0) {
        recsys_sum64_update(&sum, buf, (size_t) r);
        off += r;

        if (r % RECSYS_SUM_STRIPE != 0) {
            break;
        }
    }

    free(buf);
    recsys_seal_write(seal, (uint64_t) off, recsys_sum64_final(&sum));
    errno = 0;

    if (r < 0 || pwrite(fd, seal, sizeof(seal), off) != (ssize_t) sizeof(seal)
        || fsync(fd) != 0)
    {
        e = errno != 0 ? errno : EIO;
        close(fd);
        errno = e;
        return -1;
    }

    return close(fd);
}


void
recsys_writer_sync_dir(const char *path)
{
    char  *dir, *slash;

    dir = strdup(path);
    if (dir == NULL) {
        return;
    }

    slash = strrchr(dir, '/');

    if (slash == NULL) {
        strcpy(dir, ".");

    } else if (slash == dir) {
        dir[1] = '\0';

    } else {
        *slash = '\0';
    }

    recsys_writer_fsync_path(dir, O_RDONLY | O_DIRECTORY);
    free(dir);
}


int
recsys_writer_publish(recsys_writer_t *w)
{
    int  rc;

    rc = recsys_writer_finish(w);

    return rc == RECSYS_OK ? recsys_writer_rename(w) : rc;
}


int
recsys_writer_finish(recsys_writer_t *w)
{
    int  rc;

    rc = recsys_writer_commit(w, 1);
    if (rc != RECSYS_OK) {
        return rc;
    }

    if (recsys_writer_seal(w->tmp) != 0) {
        return recsys_writer_fail_io(w, "seal", errno);
    }

    return RECSYS_OK;
}


int
recsys_writer_rename(recsys_writer_t *w)
{
    if (rename(w->tmp, w->path) != 0) {
        return recsys_writer_fail(w, RECSYS_EIO, "rename", strerror(errno));
    }

    recsys_writer_sync_dir(w->path);

    free(w->tmp);
    free(w->path);
    w->tmp = NULL;
    w->path = NULL;

    return RECSYS_OK;
}


void
recsys_writer_abort(recsys_writer_t *w)
{
    if (w->db.txn != NULL) {
        mdb_txn_abort(w->db.txn);
        w->db.txn = NULL;
    }

    if (w->db.env != NULL) {
        recsys_writer_env_close(w);
    }

    if (w->tmp != NULL) {
        unlink(w->tmp);
    }

    free(w->tmp);
    free(w->path);
    w->tmp = NULL;
    w->path = NULL;
}
