/*
 * recsys_fetch.c: `recsys-build fetch URL --out PATH`: a model published
 * on an origin (any static HTTP server) copied to this host, verified, and
 * renamed over the model nginx serves.
 *
 *   1. GET URL.manifest.json, with If-None-Match: the ETag stored in
 *      PATH.etag by the last fetch (when PATH exists).  304: up to date.
 *   2. The manifest (recsys_manifest.h) is read; a format newer than this
 *      host's RECSYS_FORMAT_VERSION is refused before any download, and a
 *      model whose size and digest equal PATH.manifest.json's is not
 *      downloaded again.
 *   3. GET URL into PATH.fetch (locked with flock, so that two fetches
 *      into one PATH do not mix, and checked after the lock to be still
 *      PATH.fetch, not renamed by another), never more bytes than the
 *      manifest's size; then the size, the SHA-256 and the file's own
 *      seal and structure (recsys_verify_file) are checked.
 *   4. fsync; PATH.etag and PATH.manifest.json removed (so that they
 *      never describe a file PATH does not hold), rename over PATH, fsync
 *      of the directory; then PATH.manifest.json and PATH.etag, each
 *      written atomically.
 * Any failure removes PATH.fetch, says why on stderr and exits 1 (2 for
 * a bad command line).  A failure before the rename leaves PATH alone;
 * one after it (storing the manifest or ETag) leaves the new model at
 * PATH without that record, and the message says what the next fetch
 * does (downloads the model again, or reads the manifest in full).  HTTP
 * is libcurl's (http:// and https://; redirects followed within those).
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "recsys_fetch.h"
#include "recsys_manifest.h"
#include "recsys_opt.h"
#include "recsys_schema.h"
#include "recsys_sha256.h"
#include "recsys_status.h"
#include "recsys_verify.h"
#include "recsys_writer.h"


/* the options of `recsys-build fetch` (recsys_fetch_options) */
typedef struct {
    const char  *out;
    int          quiet;
    uint32_t     timeout;           /* seconds a transfer may take */
    uint32_t     connect_timeout;   /* seconds a connection may take */
} recsys_fetch_opts_t;

/* one response: its body goes to a buffer or a file */
typedef struct {
    char             *buf;          /* the manifest's body, or NULL */
    size_t            len;
    size_t            max;          /* bytes accepted at most */
    int               fd;           /* the model's body, or -1 */
    recsys_sha256_t   sha;
    int               failed;       /* write(2) failed: errno in err */
    int               err;
    char              etag[RECSYS_MANIFEST_ETAG];
} recsys_fetch_body_t;

/* the files of one fetch */
typedef struct {
    const char  *url;
    const char  *out;
    char        *murl;              /* URL.manifest.json */
    char        *tmp;               /* PATH.fetch */
    char        *etag_path;         /* PATH.etag */
    char        *man_path;          /* PATH.manifest.json */
    int          fd;                /* PATH.fetch, locked */
    const char  *installed;         /* a failure after the rename over
                                       PATH: what PATH holds, what the
                                       next fetch does; else NULL */
    char         err[1024];
} recsys_fetch_t;


#define RECSYS_FETCH_LOCK_TRIES  3   /* opens of PATH.fetch, at most */

#define recsys_fo(field)  offsetof(recsys_fetch_opts_t, field)

static const recsys_opt_t  recsys_fetch_options[] = {
    recsys_opt_required("out", recsys_fo(out), "PATH",
                        "the model file nginx serves (recsys_model)"),
    recsys_opt_row("timeout", NULL, RECSYS_OPT_U32, recsys_fo(timeout), 1,
                   86400, "SECONDS", "longest a download may take"),
    recsys_opt_row("connect-timeout", NULL, RECSYS_OPT_U32,
                   recsys_fo(connect_timeout), 1, 600, "SECONDS",
                   "longest a connection may take to open"),
    recsys_opt_row("quiet", NULL, RECSYS_OPT_ON, recsys_fo(quiet), 0, 0,
                   NULL, "say nothing when all went well"),
    recsys_opt_null
};


static void
recsys_fetch_defaults(recsys_fetch_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->timeout = 3600;
    o->connect_timeout = 10;
}


void
recsys_fetch_help(FILE *f)
{
    recsys_fetch_opts_t  o;

    recsys_fetch_defaults(&o);
    recsys_opt_help(f, recsys_fetch_options, &o);
    fprintf(f, "\nthe origin publishes URL.manifest.json beside URL "
            "(recsys-build build writes both);\nPATH.etag, "
            "PATH.manifest.json and PATH.fetch are kept beside PATH\n");
}


static char *
recsys_fetch_path(const char *a, const char *b)
{
    char    *p;
    size_t   n;

    n = strlen(a) + strlen(b) + 1;
    p = malloc(n);
    if (p != NULL) {
        snprintf(p, n, "%s%s", a, b);
    }

    return p;
}


static size_t
recsys_fetch_header(char *line, size_t size, size_t n, void *data)
{
    recsys_fetch_body_t  *b = data;

    /* a new response (a redirect, a 100 Continue) forgets the last ETag */
    if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        b->etag[0] = '\0';
    }

    recsys_manifest_etag(line, size * n, b->etag);

    return size * n;
}


static size_t
recsys_fetch_write(char *data, size_t size, size_t n, void *arg)
{
    size_t                len, off;
    ssize_t               w;
    recsys_fetch_body_t  *b = arg;

    len = size * n;

    if (len > b->max - b->len) {
        return 0;                   /* more than announced: abort */
    }

    if (b->buf != NULL) {
        memcpy(b->buf + b->len, data, len);
        b->len += len;
        return len;
    }

    for (off = 0; off < len; off += (size_t) w) {
        w = write(b->fd, data + off, len - off);

        if (w < 0 && errno == EINTR) {
            w = 0;
            continue;
        }

        if (w <= 0) {
            b->failed = 1;
            b->err = w < 0 ? errno : EIO;
            return 0;
        }
    }

    recsys_sha256_update(&b->sha, data, len);
    b->len += len;

    return len;
}


/*
 * One GET of url into b, with If-None-Match when inm is not NULL: the HTTP
 * status, or -1 with the reason in f->err.  A response other than 200
 * whose body b would not take (an error page larger than a manifest or
 * the model) still returns its status: the status is the reason.
 */
static long
recsys_fetch_get(recsys_fetch_t *f, const recsys_fetch_opts_t *o,
    const char *url, const char *inm, recsys_fetch_body_t *b)
{
    long                status;
    char                hdr[RECSYS_MANIFEST_ETAG + 32];
    char                cerr[CURL_ERROR_SIZE];
    CURL               *c;
    CURLcode            rc;
    struct curl_slist  *h;

    c = curl_easy_init();
    if (c == NULL) {
        snprintf(f->err, sizeof(f->err), "out of memory");
        return -1;
    }

    h = NULL;
    if (inm != NULL) {
        snprintf(hdr, sizeof(hdr), "If-None-Match: %s", inm);
        h = curl_slist_append(NULL, hdr);
    }

    cerr[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long) o->connect_timeout);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long) o->timeout);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "recsys-build/" RECSYS_VERSION);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, recsys_fetch_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, b);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, recsys_fetch_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);

    rc = curl_easy_perform(c);
    status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);

    if (rc == CURLE_OK
        || (rc == CURLE_WRITE_ERROR && status != 0 && status != 200))
    {
        return status;
    }

    if (b->failed) {
        snprintf(f->err, sizeof(f->err), "writing %s: %s", f->tmp,
                 strerror(b->err));

    } else if (rc == CURLE_WRITE_ERROR) {
        snprintf(f->err, sizeof(f->err), "GET %s: more than the %zu bytes "
                 "expected", url, b->max);

    } else {
        snprintf(f->err, sizeof(f->err), "GET %s: %s", url,
                 cerr[0] ? cerr : curl_easy_strerror(rc));
    }

    return -1;
}


/* The contents of a small file (at most max bytes), or NULL. */
static char *
recsys_fetch_slurp(const char *path, size_t max, size_t *len)
{
    int       fd;
    char     *buf;
    ssize_t   r;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return NULL;
    }

    buf = malloc(max + 1);
    r = buf != NULL ? read(fd, buf, max + 1) : -1;
    close(fd);

    if (r < 0 || (size_t) r > max) {
        free(buf);
        return NULL;
    }

    buf[r] = '\0';
    *len = (size_t) r;

    return buf;
}


/* Whether PATH already holds the model the manifest describes. */
static int
recsys_fetch_have(recsys_fetch_t *f, const recsys_manifest_t *m)
{
    int                 same;
    char               *buf, why[256];
    size_t              len;
    struct stat         st;
    recsys_manifest_t   local;

    if (stat(f->out, &st) != 0 || (uint64_t) st.st_size != m->size) {
        return 0;
    }

    buf = recsys_fetch_slurp(f->man_path, RECSYS_MANIFEST_MAX, &len);
    if (buf == NULL) {
        return 0;
    }

    same = recsys_manifest_parse(buf, len, &local, why, sizeof(why))
           == RECSYS_OK && strcmp(local.sha256, m->sha256) == 0;
    free(buf);

    return same;
}


/* Downloads the model into the locked PATH.fetch and checks it. */
static int
recsys_fetch_model(recsys_fetch_t *f, const recsys_fetch_opts_t *o,
    const recsys_manifest_t *m)
{
    long                  status;
    char                  hex[RECSYS_SHA256_HEX], why[512];
    recsys_fetch_body_t   b;

    memset(&b, 0, sizeof(b));
    b.fd = f->fd;
    b.max = (size_t) m->size;

    if (ftruncate(f->fd, 0) != 0 || lseek(f->fd, 0, SEEK_SET) != 0) {
        snprintf(f->err, sizeof(f->err), "%s: %s", f->tmp, strerror(errno));
        return -1;
    }

    if (recsys_sha256_init(&b.sha) != RECSYS_OK) {
        snprintf(f->err, sizeof(f->err), "out of memory");
        return -1;
    }

    status = recsys_fetch_get(f, o, f->url, NULL, &b);

    if (recsys_sha256_final(&b.sha, hex) != RECSYS_OK && status > 0) {
        snprintf(f->err, sizeof(f->err), "out of memory");
        return -1;
    }

    if (status < 0) {
        return -1;
    }

    if (status != 200) {
        snprintf(f->err, sizeof(f->err), "GET %s: HTTP status %ld", f->url,
                 status);
        return -1;
    }

    if (b.len != m->size) {
        snprintf(f->err, sizeof(f->err), "GET %s: truncated: %zu of the "
                 "%" PRIu64 " bytes the manifest gives", f->url, b.len,
                 m->size);
        return -1;
    }

    if (strcmp(hex, m->sha256) != 0) {
        snprintf(f->err, sizeof(f->err), "GET %s: sha256 %s, but the "
                 "manifest gives %s", f->url, hex, m->sha256);
        return -1;
    }

    if (fsync(f->fd) != 0 || fchmod(f->fd, 0644) != 0) {
        snprintf(f->err, sizeof(f->err), "%s: %s", f->tmp, strerror(errno));
        return -1;
    }

    if (recsys_verify_file(f->tmp, why, sizeof(why)) != RECSYS_OK) {
        snprintf(f->err, sizeof(f->err), "GET %s: not a valid model: %s",
                 f->url, why);
        return -1;
    }

    return 0;
}


/* Removes path if it is there: 0, or -1 with the reason. */
static int
recsys_fetch_remove(recsys_fetch_t *f, const char *path)
{
    if (unlink(path) != 0 && errno != ENOENT) {
        snprintf(f->err, sizeof(f->err), "removing %s: %s", path,
                 strerror(errno));
        return -1;
    }

    return 0;
}


/* Replaces path with len bytes of data: 0, or -1 with the reason. */
static int
recsys_fetch_put(recsys_fetch_t *f, const char *path, const char *data,
    size_t len)
{
    if (recsys_manifest_put_file(path, data, len) != RECSYS_OK) {
        snprintf(f->err, sizeof(f->err), "writing %s: %s", path,
                 strerror(errno));
        return -1;
    }

    return 0;
}


/*
 * Replaces PATH.manifest.json and PATH.etag (removed without an ETag): 0,
 * -1 when the manifest was not stored, -2 when it was but the ETag not.
 */
static int
recsys_fetch_record(recsys_fetch_t *f, const char *manifest, size_t len,
    const char *etag)
{
    int  rc;

    if (recsys_fetch_put(f, f->man_path, manifest, len) != 0) {
        return -1;
    }

    rc = etag[0] != '\0' ? recsys_fetch_put(f, f->etag_path, etag,
                                             strlen(etag))
                         : recsys_fetch_remove(f, f->etag_path);

    return rc == 0 ? 0 : -2;
}


/*
 * Renames the checked download over PATH and records what it is.  The
 * record of the model it replaces goes first: were it left and the new
 * one not written, a 304 to the old ETag or the old manifest's digest
 * could pass a later model at PATH for the one it replaced.  A failure
 * after the rename sets f->installed.
 */
static int
recsys_fetch_install(recsys_fetch_t *f, const char *manifest, size_t len,
    const char *etag)
{
    if (recsys_fetch_remove(f, f->etag_path) != 0
        || recsys_fetch_remove(f, f->man_path) != 0)
    {
        return -1;
    }

    recsys_writer_sync_dir(f->man_path);

    if (rename(f->tmp, f->out) != 0) {
        snprintf(f->err, sizeof(f->err), "renaming %s to %s: %s", f->tmp,
                 f->out, strerror(errno));
        return -1;
    }

    recsys_writer_sync_dir(f->out);

    switch (recsys_fetch_record(f, manifest, len, etag)) {

    case 0:
        return 0;

    case -1:
        f->installed = "holds the new model, but not its manifest: the "
                       "next fetch downloads it again";
        return -1;

    default:
        f->installed = "holds the new model and its manifest, but not its "
                       "ETag: the next fetch reads the manifest in full";
        return -1;
    }
}


/*
 * Opens and locks PATH.fetch: 0, or -1 with the reason.  Between the open
 * and the flock another fetch may lock the same file, fill it and rename
 * it over PATH (or remove it on a failure): the lock is then on the live
 * model, or on no name at all, and that file must not be written.  So the
 * locked file must still be the one named PATH.fetch, or it is opened
 * again, a few times at most.
 */
static int
recsys_fetch_lock(recsys_fetch_t *f)
{
    int          tries;
    struct stat  locked, named;

    for (tries = 0; tries < RECSYS_FETCH_LOCK_TRIES; tries++) {
        f->fd = open(f->tmp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

        if (f->fd < 0) {
            snprintf(f->err, sizeof(f->err), "%s: %s", f->tmp,
                     strerror(errno));
            return -1;
        }

        if (flock(f->fd, LOCK_EX | LOCK_NB) != 0) {
            snprintf(f->err, sizeof(f->err), "%s: %s", f->tmp,
                     errno == EWOULDBLOCK ? "another fetch is writing it"
                                          : strerror(errno));
            break;
        }

        if (fstat(f->fd, &locked) != 0) {
            snprintf(f->err, sizeof(f->err), "%s: %s", f->tmp,
                     strerror(errno));
            break;
        }

        if (stat(f->tmp, &named) == 0) {
            if (locked.st_dev == named.st_dev
                && locked.st_ino == named.st_ino)
            {
                return 0;
            }

        } else if (errno != ENOENT) {
            snprintf(f->err, sizeof(f->err), "%s: %s", f->tmp,
                     strerror(errno));
            break;
        }

        close(f->fd);
        f->fd = -1;
    }

    if (tries == RECSYS_FETCH_LOCK_TRIES) {
        snprintf(f->err, sizeof(f->err), "%s: another fetch renamed or "
                 "removed it each of the %d times it was locked", f->tmp,
                 RECSYS_FETCH_LOCK_TRIES);

    } else {
        close(f->fd);
        f->fd = -1;
    }

    return -1;
}


/*
 * The manifest, asked with the stored ETag: 304 (nothing changed), 200
 * with m, body and etag filled, or -1 with the reason in f->err.
 */
static long
recsys_fetch_manifest(recsys_fetch_t *f, const recsys_fetch_opts_t *o,
    recsys_manifest_t *m, recsys_fetch_body_t *b)
{
    long         status;
    char        *inm, why[512];
    size_t       len;
    struct stat  st;

    inm = NULL;

    /* a stored ETag counts only while the model it describes is there */
    if (stat(f->out, &st) == 0) {
        inm = recsys_fetch_slurp(f->etag_path, RECSYS_MANIFEST_ETAG - 1,
                                 &len);
        if (inm != NULL && (len == 0 || strpbrk(inm, "\r\n") != NULL)) {
            free(inm);
            inm = NULL;
        }
    }

    b->fd = -1;
    b->max = RECSYS_MANIFEST_MAX;
    b->buf = malloc(RECSYS_MANIFEST_MAX);

    if (b->buf == NULL) {
        free(inm);
        snprintf(f->err, sizeof(f->err), "out of memory");
        return -1;
    }

    status = recsys_fetch_get(f, o, f->murl, inm, b);
    free(inm);

    if (status < 0 || status == 304) {
        return status;
    }

    if (status != 200) {
        snprintf(f->err, sizeof(f->err), "GET %s: HTTP status %ld", f->murl,
                 status);
        return -1;
    }

    if (recsys_manifest_parse(b->buf, b->len, m, why, sizeof(why))
        != RECSYS_OK)
    {
        snprintf(f->err, sizeof(f->err), "GET %s: %s", f->murl, why);
        return -1;
    }

    if (m->format_version > RECSYS_FORMAT_VERSION) {
        snprintf(f->err, sizeof(f->err), "%s: model format %d is newer "
                 "than this host reads (%d): upgrade the module and "
                 "recsys-build here first; nothing downloaded", f->murl,
                 m->format_version, RECSYS_FORMAT_VERSION);
        return -1;
    }

    return status;
}


static int
recsys_fetch_run(recsys_fetch_t *f, const recsys_fetch_opts_t *o)
{
    long                  status;
    recsys_manifest_t     m;
    recsys_fetch_body_t   b;

    memset(&b, 0, sizeof(b));
    status = recsys_fetch_manifest(f, o, &m, &b);

    if (status < 0) {
        free(b.buf);
        return -1;
    }

    if (status == 304 || recsys_fetch_have(f, &m)) {
        if (status == 200
            && recsys_fetch_record(f, b.buf, b.len, b.etag) != 0)
        {
            free(b.buf);
            return -1;
        }

        if (!o->quiet) {
            printf("recsys-build: %s is up to date\n", f->out);
        }

        free(b.buf);
        return 0;
    }

    if (recsys_fetch_lock(f) != 0) {
        free(b.buf);
        return -1;
    }

    if (recsys_fetch_model(f, o, &m) != 0
        || recsys_fetch_install(f, b.buf, b.len, b.etag) != 0)
    {
        if (f->installed == NULL) {
            unlink(f->tmp);
        }

        free(b.buf);
        return -1;
    }

    if (!o->quiet) {
        printf("recsys-build: %s now holds model %s (%" PRIu64 " bytes, "
               "format %d)\n", f->out, m.model_id, m.size, m.format_version);
    }

    free(b.buf);

    return 0;
}


int
recsys_fetch_main(int argc, char **argv)
{
    int                   rc;
    char                  err[1024];
    recsys_fetch_t        f;
    recsys_fetch_opts_t   o;

    recsys_fetch_defaults(&o);

    if (argc < 1 || strncmp(argv[0], "--", 2) == 0) {
        fprintf(stderr, "recsys-build: fetch needs the model's URL first\n"
                "usage: recsys-build fetch URL --out PATH [options]\n");
        return 2;
    }

    if (recsys_opt_argv(recsys_fetch_options, &o, argc - 1, argv + 1, err,
                        sizeof(err)) != RECSYS_OK)
    {
        fprintf(stderr, "recsys-build: %s\n(recsys-build help fetch lists "
                "the options)\n", err);
        return 2;
    }

    memset(&f, 0, sizeof(f));
    f.url = argv[0];
    f.out = o.out;
    f.fd = -1;
    f.murl = recsys_fetch_path(f.url, RECSYS_MANIFEST_SUFFIX);
    f.tmp = recsys_fetch_path(f.out, ".fetch");
    f.etag_path = recsys_fetch_path(f.out, ".etag");
    f.man_path = recsys_fetch_path(f.out, RECSYS_MANIFEST_SUFFIX);

    if (f.murl == NULL || f.tmp == NULL || f.etag_path == NULL
        || f.man_path == NULL || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
    {
        snprintf(f.err, sizeof(f.err), "out of memory");
        rc = -1;

    } else {
        /* what fetches killed between writing and renaming left behind */
        recsys_writer_sweep(f.man_path);
        recsys_writer_sweep(f.etag_path);

        rc = recsys_fetch_run(&f, &o);
        curl_global_cleanup();
    }

    if (rc != 0) {
        fprintf(stderr, "recsys-build: fetch: %s; %s %s\n", f.err, f.out,
                f.installed != NULL ? f.installed : "is unchanged");
    }

    if (f.fd >= 0) {
        close(f.fd);
    }

    free(f.murl);
    free(f.tmp);
    free(f.etag_path);
    free(f.man_path);

    return rc == 0 ? 0 : 1;
}
