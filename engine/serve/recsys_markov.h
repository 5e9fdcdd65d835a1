/*
 * recsys_markov.h: request-time scoring of the first-order Markov chain
 * over consecutive items (trained by recsys_markov_train.h).
 *
 * The model is a list, "item.nbrs.markov" (recsys_schema.h): per item i,
 * at most top_k next items j with P(j | i), the smoothed probability that
 * j directly follows i, best first (ties to the smaller item index).
 * Entries are positive and at most 1.
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

#include "recsys_query.h"


/* top_k and alpha shape the rows when building, window and decay scoring */
typedef struct {
    uint32_t  top_k;        /* next items kept per item, default 100 */
    float     alpha;        /* smoothing mass, default 1.0 */
    uint32_t  window;       /* history items mixed at scoring, default 5 */
    float     decay;        /* weight ratio between them, default 0.6 */
} recsys_markov_opts_t;


extern const recsys_markov_opts_t  recsys_markov_default;

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

#endif /* RECSYS_MARKOV_H */
