/*
 * recsys_metrics.h: scoring ranked lists against held-out interactions.
 *
 * Ranking metrics are computed per user from the user's list (best first)
 * and the user's relevant items (binary relevance), then averaged over the
 * evaluated users, the way Microsoft Recommenders' python_evaluation does
 * it, so numbers compare with its published benchmarks.  With hits_i = 1
 * when the item at rank i (1-based, i <= k) is relevant, T the relevant
 * set and h the number of hits in the first k:
 *
 *   precision@k  h / k            (k, not the list length: a short list
 *                                  is penalised)
 *   recall@k     h / |T|
 *   nDCG@k       sum_i hits_i / ln(1 + i)  over  sum_{i <= min(k, |T|)}
 *                1 / ln(1 + i)
 *   AP           sum over hit ranks i of (hits up to i) / i, over |T|
 *                (|T|, not min(k, |T|)); MAP is its mean
 *   HR@k         1 if h >= 1
 *   coverage     distinct items recommended to anyone / train items
 *   RMSE, MAE    over test rows, for algorithms that predict ratings
 *
 * The functions hold no state and allocate nothing: the offline runner
 * (recsys_eval.c) and any online scorer can feed them lists of their own.
 * Metric values are kept in arrays indexed by RECSYS_METRIC_*, so that
 * tables, JSON and charts loop over one list of names.
 */

#ifndef RECSYS_METRICS_H
#define RECSYS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define RECSYS_METRIC_MAP        0
#define RECSYS_METRIC_NDCG       1
#define RECSYS_METRIC_PRECISION  2
#define RECSYS_METRIC_RECALL     3
#define RECSYS_METRIC_HIT_RATE   4
#define RECSYS_METRIC_COVERAGE   5
#define RECSYS_METRIC_RMSE       6
#define RECSYS_METRIC_MAE        7
#define RECSYS_METRIC_N          8

/* the per-user ranking metrics: the first five above */
#define RECSYS_METRIC_RANKING_N  5


typedef struct {
    double    v[RECSYS_METRIC_RANKING_N];   /* indexed by RECSYS_METRIC_* */
    uint32_t  hits;
} recsys_metrics_user_t;

typedef struct {
    double    sum_sq;
    double    sum_abs;
    uint64_t  n;
} recsys_metrics_rating_t;


/*
 * The ranking metrics of one user.  ranked: n_ranked distinct items best
 * first, of which the first k count (fewer than k: the empty places are
 * misses); relevant: n_relevant >= 1 distinct items sorted ascending.
 * RECSYS_OK, or RECSYS_EINVAL for k == 0 or an empty relevant set.
 */
int recsys_metrics_user(const uint32_t *ranked, uint32_t n_ranked,
    uint32_t k, const uint32_t *relevant, uint32_t n_relevant,
    recsys_metrics_user_t *m);

/*
 * Averages n per-user results in array order (so the sum, and the printed
 * digits, never depend on thread scheduling) into out[0 ..
 * RECSYS_METRIC_RANKING_N); n == 0 gives zeros.
 */
void recsys_metrics_average(const recsys_metrics_user_t *users, size_t n,
    double *out);

/* Distinct recommended items over train items (0 when there are none). */
double recsys_metrics_coverage(uint64_t recommended, uint64_t train_items);

void recsys_metrics_rating_add(recsys_metrics_rating_t *r, double predicted,
    double actual);

/* RMSE and MAE; NAN when no rating was added. */
double recsys_metrics_rmse(const recsys_metrics_rating_t *r);
double recsys_metrics_mae(const recsys_metrics_rating_t *r);

/* Mean and sample standard deviation (n - 1; 0 for n < 2) of v[0 .. n). */
void recsys_metrics_mean_sd(const double *v, size_t n, double *mean,
    double *sd);

/* "map", "ndcg", ... for JSON; NULL out of range. */
const char *recsys_metrics_name(int metric);

/* "MAP", "nDCG@k", ... for people; "@k" is left for the caller to fill. */
const char *recsys_metrics_label(int metric);

#endif /* RECSYS_METRICS_H */
