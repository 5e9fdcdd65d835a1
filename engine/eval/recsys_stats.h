/*
 * recsys_stats.h: paired significance tests for per-user metric values.
 *
 * Two algorithms scored on the same users give two values per user; the
 * question is whether the mean of their differences d_u = a_u - b_u is
 * different from zero.  Three answers, each computed from d alone:
 *
 *   paired t-test   t = mean(d) / (sd(d) / sqrt(n)), sd with n - 1; the
 *                   two-sided p-value of Student's t with n - 1 degrees of
 *                   freedom, P(|T| >= |t|) = I_{df/(df+t^2)}(df/2, 1/2),
 *                   I the regularized incomplete beta function (continued
 *                   fraction, modified Lentz method);
 *   Wilcoxon        signed-rank test, normal approximation: zero
 *                   differences are dropped (Wilcoxon's own rule), the
 *                   rest ranked by |d| with tied values sharing their mean
 *                   rank; W+ is the rank sum of the positive ones, with
 *                   mean m(m+1)/4 and variance m(m+1)(2m+1)/24 - sum over
 *                   tie groups of (t^3 - t)/48 (m the non-zero count);
 *                   z = (W+ - mean - 0.5 sign(W+ - mean)) / sd (the
 *                   continuity correction R's wilcox.test applies), p =
 *                   erfc(|z| / sqrt 2), two-sided;
 *   bootstrap       the 95% percentile interval of mean(d): resamples of n
 *                   differences drawn with replacement from the splitmix64
 *                   stream of a seed (recsys_rng.h), the 2.5th and 97.5th
 *                   percentiles of their means by linear interpolation
 *                   between order statistics (numpy's default).
 *
 * Degenerate inputs give defined answers: fewer than 2 pairs, NaN for t
 * and its p; all differences equal, t = 0 and p = 1 when they are 0,
 * else an infinite t and p = 0; no non-zero difference, z = 0 and p = 1.
 */

#ifndef RECSYS_STATS_H
#define RECSYS_STATS_H

#include <stddef.h>
#include <stdint.h>

#define RECSYS_STATS_RESAMPLES  2000


typedef struct {
    uint32_t  n;            /* pairs */
    uint32_t  n_nonzero;    /* pairs whose difference is not 0 */
    double    mean_a;
    double    mean_b;
    double    diff;         /* mean(a - b) */
    double    ci_lo;        /* bootstrap 95% interval of diff */
    double    ci_hi;
    double    t;
    double    p_t;          /* paired t-test, two-sided */
    double    w_plus;
    double    z;
    double    p_w;          /* Wilcoxon signed-rank, two-sided */
} recsys_stats_paired_t;


/* The standard normal CDF, 0.5 erfc(-z / sqrt 2). */
double recsys_stats_normal_cdf(double z);

/*
 * The regularized incomplete beta function I_x(a, b) for a, b > 0 and x
 * in [0, 1]; NaN outside.  Relative error about 1e-14.
 */
double recsys_stats_beta_inc(double a, double b, double x);

/* Student's t CDF with df > 0 degrees of freedom. */
double recsys_stats_t_cdf(double t, double df);

/* The paired t-test of differences d[0 .. n): t and its two-sided p. */
void recsys_stats_ttest(const double *d, size_t n, double *t, double *p);

/*
 * The Wilcoxon signed-rank test of d[0 .. n) as above: W+, z, the
 * two-sided p and the non-zero count.  RECSYS_OK or RECSYS_ENOMEM.
 */
int recsys_stats_wilcoxon(const double *d, size_t n, double *w_plus,
    double *z, double *p, size_t *n_nonzero);

/*
 * The bootstrap 95% interval of mean(d) from resamples resamples drawn
 * with seed; n == 0 gives NaN.  RECSYS_OK or RECSYS_ENOMEM.
 */
int recsys_stats_bootstrap(const double *d, size_t n, uint32_t resamples,
    uint64_t seed, double *lo, double *hi);

/*
 * All of the above for a[0 .. n) against b[0 .. n), pairs by position.
 * RECSYS_OK or RECSYS_ENOMEM.
 */
int recsys_stats_paired(const double *a, const double *b, size_t n,
    uint32_t resamples, uint64_t seed, recsys_stats_paired_t *out);

#endif /* RECSYS_STATS_H */
