/*
 * test_ingest.c: unit test of reading logs and catalogs (recsys_ingest.c).
 *
 * Writes small interaction logs and catalogs under /tmp and ingests them.
 * Interactions: header detection (ratings.csv, user,item, reordered
 * columns, no header with 2, 3 or 4 columns, MovieLens u.data TSV), string
 * ids with quoting and UTF-8, and bad rows, each of which must give
 * RECSYS_EINVAL with an error starting "PATH:LINE: ".  Catalogs: CSV with
 * quoted titles, "(no genres listed)", duplicate ids, JSON Lines with
 * string and integer ids and genres as an array or an "a|b" string; the
 * rendered meta fragments are compared with JSON written out by hand.
 * Finally recsys_ingest_finish() must renumber users and items into the
 * natural id order worked out by hand, with events and meta following.
 * Prints TAP.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recsys_ingest.h"
#include "recsys_status.h"
#include "recsys_train.h"
#include "tap.h"
#include "train_fixture.h"


#define T_S(s)   s, sizeof(s) - 1
#define T_NT     RECSYS_NO_TIME
#define T_SETUP  -100     /* t_ingest_file() could not set up */



typedef struct {
    const char  *user;
    const char  *item;
    double       value;
    int64_t      ts;
} t_ev_t;

typedef struct {
    const char  *name;
    const char  *data;
    size_t       len;
    int          has_rating;
    size_t       n;
    t_ev_t       ev[4];
} t_good_t;

typedef struct {
    const char  *name;
    const char  *data;
    size_t       len;
    unsigned     line;
    const char  *why;          /* a substring of the message */
} t_bad_t;

typedef struct {
    const char  *name;
    const char  *data;
    size_t       len;
    unsigned     line;
    const char  *why;          /* a substring of the message, or NULL */
    const char  *suffix;       /* ".csv" or ".jsonl" */
} t_bad_catalog_t;

typedef struct {
    const char  *id;
    const char  *meta;
} t_meta_t;


static char  t_dir[] = "/tmp/recsys-test-ingest-XXXXXX";
static int   t_seq;


/* Writes data to a new file in t_dir named NN<suffix>; returns its path. */
static char *
t_file(const char *suffix, const char *data, size_t len)
{
    char  *path;
    FILE  *fp;

    path = malloc(strlen(t_dir) + 32);
    if (path == NULL) {
        return NULL;
    }

    sprintf(path, "%s/%02d%s", t_dir, ++t_seq, suffix);

    fp = fopen(path, "wb");
    if (fp == NULL) {
        free(path);
        return NULL;
    }

    if (fwrite(data, 1, len, fp) != len) {
        fclose(fp);
        free(path);
        return NULL;
    }

    fclose(fp);

    return path;
}


static void
t_drop(char *path)
{
    if (path != NULL) {
        unlink(path);
        free(path);
    }
}


/* recsys_ingest_catalog() or recsys_ingest_interactions() */
typedef int (*t_ingest_pt)(recsys_data_t *d, const char *path, char *err,
    size_t errlen);


/*
 * Writes data (len bytes) to a new file (named with suffix) and ingests it
 * into d, a fresh recsys_data_t, with ingest: the status, err filled and
 * the file in *path_out.  T_SETUP when the file or d could not be set up
 * (d is then not to be freed, *path_out is NULL).
 */
static int
t_ingest_file(t_ingest_pt ingest, recsys_data_t *d, const char *suffix,
    const char *data, size_t len, char *err, size_t errlen, char **path_out)
{
    char  *path;

    *path_out = NULL;
    err[0] = '\0';

    path = t_file(suffix, data, len);
    if (path == NULL || recsys_data_init(d) != RECSYS_OK) {
        t_drop(path);
        return T_SETUP;
    }

    *path_out = path;

    return ingest(d, path, err, errlen);
}


static int
t_key_is(const recsys_dict_t *dict, uint32_t index, const char *want)
{
    size_t       len;
    const char  *key;

    if (index >= dict->n) {
        return 0;
    }

    key = recsys_dict_key(dict, index, &len);

    return len == strlen(want) && memcmp(key, want, len) == 0;
}


/* Whether the events of d are exactly want[0 .. n), in order. */
static int
t_events_are(const recsys_data_t *d, const t_ev_t *want, size_t n)
{
    size_t                 i;
    const recsys_event_t  *e;

    if (d->n_events != n) {
        printf("#   %u events, want %u\n", (unsigned) d->n_events,
               (unsigned) n);
        return 0;
    }

    for (i = 0; i < n; i++) {
        e = &d->events[i];

        if (!t_key_is(&d->users, e->user, want[i].user)
            || !t_key_is(&d->items, e->item, want[i].item)
            || (double) e->value != want[i].value || e->ts != want[i].ts)
        {
            printf("#   event %u: value %g ts %lld, want (%s, %s, %g, "
                   "%lld)\n", (unsigned) i, (double) e->value,
                   (long long) e->ts, want[i].user, want[i].item,
                   want[i].value, (long long) want[i].ts);
            return 0;
        }
    }

    return 1;
}


static void
t_good_interactions(void)
{
    int             rc;
    char           *path, err[512];
    size_t          k;
    recsys_data_t   d;

    static const t_good_t  cases[] = {
        { "ratings.csv header",
          T_S("userId,movieId,rating,timestamp\n"
              "1,31,2.5,1260759144\n"
              "1,1029,3.0,1260759179\n"
              "2,31,4,1260759200\n"),
          1, 3,
          { { "1", "31", 2.5, 1260759144 }, { "1", "1029", 3.0, 1260759179 },
            { "2", "31", 4.0, 1260759200 } } },

        { "user,item header",
          T_S("user,item\nu1,i1\nu2,i2\nu1,i2\n"),
          0, 3,
          { { "u1", "i1", 1.0, T_NT }, { "u2", "i2", 1.0, T_NT },
            { "u1", "i2", 1.0, T_NT } } },

        { "two names after the README's prefixes: a header",
          T_S("customer_id,product_id\nc1,p1\nc2,p1\n"),
          0, 2,
          { { "c1", "p1", 1.0, T_NT }, { "c2", "p1", 1.0, T_NT } } },

        { "listener,track header",
          T_S("listener,track\nann,t9\n"),
          0, 1,
          { { "ann", "t9", 1.0, T_NT } } },

        { "ids after the prefixes, with digits: data",
          T_S("user7,item_3\nuser8,item_4\n"),
          0, 2,
          { { "user7", "item_3", 1.0, T_NT },
            { "user8", "item_4", 1.0, T_NT } } },

        { "reordered named columns",
          T_S("timestamp,rating,itemId,userId\n100,5,i9,u7\n200,0.5,i8,u7\n"),
          1, 2,
          { { "u7", "i9", 5.0, 100 }, { "u7", "i8", 0.5, 200 } } },

        { "no header, 2 columns",
          T_S("1,10\n2,20\n"),
          0, 2,
          { { "1", "10", 1.0, T_NT }, { "2", "20", 1.0, T_NT } } },

        { "no header, 3 columns",
          T_S("1,10,4.5\n2,20,-1\n3,30,+.25\n"),
          1, 3,
          { { "1", "10", 4.5, T_NT }, { "2", "20", -1.0, T_NT },
            { "3", "30", 0.25, T_NT } } },

        { "no header, 4 columns",
          T_S("1,10,4.5,100\n2,20,3,0\n"),
          1, 2,
          { { "1", "10", 4.5, 100 }, { "2", "20", 3.0, 0 } } },

        { "u.data TSV",
          T_S("196\t242\t3\t881250949\n186\t302\t3\t891717742\n"
              "22\t377\t1\t878887116\n"),
          1, 3,
          { { "196", "242", 3.0, 881250949 }, { "186", "302", 3.0, 891717742 },
            { "22", "377", 1.0, 878887116 } } },

        { "string ids: quoting and UTF-8",
          T_S("user_id,item_id\n"
              "\"smith, j\",tt0111161\n"
              "\xc3\xa9milie,\"a \"\"b\"\"\"\n"
              "\xf0\x9f\x98\x80,\xe2\x82\xac\n"),
          0, 3,
          { { "smith, j", "tt0111161", 1.0, T_NT },
            { "\xc3\xa9milie", "a \"b\"", 1.0, T_NT },
            { "\xf0\x9f\x98\x80", "\xe2\x82\xac", 1.0, T_NT } } },

        { "BOM, CRLF and blank lines",
          T_S("\xef\xbb\xbfuserId,itemId,rating\r\n\r\n1,2,3\r\n\n4,5,1\r\n"),
          1, 2,
          { { "1", "2", 3.0, T_NT }, { "4", "5", 1.0, T_NT } } },

        { "extra columns are ignored",
          T_S("1,2,3,4,extra\n5,6,7,8,more,and more\n"),
          1, 2,
          { { "1", "2", 3.0, 4 }, { "5", "6", 7.0, 8 } } },
    };

    for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        rc = t_ingest_file(recsys_ingest_interactions, &d, ".csv",
                           cases[k].data, cases[k].len, err, sizeof(err),
                           &path);
        if (rc == T_SETUP) {
            tap_ok(0, "%s: set up", cases[k].name);
            continue;
        }

        tap_is_int(rc, RECSYS_OK, "%s: ingested", cases[k].name);
        if (rc != RECSYS_OK) {
            printf("#   %s\n", err);
        }

        tap_ok(t_events_are(&d, cases[k].ev, cases[k].n),
               "%s: %u events as written", cases[k].name,
               (unsigned) cases[k].n);
        tap_is_int(d.has_rating, cases[k].has_rating, "%s: has_rating %d",
                   cases[k].name, cases[k].has_rating);

        recsys_data_free(&d);
        t_drop(path);
    }
}


/*
 * A first row whose ids happen to begin like column names ("user1",
 * "item1") but whose rating and timestamp are numbers is data, not a
 * header: taking it for one drops an interaction without a word.
 */
static void
t_header_lookalike(void)
{
    int            rc;
    char          *path, err[512];
    recsys_data_t  d;

    static const t_ev_t  want[] = {
        { "user1", "item1", 5.0, 1000 }, { "user2", "item2", 4.0, 1001 }
    };

    rc = t_ingest_file(recsys_ingest_interactions, &d, ".csv",
                       T_S("user1,item1,5,1000\nuser2,item2,4,1001\n"),
                       err, sizeof(err), &path);
    if (rc == T_SETUP) {
        tap_ok(0, "header lookalike: set up");
        return;
    }

    tap_ok(rc == RECSYS_OK && t_events_are(&d, want, 2),
           "no header, ids \"user1\",\"item1\" in the first row: 2 events");

    recsys_data_free(&d);
    t_drop(path);
}


static void
t_bad_interactions(void)
{
    int             rc;
    char           *path, err[512], prefix[512], *big;
    size_t          k, len;
    recsys_data_t   d;

    static const t_bad_t  cases[] = {
        { "non-numeric rating",
          T_S("user,item,rating\n1,2,5\n1,3,abc\n"), 3, "rating" },
        { "rating with an exponent",
          T_S("1,2,5\n1,3,1e3\n"), 2, "rating" },
        { "empty rating",
          T_S("1,2,5\n1,3,\n"), 2, "rating" },
        { "non-integer timestamp",
          T_S("user,item,rating,timestamp\n1,2,5,100\n1,3,4,12.5\n"), 3,
          "timestamp" },
        { "date as timestamp",
          T_S("1,2,5,100\n1,3,4,2024-01-01\n"), 2, "timestamp" },
        { "too few fields",
          T_S("1,2,5,100\n1,3\n"), 2, "fields" },
        { "too few fields after a named header",
          T_S("userId,movieId,rating,timestamp\n1,2,3,4\n\n1,2,3\n"), 4,
          "fields" },
        { "empty user id, after a blank line",
          T_S("1,2,5\n\n,3,4\n"), 3, "user id" },
        { "empty item id",
          T_S("1,2\n3,\n"), 2, "item id" },
        { "invalid UTF-8 id",
          T_S("1,2\n\xc3\x28,3\n"), 2, "user id" },
        { "overlong UTF-8 item id",
          T_S("1,2\n3,\xc0\xaf\n"), 2, "item id" },
        { "NUL in an id",
          T_S("1,2\n4\0005,3\n"), 2, "user id" },
        { "unterminated quote",
          T_S("1,2\n3,\"4\n5,6\n"), 2, "unterminated" },
        { "one field only, no header",
          T_S("1\n2\n"), 1, "user and item" },
        { "header without user or item",
          T_S("rating,timestamp\n1,2\n"), 1, "header" },
        { "bad row after a quoted field with line breaks",
          T_S("user,item\n\"a\nb\",1\n2,\n"), 4, "item id" },
    };

    for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        rc = t_ingest_file(recsys_ingest_interactions, &d, ".csv",
                           cases[k].data, cases[k].len, err, sizeof(err),
                           &path);
        if (rc == T_SETUP) {
            tap_ok(0, "%s: set up", cases[k].name);
            continue;
        }
        snprintf(prefix, sizeof(prefix), "%s:%u: ", path, cases[k].line);

        tap_ok(rc == RECSYS_EINVAL
               && strncmp(err, prefix, strlen(prefix)) == 0
               && strstr(err + strlen(prefix), cases[k].why) != NULL,
               "bad row, %s: RECSYS_EINVAL, \"PATH:%u: ...%s...\"",
               cases[k].name, cases[k].line, cases[k].why);
        if (rc != RECSYS_EINVAL || strncmp(err, prefix, strlen(prefix)) != 0)
        {
            printf("#   status %d: %s\n", rc, err);
        }

        recsys_data_free(&d);
        t_drop(path);
    }

    /* ids at the length limit: 256 bytes pass, 257 bytes fail */

    big = malloc(600);
    if (big == NULL) {
        tap_ok(0, "long ids: memory");
        return;
    }

    for (k = 256; k <= 257; k++) {
        memcpy(big, "1,2\n", 4);
        memset(big + 4, 'u', k);
        memcpy(big + 4 + k, ",3\n", 3);
        len = 4 + k + 3;

        rc = t_ingest_file(recsys_ingest_interactions, &d, ".csv", big, len,
                           err, sizeof(err), &path);
        if (rc == T_SETUP) {
            tap_ok(0, "long ids: set up");
            continue;
        }
        snprintf(prefix, sizeof(prefix), "%s:2: ", path);

        if (k == 256) {
            tap_ok(rc == RECSYS_OK && d.n_events == 2 && d.users.n == 2,
                   "a 256-byte user id is accepted");

        } else {
            tap_ok(rc == RECSYS_EINVAL
                   && strncmp(err, prefix, strlen(prefix)) == 0
                   && strstr(err, "user id") != NULL,
                   "a 257-byte user id: RECSYS_EINVAL, \"PATH:2: user id..\"");
            if (rc != RECSYS_EINVAL) {
                printf("#   status %d: %s\n", rc, err);
            }
        }

        recsys_data_free(&d);
        t_drop(path);
    }

    free(big);

    /*
     * a file with a header and nothing else: no rows and no error (one
     * of several logs may be empty; the caller judges them together)
     */

    path = t_file(".csv", T_S("userId,itemId\n\n"));
    if (path != NULL && recsys_data_init(&d) == RECSYS_OK) {
        rc = recsys_ingest_interactions(&d, path, err, sizeof(err));
        tap_ok(rc == RECSYS_OK && d.n_events == 0,
               "a header only: RECSYS_OK and no rows");
        recsys_data_free(&d);
    }

    t_drop(path);

    if (recsys_data_init(&d) == RECSYS_OK) {
        rc = recsys_ingest_interactions(&d, "/nonexistent/recsys.csv", err,
                                        sizeof(err));
        tap_ok(rc == RECSYS_EIO
               && strncmp(err, "/nonexistent/recsys.csv: ", 25) == 0,
               "a missing file: RECSYS_EIO naming the path (%s)", err);
        recsys_data_free(&d);
    }
}


/* Checks each id's rendered meta in d against want. */
static int
t_meta_are(const recsys_data_t *d, const t_meta_t *want, size_t n)
{
    int          ok;
    size_t       i;
    uint32_t     item;
    const char  *got;

    ok = 1;

    for (i = 0; i < n; i++) {
        if (recsys_dict_find(&d->items, want[i].id, strlen(want[i].id),
                             &item) != RECSYS_OK)
        {
            printf("#   item %s not interned\n", want[i].id);
            ok = 0;
            continue;
        }

        got = item < d->cap_meta ? d->item_meta[item] : NULL;

        if (got == NULL || strcmp(got, want[i].meta) != 0) {
            printf("#   item %s: meta %s\n#   want %s\n", want[i].id,
                   got != NULL ? got : "(none)", want[i].meta);
            ok = 0;
        }
    }

    return ok;
}


/* Ingests one catalog; returns the status, err filled. */
static int
t_catalog(recsys_data_t *d, const char *suffix, const char *data,
    size_t len, char *err, size_t errlen, char **path_out)
{
    return t_ingest_file(recsys_ingest_catalog, d, suffix, data, len, err,
                         errlen, path_out);
}


static void
t_catalogs(void)
{
    int            rc;
    char          *path, err[512], prefix[512];
    size_t         k;
    recsys_data_t  d;

    static const char  csv[] =
        "movieId,title,genres\n"
        "1,Toy Story (1995),Adventure|Animation|Children\n"
        "2,\"American President, The (1995)\",Comedy|Drama|Romance\n"
        "3,\"Hello \"\"World\"\"\",Comedy\n"
        "4,Nothing Listed,(no genres listed)\n"
        "5,\"Am\xc3\xa9lie \\ slash/ tab\t\",\n"
        "6,,Drama||Crime|\n"
        "7,\"Two\nLines\",Film-Noir\n";

    static const t_meta_t  csv_want[] = {
        { "1", "\"title\":\"Toy Story (1995)\","
               "\"genres\":[\"Adventure\",\"Animation\",\"Children\"]" },
        { "2", "\"title\":\"American President, The (1995)\","
               "\"genres\":[\"Comedy\",\"Drama\",\"Romance\"]" },
        { "3", "\"title\":\"Hello \\\"World\\\"\",\"genres\":[\"Comedy\"]" },
        { "4", "\"title\":\"Nothing Listed\",\"genres\":[]" },
        { "5", "\"title\":\"Am\xc3\xa9lie \\\\ slash/ tab\\t\","
               "\"genres\":[]" },
        { "6", "\"title\":null,\"genres\":[\"Drama\",\"Crime\"]" },
        { "7", "\"title\":\"Two\\nLines\",\"genres\":[\"Film-Noir\"]" },
    };

    static const char  csv_nohdr[] = "10,Ten,Drama\n11,\"Eleven, or 11\",\n";
    static const t_meta_t  csv_nohdr_want[] = {
        { "10", "\"title\":\"Ten\",\"genres\":[\"Drama\"]" },
        { "11", "\"title\":\"Eleven, or 11\",\"genres\":[]" },
    };

    static const char  csv_cols[] = "id,genres,year,title\n"
                                    "a,X|Y,1999,Alpha\n";
    static const t_meta_t  csv_cols_want[] = {
        { "a", "\"title\":\"Alpha\",\"genres\":[\"X\",\"Y\"]" },
    };

    static const char  jsonl[] =
        "{\"id\":\"tt1\",\"title\":\"One\",\"genres\":[\"Drama\",\"Crime\"]}\n"
        "{\"id\":42,\"title\":\"Forty \\\"two\\\"\","
        "\"genres\":\"Sci-Fi|Comedy\"}\r\n"
        "\n"
        "{\"id\":\"x\",\"title\":\"No genres\"}\n"
        "{\"id\":-7,\"genres\":[]}\n"
        "{\"title\":\"Am\\u00e9lie\",\"id\":\"am\","
        "\"genres\":\"(no genres listed)\"}\n"
        "{\"id\":\"n\",\"title\":\"Numbers\",\"genres\":[1,\"Real\",null]}";

    static const t_meta_t  jsonl_want[] = {
        { "tt1", "\"title\":\"One\",\"genres\":[\"Drama\",\"Crime\"]" },
        { "42", "\"title\":\"Forty \\\"two\\\"\","
                "\"genres\":[\"Sci-Fi\",\"Comedy\"]" },
        { "x", "\"title\":\"No genres\",\"genres\":[]" },
        { "-7", "\"title\":null,\"genres\":[]" },
        { "am", "\"title\":\"Am\xc3\xa9lie\",\"genres\":[]" },
        { "n", "\"title\":\"Numbers\",\"genres\":[\"Real\"]" },
    };

    static const char  sniffed[] =
        "  \n{\"id\":\"s1\",\"title\":\"Sniffed\",\"genres\":\"A\"}\n";
    static const t_meta_t  sniffed_want[] = {
        { "s1", "\"title\":\"Sniffed\",\"genres\":[\"A\"]" },
    };

    static const t_meta_t  empty_genre_want[] = {
        { "e", "\"title\":\"E\",\"genres\":[\"Drama\"]" },
    };

    static const t_bad_catalog_t  bad[] = {
        { "catalog CSV: duplicate id, after a blank line, is RECSYS_EINVAL "
          "at \"PATH:5: \"",
          T_S("id,title,genres\n1,A,X\n2,B,Y\n\n1,C,Z\n"), 5, "duplicate",
          ".csv" },
        { "catalog CSV: too few fields is RECSYS_EINVAL at \"PATH:2: \"",
          T_S("1,A,X\n2\n"), 2, NULL, ".csv" },
        { "catalog CSV: a title of invalid UTF-8 is RECSYS_EINVAL at "
          "\"PATH:2: \"", T_S("1,A,X\n2,\"B\xff\",Y\n"), 2, NULL, ".csv" },
        { "catalog JSON Lines: 42 and \"42\" are one id: duplicate at "
          "\"PATH:2: \"", T_S("{\"id\":42}\n{\"id\":\"42\"}\n"), 2,
          "duplicate", ".jsonl" },
        { "catalog JSON Lines: a line that is not JSON at \"PATH:2: \"",
          T_S("{\"id\":\"a\"}\nnot json\n"), 2, NULL, ".jsonl" },
        { "catalog JSON Lines: a fractional id at \"PATH:2: \"",
          T_S("\n{\"id\":1.5}\n"), 2, "id", ".jsonl" },
        { "catalog JSON Lines: an empty id at \"PATH:1: \"",
          T_S("{\"id\":\"\"}\n"), 1, NULL, ".jsonl" },
    };

    /* CSV with a header */

    rc = t_catalog(&d, ".csv", csv, sizeof(csv) - 1, err, sizeof(err),
                   &path);
    tap_is_int(rc, RECSYS_OK, "catalog CSV: ingested");
    if (rc != RECSYS_OK) {
        printf("#   %s\n", err);
    }
    tap_ok(t_meta_are(&d, csv_want, 7) && d.catalog_items == 7
           && d.items.n == 7,
           "catalog CSV: quoted titles, \"\" quotes, (no genres listed), "
           "empty genres: meta as written");
    tap_is_int(d.n_events, 0, "catalog CSV: no events");
    if (rc != T_SETUP) {
        recsys_data_free(&d);
    }
    t_drop(path);

    rc = t_catalog(&d, ".csv", csv_nohdr, sizeof(csv_nohdr) - 1, err,
                   sizeof(err), &path);
    tap_ok(rc == RECSYS_OK && t_meta_are(&d, csv_nohdr_want, 2)
           && d.items.n == 2,
           "catalog CSV without a header: id,title,genres");
    if (rc != T_SETUP) {
        recsys_data_free(&d);
    }
    t_drop(path);

    rc = t_catalog(&d, ".csv", csv_cols, sizeof(csv_cols) - 1, err,
                   sizeof(err), &path);
    tap_ok(rc == RECSYS_OK && t_meta_are(&d, csv_cols_want, 1),
           "catalog CSV: columns found by name in any order");
    if (rc != T_SETUP) {
        recsys_data_free(&d);
    }
    t_drop(path);

    /* JSON Lines */

    rc = t_catalog(&d, ".jsonl", jsonl, sizeof(jsonl) - 1, err, sizeof(err),
                   &path);
    tap_is_int(rc, RECSYS_OK, "catalog JSON Lines: ingested");
    if (rc != RECSYS_OK) {
        printf("#   %s\n", err);
    }
    tap_ok(t_meta_are(&d, jsonl_want, 6) && d.catalog_items == 6
           && d.items.n == 6,
           "catalog JSON Lines: string and integer ids, genres as array and "
           "as \"a|b\": meta as written");
    if (rc != T_SETUP) {
        recsys_data_free(&d);
    }
    t_drop(path);

    rc = t_catalog(&d, "", sniffed, sizeof(sniffed) - 1, err, sizeof(err),
                   &path);
    tap_ok(rc == RECSYS_OK && t_meta_are(&d, sniffed_want, 1),
           "catalog JSON Lines recognised by content, not by name");
    if (rc != T_SETUP) {
        recsys_data_free(&d);
    }
    t_drop(path);

    /*
     * An empty string in a genres array: recsys_ingest_render_meta() skips
     * empty genres on purpose, so the item should keep ["Drama"].
     */
    rc = t_catalog(&d, ".jsonl",
                   T_S("{\"id\":\"e\",\"title\":\"E\","
                       "\"genres\":[\"Drama\",\"\"]}\n"),
                   err, sizeof(err), &path);
    if (rc != RECSYS_OK) {
        printf("#   status %d: %s\n", rc, err);
    }
    tap_ok(rc == RECSYS_OK && t_meta_are(&d, empty_genre_want, 1),
           "catalog JSON Lines: genres [\"Drama\",\"\"] gives [\"Drama\"]");
    if (rc != T_SETUP) {
        recsys_data_free(&d);
    }
    t_drop(path);

    /* bad catalogs: RECSYS_EINVAL, "PATH:LINE: ...why..." */

    for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        rc = t_catalog(&d, bad[k].suffix, bad[k].data, bad[k].len, err,
                       sizeof(err), &path);
        snprintf(prefix, sizeof(prefix), "%s:%u: ", path ? path : "",
                 bad[k].line);
        tap_ok(rc == RECSYS_EINVAL
               && strncmp(err, prefix, strlen(prefix)) == 0
               && (bad[k].why == NULL || strstr(err, bad[k].why) != NULL),
               "%s", bad[k].name);
        if (rc != RECSYS_EINVAL) {
            printf("#   status %d: %s\n", rc, err);
        }
        if (rc != T_SETUP) {
            recsys_data_free(&d);
        }
        t_drop(path);
    }
}


static void
t_render_meta(void)
{
    char          *s;
    const char    *genres[3];
    size_t         lens[3];

    genres[0] = "Action";
    lens[0] = 6;
    genres[1] = "Sci-Fi|x";
    lens[1] = 6;
    genres[2] = "\xc3\xa9t\xc3\xa9";
    lens[2] = 5;

    s = recsys_ingest_render_meta("Alien <1979> & \"co\"", 19, genres, lens,
                                  3);
    tap_ok(s != NULL
           && strcmp(s, "\"title\":\"Alien <1979> & \\\"co\\\"\","
                        "\"genres\":[\"Action\",\"Sci-Fi\","
                        "\"\xc3\xa9t\xc3\xa9\"]") == 0,
           "render_meta: lengths honoured, quotes escaped, UTF-8 kept (%s)",
           s != NULL ? s : "NULL");
    free(s);

    s = recsys_ingest_render_meta("\x01\x1f", 2, NULL, NULL, 0);
    tap_ok(s != NULL
           && strcmp(s, "\"title\":\"\\u0001\\u001F\",\"genres\":[]") == 0,
           "render_meta: control characters escaped (%s)",
           s != NULL ? s : "NULL");
    free(s);

    s = recsys_ingest_render_meta("\xed\xa0\x80", 3, NULL, NULL, 0);
    tap_ok(s == NULL, "render_meta: a surrogate in the title is refused");
    free(s);
}


/*
 * Renumbering.  Catalog first (ids 10, 9, b), then interactions:
 *
 *   user   item        first seen: users z 10 007 7 2
 *   z      7                       items 10 9 b 7 a
 *   10     9
 *   007    b          natural order: users 2 7 007 10 z  -> 0 1 2 3 4
 *   7      10                        items 7 9 10 a b   -> 0 1 2 3 4
 *   2      a
 *   z      b
 */
static void
t_finish(void)
{
    int            rc, ok;
    char          *cpath, *ipath, err[512];
    size_t         i;
    uint32_t       idx;
    recsys_data_t  d;

    static const char  *users_order[] = { "2", "7", "007", "10", "z" };
    static const char  *items_order[] = { "7", "9", "10", "a", "b" };
    static const t_ev_t  rows[] = {
        { "z", "7", 1.0, T_NT }, { "10", "9", 1.0, T_NT },
        { "007", "b", 1.0, T_NT }, { "7", "10", 1.0, T_NT },
        { "2", "a", 1.0, T_NT }, { "z", "b", 1.0, T_NT },
    };
    static const t_meta_t  meta_want[] = {
        { "10", "\"title\":\"Ten\",\"genres\":[\"T\"]" },
        { "9", "\"title\":\"Nine\",\"genres\":[\"N\"]" },
        { "b", "\"title\":\"Bee\",\"genres\":[\"B\"]" },
    };

    cpath = t_file(".csv", T_S("id,title,genres\n10,Ten,T\n9,Nine,N\n"
                               "b,Bee,B\n"));
    ipath = t_file(".csv", T_S("user,item\nz,7\n10,9\n007,b\n7,10\n2,a\n"
                               "z,b\n"));

    if (cpath == NULL || ipath == NULL || recsys_data_init(&d) != RECSYS_OK)
    {
        tap_ok(0, "finish: set up");
        t_drop(cpath);
        t_drop(ipath);
        return;
    }

    rc = recsys_ingest_catalog(&d, cpath, err, sizeof(err));
    if (rc == RECSYS_OK) {
        rc = recsys_ingest_interactions(&d, ipath, err, sizeof(err));
    }

    tap_ok(rc == RECSYS_OK && t_key_is(&d.items, 0, "10")
           && t_key_is(&d.items, 3, "7") && t_key_is(&d.users, 0, "z"),
           "finish: before, indexes follow first sight");

    if (rc == RECSYS_OK) {
        rc = recsys_ingest_finish(&d, err, sizeof(err));
    }

    tap_is_int(rc, RECSYS_OK, "finish: renumbered");

    ok = d.users.n == 5;
    for (i = 0; ok && i < 5; i++) {
        ok = t_key_is(&d.users, (uint32_t) i, users_order[i])
             && recsys_dict_find(&d.users, users_order[i],
                                 strlen(users_order[i]), &idx) == RECSYS_OK
             && idx == i;
    }
    tap_ok(ok, "finish: users in natural order 2, 7, 007, 10, z");

    ok = d.items.n == 5;
    for (i = 0; ok && i < 5; i++) {
        ok = t_key_is(&d.items, (uint32_t) i, items_order[i])
             && recsys_dict_find(&d.items, items_order[i],
                                 strlen(items_order[i]), &idx) == RECSYS_OK
             && idx == i;
    }
    tap_ok(ok, "finish: items in natural order 7, 9, 10, a, b");

    tap_ok(t_events_are(&d, rows, 6),
           "finish: every event still names its row's user and item");

    tap_ok(t_meta_are(&d, meta_want, 3) && d.cap_meta == 5
           && d.item_meta[0] == NULL && d.item_meta[3] == NULL,
           "finish: meta follows its item; items without a catalog row "
           "have none");

    recsys_data_free(&d);
    t_drop(cpath);
    t_drop(ipath);
}


/*
 * recsys_train_build_release: the log's rows freed, the training data the
 * same as recsys_train_build's.  By hand: u1 rated a 3 at 100, b 4 at 50,
 * a 5 at 200 (a's latest row stands); u2 rated b 1 at 10.  by_user: u1
 * (a 5, b 4), u2 (b 1); seq: u1 (b 4 at 50, a 5 at 200), u2 (b 1 at 10);
 * by_item: a (u1 5), b (u1 4, u2 1).
 */
static void
t_release(void)
{
    int             rc1, rc2;
    char           *p1, *p2, err[512];
    recsys_data_t   d1, d2;
    recsys_train_t  t1, t2;

    static const char  log[] = "user,item,rating,timestamp\n"
                               "u1,a,3,100\nu1,b,4,50\nu1,a,5,200\n"
                               "u2,b,1,10\n";

    rc1 = t_ingest_file(recsys_ingest_interactions, &d1, ".csv", T_S(log),
                        err, sizeof(err), &p1);
    rc2 = t_ingest_file(recsys_ingest_interactions, &d2, ".csv", T_S(log),
                        err, sizeof(err), &p2);

    if (rc1 == T_SETUP || rc2 == T_SETUP) {
        tap_ok(0, "release: set up");
        if (rc1 != T_SETUP) {
            recsys_data_free(&d1);
        }
        if (rc2 != T_SETUP) {
            recsys_data_free(&d2);
        }
        t_drop(p1);
        t_drop(p2);
        return;
    }

    if (rc1 == RECSYS_OK && rc2 == RECSYS_OK) {
        rc1 = recsys_ingest_finish(&d1, err, sizeof(err));
        rc2 = recsys_ingest_finish(&d2, err, sizeof(err));
    }

    if (rc1 == RECSYS_OK && rc2 == RECSYS_OK) {
        rc1 = recsys_train_build(&d1, &t1);
        rc2 = recsys_train_build_release(&d2, &t2);
    }

    tap_ok(rc1 == RECSYS_OK && rc2 == RECSYS_OK, "release: both laid out");

    if (rc1 == RECSYS_OK && rc2 == RECSYS_OK) {
        tap_ok(d2.events == NULL && d2.n_events == 4 && d1.events != NULL,
               "release: the rows are gone, still counted (4)");
        tap_ok(t2.by_user.n_entries == 3
               && t2.by_user.entries[0].item == 0
               && t2.by_user.entries[0].score == 5.0f
               && t2.by_user.entries[1].item == 1
               && t2.by_user.entries[1].score == 4.0f
               && t2.by_user.entries[2].item == 1
               && t2.by_user.entries[2].score == 1.0f,
               "release: by_user by hand");
        tap_ok(t2.seq.entries[0].item == 1 && t2.seq.entries[1].item == 0
               && t2.seq_time[0] == 50 && t2.seq_time[1] == 200
               && t2.seq_time[2] == 10,
               "release: seq and its times by hand");
        tap_ok(t2.by_item.offsets[1] == 1 && t2.by_item.entries[0].item == 0
               && t2.by_item.entries[2].item == 1
               && t2.by_item.entries[2].score == 1.0f,
               "release: by_item by hand");
        tap_ok(t_csr_same(&t1.by_user, &t2.by_user)
               && t_csr_same(&t1.seq, &t2.seq)
               && t_csr_same(&t1.by_item, &t2.by_item)
               && memcmp(t1.seq_time, t2.seq_time, 3 * sizeof(int64_t)) == 0,
               "release: the same training data as recsys_train_build");
        recsys_train_free(&t1);
        recsys_train_free(&t2);
    }

    recsys_data_free(&d1);
    recsys_data_free(&d2);
    t_drop(p1);
    t_drop(p2);
}


/*
 * The rows laid out in place (recsys_train_build_release) when users
 * interleave in the file and rows tie on time.  By hand, ids in natural
 * order (u1 u2 u3 = 0 1 2, a b c = 0 1 2), rows numbered by file position:
 * u1 has b 2 @7 (1), a 4 @7 (3), c 1 @3 (5); u2 has c 1 @5 (0), a 5 @5
 * (4), c 3 @5 (7), whose later c stands (3); u3 has a 3 @7 (2), a 2 @7
 * (6), the later standing (2).  by_user: u1 a4 b2 c1, u2 a5 c3, u3 a2;
 * seq by time then file position: u1 c b a (@3 @7 @7), u2 a c (@5 @5),
 * u3 a (@7); by_item: a u1 4 u2 5 u3 2, b u1 2, c u1 1 u2 3.
 */
static void
t_release_interleaved(void)
{
    int             rc, ok;
    char           *path, err[512];
    uint32_t        k;
    recsys_data_t   d;
    recsys_train_t  t;

    static const char      log[] = "user,item,rating,timestamp\n"
                                   "u2,c,1,5\nu1,b,2,7\nu3,a,3,7\n"
                                   "u1,a,4,7\nu2,a,5,5\nu1,c,1,3\n"
                                   "u3,a,2,7\nu2,c,3,5\n";
    static const uint32_t  by_user[] = { 0, 1, 2, 0, 2, 0 };
    static const float     by_user_v[] = { 4, 2, 1, 5, 3, 2 };
    static const uint32_t  seq[] = { 2, 1, 0, 0, 2, 0 };
    static const int64_t   seq_time[] = { 3, 7, 7, 5, 5, 7 };
    static const uint32_t  by_item[] = { 0, 1, 2, 0, 0, 1 };
    static const float     by_item_v[] = { 4, 5, 2, 2, 1, 3 };

    rc = t_ingest_file(recsys_ingest_interactions, &d, ".csv", T_S(log),
                       err, sizeof(err), &path);
    if (rc == T_SETUP) {
        tap_ok(0, "interleaved: set up");
        return;
    }

    if (rc == RECSYS_OK) {
        rc = recsys_ingest_finish(&d, err, sizeof(err));
    }

    if (rc == RECSYS_OK) {
        rc = recsys_train_build_release(&d, &t);
    }

    tap_ok(rc == RECSYS_OK && t.by_user.n_entries == 6
           && t.by_user.offsets[1] == 3 && t.by_user.offsets[2] == 5
           && t.seq.offsets[1] == 3 && t.by_item.offsets[1] == 3
           && t.by_item.offsets[2] == 4,
           "interleaved: 6 pairs, rows of 3 2 1 by user, 3 1 2 by item (%s)",
           err);

    if (rc == RECSYS_OK) {
        ok = 1;
        for (k = 0; k < 6; k++) {
            ok = ok && t.by_user.entries[k].item == by_user[k]
                 && t.by_user.entries[k].score == by_user_v[k]
                 && t.seq.entries[k].item == seq[k]
                 && t.seq_time[k] == seq_time[k]
                 && t.by_item.entries[k].item == by_item[k]
                 && t.by_item.entries[k].score == by_item_v[k];
        }

        tap_ok(ok, "interleaved: by_user, seq, its times, by_item by hand");
        recsys_train_free(&t);
    }

    recsys_data_free(&d);
    t_drop(path);
}


int
main(void)
{
    if (mkdtemp(t_dir) == NULL) {
        tap_ok(0, "temporary directory");
        return tap_done();
    }

    t_good_interactions();
    t_header_lookalike();
    t_bad_interactions();
    t_catalogs();
    t_render_meta();
    t_finish();
    t_release();
    t_release_interleaved();

    rmdir(t_dir);

    return tap_done();
}
