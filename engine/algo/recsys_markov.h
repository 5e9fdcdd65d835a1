/*
 * recsys_markov.h: a first-order Markov chain over consecutive items.
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
 * "item.nbrs.markov" list.  Entries are positive and at most 1.
 *
 * Scoring a history h_1 .. h_T (most recent last) mixes the rows of its
 * last `window` items with geometric weights:
 *
 *   score(j) = sum_{k = 0}^{window - 1} decay^k P(j | h_{T-k})
 *
 * where P(j | i) is taken from i's stored row (0 when j is not in it).
 * window 1 is the plain chain.  The work is bounded by window * top_k
 * candidates.  Items of the history that the model does not know (index
 * >= the number of rows) are skipped, as if not in the history.
 */

#ifndef RECSYS_MARKOV_H
#define RECSYS_MARKOV_H

#include <stdint.h>

#include "recsys_csr.h"
#include "recsys_query.h"
#include "recsys_train.h"


typedef struct {
    uint32_t  top_k;        /* next items kept per item, default 100 */
    float     alpha;        /* smoothing mass, default 1.0 */
    uint32_t  window;       /* history items mixed at scoring, default 5 */
    float     decay;        /* weight ratio between them, default 0.6 */
} recsys_markov_opts_t;


void recsys_markov_defaults(recsys_markov_opts_t *o);

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
 * Request-time scoring.  next: the rows written by recsys_markov_build()
 * (from a model file or recsys_csr_view()).  hist: n_hist item indexes,
 * most recent last; only the last `window` matter.  Items in seen (a row
 * sorted by item index, may be empty) or in exclude (n_exclude indexes, any
 * order, may be NULL) are never returned.  Writes at most `need` results
 * into out, best first (score as above, ties to the smaller index), and
 * their count into *n_out; fewer when the rows hold fewer candidates.
 * Scratch comes from a: at most 64 * window * row length + 16 * n_exclude
 * bytes.  RECSYS_OK, RECSYS_ENOMEM, or RECSYS_ELIMIT past 2^28 candidates
 * or exclusions.
 */
int recsys_markov_score(const recsys_list_t *next, const uint32_t *hist,
    uint32_t n_hist, uint32_t window, float decay, recsys_row_t seen,
    const uint32_t *exclude, uint32_t n_exclude, uint32_t need,
    recsys_alloc_t *a, recsys_scored_t *out, uint32_t *n_out);

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

#endif /* RECSYS_MARKOV_H */
