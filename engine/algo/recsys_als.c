/*
 * recsys_als.c: implicit ALS with conjugate-gradient row solves.
 *
 * The factors are floats (what the model stores); every sum is in double:
 * the Gram matrices, the CG vectors and the loss.  A half-sweep computes
 * the fixed side's Gram matrix (in 64 fixed blocks of rows, summed block
 * by block in order, so the bits do not depend on the thread count), then
 * solves the rows of the other side on all threads, each thread with its
 * own 4 f doubles of CG scratch.  Rows depend only on the fixed side, so
 * the order they are solved in does not matter.
 *
 * Nothing here calls BLAS: f is small (tens to a few hundred) and the
 * work is O(f^2) per row, which plain loops in OpenMP do well enough, and
 * keeps OpenBLAS's thread pool out of OpenMP regions.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_als.h"
#include "recsys_mt19937.h"
#include "recsys_release.h"
#include "recsys_status.h"
#include "recsys_topk.h"

#define RECSYS_ALS_BLOCKS      64
#define RECSYS_ALS_INIT_SCALE  0.01


const recsys_als_opts_t  recsys_als_default = {
    .factors = 64, .reg = 50.0, .alpha = 5.0, .epsilon = 1.0,
    .confidence = RECSYS_ALS_LINEAR, .values = 0, .iterations = 15,
    .cg_steps = 3, .seed = 42, .top = 100
};


void
recsys_als_free(recsys_als_t *m)
{
    recsys_release(m, sizeof(recsys_als_t), 2, m->user, m->item);
}


static double
recsys_als_conf(const recsys_als_opts_t *o, float value)
{
    double  r;

    r = o->values ? (double) value : 1.0;

    if (o->confidence == RECSYS_ALS_LOG) {
        return 1.0 + o->alpha * log1p(r / o->epsilon);
    }

    return 1.0 + o->alpha * r;
}


static double
recsys_als_dot(const float *a, const double *b, uint32_t f)
{
    double    s;
    uint32_t  k;

    s = 0.0;
    for (k = 0; k < f; k++) {
        s += (double) a[k] * b[k];
    }

    return s;
}


int
recsys_als_init(const recsys_train_t *t, const recsys_als_opts_t *o,
    recsys_als_t *m)
{
    size_t       i, n;
    recsys_mt_t  g;

    memset(m, 0, sizeof(recsys_als_t));

    if (o->factors == 0 || o->factors > RECSYS_ALS_MAX_FACTORS
        || !(o->reg >= 0.0) || !(o->alpha >= 0.0) || o->cg_steps == 0
        || (o->confidence != RECSYS_ALS_LINEAR
            && o->confidence != RECSYS_ALS_LOG)
        || (o->confidence == RECSYS_ALS_LOG && !(o->epsilon > 0.0)))
    {
        return RECSYS_EINVAL;
    }

    m->n_users = t->n_users;
    m->n_items = t->n_items;
    m->factors = o->factors;

    m->user = malloc(((size_t) t->n_users * o->factors + 1) * sizeof(float));
    m->item = malloc(((size_t) t->n_items * o->factors + 1) * sizeof(float));

    if (m->user == NULL || m->item == NULL) {
        return RECSYS_ENOMEM;
    }

    recsys_mt_seed(&g, o->seed);

    n = (size_t) t->n_users * o->factors;
    for (i = 0; i < n; i++) {
        m->user[i] = (float) (recsys_mt_double(&g) * RECSYS_ALS_INIT_SCALE);
    }

    n = (size_t) t->n_items * o->factors;
    for (i = 0; i < n; i++) {
        m->item[i] = (float) (recsys_mt_double(&g) * RECSYS_ALS_INIT_SCALE);
    }

    return RECSYS_OK;
}


int
recsys_als_gram(const float *rows, uint32_t n, uint32_t f, double reg,
    double *gram)
{
    size_t   ff;
    double  *part;
    int64_t  b, nb;
    uint32_t k, l;

    ff = (size_t) f * f;

    /* at most 32 MB of partial sums */
    nb = RECSYS_ALS_BLOCKS;
    while (nb > 1 && (size_t) nb * ff > (4u << 20)) {
        nb /= 2;
    }

    part = calloc((size_t) nb * ff, sizeof(double));
    if (part == NULL) {
        return RECSYS_ENOMEM;
    }

#pragma omp parallel for schedule(static, 1)
    for (b = 0; b < nb; b++) {
        double       *g;
        uint64_t      i, lo, hi;
        uint32_t      p, q;
        const float  *y;

        g = part + (size_t) b * ff;
        lo = (uint64_t) n * b / nb;
        hi = (uint64_t) n * (b + 1) / nb;

        for (i = lo; i < hi; i++) {
            y = rows + i * f;

            for (p = 0; p < f; p++) {
                for (q = 0; q <= p; q++) {
                    g[(size_t) p * f + q] += (double) y[p] * y[q];
                }
            }
        }
    }

    memset(gram, 0, ff * sizeof(double));

    for (b = 0; b < nb; b++) {
        for (k = 0; k < f; k++) {
            for (l = 0; l <= k; l++) {
                gram[(size_t) k * f + l] += part[(size_t) b * ff
                                                 + (size_t) k * f + l];
            }
        }
    }

    for (k = 0; k < f; k++) {
        for (l = 0; l < k; l++) {
            gram[(size_t) l * f + k] = gram[(size_t) k * f + l];
        }

        gram[(size_t) k * f + k] += reg;
    }

    free(part);

    return RECSYS_OK;
}


void
recsys_als_solve(const float *other, uint32_t f, const double *gram,
    const recsys_entry_t *row, uint32_t n, const recsys_als_opts_t *o,
    uint32_t steps, float *x, double *scratch)
{
    double        *xd, *r, *p, *ap, c, s, a, rsold, rsnew, pap;
    uint32_t       e, k, l, step;
    const float   *y;
    const double  *g;

    if (n == 0) {
        memset(x, 0, (size_t) f * sizeof(float));
        return;
    }

    xd = scratch;
    r = scratch + f;
    p = scratch + 2 * (size_t) f;
    ap = scratch + 3 * (size_t) f;

    for (k = 0; k < f; k++) {
        xd[k] = x[k];
    }

    /* r = b - A x */
    for (k = 0; k < f; k++) {
        g = gram + (size_t) k * f;
        s = 0.0;

        for (l = 0; l < f; l++) {
            s += g[l] * xd[l];
        }

        r[k] = -s;
    }

    for (e = 0; e < n; e++) {
        y = other + (size_t) row[e].item * f;
        c = recsys_als_conf(o, row[e].score);
        s = c - (c - 1.0) * recsys_als_dot(y, xd, f);

        for (k = 0; k < f; k++) {
            r[k] += s * y[k];
        }
    }

    rsold = 0.0;
    for (k = 0; k < f; k++) {
        p[k] = r[k];
        rsold += r[k] * r[k];
    }

    for (step = 0; step < steps && rsold > 1e-20; step++) {

        /* ap = A p */
        for (k = 0; k < f; k++) {
            g = gram + (size_t) k * f;
            s = 0.0;

            for (l = 0; l < f; l++) {
                s += g[l] * p[l];
            }

            ap[k] = s;
        }

        for (e = 0; e < n; e++) {
            y = other + (size_t) row[e].item * f;
            c = recsys_als_conf(o, row[e].score);
            s = (c - 1.0) * recsys_als_dot(y, p, f);

            for (k = 0; k < f; k++) {
                ap[k] += s * y[k];
            }
        }

        pap = 0.0;
        for (k = 0; k < f; k++) {
            pap += p[k] * ap[k];
        }

        if (!(pap > 0.0)) {
            break;
        }

        a = rsold / pap;
        rsnew = 0.0;

        for (k = 0; k < f; k++) {
            xd[k] += a * p[k];
            r[k] -= a * ap[k];
            rsnew += r[k] * r[k];
        }

        for (k = 0; k < f; k++) {
            p[k] = r[k] + rsnew / rsold * p[k];
        }

        rsold = rsnew;
    }

    for (k = 0; k < f; k++) {
        x[k] = (float) xd[k];
    }
}


/* Solves every row of `solve` against the fixed side `other`. */
static int
recsys_als_half(const recsys_csr_t *rows, const float *other,
    uint32_t n_other, float *solve, const recsys_als_opts_t *o)
{
    int       failed;
    double   *gram;
    int64_t   r;
    uint32_t  f;

    f = o->factors;
    failed = 0;

    gram = malloc((size_t) f * f * sizeof(double));
    if (gram == NULL) {
        return RECSYS_ENOMEM;
    }

    if (recsys_als_gram(other, n_other, f, o->reg, gram) != RECSYS_OK) {
        free(gram);
        return RECSYS_ENOMEM;
    }

#pragma omp parallel
    {
        double  *scratch;

        scratch = malloc(4 * (size_t) f * sizeof(double));
        if (scratch == NULL) {
#pragma omp atomic write
            failed = 1;
        }

#pragma omp for schedule(dynamic, 16)
        for (r = 0; r < (int64_t) rows->n_rows; r++) {
            if (scratch == NULL) {
                continue;
            }

            recsys_als_solve(other, f, gram,
                             rows->entries + rows->offsets[r],
                             rows->offsets[r + 1] - rows->offsets[r], o,
                             o->cg_steps, solve + (size_t) r * f, scratch);
        }

        free(scratch);
    }

    free(gram);

    return failed ? RECSYS_ENOMEM : RECSYS_OK;
}


int
recsys_als_iterate(const recsys_train_t *t, const recsys_als_opts_t *o,
    recsys_als_t *m)
{
    int  rc;

    rc = recsys_als_half(&t->by_user, m->item, m->n_items, m->user, o);

    if (rc == RECSYS_OK) {
        rc = recsys_als_half(&t->by_item, m->user, m->n_users, m->item, o);
    }

    return rc;
}


int
recsys_als_fit(const recsys_train_t *t, const recsys_als_opts_t *o,
    recsys_als_t *m)
{
    int       rc;
    uint32_t  it;

    rc = recsys_als_init(t, o, m);

    for (it = 0; rc == RECSYS_OK && it < o->iterations; it++) {
        rc = recsys_als_iterate(t, o, m);
    }

    return rc;
}


double
recsys_als_loss(const recsys_train_t *t, const recsys_als_opts_t *o,
    const recsys_als_t *m)
{
    double   *gram, *per_user, total, s;
    int64_t   u;
    size_t    i, n;
    uint32_t  f;

    f = m->factors;

    gram = malloc(((size_t) f * f + 1) * sizeof(double));
    per_user = malloc(((size_t) m->n_users + 1) * sizeof(double));

    if (gram == NULL || per_user == NULL
        || recsys_als_gram(m->item, m->n_items, f, 0.0, gram) != RECSYS_OK)
    {
        free(gram);
        free(per_user);
        return NAN;
    }

#pragma omp parallel for schedule(dynamic, 16)
    for (u = 0; u < (int64_t) m->n_users; u++) {
        double        q, v, c, xx;
        uint32_t      e, k, l;
        const float  *x, *y;

        x = m->user + (size_t) u * f;
        q = 0.0;
        xx = 0.0;

        /* every cell as if unobserved: x^T (Y^T Y) x */
        for (k = 0; k < f; k++) {
            v = 0.0;
            for (l = 0; l < f; l++) {
                v += gram[(size_t) k * f + l] * x[l];
            }

            q += x[k] * v;
            xx += (double) x[k] * x[k];
        }

        /* then the observed cells corrected */
        for (e = t->by_user.offsets[u]; e < t->by_user.offsets[u + 1]; e++)
        {
            y = m->item + (size_t) t->by_user.entries[e].item * f;
            c = recsys_als_conf(o, t->by_user.entries[e].score);
            v = 0.0;

            for (k = 0; k < f; k++) {
                v += (double) x[k] * y[k];
            }

            q += c * (1.0 - v) * (1.0 - v) - v * v;
        }

        per_user[u] = q + o->reg * xx;
    }

    total = 0.0;
    for (u = 0; u < (int64_t) m->n_users; u++) {
        total += per_user[u];
    }

    s = 0.0;
    n = (size_t) m->n_items * f;
    for (i = 0; i < n; i++) {
        s += (double) m->item[i] * m->item[i];
    }

    free(gram);
    free(per_user);

    return total + o->reg * s;
}


void
recsys_als_score(const recsys_als_t *m, uint32_t user, double *scores)
{
    double        s;
    uint32_t      i, k, f;
    const float  *x, *y;

    f = m->factors;
    x = m->user + (size_t) user * f;

    for (i = 0; i < m->n_items; i++) {
        y = m->item + (size_t) i * f;
        s = 0.0;

        for (k = 0; k < f; k++) {
            s += (double) x[k] * y[k];
        }

        scores[i] = s;
    }
}


int
recsys_als_top(const recsys_train_t *t, const recsys_als_t *m, uint32_t top,
    recsys_csr_t *lists)
{
    int              rc, failed;
    int64_t          u;
    uint32_t        *count, f;
    recsys_entry_t  *slots;

    f = m->factors;
    failed = 0;

    if (recsys_slots_alloc(m->n_users, top, &count, &slots) != RECSYS_OK) {
        return RECSYS_ENOMEM;
    }

#pragma omp parallel
    {
        double            s;
        uint32_t          i, k, e, end, c;
        const float      *x, *y;
        recsys_topk_t     heap;
        recsys_scored_t  *store;

        store = malloc(((size_t) top + 1) * sizeof(recsys_scored_t));
        if (store == NULL) {
#pragma omp atomic write
            failed = 1;
        }

#pragma omp for schedule(dynamic, 16)
        for (u = 0; u < (int64_t) m->n_users; u++) {
            e = t->by_user.offsets[u];
            end = t->by_user.offsets[u + 1];

            if (store == NULL || e == end) {
                continue;
            }

            x = m->user + (size_t) u * f;
            recsys_topk_init(&heap, store, top);

            for (i = 0; i < m->n_items; i++) {

                /* the user's row is sorted by item: skip the seen ones */
                if (e < end && t->by_user.entries[e].item == i) {
                    e++;
                    continue;
                }

                if (t->by_item.offsets[i + 1] == t->by_item.offsets[i]) {
                    continue;
                }

                y = m->item + (size_t) i * f;
                s = 0.0;

                for (k = 0; k < f; k++) {
                    s += (double) x[k] * y[k];
                }

                recsys_topk_push(&heap, i, (float) s);
            }

            c = recsys_topk_sort(&heap);
            recsys_slots_put(count, slots, top, u, store, c);
        }

        free(store);
    }

    rc = recsys_slots_pack(failed, m->n_users, top, count, slots, lists);

    return rc;
}
