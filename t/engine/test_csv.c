/*
 * test_csv.c: unit test of the streaming CSV/TSV reader (recsys_csv.c).
 *
 * Each case writes a small file under /tmp (mkstemp), reads it back with
 * recsys_csv and compares every record (its first physical line, its
 * field count and the bytes of each field) with the expected records
 * written out by hand next to the input.  Covers plain CSV, TSV
 * detection, CRLF, a byte order mark, blank lines, RFC 4180 quoting
 * (delimiters, doubled quotes and line breaks inside quotes), empty
 * fields, a trailing delimiter, a last line without a newline, errors
 * (unterminated quote, junk after a closing quote) and records larger
 * than the reader's 4 MiB buffer.  Prints TAP.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recsys_csv.h"
#include "recsys_status.h"
#include "tap.h"


#define T_MAX_FIELDS  8
#define T_MIB         (1024 * 1024)

typedef struct {
    uint64_t     line;
    int          n;
    const char  *f[T_MAX_FIELDS];
} t_rec_t;

#define T_NREC(a)  (sizeof(a) / sizeof(a[0]))



/* Writes len bytes to a new temporary file; its path goes to path. */
static int
t_write(char *path, size_t size, const char *data, size_t len)
{
    int      fd;
    size_t   off;
    ssize_t  n;

    snprintf(path, size, "/tmp/recsys-test-csv-XXXXXX");

    fd = mkstemp(path);
    if (fd < 0) {
        return -1;
    }

    for (off = 0; off < len; off += (size_t) n) {
        n = write(fd, data + off, len - off);
        if (n <= 0) {
            close(fd);
            unlink(path);
            return -1;
        }
    }

    close(fd);

    return 0;
}


static void
t_show(const char *s, size_t len)
{
    size_t  i;

    printf("\"");
    for (i = 0; i < len && i < 60; i++) {
        if (s[i] == '\n') {
            printf("\\n");

        } else if (s[i] == '\r') {
            printf("\\r");

        } else if (s[i] == '\t') {
            printf("\\t");

        } else {
            printf("%c", s[i]);
        }
    }
    printf("%s\"", len > 60 ? "..." : "");
}


/*
 * Reads data (len bytes) as a file and checks its records against want.
 * end is the status the last recsys_csv_next() must return (0 or an
 * error); for an error, err_line is the line csv.line must name.
 */
static void
t_case(const char *name, const char *data, size_t len, char delim,
    const t_rec_t *want, size_t n_want, int end, uint64_t err_line,
    char want_delim)
{
    int            rc, ok, k;
    char           path[64];
    size_t         n;
    recsys_csv_t   csv;

    if (t_write(path, sizeof(path), data, len) != 0) {
        tap_ok(0, "%s: temporary file written", name);
        return;
    }

    rc = recsys_csv_open(&csv, path, delim);
    if (rc != RECSYS_OK) {
        tap_ok(0, "%s: opened (%s)", name, csv.err);
        unlink(path);
        return;
    }

    ok = 1;
    n = 0;

    while ((rc = recsys_csv_next(&csv)) == 1) {
        if (n >= n_want) {
            if (ok) {
                printf("#   unexpected record %u at line %llu: ",
                       (unsigned) n, (unsigned long long) csv.line);
                t_show(csv.fields[0].p, csv.fields[0].len);
                printf("\n");
            }

            ok = 0;
            n++;
            continue;
        }

        if (csv.line != want[n].line || (int) csv.n_fields != want[n].n) {
            printf("#   record %u: line %llu with %u fields, want line %llu "
                   "with %d fields\n", (unsigned) n,
                   (unsigned long long) csv.line, csv.n_fields,
                   (unsigned long long) want[n].line, want[n].n);
            ok = 0;
        }

        for (k = 0; k < want[n].n && k < (int) csv.n_fields; k++) {
            if (csv.fields[k].len != strlen(want[n].f[k])
                || memcmp(csv.fields[k].p, want[n].f[k],
                          csv.fields[k].len) != 0)
            {
                printf("#   record %u field %d: got ", (unsigned) n, k);
                t_show(csv.fields[k].p, csv.fields[k].len);
                printf(", want ");
                t_show(want[n].f[k], strlen(want[n].f[k]));
                printf("\n");
                ok = 0;
            }
        }

        n++;
    }

    if (n != n_want) {
        printf("#   %u records, want %u\n", (unsigned) n, (unsigned) n_want);
        ok = 0;
    }

    tap_ok(ok, "%s: records, lines and fields", name);

    if (end == 0) {
        tap_is_int(rc, 0, "%s: clean end of file", name);
        if (rc != 0) {
            printf("#   error: %s\n", csv.err);
        }

    } else {
        tap_ok(rc == end && csv.line == err_line && csv.err[0] != '\0',
               "%s: status %d at line %llu (%s)", name, end,
               (unsigned long long) err_line, csv.err);
        if (rc != end || csv.line != err_line) {
            printf("#   got status %d at line %llu\n", rc,
                   (unsigned long long) csv.line);
        }
    }

    if (want_delim != 0) {
        tap_is_int(csv.delim, want_delim, "%s: delimiter %s", name,
                   want_delim == '\t' ? "TAB" : want_delim == ',' ? "comma"
                                                           : "as given");
    }

    recsys_csv_close(&csv);
    unlink(path);
}


static void
t_small_cases(void)
{
    static const char  plain[] = "user,item,rating\n1,10,4.5\n2,20,3\n";
    static const t_rec_t  plain_w[] = {
        { 1, 3, { "user", "item", "rating" } },
        { 2, 3, { "1", "10", "4.5" } },
        { 3, 3, { "2", "20", "3" } },
    };

    /* a tab in the first line makes TSV; commas are then plain bytes */
    static const char  tsv[] = "196\t242\t3\t881250949\n"
                               "a,b\tc d\t\t\n";
    static const t_rec_t  tsv_w[] = {
        { 1, 4, { "196", "242", "3", "881250949" } },
        { 2, 4, { "a,b", "c d", "", "" } },
    };

    /* no tab in the first line: CSV, a later tab is a plain byte */
    static const char  csv_tab[] = "a,b\nc\td,e\n";
    static const t_rec_t  csv_tab_w[] = {
        { 1, 2, { "a", "b" } },
        { 2, 2, { "c\td", "e" } },
    };

    static const char  crlf[] = "a,b\r\n1,2\r\n\r\n\"x\r\ny\",z\r\nlast,1\r\n";
    static const t_rec_t  crlf_w[] = {
        { 1, 2, { "a", "b" } },
        { 2, 2, { "1", "2" } },
        { 4, 2, { "x\r\ny", "z" } },
        { 6, 2, { "last", "1" } },
    };

    static const char  bom[] = "\xef\xbb\xbfid,title\n1,x\n";
    static const t_rec_t  bom_w[] = {
        { 1, 2, { "id", "title" } },
        { 2, 2, { "1", "x" } },
    };

    /* only the first three bytes of the file are a BOM */
    static const char  bom2[] = "a\n\xef\xbb\xbf" "b\n";
    static const t_rec_t  bom2_w[] = {
        { 1, 1, { "a" } },
        { 2, 1, { "\xef\xbb\xbf" "b" } },
    };

    static const char  bom_tsv[] = "\xef\xbb\xbfu\ti\n1\t2\n";
    static const t_rec_t  bom_tsv_w[] = {
        { 1, 2, { "u", "i" } },
        { 2, 2, { "1", "2" } },
    };

    /* blank lines: lines 1, 2, 4, 5, 7 (CRLF) and 9 */
    static const char  blank[] = "\n\na,b\n\n\nc,d\n\r\ne,f\n\n";
    static const t_rec_t  blank_w[] = {
        { 3, 2, { "a", "b" } },
        { 6, 2, { "c", "d" } },
        { 8, 2, { "e", "f" } },
    };

    static const char  quoted[] =
        "1,\"Hello, world\",x\n"
        "2,\"say \"\"hi\"\"\",y\n"
        "3,\"multi\nline\n\nfield\",z\n"
        "4,after,w\n"
        "\"\",\"\"\"\",\"a,\"\"b\"\",c\"\n"
        "\"only\"\n";
    static const t_rec_t  quoted_w[] = {
        { 1, 3, { "1", "Hello, world", "x" } },
        { 2, 3, { "2", "say \"hi\"", "y" } },
        { 3, 3, { "3", "multi\nline\n\nfield", "z" } },
        { 7, 3, { "4", "after", "w" } },
        { 8, 3, { "", "\"", "a,\"b\",c" } },
        { 9, 1, { "only" } },
    };

    static const char  empty[] = ",,\na,,b\n,x\nx,\n\"\",y\n";
    static const t_rec_t  empty_w[] = {
        { 1, 3, { "", "", "" } },
        { 2, 3, { "a", "", "b" } },
        { 3, 2, { "", "x" } },
        { 4, 2, { "x", "" } },
        { 5, 2, { "", "y" } },
    };

    static const char  trail[] = "a,b,\n\"q\",\nc,d,\r\n";
    static const t_rec_t  trail_w[] = {
        { 1, 3, { "a", "b", "" } },
        { 2, 2, { "q", "" } },
        { 3, 3, { "c", "d", "" } },
    };

    static const char  nonl[] = "a,b\nc,d";
    static const t_rec_t  nonl_w[] = {
        { 1, 2, { "a", "b" } },
        { 2, 2, { "c", "d" } },
    };

    static const char  nonl_q[] = "a,b\n\"c\nd\",\"e\"";
    static const t_rec_t  nonl_q_w[] = {
        { 1, 2, { "a", "b" } },
        { 2, 2, { "c\nd", "e" } },
    };

    static const char  nonl_cr[] = "a,b\r";
    static const t_rec_t  nonl_cr_w[] = {
        { 1, 2, { "a", "b" } },
    };

    static const char  unterminated[] = "a,b\n1,\"oops\n2,3\n4,5\n";
    static const t_rec_t  unterminated_w[] = {
        { 1, 2, { "a", "b" } },
    };

    static const char  junk[] = "a,b\n\"x\"y,z\n";
    static const t_rec_t  junk_w[] = {
        { 1, 2, { "a", "b" } },
    };

    static const char  forced[] = "a;b,c\n";
    static const t_rec_t  forced_w[] = {
        { 1, 2, { "a", "b,c" } },
    };

    t_case("plain CSV", plain, sizeof(plain) - 1, 0, plain_w,
           T_NREC(plain_w), 0, 0, ',');
    t_case("TSV detected", tsv, sizeof(tsv) - 1, 0, tsv_w, T_NREC(tsv_w), 0,
           0, '\t');
    t_case("CSV with a tab later", csv_tab, sizeof(csv_tab) - 1, 0,
           csv_tab_w, T_NREC(csv_tab_w), 0, 0, ',');
    t_case("CRLF", crlf, sizeof(crlf) - 1, 0, crlf_w, T_NREC(crlf_w), 0, 0,
           0);
    t_case("BOM", bom, sizeof(bom) - 1, 0, bom_w, T_NREC(bom_w), 0, 0, 0);
    t_case("BOM bytes after the start", bom2, sizeof(bom2) - 1, 0, bom2_w,
           T_NREC(bom2_w), 0, 0, 0);
    t_case("BOM then TSV", bom_tsv, sizeof(bom_tsv) - 1, 0, bom_tsv_w,
           T_NREC(bom_tsv_w), 0, 0, '\t');
    t_case("blank lines", blank, sizeof(blank) - 1, 0, blank_w,
           T_NREC(blank_w), 0, 0, 0);
    t_case("RFC 4180 quoting", quoted, sizeof(quoted) - 1, 0, quoted_w,
           T_NREC(quoted_w), 0, 0, 0);
    t_case("empty fields", empty, sizeof(empty) - 1, 0, empty_w,
           T_NREC(empty_w), 0, 0, 0);
    t_case("trailing delimiter", trail, sizeof(trail) - 1, 0, trail_w,
           T_NREC(trail_w), 0, 0, 0);
    t_case("last line without newline", nonl, sizeof(nonl) - 1, 0, nonl_w,
           T_NREC(nonl_w), 0, 0, 0);
    t_case("quoted last line without newline", nonl_q, sizeof(nonl_q) - 1,
           0, nonl_q_w, T_NREC(nonl_q_w), 0, 0, 0);
    t_case("last line ending in CR only", nonl_cr, sizeof(nonl_cr) - 1, 0,
           nonl_cr_w, T_NREC(nonl_cr_w), 0, 0, 0);
    t_case("unterminated quote", unterminated, sizeof(unterminated) - 1, 0,
           unterminated_w, T_NREC(unterminated_w), RECSYS_EINVAL, 2, 0);
    t_case("junk after a closing quote", junk, sizeof(junk) - 1, 0, junk_w,
           T_NREC(junk_w), RECSYS_EINVAL, 2, 0);
    t_case("explicit delimiter", forced, sizeof(forced) - 1, ';', forced_w,
           T_NREC(forced_w), 0, 0, ';');
    t_case("empty file", "", 0, 0, NULL, 0, 0, 0, 0);
    t_case("only blank lines", "\n\r\n\n", 4, 0, NULL, 0, 0, 0, 0);
    t_case("only a BOM", "\xef\xbb\xbf", 3, 0, NULL, 0, 0, 0, 0);
}


/*
 * A quote inside an unquoted field is not RFC 4180; the reader may take it
 * literally or refuse the record, but it must not silently join two
 * physical lines into one record.
 */
static void
t_stray_quote(void)
{
    int           rc, n, merged;
    char          path[64];
    recsys_csv_t  csv;

    static const char  data[] = "1,12\" Single,Rock\n2,7\" Vinyl,Pop\n";

    if (t_write(path, sizeof(path), data, sizeof(data) - 1) != 0
        || recsys_csv_open(&csv, path, 0) != RECSYS_OK)
    {
        tap_ok(0, "stray quote: file opened");
        return;
    }

    n = 0;
    merged = 0;

    while ((rc = recsys_csv_next(&csv)) == 1) {
        n++;
        if (csv.n_fields != 3) {
            merged = 1;
        }
    }

    if (rc == 0 && (n != 2 || merged)) {
        printf("#   got %d record(s), the first with a line break inside "
               "a field\n", n);
    }

    tap_ok(rc < 0 || (n == 2 && !merged),
           "stray quote in an unquoted field: two records or an error, "
           "never one merged record");

    recsys_csv_close(&csv);
    unlink(path);
}


/* Records larger than the reader's 4 MiB buffer. */
static void
t_big_records(void)
{
    int           rc, ok;
    char         *data, *p, path[64];
    size_t        big, len, i, qlen;
    recsys_csv_t  csv;

    big = 5 * T_MIB;

    /*
     * line 1: "a,<5 MiB of x>,b"
     * line 2: "2,\"<5 MiB of pattern 'ab,\"\"c\\n'>\",end"  (spans lines)
     * then:   "tail,1" and "tail,2"
     */

    data = malloc(2 * big + 64 + big);
    if (data == NULL) {
        tap_ok(0, "big records: memory");
        return;
    }

    p = data;
    memcpy(p, "a,", 2);
    p += 2;
    memset(p, 'x', big);
    p += big;
    memcpy(p, ",b\n2,\"", 6);
    p += 6;

    /* pattern: a b , " " c \n  -> unquoted a b , " c \n (6 bytes) */
    qlen = 0;
    for (i = 0; i + 7 <= big; i += 7) {
        memcpy(p, "ab,\"\"c\n", 7);
        p += 7;
        qlen += 6;
    }

    memcpy(p, "\",end\ntail,1\ntail,2", 19);
    p += 19;
    len = (size_t) (p - data);

    if (t_write(path, sizeof(path), data, len) != 0
        || recsys_csv_open(&csv, path, 0) != RECSYS_OK)
    {
        free(data);
        tap_ok(0, "big records: file written and opened");
        return;
    }

    rc = recsys_csv_next(&csv);
    ok = rc == 1 && csv.line == 1 && csv.n_fields == 3
         && csv.fields[0].len == 1 && csv.fields[0].p[0] == 'a'
         && csv.fields[1].len == big
         && csv.fields[2].len == 1 && csv.fields[2].p[0] == 'b';

    for (i = 0; ok && i < big; i++) {
        if (csv.fields[1].p[i] != 'x') {
            ok = 0;
        }
    }

    tap_ok(ok, "big records: a 5 MiB unquoted field read whole");

    rc = recsys_csv_next(&csv);
    ok = rc == 1 && csv.line == 2 && csv.n_fields == 3
         && csv.fields[1].len == qlen
         && csv.fields[2].len == 3 && memcmp(csv.fields[2].p, "end", 3) == 0;

    for (i = 0; ok && i < qlen; i += 6) {
        if (memcmp(csv.fields[1].p + i, "ab,\"c\n", 6) != 0) {
            ok = 0;
        }
    }

    tap_ok(ok, "big records: a 5 MiB quoted field with commas, quotes "
           "and line breaks read whole");

    rc = recsys_csv_next(&csv);
    tap_ok(rc == 1 && csv.line == 3 + qlen / 6 && csv.n_fields == 2
           && csv.fields[1].len == 1 && csv.fields[1].p[0] == '1',
           "big records: the next record is line %llu",
           (unsigned long long) (3 + qlen / 6));
    if (rc == 1 && csv.line != 3 + qlen / 6) {
        printf("#   got line %llu\n", (unsigned long long) csv.line);
    }

    rc = recsys_csv_next(&csv);
    tap_ok(rc == 1 && csv.line == 4 + qlen / 6 && csv.n_fields == 2
           && csv.fields[1].len == 1 && csv.fields[1].p[0] == '2',
           "big records: the last line, without a newline");

    tap_is_int(recsys_csv_next(&csv), 0, "big records: end of file");

    recsys_csv_close(&csv);
    unlink(path);

    /* many small records across several buffer refills */

    p = data;
    for (i = 0; i < 600000; i++) {
        p += sprintf(p, "%u,\"v%u\"\n", (unsigned) i, (unsigned) i);
    }

    len = (size_t) (p - data);

    if (t_write(path, sizeof(path), data, len) != 0
        || recsys_csv_open(&csv, path, 0) != RECSYS_OK)
    {
        free(data);
        tap_ok(0, "refills: file written and opened");
        return;
    }

    ok = 1;
    for (i = 0; i < 600000; i++) {
        char  want[32];

        rc = recsys_csv_next(&csv);
        len = (size_t) sprintf(want, "v%u", (unsigned) i);

        if (rc != 1 || csv.line != i + 1 || csv.n_fields != 2
            || csv.fields[1].len != len
            || memcmp(csv.fields[1].p, want, len) != 0)
        {
            printf("#   record %u wrong\n", (unsigned) i);
            ok = 0;
            break;
        }
    }

    tap_ok(ok && recsys_csv_next(&csv) == 0,
           "refills: %u records over a %u-byte file read in order",
           600000u, (unsigned) (p - data));

    recsys_csv_close(&csv);
    unlink(path);
    free(data);
}


static void
t_open_errors(void)
{
    recsys_csv_t  csv;

    tap_is_int(recsys_csv_open(&csv, "/nonexistent/recsys/x.csv", 0),
               RECSYS_EIO, "open: a missing file is RECSYS_EIO");
    tap_ok(strstr(csv.err, "cannot open") != NULL,
           "open: the reason says so (%s)", csv.err);
    recsys_csv_close(&csv);
}


int
main(void)
{
    t_small_cases();
    t_stray_quote();
    t_big_records();
    t_open_errors();

    return tap_done();
}
