/*
 * recsys_shard_items.c: the global ids, EASE's dense B and the item
 * models that the sharded build's users tasks read (recsys_shard_items.h).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <lmdb.h>

#include "recsys_copy.h"
#include "recsys_dict.h"
#include "recsys_rules_read.h"
#include "recsys_schema.h"
#include "recsys_shard.h"
#include "recsys_shard_items.h"
#include "recsys_source.h"
#include "recsys_status.h"
#include "recsys_verify.h"


/* The ids of one key's [[id, count], ...] interned into dict. */
static int
recsys_shard_ids_add(recsys_dict_t *dict, json_t *doc, const char *key)
{
    size_t       i;
    uint32_t     index;
    json_t      *arr, *id;

    arr = json_object_get(doc, key);
    if (!json_is_array(arr)) {
        return RECSYS_ECORRUPT;
    }

    for (i = 0; i < json_array_size(arr); i++) {
        id = json_array_get(json_array_get(arr, i), 0);

        if (!json_is_string(id)) {
            return RECSYS_ECORRUPT;
        }

        if (recsys_dict_intern(dict, json_string_value(id),
                               json_string_length(id), &index)
            != RECSYS_OK)
        {
            return RECSYS_ENOMEM;
        }
    }

    return RECSYS_OK;
}


int
recsys_shard_ids_seed(recsys_dict_t *users, recsys_dict_t *items,
    const char *path, char *err, size_t errlen)
{
    json_error_t  jerr;
    json_t       *doc;
    int           rc;

    doc = json_load_file(path, 0, &jerr);
    if (doc == NULL) {
        snprintf(err, errlen, "%s:%d: %s", path, jerr.line, jerr.text);
        return RECSYS_EINVAL;
    }

    rc = recsys_shard_ids_add(users, doc, "users");
    if (rc == RECSYS_OK) {
        rc = recsys_shard_ids_add(items, doc, "items");
    }

    json_decref(doc);

    if (rc != RECSYS_OK) {
        snprintf(err, errlen, "%s: %s", path,
                 rc == RECSYS_ENOMEM ? "out of memory"
                                     : "not a merged stats file");
    }

    return rc;
}


int
recsys_shard_ease_save(const char *path, const recsys_ease_t *m, char *err,
    size_t errlen)
{
    int       ok;
    char      tmp[4096];
    FILE     *f;
    uint32_t  head[4];

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "wb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return RECSYS_EIO;
    }

    head[0] = RECSYS_SHARD_EASE_MAGIC;
    head[1] = m->n_items;
    head[2] = m->n_kept;
    head[3] = (uint32_t) m->values;

    ok = fwrite(head, sizeof(head), 1, f) == 1
         && fwrite(m->kept, sizeof(uint32_t), m->n_kept, f) == m->n_kept
         && fwrite(m->b, sizeof(double), (size_t) m->n_kept * m->n_kept, f)
            == (size_t) m->n_kept * m->n_kept;
    ok = fclose(f) == 0 && ok;

    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        remove(tmp);
        return RECSYS_EIO;
    }

    return RECSYS_OK;
}


int
recsys_shard_ease_load(const char *path, uint32_t n_items, recsys_ease_t *m,
    char *err, size_t errlen)
{
    int       rc;
    FILE     *f;
    size_t    nb;
    uint32_t  head[4], i;

    memset(m, 0, sizeof(recsys_ease_t));

    f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return RECSYS_EIO;
    }

    rc = RECSYS_ECORRUPT;

    if (fread(head, sizeof(head), 1, f) != 1
        || head[0] != RECSYS_SHARD_EASE_MAGIC || head[1] != n_items
        || head[2] > n_items || head[3] > 1)
    {
        goto done;
    }

    m->n_items = head[1];
    m->n_kept = head[2];
    m->values = (int) head[3];
    nb = (size_t) m->n_kept * m->n_kept;
    m->kept = malloc(((size_t) m->n_kept + 1) * sizeof(uint32_t));
    m->slot = malloc(((size_t) n_items + 1) * sizeof(uint32_t));
    m->b = malloc((nb + 1) * sizeof(double));

    if (m->kept == NULL || m->slot == NULL || m->b == NULL) {
        rc = RECSYS_ENOMEM;
        goto done;
    }

    if (fread(m->kept, sizeof(uint32_t), m->n_kept, f) != m->n_kept
        || fread(m->b, sizeof(double), nb, f) != nb)
    {
        goto done;
    }

    for (i = 0; i < n_items; i++) {
        m->slot[i] = RECSYS_EASE_NONE;
    }

    for (i = 0; i < m->n_kept; i++) {
        if (m->kept[i] >= n_items || (i > 0 && m->kept[i] <= m->kept[i - 1]))
        {
            goto done;
        }
        m->slot[m->kept[i]] = i;
    }

    rc = RECSYS_OK;

done:

    fclose(f);

    if (rc != RECSYS_OK) {
        snprintf(err, errlen, "%s: %s", path,
                 rc == RECSYS_ENOMEM ? "out of memory" : "not an EASE part");
    }

    return rc;
}


int
recsys_shard_items_mine(const recsys_dict_t *users,
    const recsys_build_opts_t *o, unsigned char **mine)
{
    size_t       len;
    uint32_t     u;
    const char  *id;

    *mine = malloc((size_t) users->n + 1);
    if (*mine == NULL) {
        return RECSYS_ENOMEM;
    }

    for (u = 0; u < users->n; u++) {
        id = recsys_dict_key(users, u, &len);
        (*mine)[u] = recsys_shard_of(id, len, o->user_shards)
                     == o->user_shard;
    }

    return RECSYS_OK;
}


/* The items part being read, and which users' rows are kept. */
typedef struct {
    MDB_txn                    *txn;
    MDB_dbi                     dbi;
    const unsigned char        *mine;
    const char                 *path;
    char                       *err;
    size_t                      errlen;
} recsys_shard_src_t;


/*
 * The list blob name into c (left empty when absent): whole, or when rows
 * is not 0, a list of that many rows holding only the rows of this build's
 * users.
 */
static int
recsys_shard_items_list(recsys_shard_src_t *s, const char *name,
    uint32_t rows, recsys_csr_t *c)
{
    size_t                n;
    uint32_t              r, from, to, total;
    MDB_val               key, v;
    recsys_list_head_t    head;
    const unsigned char  *offs, *ents;

    key.mv_data = (void *) name;
    key.mv_size = strlen(name);

    if (mdb_get(s->txn, s->dbi, &key, &v) != 0) {
        return RECSYS_OK;
    }

    if (v.mv_size < sizeof(head)) {
        goto bad;
    }

    memcpy(&head, v.mv_data, sizeof(head));
    offs = (const unsigned char *) v.mv_data + sizeof(head);
    ents = offs + ((size_t) head.n_rows + 1) * 4;

    if (head.magic != RECSYS_LIST_MAGIC || (rows && head.n_rows != rows)
        || v.mv_size != sizeof(head) + ((size_t) head.n_rows + 1) * 4
                        + (size_t) head.n_entries * sizeof(recsys_entry_t))
    {
        goto bad;
    }

    total = 0;

    for (r = 0; r < head.n_rows; r++) {
        memcpy(&from, offs + (size_t) r * 4, 4);
        memcpy(&to, offs + (size_t) r * 4 + 4, 4);

        if (to < from || to > head.n_entries) {
            goto bad;
        }

        if (rows == 0 || s->mine[r]) {
            total += to - from;
        }
    }

    if (recsys_csr_alloc(c, head.n_rows, total) != 0) {
        return RECSYS_ENOMEM;
    }

    total = 0;

    for (r = 0; r < head.n_rows; r++) {
        c->offsets[r] = total;

        if (rows == 0 || s->mine[r]) {
            memcpy(&from, offs + (size_t) r * 4, 4);
            memcpy(&to, offs + (size_t) r * 4 + 4, 4);
            n = (size_t) (to - from) * sizeof(recsys_entry_t);
            memcpy(c->entries + total, ents + (size_t) from * 8, n);
            total += to - from;
        }
    }

    c->offsets[head.n_rows] = total;

    return RECSYS_OK;

bad:

    snprintf(s->err, s->errlen, "%s: %s: bad list", s->path, name);
    return RECSYS_ECORRUPT;
}


/* A raw blob copied: NULL and 0 when absent. */
static int
recsys_shard_items_blob(recsys_shard_src_t *s, const char *name, void **p,
    size_t *size)
{
    MDB_val  key, v;

    key.mv_data = (void *) name;
    key.mv_size = strlen(name);

    if (mdb_get(s->txn, s->dbi, &key, &v) != 0) {
        return RECSYS_OK;
    }

    *p = malloc(v.mv_size ? v.mv_size : 1);
    if (*p == NULL) {
        return RECSYS_ENOMEM;
    }

    memcpy(*p, v.mv_data, v.mv_size);
    *size = v.mv_size;

    return RECSYS_OK;
}


/* Whether this build scores source s's per-user lists itself. */
static int
recsys_shard_items_own(int s)
{
    return s == RECSYS_SRC_ITEMCF || s == RECSYS_SRC_CONTENT
           || s == RECSYS_SRC_RP3BETA || s == RECSYS_SRC_EASE
           || s == RECSYS_SRC_ASSOC || s == RECSYS_SRC_MARKOV
           || s == RECSYS_SRC_CLUSTER;
}


/* Everything of the items part that this build does not compute. */
static int
recsys_shard_items_read(recsys_shard_src_t *s, uint32_t n_users,
    recsys_parts_t *parts)
{
    int                   rc, i;
    char                  name[64];
    const recsys_source_t *src;
    recsys_rules_view_t   view;

    static const struct {
        const char  *name;
        size_t       offset;
        int          per_user;
    } lists[] = {
        { RECSYS_BLOB_POPULAR, offsetof(recsys_parts_t, popular), 0 },
        { RECSYS_BLOB_TRENDING, offsetof(recsys_parts_t, trending), 0 },
        { RECSYS_BLOB_WEIGHTS, offsetof(recsys_parts_t, weights), 0 },
        { RECSYS_BLOB_SESSION, offsetof(recsys_parts_t, session), 0 },
        { RECSYS_BLOB_SESSION_SCALES,
          offsetof(recsys_parts_t, session_scales), 0 },
        { RECSYS_BLOB_SEGMENT_TOP, offsetof(recsys_parts_t, segment_top), 0 },
        { RECSYS_BLOB_SEGMENT_GENRES,
          offsetof(recsys_parts_t, segment_genres), 0 },
        { RECSYS_BLOB_ITEM_MEAN, offsetof(recsys_parts_t, item_mean), 0 },
        { RECSYS_BLOB_VALUE_RANGE, offsetof(recsys_parts_t, value_range), 0 },
        { RECSYS_BLOB_USER_NBRS, offsetof(recsys_parts_t, user_nbrs), 1 },
        { RECSYS_BLOB_USER_SEGMENT, offsetof(recsys_parts_t, user_segment),
          1 },
        { RECSYS_BLOB_USER_MEAN, offsetof(recsys_parts_t, user_mean), 1 },
        { NULL, 0, 0 }
    };

    rc = RECSYS_OK;

    for (i = 0; rc == RECSYS_OK && lists[i].name != NULL; i++) {
        rc = recsys_shard_items_list(s, lists[i].name,
                                     lists[i].per_user ? n_users : 0,
                                     (recsys_csr_t *) ((char *) parts
                                                       + lists[i].offset));
    }

    for (i = 0; rc == RECSYS_OK && i < RECSYS_NSRC; i++) {
        src = recsys_source_get(i);
        snprintf(name, sizeof(name), "%s%s", RECSYS_BLOB_ITEM_NBRS,
                 recsys_source_key(i));
        rc = recsys_shard_items_list(s, name, 0, &parts->nbrs[i]);

        if (rc == RECSYS_OK && !recsys_shard_items_own(i)) {
            snprintf(name, sizeof(name), "%s%s", RECSYS_BLOB_USER_RECS,
                     recsys_source_key(i));
            rc = recsys_shard_items_list(s, name, n_users, &parts->recs[i]);
        }

        if (rc == RECSYS_OK && src != NULL && src->packed != NULL) {
            rc = recsys_shard_items_blob(s, src->packed, &parts->packed[i],
                                         &parts->packed_size[i]);
        }
    }

    if (rc == RECSYS_OK) {
        rc = recsys_shard_items_blob(s, RECSYS_BLOB_RULES,
                                     (void **) &parts->rules,
                                     &parts->rules_size);
    }

    if (rc == RECSYS_OK && parts->rules != NULL) {
        if (recsys_rules_view(parts->rules, parts->rules_size, &view)
            != RECSYS_OK)
        {
            snprintf(s->err, s->errlen, "%s: bad rules", s->path);
            return RECSYS_ECORRUPT;
        }
        parts->n_rules = view.n_rules;
    }

    return rc;
}


int
recsys_shard_items_load(const char *path, uint32_t n_users,
    recsys_parts_t *parts, char *err, size_t errlen)
{
    int                 rc;
    char                why[512];
    MDB_env            *env;
    MDB_dbi             meta;
    MDB_val             key, v;
    recsys_header_t     h;
    recsys_shard_src_t  s;

    memset(&s, 0, sizeof(s));
    s.mine = parts->mine;
    s.path = path;
    s.err = err;
    s.errlen = errlen;
    env = NULL;

    /* a damaged file is refused before LMDB reads it */
    if (recsys_verify_file(path, why, sizeof(why)) != RECSYS_OK) {
        snprintf(err, errlen, "%s: %s", path, why);
        return RECSYS_ECORRUPT;
    }

    rc = recsys_copy_open(path, &env, &s.txn);

    if (rc == 0) {
        rc = mdb_dbi_open(s.txn, RECSYS_DB_META, 0, &meta);
    }

    if (rc == 0) {
        rc = mdb_dbi_open(s.txn, RECSYS_DB_BLOBS, 0, &s.dbi);
    }

    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", path, mdb_strerror(rc));
        rc = RECSYS_ELMDB;
        goto done;
    }

    key.mv_data = (void *) RECSYS_META_HEADER;
    key.mv_size = strlen(RECSYS_META_HEADER);

    if (mdb_get(s.txn, meta, &key, &v) != 0 || v.mv_size != sizeof(h)) {
        snprintf(err, errlen, "%s: no model header", path);
        rc = RECSYS_ECORRUPT;
        goto done;
    }

    memcpy(&h, v.mv_data, sizeof(h));

    if (h.n_users != n_users) {
        snprintf(err, errlen, "%s: %u users, the ids have %u", path,
                 h.n_users, n_users);
        rc = RECSYS_EINVAL;
        goto done;
    }

    parts->sources = h.sources;
    parts->n_segments = h.n_segments;

    rc = recsys_shard_items_read(&s, n_users, parts);

    if (rc != RECSYS_OK && err[0] == '\0') {
        snprintf(err, errlen, "%s: %s", path, recsys_strerror(rc));
    }

done:

    if (s.txn != NULL) {
        mdb_txn_abort(s.txn);
    }

    if (env != NULL) {
        mdb_env_close(env);
    }

    return rc;
}
