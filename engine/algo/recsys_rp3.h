/*
 * recsys_rp3.h: RP3beta, a three-step random walk with popularity
 * penalisation.
 *
 * Paudel, Christoffel, Newell and Bernstein (2017), "Updatable, accurate,
 * diverse, and scalable recommendations for interactive applications", in
 * the item-item form of Dacrema, Cremonesi and Jannach (2019).  With x(u,i)
 * the train matrix (binary by default, or the stored values):
 *
 *   Pui[u][j] = x(u,j) / sum_j' x(u,j')      user -> item step
 *   Piu[i][u] = x(u,i) / sum_u' x(u',i)      item -> user step
 *   W[i][j]   = sum_u Piu[i][u]^alpha Pui[u][j]^alpha / deg(j)^beta,
 *   W[i][i]   = 0,
 *
 * deg(j) the number of distinct train users of j.  alpha = 1, beta = 0 is
 * plain P3 (the probability of the walk i -> u -> j); alpha sharpens or
 * flattens the steps; beta > 0 divides out popularity.  Each item keeps
 * its k largest positive W[i][j], best first; with normalize set, each
 * kept row is then divided by its sum.  Scores of a user are the sum over
 * the user's items h of W[h][c]: the shape of the item-CF neighbour lists,
 * so request-time history scoring serves RP3beta as it stands.
 *
 * The walk is sparse: row i costs the sum over i's users of their degree.
 */

#ifndef RECSYS_RP3_H
#define RECSYS_RP3_H

#include <stdint.h>

#include "recsys_csr.h"
#include "recsys_train.h"


typedef struct {
    double    alpha;        /* step exponent, > 0 */
    double    beta;         /* popularity exponent, >= 0 */
    uint32_t  k;            /* neighbours kept per item */
    int       values;       /* 0: binary x, 1: the train values */
    int       normalize;    /* 1: each kept row sums to 1 */
} recsys_rp3_opts_t;


/* alpha 0.4, beta 0.4, k 200, values 0, normalize 1. */
extern const recsys_rp3_opts_t  recsys_rp3_default;

/*
 * The top-k rows of W for every item of t into nbrs: a csr with a row per
 * item of (item, W), best first, ties to the smaller item index.  Runs on
 * all OpenMP threads; the result does not depend on their number.
 * RECSYS_OK, RECSYS_EINVAL (alpha not > 0, beta not >= 0, a negative
 * or NaN value with values set) or RECSYS_ENOMEM.
 */
int recsys_rp3_build(const recsys_train_t *t, const recsys_rp3_opts_t *o,
    recsys_csr_t *nbrs);

#endif /* RECSYS_RP3_H */
