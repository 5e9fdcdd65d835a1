/*
 * recsys_lines.c: reading a plain or gzip file line by line through one
 * growing buffer (recsys_lines.h).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_lines.h"
#include "recsys_status.h"


int
recsys_lines_open(recsys_lines_t *l, const char *path)
{
    size_t  n;

    memset(l, 0, sizeof(recsys_lines_t));

    l->gz = gzopen(path, "rb");
    if (l->gz == NULL) {
        snprintf(l->err, sizeof(l->err), "cannot open: %s",
                 errno ? strerror(errno) : "out of memory");
        return RECSYS_EIO;
    }

    n = strlen(path);

    /* gzdirect() knows only after the first read */
    if (n > 3 && strcmp(path + n - 3, ".gz") == 0
        && (gzgetc(l->gz) < 0 || gzdirect(l->gz)))
    {
        snprintf(l->err, sizeof(l->err), "not gzip data");
        recsys_lines_close(l);
        return RECSYS_EINVAL;
    }

    gzrewind(l->gz);

    l->cap = 1 << 16;
    l->buf = malloc(l->cap);
    if (l->buf == NULL) {
        recsys_lines_close(l);
        return RECSYS_ENOMEM;
    }

    return RECSYS_OK;
}


/* Reads more into the buffer (moving what is left to its start). */
static int
recsys_lines_fill(recsys_lines_t *l)
{
    int          n, errnum;
    char        *buf;
    const char  *msg;

    if (l->pos > 0) {
        memmove(l->buf, l->buf + l->pos, l->len - l->pos);
        l->len -= l->pos;
        l->pos = 0;
    }

    if (l->len == l->cap) {
        if (l->cap >= RECSYS_LINES_MAX) {
            snprintf(l->err, sizeof(l->err), "a line over %u bytes",
                     RECSYS_LINES_MAX);
            return RECSYS_ELIMIT;
        }

        buf = realloc(l->buf, l->cap * 2);
        if (buf == NULL) {
            return RECSYS_ENOMEM;
        }

        l->buf = buf;
        l->cap *= 2;
    }

    n = gzread(l->gz, l->buf + l->len, (unsigned) (l->cap - l->len));

    if (n < 0) {
        msg = gzerror(l->gz, &errnum);
        snprintf(l->err, sizeof(l->err), "gzip: %s",
                 errnum == Z_ERRNO ? strerror(errno) : msg);
        return RECSYS_EINVAL;
    }

    if (n == 0) {
        /* a truncated stream ends with an error, not with 0 */
        msg = gzerror(l->gz, &errnum);
        if (errnum != Z_OK && errnum != Z_STREAM_END) {
            snprintf(l->err, sizeof(l->err), "gzip: %s", msg);
            return RECSYS_EINVAL;
        }

        l->eof = 1;
    }

    l->len += (size_t) n;

    return RECSYS_OK;
}


int
recsys_lines_next(recsys_lines_t *l, const char **p, size_t *len)
{
    int    rc;
    char  *nl;

    for ( ;; ) {
        nl = memchr(l->buf + l->pos, '\n', l->len - l->pos);

        if (nl != NULL || (l->eof && l->pos < l->len)) {
            if (nl == NULL) {
                nl = l->buf + l->len;
            }

            l->line++;
            *p = l->buf + l->pos;
            *len = (size_t) (nl - *p);
            l->pos = nl < l->buf + l->len ? (size_t) (nl - l->buf) + 1
                                          : l->len;

            if (*len > 0 && (*p)[*len - 1] == '\r') {
                (*len)--;
            }

            return 1;
        }

        if (l->eof) {
            return 0;
        }

        rc = recsys_lines_fill(l);
        if (rc != RECSYS_OK) {
            l->line++;
            return rc;
        }
    }
}


void
recsys_lines_close(recsys_lines_t *l)
{
    if (l->gz != NULL) {
        gzclose(l->gz);
    }

    free(l->buf);
    l->gz = NULL;
    l->buf = NULL;
}
