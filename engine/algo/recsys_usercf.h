/*
 * recsys_usercf.h: user-based collaborative filtering.
 *
 * Two products, both over recsys_train_t:
 *
 *   neighbours   each user's k most similar users (cosine or Pearson,
 *                optionally shrunk), a csr row per user, best first;
 *   top lists    each user's best unseen items scored from those
 *                neighbours' rows.
 *
 * Similarities, for users u and v with rating rows r_u and r_v and the
 * co-rated items C = items(u) & items(v), n = |C|:
 *
 *   cosine    sum_C r_u r_v / (|r_u| |r_v|), the norms over *all* of
 *             each user's items (the vector cosine of two rows of the
 *             user-item matrix, as recsys_itemcf.c does for columns);
 *   Pearson   the sample correlation of the co-rated pairs, each user's
 *             mean taken over C only:
 *               sum_C (r_u - m_u)(r_v - m_v)
 *               / sqrt(sum_C (r_u - m_u)^2 sum_C (r_v - m_v)^2),
 *             m_u = mean of r_u over C, m_v likewise; 0 (so never a
 *             neighbour) when either side is constant over C, including
 *             n < 2.
 *
 * Shrinkage multiplies either by n / (n + shrink).  Only similarities
 * > 1e-9 (positive beyond rounding) are kept; equal scores go to the
 * smaller user index.
 */

#ifndef RECSYS_USERCF_H
#define RECSYS_USERCF_H

#include <stdint.h>

#include "recsys_csr.h"
#include "recsys_train.h"


typedef enum {
    RECSYS_USERCF_COSINE = 0,
    RECSYS_USERCF_PEARSON
} recsys_usercf_sim_t;

typedef struct {
    recsys_usercf_sim_t  sim;
    uint32_t             k;             /* neighbours per user */
    float                shrink;        /* 0: none */
    uint32_t             max_item_users;
                                        /* users walked per item, 0: all;
                                           see recsys_usercf_neighbors() */
    uint32_t             top;           /* length of the per-user lists */
    int                  normalize;     /* top lists: divide by sum |sim| */
} recsys_usercf_opts_t;


/*
 * Defaults for top-N lists on MovieLens-like data: cosine, k 50, shrink 0,
 * max_item_users 200, top 100, normalize 0.  On ml-latest-small (random
 * 80/20 split per user, precision@10 against all held-out items): cosine
 * 0.273, Pearson 0.112 (0.204 with shrink 100), cosine with shrink 10
 * 0.265, normalised scores 0.003; k 20..50 is the plateau.
 * max_item_users 25..200 changed precision by at most 0.006 there, and
 * at 200 keeps a 138k-user, 20M-row log to about 4e9 updates.  For
 * rating prediction prefer Pearson with shrink 100 or cosine with shrink
 * 10, and k 100..200 (RMSE 0.89..0.90 against 0.94 for the user mean).
 */
extern const recsys_usercf_opts_t  recsys_usercf_default;

/*
 * Writes the top o->k neighbours of every user into nbrs (a csr with a row
 * per user of (user, similarity), best first).  For user u the dot
 * products come from one walk over by_item: for each item i of u, for
 * each user v of i, accumulate; the cost is sum_i deg(i) * min(deg(i), c)
 * accumulator updates with c = o->max_item_users, plus, per user, a heap
 * pass over the users touched.  An item with more than c users is walked
 * only over a fixed sample of c of them (the c smallest of a hash of
 * (item, user)), the same sample for every u: for such items a pair
 * (u, v) counts as co-rated only when v is in the item's sample, so
 * similarities computed from u's side and from v's side may differ
 * slightly.  Norms (cosine) always use the full rows.  The per-user heap
 * pass costs O(touched log k) with touched <= n_users.  Runs on all
 * OpenMP threads, each with 16 (cosine) or 48 (Pearson) bytes of scratch
 * per user; the output takes n_users * k entries.  RECSYS_OK,
 * RECSYS_ENOMEM or RECSYS_ELIMIT (more than 2^32 - 1 entries).
 */
int recsys_usercf_neighbors(const recsys_train_t *t,
    const recsys_usercf_opts_t *o, recsys_csr_t *nbrs);

/*
 * Writes each user's top o->top unseen items into recs (a row per user,
 * best first, ties to the smaller item index, scores > 0 only):
 *   score(u, i) = sum over neighbours v of u who have i of
 *                 sim(u, v) r(v, i),
 * divided by the sum of |sim(u, v)| over the same v when o->normalize is
 * set (a weighted mean rating: it favours items that a single neighbour
 * rated highly, and ranks worse on MovieLens, hence off by default).
 * Cost: sum over u of sum over u's neighbours of their row lengths.
 * RECSYS_OK, RECSYS_ENOMEM or RECSYS_ELIMIT.
 */
int recsys_usercf_recommend(const recsys_train_t *t, const recsys_csr_t *nbrs,
    const recsys_usercf_opts_t *o, recsys_csr_t *recs);

#endif /* RECSYS_USERCF_H */
