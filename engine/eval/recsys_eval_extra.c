/*
 * recsys_eval_extra.c: the runner's side of the extra reports: per fold
 * the popularity facts and item vectors, per algorithm and fold the
 * per-user values and the exposure of its lists, and after the folds the
 * means and the paired tests against the baseline.  The work per list is
 * serial and small next to scoring it (k^2 / 2 vector pairs for ILD).
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_eval_extra.h"
#include "recsys_split.h"
#include "recsys_status.h"


int
recsys_eval_extra_init(recsys_eval_extra_t *x, const recsys_data_t *d,
    const recsys_train_t *train)
{
    int                    rc;
    recsys_content_opts_t  co;

    memset(x, 0, sizeof(recsys_eval_extra_t));

    if (d->catalog_items > 0) {
        co = recsys_content_default;

        /* the content model's own vectors, built as it builds them */
        x->has_content = 1;

        rc = recsys_content_build(&x->content, d, train, NULL, &co);
        if (rc != RECSYS_OK) {
            return rc;
        }
    }

    return recsys_beyond_init(&x->beyond, train,
                              x->has_content ? &x->content.items : NULL);
}


void
recsys_eval_extra_free(recsys_eval_extra_t *x)
{
    if (x->has_content) {
        recsys_content_free(&x->content);
    }

    recsys_beyond_free(&x->beyond);
    memset(x, 0, sizeof(recsys_eval_extra_t));
}


/* realloc() of *p to n elements of size bytes; 0 or -1 */
static int
recsys_eval_extra_resize(void *pp, size_t n, size_t size)
{
    void  *p, **slot = pp;

    p = realloc(*slot, (n ? n : 1) * size);
    if (p == NULL) {
        return -1;
    }

    *slot = p;

    return 0;
}


int
recsys_eval_extra_grow(recsys_eval_report_t *rep, uint32_t fold,
    const uint32_t *users, uint32_t n_users, const recsys_train_t *train)
{
    size_t    n;
    uint32_t  i, a, u, cold;

    n = (size_t) rep->n_eval + n_users;

    if (recsys_eval_extra_resize(&rep->pairs, n, sizeof(recsys_eval_pair_t))
        != 0)
    {
        return RECSYS_ENOMEM;
    }

    for (a = 0; a < rep->n_results; a++) {
        if (recsys_eval_extra_resize(&rep->results[a].user_vals,
                                     n * RECSYS_EVAL_UV_N, sizeof(double))
            != 0)
        {
            return RECSYS_ENOMEM;
        }
    }

    cold = 0;
    for (i = 0; i < n_users; i++) {
        u = users[i];
        rep->pairs[rep->n_eval + i].fold = fold;
        rep->pairs[rep->n_eval + i].user = u;
        rep->pairs[rep->n_eval + i].cold =
            train->by_user.offsets[u + 1] == train->by_user.offsets[u];
        cold += rep->pairs[rep->n_eval + i].cold;
    }

    rep->n_eval = (uint32_t) n;
    rep->folds[fold].cold_users = cold;

    return RECSYS_OK;
}


int
recsys_eval_extra_algo(const recsys_eval_extra_t *x,
    recsys_eval_report_t *rep, recsys_eval_result_t *r, uint32_t fold,
    const recsys_eval_lists_t *l, const recsys_train_t *train)
{
    int              m;
    double          *uv, *bf, sum[RECSYS_BEYOND_USER_N];
    uint32_t         i, j, u, n_base, *base, *count, *exposure;
    uint32_t         cnt[RECSYS_BEYOND_USER_N];
    const uint32_t  *list;

    base = malloc(((size_t) l->k + 1) * sizeof(uint32_t));
    count = calloc((size_t) x->beyond.n_items + 1, sizeof(uint32_t));
    exposure = malloc(((size_t) l->n_cand + 1) * sizeof(uint32_t));

    if (base == NULL || count == NULL || exposure == NULL) {
        free(base);
        free(count);
        free(exposure);
        return RECSYS_ENOMEM;
    }

    memset(sum, 0, sizeof(sum));
    memset(cnt, 0, sizeof(cnt));

    for (i = 0; i < l->n_users; i++) {
        u = l->users[i];
        list = l->lists + (size_t) i * l->k;
        uv = r->user_vals
             + (size_t) (rep->n_eval - l->n_users + i) * RECSYS_EVAL_UV_N;

        n_base = recsys_beyond_pop_list(&x->beyond,
                     train->by_user.entries + train->by_user.offsets[u],
                     train->by_user.offsets[u + 1]
                     - train->by_user.offsets[u], l->k, base);

        memcpy(uv, l->per_user[i].v,
               RECSYS_METRIC_RANKING_N * sizeof(double));

        recsys_beyond_user(&x->beyond, list, l->list_len[i], l->k,
                           l->test_item + l->test_off[u],
                           l->test_off[u + 1] - l->test_off[u], base, n_base,
                           uv + RECSYS_METRIC_RANKING_N);

        for (m = 0; m < RECSYS_BEYOND_USER_N; m++) {
            if (!isnan(uv[RECSYS_METRIC_RANKING_N + m])) {
                sum[m] += uv[RECSYS_METRIC_RANKING_N + m];
                cnt[m]++;
            }
        }

        for (j = 0; j < l->list_len[i]; j++) {
            count[list[j]]++;
        }
    }

    bf = r->beyond_fold + (size_t) fold * RECSYS_BEYOND_N;

    for (m = 0; m < RECSYS_BEYOND_USER_N; m++) {
        bf[m] = cnt[m] > 0 ? sum[m] / cnt[m] : NAN;
    }

    for (j = 0; j < l->n_cand; j++) {
        exposure[j] = count[l->cand[j]];
    }

    recsys_beyond_exposure(exposure, l->n_cand, &bf[RECSYS_BEYOND_GINI],
                           &bf[RECSYS_BEYOND_ENTROPY],
                           &bf[RECSYS_BEYOND_DIST_COVERAGE]);

    free(base);
    free(count);
    free(exposure);

    return RECSYS_OK;
}


int
recsys_eval_extra_baseline(recsys_eval_report_t *rep, const char *name,
    char *err, size_t errlen)
{
    uint32_t  a;

    rep->baseline = 0;

    if (name == NULL) {
        return RECSYS_OK;
    }

    for (a = 0; a < rep->n_results; a++) {
        if (strcmp(rep->results[a].spec, name) == 0) {
            rep->baseline = a;
            return RECSYS_OK;
        }
    }

    for (a = 0; a < rep->n_results; a++) {
        if (strcmp(rep->results[a].algo->name, name) == 0) {
            rep->baseline = a;
            return RECSYS_OK;
        }
    }

    snprintf(err, errlen, "--baseline: \"%s\" is not one of --algos", name);

    return RECSYS_EINVAL;
}


/* The mean nDCG of the warm (cold == 0) or cold pairs; NaN for none. */
static double
recsys_eval_extra_ndcg(const recsys_eval_report_t *rep,
    const recsys_eval_result_t *r, int cold)
{
    double    s;
    uint32_t  i, n;

    s = 0.0;
    n = 0;

    for (i = 0; i < rep->n_eval; i++) {
        if (rep->pairs[i].cold == (uint32_t) cold) {
            s += r->user_vals[(size_t) i * RECSYS_EVAL_UV_N
                              + RECSYS_METRIC_NDCG];
            n++;
        }
    }

    return n > 0 ? s / n : NAN;
}


/* Column m of every pair's values of r, into v[0 .. n_eval). */
static void
recsys_eval_extra_column(const recsys_eval_report_t *rep,
    const recsys_eval_result_t *r, int m, double *v)
{
    uint32_t  i;

    for (i = 0; i < rep->n_eval; i++) {
        v[i] = r->user_vals[(size_t) i * RECSYS_EVAL_UV_N + m];
    }
}


int
recsys_eval_extra_finish(recsys_eval_report_t *rep)
{
    int                    rc, c, m;
    double                *a, *b, v[RECSYS_SPLIT_MAX_FOLDS];
    uint32_t               i, f;
    recsys_eval_result_t  *r;

    static const int  metric[RECSYS_EVAL_VS_N] = {
        RECSYS_METRIC_NDCG, RECSYS_METRIC_MAP
    };

    for (i = 0; i < rep->n_results; i++) {
        r = &rep->results[i];

        for (m = 0; m < RECSYS_BEYOND_N; m++) {
            for (f = 0; f < rep->n_folds; f++) {
                v[f] = r->beyond_fold[(size_t) f * RECSYS_BEYOND_N + m];
            }

            recsys_metrics_mean_sd(v, rep->n_folds, &r->beyond[m],
                                   &r->beyond_sd[m]);
        }

        r->ndcg_warm = recsys_eval_extra_ndcg(rep, r, 0);
        r->ndcg_cold = recsys_eval_extra_ndcg(rep, r, 1);
    }

    a = malloc(((size_t) rep->n_eval + 1) * sizeof(double));
    b = malloc(((size_t) rep->n_eval + 1) * sizeof(double));

    if (a == NULL || b == NULL) {
        free(a);
        free(b);
        return RECSYS_ENOMEM;
    }

    rc = RECSYS_OK;

    for (c = 0; c < RECSYS_EVAL_VS_N && rc == RECSYS_OK; c++) {
        recsys_eval_extra_column(rep, &rep->results[rep->baseline],
                                 metric[c], b);

        for (i = 0; i < rep->n_results && rc == RECSYS_OK; i++) {
            recsys_eval_extra_column(rep, &rep->results[i], metric[c], a);

            /* the same resamples for every algorithm and metric */
            rc = recsys_stats_paired(a, b, rep->n_eval,
                                     RECSYS_STATS_RESAMPLES, rep->opts.seed,
                                     &rep->results[i].vs[c]);
        }
    }

    free(a);
    free(b);

    return rc;
}
