/*
 * recsys_model.c: opening, validating and reading a published model.
 *
 * The snapshot is opened MDB_RDONLY | MDB_NOLOCK | MDB_NOSUBDIR: it is never
 * written again once published, so there is no lock file and no reader
 * slot.  One read transaction stays open until close, which keeps every
 * value pointer valid.  Validation walks every list and the item table once
 * at open, so that request-time reads can trust offsets and item indexes
 * without further checks: a broken file is refused here, never served.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "recsys_model.h"


#define RECSYS_ROWS_ONE    0
#define RECSYS_ROWS_USERS  1
#define RECSYS_ROWS_ITEMS  2

typedef struct {
    const char     *name;
    int             rows;
    int             required;
} recsys_list_spec_t;

static const recsys_list_spec_t  recsys_list_specs[] = {
    { RECSYS_BLOB_POPULAR,     RECSYS_ROWS_ONE,   1 },
    { RECSYS_BLOB_ITEM_NBRS,   RECSYS_ROWS_ITEMS, 0 },
    { RECSYS_BLOB_USER_HIST,   RECSYS_ROWS_USERS, 1 },
    { RECSYS_BLOB_USER_SEEN,   RECSYS_ROWS_USERS, 1 },
    { RECSYS_BLOB_USER_ITEMCF, RECSYS_ROWS_USERS, 0 },
};

#define RECSYS_N_LISTS  (sizeof(recsys_list_specs) / sizeof(recsys_list_specs[0]))


struct recsys_model_s {
    MDB_env          *env;
    MDB_txn          *txn;
    MDB_dbi           meta;
    MDB_dbi           users;
    MDB_dbi           items;
    MDB_dbi           blobs;
    recsys_header_t   header;
    char              id[RECSYS_MODEL_ID_MAX + 1];
    recsys_list_t     lists[RECSYS_N_LISTS];
    int               has_list[RECSYS_N_LISTS];
    const unsigned char  *item_offsets;
    const unsigned char  *item_data;
};


static int recsys_model_fail(char *err, size_t errlen, int status,
    const char *what, const char *why);
static int recsys_model_read_header(recsys_model_t *m, char *err,
    size_t errlen);
static int recsys_model_read_list(recsys_model_t *m, size_t k, char *err,
    size_t errlen);
static int recsys_model_read_items(recsys_model_t *m, char *err,
    size_t errlen);
static int recsys_model_blob(recsys_model_t *m, const char *name,
    MDB_val *val);


int
recsys_model_open(const char *path, recsys_model_t **model, char *err,
    size_t errlen)
{
    int              rc;
    size_t           k;
    recsys_model_t  *m;

    *model = NULL;

    m = calloc(1, sizeof(recsys_model_t));
    if (m == NULL) {
        return recsys_model_fail(err, errlen, RECSYS_ENOMEM, "open",
                                 "out of memory");
    }

    rc = mdb_env_create(&m->env);
    if (rc != 0) {
        free(m);
        return recsys_model_fail(err, errlen, RECSYS_ELMDB, "mdb_env_create",
                                 mdb_strerror(rc));
    }

    mdb_env_set_maxdbs(m->env, RECSYS_MAX_DBS);

    rc = mdb_env_open(m->env, path,
                      MDB_RDONLY | MDB_NOLOCK | MDB_NOSUBDIR | MDB_NORDAHEAD,
                      0);
    if (rc != 0) {
        rc = recsys_model_fail(err, errlen,
                               rc == MDB_INVALID ? RECSYS_EFORMAT
                                                 : RECSYS_EIO,
                               "mdb_env_open", mdb_strerror(rc));
        goto failed;
    }

    rc = mdb_txn_begin(m->env, NULL, MDB_RDONLY, &m->txn);
    if (rc != 0) {
        rc = recsys_model_fail(err, errlen, RECSYS_ELMDB, "mdb_txn_begin",
                               mdb_strerror(rc));
        goto failed;
    }

    if (mdb_dbi_open(m->txn, RECSYS_DB_META, 0, &m->meta) != 0
        || mdb_dbi_open(m->txn, RECSYS_DB_USERS, 0, &m->users) != 0
        || mdb_dbi_open(m->txn, RECSYS_DB_ITEMS, 0, &m->items) != 0
        || mdb_dbi_open(m->txn, RECSYS_DB_BLOBS, 0, &m->blobs) != 0)
    {
        rc = recsys_model_fail(err, errlen, RECSYS_EFORMAT, "open databases",
                               "the file lacks the recsys databases");
        goto failed;
    }

    rc = recsys_model_read_header(m, err, errlen);
    if (rc != RECSYS_OK) {
        goto failed;
    }

    rc = recsys_model_read_items(m, err, errlen);
    if (rc != RECSYS_OK) {
        goto failed;
    }

    for (k = 0; k < RECSYS_N_LISTS; k++) {
        rc = recsys_model_read_list(m, k, err, errlen);
        if (rc != RECSYS_OK) {
            goto failed;
        }
    }

    *model = m;
    return RECSYS_OK;

failed:

    recsys_model_close(m);
    return rc;
}


void
recsys_model_close(recsys_model_t *m)
{
    if (m == NULL) {
        return;
    }

    if (m->txn != NULL) {
        mdb_txn_abort(m->txn);
    }

    mdb_env_close(m->env);
    free(m);
}


static int
recsys_model_fail(char *err, size_t errlen, int status, const char *what,
    const char *why)
{
    if (err != NULL && errlen > 0) {
        snprintf(err, errlen, "%s: %s", what, why);
    }

    return status;
}


static int
recsys_model_get(recsys_model_t *m, MDB_dbi dbi, const char *key,
    MDB_val *val)
{
    MDB_val  k;

    k.mv_data = (void *) key;
    k.mv_size = strlen(key);

    return mdb_get(m->txn, dbi, &k, val);
}


static int
recsys_model_read_header(recsys_model_t *m, char *err, size_t errlen)
{
    char     why[128];
    MDB_val  v;

    if (recsys_model_get(m, m->meta, RECSYS_META_HEADER, &v) != 0
        || v.mv_size < sizeof(recsys_header_t))
    {
        return recsys_model_fail(err, errlen, RECSYS_EFORMAT, "header",
                                 "no recsys header");
    }

    memcpy(&m->header, v.mv_data, sizeof(recsys_header_t));

    if (memcmp(m->header.magic, RECSYS_MAGIC, RECSYS_MAGIC_LEN) != 0) {
        return recsys_model_fail(err, errlen, RECSYS_EFORMAT, "header",
                                 "bad magic");
    }

    if (m->header.endian != RECSYS_ENDIAN_PROBE) {
        return recsys_model_fail(err, errlen, RECSYS_EFORMAT, "header",
                                 "written on a machine of another byte order");
    }

    if (m->header.format_version != RECSYS_FORMAT_VERSION) {
        snprintf(why, sizeof(why), "format version %u, this reader knows %u",
                 m->header.format_version, RECSYS_FORMAT_VERSION);
        return recsys_model_fail(err, errlen, RECSYS_EVERSION, "header", why);
    }

    if (recsys_model_get(m, m->meta, RECSYS_META_MODEL_ID, &v) != 0
        || v.mv_size == 0 || v.mv_size > RECSYS_MODEL_ID_MAX)
    {
        return recsys_model_fail(err, errlen, RECSYS_ECORRUPT, "header",
                                 "missing or over-long model id");
    }

    memcpy(m->id, v.mv_data, v.mv_size);
    m->id[v.mv_size] = '\0';

    return RECSYS_OK;
}


static int
recsys_model_blob(recsys_model_t *m, const char *name, MDB_val *val)
{
    return recsys_model_get(m, m->blobs, name, val);
}


static int
recsys_model_read_items(recsys_model_t *m, char *err, size_t errlen)
{
    uint32_t              i, from, to, ext_len, id_len;
    MDB_val               v;
    recsys_table_head_t   head;
    const unsigned char  *p;

    if (recsys_model_blob(m, RECSYS_BLOB_ITEM_RECORDS, &v) != 0
        || v.mv_size < sizeof(head))
    {
        return recsys_model_fail(err, errlen, RECSYS_ECORRUPT,
                                 RECSYS_BLOB_ITEM_RECORDS, "missing");
    }

    p = v.mv_data;
    memcpy(&head, p, sizeof(head));

    if (head.magic != RECSYS_TABLE_MAGIC
        || head.n_rows != m->header.n_items
        || v.mv_size != sizeof(head) + ((size_t) head.n_rows + 1) * 4
                        + head.data_size)
    {
        return recsys_model_fail(err, errlen, RECSYS_ECORRUPT,
                                 RECSYS_BLOB_ITEM_RECORDS, "bad size");
    }

    m->item_offsets = p + sizeof(head);
    m->item_data = m->item_offsets + ((size_t) head.n_rows + 1) * 4;

    if (recsys_get_u32(m->item_offsets) != 0
        || recsys_get_u32(m->item_offsets + (size_t) head.n_rows * 4)
           != head.data_size)
    {
        return recsys_model_fail(err, errlen, RECSYS_ECORRUPT,
                                 RECSYS_BLOB_ITEM_RECORDS, "bad offsets");
    }

    for (i = 0; i < head.n_rows; i++) {
        from = recsys_get_u32(m->item_offsets + (size_t) i * 4);
        to = recsys_get_u32(m->item_offsets + (size_t) i * 4 + 4);

        if (to < from || to - from < 4) {
            return recsys_model_fail(err, errlen, RECSYS_ECORRUPT,
                                     RECSYS_BLOB_ITEM_RECORDS, "bad record");
        }

        ext_len = recsys_get_u16(m->item_data + from);
        id_len = recsys_get_u16(m->item_data + from + 2);

        if (4 + ext_len + id_len > to - from) {
            return recsys_model_fail(err, errlen, RECSYS_ECORRUPT,
                                     RECSYS_BLOB_ITEM_RECORDS, "bad record");
        }
    }

    return RECSYS_OK;
}


static int
recsys_model_read_list(recsys_model_t *m, size_t k, char *err, size_t errlen)
{
    uint32_t                   rows, r, prev, cur, e, item;
    MDB_val                    v;
    recsys_list_t             *list;
    recsys_list_head_t         head;
    const unsigned char       *p;
    const recsys_list_spec_t  *spec;

    spec = &recsys_list_specs[k];
    list = &m->lists[k];

    if (recsys_model_blob(m, spec->name, &v) != 0) {
        if (spec->required) {
            return recsys_model_fail(err, errlen, RECSYS_ECORRUPT, spec->name,
                                     "missing");
        }

        return RECSYS_OK;
    }

    rows = spec->rows == RECSYS_ROWS_USERS ? m->header.n_users
           : spec->rows == RECSYS_ROWS_ITEMS ? m->header.n_items : 1;

    p = v.mv_data;

    if (v.mv_size < sizeof(head)) {
        return recsys_model_fail(err, errlen, RECSYS_ECORRUPT, spec->name,
                                 "truncated");
    }

    memcpy(&head, p, sizeof(head));

    if (head.magic != RECSYS_LIST_MAGIC || head.n_rows != rows
        || v.mv_size != sizeof(head) + ((size_t) rows + 1) * 4
                        + (size_t) head.n_entries * sizeof(recsys_entry_t))
    {
        return recsys_model_fail(err, errlen, RECSYS_ECORRUPT, spec->name,
                                 "bad size");
    }

    list->offsets = p + sizeof(head);
    list->entries = list->offsets + ((size_t) rows + 1) * 4;
    list->n_rows = rows;
    list->n_entries = head.n_entries;

    prev = recsys_get_u32(list->offsets);
    if (prev != 0) {
        return recsys_model_fail(err, errlen, RECSYS_ECORRUPT, spec->name,
                                 "bad offsets");
    }

    for (r = 1; r <= rows; r++) {
        cur = recsys_get_u32(list->offsets + (size_t) r * 4);
        if (cur < prev) {
            return recsys_model_fail(err, errlen, RECSYS_ECORRUPT,
                                     spec->name, "bad offsets");
        }
        prev = cur;
    }

    if (prev != head.n_entries) {
        return recsys_model_fail(err, errlen, RECSYS_ECORRUPT, spec->name,
                                 "bad offsets");
    }

    for (e = 0; e < head.n_entries; e++) {
        item = recsys_get_u32(list->entries + (size_t) e * 8);
        if (item >= m->header.n_items) {
            return recsys_model_fail(err, errlen, RECSYS_ECORRUPT,
                                     spec->name, "item index out of range");
        }
    }

    m->has_list[k] = 1;

    return RECSYS_OK;
}


const char *
recsys_model_id(const recsys_model_t *m)
{
    return m->id;
}


const recsys_header_t *
recsys_model_header(const recsys_model_t *m)
{
    return &m->header;
}


static int
recsys_model_index(const recsys_model_t *m, MDB_dbi dbi, uint32_t limit,
    const char *id, size_t len, uint32_t *index)
{
    MDB_val  k, v;

    if (len == 0 || len > RECSYS_ID_MAX) {
        return RECSYS_ENOTFOUND;
    }

    k.mv_data = (void *) id;
    k.mv_size = len;

    if (mdb_get(m->txn, dbi, &k, &v) != 0 || v.mv_size != 4) {
        return RECSYS_ENOTFOUND;
    }

    *index = recsys_get_u32(v.mv_data);

    return *index < limit ? RECSYS_OK : RECSYS_ENOTFOUND;
}


int
recsys_model_user(const recsys_model_t *m, const char *id, size_t len,
    uint32_t *user)
{
    return recsys_model_index(m, m->users, m->header.n_users, id, len, user);
}


int
recsys_model_item(const recsys_model_t *m, const char *id, size_t len,
    uint32_t *item)
{
    return recsys_model_index(m, m->items, m->header.n_items, id, len, item);
}


void
recsys_model_item_get(const recsys_model_t *m, uint32_t item,
    recsys_item_t *out)
{
    uint32_t              from, to;
    const unsigned char  *p;

    from = recsys_get_u32(m->item_offsets + (size_t) item * 4);
    to = recsys_get_u32(m->item_offsets + (size_t) item * 4 + 4);
    p = m->item_data + from;

    out->ext_len = recsys_get_u16(p);
    out->id_json_len = recsys_get_u16(p + 2);
    out->ext = (const char *) p + 4;
    out->id_json = out->ext + out->ext_len;
    out->meta_json = out->id_json + out->id_json_len;
    out->meta_json_len = (to - from) - 4 - out->ext_len - out->id_json_len;
}


const recsys_list_t *
recsys_model_list(const recsys_model_t *m, const char *name)
{
    size_t  k;

    for (k = 0; k < RECSYS_N_LISTS; k++) {
        if (m->has_list[k] && strcmp(recsys_list_specs[k].name, name) == 0) {
            return &m->lists[k];
        }
    }

    return NULL;
}


int
recsys_model_meta(const recsys_model_t *m, const char *key,
    const char **value, size_t *len)
{
    MDB_val  v;

    if (recsys_model_get((recsys_model_t *) m, m->meta, key, &v) != 0) {
        return RECSYS_ENOTFOUND;
    }

    *value = v.mv_data;
    *len = v.mv_size;

    return RECSYS_OK;
}
