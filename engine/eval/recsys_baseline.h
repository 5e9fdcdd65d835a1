/*
 * recsys_baseline.h: the reference recommenders every other one must beat.
 *
 *   mostpop   the items with the most distinct train users, for everyone.
 *             Score = that count; ties go to the smaller item index.
 *   sar       Microsoft's Simple Algorithm for Recommendation as its
 *             MovieLens benchmark runs it: time-decayed affinity times
 *             Jaccard item similarity.
 *               affinity(u, i) = r(u, i) * min(1, 0.5^((t_max - t) / H))
 *             over each user's latest row per item, t_max the newest train
 *             timestamp, H the half life (30 days; no decay without
 *             timestamps);
 *               sim(i, j) = |U_i & U_j| / |U_i | U_j|  (sim(i, i) = 1)
 *             on the binary train matrix;
 *               score(u, j) = sum over i in I_u, ascending, of
 *                             affinity(u, i) * sim(i, j),
 *             all in double precision.  Parameter: "half_life=DAYS"
 *             (a positive number; 0 turns decay off).
 *
 * Both implement recsys_recommender_t (recsys_eval.h) and leave removing
 * seen items to the runner.
 */

#ifndef RECSYS_BASELINE_H
#define RECSYS_BASELINE_H

#include "recsys_eval.h"

extern const recsys_recommender_t  recsys_baseline_mostpop;
extern const recsys_recommender_t  recsys_baseline_sar;

#endif /* RECSYS_BASELINE_H */
