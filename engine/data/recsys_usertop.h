/*
 * recsys_usertop: the builder's per-user lists of a sequence model (the
 * Markov chain, the HMM, the GRU).  For every user of the training data,
 * the model's request-time scorer runs over the user's newest items of
 * t->seq, leaving out the items the user has seen (t->by_user) when asked,
 * and its best k become the user's csr row, best first.
 *
 * Users are shared among OpenMP threads (a team only when the caller says
 * the run is worth one); each thread scores into its own bump arena,
 * reset between users, and every row lands in its own slots, so the
 * result does not depend on the number of threads.
 */

#ifndef RECSYS_USERTOP_H
#define RECSYS_USERTOP_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_csr.h"
#include "recsys_query.h"
#include "recsys_train.h"


/*
 * A scorer: the best `need` items after hist (n_hist indexes, most recent
 * last) that are not in seen (sorted by item, may be empty), into out,
 * best first, their count into *n_out; scratch from a.  RECSYS_OK or an
 * error.
 */
typedef int (*recsys_usertop_score_pt)(void *ctx, const uint32_t *hist,
    uint32_t n_hist, recsys_row_t seen, uint32_t need, recsys_alloc_t *a,
    recsys_scored_t *out, uint32_t *n_out);

typedef struct {
    recsys_usertop_score_pt   score;
    void                     *ctx;
    uint32_t                  hist_max;     /* newest items passed */
    size_t                    scratch;      /* arena bytes per thread,
                                               enough for one call */
    int                       chunk;        /* users per OpenMP task */
    int                       par;          /* worth a team of threads */
} recsys_usertop_t;


/*
 * A packed model's request-time scorer (recsys_hmm_score(),
 * recsys_gru_score()), and the model it reads: recsys_usertop_packed()
 * runs it as a recsys_usertop_score_pt, with no exclusion list, when ctx
 * points to one of these.
 */
typedef int (*recsys_usertop_packed_pt)(const void *packed, size_t size,
    const uint32_t *hist, uint32_t n_hist, recsys_row_t seen,
    const uint32_t *exclude, uint32_t n_exclude, uint32_t need,
    recsys_alloc_t *a, recsys_scored_t *out, uint32_t *n_out);

typedef struct {
    recsys_usertop_packed_pt   score;
    const void                *packed;
    size_t                     size;
} recsys_usertop_packed_t;


int recsys_usertop_packed(void *ctx, const uint32_t *hist, uint32_t n_hist,
    recsys_row_t seen, uint32_t need, recsys_alloc_t *a,
    recsys_scored_t *out, uint32_t *n_out);

/*
 * recsys_usertop_run() over a packed model: score (with no exclusion list)
 * reads packed (size bytes) for every user.  ut gives hist_max, scratch,
 * chunk and par; its score and ctx are set here.
 */
int recsys_usertop_run_packed(recsys_usertop_t *ut,
    recsys_usertop_packed_pt score, const void *packed, size_t size,
    const recsys_train_t *t, uint32_t k, int exclude_seen, recsys_csr_t *out);

/*
 * Runs ut->score for every user of t, at most k results each (k >= 1),
 * with the user's seen row when exclude_seen, and packs the rows into out.
 * RECSYS_OK, RECSYS_ENOMEM (also when a scorer call failed) or
 * RECSYS_ELIMIT from the packing.
 */
int recsys_usertop_run(const recsys_usertop_t *ut, const recsys_train_t *t,
    uint32_t k, int exclude_seen, recsys_csr_t *out);

#endif /* RECSYS_USERTOP_H */
