/*
 * recsys_lines.h: the lines of a file, plain or gzip-compressed.
 *
 * zlib's gz* functions read both; a file whose name ends in ".gz" must be
 * gzip data (a plain file there is refused: a truncated upload or a wrong
 * name).  A line is handed out without its "\n" (and "\r"), valid until
 * the next call; its number counts from 1.  A damaged or truncated gzip
 * stream is an error with zlib's reason, at the line where it showed.
 */

#ifndef RECSYS_LINES_H
#define RECSYS_LINES_H

#include <stddef.h>
#include <stdint.h>

#include <zlib.h>

#define RECSYS_LINES_MAX  (64u << 20)  /* bytes in one line, at most */


typedef struct {
    gzFile       gz;
    char        *buf;
    size_t       cap;
    size_t       len;           /* bytes in buf */
    size_t       pos;           /* start of the next line */
    int          eof;
    uint64_t     line;          /* number of the line handed out */
    char         err[256];
} recsys_lines_t;


/* RECSYS_OK, or a status with the reason in lines->err. */
int recsys_lines_open(recsys_lines_t *lines, const char *path);

/*
 * The next line in (*p, *len): 1, 0 at the end, or a negative status with
 * the reason in lines->err (lines->line is where it happened).
 */
int recsys_lines_next(recsys_lines_t *lines, const char **p, size_t *len);

void recsys_lines_close(recsys_lines_t *lines);

#endif /* RECSYS_LINES_H */
