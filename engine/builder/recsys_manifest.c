/*
 * recsys_manifest.c: the manifest beside a published model: reading it
 * (jansson), writing it, publishing small files atomically, and the ETag
 * of an HTTP header line.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "recsys_manifest.h"
#include "recsys_schema.h"
#include "recsys_status.h"
#include "recsys_writer.h"


#define RECSYS_MANIFEST_SIZE_MAX  ((json_int_t) 1 << 48)


static int
recsys_manifest_bad(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "manifest: %s", what);

    return RECSYS_EINVAL;
}


/* A member that is an integer within [min, max], or -1 after saying so. */
static json_int_t
recsys_manifest_int(json_t *o, const char *name, json_int_t min,
    json_int_t max, char *err, size_t errlen)
{
    json_t      *v;
    json_int_t   n;

    v = json_object_get(o, name);

    if (!json_is_integer(v)) {
        snprintf(err, errlen, "manifest: \"%s\" is missing or not an "
                 "integer", name);
        return -1;
    }

    n = json_integer_value(v);

    if (n < min || n > max) {
        snprintf(err, errlen, "manifest: \"%s\" is out of range", name);
        return -1;
    }

    return n;
}


/* Copies a string member of 1..max bytes that pass ok() into out. */
static int
recsys_manifest_str(json_t *o, const char *name, size_t max,
    int (*ok)(int c), char *out, char *err, size_t errlen)
{
    size_t       i, len;
    json_t      *v;
    const char  *s;

    v = json_object_get(o, name);

    if (!json_is_string(v)) {
        snprintf(err, errlen, "manifest: \"%s\" is missing or not a string",
                 name);
        return RECSYS_EINVAL;
    }

    s = json_string_value(v);
    len = json_string_length(v);

    if (len == 0 || len > max) {
        snprintf(err, errlen, "manifest: \"%s\" has a bad length", name);
        return RECSYS_EINVAL;
    }

    for (i = 0; i < len; i++) {
        if (!ok((unsigned char) s[i])) {
            snprintf(err, errlen, "manifest: \"%s\" has a bad character",
                     name);
            return RECSYS_EINVAL;
        }
    }

    memcpy(out, s, len);
    out[len] = '\0';

    return RECSYS_OK;
}


static int
recsys_manifest_printable(int c)
{
    return c > 0x20 && c < 0x7f && c != '"' && c != '\\';
}


static int
recsys_manifest_hex(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}


int
recsys_manifest_parse(const char *buf, size_t len, recsys_manifest_t *m,
    char *err, size_t errlen)
{
    int           rc;
    json_t       *o;
    json_int_t    fv, size, t;
    json_error_t  je;

    memset(m, 0, sizeof(*m));

    if (len > RECSYS_MANIFEST_MAX) {
        return recsys_manifest_bad(err, errlen, "longer than 4096 bytes");
    }

    o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (o == NULL) {
        snprintf(err, errlen, "manifest: not JSON (%s at byte %d)", je.text,
                 je.position);
        return RECSYS_EINVAL;
    }

    rc = RECSYS_EINVAL;

    if (!json_is_object(o)) {
        recsys_manifest_bad(err, errlen, "not a JSON object");
        goto done;
    }

    fv = recsys_manifest_int(o, "format_version", 1, INT32_MAX, err, errlen);
    size = recsys_manifest_int(o, "size", 1, RECSYS_MANIFEST_SIZE_MAX, err,
                               errlen);
    t = recsys_manifest_int(o, "build_time", 0, INT64_MAX, err, errlen);

    if (fv < 0 || size < 0 || t < 0
        || recsys_manifest_str(o, "model_id", RECSYS_MANIFEST_ID_MAX,
                               recsys_manifest_printable, m->model_id,
                               err, errlen) != RECSYS_OK
        || recsys_manifest_str(o, "sha256", 64, recsys_manifest_hex,
                               m->sha256, err, errlen) != RECSYS_OK)
    {
        goto done;
    }

    if (strlen(m->sha256) != 64) {
        recsys_manifest_bad(err, errlen, "\"sha256\" is not 64 hex digits");
        goto done;
    }

    m->format_version = (int) fv;
    m->size = (uint64_t) size;
    m->build_time = (int64_t) t;
    rc = RECSYS_OK;

done:

    json_decref(o);

    return rc;
}


char *
recsys_manifest_dump(const recsys_manifest_t *m)
{
    char    *s, *line;
    json_t  *o;

    o = json_pack("{s:s, s:i, s:I, s:s, s:I}",
                  "model_id", m->model_id,
                  "format_version", m->format_version,
                  "size", (json_int_t) m->size,
                  "sha256", m->sha256,
                  "build_time", (json_int_t) m->build_time);
    if (o == NULL) {
        return NULL;
    }

    s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);

    /* one line, newline-terminated, like any small text file */
    line = s != NULL ? malloc(strlen(s) + 2) : NULL;
    if (line != NULL) {
        sprintf(line, "%s\n", s);
    }

    free(s);

    return line;
}


int
recsys_manifest_put_file(const char *path, const void *data, size_t len,
    int later)
{
    int               fd, e;
    char             *tmp;
    size_t            n;
    struct stat       old, st;
    struct timespec   times[2];

    n = strlen(path) + 32;
    tmp = malloc(n);
    if (tmp == NULL) {
        errno = ENOMEM;
        return RECSYS_EIO;
    }

    snprintf(tmp, n, "%s.tmp.%ld", path, (long) getpid());

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        free(tmp);
        return RECSYS_EIO;
    }

    errno = 0;

    if (write(fd, data, len) != (ssize_t) len) {
        goto failed;
    }

    /*
     * Static servers derive ETag and Last-Modified from the size and the
     * whole seconds of the modification time: two manifests of one size
     * written within a second would look alike to If-None-Match.
     */
    if (later && stat(path, &old) == 0 && fstat(fd, &st) == 0
        && st.st_mtime <= old.st_mtime)
    {
        times[0].tv_sec = 0;
        times[0].tv_nsec = UTIME_OMIT;
        times[1].tv_sec = old.st_mtime + 1;
        times[1].tv_nsec = 0;

        if (futimens(fd, times) != 0) {
            goto failed;
        }
    }

    if (fsync(fd) != 0) {
        goto failed;
    }

    e = close(fd);
    fd = -1;

    if (e != 0 || rename(tmp, path) != 0) {
        goto failed;
    }

    free(tmp);
    recsys_writer_sync_dir(path);

    return RECSYS_OK;

failed:

    e = errno != 0 ? errno : EIO;

    if (fd >= 0) {
        close(fd);
    }

    unlink(tmp);
    free(tmp);
    errno = e;

    return RECSYS_EIO;
}


int
recsys_manifest_publish(int fd, const char *model_path, const char *model_id,
    int64_t build_time, char *err, size_t errlen)
{
    int                rc;
    char              *json, *path;
    size_t             n;
    recsys_manifest_t  m;

    memset(&m, 0, sizeof(m));
    snprintf(m.model_id, sizeof(m.model_id), "%s", model_id);
    m.format_version = RECSYS_FORMAT_VERSION;
    m.build_time = build_time;

    rc = recsys_sha256_fd(fd, m.sha256, &m.size);
    if (rc != RECSYS_OK) {
        snprintf(err, errlen, "manifest of %s: reading the model: %s",
                 model_path, strerror(errno));
        return rc;
    }

    n = strlen(model_path) + sizeof(RECSYS_MANIFEST_SUFFIX);
    path = malloc(n);
    json = recsys_manifest_dump(&m);

    if (path == NULL || json == NULL) {
        free(path);
        free(json);
        return RECSYS_ENOMEM;
    }

    snprintf(path, n, "%s%s", model_path, RECSYS_MANIFEST_SUFFIX);

    rc = recsys_manifest_put_file(path, json, strlen(json), 1);

    if (rc != RECSYS_OK) {
        snprintf(err, errlen, "publishing %s: %s", path, strerror(errno));
    }

    free(json);
    free(path);

    return rc;
}


int
recsys_manifest_etag(const char *line, size_t len,
    char out[RECSYS_MANIFEST_ETAG])
{
    size_t  i;

    if (len < 5 || strncasecmp(line, "etag:", 5) != 0) {
        return 0;
    }

    line += 5;
    len -= 5;

    while (len > 0 && (line[0] == ' ' || line[0] == '\t')) {
        line++;
        len--;
    }

    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'
                       || line[len - 1] == ' ' || line[len - 1] == '\t'))
    {
        len--;
    }

    if (len == 0 || len >= RECSYS_MANIFEST_ETAG) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) line[i] < 0x20 || line[i] == 0x7f) {
            return 0;
        }
    }

    memcpy(out, line, len);
    out[len] = '\0';

    return 1;
}
