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

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lmdb.h>

#include "recsys_attrs.h"
#include "recsys_lmdb.h"
#include "recsys_gru.h"
#include "recsys_lstm.h"
#include "recsys_hmm.h"
#include "recsys_model.h"
#include "recsys_items_index.h"
#include "recsys_rules_read.h"
#include "recsys_source.h"
#include "recsys_text.h"
#include "recsys_verify.h"


/* what the rows and the entries of a list index */
typedef enum {
    RECSYS_SPACE_ONE = 0,
    RECSYS_SPACE_USERS,
    RECSYS_SPACE_ITEMS,
    RECSYS_SPACE_GENRES,
    RECSYS_SPACE_SEGMENTS,
    RECSYS_SPACE_SOURCES,
    RECSYS_SPACE_STATS          /* 0 mean, 1 min, 2 max */
} recsys_space_t;


/* An "item.hash" or "user.hash" blob, read in place. */
typedef struct {
    const unsigned char  *slots;
    const unsigned char  *offs;
    const unsigned char  *keys;
    uint32_t              mask;
    uint32_t              n;
} recsys_hash_view_t;


/* the models this process opened, counted (recsys_model_serial) */
static uint64_t  recsys_model_opened;

struct recsys_model_s {
    recsys_lmdb_t     db;
    unsigned          flags;        /* RECSYS_MODEL_OPEN_* */
    uint64_t          serial;       /* recsys_model_serial */
    recsys_header_t   header;
    char              id[RECSYS_MODEL_ID_MAX + 1];
    recsys_list_t     lists[RECSYS_L_COUNT];
    int               has[RECSYS_L_COUNT];
    const unsigned char  *item_offsets;
    const unsigned char  *item_data;
    recsys_hash_view_t    item_hash;    /* slots NULL: the B-tree only */
    recsys_hash_view_t    user_hash;
    const unsigned char  *genre_offsets;
    const unsigned char  *genre_data;
    recsys_rules_view_t   rules;
    int                   has_rules;
    MDB_val               packed[RECSYS_NSRC];  /* by source; mv_data
                                                   NULL: none */
    recsys_items_index_t  search;       /* "item.search" */
    int                   has_search;
    const char           *import_name[RECSYS_NIMPORT];  /* NULL: unused */
    const unsigned char  *explain_offsets;  /* NULL: no "user.explain" */
    const unsigned char  *explain_data;
    uint32_t              explain_history;
    recsys_attrs_t        attrs;
    int                   has_attrs;
    recsys_item_facts_t  *facts;        /* per item: what the series slots
                                           and diversity read
                                           (recsys_model_item_facts) */
};


typedef struct {
    const char     *name;
    recsys_space_t  rows;
    recsys_space_t  entries;
    int             required;
} recsys_list_spec_t;

static const recsys_list_spec_t  recsys_fixed_lists[] = {
    { RECSYS_BLOB_POPULAR,      RECSYS_SPACE_ONE,      RECSYS_SPACE_ITEMS, 1 },
    { RECSYS_BLOB_TRENDING,     RECSYS_SPACE_ONE,      RECSYS_SPACE_ITEMS, 0 },
    { RECSYS_BLOB_ITEM_GENRES,  RECSYS_SPACE_ITEMS,    RECSYS_SPACE_GENRES, 0 },
    { RECSYS_BLOB_USER_HIST,    RECSYS_SPACE_USERS,    RECSYS_SPACE_ITEMS, 1 },
    { RECSYS_BLOB_USER_SEEN,    RECSYS_SPACE_USERS,    RECSYS_SPACE_ITEMS, 1 },
    { RECSYS_BLOB_WEIGHTS,      RECSYS_SPACE_ONE,      RECSYS_SPACE_SOURCES, 0 },
    { RECSYS_BLOB_USER_NBRS,    RECSYS_SPACE_USERS,    RECSYS_SPACE_USERS, 0 },
    { RECSYS_BLOB_USER_SEGMENT, RECSYS_SPACE_USERS,    RECSYS_SPACE_SEGMENTS, 0 },
    { RECSYS_BLOB_SEGMENT_TOP,  RECSYS_SPACE_SEGMENTS, RECSYS_SPACE_ITEMS, 0 },
    { RECSYS_BLOB_USER_HYBRID,  RECSYS_SPACE_USERS,    RECSYS_SPACE_ITEMS, 0 },
    { RECSYS_BLOB_USER_MEAN,    RECSYS_SPACE_USERS,    RECSYS_SPACE_ONE, 0 },
    { RECSYS_BLOB_ITEM_MEAN,    RECSYS_SPACE_ITEMS,    RECSYS_SPACE_ONE, 0 },
    { RECSYS_BLOB_VALUE_RANGE,  RECSYS_SPACE_ONE,      RECSYS_SPACE_STATS, 0 },
    { RECSYS_BLOB_SEGMENT_GENRES, RECSYS_SPACE_SEGMENTS, RECSYS_SPACE_GENRES,
      0 },
    { RECSYS_BLOB_SESSION,      RECSYS_SPACE_ITEMS,    RECSYS_SPACE_ITEMS, 0 },
    { RECSYS_BLOB_SESSION_SCALES, RECSYS_SPACE_ONE,    RECSYS_SPACE_SOURCES,
      0 },
};

#define RECSYS_N_FIXED  \
    (sizeof(recsys_fixed_lists) / sizeof(recsys_fixed_lists[0]))


static int recsys_model_fail(char *err, size_t errlen, int status,
    const char *what, const char *why);
static int recsys_model_read_header(recsys_model_t *m, char *err,
    size_t errlen);
static int recsys_model_read_list(recsys_model_t *m, const char *name,
    recsys_space_t rows_space, recsys_space_t entries_space, int required,
    recsys_list_t *list, int *has, char *err, size_t errlen);
static int recsys_model_read_items(recsys_model_t *m, char *err,
    size_t errlen);
static int recsys_model_read_genres(recsys_model_t *m, char *err,
    size_t errlen);
static int recsys_model_read_table(recsys_model_t *m, const char *name,
    uint32_t n_rows, const unsigned char **offsets,
    const unsigned char **data, uint32_t *reserved, char *err,
    size_t errlen);
static int recsys_model_read_explain(recsys_model_t *m, char *err,
    size_t errlen);
static int recsys_model_read_imports(recsys_model_t *m, char *err,
    size_t errlen);
static int recsys_model_read_hash(recsys_model_t *m, const char *name,
    uint32_t n, recsys_hash_view_t *view, char *err, size_t errlen);
static int recsys_model_read_packed(recsys_model_t *m, char *err,
    size_t errlen);
static int recsys_model_read_lists(recsys_model_t *m, char *err,
    size_t errlen);
static int recsys_model_read_optional(recsys_model_t *m, char *err,
    size_t errlen);
static int recsys_model_blob(recsys_model_t *m, const char *name,
    MDB_val *val);
static int recsys_model_blob_head(const MDB_val *v, const char *name,
    void *head, size_t size, char *err, size_t errlen);
static void recsys_model_drop(const MDB_val *v);


/*
 * What the request-time re-ranking reads of each item, side by side (read
 * after the lists and the attributes were checked): its genres as a set,
 * its share of users from the popular list to the power 1/4 (the root
 * taken once here) and its series.
 */
static int
recsys_model_read_facts(recsys_model_t *m, char *err, size_t errlen)
{
    double                 share;
    uint32_t               i, g, n, item;
    recsys_row_t           row;
    recsys_item_facts_t   *f;
    const recsys_list_t   *genres;

    n = m->header.n_items + 1;
    m->facts = calloc(n, sizeof(recsys_item_facts_t));
    if (m->facts == NULL) {
        return recsys_model_fail(err, errlen, RECSYS_ENOMEM, "open",
                                 "out of memory");
    }

    genres = recsys_model_list(m, RECSYS_L_ITEM_GENRES);

    for (i = 0; i < n; i++) {
        row = recsys_list_row(genres, i);
        f = &m->facts[i];

        for (g = 0; g < row.n; g++) {
            f->genres |= (uint64_t) 1 << (recsys_row_item(row, g) & 63);
        }

        f->series = m->has_attrs && i < m->header.n_items
                    ? recsys_attrs_series(&m->attrs, i) : RECSYS_NO_INDEX;
    }

    row = recsys_list_row(&m->lists[RECSYS_L_POPULAR], 0);

    for (i = 0; i < row.n; i++) {
        item = recsys_row_item(row, i);
        share = recsys_row_score(row, i);

        if (item < m->header.n_items && share > 0.0) {
            m->facts[item].pop = (float) sqrt(sqrt(share));
        }
    }

    return RECSYS_OK;
}


const recsys_item_facts_t *
recsys_model_item_facts(const recsys_model_t *m)
{
    return m->facts;
}


/* What opening reads and checks, in this order, after the databases. */
typedef int (*recsys_model_read_pt)(recsys_model_t *m, char *err,
    size_t errlen);

static const recsys_model_read_pt  recsys_model_readers[] = {
    recsys_model_read_header,
    recsys_model_read_items,
    recsys_model_read_genres,
    recsys_model_read_imports,
    recsys_model_read_explain,
    recsys_model_read_optional,
    recsys_model_read_packed,
    recsys_model_read_lists,
    recsys_model_read_facts,
    NULL
};


int
recsys_model_open(const char *path, recsys_model_t **model, char *err,
    size_t errlen)
{
    return recsys_model_open_flags(path, 0, model, err, errlen);
}


int
recsys_model_open_flags(const char *path, unsigned flags,
    recsys_model_t **model, char *err, size_t errlen)
{
    int              rc;
    struct stat                 st;
    recsys_model_t             *m;
    const recsys_model_read_pt  *r;

    *model = NULL;

    if (flags & RECSYS_MODEL_OPEN_VERIFY) {
        rc = recsys_verify_file(path, err, errlen);
        if (rc != RECSYS_OK) {
            return rc;
        }
    }

    m = calloc(1, sizeof(recsys_model_t));
    if (m == NULL) {
        return recsys_model_fail(err, errlen, RECSYS_ENOMEM, "open",
                                 "out of memory");
    }

    m->flags = flags;
    m->serial = ++recsys_model_opened;

    /* LMDB would try to initialise an empty file: refuse it here */
    if (stat(path, &st) == 0 && st.st_size < 2 * 4096) {
        free(m);
        return recsys_model_fail(err, errlen, RECSYS_EFORMAT, "open",
                                 "too small for an LMDB file");
    }

    rc = mdb_env_create(&m->db.env);
    if (rc != 0) {
        free(m);
        return recsys_model_fail(err, errlen, RECSYS_ELMDB, "mdb_env_create",
                                 mdb_strerror(rc));
    }

    mdb_env_set_maxdbs(m->db.env, RECSYS_MAX_DBS);

    rc = mdb_env_open(m->db.env, path,
                      MDB_RDONLY | MDB_NOLOCK | MDB_NOSUBDIR | MDB_NORDAHEAD,
                      0);
    if (rc != 0) {
        rc = recsys_model_fail(err, errlen,
                               rc == MDB_INVALID ? RECSYS_EFORMAT
                                                 : RECSYS_EIO,
                               "mdb_env_open", mdb_strerror(rc));
        goto failed;
    }

    rc = mdb_txn_begin(m->db.env, NULL, MDB_RDONLY, &m->db.txn);
    if (rc != 0) {
        rc = recsys_model_fail(err, errlen, RECSYS_ELMDB, "mdb_txn_begin",
                               mdb_strerror(rc));
        goto failed;
    }

    if (recsys_lmdb_open_dbs(&m->db, 0) != 0) {
        rc = recsys_model_fail(err, errlen, RECSYS_EFORMAT, "open databases",
                               "the file lacks the recsys databases");
        goto failed;
    }

    for (r = recsys_model_readers; *r != NULL; r++) {
        rc = (*r)(m, err, errlen);
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

    if (m->db.txn != NULL) {
        mdb_txn_abort(m->db.txn);
    }

    mdb_env_close(m->db.env);
    free(m->facts);
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

    return mdb_get(m->db.txn, dbi, &k, val);
}


static int
recsys_model_read_header(recsys_model_t *m, char *err, size_t errlen)
{
    char     why[128];
    MDB_val  v;

    if (recsys_model_get(m, m->db.meta, RECSYS_META_HEADER, &v) != 0
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

    if (recsys_model_get(m, m->db.meta, RECSYS_META_MODEL_ID, &v) != 0
        || v.mv_size == 0 || v.mv_size > RECSYS_MODEL_ID_MAX)
    {
        return recsys_model_fail(err, errlen, RECSYS_ECORRUPT, "header",
                                 "missing or over-long model id");
    }

    memcpy(m->id, v.mv_data, v.mv_size);
    m->id[v.mv_size] = '\0';

    /* the id goes into every answer's JSON and ETag as it is */
    if (!recsys_json_plain(m->id, v.mv_size) || strchr(m->id, '"') != NULL
        || strchr(m->id, '\\') != NULL)
    {
        return recsys_model_fail(err, errlen, RECSYS_ECORRUPT, "header",
                                 "model id is not plain text");
    }

    return RECSYS_OK;
}


static int
recsys_model_blob(recsys_model_t *m, const char *name, MDB_val *val)
{
    return recsys_model_get(m, m->db.blobs, name, val);
}


/*
 * Copies the head (size bytes) that blob v (of name) opens with into
 * head: RECSYS_OK, or RECSYS_ECORRUPT ("truncated") when v is shorter.
 */
static int
recsys_model_blob_head(const MDB_val *v, const char *name, void *head,
    size_t size, char *err, size_t errlen)
{
    if (v->mv_size < size) {
        return recsys_model_fail(err, errlen, RECSYS_ECORRUPT, name,
                                 "truncated");
    }

    memcpy(head, v->mv_data, size);

    return RECSYS_OK;
}


/*
 * The optional blobs with a reader of their own: each view checks the blob
 * v against the model (setting *why when it fails), and a blob that is
 * present and passes sets its has_ flag (at offset has of the model).
 */
typedef int (*recsys_model_view_pt)(recsys_model_t *m, const MDB_val *v,
    const char **why);


static int
recsys_model_view_rules(recsys_model_t *m, const MDB_val *v,
    const char **why)
{
    *why = "bad rules";

    if (recsys_rules_view(v->mv_data, v->mv_size, &m->rules) != RECSYS_OK
        || m->rules.n_items != m->header.n_items)
    {
        return RECSYS_ECORRUPT;
    }

    return RECSYS_OK;
}


/* The catalogue search of /items. */
static int
recsys_model_view_search(recsys_model_t *m, const MDB_val *v,
    const char **why)
{
    *why = "bad search index";

    return recsys_items_index_view(v->mv_data, v->mv_size,
                                   m->header.n_items, &m->search)
           == RECSYS_OK ? RECSYS_OK : RECSYS_ECORRUPT;
}


/* The item attributes, with the series table when there is one. */
static int
recsys_model_view_attrs(recsys_model_t *m, const MDB_val *v,
    const char **why)
{
    MDB_val  sv;

    if (recsys_model_blob(m, RECSYS_BLOB_ITEM_SERIES, &sv) != 0) {
        sv.mv_data = NULL;
        sv.mv_size = 0;
    }

    return recsys_attrs_open(&m->attrs, v->mv_data, v->mv_size, sv.mv_data,
                             sv.mv_size, m->header.n_items, why);
}


static const struct {
    const char            *name;
    recsys_model_view_pt   view;
    size_t                 has;
}  recsys_model_optionals[] = {
    { RECSYS_BLOB_RULES, recsys_model_view_rules,
      offsetof(recsys_model_t, has_rules) },
    { RECSYS_BLOB_ITEM_SEARCH, recsys_model_view_search,
      offsetof(recsys_model_t, has_search) },
    { RECSYS_BLOB_ITEM_ATTRS, recsys_model_view_attrs,
      offsetof(recsys_model_t, has_attrs) },
};


static int
recsys_model_read_optional(recsys_model_t *m, char *err, size_t errlen)
{
    int          rc;
    size_t       k;
    MDB_val      v;
    const char  *why;

    for (k = 0; k < sizeof(recsys_model_optionals)
                    / sizeof(recsys_model_optionals[0]); k++)
    {
        if (recsys_model_blob(m, recsys_model_optionals[k].name, &v) != 0) {
            continue;
        }

        why = "bad blob";
        rc = recsys_model_optionals[k].view(m, &v, &why);
        if (rc != RECSYS_OK) {
            return recsys_model_fail(err, errlen, rc,
                                     recsys_model_optionals[k].name, why);
        }

        *(int *) ((char *) m + recsys_model_optionals[k].has) = 1;
    }

    return RECSYS_OK;
}


const recsys_attrs_t *
recsys_model_attrs(const recsys_model_t *m)
{
    return m->has_attrs ? &m->attrs : NULL;
}


/*
 * The fixed lists of recsys_fixed_lists[], then per source its item
 * neighbours ("item.nbrs.<source>") and user lists ("user.recs.<source>").
 */
static int
recsys_model_read_lists(recsys_model_t *m, char *err, size_t errlen)
{
    int     rc;
    char    name[64];
    size_t  k, j, l;

    /* per source: its name's base, its rows, the first of its lists */
    static const struct {
        const char      *base;
        recsys_space_t   rows;
        size_t           list;
    }  recsys_model_src_lists[2] = {
        { RECSYS_BLOB_ITEM_NBRS, RECSYS_SPACE_ITEMS, RECSYS_L_ITEM_NBRS },
        { RECSYS_BLOB_USER_RECS, RECSYS_SPACE_USERS, RECSYS_L_USER_RECS }
    };

    for (k = 0; k < RECSYS_N_FIXED; k++) {
        rc = recsys_model_read_list(m, recsys_fixed_lists[k].name,
                                    recsys_fixed_lists[k].rows,
                                    recsys_fixed_lists[k].entries,
                                    recsys_fixed_lists[k].required,
                                    &m->lists[k], &m->has[k], err, errlen);
        if (rc != RECSYS_OK) {
            return rc;
        }
    }

    for (k = 0; k < RECSYS_NSRC; k++) {
        for (j = 0; j < 2; j++) {
            snprintf(name, sizeof(name), "%s%s", recsys_model_src_lists[j].base,
                     recsys_source_key((int) k));
            l = recsys_model_src_lists[j].list + k;

            rc = recsys_model_read_list(m, name, recsys_model_src_lists[j].rows,
                                        RECSYS_SPACE_ITEMS, 0, &m->lists[l],
                                        &m->has[l], err, errlen);
            if (rc != RECSYS_OK) {
                return rc;
            }
        }
    }

    return RECSYS_OK;
}


/*
 * The packed request-time models: for each source of the registry with a
 * packed key, its blob when present, checked by the source's own reader
 * and kept in m->packed[source].
 */
static int
recsys_model_read_packed(recsys_model_t *m, char *err, size_t errlen)
{
    int                     s, rc;
    MDB_val                 v;
    uint32_t                n_items;
    recsys_gru_head_t       gh;
    recsys_hmm_head_t       hh;
    const recsys_source_t  *src;

    for (s = 0; s < RECSYS_NSRC; s++) {
        src = recsys_source_get(s);

        if (src->packed == NULL || recsys_model_blob(m, src->packed, &v) != 0)
        {
            continue;
        }

        n_items = 0;

        if (s == RECSYS_SRC_HMM) {
            rc = recsys_hmm_check(v.mv_data, v.mv_size, &hh);
            n_items = rc == RECSYS_OK ? hh.n_items : 0;

        } else if (s == RECSYS_SRC_GRU || s == RECSYS_SRC_LSTM) {
            rc = s == RECSYS_SRC_GRU
                 ? recsys_gru_check(v.mv_data, v.mv_size, &gh)
                 : recsys_lstm_check(v.mv_data, v.mv_size, &gh);
            n_items = rc == RECSYS_OK ? gh.n_items : 0;

        } else {
            rc = RECSYS_ECORRUPT;
        }

        if (rc != RECSYS_OK || n_items != m->header.n_items) {
            return recsys_model_fail(err, errlen, RECSYS_ECORRUPT,
                                     src->packed, "bad model");
        }

        m->packed[s] = v;
    }

    return RECSYS_OK;
}


static int
recsys_model_read_items(recsys_model_t *m, char *err, size_t errlen)
{
    int       rc;
    uint32_t  i, from, to, ext_len, id_len, reserved;

    rc = recsys_model_read_table(m, RECSYS_BLOB_ITEM_RECORDS,
                                 m->header.n_items, &m->item_offsets,
                                 &m->item_data, &reserved, err, errlen);

    if (rc == RECSYS_ENOTFOUND) {
        return recsys_model_fail(err, errlen, RECSYS_ECORRUPT,
                                 RECSYS_BLOB_ITEM_RECORDS, "missing");
    }

    if (rc != RECSYS_OK) {
        return rc;
    }

    for (i = 0; i < m->header.n_items; i++) {
        from = recsys_get_u32(m->item_offsets + (size_t) i * 4);
        to = recsys_get_u32(m->item_offsets + (size_t) i * 4 + 4);

        if (to - from < 4) {
            return recsys_model_fail(err, errlen, RECSYS_ECORRUPT,
                                     RECSYS_BLOB_ITEM_RECORDS, "bad record");
        }

        ext_len = recsys_get_u16(m->item_data + from);
        id_len = recsys_get_u16(m->item_data + from + 2);

        /* the id as the builder read it, then JSON text copied into
         * answers as it is: valid UTF-8, and no control byte raw */
        if (4 + ext_len + id_len > to - from
            || !recsys_id_valid((const char *) m->item_data + from + 4,
                                ext_len)
            || !recsys_json_plain((const char *) m->item_data + from + 4
                                  + ext_len, to - from - 4 - ext_len))
        {
            return recsys_model_fail(err, errlen, RECSYS_ECORRUPT,
                                     RECSYS_BLOB_ITEM_RECORDS, "bad record");
        }
    }

    rc = recsys_model_read_hash(m, RECSYS_BLOB_ITEM_HASH, m->header.n_items,
                                &m->item_hash, err, errlen);
    if (rc != RECSYS_OK) {
        return rc;
    }

    return recsys_model_read_hash(m, RECSYS_BLOB_USER_HASH, m->header.n_users,
                                  &m->user_hash, err, errlen);
}


/*
 * An optional id hash: a power-of-two table with more slots than ids,
 * every slot empty or an index below n, the ids' offsets in order, each id
 * 1 to RECSYS_ID_MAX bytes.  A missing blob leaves view->slots NULL.
 */
static int
recsys_model_read_hash(recsys_model_t *m, const char *name, uint32_t n,
    recsys_hash_view_t *view, char *err, size_t errlen)
{
    size_t                fixed;
    uint32_t              n_slots, s, v, used, from, to;
    MDB_val               val;
    const unsigned char  *p;

    memset(view, 0, sizeof(recsys_hash_view_t));

    if (recsys_model_blob(m, name, &val) != 0) {
        return RECSYS_OK;
    }

    p = val.mv_data;

    if (val.mv_size < 12 || recsys_get_u32(p) != RECSYS_HASH_MAGIC
        || recsys_get_u32(p + 8) != n)
    {
        return recsys_model_fail(err, errlen, RECSYS_ECORRUPT, name,
                                 "bad header");
    }

    n_slots = recsys_get_u32(p + 4);
    fixed = 12 + (size_t) n_slots * 4 + ((size_t) n + 1) * 4;

    if (n_slots == 0 || (n_slots & (n_slots - 1)) != 0 || n_slots <= n
        || val.mv_size < fixed
        || val.mv_size - fixed != recsys_get_u32(p + fixed - 4))
    {
        return recsys_model_fail(err, errlen, RECSYS_ECORRUPT, name,
                                 "bad size");
    }

    view->slots = p + 12;
    view->offs = view->slots + (size_t) n_slots * 4;
    view->keys = p + fixed;

    for (v = 0; v < n; v++) {
        from = recsys_get_u32(view->offs + (size_t) v * 4);
        to = recsys_get_u32(view->offs + (size_t) v * 4 + 4);

        if (to <= from || to - from > RECSYS_ID_MAX) {
            view->slots = NULL;
            return recsys_model_fail(err, errlen, RECSYS_ECORRUPT, name,
                                     "bad id");
        }
    }

    used = 0;

    for (s = 0; s < n_slots; s++) {
        v = recsys_get_u32(view->slots + (size_t) s * 4);

        if (v != RECSYS_HASH_EMPTY && (v >= n || ++used >= n_slots)) {
            view->slots = NULL;
            return recsys_model_fail(err, errlen, RECSYS_ECORRUPT, name,
                                     "bad slot");
        }
    }

    view->mask = n_slots - 1;
    view->n = n;

    return RECSYS_OK;
}


/*
 * A table blob (recsys_schema.h) of n_rows rows: the head, offsets that
 * start at 0, never go back and end at the data's size.  RECSYS_ENOTFOUND
 * when the model has no such blob.
 */
static int
recsys_model_read_table(recsys_model_t *m, const char *name, uint32_t n_rows,
    const unsigned char **offsets, const unsigned char **data,
    uint32_t *reserved, char *err, size_t errlen)
{
    uint32_t              r, from, to;
    MDB_val               v;
    recsys_table_head_t   head;
    const unsigned char  *p;

    if (recsys_model_blob(m, name, &v) != 0) {
        return RECSYS_ENOTFOUND;
    }

    p = v.mv_data;

    if (recsys_model_blob_head(&v, name, &head, sizeof(head), err, errlen)
        != RECSYS_OK)
    {
        return RECSYS_ECORRUPT;
    }

    if (head.magic != RECSYS_TABLE_MAGIC || head.n_rows != n_rows
        || v.mv_size != sizeof(head) + ((size_t) head.n_rows + 1) * 4
                        + head.data_size)
    {
        return recsys_model_fail(err, errlen, RECSYS_ECORRUPT, name,
                                 "bad size");
    }

    *offsets = p + sizeof(head);
    *data = *offsets + ((size_t) head.n_rows + 1) * 4;
    *reserved = head.reserved;

    from = 0;
    for (r = 0; r <= head.n_rows; r++) {
        to = recsys_get_u32(*offsets + (size_t) r * 4);
        if (to < from || to > head.data_size || (r == 0 && to != 0)
            || (r == head.n_rows && to != head.data_size))
        {
            return recsys_model_fail(err, errlen, RECSYS_ECORRUPT, name,
                                     "bad offsets");
        }
        from = to;
    }

    return RECSYS_OK;
}


/* The genre names: a table of raw names, one row per genre. */
static int
recsys_model_read_genres(recsys_model_t *m, char *err, size_t errlen)
{
    int       rc;
    uint32_t  reserved, g, from, to;

    rc = recsys_model_read_table(m, RECSYS_BLOB_GENRE_NAMES,
                                 m->header.n_genres, &m->genre_offsets,
                                 &m->genre_data, &reserved, err, errlen);

    for (g = 0; rc == RECSYS_OK && g < m->header.n_genres; g++) {
        from = recsys_get_u32(m->genre_offsets + (size_t) g * 4);
        to = recsys_get_u32(m->genre_offsets + (size_t) g * 4 + 4);

        if (!recsys_json_plain((const char *) m->genre_data + from,
                               to - from))
        {
            return recsys_model_fail(err, errlen, RECSYS_ECORRUPT,
                                     RECSYS_BLOB_GENRE_NAMES, "bad name");
        }
    }

    if (rc == RECSYS_ENOTFOUND) {
        return m->header.n_genres == 0
               ? RECSYS_OK
               : recsys_model_fail(err, errlen, RECSYS_ECORRUPT,
                                   RECSYS_BLOB_GENRE_NAMES, "missing");
    }

    return rc;
}


/*
 * The names of the imported slots ("import.names"): each row empty or a
 * name of [a-z0-9_] and a NUL, no registry name and no other slot's.
 */
static int
recsys_model_read_imports(recsys_model_t *m, char *err, size_t errlen)
{
    int                   rc;
    size_t                len;
    uint32_t              reserved, k, from, to;
    const unsigned char  *offs, *data;

    rc = recsys_model_read_table(m, RECSYS_BLOB_IMPORT_NAMES, RECSYS_NIMPORT,
                                 &offs, &data, &reserved, err, errlen);
    if (rc != RECSYS_OK) {
        return rc == RECSYS_ENOTFOUND ? RECSYS_OK : rc;
    }

    for (k = 0; k < RECSYS_NIMPORT; k++) {
        from = recsys_get_u32(offs + (size_t) k * 4);
        to = recsys_get_u32(offs + (size_t) k * 4 + 4);
        len = to - from;

        if (len == 0) {
            continue;
        }

        if (len < 2 || data[to - 1] != '\0'
            || !recsys_source_import_name_ok((const char *) data + from,
                                             len - 1)
            || recsys_model_source_parse(m, (const char *) data + from,
                                         len - 1) >= 0)
        {
            return recsys_model_fail(err, errlen, RECSYS_ECORRUPT,
                                     RECSYS_BLOB_IMPORT_NAMES, "bad name");
        }

        m->import_name[k] = (const char *) data + from;
    }

    return RECSYS_OK;
}


int
recsys_model_source_parse(const recsys_model_t *m, const char *name,
    size_t len)
{
    int  s, k;

    s = recsys_source_parse(name, len);
    if (s >= 0 || m == NULL) {
        return s;
    }

    for (k = 0; k < RECSYS_NIMPORT; k++) {
        if (m->import_name[k] != NULL && strlen(m->import_name[k]) == len
            && memcmp(m->import_name[k], name, len) == 0)
        {
            return RECSYS_SRC_IMPORT + k;
        }
    }

    return -1;
}


const char *
recsys_model_source_name(const recsys_model_t *m, int source)
{
    if (m != NULL && source >= RECSYS_SRC_IMPORT && source < RECSYS_NSRC
        && m->import_name[source - RECSYS_SRC_IMPORT] != NULL)
    {
        return m->import_name[source - RECSYS_SRC_IMPORT];
    }

    return recsys_source_name(source);
}


/*
 * The optional precomputed explanations: every row whole records, every
 * source bit a source, at most RECSYS_EXPLAIN_BECAUSE_MAX because items,
 * every item index in range.  The query trusts them after this.
 */
static int
recsys_model_read_explain(recsys_model_t *m, char *err, size_t errlen)
{
    int                   rc;
    size_t                at, end, size;
    uint32_t              u, k, n_because, history;
    const unsigned char  *offsets, *data, *p;

    rc = recsys_model_read_table(m, RECSYS_BLOB_USER_EXPLAIN,
                                 m->header.n_users, &offsets, &data,
                                 &history, err, errlen);
    if (rc == RECSYS_ENOTFOUND) {
        return RECSYS_OK;
    }

    if (rc != RECSYS_OK) {
        return rc;
    }

    for (u = 0; u < m->header.n_users; u++) {
        at = recsys_get_u32(offsets + (size_t) u * 4);
        end = recsys_get_u32(offsets + (size_t) u * 4 + 4);

        while (at < end) {
            p = data + at;

            if (end - at < 8
                || recsys_get_u32(p) >= m->header.n_items
                || recsys_get_u16(p + 4) >= 1u << RECSYS_SRC_IMPORT
                || recsys_get_u16(p + 6) > RECSYS_EXPLAIN_BECAUSE_MAX)
            {
                return recsys_model_fail(err, errlen, RECSYS_ECORRUPT,
                                         RECSYS_BLOB_USER_EXPLAIN,
                                         "bad record");
            }

            size = recsys_explain_record_size(p);
            n_because = recsys_get_u16(p + 6);

            if (size > end - at) {
                return recsys_model_fail(err, errlen, RECSYS_ECORRUPT,
                                         RECSYS_BLOB_USER_EXPLAIN,
                                         "bad record");
            }

            for (k = 0; k < n_because; k++) {
                if (recsys_get_u32(p + size - (n_because - k) * 4)
                    >= m->header.n_items)
                {
                    return recsys_model_fail(err, errlen, RECSYS_ECORRUPT,
                                             RECSYS_BLOB_USER_EXPLAIN,
                                             "index out of range");
                }
            }

            at += size;
        }
    }

    if (history == 0) {
        return recsys_model_fail(err, errlen, RECSYS_ECORRUPT,
                                 RECSYS_BLOB_USER_EXPLAIN,
                                 "no explain_history");
    }

    m->explain_offsets = offsets;
    m->explain_data = data;
    m->explain_history = history;

    return RECSYS_OK;
}


int
recsys_model_explain(const recsys_model_t *m, uint32_t user,
    uint32_t explain_history, const unsigned char **p, size_t *len)
{
    uint32_t  from, to;

    if (m->explain_offsets == NULL || explain_history != m->explain_history
        || user >= m->header.n_users)
    {
        return RECSYS_ENOTFOUND;
    }

    from = recsys_get_u32(m->explain_offsets + (size_t) user * 4);
    to = recsys_get_u32(m->explain_offsets + (size_t) user * 4 + 4);

    *p = m->explain_data + from;
    *len = to - from;

    return RECSYS_OK;
}


void
recsys_model_explain_prefetch(const recsys_model_t *m, uint32_t user)
{
#if defined(__GNUC__)
    if (m->explain_offsets != NULL && user < m->header.n_users) {
        __builtin_prefetch(m->explain_offsets + (size_t) user * 4);
    }
#else
    (void) m;
    (void) user;
#endif
}


int
recsys_model_genre(const recsys_model_t *m, const char *name, size_t len,
    uint32_t *genre)
{
    uint32_t  g, from, to;

    for (g = 0; g < m->header.n_genres; g++) {
        from = recsys_get_u32(m->genre_offsets + (size_t) g * 4);
        to = recsys_get_u32(m->genre_offsets + (size_t) g * 4 + 4);

        if (to - from == len && memcmp(m->genre_data + from, name, len) == 0)
        {
            *genre = g;
            return RECSYS_OK;
        }
    }

    return RECSYS_ENOTFOUND;
}


static uint32_t
recsys_model_space(const recsys_model_t *m, recsys_space_t space)
{
    switch (space) {
    case RECSYS_SPACE_USERS:
        return m->header.n_users;
    case RECSYS_SPACE_ITEMS:
        return m->header.n_items;
    case RECSYS_SPACE_GENRES:
        return m->header.n_genres;
    case RECSYS_SPACE_SEGMENTS:
        return m->header.n_segments;
    case RECSYS_SPACE_SOURCES:
        return RECSYS_NSRC;
    case RECSYS_SPACE_STATS:
        return 3;
    default:
        return 1;
    }
}


static int
recsys_model_read_list(recsys_model_t *m, const char *name,
    recsys_space_t rows_space, recsys_space_t entries_space, int required,
    recsys_list_t *list, int *has, char *err, size_t errlen)
{
    uint32_t              rows, limit, r, prev, cur, e, item;
    MDB_val               v;
    recsys_list_head_t    head;
    const unsigned char  *p;

    if (recsys_model_blob(m, name, &v) != 0) {
        if (required) {
            return recsys_model_fail(err, errlen, RECSYS_ECORRUPT, name,
                                     "missing");
        }

        return RECSYS_OK;
    }

    rows = recsys_model_space(m, rows_space);
    limit = recsys_model_space(m, entries_space);

    p = v.mv_data;

    if (recsys_model_blob_head(&v, name, &head, sizeof(head), err, errlen)
        != RECSYS_OK)
    {
        return RECSYS_ECORRUPT;
    }

    if (head.magic != RECSYS_LIST_MAGIC || head.n_rows != rows
        || v.mv_size != sizeof(head) + ((size_t) rows + 1) * 4
                        + (size_t) head.n_entries * sizeof(recsys_entry_t))
    {
        return recsys_model_fail(err, errlen, RECSYS_ECORRUPT, name,
                                 "bad size");
    }

    list->offsets = p + sizeof(head);
    list->entries = list->offsets + ((size_t) rows + 1) * 4;
    list->n_rows = rows;
    list->n_entries = head.n_entries;

    prev = recsys_get_u32(list->offsets);
    if (prev != 0) {
        return recsys_model_fail(err, errlen, RECSYS_ECORRUPT, name,
                                 "bad offsets");
    }

    for (r = 1; r <= rows; r++) {
        cur = recsys_get_u32(list->offsets + (size_t) r * 4);
        if (cur < prev) {
            return recsys_model_fail(err, errlen, RECSYS_ECORRUPT, name,
                                     "bad offsets");
        }
        prev = cur;
    }

    if (prev != head.n_entries) {
        return recsys_model_fail(err, errlen, RECSYS_ECORRUPT, name,
                                 "bad offsets");
    }

    for (e = 0; e < head.n_entries; e++) {
        item = recsys_get_u32(list->entries + (size_t) e * 8);
        if (item >= limit) {
            return recsys_model_fail(err, errlen, RECSYS_ECORRUPT, name,
                                     "index out of range");
        }

        /* weights and scales (a row of a few entries) scale every score
         * of an answer: they must be numbers */
        if (entries_space == RECSYS_SPACE_SOURCES
            && !isfinite(recsys_get_f32(list->entries + (size_t) e * 8 + 4)))
        {
            return recsys_model_fail(err, errlen, RECSYS_ECORRUPT, name,
                                     "not a number");
        }
    }

    *has = 1;

    if (m->flags & RECSYS_MODEL_OPEN_DROP) {
        recsys_model_drop(&v);
    }

    return RECSYS_OK;
}


/* Gives back the whole pages inside a value (RECSYS_MODEL_OPEN_DROP). */
static void
recsys_model_drop(const MDB_val *v)
{
    long       page;
    uintptr_t  lo, hi;

    page = sysconf(_SC_PAGESIZE);
    if (page <= 0) {
        return;
    }

    lo = ((uintptr_t) v->mv_data + (uintptr_t) page - 1)
         & ~((uintptr_t) page - 1);
    hi = ((uintptr_t) v->mv_data + v->mv_size) & ~((uintptr_t) page - 1);

    if (hi > lo) {
        (void) madvise((void *) lo, hi - lo, MADV_DONTNEED);
    }
}


const char *
recsys_model_id(const recsys_model_t *m)
{
    return m->id;
}


uint64_t
recsys_model_serial(const recsys_model_t *m)
{
    return m->serial;
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

    if (mdb_get(m->db.txn, dbi, &k, &v) != 0 || v.mv_size != 4) {
        return RECSYS_ENOTFOUND;
    }

    *index = recsys_get_u32(v.mv_data);

    return *index < limit ? RECSYS_OK : RECSYS_ENOTFOUND;
}


/* The index of id in an id hash; RECSYS_ENOTFOUND if it is not there. */
static int
recsys_model_hash_find(const recsys_hash_view_t *h, const char *id,
    size_t len, uint32_t *index)
{
    uint32_t  s, v, n, from, to;

    s = recsys_id_hash(id, len) & h->mask;

    for (n = 0; n <= h->mask; n++) {
        v = recsys_get_u32(h->slots + (size_t) s * 4);

        if (v == RECSYS_HASH_EMPTY) {
            return RECSYS_ENOTFOUND;
        }

        from = recsys_get_u32(h->offs + (size_t) v * 4);
        to = recsys_get_u32(h->offs + (size_t) v * 4 + 4);

        if (to - from == len && memcmp(h->keys + from, id, len) == 0) {
            *index = v;
            return RECSYS_OK;
        }

        s = (s + 1) & h->mask;
    }

    return RECSYS_ENOTFOUND;
}


/* An id's index: through the id hash when the file has one. */
static int
recsys_model_lookup(const recsys_model_t *m, const recsys_hash_view_t *h,
    MDB_dbi dbi, uint32_t limit, const char *id, size_t len,
    uint32_t *index)
{
    if (h->slots == NULL) {
        return recsys_model_index(m, dbi, limit, id, len, index);
    }

    if (len == 0 || len > RECSYS_ID_MAX) {
        return RECSYS_ENOTFOUND;
    }

    return recsys_model_hash_find(h, id, len, index);
}


int
recsys_model_user(const recsys_model_t *m, const char *id, size_t len,
    uint32_t *user)
{
    return recsys_model_lookup(m, &m->user_hash, m->db.users, m->header.n_users,
                               id, len, user);
}


int
recsys_model_item(const recsys_model_t *m, const char *id, size_t len,
    uint32_t *item)
{
    return recsys_model_lookup(m, &m->item_hash, m->db.items, m->header.n_items,
                               id, len, item);
}


void
recsys_model_items_prefetch(const recsys_model_t *m,
    const recsys_scored_t *items, uint32_t n)
{
#if defined(__GNUC__)
    uint32_t  k, from;

    for (k = 0; k < n; k++) {
        __builtin_prefetch(m->item_offsets + (size_t) items[k].item * 4);
    }

    for (k = 0; k < n; k++) {
        from = recsys_get_u32(m->item_offsets + (size_t) items[k].item * 4);
        __builtin_prefetch(m->item_data + from);
        __builtin_prefetch(m->item_data + from + 64);
    }
#else
    (void) m;
    (void) items;
    (void) n;
#endif
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
recsys_model_list(const recsys_model_t *m, recsys_list_id_t id)
{
    return m->has[id] ? &m->lists[id] : NULL;
}


const recsys_list_t *
recsys_model_source_list(const recsys_model_t *m, recsys_list_id_t base,
    int source)
{
    if (source < 0 || source >= RECSYS_NSRC) {
        return NULL;
    }

    return recsys_model_list(m, (recsys_list_id_t) (base + source));
}


int
recsys_model_packed(const recsys_model_t *m, int source, const void **p,
    size_t *size)
{
    const MDB_val  *v;

    if (source < 0 || source >= RECSYS_NSRC) {
        return RECSYS_ENOTFOUND;
    }

    v = &m->packed[source];

    if (v->mv_data == NULL) {
        return RECSYS_ENOTFOUND;
    }

    *p = v->mv_data;
    *size = v->mv_size;

    return RECSYS_OK;
}


const recsys_rules_view_t *
recsys_model_rules(const recsys_model_t *m)
{
    return m->has_rules ? &m->rules : NULL;
}


int
recsys_model_meta(const recsys_model_t *m, const char *key,
    const char **value, size_t *len)
{
    MDB_val  v;

    if (recsys_model_get((recsys_model_t *) m, m->db.meta, key, &v) != 0) {
        return RECSYS_ENOTFOUND;
    }

    *value = v.mv_data;
    *len = v.mv_size;

    return RECSYS_OK;
}


const recsys_items_index_t *
recsys_model_search(const recsys_model_t *m)
{
    return m->has_search ? &m->search : NULL;
}
