/*
 * recsys_query.h: answering one recommendation request from a model.
 *
 * The request-time half of the engine: given a parsed request (user and/or
 * item indexes, algorithm, n, offset, exclusions) it reads the model's
 * precomputed lists and, only when they cannot answer, scores from the
 * user's stored history.  It never allocates except through the caller's
 * allocator (an nginx pool in the module, an arena in the builder), and its
 * work is bounded by the model's list caps and the request's n + offset.
 */

#ifndef RECSYS_QUERY_H
#define RECSYS_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_model.h"
#include "recsys_topk.h"


typedef struct {
    void     *(*alloc)(void *ctx, size_t size);
    void      *ctx;
} recsys_alloc_t;

typedef enum {
    RECSYS_Q_HYBRID = 0,
    RECSYS_Q_ITEMCF,
    RECSYS_Q_POPULAR,
    RECSYS_Q_NALGOS
} recsys_qalgo_t;

typedef enum {
    RECSYS_FALLBACK_NONE = 0,
    RECSYS_FALLBACK_POPULAR
} recsys_fallback_t;

#define RECSYS_NO_INDEX  UINT32_MAX

typedef struct {
    recsys_qalgo_t    algo;
    uint32_t          user;         /* RECSYS_NO_INDEX: anonymous/unknown */
    uint32_t          item;         /* RECSYS_NO_INDEX: no item= */
    uint32_t          n;
    uint32_t          offset;
    const uint32_t   *exclude;      /* item indexes never to return */
    uint32_t          n_exclude;
} recsys_query_t;

typedef struct {
    recsys_scored_t  *items;
    uint32_t          n;
    recsys_fallback_t fallback;
} recsys_result_t;

/* A set of item indexes (open addressing), for exclusions and dedup. */
typedef struct {
    uint32_t  *slots;
    uint32_t   mask;
    uint32_t   n;
} recsys_itemset_t;


/* Parses an algorithm name; RECSYS_EINVAL for a name this engine lacks. */
int recsys_qalgo_parse(const char *name, size_t len, recsys_qalgo_t *algo);
const char *recsys_qalgo_name(recsys_qalgo_t algo);

int recsys_itemset_init(recsys_itemset_t *set, uint32_t capacity,
    recsys_alloc_t *a);
void recsys_itemset_add(recsys_itemset_t *set, uint32_t item);
int recsys_itemset_has(const recsys_itemset_t *set, uint32_t item);

/* Whether item is in a row sorted by item index (user.seen). */
int recsys_row_contains(recsys_row_t sorted, uint32_t item);

/*
 * Item-CF from a weighted history: score(c) = sum over history entries h of
 * weight(h) * sim(h, c), for every c in h's neighbour row that is neither in
 * seen (a row sorted by item) nor in skip (may be NULL).  Writes the best
 * `need` into out (capacity need), best first, and their count to n_out.
 */
int recsys_score_itemcf(const recsys_list_t *nbrs, recsys_row_t hist,
    recsys_row_t seen, const recsys_itemset_t *skip, uint32_t need,
    recsys_alloc_t *a, recsys_scored_t *out, uint32_t *n_out);

/*
 * Runs a query.  On RECSYS_OK res->items holds res->n results (already past
 * the offset).  RECSYS_ENOTFOUND: the model lacks what the algorithm needs.
 */
int recsys_query_run(const recsys_model_t *model, const recsys_query_t *q,
    recsys_alloc_t *a, recsys_result_t *res);

#endif /* RECSYS_QUERY_H */
