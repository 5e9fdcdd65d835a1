/*
 * recsys_metrics.c: per-user ranking metrics, averages, rating errors.
 *
 * A user's list is walked once; each place is looked up in the sorted
 * relevant set by binary search, so a user costs O(k log |T|).
 */

#include <math.h>

#include "recsys_metrics.h"
#include "recsys_sorted.h"
#include "recsys_status.h"


static const char  *recsys_metrics_names[RECSYS_METRIC_N] = {
    "map", "ndcg", "precision", "recall", "hit_rate", "coverage", "rmse",
    "mae"
};

static const char  *recsys_metrics_labels[RECSYS_METRIC_N] = {
    "MAP", "nDCG@", "P@", "R@", "HR@", "coverage", "RMSE", "MAE"
};


int
recsys_metrics_user(const uint32_t *ranked, uint32_t n_ranked, uint32_t k,
    const uint32_t *relevant, uint32_t n_relevant, recsys_metrics_user_t *m)
{
    double    dcg, idcg, ap;
    uint32_t  i, hits, top;

    if (k == 0 || n_relevant == 0) {
        return RECSYS_EINVAL;
    }

    dcg = 0.0;
    ap = 0.0;
    hits = 0;
    top = n_ranked < k ? n_ranked : k;

    for (i = 0; i < top; i++) {
        if (!recsys_sorted_has(relevant, n_relevant, ranked[i])) {
            continue;
        }

        hits++;
        dcg += 1.0 / log(2.0 + i);
        ap += (double) hits / (i + 1.0);
    }

    idcg = 0.0;
    for (i = 0; i < k && i < n_relevant; i++) {
        idcg += 1.0 / log(2.0 + i);
    }

    m->hits = hits;
    m->v[RECSYS_METRIC_MAP] = ap / n_relevant;
    m->v[RECSYS_METRIC_NDCG] = dcg / idcg;
    m->v[RECSYS_METRIC_PRECISION] = (double) hits / k;
    m->v[RECSYS_METRIC_RECALL] = (double) hits / n_relevant;
    m->v[RECSYS_METRIC_HIT_RATE] = hits > 0 ? 1.0 : 0.0;

    return RECSYS_OK;
}


void
recsys_metrics_average(const recsys_metrics_user_t *users, size_t n,
    double *out)
{
    size_t  i;
    int     j;

    for (j = 0; j < RECSYS_METRIC_RANKING_N; j++) {
        out[j] = 0.0;
    }

    for (i = 0; i < n; i++) {
        for (j = 0; j < RECSYS_METRIC_RANKING_N; j++) {
            out[j] += users[i].v[j];
        }
    }

    if (n == 0) {
        return;
    }

    for (j = 0; j < RECSYS_METRIC_RANKING_N; j++) {
        out[j] /= (double) n;
    }
}


double
recsys_metrics_coverage(uint64_t recommended, uint64_t train_items)
{
    return train_items ? (double) recommended / (double) train_items : 0.0;
}


void
recsys_metrics_rating_add(recsys_metrics_rating_t *r, double predicted,
    double actual)
{
    double  e;

    e = predicted - actual;
    r->sum_sq += e * e;
    r->sum_abs += fabs(e);
    r->n++;
}


double
recsys_metrics_rmse(const recsys_metrics_rating_t *r)
{
    return r->n ? sqrt(r->sum_sq / (double) r->n) : NAN;
}


double
recsys_metrics_mae(const recsys_metrics_rating_t *r)
{
    return r->n ? r->sum_abs / (double) r->n : NAN;
}


void
recsys_metrics_mean_sd(const double *v, size_t n, double *mean, double *sd)
{
    size_t  i;
    double  s, d;

    s = 0.0;
    for (i = 0; i < n; i++) {
        s += v[i];
    }

    *mean = n ? s / (double) n : 0.0;
    *sd = 0.0;

    if (n < 2) {
        return;
    }

    s = 0.0;
    for (i = 0; i < n; i++) {
        d = v[i] - *mean;
        s += d * d;
    }

    *sd = sqrt(s / (double) (n - 1));
}


const char *
recsys_metrics_name(int metric)
{
    return metric >= 0 && metric < RECSYS_METRIC_N
           ? recsys_metrics_names[metric] : NULL;
}


const char *
recsys_metrics_label(int metric)
{
    return metric >= 0 && metric < RECSYS_METRIC_N
           ? recsys_metrics_labels[metric] : NULL;
}
