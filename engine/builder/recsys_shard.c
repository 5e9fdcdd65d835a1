/*
 * recsys_shard.c: split, stats and merge, the steps of the sharded build
 * before its fit (recsys_shard.h).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <lmdb.h>

#include "recsys_copy.h"
#include "recsys_csv.h"
#include "recsys_hash.h"
#include "recsys_schema.h"
#include "recsys_ingest.h"
#include "recsys_mapped.h"
#include "recsys_shard.h"
#include "recsys_status.h"
#include "recsys_text.h"
#include "recsys_verify.h"
#include "recsys_writer.h"


uint32_t
recsys_shard_of(const char *id, size_t len, uint32_t n)
{
    return recsys_hash_u32(recsys_id_hash(id, len)) % n;
}


/* "dir/sub" made when missing; path gets "dir/sub/name". */
static int
recsys_shard_path(char *path, size_t size, const char *dir, const char *sub,
    const char *name, char *err, size_t errlen)
{
    snprintf(path, size, "%s/%s", dir, sub);

    if ((mkdir(dir, 0755) != 0 && errno != EEXIST)
        || (mkdir(path, 0755) != 0 && errno != EEXIST))
    {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return RECSYS_EIO;
    }

    snprintf(path, size, "%s/%s/%s", dir, sub, name);

    return RECSYS_OK;
}


/* A temporary file beside path, renamed over it by recsys_shard_close. */
static FILE *
recsys_shard_create(const char *path, char *tmp, size_t size, char *err,
    size_t errlen)
{
    FILE  *f;

    snprintf(tmp, size, "%s.tmp.%ld", path, (long) getpid());

    f = fopen(tmp, "w");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
    }

    return f;
}


static int
recsys_shard_close(FILE *f, const char *tmp, const char *path, int rc,
    char *err, size_t errlen)
{
    if (f == NULL) {
        return rc;
    }

    if ((fflush(f) != 0 || fsync(fileno(f)) != 0) && rc == RECSYS_OK) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        rc = RECSYS_EIO;
    }

    if (fclose(f) != 0 && rc == RECSYS_OK) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        rc = RECSYS_EIO;
    }

    if (rc == RECSYS_OK && rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = RECSYS_EIO;
    }

    if (rc != RECSYS_OK) {
        unlink(tmp);
    }

    return rc;
}


/* One CSV field, quoted when it must be (RFC 4180). */
static void
recsys_shard_field(FILE *f, const recsys_field_t *fd)
{
    size_t  i;

    if (memchr(fd->p, ',', fd->len) == NULL
        && memchr(fd->p, '"', fd->len) == NULL
        && memchr(fd->p, '\n', fd->len) == NULL
        && memchr(fd->p, '\r', fd->len) == NULL)
    {
        fwrite(fd->p, 1, fd->len, f);
        return;
    }

    fputc('"', f);

    for (i = 0; i < fd->len; i++) {
        if (fd->p[i] == '"') {
            fputc('"', f);
        }
        fputc(fd->p[i], f);
    }

    fputc('"', f);
}


static void
recsys_shard_record(FILE *f, const recsys_csv_t *csv)
{
    uint32_t  k;

    for (k = 0; k < csv->n_fields; k++) {
        if (k > 0) {
            fputc(',', f);
        }
        recsys_shard_field(f, &csv->fields[k]);
    }

    fputc('\n', f);
}


/*
 * The layout a log's first record gives it: 'header "a,b,c"' (the names
 * as read), or 'no header (user,item[,rating[,timestamp]])' (the columns
 * a log without one has, by its first record's fields).  NULL without
 * memory.
 */
static char *
recsys_shard_layout(const recsys_csv_t *csv, int head)
{
    char      *s, *p;
    size_t     len;
    uint32_t   k;

    if (!head) {
        return strdup(csv->n_fields >= 4 ? "no header (user,item,rating,"
                                           "timestamp)"
                      : csv->n_fields == 3 ? "no header (user,item,rating)"
                      : "no header (user,item)");
    }

    len = sizeof("header \"\"");
    for (k = 0; k < csv->n_fields; k++) {
        len += csv->fields[k].len + 1;
    }

    s = malloc(len);
    if (s == NULL) {
        return NULL;
    }

    p = s + sprintf(s, "header \"");

    for (k = 0; k < csv->n_fields; k++) {
        if (k > 0) {
            *p++ = ',';
        }
        memcpy(p, csv->fields[k].p, csv->fields[k].len);
        p += csv->fields[k].len;
    }

    strcpy(p, "\"");

    return s;
}


/*
 * Every record of one input to its user's shard.  The first log with a
 * record sets the layout (*layout, from *from) and writes its header; a
 * later log must have the same (the shards are read under that header
 * alone), names compared ignoring case, as the ingest matches them.
 */
static int
recsys_shard_split_file(const char *input, char **layout, const char **from,
    FILE **out, uint32_t shards, int *user, char *err, size_t errlen)
{
    int           rc, head, same;
    char         *mine;
    uint32_t      k;
    recsys_csv_t  csv;

    rc = recsys_csv_open_err(&csv, input, 0, err, errlen);
    if (rc != RECSYS_OK) {
        return rc;
    }

    head = -1;

    while ((rc = recsys_csv_next(&csv)) == 1) {
        if (head < 0) {
            head = recsys_ingest_log_head(&csv, user, err, errlen);
            if (head < 0) {
                rc = head;
                break;
            }

            mine = recsys_shard_layout(&csv, head);
            if (mine == NULL) {
                snprintf(err, errlen, "%s: out of memory", input);
                rc = RECSYS_ENOMEM;
                break;
            }

            if (*layout == NULL) {
                *layout = mine;
                *from = input;

                for (k = 0; head && k <= shards; k++) {
                    recsys_shard_record(out[k], &csv);
                }

            } else {
                same = strcasecmp(mine, *layout) == 0;
                if (!same) {
                    snprintf(err, errlen, "%s:%llu: %s, where %s has %s: "
                             "the logs of a sharded build share one header",
                             input, (unsigned long long) csv.line, mine,
                             *from, *layout);
                }

                free(mine);

                if (!same) {
                    rc = RECSYS_EINVAL;
                    break;
                }
            }

            if (head == 1) {
                continue;
            }
        }

        if ((uint32_t) *user >= csv.n_fields) {
            snprintf(err, errlen, "%s:%llu: no user field", input,
                     (unsigned long long) csv.line);
            rc = RECSYS_EINVAL;
            break;
        }

        k = recsys_shard_of(csv.fields[*user].p, csv.fields[*user].len,
                            shards);
        recsys_shard_record(out[k], &csv);
    }

    if (rc < 0 && err[0] == '\0') {
        snprintf(err, errlen, "%s:%llu: %s", input,
                 (unsigned long long) csv.line, csv.err);
    }

    recsys_csv_close(&csv);

    return rc < 0 ? rc : RECSYS_OK;
}


int
recsys_shard_split(const char *dir, uint32_t shards, char *const *inputs,
    int n, char *err, size_t errlen)
{
    int          rc, i, user;
    char         name[64], (*path)[4096], (*tmp)[4096 + 32], *layout;
    FILE       **out;
    uint32_t     k;
    const char  *from;

    /* out[shards] is the header alone, for the merge */
    err[0] = '\0';
    out = calloc(shards + 1, sizeof(FILE *));
    path = calloc(shards + 1, sizeof(*path));
    tmp = calloc(shards + 1, sizeof(*tmp));
    rc = out && path && tmp ? RECSYS_OK : RECSYS_ENOMEM;

    for (k = 0; rc == RECSYS_OK && k <= shards; k++) {
        snprintf(name, sizeof(name), k < shards ? "shard-%u-of-%u.csv"
                                                : "header-of-%u.csv",
                 k < shards ? k : shards, shards);
        rc = recsys_shard_path(path[k], sizeof(path[k]), dir, "split", name,
                               err, errlen);
        if (rc == RECSYS_OK) {
            out[k] = recsys_shard_create(path[k], tmp[k], sizeof(tmp[k]),
                                         err, errlen);
            rc = out[k] ? RECSYS_OK : RECSYS_EIO;
        }
    }

    user = 0;
    layout = NULL;
    from = NULL;

    for (i = 0; rc == RECSYS_OK && i < n; i++) {
        rc = recsys_shard_split_file(inputs[i], &layout, &from, out, shards,
                                     &user, err, errlen);
    }

    free(layout);

    for (k = 0; out != NULL && k <= shards; k++) {
        rc = recsys_shard_close(out[k], tmp[k], path[k], rc, err, errlen);
    }

    free(out);
    free(path);
    free(tmp);

    return rc;
}


/* [[id, count], ...] of a dictionary, counts per index. */
static json_t *
recsys_shard_counts(const recsys_dict_t *d, const uint64_t *count)
{
    size_t       len;
    json_t      *a;
    uint32_t     k;
    const char  *p;

    a = json_array();

    for (k = 0; a != NULL && k < d->n; k++) {
        p = recsys_dict_key(d, k, &len);
        if (json_array_append_new(a, json_pack("[s%I]", p, len,
                                               (json_int_t) count[k]))
            != 0)
        {
            json_decref(a);
            return NULL;
        }
    }

    return a;
}


/* Writes obj (taken) to path through a temporary file. */
static int
recsys_shard_write_json(const char *path, json_t *obj, char *err,
    size_t errlen)
{
    int    rc;
    char   tmp[4096 + 32];
    FILE  *f;

    if (obj == NULL) {
        return RECSYS_ENOMEM;
    }

    f = recsys_shard_create(path, tmp, sizeof(tmp), err, errlen);
    rc = f == NULL ? RECSYS_EIO
         : json_dumpf(obj, f, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0
           ? RECSYS_OK : RECSYS_EIO;
    json_decref(obj);

    return recsys_shard_close(f, tmp, path, rc, err, errlen);
}


int
recsys_shard_stats(const char *dir, uint32_t k, uint32_t shards, char *err,
    size_t errlen)
{
    int             rc;
    char            name[64], in[4096], out[4096];
    size_t          e;
    uint64_t       *users, *items;
    recsys_data_t   d;

    snprintf(name, sizeof(name), "shard-%u-of-%u", k, shards);
    snprintf(in, sizeof(in), "%s/split/%s.csv", dir, name);
    strcat(name, ".json");

    rc = recsys_shard_path(out, sizeof(out), dir, "stats", name, err,
                           errlen);
    if (rc != RECSYS_OK || (rc = recsys_data_init(&d)) != RECSYS_OK) {
        return rc;
    }

    /* few users, many shards: some are empty, and that is no error */
    rc = recsys_ingest_interactions(&d, in, err, errlen);

    if (rc == RECSYS_OK) {
        rc = recsys_ingest_finish(&d, err, errlen);
    }

    users = calloc((size_t) d.users.n + 1, sizeof(uint64_t));
    items = calloc((size_t) d.items.n + 1, sizeof(uint64_t));

    if (rc == RECSYS_OK && users != NULL && items != NULL) {
        for (e = 0; e < d.n_events; e++) {
            users[d.events[e].user]++;
            items[d.events[e].item]++;
        }

        rc = recsys_shard_write_json(out,
                 json_pack("{s:I, s:o*, s:o*}", "rows",
                           (json_int_t) d.n_events,
                           "users", recsys_shard_counts(&d.users, users),
                           "items", recsys_shard_counts(&d.items, items)),
                 err, errlen);

    } else if (rc == RECSYS_OK) {
        rc = RECSYS_ENOMEM;
    }

    free(users);
    free(items);
    recsys_data_free(&d);

    return rc;
}


typedef struct {
    const char  *p;
    size_t       len;
    uint64_t     n;
} recsys_shard_count_t;


static int
recsys_shard_cmp_count(const void *a, const void *b)
{
    const recsys_shard_count_t  *x = a, *y = b;

    return recsys_id_cmp(x->p, x->len, y->p, y->len);
}


/*
 * The sum of the key arrays of docs: ids in natural order, each with the
 * sum of its counts.  NULL when out of memory or a document is malformed.
 */
static json_t *
recsys_shard_sum(json_t **docs, uint32_t n, const char *key)
{
    size_t                 total, k, j, i;
    json_t                *a, *e, *out;
    recsys_shard_count_t  *c;

    total = 0;
    for (k = 0; k < n; k++) {
        total += json_array_size(json_object_get(docs[k], key));
    }

    c = malloc((total ? total : 1) * sizeof(recsys_shard_count_t));
    if (c == NULL) {
        return NULL;
    }

    j = 0;
    for (k = 0; k < n; k++) {
        a = json_object_get(docs[k], key);

        json_array_foreach(a, i, e) {
            if (!json_is_string(json_array_get(e, 0))
                || !json_is_integer(json_array_get(e, 1)))
            {
                free(c);
                return NULL;
            }

            c[j].p = json_string_value(json_array_get(e, 0));
            c[j].len = json_string_length(json_array_get(e, 0));
            c[j++].n = (uint64_t) json_integer_value(json_array_get(e, 1));
        }
    }

    qsort(c, total, sizeof(recsys_shard_count_t), recsys_shard_cmp_count);

    out = json_array();

    for (k = 0; out != NULL && k < total; k = j) {
        for (j = k + 1; j < total && recsys_shard_cmp_count(&c[k], &c[j])
                                     == 0; j++)
        {
            c[k].n += c[j].n;
        }

        if (json_array_append_new(out, json_pack("[s%I]", c[k].p, c[k].len,
                                                 (json_int_t) c[k].n))
            != 0)
        {
            json_decref(out);
            out = NULL;
        }
    }

    free(c);

    return out;
}


/* Appends the file at path to f, its first skip bytes left out. */
static int
recsys_shard_append(FILE *f, const char *path, const char *head,
    size_t skip, char *err, size_t errlen)
{
    char    buf[65536];
    size_t  n;
    FILE   *in;

    in = fopen(path, "r");
    if (in == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return RECSYS_EIO;
    }

    n = skip ? fread(buf, 1, skip, in) : 0;

    if (n != skip || memcmp(buf, head, skip) != 0) {
        snprintf(err, errlen, "%s: does not start with the header", path);
        fclose(in);
        return RECSYS_EINVAL;
    }

    while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
        fwrite(buf, 1, n, f);
    }

    fclose(in);

    return RECSYS_OK;
}


/* merged/interactions.csv: the header once, then every shard's rows. */
static int
recsys_shard_concat(const char *dir, uint32_t shards, char *err,
    size_t errlen)
{
    int     rc;
    char    path[4096], tmp[4096 + 32], in[4096], head[65536];
    size_t  len;
    FILE   *f, *h;
    uint32_t  k;

    snprintf(in, sizeof(in), "%s/split/header-of-%u.csv", dir, shards);
    h = fopen(in, "r");
    if (h == NULL) {
        snprintf(err, errlen, "%s: %s", in, strerror(errno));
        return RECSYS_EIO;
    }

    len = fread(head, 1, sizeof(head), h);
    fclose(h);

    rc = recsys_shard_path(path, sizeof(path), dir, "merged",
                           "interactions.csv", err, errlen);
    if (rc != RECSYS_OK) {
        return rc;
    }

    f = recsys_shard_create(path, tmp, sizeof(tmp), err, errlen);
    if (f == NULL) {
        return RECSYS_EIO;
    }

    fwrite(head, 1, len, f);

    for (k = 0; rc == RECSYS_OK && k < shards; k++) {
        snprintf(in, sizeof(in), "%s/split/shard-%u-of-%u.csv", dir, k,
                 shards);
        rc = recsys_shard_append(f, in, head, len, err, errlen);
    }

    return recsys_shard_close(f, tmp, path, rc, err, errlen);
}


int
recsys_shard_merge(const char *dir, uint32_t shards, char *err,
    size_t errlen)
{
    int           rc;
    char          path[4096];
    json_t      **docs, *users, *items;
    uint32_t      k;
    json_int_t    rows;
    json_error_t  jerr;

    err[0] = '\0';
    docs = calloc(shards, sizeof(json_t *));
    if (docs == NULL) {
        return RECSYS_ENOMEM;
    }

    rc = RECSYS_OK;
    rows = 0;

    for (k = 0; k < shards; k++) {
        snprintf(path, sizeof(path), "%s/stats/shard-%u-of-%u.json", dir, k,
                 shards);
        docs[k] = json_load_file(path, 0, &jerr);

        if (docs[k] == NULL
            || !json_is_integer(json_object_get(docs[k], "rows")))
        {
            snprintf(err, errlen, "%s: %s", path,
                     docs[k] ? "not shard statistics" : jerr.text);
            rc = RECSYS_EINVAL;
            break;
        }

        rows += json_integer_value(json_object_get(docs[k], "rows"));
    }

    if (rc == RECSYS_OK) {
        users = recsys_shard_sum(docs, shards, "users");
        items = recsys_shard_sum(docs, shards, "items");
        rc = recsys_shard_path(path, sizeof(path), dir, "merged",
                               "stats.json", err, errlen);
        if (rc == RECSYS_OK) {
            rc = recsys_shard_write_json(path,
                     users && items ? json_pack("{s:I, s:O, s:O}", "rows",
                                                rows, "users", users,
                                                "items", items)
                                    : NULL,
                     err, errlen);
        }

        json_decref(users);
        json_decref(items);
    }

    for (k = 0; k < shards; k++) {
        json_decref(docs[k]);
    }

    free(docs);

    if (rc == RECSYS_OK) {
        rc = recsys_shard_concat(dir, shards, err, errlen);
    }

    if (rc == RECSYS_ENOMEM && err[0] == '\0') {
        snprintf(err, errlen, "out of memory");
    }

    return rc;
}


/* assemble: the P part models, their user lists joined row by row */
typedef struct {
    uint32_t          shards;
    uint32_t          n_users;
    uint32_t         *owner;    /* per user: the part holding its rows */
    MDB_env         **env;
    MDB_txn         **txn;
    MDB_dbi          *blobs;
    unsigned char    *buf;
    size_t            cap;
    struct stat      *st;       /* the parts' files, then the items part's */
    recsys_mapped_t  *map;      /* their maps, once found */
    int               mapped;
} recsys_shard_join_t;


/* Whether a blob holds a row per user that each part fills for its own. */
static int
recsys_shard_per_user(const MDB_val *key)
{
    size_t  n;

    n = sizeof(RECSYS_BLOB_USER_RECS) - 1;

    return (key->mv_size > n
            && memcmp(key->mv_data, RECSYS_BLOB_USER_RECS, n) == 0)
           || (key->mv_size == sizeof(RECSYS_BLOB_USER_EXPLAIN) - 1
               && memcmp(key->mv_data, RECSYS_BLOB_USER_EXPLAIN,
                         key->mv_size) == 0);
}


/*
 * Adds the bytes of a part's per-user blobs to *size: with the items
 * part's file, a bound of what the assembled model holds (a part's other
 * blobs are the items part's own, read again, and not copied).
 */
static int
recsys_shard_part_size(MDB_txn *txn, MDB_dbi blobs, size_t *size)
{
    int          rc;
    MDB_val      key, val;
    MDB_cursor  *c;

    rc = mdb_cursor_open(txn, blobs, &c);
    if (rc != 0) {
        return rc;
    }

    while ((rc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) == 0) {
        if (recsys_shard_per_user(&key)) {
            *size += val.mv_size;
        }
    }

    mdb_cursor_close(c);

    return rc == MDB_NOTFOUND ? 0 : rc;
}


/*
 * The row range of row u of a list or table blob (head, offsets, data),
 * checked against the blob's size: its first unit and its units.
 */
static int
recsys_shard_row(const MDB_val *v, uint32_t u, size_t unit, uint32_t *from,
    uint32_t *n)
{
    size_t                data;
    uint32_t              rows, to;
    const unsigned char  *p;

    p = v->mv_data;
    rows = recsys_get_u32(p + 4);
    data = 16 + ((size_t) rows + 1) * 4;

    *from = recsys_get_u32(p + 16 + (size_t) u * 4);
    to = recsys_get_u32(p + 16 + (size_t) u * 4 + 4);

    if (to < *from || data + (size_t) to * unit > v->mv_size) {
        return RECSYS_ECORRUPT;
    }

    *n = to - *from;

    return RECSYS_OK;
}


/*
 * Before each blob: the pages of the files read so far (the parts and the
 * items part, mapped by LMDB) are given back, so the assembly's resident
 * size is the blob at hand, not every file it has read (recsys_mapped.h).
 */
static void
recsys_shard_join_release(recsys_shard_join_t *j)
{
    uint32_t  k;

    for (k = 0; k <= j->shards; k++) {
        if (!j->mapped) {
            recsys_mapped_find(&j->map[k], &j->st[k]);
        }

        recsys_mapped_drop(&j->map[k]);
    }

    j->mapped = 1;
}


static int
recsys_shard_join_filter(void *ctx, recsys_wdb_t db, const MDB_val *key,
    MDB_val *val)
{
    size_t                unit, size, at;
    uint32_t              k, rows, u, from, n, total;
    MDB_val               part[RECSYS_SHARD_MAX];
    unsigned char        *p;
    recsys_shard_join_t  *j;

    j = ctx;

    if (db == RECSYS_W_BLOBS) {
        recsys_shard_join_release(j);
    }

    if (db != RECSYS_W_BLOBS || !recsys_shard_per_user(key)
        || val->mv_size < 16)
    {
        return 0;
    }

    rows = recsys_get_u32((unsigned char *) val->mv_data + 4);
    unit = recsys_get_u32(val->mv_data) == RECSYS_LIST_MAGIC ? 8 : 1;
    total = 0;
    from = 0;
    n = 0;

    for (k = 0; k < j->shards; k++) {
        if (mdb_get(j->txn[k], j->blobs[k], (MDB_val *) key, &part[k]) != 0
            || part[k].mv_size < 16 + ((size_t) rows + 1) * 4
            || recsys_get_u32(part[k].mv_data) != recsys_get_u32(
                                                      val->mv_data)
            || recsys_get_u32((unsigned char *) part[k].mv_data + 4) != rows)
        {
            return RECSYS_ECORRUPT;
        }
    }

    if (rows != j->n_users) {
        return RECSYS_ECORRUPT;
    }

    for (u = 0; u < rows; u++) {
        if (recsys_shard_row(&part[j->owner[u]], u, unit, &from, &n) != 0) {
            return RECSYS_ECORRUPT;
        }
        total += n;
    }

    size = 16 + ((size_t) rows + 1) * 4 + (size_t) total * unit;

    if (size > j->cap) {
        p = realloc(j->buf, size);
        if (p == NULL) {
            return RECSYS_ENOMEM;
        }
        j->buf = p;
        j->cap = size;
    }

    p = j->buf;
    memcpy(p, val->mv_data, 16);
    memcpy(p + 8, &total, 4);
    at = 0;

    for (u = 0; u < rows; u++) {
        recsys_shard_row(&part[j->owner[u]], u, unit, &from, &n);
        k = (uint32_t) at;
        memcpy(p + 16 + (size_t) u * 4, &k, 4);
        memcpy(p + 16 + ((size_t) rows + 1) * 4 + at * unit,
               (unsigned char *) part[j->owner[u]].mv_data + 16
               + ((size_t) rows + 1) * 4 + (size_t) from * unit,
               (size_t) n * unit);
        at += n;
    }

    memcpy(p + 16 + (size_t) rows * 4, &total, 4);
    val->mv_data = p;
    val->mv_size = size;

    return 0;
}


/*
 * Each user's part, by the user's index (the natural order of
 * merged/stats.json, the models' own): the split's shard of its id.
 */
static int
recsys_shard_owners(const char *dir, recsys_shard_join_t *j, char *err,
    size_t errlen)
{
    char          path[4096];
    size_t        u;
    json_t       *doc, *users, *id;
    json_error_t  jerr;

    snprintf(path, sizeof(path), "%s/merged/stats.json", dir);
    doc = json_load_file(path, 0, &jerr);
    if (doc == NULL) {
        snprintf(err, errlen, "%s:%d: %s", path, jerr.line, jerr.text);
        return RECSYS_EINVAL;
    }

    users = json_object_get(doc, "users");
    j->n_users = (uint32_t) json_array_size(users);
    j->owner = malloc(((size_t) j->n_users + 1) * sizeof(uint32_t));

    for (u = 0; j->owner != NULL && u < j->n_users; u++) {
        id = json_array_get(json_array_get(users, u), 0);

        if (!json_is_string(id)) {
            snprintf(err, errlen, "%s: not a merged stats file", path);
            json_decref(doc);
            return RECSYS_EINVAL;
        }

        j->owner[u] = recsys_shard_of(json_string_value(id),
                                      json_string_length(id), j->shards);
    }

    json_decref(doc);

    return j->owner != NULL ? RECSYS_OK : RECSYS_ENOMEM;
}


int
recsys_shard_assemble(const char *dir, uint32_t shards, const char *out,
    char *err, size_t errlen)
{
    int                  rc;
    char                 path[4096], why[512];
    size_t               size;
    uint32_t             k;
    recsys_writer_t      w;
    recsys_shard_join_t  j;

    memset(&j, 0, sizeof(j));
    j.shards = shards;
    j.env = calloc(shards, sizeof(MDB_env *));
    j.txn = calloc(shards, sizeof(MDB_txn *));
    j.blobs = calloc(shards, sizeof(MDB_dbi));
    j.st = calloc((size_t) shards + 1, sizeof(struct stat));
    j.map = calloc((size_t) shards + 1, sizeof(recsys_mapped_t));
    rc = j.env && j.txn && j.blobs && j.st && j.map ? RECSYS_OK
                                                    : RECSYS_ENOMEM;
    size = 0;

    if (rc == RECSYS_OK) {
        rc = recsys_shard_owners(dir, &j, err, errlen);
    }

    for (k = 0; rc == RECSYS_OK && k < shards; k++) {
        snprintf(path, sizeof(path), "%s/parts/part-%u-of-%u.mdb", dir, k,
                 shards);
        (void) stat(path, &j.st[k]);

        /* a damaged file is refused before LMDB reads it */
        if (recsys_verify_file(path, why, sizeof(why)) != RECSYS_OK) {
            snprintf(err, errlen, "%s: %s", path, why);
            rc = RECSYS_ECORRUPT;
            break;
        }

        rc = recsys_copy_open(path, &j.env[k], &j.txn[k]);

        if (rc == 0) {
            rc = mdb_dbi_open(j.txn[k], RECSYS_DB_BLOBS, 0, &j.blobs[k]);
        }

        /* the parts' user lists add up to the whole model's: their sum
           bounds them (the parts' files, which each hold the item models
           too, would ask for P times those) */
        if (rc == 0) {
            rc = recsys_shard_part_size(j.txn[k], j.blobs[k], &size);
        }

        if (rc != 0) {
            snprintf(err, errlen, "%s: %s", path, mdb_strerror(rc));
            rc = RECSYS_ELMDB;
        }
    }

    /* the items part: everything but the users' own lists */
    snprintf(path, sizeof(path), "%s/items/items-of-%u.mdb", dir, shards);
    size += rc == RECSYS_OK && stat(path, &j.st[shards]) == 0
            ? (size_t) j.st[shards].st_size : 0;

    if (rc == RECSYS_OK
        && recsys_verify_file(path, why, sizeof(why)) != RECSYS_OK)
    {
        snprintf(err, errlen, "%s: %s", path, why);
        rc = RECSYS_ECORRUPT;
    }

    if (rc == RECSYS_OK) {
        rc = recsys_writer_open(&w, out, size + size / 4 + (8u << 20));

        if (rc == RECSYS_OK) {
            snprintf(path, sizeof(path), "%s/items/items-of-%u.mdb", dir,
                     shards);
            rc = recsys_copy_model(path, &w, recsys_shard_join_filter, &j,
                                   err, errlen);
        }

        if (rc == RECSYS_OK) {
            rc = recsys_writer_publish(&w);
        }

        if (rc != RECSYS_OK) {
            if (err[0] == '\0') {
                snprintf(err, errlen, "%s: %s", out,
                         w.err[0] ? w.err : recsys_strerror(rc));
            }
            recsys_writer_abort(&w);
        }
    }

    for (k = 0; j.env != NULL && k < shards; k++) {
        if (j.txn[k] != NULL) {
            mdb_txn_abort(j.txn[k]);
        }
        if (j.env[k] != NULL) {
            mdb_env_close(j.env[k]);
        }
    }

    free(j.env);
    free(j.txn);
    free(j.blobs);
    free(j.st);
    free(j.map);
    free(j.buf);
    free(j.owner);

    return rc;
}
