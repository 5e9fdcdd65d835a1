/*
 * recsys_stats.c: the paired t-test, the Wilcoxon signed-rank test and the
 * bootstrap interval of recsys_stats.h, with the special functions they
 * need (the normal CDF from erfc, Student's t from the incomplete beta).
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_rng.h"
#include "recsys_sorted.h"
#include "recsys_stats.h"
#include "recsys_status.h"

#define RECSYS_STATS_EPS    1e-15
#define RECSYS_STATS_TINY   1e-300
#define RECSYS_STATS_ITERS  500


double
recsys_stats_normal_cdf(double z)
{
    return 0.5 * erfc(-z / sqrt(2.0));
}


/*
 * The continued fraction of I_x(a, b) (Abramowitz and Stegun 26.5.8),
 * evaluated by the modified Lentz method; it converges fast for x <
 * (a + 1) / (a + b + 2).
 */
static double
recsys_stats_beta_cf(double a, double b, double x)
{
    int     m;
    double  c, d, h, num, del;

    c = 1.0;
    d = 1.0 - (a + b) * x / (a + 1.0);
    d = fabs(d) < RECSYS_STATS_TINY ? RECSYS_STATS_TINY : d;
    d = 1.0 / d;
    h = d;

    for (m = 1; m <= RECSYS_STATS_ITERS; m++) {

        /* the even term d_2m, then the odd term d_2m+1 */
        num = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 + num * d;
        d = fabs(d) < RECSYS_STATS_TINY ? RECSYS_STATS_TINY : d;
        c = 1.0 + num / c;
        c = fabs(c) < RECSYS_STATS_TINY ? RECSYS_STATS_TINY : c;
        d = 1.0 / d;
        h *= d * c;

        num = -(a + m) * (a + b + m) * x
              / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 + num * d;
        d = fabs(d) < RECSYS_STATS_TINY ? RECSYS_STATS_TINY : d;
        c = 1.0 + num / c;
        c = fabs(c) < RECSYS_STATS_TINY ? RECSYS_STATS_TINY : c;
        d = 1.0 / d;
        del = d * c;
        h *= del;

        if (fabs(del - 1.0) < RECSYS_STATS_EPS) {
            break;
        }
    }

    return h;
}


double
recsys_stats_beta_inc(double a, double b, double x)
{
    double  front;

    if (!(a > 0.0 && b > 0.0 && x >= 0.0 && x <= 1.0)) {
        return NAN;
    }

    if (x == 0.0 || x == 1.0) {
        return x;
    }

    /* x^a (1 - x)^b / B(a, b), in logs */
    front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x)
                + b * log1p(-x));

    if (x < (a + 1.0) / (a + b + 2.0)) {
        return front * recsys_stats_beta_cf(a, b, x) / a;
    }

    /* the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) */
    return 1.0 - front * recsys_stats_beta_cf(b, a, 1.0 - x) / b;
}


double
recsys_stats_t_cdf(double t, double df)
{
    double  tail;

    if (isnan(t) || !(df > 0.0)) {
        return NAN;
    }

    if (isinf(t)) {
        return t > 0.0 ? 1.0 : 0.0;
    }

    /* P(T > |t|) = I_{df/(df+t^2)}(df/2, 1/2) / 2 */
    tail = 0.5 * recsys_stats_beta_inc(df / 2.0, 0.5, df / (df + t * t));

    return t > 0.0 ? 1.0 - tail : tail;
}


void
recsys_stats_ttest(const double *d, size_t n, double *t, double *p)
{
    size_t  i;
    double  mean, ss, e, se, df;

    if (n < 2) {
        *t = NAN;
        *p = NAN;
        return;
    }

    mean = 0.0;
    for (i = 0; i < n; i++) {
        mean += d[i];
    }
    mean /= (double) n;

    ss = 0.0;
    for (i = 0; i < n; i++) {
        e = d[i] - mean;
        ss += e * e;
    }

    se = sqrt(ss / (double) (n - 1) / (double) n);
    df = (double) (n - 1);

    if (se == 0.0) {
        *t = mean == 0.0 ? 0.0 : copysign(INFINITY, mean);
        *p = mean == 0.0 ? 1.0 : 0.0;
        return;
    }

    *t = mean / se;
    *p = recsys_stats_beta_inc(df / 2.0, 0.5, df / (df + *t * *t));
}


static int
recsys_stats_cmp_double(const void *a, const void *b)
{
    double  x = *(const double *) a, y = *(const double *) b;

    return x < y ? -1 : (x > y);
}


int
recsys_stats_wilcoxon(const double *d, size_t n, double *w_plus, double *z,
    double *p, size_t *n_nonzero)
{
    size_t   i, j, m;
    double  *v, rank, mean, var, ties, w, diff;

    v = malloc((n ? n : 1) * 2 * sizeof(double));
    if (v == NULL) {
        return RECSYS_ENOMEM;
    }

    /* |d| of the non-zero differences, sorted; mean ranks after them */
    m = 0;
    for (i = 0; i < n; i++) {
        if (d[i] != 0.0 && !isnan(d[i])) {
            v[m++] = fabs(d[i]);
        }
    }

    *n_nonzero = m;

    qsort(v, m, sizeof(double), recsys_stats_cmp_double);

    /*
     * W+ = sum over positive d of the mean rank of |d|'s tie group; a
     * group occupying sorted places [i, j) has mean rank (i + 1 + j) / 2.
     * The ranks are looked up by binary search of |d| in the sorted copy.
     */
    w = 0.0;
    ties = 0.0;

    for (i = 0; i < m; i = j) {
        for (j = i + 1; j < m && v[j] == v[i]; j++) {
            /* void */
        }

        ties += (double) (j - i) * (j - i) * (j - i) - (double) (j - i);
        v[m + i] = (double) (i + 1 + j) / 2.0;
    }

    for (i = 0; i < n; i++) {
        if (!(d[i] > 0.0)) {
            continue;
        }

        /* the first place holding a value >= d[i]: its group's start */
        rank = v[m + recsys_sorted_lower_double(v, m, d[i])];
        w += rank;
    }

    mean = (double) m * (m + 1) / 4.0;
    var = (double) m * (m + 1) * (2.0 * m + 1) / 24.0 - ties / 48.0;

    *w_plus = w;

    if (m == 0 || var <= 0.0) {
        *z = 0.0;
        *p = 1.0;
        free(v);
        return RECSYS_OK;
    }

    diff = w - mean;
    diff -= diff > 0.0 ? 0.5 : (diff < 0.0 ? -0.5 : 0.0);

    *z = diff / sqrt(var);
    *p = erfc(fabs(*z) / sqrt(2.0));
    *p = *p > 1.0 ? 1.0 : *p;

    free(v);

    return RECSYS_OK;
}


/* The q-quantile of sorted v[0 .. n), linear between order statistics. */
static double
recsys_stats_quantile(const double *v, size_t n, double q)
{
    size_t  i;
    double  pos, f;

    pos = q * (double) (n - 1);
    i = (size_t) pos;
    f = pos - (double) i;

    return i + 1 < n ? v[i] + f * (v[i + 1] - v[i]) : v[n - 1];
}


int
recsys_stats_bootstrap(const double *d, size_t n, uint32_t resamples,
    uint64_t seed, double *lo, double *hi)
{
    size_t    i;
    double   *means, s;
    uint32_t  b;
    uint64_t  state;

    if (n == 0 || resamples == 0) {
        *lo = NAN;
        *hi = NAN;
        return RECSYS_OK;
    }

    means = malloc((size_t) resamples * sizeof(double));
    if (means == NULL) {
        return RECSYS_ENOMEM;
    }

    state = seed;

    for (b = 0; b < resamples; b++) {
        s = 0.0;

        for (i = 0; i < n; i++) {
            s += d[recsys_rng_next(&state) % n];
        }

        means[b] = s / (double) n;
    }

    qsort(means, resamples, sizeof(double), recsys_stats_cmp_double);

    *lo = recsys_stats_quantile(means, resamples, 0.025);
    *hi = recsys_stats_quantile(means, resamples, 0.975);

    free(means);

    return RECSYS_OK;
}


int
recsys_stats_paired(const double *a, const double *b, size_t n,
    uint32_t resamples, uint64_t seed, recsys_stats_paired_t *out)
{
    int      rc;
    size_t   i, nz;
    double  *d;

    memset(out, 0, sizeof(recsys_stats_paired_t));

    d = malloc((n ? n : 1) * sizeof(double));
    if (d == NULL) {
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < n; i++) {
        d[i] = a[i] - b[i];
        out->mean_a += a[i];
        out->mean_b += b[i];
        out->diff += d[i];
    }

    out->n = (uint32_t) n;

    if (n > 0) {
        out->mean_a /= (double) n;
        out->mean_b /= (double) n;
        out->diff /= (double) n;
    }

    recsys_stats_ttest(d, n, &out->t, &out->p_t);

    rc = recsys_stats_wilcoxon(d, n, &out->w_plus, &out->z, &out->p_w, &nz);
    out->n_nonzero = (uint32_t) nz;

    if (rc == RECSYS_OK) {
        rc = recsys_stats_bootstrap(d, n, resamples, seed, &out->ci_lo,
                                    &out->ci_hi);
    }

    free(d);

    return rc;
}
