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
 *
 * This is the public entry of the query code for the module, the builder
 * and eval: it brings the request types (recsys_request.h), the allocator,
 * rows, item sets, filters, the history scoring and the blend that the
 * builder shares, and the scratch array the module keeps per worker.
 */

#ifndef RECSYS_QUERY_H
#define RECSYS_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_alloc.h"
#include "recsys_blend.h"
#include "recsys_filter.h"
#include "recsys_itemset.h"
#include "recsys_model.h"
#include "recsys_request.h"
#include "recsys_row.h"
#include "recsys_score.h"
#include "recsys_scratch.h"
#include "recsys_topk.h"


/* Algorithm names: the sources, "hybrid", "next". -1 if unknown. */
int recsys_query_algo_parse(const char *name, size_t len);
const char *recsys_query_algo_name(int algo);
/* The name an answer echoes: an imported slot's as this model names it. */
const char *recsys_query_algo_model_name(const recsys_model_t *m, int algo);
const char *recsys_query_fallback_name(recsys_fallback_t fallback);

/*
 * Runs a query.  On RECSYS_OK res->items holds res->n results (already past
 * the offset).  RECSYS_ENOTFOUND: the model lacks the asked algorithm.
 */
int recsys_query_run(const recsys_model_t *model, const recsys_query_t *q,
    recsys_alloc_t *a, recsys_result_t *res);

#endif /* RECSYS_QUERY_H */
