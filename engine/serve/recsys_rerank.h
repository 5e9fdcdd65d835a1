/*
 * recsys_rerank.h: the last steps of a request, after the sources and
 * filters: the overrides' boosts, the diversity re-ranking, the pins, then
 * the page (DESIGN.md, "Request-time order").
 *
 * When a request has boosts or diversity to apply, the query asks its
 * path for a candidate pool of 10 x (offset + n) items (at most offset + n
 * + RECSYS_DIVERSITY_MAX) from position 0 instead of offset + n; with pins
 * alone, for offset + n from position 0.
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
 * Boosts, diversifies and pins the pool c->out[0 .. c->have) (res->why
 * parallel to it when explained) and leaves in res the page q asked for.
 * RECSYS_OK or RECSYS_ENOMEM.
 */
int recsys_rerank_apply(recsys_qctx_t *c, const recsys_query_t *q,
    recsys_result_t *res);

/*
 * Puts items[0..n) (and why[], when not NULL) in the order order[0..n), a
 * permutation of their indexes.  RECSYS_OK or RECSYS_ENOMEM.
 */
int recsys_rerank_order(recsys_scored_t *items, recsys_why_t *why,
    const uint32_t *order, uint32_t n, recsys_alloc_t *a);

#endif /* RECSYS_RERANK_H */
