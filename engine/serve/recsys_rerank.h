/*
 * recsys_rerank.h: the last steps of a request, after the sources and
 * filters: the overrides' boosts, the diversity re-ranking, the pins, then
 * the page (DESIGN.md, "Request-time order").
 *
 * When a request has boosts to apply, the query asks its path for a
 * candidate pool of 10 x (offset + n) items, with diversity alone for
 * 5 x (offset + n) (at most offset + n + RECSYS_DIVERSITY_MAX either way),
 * from position 0 instead of offset + n; with pins alone, for offset + n
 * and as many more as there are pins, at most offset + n more (the items
 * pinned past the page leave the pool), from position 0.  The diversity
 * re-ranking takes at most the first 5 x (offset + n) of the pool.  With
 * series, a pool with boosts or pins is filled to its length after the
 * series slots, while diversity alone re-ranks what the first candidates
 * leave (recsys_rerank_fill): a stored hybrid
 * list that covers them answers with no request-time blending.
 * recsys_rerank_prepare() says so and rewrites the query that runs;
 * recsys_rerank_apply() turns the pool into the page.  A request with
 * neither runs exactly as before.
 */

#ifndef RECSYS_RERANK_H
#define RECSYS_RERANK_H

#include "recsys_qctx.h"
#include "recsys_request.h"


/*
 * Fills run from q: an erased user made unknown and, when the answer is
 * re-ranked, the pool asked from offset 0.  Returns 1 when
 * recsys_rerank_apply() must follow the query.
 */
int recsys_rerank_prepare(const recsys_query_t *q, recsys_query_t *run);

/*
 * How many items the path's answer must hold after the series slots
 * (recsys_series.h) before the path stops running wider, for run, the
 * query recsys_rerank_prepare() made from q: run's offset + n when boosts
 * or pins apply, else q's offset + n.
 */
uint32_t recsys_rerank_fill(const recsys_query_t *q,
    const recsys_query_t *run);

/*
 * Boosts, diversifies and pins the pool c->out[0 .. c->have) (res->why
 * parallel to it when explained) and leaves in res the page q asked for.
 * RECSYS_OK or RECSYS_ENOMEM.
 */
int recsys_rerank_apply(recsys_qctx_t *c, const recsys_query_t *q,
    recsys_result_t *res);

/*
 * Puts items[0..n) (and why[], when not NULL) in the order order[0..n),
 * the first n entries of a permutation of the indexes of items (n may be
 * shorter than the list: its first n entries are rewritten).  RECSYS_OK
 * or RECSYS_ENOMEM.
 */
int recsys_rerank_order(recsys_scored_t *items, recsys_why_t *why,
    const uint32_t *order, uint32_t n, recsys_alloc_t *a);

#endif /* RECSYS_RERANK_H */
