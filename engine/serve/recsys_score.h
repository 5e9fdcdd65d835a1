/*
 * recsys_score.h: scoring a weighted history over an item-to-item list.
 */

#ifndef RECSYS_SCORE_H
#define RECSYS_SCORE_H

#include <stdint.h>

#include "recsys_alloc.h"
#include "recsys_filter.h"
#include "recsys_model.h"
#include "recsys_topk.h"


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
 * The same at request time: the sums indexed through index
 * (recsys_scratch_index: one zero per item, left zero; NULL: hashed), and
 * with best not NULL the same candidates as a set in no order, with the
 * best score in *best: for a blend input, which sums its members.
 */
int recsys_score_history_in(const recsys_list_t *nbrs, recsys_row_t hist,
    uint32_t max_nbrs, const recsys_filter_t *filter, uint32_t need,
    uint32_t *index, recsys_alloc_t *a, recsys_scored_t *out,
    uint32_t *n_out, float *best);

#endif /* RECSYS_SCORE_H */
