/*
 * recsys_csv.h: a streaming reader of delimited text (CSV, TSV).
 *
 * Reads a file through one large buffer and hands out one record at a time
 * as fields pointing into that buffer: no allocation per row, no copy of
 * the log.  Follows RFC 4180: a field may be quoted, a quoted field may hold
 * the delimiter, line breaks and doubled quotes ("" stands for ").  CRLF
 * and LF both end a record; a UTF-8 byte order mark at the start is
 * skipped; blank lines are skipped.  Fields are valid until the next call.
 */

#ifndef RECSYS_CSV_H
#define RECSYS_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RECSYS_CSV_MAX_FIELDS  64


typedef struct {
    const char  *p;
    size_t       len;
} recsys_field_t;

typedef struct {
    FILE            *fp;
    const char      *path;
    char            *buf;
    size_t           cap;
    size_t           len;
    size_t           pos;
    int              eof;
    char             delim;         /* 0 until detected */
    uint64_t         line;          /* first line of the current record */
    uint64_t         next_line;
    uint32_t         n_fields;
    recsys_field_t   fields[RECSYS_CSV_MAX_FIELDS];
    char             err[256];
} recsys_csv_t;


/*
 * Opens path.  delim 0 detects it from the first line: a tab makes it TSV,
 * otherwise a comma.  Returns RECSYS_OK or a status with csv->err set.
 */
int recsys_csv_open(recsys_csv_t *csv, const char *path, char delim);
/* recsys_csv_open(), with "path: reason" in err when it fails */
int recsys_csv_open_err(recsys_csv_t *csv, const char *path, char delim,
    char *err, size_t errlen);
void recsys_csv_close(recsys_csv_t *csv);

/*
 * Reads the next record into csv->fields.  Returns 1 for a record, 0 at the
 * end of the file, or a negative status with csv->err set ("why", the
 * caller prefixes path and csv->line).
 */
int recsys_csv_next(recsys_csv_t *csv);

/*
 * The length of the UTF-8 byte order mark that p[0..len) starts with: 3,
 * or 0 without one (the --erase list skips it the same way).
 */
size_t recsys_csv_bom(const char *p, size_t len);

#endif /* RECSYS_CSV_H */
