/*
 * test_rp3.c: unit test of RP3beta (recsys_rp3.c).
 *
 * Seeded random matrices are laid out by hand as recsys_train_t; the
 * expectation is the dense product of recsys_rp3.h written plainly:
 * the two row-normalised step matrices raised to alpha, multiplied as
 * full matrices, divided by popularity^beta, diagonal zeroed, each row's
 * k best kept (ties to the smaller index) and optionally normalised.
 * Prints TAP.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "recsys_rp3.h"
#include "recsys_status.h"
#include "recsys_train.h"
#include "tap.h"


#define T_MAXU  40
#define T_MAXI  24
#define T_SEED  777

#include "matrix_fixture.h"


/*
 * One row of a step matrix raised to alpha: from user r to the items
 * (by_item 0) or from item r to the users (by_item 1), each cell (binary
 * unless values) over the row's sum; 0 for an empty row.
 */
static void
t_step(const t_matrix_t *m, int by_item, int r, const recsys_rp3_opts_t *o,
    double *p)
{
    int     c, n;
    double  x, s;

    n = by_item ? m->nu : m->ni;
    s = 0.0;

    for (c = 0; c < n; c++) {
        x = by_item ? m->r[c][r] : m->r[r][c];
        s += o->values ? x : (x > 0.0);
    }

    for (c = 0; c < n; c++) {
        x = by_item ? m->r[c][r] : m->r[r][c];
        x = o->values ? x : (x > 0.0);
        p[c] = s > 0.0 ? pow(x / s, o->alpha) : 0.0;
    }
}


/* W, ni x ni, by the definition: dense matrices, one product. */
static void
t_reference(const t_matrix_t *m, const recsys_rp3_opts_t *o, double *w)
{
    int     u, i, j;
    double  s, pui[T_MAXU][T_MAXI], piu[T_MAXI][T_MAXU], deg;

    for (u = 0; u < m->nu; u++) {
        t_step(m, 0, u, o, pui[u]);
    }

    for (i = 0; i < m->ni; i++) {
        t_step(m, 1, i, o, piu[i]);
    }

    for (i = 0; i < m->ni; i++) {
        for (j = 0; j < m->ni; j++) {
            s = 0.0;
            deg = 0.0;

            for (u = 0; u < m->nu; u++) {
                s += piu[i][u] * pui[u][j];
                deg += m->r[u][j] > 0.0;
            }

            w[i * m->ni + j] = i == j || deg == 0.0
                               ? 0.0 : s / pow(deg, o->beta);
        }
    }
}


/* Compares the rows with the reference's top k; returns mismatches. */
static int
t_check(const recsys_csr_t *rows, const t_matrix_t *m,
    const recsys_rp3_opts_t *o, const double *w)
{
    int       i, j, q, n, bad, best, used[T_MAXI];
    double    bv, v, sum, kept[T_MAXI];
    uint32_t  from, to;
    int       idx[T_MAXI];

    bad = 0;

    for (i = 0; i < m->ni; i++) {
        memset(used, 0, sizeof(used));
        n = 0;
        sum = 0.0;

        for (q = 0; q < (int) o->k; q++) {
            best = -1;
            bv = 0.0;

            for (j = 0; j < m->ni; j++) {
                v = w[i * m->ni + j];

                if (used[j] || !(v > 0.0)) {
                    continue;
                }

                /* within rounding: a tie, to the smaller index */
                if (best < 0 || v > bv * (1.0 + 1e-9)) {
                    best = j;
                    bv = v;
                }
            }

            if (best < 0) {
                break;
            }

            used[best] = 1;
            idx[n] = best;
            kept[n] = bv;
            sum += bv;
            n++;
        }

        from = rows->offsets[i];
        to = rows->offsets[i + 1];

        if ((int) (to - from) != n) {
            bad++;
            continue;
        }

        for (q = 0; q < n; q++) {
            v = o->normalize ? kept[q] / sum : kept[q];

            if (rows->entries[from + q].item != (uint32_t) idx[q]
                || fabs(rows->entries[from + q].score - v) > 1e-6 * v)
            {
                bad++;
            }
        }
    }

    return bad;
}


static void
t_case(const char *name, const t_matrix_t *m, double alpha, double beta,
    uint32_t k, int values, int normalize)
{
    double             *w;
    recsys_csr_t        rows;
    recsys_train_t      t;
    recsys_rp3_opts_t   o;

    t_train(m, &t);

    o = recsys_rp3_default;
    o.alpha = alpha;
    o.beta = beta;
    o.k = k;
    o.values = values;
    o.normalize = normalize;

    w = malloc((size_t) m->ni * m->ni * sizeof(double));
    t_reference(m, &o, w);

    tap_is_int(recsys_rp3_build(&t, &o, &rows), RECSYS_OK, "%s: build",
               name);
    tap_is_int(rows.n_rows, m->ni, "%s: a row per item", name);
    tap_is_int(t_check(&rows, m, &o, w), 0,
               "%s: rows equal the dense product's top %u", name, k);

    recsys_csr_free(&rows);
    free(w);
    t_train_free(&t);
}


static int
t_rp3_build(const recsys_train_t *t, const void *o, recsys_csr_t *rows)
{
    return recsys_rp3_build(t, o, rows);
}


int
main(void)
{
    t_matrix_t          m;
    recsys_csr_t        rows;
    recsys_train_t      t;
    recsys_rp3_opts_t   o;

    t_random(&m, 30, 12, 0.3);
    t_case("P3 (alpha 1, beta 0)", &m, 1.0, 0.0, 20, 0, 0);
    t_case("alpha 0.7 beta 0.4", &m, 0.7, 0.4, 20, 0, 0);
    t_case("truncated to 3", &m, 0.7, 0.4, 3, 0, 0);
    t_case("values", &m, 1.3, 0.25, 5, 1, 0);
    t_case("normalized", &m, 0.8, 0.3, 4, 0, 1);

    t_random(&m, T_MAXU, T_MAXI, 0.15);
    t_case("wider", &m, 0.6, 0.5, 6, 0, 0);
    t_case("wider values normalized", &m, 0.9, 0.2, 10, 1, 1);

    /* P3 with alpha 1 and beta 0: rows are probabilities before the
       diagonal is dropped, so every full row sums to at most 1 */
    t_train(&m, &t);
    o = recsys_rp3_default;
    o.alpha = 1.0;
    o.beta = 0.0;
    o.k = T_MAXI;
    tap_is_int(recsys_rp3_build(&t, &o, &rows), RECSYS_OK, "P3 full rows");
    {
        int       bad = 0;
        uint32_t  i, e;
        double    s;

        for (i = 0; i < rows.n_rows; i++) {
            s = 0.0;
            for (e = rows.offsets[i]; e < rows.offsets[i + 1]; e++) {
                s += rows.entries[e].score;
            }

            bad += s > 1.0 + 1e-6;
        }

        tap_is_int(bad, 0, "P3: rows are sub-stochastic");
    }
    recsys_csr_free(&rows);

    o.alpha = 0.0;
    tap_is_int(recsys_rp3_build(&t, &o, &rows), RECSYS_EINVAL, "alpha 0");
    o.alpha = 1.0;
    o.beta = -0.1;
    tap_is_int(recsys_rp3_build(&t, &o, &rows), RECSYS_EINVAL, "beta < 0");
    t_train_free(&t);

    /* the same rows on one thread and on four */
    t_train_random(&t, 300, 700, 0.04, t_rand);
    o = recsys_rp3_default;
    o.k = 50;
    t_same_on_threads(t_rp3_build, &t, &o);
    t_train_free(&t);

    return tap_done();
}
