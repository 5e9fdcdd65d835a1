/*
 * test_als.c: unit test of implicit ALS (recsys_als.c).
 *
 * Seeded random matrices are laid out by hand as recsys_train_t.  The
 * references are written plainly from recsys_als.h: the objective summed
 * over every cell of the dense matrix, a row's normal equations built as a
 * dense f x f system and solved by Gaussian elimination, scores and top
 * lists by brute force.  Checked: the Gram matrix, the loss, that CG
 * solves a row's system (to 1e-4 of the direct solve), that no sweep
 * raises the loss, that a fit does not depend on the thread count, and the
 * top lists.  Prints TAP.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_als.h"
#include "recsys_status.h"
#include "recsys_train.h"
#include "tap.h"


#define T_MAXU  40
#define T_MAXI  24
#define T_SEED  4242
#define T_MAXF  16

#include "matrix_fixture.h"


static double
t_conf(const recsys_als_opts_t *o, double r)
{
    r = o->values ? r : 1.0;

    return o->confidence == RECSYS_ALS_LOG
           ? 1.0 + o->alpha * log(1.0 + r / o->epsilon)
           : 1.0 + o->alpha * r;
}


/* The objective over every cell of the dense matrix. */
static double
t_loss(const t_matrix_t *m, const recsys_als_opts_t *o,
    const recsys_als_t *a)
{
    int      u, i, k, f;
    double   s, c, p, l;

    f = a->factors;
    l = 0.0;

    for (u = 0; u < m->nu; u++) {
        for (i = 0; i < m->ni; i++) {
            s = 0.0;
            for (k = 0; k < f; k++) {
                s += (double) a->user[u * f + k] * a->item[i * f + k];
            }

            p = m->r[u][i] > 0.0;
            c = p ? t_conf(o, m->r[u][i]) : 1.0;
            l += c * (p - s) * (p - s);
        }
    }

    for (k = 0; k < m->nu * f; k++) {
        l += o->reg * a->user[k] * a->user[k];
    }

    for (k = 0; k < m->ni * f; k++) {
        l += o->reg * a->item[k] * a->item[k];
    }

    return l;
}


/* Solves the f x f system a x = b in place by Gaussian elimination. */
static void
t_gauss(double a[T_MAXF][T_MAXF], double *b, int f, double *x)
{
    int     r, c, k, piv;
    double  t, q;

    for (c = 0; c < f; c++) {
        piv = c;
        for (r = c + 1; r < f; r++) {
            if (fabs(a[r][c]) > fabs(a[piv][c])) {
                piv = r;
            }
        }

        for (k = 0; k < f; k++) {
            t = a[c][k];
            a[c][k] = a[piv][k];
            a[piv][k] = t;
        }

        t = b[c];
        b[c] = b[piv];
        b[piv] = t;

        for (r = c + 1; r < f; r++) {
            q = a[r][c] / a[c][c];

            for (k = c; k < f; k++) {
                a[r][k] -= q * a[c][k];
            }

            b[r] -= q * b[c];
        }
    }

    for (r = f - 1; r >= 0; r--) {
        t = b[r];
        for (k = r + 1; k < f; k++) {
            t -= a[r][k] * x[k];
        }

        x[r] = t / a[r][r];
    }
}


/* User u's exact solution given the item factors of a. */
static void
t_direct(const t_matrix_t *m, const recsys_als_opts_t *o,
    const recsys_als_t *a, int u, double *x)
{
    int      i, k, l, f;
    double   g[T_MAXF][T_MAXF], b[T_MAXF], c;
    float   *y;

    f = a->factors;
    memset(g, 0, sizeof(g));
    memset(b, 0, sizeof(b));

    for (i = 0; i < m->ni; i++) {
        y = a->item + i * f;
        c = m->r[u][i] > 0.0 ? t_conf(o, m->r[u][i]) : 1.0;

        for (k = 0; k < f; k++) {
            for (l = 0; l < f; l++) {
                g[k][l] += c * y[k] * y[l];
            }

            if (m->r[u][i] > 0.0) {
                b[k] += c * y[k];
            }
        }
    }

    for (k = 0; k < f; k++) {
        g[k][k] += o->reg;
    }

    t_gauss(g, b, f, x);
}


static void
t_gram_case(void)
{
    int       n, f, i, k, l, bad;
    float    *rows;
    double   *g, want;

    n = 1000;
    f = 7;
    rows = malloc((size_t) n * f * sizeof(float));
    g = malloc((size_t) f * f * sizeof(double));

    for (i = 0; i < n * f; i++) {
        rows[i] = (float) (t_rand() - 0.5);
    }

    tap_is_int(recsys_als_gram(rows, n, f, 0.5, g), RECSYS_OK, "gram");

    bad = 0;
    for (k = 0; k < f; k++) {
        for (l = 0; l < f; l++) {
            want = k == l ? 0.5 : 0.0;
            for (i = 0; i < n; i++) {
                want += (double) rows[i * f + k] * rows[i * f + l];
            }

            bad += fabs(g[k * f + l] - want) > 1e-9;
        }
    }

    tap_is_int(bad, 0, "gram: Y^T Y + reg I");

    free(rows);
    free(g);
}


static void
t_fit_case(const char *name, const t_matrix_t *m, recsys_als_opts_t *o)
{
    int                 u, k, f, it, bad, rises, i, j;
    float               x[T_MAXF];
    double              prev, cur, worst, want[T_MAXF], *gram, *scratch;
    double             *scores;
    uint32_t            e;
    recsys_csr_t        top;
    recsys_als_t        a, b;
    recsys_train_t      t;

    t_train(m, &t);
    f = o->factors;

    tap_is_int(recsys_als_init(&t, o, &a), RECSYS_OK, "%s: init", name);

    tap_is_num(recsys_als_loss(&t, o, &a), t_loss(m, o, &a),
               1e-9 * t_loss(m, o, &a), "%s: loss at the start", name);

    /* no sweep raises the objective */
    prev = recsys_als_loss(&t, o, &a);
    rises = 0;
    worst = 0.0;

    for (it = 0; it < 12; it++) {
        tap_is_int(recsys_als_iterate(&t, o, &a), RECSYS_OK,
                   "%s: sweep %d", name, it + 1);

        cur = recsys_als_loss(&t, o, &a);
        rises += cur > prev * (1.0 + 1e-7);
        worst = cur - prev > worst ? cur - prev : worst;
        prev = cur;
    }

    tap_is_int(rises, 0, "%s: the loss never rises (worst step %+g)", name,
               worst);
    tap_is_num(recsys_als_loss(&t, o, &a), t_loss(m, o, &a),
               1e-9 * t_loss(m, o, &a), "%s: loss after fitting", name);

    /* CG with enough steps solves a row's normal equations */
    gram = malloc((size_t) f * f * sizeof(double));
    scratch = malloc(4 * (size_t) f * sizeof(double));
    recsys_als_gram(a.item, a.n_items, f, o->reg, gram);

    bad = 0;
    for (u = 0; u < m->nu; u++) {
        t_direct(m, o, &a, u, want);

        for (k = 0; k < f; k++) {
            x[k] = 0.0f;
        }

        recsys_als_solve(a.item, f, gram,
                         t.by_user.entries + t.by_user.offsets[u],
                         t.by_user.offsets[u + 1] - t.by_user.offsets[u], o,
                         4 * f, x, scratch);

        for (k = 0; k < f; k++) {
            bad += fabs(x[k] - want[k]) > 1e-4;
        }
    }

    tap_is_int(bad, 0, "%s: CG from 0 matches the direct solve (1e-4)",
               name);

    free(gram);
    free(scratch);

    /* the same fit on one thread and on four */
    recsys_als_free(&a);

    t_set_threads(1);
    tap_is_int(recsys_als_fit(&t, o, &a), RECSYS_OK, "%s: fit", name);
    t_set_threads(4);
    tap_is_int(recsys_als_fit(&t, o, &b), RECSYS_OK, "%s: fit again", name);
    tap_ok(memcmp(a.user, b.user, (size_t) m->nu * f * sizeof(float)) == 0
           && memcmp(a.item, b.item, (size_t) m->ni * f * sizeof(float))
              == 0,
           "%s: the same factors on 1 and 4 threads", name);
    recsys_als_free(&b);

    /* the item without rows has zero factors */
    bad = 0;
    for (k = 0; k < f; k++) {
        bad += a.item[(m->ni - 1) * f + k] != 0.0f;
    }

    tap_is_int(bad, 0, "%s: an item without rows gets zero factors", name);

    /* top lists by brute force */
    tap_is_int(recsys_als_top(&t, &a, 5, &top), RECSYS_OK, "%s: top", name);
    scores = malloc((size_t) m->ni * sizeof(double));
    bad = 0;

    for (u = 0; u < m->nu; u++) {
        int     used[T_MAXI], n, best;
        double  bv;

        if (t.by_user.offsets[u + 1] == t.by_user.offsets[u]) {
            bad += top.offsets[u + 1] != top.offsets[u];
            continue;
        }

        recsys_als_score(&a, u, scores);
        memset(used, 0, sizeof(used));
        n = 0;

        for (i = 0; i < 5; i++) {
            best = -1;
            bv = 0.0;

            for (j = 0; j < m->ni - 1; j++) {
                if (used[j] || m->r[u][j] > 0.0) {
                    continue;
                }

                if (best < 0 || (float) scores[j] > (float) bv) {
                    best = j;
                    bv = scores[j];
                }
            }

            if (best < 0) {
                break;
            }

            used[best] = 1;
            e = top.offsets[u] + n;

            if (e >= top.offsets[u + 1] || top.entries[e].item
                != (uint32_t) best)
            {
                bad++;
            }

            n++;
        }

        bad += (int) (top.offsets[u + 1] - top.offsets[u]) != n;
    }

    tap_is_int(bad, 0, "%s: top lists are the best unseen items", name);

    free(scores);
    recsys_csr_free(&top);
    recsys_als_free(&a);
    t_train_free(&t);
}


int
main(void)
{
    t_matrix_t          m;
    recsys_als_t        a;
    recsys_train_t      t;
    recsys_als_opts_t   o;

    t_gram_case();

    t_random(&m, 30, 14, 0.3);

    o = recsys_als_default;
    o.factors = 4;
    o.reg = 0.1;
    o.alpha = 5.0;
    t_fit_case("binary f4", &m, &o);

    o.factors = 8;
    o.values = 1;
    o.alpha = 2.0;
    o.cg_steps = 2;
    t_fit_case("values f8", &m, &o);

    t_random(&m, T_MAXU, T_MAXI, 0.2);
    o.factors = 6;
    o.confidence = RECSYS_ALS_LOG;
    o.epsilon = 0.5;
    o.alpha = 8.0;
    o.reg = 1.0;
    o.cg_steps = 3;
    t_fit_case("log f6", &m, &o);

    /* a user without rows stays at zero and gets an empty list */
    m.r[0][0] = 0.0;
    memset(m.r[3], 0, sizeof(m.r[3]));
    o.factors = 5;
    o.confidence = RECSYS_ALS_LINEAR;
    t_fit_case("user without rows", &m, &o);

    /* bad options */
    t_train(&m, &t);
    o = recsys_als_default;
    o.factors = 0;
    tap_is_int(recsys_als_init(&t, &o, &a), RECSYS_EINVAL, "factors 0");
    recsys_als_free(&a);
    o = recsys_als_default;
    o.cg_steps = 0;
    tap_is_int(recsys_als_init(&t, &o, &a), RECSYS_EINVAL, "cg_steps 0");
    recsys_als_free(&a);
    o = recsys_als_default;
    o.confidence = RECSYS_ALS_LOG;
    o.epsilon = 0.0;
    tap_is_int(recsys_als_init(&t, &o, &a), RECSYS_EINVAL, "log, eps 0");
    recsys_als_free(&a);
    t_train_free(&t);

    return tap_done();
}
