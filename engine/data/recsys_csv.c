/*
 * recsys_csv.c: the streaming delimited-text reader.
 *
 * Each record is found in two passes over the buffer: the first finds where
 * it ends (one memchr for the common unquoted line, a quote-aware scan
 * otherwise) and refills the buffer if the record is cut off; the second
 * splits it into fields and undoes quoting in place.  Nothing is modified
 * before the whole record is in the buffer, so a refill never sees a
 * half-rewritten record.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_csv.h"
#include "recsys_status.h"


#define RECSYS_CSV_BUFSIZE  (4 * 1024 * 1024)


static int recsys_csv_fill(recsys_csv_t *csv);
static int recsys_csv_find_end(recsys_csv_t *csv, size_t *end,
    uint64_t *newlines);
static int recsys_csv_split(recsys_csv_t *csv, char *p, size_t len);


int
recsys_csv_open(recsys_csv_t *csv, const char *path, char delim)
{
    memset(csv, 0, sizeof(recsys_csv_t));

    csv->path = path;
    csv->delim = delim;
    csv->next_line = 1;

    csv->fp = fopen(path, "rb");
    if (csv->fp == NULL) {
        snprintf(csv->err, sizeof(csv->err), "cannot open: %s",
                 strerror(errno));
        return RECSYS_EIO;
    }

    csv->cap = RECSYS_CSV_BUFSIZE;
    csv->buf = malloc(csv->cap);
    if (csv->buf == NULL) {
        fclose(csv->fp);
        csv->fp = NULL;
        snprintf(csv->err, sizeof(csv->err), "out of memory");
        return RECSYS_ENOMEM;
    }

    return RECSYS_OK;
}



int
recsys_csv_open_err(recsys_csv_t *csv, const char *path, char delim,
    char *err, size_t errlen)
{
    int  rc;

    rc = recsys_csv_open(csv, path, delim);
    if (rc != RECSYS_OK) {
        snprintf(err, errlen, "%s: %s", path, csv->err);
    }

    return rc;
}

void
recsys_csv_close(recsys_csv_t *csv)
{
    if (csv->fp != NULL) {
        fclose(csv->fp);
        csv->fp = NULL;
    }

    free(csv->buf);
    csv->buf = NULL;
}


size_t
recsys_csv_bom(const char *p, size_t len)
{
    return len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}


/* Moves the unread tail to the front and reads more; grows if full. */
static int
recsys_csv_fill(recsys_csv_t *csv)
{
    char    *nbuf;
    size_t   n;

    if (csv->pos > 0) {
        memmove(csv->buf, csv->buf + csv->pos, csv->len - csv->pos);
        csv->len -= csv->pos;
        csv->pos = 0;
    }

    if (csv->len == csv->cap) {
        nbuf = realloc(csv->buf, csv->cap * 2);
        if (nbuf == NULL) {
            snprintf(csv->err, sizeof(csv->err), "out of memory");
            return RECSYS_ENOMEM;
        }

        csv->buf = nbuf;
        csv->cap *= 2;
    }

    n = fread(csv->buf + csv->len, 1, csv->cap - csv->len, csv->fp);
    csv->len += n;

    if (n == 0) {
        if (ferror(csv->fp)) {
            snprintf(csv->err, sizeof(csv->err), "read error: %s",
                     strerror(errno));
            return RECSYS_EIO;
        }

        csv->eof = 1;
    }

    return RECSYS_OK;
}


/*
 * Finds the end of the record starting at csv->pos: *end is the index of
 * its terminating '\n' (or csv->len at the end of the file).  Returns 1
 * when found, 0 when more input is needed.
 */
static int
recsys_csv_find_end(recsys_csv_t *csv, size_t *end, uint64_t *newlines)
{
    int          quoted, at_start;
    char        *p, *last, *nl;
    uint64_t     lines;

    p = csv->buf + csv->pos;
    last = csv->buf + csv->len;

    nl = memchr(p, '\n', last - p);

    if (nl != NULL && memchr(p, '"', nl - p) == NULL) {
        *end = nl - csv->buf;
        *newlines = 0;
        return 1;
    }

    /*
     * As recsys_csv_split reads it: a quote opens a quoted field only at a
     * field's start; inside one, "" is a quote and a lone " closes it.
     */
    quoted = 0;
    at_start = 1;
    lines = 0;

    for ( /* void */ ; p < last; p++) {
        if (quoted) {
            if (*p == '"') {
                if (p + 1 == last && !csv->eof) {
                    return 0;       /* "" or the end: read on to know */
                }

                if (p + 1 < last && p[1] == '"') {
                    p++;

                } else {
                    quoted = 0;
                }

            } else if (*p == '\n') {
                lines++;
            }

            continue;
        }

        if (*p == '\n') {
            *end = p - csv->buf;
            *newlines = lines;
            return 1;
        }

        if (*p == '"' && at_start) {
            quoted = 1;
        }

        at_start = *p == csv->delim;
    }

    if (csv->eof) {
        *end = csv->len;
        *newlines = lines;
        return quoted ? -1 : 1;
    }

    return 0;
}


int
recsys_csv_next(recsys_csv_t *csv)
{
    int        rc;
    char      *p;
    size_t     end, len;
    uint64_t   newlines;

    for ( ;; ) {
        if (csv->pos >= csv->len) {
            if (csv->eof) {
                return 0;
            }

            rc = recsys_csv_fill(csv);
            if (rc != RECSYS_OK) {
                return rc;
            }

            if (csv->line == 0) {
                csv->pos = recsys_csv_bom(csv->buf, csv->len);
            }

            continue;
        }

        if (csv->delim == 0) {
            /* the first line decides: a tab makes it TSV */
            p = csv->buf + csv->pos;
            end = csv->len - csv->pos;
            p = memchr(p, '\n', end) != NULL ? memchr(p, '\n', end)
                                              : csv->buf + csv->len;

            if (p == csv->buf + csv->len && !csv->eof) {
                rc = recsys_csv_fill(csv);
                if (rc != RECSYS_OK) {
                    return rc;
                }

                continue;
            }

            csv->delim = memchr(csv->buf + csv->pos, '\t',
                                p - (csv->buf + csv->pos)) != NULL
                         ? '\t' : ',';
        }

        rc = recsys_csv_find_end(csv, &end, &newlines);

        if (rc == 0) {
            rc = recsys_csv_fill(csv);
            if (rc != RECSYS_OK) {
                return rc;
            }

            continue;
        }

        csv->line = csv->next_line;

        if (rc < 0) {
            snprintf(csv->err, sizeof(csv->err),
                     "unterminated quoted field");
            return RECSYS_EINVAL;
        }

        csv->next_line += 1 + newlines;

        p = csv->buf + csv->pos;
        len = end - csv->pos;
        csv->pos = end < csv->len ? end + 1 : end;

        if (len > 0 && p[len - 1] == '\r') {
            len--;
        }

        if (len == 0) {
            continue;
        }

        rc = recsys_csv_split(csv, p, len);
        if (rc != RECSYS_OK) {
            return rc;
        }

        return 1;
    }
}


/* Splits one complete record into fields, unquoting in place. */
static int
recsys_csv_split(recsys_csv_t *csv, char *p, size_t len)
{
    char     *last, *w, *start, delim;
    uint32_t  n;

    delim = csv->delim;
    last = p + len;
    n = 0;

    for ( ;; ) {
        if (n == RECSYS_CSV_MAX_FIELDS) {
            snprintf(csv->err, sizeof(csv->err), "more than %d fields",
                     RECSYS_CSV_MAX_FIELDS);
            return RECSYS_EINVAL;
        }

        if (p < last && *p == '"') {
            start = w = ++p;

            for ( ;; ) {
                if (p == last) {
                    snprintf(csv->err, sizeof(csv->err),
                             "unterminated quoted field");
                    return RECSYS_EINVAL;
                }

                if (*p == '"') {
                    if (p + 1 < last && p[1] == '"') {
                        *w++ = '"';
                        p += 2;
                        continue;
                    }

                    p++;
                    break;
                }

                *w++ = *p++;
            }

            if (p < last && *p != delim) {
                snprintf(csv->err, sizeof(csv->err),
                         "unexpected character after a closing quote");
                return RECSYS_EINVAL;
            }

            csv->fields[n].p = start;
            csv->fields[n].len = w - start;

        } else {
            start = p;

            while (p < last && *p != delim) {
                p++;
            }

            csv->fields[n].p = start;
            csv->fields[n].len = p - start;
        }

        n++;

        if (p == last) {
            break;
        }

        p++;   /* the delimiter */

        if (p == last) {
            /* a trailing delimiter ends in one empty field */
            if (n == RECSYS_CSV_MAX_FIELDS) {
                snprintf(csv->err, sizeof(csv->err), "more than %d fields",
                         RECSYS_CSV_MAX_FIELDS);
                return RECSYS_EINVAL;
            }

            csv->fields[n].p = p;
            csv->fields[n].len = 0;
            n++;
            break;
        }
    }

    csv->n_fields = n;

    return RECSYS_OK;
}
