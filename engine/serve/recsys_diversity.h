/*
 * recsys_diversity.h: a bounded, deterministic re-ranking of an answer's
 * candidates that trades score against similarity to what is already
 * picked (maximal marginal relevance), for diversity=0..1.
 *
 * The candidates are the first RECSYS_DIVERSITY_MAX or fewer of a list
 * ranked best first (the query asks for 5 x n of them, recsys_rerank.h).
 * Picking is greedy: each step takes the candidate with the highest
 *
 *     (1 - lambda) x relevance - lambda x redundancy
 *
 * where relevance is the score scaled to [0, 1] over the candidates, and
 * redundancy is the larger of
 *   - the candidate's similarity to the items already picked (the largest
 *     over them): half the Jaccard index of the genres, half the picked
 *     item's content neighbour score of the candidate (divided by its best
 *     neighbour's) when the model has content neighbour lists, else the
 *     Jaccard index alone;
 *   - its popularity: (its share of users / the largest share among the
 *     candidates) ^ 1/4, so that an item shown to everybody counts as
 *     already seen.
 * Similarity alone (plain MMR) reorders genres but keeps answering the same
 * few hundred popular titles; the popularity term is what lets the long
 * tail of each user's own candidates in (README, "Diversity", has the
 * measured trade-off).  Ties go to the better-ranked candidate.  The cost
 * is O(pick x candidates) similarity evaluations, each a few genre
 * comparisons, and one walk of a content row per pick.
 */

#ifndef RECSYS_DIVERSITY_H
#define RECSYS_DIVERSITY_H

#include <stdint.h>

#include "recsys_alloc.h"
#include "recsys_model.h"
#include "recsys_topk.h"


#define RECSYS_DIVERSITY_MAX  500   /* candidates re-ranked at most */

/*
 * The new order of items[0..n) (best first) in order[0..len), len <= n:
 * the start of a permutation of their indexes whose first min(pick, n,
 * RECSYS_DIVERSITY_MAX) are the greedy picks, the others following in
 * their former order.  lambda in (0, 1].  RECSYS_OK or RECSYS_ENOMEM.
 */
int recsys_diversity_order(const recsys_model_t *m,
    const recsys_scored_t *items, uint32_t n, uint32_t pick, float lambda,
    recsys_alloc_t *a, uint32_t *order, uint32_t len);

#endif /* RECSYS_DIVERSITY_H */
