/*
 * recsys_query.h: answering one recommendation request from a model.
 *
 * The request-time half of the engine.  A request names an algorithm (one
 * source, "hybrid" or "next"), a known user and/or a session history, and
 * filters; the engine copies from the builder's precomputed lists when they
 * answer the request, and otherwise scores at request time: a history
 * walks the item-to-item lists of the item-based sources (item-CF, content,
 * Markov), and the hybrid blend adds every source's normalised scores with
 * weights.  The builder calls the same blend and history functions to
 * precompute, so precomputed and request-time answers agree.
 *
 * Memory comes only from the caller's allocator (an nginx pool in the
 * module, an arena in the builder); the work is bounded by the history cap,
 * the neighbours walked per history item, the list caps and n + offset.
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

/* algo: a source (RECSYS_SRC_*) or one of these */
#define RECSYS_ALGO_HYBRID   RECSYS_NSRC
#define RECSYS_ALGO_NEXT     (RECSYS_NSRC + 1)
#define RECSYS_NALGOS        (RECSYS_NSRC + 2)

typedef enum {
    RECSYS_FALLBACK_NONE = 0,
    RECSYS_FALLBACK_POPULAR,
    RECSYS_FALLBACK_SEGMENT,
    RECSYS_FALLBACK_CONTENT,
    RECSYS_FALLBACK_ITEMCF
} recsys_fallback_t;

#define RECSYS_NO_INDEX      UINT32_MAX
#define RECSYS_EXPLAIN_HISTORY  20  /* explain_history when 0 */
#define RECSYS_BECAUSE_MAX   RECSYS_EXPLAIN_BECAUSE_MAX

/*
 * A dense per-item score array a caller may keep across requests (one per
 * thread and model: recsys_scratch_create(n_items of the model)), all zero
 * between requests; a session scored with it needs no zeroing of its own.
 * Without one (NULL) the same array comes zeroed from the allocator.
 */
typedef struct recsys_scratch_s  recsys_scratch_t;

recsys_scratch_t *recsys_scratch_create(uint32_t n_items);
void recsys_scratch_destroy(recsys_scratch_t *s);
uint32_t recsys_scratch_items(const recsys_scratch_t *s);

typedef struct {
    int               algo;
    uint32_t          user;         /* RECSYS_NO_INDEX: anonymous/unknown */
    uint32_t          item;         /* RECSYS_NO_INDEX: no item= */
    const uint32_t   *history;      /* session items, most recent last */
    uint32_t          n_history;
    const uint32_t   *exclude;      /* item indexes never to return */
    uint32_t          n_exclude;
    const uint32_t   *genres;       /* keep items with any of these */
    uint32_t          n_genres;
    uint32_t          n;
    uint32_t          offset;
    int               explain;
    const float      *weights;      /* RECSYS_NSRC weights; NULL: model's */
    uint32_t          max_history;  /* history items scored, 0: 100 */
    uint32_t          max_nbrs;     /* neighbours per history item, 0: all */
    uint32_t          explain_history;  /* newest history items explain
                                           credits, 0: 20 */
    recsys_scratch_t *scratch;      /* NULL: none */
} recsys_query_t;

/* Why an item was recommended (explain=1). */
typedef struct {
    float             contrib[RECSYS_NSRC];
    uint32_t          because[RECSYS_BECAUSE_MAX];
    uint32_t          n_because;
    uint32_t          rule;         /* algo=assoc: the rule's record, or
                                       RECSYS_NO_INDEX */
} recsys_why_t;

typedef struct {
    recsys_scored_t  *items;
    recsys_why_t     *why;          /* parallel to items when explain */
    uint32_t          n;
    int               algo;         /* what answered: a source or hybrid */
    recsys_fallback_t fallback;
} recsys_result_t;

/* A set of item indexes (open addressing), for exclusions and dedup. */
typedef struct {
    uint32_t  *slots;
    uint32_t   mask;
    uint32_t   n;
} recsys_itemset_t;

/* What a result may not be: seen, excluded, or outside the genres. */
typedef struct {
    recsys_row_t             seen;      /* sorted by item; may be empty */
    const recsys_itemset_t  *skip;      /* may be NULL */
    const recsys_list_t     *item_genres;
    const uint32_t          *genres;    /* keep items with any of these */
    uint32_t                 n_genres;  /* 0: no genre filter */
} recsys_filter_t;

/* One weighted source list for recsys_blend(). */
typedef struct {
    recsys_row_t      row;          /* (item, score), best first */
    const recsys_scored_t  *scored; /* or this, when row.p is NULL */
    uint32_t          n_scored;
    float             weight;
    float             norm;         /* the source's scale: its best score */
} recsys_blend_src_t;


/* Algorithm names: the sources, "hybrid", "next". -1 if unknown. */
int recsys_algo_parse(const char *name, size_t len);
const char *recsys_algo_name(int algo);
const char *recsys_fallback_name(recsys_fallback_t fallback);

int recsys_filter_pass(const recsys_filter_t *filter, uint32_t item);

int recsys_itemset_init(recsys_itemset_t *set, uint32_t capacity,
    recsys_alloc_t *a);
void recsys_itemset_add(recsys_itemset_t *set, uint32_t item);
int recsys_itemset_has(const recsys_itemset_t *set, uint32_t item);

/* Whether item is in a row sorted by item index (user.seen). */
int recsys_row_contains(recsys_row_t sorted, uint32_t item);

/*
 * Scores candidates from a weighted history over an item-to-item list:
 * score(c) = sum over history entries h of weight(h) * sim(h, c), for the
 * first max_nbrs entries of h's row (0: all), for every c the filter
 * passes.  Writes the best `need` into out (capacity need), best first,
 * and their count to n_out.
 */
int recsys_score_history(const recsys_list_t *nbrs, recsys_row_t hist,
    uint32_t max_nbrs, const recsys_filter_t *filter, uint32_t need,
    recsys_alloc_t *a, recsys_scored_t *out, uint32_t *n_out);

/*
 * The hybrid blend: score(i) = sum over sources s of weight(s) *
 * score_s(i) / norm(s), where score_s(i) is i's score in s's list (0 when
 * absent) and norm(s) its best score, for every item the filter passes.
 * Writes the best `need`, best first.
 */
int recsys_blend(const recsys_blend_src_t *src, uint32_t n_src,
    const recsys_filter_t *filter, uint32_t need, recsys_alloc_t *a,
    recsys_scored_t *out, uint32_t *n_out);

/*
 * The model's default blend weights (RECSYS_NSRC floats, from its
 * "hybrid.weights" list); zeros for sources the model lacks.
 */
void recsys_default_weights(const recsys_model_t *model, float *weights);

/*
 * Runs a query.  On RECSYS_OK res->items holds res->n results (already past
 * the offset).  RECSYS_ENOTFOUND: the model lacks the asked algorithm.
 */
int recsys_query_run(const recsys_model_t *model, const recsys_query_t *q,
    recsys_alloc_t *a, recsys_result_t *res);

#endif /* RECSYS_QUERY_H */
