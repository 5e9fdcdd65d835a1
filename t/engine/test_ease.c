/*
 * test_ease.c: unit test of EASE^R (recsys_ease.c).
 *
 * Small seeded random matrices are laid out by hand as recsys_train_t;
 * every expectation comes from dense reference code below, written from
 * the definitions in recsys_ease.h: G = X^T X + lambda I over the kept
 * items, its inverse by plain Gauss-Jordan elimination with partial
 * pivoting (nothing shared with LAPACK), B = -P / diag(P), diag(B) = 0,
 * and the top-k rows and the scores from B.  The variants are checked the
 * same way: EDLAE (Lambda = lambda + p / (1 - p) diag(G)), DLAE (B =
 * -P Lambda off the diagonal), users weighted |I_u|^-a in G, and the time
 * kernel (each pair of a user's rows weighs f + (1 - f) exp(-|dt| / S),
 * 1 when a row has no time), also on a 2 x 2 case solved by hand.  Prints
 * TAP.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "recsys_ease.h"
#include "recsys_ingest.h"
#include "recsys_status.h"
#include "recsys_train.h"
#include "tap.h"


#define T_MAXU  40
#define T_MAXI  24
#define T_SEED  12345

#include "matrix_fixture.h"


/* the variant t_case() fits: EDLAE's dropout, DLAE, the user weight */
static double  t_dropout;
static int     t_dlae;
static double  t_user_norm;

/* the time kernel t_case() fits (scale 0: none) and every cell's time */
static double   t_time_scale;
static double   t_time_floor = 1.0;
static int64_t  t_when[T_MAXU][T_MAXI];


/* Random times within 2000 s for every cell, a tenth of them none. */
static void
t_random_times(void)
{
    int  u, i;

    for (u = 0; u < T_MAXU; u++) {
        for (i = 0; i < T_MAXI; i++) {
            t_when[u][i] = t_rand() < 0.1 ? RECSYS_NO_TIME
                           : (int64_t) (t_rand() * 2000.0);
        }
    }
}


/* The kernel's weight of two cells' times, from its definition. */
static double
t_kernel(int64_t a, int64_t b)
{
    double  dt;

    if (t_time_scale == 0.0 || a == RECSYS_NO_TIME || b == RECSYS_NO_TIME) {
        return 1.0;
    }

    dt = a > b ? (double) (a - b) : (double) (b - a);

    return t_time_floor + (1.0 - t_time_floor) * exp(-dt / t_time_scale);
}


/*
 * t->seq and t->seq_time from m and t_when: each user's cells, newest
 * last (by time, then item), as recsys_train_build() lays them out.
 */
static void
t_train_seq(const t_matrix_t *m, recsys_train_t *t)
{
    int       u, i, j, n, tmp, order[T_MAXI];
    uint32_t  e;

    if (recsys_csr_alloc(&t->seq, m->nu, t->by_user.n_entries) != 0
        || (t->seq_time = malloc((t->by_user.n_entries + 1)
                                 * sizeof(int64_t))) == NULL)
    {
        printf("Bail out! out of memory\n");
        exit(1);
    }

    e = 0;
    for (u = 0; u < m->nu; u++) {
        t->seq.offsets[u] = e;

        for (n = 0, i = 0; i < m->ni; i++) {
            if (m->r[u][i] > 0.0) {
                order[n++] = i;
            }
        }

        for (i = 0; i < n; i++) {
            for (j = i + 1; j < n; j++) {
                if (t_when[u][order[j]] < t_when[u][order[i]]) {
                    tmp = order[i];
                    order[i] = order[j];
                    order[j] = tmp;
                }
            }
        }

        for (i = 0; i < n; i++, e++) {
            t->seq.entries[e].item = (uint32_t) order[i];
            t->seq.entries[e].score = (float) m->r[u][order[i]];
            t->seq_time[e] = t_when[u][order[i]];
        }
    }

    t->seq.offsets[m->nu] = e;
}


static void
t_train_seq_free(recsys_train_t *t)
{
    recsys_csr_free(&t->seq);
    free(t->seq_time);
    t->seq_time = NULL;
}


/* Inverts a (n x n, row-major) into inv by Gauss-Jordan; 0 if singular. */
static int
t_invert(const double *a, int n, double *inv)
{
    int      r, c, k, piv;
    double  *w, f, tmp;

    w = malloc((size_t) n * 2 * n * sizeof(double));

    for (r = 0; r < n; r++) {
        for (c = 0; c < n; c++) {
            w[r * 2 * n + c] = a[r * n + c];
            w[r * 2 * n + n + c] = r == c;
        }
    }

    for (c = 0; c < n; c++) {
        piv = c;
        for (r = c + 1; r < n; r++) {
            if (fabs(w[r * 2 * n + c]) > fabs(w[piv * 2 * n + c])) {
                piv = r;
            }
        }

        if (w[piv * 2 * n + c] == 0.0) {
            free(w);
            return 0;
        }

        for (k = 0; k < 2 * n; k++) {
            tmp = w[c * 2 * n + k];
            w[c * 2 * n + k] = w[piv * 2 * n + k];
            w[piv * 2 * n + k] = tmp;
        }

        f = w[c * 2 * n + c];
        for (k = 0; k < 2 * n; k++) {
            w[c * 2 * n + k] /= f;
        }

        for (r = 0; r < n; r++) {
            if (r != c) {
                f = w[r * 2 * n + c];
                for (k = 0; k < 2 * n; k++) {
                    w[r * 2 * n + k] -= f * w[c * 2 * n + k];
                }
            }
        }
    }

    for (r = 0; r < n; r++) {
        for (c = 0; c < n; c++) {
            inv[r * n + c] = w[r * 2 * n + n + c];
        }
    }

    free(w);

    return 1;
}


/*
 * The reference B over the items kept[0 .. nk) (indexes into m),
 * row-major nk x nk.
 */
static void
t_reference(const t_matrix_t *m, const int *kept, int nk, double lambda,
    int values, double *b)
{
    int      a, c, u, i, deg;
    double  *g, *p, *lam, x, y, wu;

    g = calloc((size_t) nk * nk, sizeof(double));
    p = calloc((size_t) nk * nk, sizeof(double));
    lam = calloc((size_t) nk + 1, sizeof(double));

    for (a = 0; a < nk; a++) {
        for (c = 0; c < nk; c++) {
            for (u = 0; u < m->nu; u++) {
                x = m->r[u][kept[a]];
                y = m->r[u][kept[c]];

                if (!values) {
                    x = x > 0.0;
                    y = y > 0.0;
                }

                for (deg = 0, i = 0; i < m->ni; i++) {
                    deg += m->r[u][i] > 0.0;
                }

                wu = deg > 0 ? pow(deg, -t_user_norm) : 0.0;
                g[a * nk + c] += wu * x * y
                                 * t_kernel(t_when[u][kept[a]],
                                            t_when[u][kept[c]]);
            }
        }
    }

    for (a = 0; a < nk; a++) {
        lam[a] = lambda + t_dropout / (1.0 - t_dropout) * g[a * nk + a];
        g[a * nk + a] += lam[a];
    }

    if (!t_invert(g, nk, p)) {
        printf("Bail out! singular reference\n");
        exit(1);
    }

    for (a = 0; a < nk; a++) {
        for (c = 0; c < nk; c++) {
            b[a * nk + c] = a == c ? 0.0
                            : t_dlae ? -p[a * nk + c] * lam[c]
                            : -p[a * nk + c] / p[c * nk + c];
        }
    }

    free(g);
    free(p);
    free(lam);
}


/* The largest |B - reference| over the kept items. */
static double
t_b_error(const recsys_ease_t *e, const double *ref)
{
    size_t  a, n;
    double  d, worst;

    n = e->n_kept;
    worst = 0.0;

    for (a = 0; a < n * n; a++) {
        d = fabs(e->b[a] - ref[a]);
        worst = d > worst ? d : worst;
    }

    return worst;
}


/* Checks the served rows against the reference B; returns mismatches. */
static int
t_check_topk(const recsys_csr_t *rows, const int *kept, int nk, int ni,
    const double *ref, uint32_t k)
{
    int       a, c, q, bad, n, best, used[T_MAXI];
    uint32_t  e, from, to;
    double    v, bv;

    bad = 0;

    for (a = 0; a < ni; a++) {
        for (c = 0; c < nk && kept[c] != a; c++) {
            /* find a's slot */
        }

        from = rows->offsets[a];
        to = rows->offsets[a + 1];

        if (c == nk) {
            bad += to != from;
            continue;
        }

        /* selection of the k best positive off-diagonal entries */
        memset(used, 0, sizeof(used));
        n = 0;

        for (q = 0; q < (int) k; q++) {
            best = -1;
            bv = 0.0;

            for (e = 0; e < (uint32_t) nk; e++) {
                v = ref[c * nk + e];

                if (used[e] || (int) e == c || !(v > 0.0)) {
                    continue;
                }

                if (best < 0 || v > bv + 1e-12) {
                    best = e;
                    bv = v;
                }
            }

            if (best < 0) {
                break;
            }

            used[best] = 1;

            if (from + n >= to
                || rows->entries[from + n].item != (uint32_t) kept[best]
                || fabs(rows->entries[from + n].score - bv) > 1e-6)
            {
                bad++;
            }

            n++;
        }

        bad += (int) (to - from) != n;
    }

    return bad;
}


static void
t_case(const char *name, const t_matrix_t *m, double lambda, int values,
    uint32_t max_items, uint32_t k)
{
    int                 kept[T_MAXI], nk, i, j, a, c, u, deg[T_MAXI], tmp;
    int                 bad;
    double             *ref, *scores, want;
    recsys_csr_t        rows;
    recsys_ease_t       e;
    recsys_train_t      t;
    recsys_ease_opts_t  o;

    t_train(m, &t);
    t_train_seq(m, &t);

    o = recsys_ease_default;
    o.time_scale = t_time_scale;
    o.time_floor = t_time_floor;
    o.lambda = lambda;
    o.values = values;
    o.max_items = max_items;
    o.k = k;
    o.dropout = t_dropout;
    o.dlae = t_dlae;
    o.user_norm = t_user_norm;

    /* the kept items: the max_items most popular with a row, ascending */
    nk = 0;
    for (i = 0; i < m->ni; i++) {
        deg[i] = 0;
        for (u = 0; u < m->nu; u++) {
            deg[i] += m->r[u][i] > 0.0;
        }

        if (deg[i] > 0) {
            kept[nk++] = i;
        }
    }

    for (i = 0; i < nk; i++) {
        for (j = i + 1; j < nk; j++) {
            if (deg[kept[j]] > deg[kept[i]]
                || (deg[kept[j]] == deg[kept[i]] && kept[j] < kept[i]))
            {
                tmp = kept[i];
                kept[i] = kept[j];
                kept[j] = tmp;
            }
        }
    }

    nk = nk < (int) max_items ? nk : (int) max_items;

    for (i = 0; i < nk; i++) {
        for (j = i + 1; j < nk; j++) {
            if (kept[j] < kept[i]) {
                tmp = kept[i];
                kept[i] = kept[j];
                kept[j] = tmp;
            }
        }
    }

    ref = malloc(((size_t) nk * nk + 1) * sizeof(double));
    t_reference(m, kept, nk, lambda, values, ref);

    tap_is_int(recsys_ease_fit(&t, &o, &e), RECSYS_OK, "%s: fit", name);
    tap_is_int(e.n_kept, nk, "%s: %d items kept", name, nk);

    bad = 0;
    for (i = 0; i < nk && i < (int) e.n_kept; i++) {
        bad += e.kept[i] != (uint32_t) kept[i];
    }

    tap_is_int(bad, 0, "%s: the kept items are the most popular", name);
    tap_is_num(t_b_error(&e, ref), 0.0, 1e-10,
               "%s: B equals the Gauss-Jordan reference", name);

    /* exact scores: x_u B, -inf outside the kept items */
    scores = malloc((size_t) m->ni * sizeof(double));
    bad = 0;

    for (u = 0; u < m->nu; u++) {
        recsys_ease_score(&e, &t, u, scores);

        for (i = 0; i < m->ni; i++) {
            for (c = 0; c < nk && kept[c] != i; c++) {
                /* find i's slot */
            }

            if (c == nk) {
                bad += scores[i] != -INFINITY;
                continue;
            }

            want = 0.0;
            for (a = 0; a < nk; a++) {
                if (m->r[u][kept[a]] > 0.0) {
                    want += (values ? m->r[u][kept[a]] : 1.0)
                            * ref[a * nk + c];
                }
            }

            bad += fabs(scores[i] - want) > 1e-9;
        }
    }

    tap_is_int(bad, 0, "%s: dense scores are x_u B", name);

    tap_is_int(recsys_ease_topk(&e, k, &rows), RECSYS_OK, "%s: top %u",
               name, k);
    tap_is_int(rows.n_rows, m->ni, "%s: a row per item", name);
    tap_is_int(t_check_topk(&rows, kept, nk, m->ni, ref, k), 0,
               "%s: rows are the best positive B, best first", name);
    recsys_csr_free(&rows);

    free(scores);
    free(ref);
    recsys_ease_free(&e);
    t_train_seq_free(&t);
    t_train_free(&t);
}


/* recsys_ease_fit() then recsys_ease_topk() with o->k, as the builder. */
static int
t_ease_build(const recsys_train_t *t, const void *opts, recsys_csr_t *nbrs)
{
    int                        rc;
    recsys_ease_t              m;
    const recsys_ease_opts_t  *o = opts;

    rc = recsys_ease_fit(t, o, &m);

    if (rc == RECSYS_OK) {
        rc = recsys_ease_topk(&m, o->k, nbrs);
    }

    recsys_ease_free(&m);

    return rc;
}


/*
 * The time kernel on 2 items by hand.  Users 0 and 1 have both items,
 * user 2 item 0 only; user 0's rows are 100 s apart, user 1's at one
 * time.  With S = 100 / ln 2 and f = 0.2 user 0's pair weighs 0.2 + 0.8
 * / 2 = 0.6 and user 1's 1, so X^T X off the diagonal is 1.6 (2 without
 * the kernel), the diagonal 3 and 2.  EASE^R with lambda 1: G = [[4,
 * 1.6], [1.6, 3]], and for 2 x 2, B[0][1] = -P[0][1] / P[1][1] = G[0][1]
 * / G[0][0] = 0.4, B[1][0] = G[0][1] / G[1][1] = 1.6 / 3.  Without user
 * 0's times the pair weighs 1: B[0][1] = 2 / 4.
 */
static void
t_kernel_by_hand(void)
{
    t_matrix_t          m;
    recsys_ease_t       e;
    recsys_train_t      t;
    recsys_ease_opts_t  o;

    memset(&m, 0, sizeof(m));
    m.nu = 3;
    m.ni = 2;
    m.r[0][0] = m.r[0][1] = m.r[1][0] = m.r[1][1] = m.r[2][0] = 1.0;
    t_when[0][0] = 1000;
    t_when[0][1] = 1100;
    t_when[1][0] = t_when[1][1] = 5000;
    t_when[2][0] = 7000;

    t_train(&m, &t);
    t_train_seq(&m, &t);
    o = recsys_ease_default;
    o.lambda = 1.0;
    o.dropout = 0.0;
    o.dlae = 0;
    o.user_norm = 0.0;
    o.time_scale = 100.0 / log(2.0);
    o.time_floor = 0.2;

    tap_is_int(recsys_ease_fit(&t, &o, &e), RECSYS_OK, "by hand: fit");
    tap_is_num(e.b[1], 0.4, 1e-12, "by hand: B[0][1] = 1.6 / 4");
    tap_is_num(e.b[2], 1.6 / 3.0, 1e-12, "by hand: B[1][0] = 1.6 / 3");
    recsys_ease_free(&e);
    t_train_seq_free(&t);

    t_when[0][1] = RECSYS_NO_TIME;
    t_train_seq(&m, &t);
    tap_is_int(recsys_ease_fit(&t, &o, &e), RECSYS_OK, "by hand: no time");
    tap_is_num(e.b[1], 0.5, 1e-12, "by hand: a row without time weighs 1");
    recsys_ease_free(&e);
    t_train_seq_free(&t);

    o.time_floor = 1.0;
    t_when[0][1] = 1100;
    t_train_seq(&m, &t);
    tap_is_int(recsys_ease_fit(&t, &o, &e), RECSYS_OK, "by hand: floor 1");
    tap_is_num(e.b[1], 0.5, 1e-12, "by hand: floor 1 is EASE without time");
    recsys_ease_free(&e);
    t_train_seq_free(&t);

    /* bad kernels */
    o.time_scale = -1.0;
    tap_is_int(recsys_ease_fit(&t, &o, &e), RECSYS_EINVAL, "time_scale -1");
    recsys_ease_free(&e);
    o.time_scale = INFINITY;
    tap_is_int(recsys_ease_fit(&t, &o, &e), RECSYS_EINVAL,
               "time_scale infinite");
    recsys_ease_free(&e);
    o.time_scale = 10.0;
    o.time_floor = 1.5;
    tap_is_int(recsys_ease_fit(&t, &o, &e), RECSYS_EINVAL, "time_floor 1.5");
    recsys_ease_free(&e);
    t_train_free(&t);
}


int
main(void)
{
    t_matrix_t          m;
    recsys_csr_t        rows;
    recsys_ease_t       e;
    recsys_train_t      t;
    recsys_ease_opts_t  o;

    t_random(&m, 30, 12, 0.35);
    t_case("binary", &m, 5.0, 0, 20000, 4);
    t_case("values", &m, 40.0, 1, 20000, 20);
    t_case("pruned", &m, 2.0, 0, 6, 3);
    t_case("small lambda", &m, 0.01, 0, 20000, 11);

    t_random(&m, T_MAXU, T_MAXI, 0.2);
    t_case("wider", &m, 10.0, 0, 20000, 8);
    t_case("wider pruned", &m, 10.0, 1, 9, 5);

    t_dropout = 0.4;
    t_case("EDLAE", &m, 3.0, 0, 20000, 8);
    t_dlae = 1;
    t_case("DLAE", &m, 3.0, 0, 20000, 8);
    t_case("DLAE pruned, values", &m, 30.0, 1, 9, 5);
    t_user_norm = 0.5;
    t_case("DLAE, users weighted", &m, 0.5, 0, 20000, 8);
    t_dlae = 0;
    t_dropout = 0.0;
    t_user_norm = 0.75;
    t_case("EASE, users weighted", &m, 0.5, 0, 20000, 8);
    t_user_norm = 0.0;

    t_random_times();
    t_time_scale = 300.0;
    t_time_floor = 0.25;
    t_case("EASE, time kernel", &m, 2.0, 0, 20000, 8);
    t_case("EASE, time kernel, values, pruned", &m, 20.0, 1, 9, 5);
    t_dropout = 0.5;
    t_dlae = 1;
    t_user_norm = 0.2;
    t_time_floor = 0.0;
    t_case("DLAE, time kernel, users weighted", &m, 1.0, 0, 20000, 8);
    t_dropout = 0.0;
    t_dlae = 0;
    t_user_norm = 0.0;
    t_time_scale = 0.0;
    t_time_floor = 1.0;

    t_kernel_by_hand();

    /* bad options */
    t_train(&m, &t);
    o = recsys_ease_default;
    o.lambda = 0.0;
    tap_is_int(recsys_ease_fit(&t, &o, &e), RECSYS_EINVAL, "lambda 0");
    recsys_ease_free(&e);

    o.lambda = 10.0;
    o.max_items = 0;
    tap_is_int(recsys_ease_fit(&t, &o, &e), RECSYS_EINVAL, "max_items 0");
    recsys_ease_free(&e);

    o = recsys_ease_default;
    o.dropout = 1.0;
    tap_is_int(recsys_ease_fit(&t, &o, &e), RECSYS_EINVAL, "dropout 1");
    recsys_ease_free(&e);

    /* the builder's one call */
    o = recsys_ease_default;
    o.k = 3;
    tap_is_int(t_ease_build(&t, &o, &rows), RECSYS_OK, "build");
    tap_ok(rows.n_rows == t.n_items && rows.n_entries <= 3 * t.n_items,
           "build: at most k per row");
    recsys_csr_free(&rows);

    t_train_free(&t);

    /* no train rows at all */
    memset(&m, 0, sizeof(m));
    m.nu = 3;
    m.ni = 4;
    t_train(&m, &t);
    o = recsys_ease_default;
    tap_is_int(t_ease_build(&t, &o, &rows), RECSYS_OK, "empty train");
    tap_is_int(rows.n_entries, 0, "empty train: empty rows");
    recsys_csr_free(&rows);
    t_train_free(&t);

    /* the same rows on one thread and on four */
    t_train_random(&t, 300, 400, 0.05, t_rand);
    o = recsys_ease_default;
    o.lambda = 20.0;
    o.k = 30;
    t_same_on_threads(t_ease_build, &t, &o);
    t_train_free(&t);

    return tap_done();
}
