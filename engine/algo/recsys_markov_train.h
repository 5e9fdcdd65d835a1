/*
 * recsys_markov_train.h: building the first-order Markov chain over
 * consecutive items that recsys_markov.h scores.
 *
 * Every user's training sequence (train->seq, oldest first) contributes
 * one transition per pair of consecutive items.  With c(i, j) the number
 * of times j directly followed i, c(i) = sum_j c(i, j) the number of times
 * i was followed by anything, n(j) the number of sequence positions that
 * hold j and n the number of all positions, the chain is
 *
 *   P(j | i) = (c(i, j) + alpha * pop_i(j)) / (c(i) + alpha),    j != i
 *   pop_i(j) = n(j) / (n - n(i))
 *
 * additive smoothing towards popularity: a Dirichlet prior of total mass
 * alpha shaped like the popularity law over the items other than i (an
 * item never follows itself: each sequence holds an item once), so each
 * row sums to 1 over j != i.  A transition seen often is trusted, a rare
 * one is pulled towards what is popular, and an item never followed by
 * anything (c(i) = 0) backs off to popularity itself.
 *
 * The builder keeps, per item, the top_k next items by P(j | i), best
 * first (ties to the smaller item index), as a csr row of (item, P): the
 * "item.nbrs.markov" list.
 */

#ifndef RECSYS_MARKOV_TRAIN_H
#define RECSYS_MARKOV_TRAIN_H

#include <stdint.h>

#include "recsys_csr.h"
#include "recsys_markov.h"
#include "recsys_train.h"


/*
 * Counts the transitions of t->seq and writes next, a csr with a row per
 * item (t->n_items rows) of (next item, P(next | item)), best first, at
 * most o->top_k each.  With alpha > 0 every row is non-empty as soon as
 * t's sequences hold two distinct items.  Memory: n_items * top_k * 8
 * bytes of row slots plus 4 bytes per transition.  RECSYS_OK,
 * RECSYS_EINVAL (top_k 0, alpha < 0 or not finite; alpha 0 is allowed and
 * keeps only observed transitions) or RECSYS_ENOMEM; next is untouched on
 * failure.  Runs on all OpenMP threads; the result does not depend on
 * their number.
 */
int recsys_markov_build(const recsys_train_t *t,
    const recsys_markov_opts_t *o, recsys_csr_t *next);

/*
 * The builder's per-user lists: for each user, recsys_markov_score() over
 * the user's own sequence (t->seq, so its newest `window` items), at most
 * k results, written as a csr with a row per user, best first.  With
 * exclude_seen (the default the builder uses) every item the user has seen
 * (t->by_user) is left out; without it the chain may propose an item the
 * user saw earlier, which for sequences is a legitimate re-watch.
 * RECSYS_OK or RECSYS_ENOMEM.  Runs on all OpenMP threads.
 */
int recsys_markov_user_top(const recsys_csr_t *next, const recsys_train_t *t,
    uint32_t window, float decay, uint32_t k, int exclude_seen,
    recsys_csr_t *out);

#endif /* RECSYS_MARKOV_TRAIN_H */
