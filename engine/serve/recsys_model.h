/*
 * recsys_model.h: the read side of a model file.
 *
 * recsys_model_open() maps a published snapshot read-only, checks its
 * header (magic, endian probe, format version) and the structure of every
 * blob it will serve from, and keeps one read transaction open for the
 * model's lifetime: the file is immutable, so every pointer handed out here
 * stays valid until recsys_model_close().  Lookups are zero-copy: lists and
 * item records are read in place from the memory map.
 */

#ifndef RECSYS_MODEL_H
#define RECSYS_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_schema.h"
#include "recsys_source.h"
#include "recsys_status.h"
#include "recsys_topk.h"


typedef struct recsys_model_s  recsys_model_t;

/* no user, no item: an index that is none */
#define RECSYS_NO_INDEX      UINT32_MAX

/* A validated list blob; rows are read with recsys_list_row(). */
typedef struct {
    const unsigned char  *offsets;    /* uint32[n_rows + 1] */
    const unsigned char  *entries;    /* recsys_entry_t[n_entries] */
    uint32_t              n_rows;
    uint32_t              n_entries;
} recsys_list_t;

/* One row of a list: n entries of 8 bytes starting at p. */
typedef struct {
    const unsigned char  *p;
    uint32_t              n;
} recsys_row_t;

/* An item's pre-rendered parts, pointing into the map. */
typedef struct {
    const char  *ext;           /* external id, not NUL-terminated */
    const char  *id_json;       /* "242" with quotes */
    const char  *meta_json;     /* "title":"...","genres":[...] */
    uint16_t     ext_len;
    uint16_t     id_json_len;
    uint32_t     meta_json_len;
} recsys_item_t;

/*
 * What the request-time re-ranking reads of a candidate
 * (recsys_model_item_facts), 16 bytes: four items to a cache line.
 */
typedef struct {
    uint64_t       genres;          /* genre g sets bit g mod 64 */
    float          pop;             /* share of users ^ 1/4, 0: none */
    uint32_t       series;          /* the series attribute's value,
                                       RECSYS_NO_INDEX: none */
} recsys_item_facts_t;


/*
 * Opens and validates the model at path.  On failure returns a negative
 * status and writes a reason into err (NUL-terminated, at most errlen).
 */
int recsys_model_open(const char *path, recsys_model_t **model, char *err,
    size_t errlen);

/*
 * As recsys_model_open; with RECSYS_MODEL_OPEN_DROP each list's pages are
 * given back once checked (MADV_DONTNEED: the map is a shared file map,
 * they stay in the page cache and are mapped again when read), for a
 * process that reads few of them afterwards (the builder reading back the
 * file it writes) and need not hold the whole file resident.
 */
#define RECSYS_MODEL_OPEN_DROP  0x1

/*
 * With RECSYS_MODEL_OPEN_VERIFY the whole file is first checked by
 * recsys_verify_file (recsys_verify.h), its reason for a refusal in err:
 * what every command opening a file it did not just write asks for, as
 * LMDB trusts its file and a damaged one is a SIGBUS.
 */
#define RECSYS_MODEL_OPEN_VERIFY  0x2

int recsys_model_open_flags(const char *path, unsigned flags,
    recsys_model_t **model, char *err, size_t errlen);
void recsys_model_close(recsys_model_t *model);

const char *recsys_model_id(const recsys_model_t *model);

/*
 * The model's number among those this process opened, from 1: a cache of
 * what was read from a model tells it apart from the next one, even one
 * at the same address with the same id (a fixed --model-id).
 */
uint64_t recsys_model_serial(const recsys_model_t *model);
const recsys_header_t *recsys_model_header(const recsys_model_t *model);

/* RECSYS_OK with the index, or RECSYS_ENOTFOUND. */
int recsys_model_user(const recsys_model_t *model, const char *id,
    size_t len, uint32_t *user);
int recsys_model_item(const recsys_model_t *model, const char *id,
    size_t len, uint32_t *item);

/* A genre by name (exact bytes): RECSYS_OK or RECSYS_ENOTFOUND. */
int recsys_model_genre(const recsys_model_t *model, const char *name,
    size_t len, uint32_t *genre);

/*
 * Asks the CPU for the records of n items (items[k].item) ahead of
 * recsys_model_item_get(): the records are scattered over the map, and
 * fetched together their cache misses overlap instead of queueing.
 */
void recsys_model_items_prefetch(const recsys_model_t *model,
    const recsys_scored_t *items, uint32_t n);

/*
 * Per item (n_items + 1 entries, the last one without genres, popularity
 * or series): what the series slots and the diversity re-ranking read of
 * a candidate, in one place so that a candidate costs one cache line, not
 * one per array.
 */
const recsys_item_facts_t *recsys_model_item_facts(
    const recsys_model_t *model);

/* item must be < n_items. */
void recsys_model_item_get(const recsys_model_t *model, uint32_t item,
    recsys_item_t *out);

/* The lists a model may hold; see recsys_schema.h for their layouts. */
typedef enum {
    RECSYS_L_POPULAR = 0,
    RECSYS_L_TRENDING,
    RECSYS_L_ITEM_GENRES,
    RECSYS_L_USER_HIST,
    RECSYS_L_USER_SEEN,
    RECSYS_L_WEIGHTS,
    RECSYS_L_USER_NBRS,
    RECSYS_L_USER_SEGMENT,
    RECSYS_L_SEGMENT_TOP,
    RECSYS_L_HYBRID,
    RECSYS_L_USER_MEAN,
    RECSYS_L_ITEM_MEAN,
    RECSYS_L_VALUE_RANGE,
    RECSYS_L_SEGMENT_GENRES,
    RECSYS_L_SESSION,
    RECSYS_L_SESSION_SCALES,
    RECSYS_L_ITEM_NBRS,                         /* + source */
    RECSYS_L_USER_RECS = RECSYS_L_ITEM_NBRS + RECSYS_NSRC,  /* + source */
    RECSYS_L_COUNT = RECSYS_L_USER_RECS + RECSYS_NSRC
} recsys_list_id_t;

/* A list, or NULL when the model does not have it. */
const recsys_list_t *recsys_model_list(const recsys_model_t *model,
    recsys_list_id_t id);
/* base is RECSYS_L_ITEM_NBRS or RECSYS_L_USER_RECS. */
const recsys_list_t *recsys_model_source_list(const recsys_model_t *model,
    recsys_list_id_t base, int source);

/*
 * The user's "user.explain" row (records of recsys_schema.h): RECSYS_OK
 * with its bytes (len may be 0) when the model has explanations computed
 * for explain_history credited history items, else RECSYS_ENOTFOUND.
 */
int recsys_model_explain(const recsys_model_t *model, uint32_t user,
    uint32_t explain_history, const unsigned char **p, size_t *len);
void recsys_model_explain_prefetch(const recsys_model_t *model,
    uint32_t user);

/* The packed association rules, or NULL (recsys_rules_read.h). */
struct recsys_rules_view_s;
const struct recsys_rules_view_s *recsys_model_rules(
    const recsys_model_t *model);

/* The catalogue search index of /items, or NULL (recsys_items.h). */
struct recsys_items_index_s;
const struct recsys_items_index_s *recsys_model_search(
    const recsys_model_t *model);

/*
 * The packed request-time model of source (the blob of its packed key in
 * recsys_source.h: the HMM, the GRU); RECSYS_ENOTFOUND if absent.
 */
int recsys_model_packed(const recsys_model_t *model, int source,
    const void **p, size_t *size);

/*
 * A source by name: a registry name (recsys_source_parse), else the name
 * an imported slot has in this model; -1 for neither.  model may be NULL.
 */
int recsys_model_source_parse(const recsys_model_t *model, const char *name,
    size_t len);

/* The name source answers under in this model (NUL-terminated). */
const char *recsys_model_source_name(const recsys_model_t *model,
    int source);
/* The item attributes (recsys_attrs.h), or NULL when the model has none. */
struct recsys_attrs_s;
const struct recsys_attrs_s *recsys_model_attrs(const recsys_model_t *model);

/* Reads a meta value (params, stats) as text; RECSYS_ENOTFOUND if absent. */
int recsys_model_meta(const recsys_model_t *model, const char *key,
    const char **value, size_t *len);


static inline recsys_row_t
recsys_list_row(const recsys_list_t *list, uint32_t row)
{
    recsys_row_t  r;
    uint32_t      from, to;

    if (list == NULL || row >= list->n_rows) {
        r.p = NULL;
        r.n = 0;
        return r;
    }

    from = recsys_get_u32(list->offsets + (size_t) row * 4);
    to = recsys_get_u32(list->offsets + (size_t) row * 4 + 4);

    r.p = list->entries + (size_t) from * sizeof(recsys_entry_t);
    r.n = to - from;

    return r;
}


static inline uint32_t
recsys_row_item(recsys_row_t row, uint32_t i)
{
    return recsys_get_u32(row.p + (size_t) i * sizeof(recsys_entry_t));
}


static inline float
recsys_row_score(recsys_row_t row, uint32_t i)
{
    return recsys_get_f32(row.p + (size_t) i * sizeof(recsys_entry_t) + 4);
}

#endif /* RECSYS_MODEL_H */
