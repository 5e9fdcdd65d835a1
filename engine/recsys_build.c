/*
 * recsys_build.c: the model-building pipeline.
 *
 * Steps, each over dense uint32 indexes:
 *   train    one value per (user, item), laid out by user, by item and in
 *            time order (recsys_train.c); by user it is the "seen" list;
 *   history  each user's newest `history` items, newest first;
 *   itemcf   top-k cosine neighbours (recsys_itemcf.c);
 *   users    each user's item-CF list, scored by recsys_score_itemcf(), the
 *            very function the module falls back to at request time;
 *   write    the LMDB file (recsys_writer.c), published atomically.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "recsys_build.h"
#include "recsys_csr.h"
#include "recsys_itemcf.h"
#include "recsys_query.h"
#include "recsys_schema.h"
#include "recsys_status.h"
#include "recsys_train.h"
#include "recsys_writer.h"


typedef struct {
    recsys_train_t train;       /* by_user is the seen list */
    recsys_csr_t   hist;        /* by user: (item, value), newest first */
    recsys_csr_t   popular;     /* one row */
    recsys_csr_t   nbrs;        /* by item */
    recsys_csr_t   recs;        /* by user */
} recsys_parts_t;


void
recsys_build_defaults(recsys_build_opts_t *o)
{
    memset(o, 0, sizeof(recsys_build_opts_t));

    o->neighbors = 50;
    o->history = 100;
    o->user_top = 100;
}


double
recsys_build_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


/* Each user's newest `history` items, newest first, from train.seq. */
static int
recsys_build_history(const recsys_build_opts_t *o, recsys_parts_t *parts)
{
    uint32_t             u, n, j, from;
    uint64_t             total;
    const recsys_csr_t  *seq;

    seq = &parts->train.seq;

    total = 0;
    for (u = 0; u < seq->n_rows; u++) {
        n = seq->offsets[u + 1] - seq->offsets[u];
        total += n < o->history ? n : o->history;
    }

    if (recsys_csr_alloc(&parts->hist, seq->n_rows, total) != 0) {
        return RECSYS_ENOMEM;
    }

    total = 0;
    for (u = 0; u < seq->n_rows; u++) {
        parts->hist.offsets[u] = (uint32_t) total;
        n = seq->offsets[u + 1] - seq->offsets[u];
        n = n < o->history ? n : o->history;
        from = seq->offsets[u + 1];

        for (j = 0; j < n; j++) {
            parts->hist.entries[total++] = seq->entries[from - 1 - j];
        }
    }

    parts->hist.offsets[seq->n_rows] = (uint32_t) total;

    return RECSYS_OK;
}


static const recsys_csr_t  *recsys_build_sort_by_item;

static int
recsys_build_cmp_popular(const void *a, const void *b)
{
    uint32_t             x, y, cx, cy;
    const recsys_csr_t  *t;

    t = recsys_build_sort_by_item;
    x = *(const uint32_t *) a;
    y = *(const uint32_t *) b;
    cx = t->offsets[x + 1] - t->offsets[x];
    cy = t->offsets[y + 1] - t->offsets[y];

    if (cx != cy) {
        return cx > cy ? -1 : 1;
    }

    return x < y ? -1 : (x > y);
}


/* Items with at least one user, by distinct users, desc. */
static int
recsys_build_popular(uint32_t n_users, recsys_parts_t *parts)
{
    uint32_t             i, n, *order, count;
    const recsys_csr_t  *t;

    t = &parts->train.by_item;

    order = malloc(((size_t) t->n_rows + 1) * sizeof(uint32_t));
    if (order == NULL) {
        return RECSYS_ENOMEM;
    }

    n = 0;
    for (i = 0; i < t->n_rows; i++) {
        if (t->offsets[i + 1] > t->offsets[i]) {
            order[n++] = i;
        }
    }

    recsys_build_sort_by_item = t;
    qsort(order, n, sizeof(uint32_t), recsys_build_cmp_popular);
    recsys_build_sort_by_item = NULL;

    if (recsys_csr_alloc(&parts->popular, 1, n) != 0) {
        free(order);
        return RECSYS_ENOMEM;
    }

    parts->popular.offsets[0] = 0;
    parts->popular.offsets[1] = n;

    for (i = 0; i < n; i++) {
        count = t->offsets[order[i] + 1] - t->offsets[order[i]];
        parts->popular.entries[i].item = order[i];
        parts->popular.entries[i].score = (float) count / (float) n_users;
    }

    free(order);

    return RECSYS_OK;
}


/* A bump allocator for one thread's scoring scratch, reset per user. */
typedef struct {
    char    *base;
    size_t   size;
    size_t   used;
} recsys_arena_t;


static void *
recsys_arena_alloc(void *ctx, size_t size)
{
    void            *p;
    recsys_arena_t  *a;

    a = ctx;
    size = (size + 15) & ~(size_t) 15;

    if (a->used + size > a->size) {
        return NULL;
    }

    p = a->base + a->used;
    a->used += size;

    return p;
}


static int
recsys_build_recs(const recsys_build_opts_t *o, recsys_parts_t *parts)
{
    int              failed;
    uint32_t         n_users, u, k, *count;
    uint64_t         total;
    recsys_list_t    nbrs;
    recsys_entry_t  *slots;

    n_users = parts->train.n_users;
    k = o->user_top;
    nbrs = recsys_csr_view(&parts->nbrs);
    failed = 0;

    count = calloc((size_t) n_users + 1, sizeof(uint32_t));
    slots = malloc(((size_t) n_users * k + 1) * sizeof(recsys_entry_t));

    if (count == NULL || slots == NULL) {
        free(count);
        free(slots);
        return RECSYS_ENOMEM;
    }

#pragma omp parallel
    {
        size_t            max_nbrs;
        uint32_t          n, t;
        recsys_row_t      hist, seen;
        recsys_alloc_t    alloc;
        recsys_arena_t    arena;
        recsys_scored_t  *out;
        recsys_list_t     hist_list, seen_list;

        /* scratch: the accumulator for history x neighbours, the output */
        max_nbrs = (size_t) o->history * o->neighbors;
        arena.size = 4096 + 4 * max_nbrs * 16 + 32 * (size_t) k;
        arena.base = malloc(arena.size);
        arena.used = 0;
        out = malloc(((size_t) k + 1) * sizeof(recsys_scored_t));

        alloc.alloc = recsys_arena_alloc;
        alloc.ctx = &arena;

        hist_list = recsys_csr_view(&parts->hist);
        seen_list = recsys_csr_view(&parts->train.by_user);

        if (arena.base == NULL || out == NULL) {
#pragma omp atomic write
            failed = 1;
        }

#pragma omp for schedule(dynamic, 128)
        for (u = 0; u < n_users; u++) {
            if (arena.base == NULL || out == NULL) {
                continue;
            }

            arena.used = 0;
            hist = recsys_list_row(&hist_list, u);
            seen = recsys_list_row(&seen_list, u);

            if (recsys_score_itemcf(&nbrs, hist, seen, NULL, k, &alloc, out,
                                    &n)
                != RECSYS_OK)
            {
#pragma omp atomic write
                failed = 1;
                continue;
            }

            count[u] = n;
            for (t = 0; t < n; t++) {
                slots[(size_t) u * k + t].item = out[t].item;
                slots[(size_t) u * k + t].score = out[t].score;
            }
        }

        free(arena.base);
        free(out);
    }

    if (failed) {
        free(count);
        free(slots);
        return RECSYS_ENOMEM;
    }

    total = 0;
    for (u = 0; u < n_users; u++) {
        total += count[u];
    }

    if (recsys_csr_alloc(&parts->recs, n_users, total) != 0) {
        free(count);
        free(slots);
        return RECSYS_ENOMEM;
    }

    total = 0;
    for (u = 0; u < n_users; u++) {
        parts->recs.offsets[u] = (uint32_t) total;
        memcpy(parts->recs.entries + total, slots + (size_t) u * k,
               (size_t) count[u] * sizeof(recsys_entry_t));
        total += count[u];
    }

    parts->recs.offsets[n_users] = (uint32_t) total;

    free(count);
    free(slots);

    return RECSYS_OK;
}


static size_t
recsys_build_list_size(const recsys_csr_t *c)
{
    return sizeof(recsys_list_head_t) + ((size_t) c->n_rows + 1) * 4
           + (size_t) c->n_entries * sizeof(recsys_entry_t);
}


static int
recsys_build_write_list(recsys_writer_t *w, const char *name,
    const recsys_csr_t *c, uint32_t *digest)
{
    int                  rc;
    char                *p;
    size_t               i, n;
    recsys_list_head_t   head;

    rc = recsys_writer_reserve(w, RECSYS_W_BLOBS, name,
                               recsys_build_list_size(c), (void **) &p);
    if (rc != RECSYS_OK) {
        return rc;
    }

    memset(&head, 0, sizeof(head));
    head.magic = RECSYS_LIST_MAGIC;
    head.n_rows = c->n_rows;
    head.n_entries = c->n_entries;

    memcpy(p, &head, sizeof(head));
    p += sizeof(head);
    memcpy(p, c->offsets, ((size_t) c->n_rows + 1) * 4);
    p += ((size_t) c->n_rows + 1) * 4;
    n = (size_t) c->n_entries * sizeof(recsys_entry_t);
    memcpy(p, c->entries, n);

    /* FNV-1a over the entries: the model id's digest */
    for (i = 0; i < n; i++) {
        *digest = (*digest ^ (unsigned char) p[i]) * 16777619u;
    }

    return RECSYS_OK;
}


/* The item table: per item its external id, id JSON and meta JSON. */
static int
recsys_build_write_items(recsys_writer_t *w, recsys_data_t *d, size_t *size)
{
    int                   rc;
    char                 *p, **ids, *data;
    size_t                len, total, meta_len;
    uint16_t              u16;
    uint32_t              i, n, off;
    json_t               *js;
    const char           *ext, *meta;
    recsys_table_head_t   head;

    static const char     no_meta[] = "\"title\":null,\"genres\":[]";

    n = d->items.n;
    ids = calloc((size_t) n + 1, sizeof(char *));
    if (ids == NULL) {
        return RECSYS_ENOMEM;
    }

    total = 0;
    rc = RECSYS_OK;

    for (i = 0; i < n; i++) {
        ext = recsys_dict_key(&d->items, i, &len);
        js = json_stringn(ext, len);
        ids[i] = js != NULL ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
        json_decref(js);

        if (ids[i] == NULL) {
            rc = RECSYS_ENOMEM;
            goto done;
        }

        meta = d->item_meta[i] != NULL ? d->item_meta[i] : no_meta;
        total += 4 + len + strlen(ids[i]) + strlen(meta);
    }

    if (total > UINT32_MAX) {
        rc = RECSYS_ELIMIT;
        goto done;
    }

    *size = sizeof(head) + ((size_t) n + 1) * 4 + total;

    rc = recsys_writer_reserve(w, RECSYS_W_BLOBS, RECSYS_BLOB_ITEM_RECORDS,
                               *size, (void **) &p);
    if (rc != RECSYS_OK) {
        goto done;
    }

    memset(&head, 0, sizeof(head));
    head.magic = RECSYS_TABLE_MAGIC;
    head.n_rows = n;
    head.data_size = (uint32_t) total;
    memcpy(p, &head, sizeof(head));

    data = p + sizeof(head) + ((size_t) n + 1) * 4;
    off = 0;

    for (i = 0; i < n; i++) {
        memcpy(p + sizeof(head) + (size_t) i * 4, &off, 4);

        ext = recsys_dict_key(&d->items, i, &len);
        meta = d->item_meta[i] != NULL ? d->item_meta[i] : no_meta;
        meta_len = strlen(meta);

        u16 = (uint16_t) len;
        memcpy(data + off, &u16, 2);
        u16 = (uint16_t) strlen(ids[i]);
        memcpy(data + off + 2, &u16, 2);
        memcpy(data + off + 4, ext, len);
        memcpy(data + off + 4 + len, ids[i], u16);
        memcpy(data + off + 4 + len + u16, meta, meta_len);

        off += (uint32_t) (4 + len + u16 + meta_len);
    }

    memcpy(p + sizeof(head) + (size_t) n * 4, &off, 4);

done:

    for (i = 0; i < n; i++) {
        free(ids[i]);
    }

    free(ids);

    return rc;
}


static const recsys_dict_t  *recsys_build_sort_dict;

/* LMDB's default key order: bytewise, a prefix first. */
static int
recsys_build_cmp_key(const void *a, const void *b)
{
    int          c;
    size_t       alen, blen;
    const char  *ap, *bp;

    ap = recsys_dict_key(recsys_build_sort_dict, *(const uint32_t *) a,
                         &alen);
    bp = recsys_dict_key(recsys_build_sort_dict, *(const uint32_t *) b,
                         &blen);

    c = memcmp(ap, bp, alen < blen ? alen : blen);
    if (c != 0) {
        return c;
    }

    return alen < blen ? -1 : (alen > blen);
}


/* Writes id -> index for every id of a dict, as a sorted bulk load. */
static int
recsys_build_write_index(recsys_writer_t *w, recsys_wdb_t db,
    const recsys_dict_t *dict)
{
    int          rc;
    size_t       len;
    uint32_t     i, *order;
    const char  *key;

    order = malloc(((size_t) dict->n + 1) * sizeof(uint32_t));
    if (order == NULL) {
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < dict->n; i++) {
        order[i] = i;
    }

    recsys_build_sort_dict = dict;
    qsort(order, dict->n, sizeof(uint32_t), recsys_build_cmp_key);
    recsys_build_sort_dict = NULL;

    rc = RECSYS_OK;

    for (i = 0; i < dict->n; i++) {
        key = recsys_dict_key(dict, order[i], &len);

        rc = recsys_writer_put(w, db, key, len, &order[i], 4, 1);
        if (rc != RECSYS_OK) {
            break;
        }
    }

    free(order);

    return rc;
}


static int
recsys_build_put_meta(recsys_writer_t *w, const char *key, const char *val,
    size_t len)
{
    return recsys_writer_put(w, RECSYS_W_META, key, strlen(key), val, len,
                             0);
}


static int
recsys_build_put_json(recsys_writer_t *w, const char *key, json_t *obj)
{
    int    rc;
    char  *s;

    s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);

    if (s == NULL) {
        return RECSYS_ENOMEM;
    }

    rc = recsys_build_put_meta(w, key, s, strlen(s));
    free(s);

    return rc;
}


static int
recsys_build_write(recsys_data_t *d, const recsys_build_opts_t *o,
    recsys_parts_t *parts, const char *out, recsys_build_stats_t *stats,
    char *err, size_t errlen)
{
    int               rc;
    char              ts[32];
    size_t            map_size, items_size;
    time_t            now;
    uint32_t          digest;
    struct tm         tm;
    recsys_header_t   h;
    recsys_writer_t   w;

    now = time(NULL);

    map_size = recsys_build_list_size(&parts->train.by_user)
               + recsys_build_list_size(&parts->hist)
               + recsys_build_list_size(&parts->recs)
               + recsys_build_list_size(&parts->nbrs)
               + recsys_build_list_size(&parts->popular)
               + (d->users.pool_len + d->items.pool_len) * 2
               + ((size_t) d->users.n + d->items.n) * 64;

    /* item records: ids twice, meta, slack for JSON escapes */
    map_size += d->items.pool_len * 8 + (size_t) d->items.n * 64;
    {
        uint32_t  i;

        for (i = 0; i < d->items.n; i++) {
            if (d->item_meta[i] != NULL) {
                map_size += strlen(d->item_meta[i]);
            }
        }
    }

    map_size = map_size * 2 + 64 * 1024 * 1024;

    rc = recsys_writer_open(&w, out, map_size);
    if (rc != RECSYS_OK) {
        snprintf(err, errlen, "%s", w.err);
        recsys_writer_abort(&w);
        return rc;
    }

    digest = 2166136261u;

    rc = recsys_build_write_items(&w, d, &items_size);

    if (rc == RECSYS_OK) {
        rc = recsys_build_write_list(&w, RECSYS_BLOB_POPULAR,
                                     &parts->popular, &digest);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_write_list(&w, RECSYS_BLOB_ITEM_NBRS, &parts->nbrs,
                                     &digest);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_write_list(&w, RECSYS_BLOB_USER_HIST, &parts->hist,
                                     &digest);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_write_list(&w, RECSYS_BLOB_USER_SEEN,
                                     &parts->train.by_user, &digest);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_write_list(&w, RECSYS_BLOB_USER_ITEMCF,
                                     &parts->recs, &digest);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_write_index(&w, RECSYS_W_USERS, &d->users);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_write_index(&w, RECSYS_W_ITEMS, &d->items);
    }

    if (o->model_id != NULL) {
        snprintf(stats->model_id, sizeof(stats->model_id), "%s",
                 o->model_id);

    } else {
        gmtime_r(&now, &tm);
        strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
        snprintf(stats->model_id, sizeof(stats->model_id), "%s-%04x", ts,
                 (digest ^ (digest >> 16)) & 0xffff);
    }

    memset(&h, 0, sizeof(h));
    memcpy(h.magic, RECSYS_MAGIC, RECSYS_MAGIC_LEN);
    h.endian = RECSYS_ENDIAN_PROBE;
    h.format_version = RECSYS_FORMAT_VERSION;
    h.n_users = d->users.n;
    h.n_items = d->items.n;
    h.n_interactions = d->n_events;
    h.build_time = (int64_t) now;
    h.algos = RECSYS_ALGO_POPULAR | RECSYS_ALGO_ITEMCF;
    h.user_top = o->user_top;

    if (rc == RECSYS_OK) {
        rc = recsys_build_put_meta(&w, RECSYS_META_HEADER, (char *) &h,
                                   sizeof(h));
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_put_meta(&w, RECSYS_META_MODEL_ID, stats->model_id,
                                   strlen(stats->model_id));
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_put_json(&w, RECSYS_META_PARAMS,
                 json_pack("{s:s, s:i, s:i, s:i, s:s?, s:s?}",
                           "similarity", "cosine",
                           "neighbors", (json_int_t) o->neighbors,
                           "history", (json_int_t) o->history,
                           "user_top", (json_int_t) o->user_top,
                           "interactions", o->interactions,
                           "items", o->items));
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_put_json(&w, RECSYS_META_STATS,
                 json_pack("{s:i, s:i, s:I, s:I, s:i, s:b, s:I}",
                           "users", (json_int_t) d->users.n,
                           "items", (json_int_t) d->items.n,
                           "rows", (json_int_t) d->n_events,
                           "pairs", (json_int_t) stats->pairs,
                           "catalog_items", (json_int_t) d->catalog_items,
                           "explicit", d->has_rating,
                           "build_time", (json_int_t) now));
    }

    if (rc != RECSYS_OK) {
        snprintf(err, errlen, "writing %s: %s", out,
                 w.err[0] ? w.err : recsys_strerror(rc));
        recsys_writer_abort(&w);
        return rc;
    }

    rc = recsys_writer_publish(&w);
    if (rc != RECSYS_OK) {
        snprintf(err, errlen, "publishing %s: %s", out, w.err);
        recsys_writer_abort(&w);
        return rc;
    }

    return RECSYS_OK;
}


static void
recsys_build_free_parts(recsys_parts_t *parts)
{
    recsys_train_free(&parts->train);
    recsys_csr_free(&parts->hist);
    recsys_csr_free(&parts->popular);
    recsys_csr_free(&parts->nbrs);
    recsys_csr_free(&parts->recs);
}


int
recsys_build_model(recsys_data_t *d, const recsys_build_opts_t *o,
    const char *out, recsys_build_stats_t *stats, char *err, size_t errlen)
{
    int             rc;
    double          t0, t1;
    recsys_parts_t  parts;

    memset(&parts, 0, sizeof(parts));
    memset(stats, 0, sizeof(recsys_build_stats_t));

    t0 = recsys_build_now();

    rc = recsys_train_build(d, &parts.train);
    if (rc == RECSYS_OK) {
        stats->pairs = parts.train.by_user.n_entries;
        rc = recsys_build_history(o, &parts);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_popular(d->users.n, &parts);
    }

    t1 = recsys_build_now();
    stats->seconds_prepare = t1 - t0;

    if (rc == RECSYS_OK) {
        rc = recsys_itemcf_cosine(&parts.train.by_user, &parts.train.by_item,
                                  o->neighbors, &parts.nbrs);
    }

    t0 = recsys_build_now();
    stats->seconds_itemcf = t0 - t1;

    if (rc == RECSYS_OK) {
        rc = recsys_build_recs(o, &parts);
    }

    t1 = recsys_build_now();
    stats->seconds_users = t1 - t0;

    if (rc != RECSYS_OK) {
        snprintf(err, errlen, "building the model: %s", recsys_strerror(rc));
        recsys_build_free_parts(&parts);
        return rc;
    }

    rc = recsys_build_write(d, o, &parts, out, stats, err, errlen);

    stats->seconds_write = recsys_build_now() - t1;

    recsys_build_free_parts(&parts);

    return rc;
}
