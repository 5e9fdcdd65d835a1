/*
 * recsys_build_write.c: storing the builder's results as a model file.
 *
 * Every list goes into the "blobs" database through MDB_RESERVE, written
 * in place; the id indexes are bulk-loaded in LMDB key order (MDB_APPEND);
 * the item table carries each item's pre-rendered JSON.  The model id is
 * the build time and a digest of the lists, unless given.
 */

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "recsys_build_explain.h"
#include "recsys_build_parts.h"
#include "recsys_build_search.h"
#include "recsys_build_stats.h"
#include "recsys_build_write.h"
#include "recsys_clock.h"
#include "recsys_manifest.h"
#include "recsys_model.h"
#include "recsys_source.h"
#include "recsys_status.h"
#include "recsys_writer.h"


static size_t
recsys_build_list_size(const recsys_csr_t *c)
{
    return sizeof(recsys_list_head_t) + ((size_t) c->n_rows + 1) * 4
           + (size_t) c->n_entries * sizeof(recsys_entry_t);
}


int
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


/*
 * Reserves the table blob `blob` of n rows and `total` bytes of row data
 * and writes its header; *p is the blob: the header, n + 1 offsets of 4
 * bytes, then the data.  The blob's size goes to *size unless NULL.
 */
static int
recsys_build_table_start(recsys_writer_t *w, const char *blob, uint32_t n,
    size_t total, char **p, size_t *size)
{
    int                   rc;
    size_t                bytes;
    recsys_table_head_t   head;

    bytes = sizeof(head) + ((size_t) n + 1) * 4 + total;

    rc = recsys_writer_reserve(w, RECSYS_W_BLOBS, blob, bytes, (void **) p);
    if (rc != RECSYS_OK) {
        return rc;
    }

    memset(&head, 0, sizeof(head));
    head.magic = RECSYS_TABLE_MAGIC;
    head.n_rows = n;
    head.data_size = (uint32_t) total;
    memcpy(*p, &head, sizeof(head));

    if (size != NULL) {
        *size = bytes;
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

    rc = recsys_build_table_start(w, RECSYS_BLOB_ITEM_RECORDS, n, total, &p,
                                  size);
    if (rc != RECSYS_OK) {
        goto done;
    }

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


/*
 * A table blob of n names, each its bytes and, with nul, a NUL (an empty
 * name stays an empty row).
 */
int
recsys_build_write_names(recsys_writer_t *w, const char *blob,
    const char *const *names, uint32_t n, int nul)
{
    int                   rc;
    char                 *p;
    size_t                total, len;
    uint32_t              g, off;
    recsys_table_head_t   head;

    total = 0;
    for (g = 0; g < n; g++) {
        len = strlen(names[g]);
        total += len + (nul && len > 0);
    }

    rc = recsys_build_table_start(w, blob, n, total, &p, NULL);
    if (rc != RECSYS_OK) {
        return rc;
    }

    off = 0;
    for (g = 0; g < n; g++) {
        len = strlen(names[g]);
        len += nul && len > 0;
        memcpy(p + sizeof(head) + (size_t) g * 4, &off, 4);
        memcpy(p + sizeof(head) + ((size_t) n + 1) * 4 + off, names[g], len);
        off += (uint32_t) len;
    }

    memcpy(p + sizeof(head) + (size_t) n * 4, &off, 4);

    return RECSYS_OK;
}


/* The genre names as a table of raw names. */
static int
recsys_build_write_genres(recsys_writer_t *w, const recsys_train_t *t)
{
    if (t->n_genres == 0) {
        return RECSYS_OK;
    }

    return recsys_build_write_names(w, RECSYS_BLOB_GENRE_NAMES,
                                    (const char *const *) t->genre_names,
                                    t->n_genres, 0);
}


/* Writes a list when present, named base + suffix. */
static int
recsys_build_write_named(recsys_writer_t *w, const char *base,
    const char *suffix, const recsys_csr_t *c, uint32_t *digest)
{
    char  name[64];

    if (c->offsets == NULL) {
        return RECSYS_OK;
    }

    snprintf(name, sizeof(name), "%s%s", base, suffix);

    return recsys_build_write_list(w, name, c, digest);
}


/*
 * The lists a model stores under a fixed name, in the order they are
 * written: group 0 before the rules and the packed sources, group 1 after
 * them (the per-source lists come last).  A "genres" list is written only
 * when the catalog has genres; every list counts in the map size.
 */
typedef struct {
    const char  *name;
    size_t       offset;        /* of its recsys_csr_t in recsys_parts_t */
    int          group;
    int          genres;
} recsys_build_named_t;

#define recsys_build_named_row(name, field, group, genres)                  \
    { name, offsetof(recsys_parts_t, field), group, genres }

static const recsys_build_named_t  recsys_build_named[] = {
    recsys_build_named_row(RECSYS_BLOB_POPULAR, popular, 0, 0),
    recsys_build_named_row(RECSYS_BLOB_TRENDING, trending, 0, 0),
    recsys_build_named_row(RECSYS_BLOB_ITEM_GENRES, train.item_genres, 0, 1),
    recsys_build_named_row(RECSYS_BLOB_USER_HIST, hist, 0, 0),
    recsys_build_named_row(RECSYS_BLOB_USER_SEEN, train.by_user, 0, 0),
    recsys_build_named_row(RECSYS_BLOB_WEIGHTS, weights, 0, 0),
    recsys_build_named_row(RECSYS_BLOB_USER_HYBRID, hybrid, 0, 0),
    recsys_build_named_row(RECSYS_BLOB_SESSION, session, 0, 0),
    recsys_build_named_row(RECSYS_BLOB_SESSION_SCALES, session_scales, 0, 0),
    recsys_build_named_row(RECSYS_BLOB_USER_NBRS, user_nbrs, 0, 0),
    recsys_build_named_row(RECSYS_BLOB_USER_SEGMENT, user_segment, 0, 0),
    recsys_build_named_row(RECSYS_BLOB_SEGMENT_TOP, segment_top, 0, 0),
    recsys_build_named_row(RECSYS_BLOB_SEGMENT_GENRES, segment_genres, 0, 0),
    recsys_build_named_row(RECSYS_BLOB_USER_MEAN, user_mean, 1, 0),
    recsys_build_named_row(RECSYS_BLOB_ITEM_MEAN, item_mean, 1, 0),
    recsys_build_named_row(RECSYS_BLOB_VALUE_RANGE, value_range, 1, 0),
    { NULL, 0, 0, 0 }
};


static const recsys_csr_t *
recsys_build_named_list(const recsys_parts_t *parts,
    const recsys_build_named_t *n)
{
    return (const recsys_csr_t *) ((const char *) parts + n->offset);
}


/* "item.hash" or "user.hash": the dictionary's ids (recsys_schema.h). */
static int
recsys_build_write_hash(recsys_writer_t *w, const char *name,
    const recsys_dict_t *dict)
{
    int             rc;
    size_t          len, size, bytes;
    uint32_t        n_slots, i, s, v, off;
    unsigned char  *p, *slots, *offs, *keys;
    const char     *ext;

    n_slots = 16;
    while (n_slots <= 2 * dict->n) {
        n_slots *= 2;
    }

    bytes = 0;
    for (i = 0; i < dict->n; i++) {
        recsys_dict_key(dict, i, &len);
        bytes += len;
    }

    if (bytes > UINT32_MAX) {
        return RECSYS_ELIMIT;
    }

    size = 12 + (size_t) n_slots * 4 + ((size_t) dict->n + 1) * 4 + bytes;

    rc = recsys_writer_reserve(w, RECSYS_W_BLOBS, name, size, (void **) &p);
    if (rc != RECSYS_OK) {
        return rc;
    }

    v = RECSYS_HASH_MAGIC;
    memcpy(p, &v, 4);
    memcpy(p + 4, &n_slots, 4);
    memcpy(p + 8, &dict->n, 4);

    slots = p + 12;
    offs = slots + (size_t) n_slots * 4;
    keys = offs + ((size_t) dict->n + 1) * 4;
    memset(slots, 0xff, (size_t) n_slots * 4);
    off = 0;

    for (i = 0; i < dict->n; i++) {
        ext = recsys_dict_key(dict, i, &len);
        memcpy(offs + (size_t) i * 4, &off, 4);
        memcpy(keys + off, ext, len);
        off += (uint32_t) len;

        for (s = recsys_id_hash(ext, len) & (n_slots - 1);
             recsys_get_u32(slots + (size_t) s * 4) != RECSYS_HASH_EMPTY;
             s = (s + 1) & (n_slots - 1))
        {
            /* probe */
        }

        memcpy(slots + (size_t) s * 4, &i, 4);
    }

    memcpy(offs + (size_t) dict->n * 4, &off, 4);

    return RECSYS_OK;
}


static size_t
recsys_build_map_size(recsys_data_t *d, recsys_parts_t *parts)
{
    int                          s;
    size_t                       size;
    uint32_t                     i;
    const recsys_build_named_t  *n;

    size = parts->rules_size;

    for (n = recsys_build_named; n->name != NULL; n++) {
        size += recsys_build_list_size(recsys_build_named_list(parts, n));
    }

    for (s = 0; s < RECSYS_NSRC; s++) {
        size += recsys_build_list_size(&parts->nbrs[s])
                + recsys_build_list_size(&parts->recs[s])
                + parts->packed_size[s];
    }

    size += (d->users.pool_len + d->items.pool_len) * 2
            + ((size_t) d->users.n + d->items.n) * 64;

    /* item records: ids twice, meta, slack for JSON escapes; the hashes */
    size += d->items.pool_len * 8 + (size_t) d->items.n * 64
            + d->items.pool_len + d->users.pool_len
            + ((size_t) d->items.n + d->users.n) * 24 + 256;

    for (i = 0; i < d->items.n; i++) {
        if (d->item_meta[i] != NULL) {
            size += strlen(d->item_meta[i]);
        }
    }

    size += recsys_build_search_size(d);
    size += recsys_itemattr_size_hint(&d->attrs, d->items.n);

    return size * 2 + 64 * 1024 * 1024;
}


/* The catalog's attributes and series (recsys_itemattr.h), if any. */
static int
recsys_build_write_attrs(recsys_writer_t *w, recsys_data_t *d)
{
    int             rc;
    void           *blob;
    size_t          size, series_size;
    unsigned char  *attrs, *series;

    rc = recsys_itemattr_pack(&d->attrs, d->items.n, &attrs, &size, &series,
                              &series_size);

    if (rc == RECSYS_OK && attrs != NULL) {
        rc = recsys_writer_reserve(w, RECSYS_W_BLOBS, RECSYS_BLOB_ITEM_ATTRS,
                                   size, &blob);
        if (rc == RECSYS_OK) {
            memcpy(blob, attrs, size);
        }
    }

    if (rc == RECSYS_OK && series != NULL) {
        rc = recsys_writer_reserve(w, RECSYS_W_BLOBS, RECSYS_BLOB_ITEM_SERIES,
                                   series_size, &blob);
        if (rc == RECSYS_OK) {
            memcpy(blob, series, series_size);
        }
    }

    free(attrs);
    free(series);

    return rc;
}


/* Writes the fixed-name lists of one group, in the table's order. */
static int
recsys_build_write_group(recsys_writer_t *w, const recsys_parts_t *parts,
    int group, uint32_t *digest)
{
    int                          rc;
    const recsys_build_named_t  *n;

    rc = RECSYS_OK;

    for (n = recsys_build_named; n->name != NULL && rc == RECSYS_OK; n++) {
        if (n->group != group || (n->genres && parts->train.n_genres == 0)) {
            continue;
        }

        rc = recsys_build_write_named(w, n->name, "",
                                      recsys_build_named_list(parts, n),
                                      digest);
    }

    return rc;
}


static int
recsys_build_write_lists(recsys_writer_t *w, recsys_parts_t *parts,
    uint32_t *digest)
{
    int    rc, s;
    void  *blob;

    rc = recsys_build_write_group(w, parts, 0, digest);

    if (rc == RECSYS_OK && parts->rules != NULL) {
        rc = recsys_writer_reserve(w, RECSYS_W_BLOBS, RECSYS_BLOB_RULES,
                                   parts->rules_size, &blob);
        if (rc == RECSYS_OK) {
            memcpy(blob, parts->rules, parts->rules_size);
        }
    }

    for (s = 0; s < RECSYS_NSRC && rc == RECSYS_OK; s++) {
        if (parts->packed[s] == NULL) {
            continue;
        }

        rc = recsys_writer_reserve(w, RECSYS_W_BLOBS,
                                   recsys_source_get(s)->packed,
                                   parts->packed_size[s], &blob);
        if (rc == RECSYS_OK) {
            memcpy(blob, parts->packed[s], parts->packed_size[s]);
        }
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_write_group(w, parts, 1, digest);
    }

    for (s = 0; s < RECSYS_NSRC && rc == RECSYS_OK; s++) {
        rc = recsys_build_write_named(w, RECSYS_BLOB_ITEM_NBRS,
                                      recsys_source_key(s), &parts->nbrs[s],
                                      digest);

        if (rc == RECSYS_OK) {
            rc = recsys_build_write_named(w, RECSYS_BLOB_USER_RECS,
                                          recsys_source_key(s),
                                          &parts->recs[s], digest);
        }
    }

    return rc;
}


/*
 * The recurrent models' settings (both cells train with the same ones):
 * a new object, or NULL when out of memory.
 */
static json_t *
recsys_build_rnn_params(const recsys_build_opts_t *o)
{
    json_t      *p;
    uint32_t     k;
    const char  *key[] = { "epochs", "dim", "hidden", "negatives", "batch",
                           "max_len", "patience", "tie", "skip",
                           "refit" };
    uint32_t     val[] = { o->lstm_epochs, o->lstm_dim, o->lstm_hidden,
                           o->rnn_negatives, o->rnn_batch, o->rnn_max_len,
                           o->rnn_patience, o->rnn_tie, o->rnn_skip,
                           o->rnn_refit };

    p = json_pack("{s:f, s:f, s:f}", "lr", (double) o->rnn_lr,
                  "dropout", (double) o->rnn_dropout,
                  "valid", (double) o->rnn_valid);

    for (k = 0; p != NULL && k < sizeof(val) / sizeof(val[0]); k++) {
        if (json_object_set_new(p, key[k], json_integer(val[k])) != 0) {
            json_decref(p);
            return NULL;
        }
    }

    return p;
}


/* The settings of the optional sources the model has, for its meta. */
static void
recsys_build_source_params(const recsys_build_opts_t *o,
    const recsys_parts_t *parts, json_t *params)
{
    uint32_t  has;

    has = parts->sources;

    if (has & (1u << RECSYS_SRC_USERCF)) {
        json_object_set_new(params, "user_neighbors",
                            json_integer(o->user_neighbors));
    }

    if (has & (1u << RECSYS_SRC_CLUSTER)) {
        json_object_set_new(params, "segments", json_pack("{s:s, s:i, s:f}",
                            "method", o->dbscan ? "dbscan" : "kmeans",
                            "k", (json_int_t) o->k, "eps", (double) o->eps));
    }

    if (has & (1u << RECSYS_SRC_ASSOC)) {
        json_object_set_new(params, "rules",
                            json_pack("{s:f, s:f, s:f, s:f, s:f}",
                                      "support", o->rule_support,
                                      "confidence", o->rule_confidence,
                                      "lift", o->rule_lift,
                                      "min_value", (double) o->rule_min_value,
                                      "gap_seconds", o->rule_gap));
    }

    if (has & (1u << RECSYS_SRC_HMM)) {
        json_object_set_new(params, "hmm_states",
                            json_integer(o->hmm_states));
    }

    if (has & (1u << RECSYS_SRC_GRU)) {
        json_object_set_new(params, recsys_source_key(RECSYS_SRC_GRU),
                            recsys_build_rnn_params(o));
    }

    if (has & (1u << RECSYS_SRC_LSTM)) {
        json_object_set_new(params, recsys_source_key(RECSYS_SRC_LSTM),
                            recsys_build_rnn_params(o));
    }

    if (has & (1u << RECSYS_SRC_EASE)) {
        json_object_set_new(params, "ease",
                            json_pack("{s:f, s:i, s:f, s:i, s:f, s:f, s:f}",
                                      "lambda", o->ease_lambda,
                                      "items", (json_int_t) o->ease_items,
                                      "dropout", o->ease_dropout,
                                      "dlae", (json_int_t) o->ease_dlae,
                                      "user_norm", o->ease_user_norm,
                                      "time_scale", o->ease_time_scale,
                                      "time_floor", o->ease_time_floor));
    }

    if (has & (1u << RECSYS_SRC_ALS)) {
        json_object_set_new(params, "als_factors",
                            json_integer(o->als_factors));
    }
}


static json_t *
recsys_build_params_json(const recsys_build_opts_t *o, recsys_parts_t *parts)
{
    int      s;
    json_t  *params, *weights;

    params = json_pack("{s:s, s:f, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:f, "
                       "s:f, s:s?, s:s?, s:s?}",
                       "similarity", o->similarity,
                       "shrink", (double) o->shrink,
                       "min_support", (json_int_t) o->min_support,
                       "neighbors", (json_int_t) o->neighbors,
                       "history", (json_int_t) o->history,
                       "user_top", (json_int_t) o->user_top,
                       "explain_top", (json_int_t) o->explain_top,
                       "explain_history", (json_int_t) o->explain_history,
                       "sparse_user", (json_int_t) o->sparse_user,
                       "trending_days", o->trending_days,
                       "decay_days", o->decay_days,
                       "interactions", o->interactions,
                       "items", o->items,
                       "tags", o->tags);
    weights = json_object();

    if (params == NULL || weights == NULL) {
        json_decref(params);
        json_decref(weights);
        return NULL;
    }

    for (s = 0; s < RECSYS_NSRC; s++) {
        if (parts->w[s] > 0.0f) {
            json_object_set_new(weights, recsys_source_key(s),
                                json_real(parts->w[s]));
        }
    }

    json_object_set_new(params, "weights", weights);
    recsys_build_source_params(o, parts, params);

    return params;
}


static json_t *
recsys_build_genres_json(recsys_parts_t *parts)
{
    uint32_t  g;
    json_t   *arr;

    arr = json_array();

    for (g = 0; arr != NULL && g < parts->train.n_genres; g++) {
        json_array_append_new(arr, json_string(parts->train.genre_names[g]));
    }

    return arr;
}


/*
 * Reads the written file back (paused, unpublished) to explain each user's
 * stored list, and adds the "user.explain" table in a second transaction.
 */
static int
recsys_build_write_explain(recsys_writer_t *w, const recsys_build_opts_t *o,
    char *err, size_t errlen)
{
    int             rc;
    void           *dst;
    size_t          size;
    unsigned char  *blob;

    rc = recsys_writer_pause(w);
    if (rc != RECSYS_OK) {
        snprintf(err, errlen, "%s", w->err);
        return rc;
    }

    rc = recsys_build_explain(w->tmp, o, &blob, &size, err, errlen);
    if (rc != RECSYS_OK) {
        return rc;
    }

    /* a value of size bytes, its overflow pages and the pages it copies */
    rc = recsys_writer_resume(w, size + ((size_t) 1 << 20));

    if (rc == RECSYS_OK && blob != NULL) {
        rc = recsys_writer_reserve(w, RECSYS_W_BLOBS,
                                   RECSYS_BLOB_USER_EXPLAIN, size, &dst);
        if (rc == RECSYS_OK) {
            memcpy(dst, blob, size);
        }
    }

    free(blob);

    if (rc != RECSYS_OK) {
        snprintf(err, errlen, "%s", w->err);
    }

    return rc;
}


/*
 * Publishes the model and its manifest (recsys_manifest.h): the sealed
 * temporary model is described and the manifest staged first, then the
 * model and the manifest are renamed into place one right after the
 * other.  An edge that fetches between the two renames sees the previous
 * manifest, whose digest the new file does not match, keeps its model and
 * succeeds on its next run.
 */
static int
recsys_build_publish(recsys_writer_t *w, const char *out,
    const char *model_id, int64_t now, char *err, size_t errlen)
{
    int                       rc;
    recsys_manifest_staged_t  st;

    rc = recsys_writer_finish(w);
    if (rc != RECSYS_OK) {
        snprintf(err, errlen, "publishing %s: %s", out, w->err);
        recsys_writer_abort(w);
        return rc;
    }

    rc = recsys_manifest_prepare(w->tmp, out, model_id, now, &st, err,
                                 errlen);
    if (rc != RECSYS_OK) {
        recsys_writer_abort(w);
        return rc;
    }

    rc = recsys_writer_rename(w);
    if (rc != RECSYS_OK) {
        snprintf(err, errlen, "publishing %s: %s", out, w->err);
        recsys_manifest_discard(&st);
        recsys_writer_abort(w);
        return rc;
    }

    if (recsys_manifest_commit(&st) != RECSYS_OK) {
        snprintf(err, errlen, "publishing the manifest of %s: %s", out,
                 strerror(errno));
        return RECSYS_EIO;
    }

    return RECSYS_OK;
}


int
recsys_build_write(recsys_data_t *d, const recsys_build_opts_t *o,
    recsys_parts_t *parts, const char *out, recsys_build_stats_t *stats,
    char *err, size_t errlen)
{
    int               rc;
    char              ts[32];
    double            t0;
    size_t            items_size;
    time_t            now;
    uint32_t          digest;
    struct tm         tm;
    recsys_header_t   h;
    recsys_writer_t   w;

    now = time(NULL);
    t0 = recsys_clock_now();

    rc = recsys_writer_open(&w, out, recsys_build_map_size(d, parts));
    if (rc != RECSYS_OK) {
        snprintf(err, errlen, "%s", w.err);
        recsys_writer_abort(&w);
        return rc;
    }

    digest = 2166136261u;

    rc = recsys_build_write_items(&w, d, &items_size);

    if (rc == RECSYS_OK) {
        rc = recsys_build_write_hash(&w, RECSYS_BLOB_ITEM_HASH, &d->items);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_write_hash(&w, RECSYS_BLOB_USER_HASH, &d->users);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_write_genres(&w, &parts->train);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_write_search(&w, d, parts);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_write_attrs(&w, d);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_write_lists(&w, parts, &digest);
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
    h.sources = parts->sources;
    h.user_top = o->user_top;
    h.n_genres = parts->train.n_genres;
    h.n_segments = parts->n_segments;
    h.sparse_user = o->sparse_user;

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
                                   recsys_build_params_json(o, parts));
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_put_json(&w, RECSYS_META_GENRES,
                                   recsys_build_genres_json(parts));
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

    if (rc == RECSYS_OK) {
        rc = recsys_build_put_meta(&w, RECSYS_META_EVENT_WEIGHTS,
                                   recsys_ingest_event_spec(d),
                                   strlen(recsys_ingest_event_spec(d)));
    }

    if (rc != RECSYS_OK) {
        snprintf(err, errlen, "writing %s: %s", out,
                 w.err[0] ? w.err : recsys_strerror(rc));
        recsys_writer_abort(&w);
        return rc;
    }

    if (o->explain_top > 0 && parts->hybrid.n_rows > 0) {
        t0 = recsys_build_stage(stats, "write", t0);

        rc = recsys_build_write_explain(&w, o, err, errlen);
        if (rc != RECSYS_OK) {
            recsys_writer_abort(&w);
            return rc;
        }

        t0 = recsys_build_stage(stats, "explain", t0);
    }

    rc = recsys_build_publish(&w, out, stats->model_id, (int64_t) now, err,
                              errlen);
    if (rc != RECSYS_OK) {
        return rc;
    }

    recsys_build_stage(stats, "write", t0);

    return RECSYS_OK;
}
