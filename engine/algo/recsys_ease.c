/*
 * recsys_ease.c: EASE^R fitted with LAPACK, served as top-k item rows.
 *
 * One dense n x n buffer of doubles (n = kept items) goes through every
 * stage in place: G = X^T X + lambda I, then its Cholesky factor, then
 * P = G^-1, then B.  Row a of G is accumulated by one thread from a walk
 * item -> users -> items (the item-CF walk), so no two threads write one
 * cell and the sums are the same whatever the thread count.
 *
 * G is symmetric, so the row-major buffer is also its column-major self:
 * LAPACKE is called in column-major order, which spares the transposed
 * copy LAPACKE makes for row-major input (another n^2 doubles).  dpotri
 * leaves P in the column-major lower triangle, which is the row-major
 * upper one; the lower one is mirrored from it.
 *
 * The solve runs on OpenBLAS's own threads and is called outside any
 * OpenMP region, so the two thread pools never run at once.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "recsys_ease.h"
#include "recsys_ingest.h"
#include "recsys_release.h"
#include "recsys_row.h"
#include "recsys_sorted.h"
#include "recsys_status.h"
#include "recsys_topk.h"


#define RECSYS_EASE_NO_EVENT  UINT32_MAX  /* a row without an event in seq */


/* the builder's and eval's defaults: why these, in recsys_ease.h */
const recsys_ease_opts_t  recsys_ease_default = {
    .lambda = 30.0, .max_items = 2000, .k = 200, .values = 0, .dropout = 0.5,
    .dlae = 1, .user_norm = 0.2, .time_scale = 120.0, .time_floor = 0.2
};


void
recsys_ease_free(recsys_ease_t *m)
{
    recsys_release(m, sizeof(recsys_ease_t), 3, m->kept, m->slot, m->b);
}


/* Chooses the kept items and their slots. */
static int
recsys_ease_keep(const recsys_train_t *t, uint32_t max_items,
    recsys_ease_t *m)
{
    uint32_t             i, n, deg;
    recsys_train_pop_t  *pop;

    m->kept = malloc(((size_t) t->n_items + 1) * sizeof(uint32_t));
    m->slot = malloc(((size_t) t->n_items + 1) * sizeof(uint32_t));
    pop = malloc(((size_t) t->n_items + 1) * sizeof(recsys_train_pop_t));

    if (m->kept == NULL || m->slot == NULL || pop == NULL) {
        free(pop);
        return RECSYS_ENOMEM;
    }

    n = 0;
    for (i = 0; i < t->n_items; i++) {
        deg = t->by_item.offsets[i + 1] - t->by_item.offsets[i];

        if (deg > 0) {
            pop[n].item = i;
            pop[n].count = deg;
            n++;
        }
    }

    if (n > max_items) {
        qsort(pop, n, sizeof(recsys_train_pop_t), recsys_train_cmp_pop);
        n = max_items;
    }

    for (i = 0; i < n; i++) {
        m->kept[i] = pop[i].item;
    }

    free(pop);

    qsort(m->kept, n, sizeof(uint32_t), recsys_sorted_cmp_u32);

    for (i = 0; i < t->n_items; i++) {
        m->slot[i] = RECSYS_EASE_NONE;
    }

    for (i = 0; i < n; i++) {
        m->slot[m->kept[i]] = i;
    }

    m->n_kept = n;

    return RECSYS_OK;
}


/*
 * For each row of t->by_user, the index in t->seq of the user's newest
 * event on that item, whose time is t->seq_time[index] (4 bytes a row
 * where the times themselves would take 8), into *at, parallel to
 * by_user.entries; RECSYS_EASE_NO_EVENT where seq has none.  *at stays
 * NULL when t has no times.  RECSYS_OK or RECSYS_ENOMEM.
 */
static int
recsys_ease_events(const recsys_train_t *t, uint32_t **at)
{
    uint32_t       u, e, pos;
    recsys_row_t   row;
    recsys_list_t  seen;

    *at = NULL;

    if (t->seq_time == NULL || t->seq.n_rows != t->n_users) {
        return RECSYS_OK;
    }

    *at = malloc(((size_t) t->by_user.n_entries + 1) * sizeof(uint32_t));
    if (*at == NULL) {
        return RECSYS_ENOMEM;
    }

    for (e = 0; e < t->by_user.n_entries; e++) {
        (*at)[e] = RECSYS_EASE_NO_EVENT;
    }

    seen = recsys_csr_view(&t->by_user);

    for (u = 0; u < t->n_users; u++) {
        row = recsys_list_row(&seen, u);

        for (e = t->seq.offsets[u]; e < t->seq.offsets[u + 1]; e++) {
            pos = recsys_row_find(row, t->seq.entries[e].item);

            if (pos < row.n) {
                (*at)[t->by_user.offsets[u] + pos] = e;
            }
        }
    }

    return RECSYS_OK;
}


/* The time of by_user's row f (recsys_ease_events()' at). */
static int64_t
recsys_ease_time(const recsys_train_t *t, const uint32_t *at, uint32_t f)
{
    return at[f] == RECSYS_EASE_NO_EVENT ? RECSYS_NO_TIME
                                         : t->seq_time[at[f]];
}


/* The time kernel's weight of two rows of one user given at a and b. */
static double
recsys_ease_kernel(const recsys_ease_opts_t *o, int64_t a, int64_t b)
{
    double  dt;

    if (a == RECSYS_NO_TIME || b == RECSYS_NO_TIME) {
        return 1.0;
    }

    dt = fabs((double) a - (double) b);

    return o->time_floor + (1.0 - o->time_floor) * exp(-dt / o->time_scale);
}


/*
 * G = X^T X + Lambda over the kept items, into m->b: Lambda = lambda I
 * plus, for EDLAE, dropout / (1 - dropout) diag(X^T X).  With at (where
 * the rows' times are, recsys_ease_events()), each pair of a user's rows
 * weighs the time kernel as well.
 */
static void
recsys_ease_gram(const recsys_train_t *t, const recsys_ease_opts_t *o,
    const uint32_t *at, recsys_ease_t *m, double *lam)
{
    int            values;
    double         emph, lambda;
    size_t         n;
    int64_t        a;
    recsys_list_t  seen;

    values = o->values;
    lambda = o->lambda;
    emph = o->dropout / (1.0 - o->dropout);
    seen = recsys_csr_view(&t->by_user);
    n = m->n_kept;

#pragma omp parallel for schedule(dynamic, 16)
    for (a = 0; a < (int64_t) n; a++) {
        double                 x, v, *row;
        int64_t                ta;
        uint32_t               e, f, u, s, first, last;
        const recsys_entry_t  *ue;

        row = m->b + (size_t) a * n;
        memset(row, 0, n * sizeof(double));

        for (e = t->by_item.offsets[m->kept[a]];
             e < t->by_item.offsets[m->kept[a] + 1];
             e++)
        {
            u = t->by_item.entries[e].item;
            x = values ? (double) t->by_item.entries[e].score : 1.0;
            ue = t->by_user.entries;
            first = t->by_user.offsets[u];
            last = t->by_user.offsets[u + 1];

            if (o->user_norm > 0.0) {
                x *= pow((double) (last - first), -o->user_norm);
            }

            ta = at == NULL ? RECSYS_NO_TIME
                 : recsys_ease_time(t, at,
                       first + recsys_row_find(recsys_list_row(&seen, u),
                                               m->kept[a]));

            for (f = first; f < last; f++) {
                s = m->slot[ue[f].item];

                if (s == RECSYS_EASE_NONE) {
                    continue;
                }

                v = values ? x * (double) ue[f].score : x;
                row[s] += at == NULL ? v
                          : v * recsys_ease_kernel(o, ta,
                                                   recsys_ease_time(t, at, f));
            }
        }

        lam[a] = lambda + emph * row[a];
        row[a] += lam[a];
    }
}


int
recsys_ease_fit(const recsys_train_t *t, const recsys_ease_opts_t *o,
    recsys_ease_t *m)
{
    int         rc;
    double     *d, *lam;
    size_t      n;
    int64_t     i;
    uint32_t   *at;
    lapack_int  info;

    memset(m, 0, sizeof(recsys_ease_t));

    if (!(o->lambda > 0.0) || !(o->dropout >= 0.0 && o->dropout < 1.0)
        || !(o->user_norm >= 0.0 && o->user_norm <= 4.0)
        || !(o->time_scale >= 0.0 && o->time_scale < INFINITY)
        || !(o->time_floor >= 0.0 && o->time_floor <= 1.0)
        || o->max_items == 0
        || o->max_items > RECSYS_EASE_MAX_ITEMS)
    {
        return RECSYS_EINVAL;
    }

    m->n_items = t->n_items;
    m->values = o->values;

    rc = recsys_ease_keep(t, o->max_items, m);
    if (rc != RECSYS_OK) {
        return rc;
    }

    n = m->n_kept;

    m->b = malloc((n * n + 1) * sizeof(double));
    d = malloc((2 * n + 1) * sizeof(double));

    if (m->b == NULL || d == NULL) {
        free(d);
        return RECSYS_ENOMEM;
    }

    if (n == 0) {
        free(d);
        return RECSYS_OK;
    }

    at = NULL;

    if (o->time_scale > 0.0 && recsys_ease_events(t, &at) != RECSYS_OK) {
        free(d);
        return RECSYS_ENOMEM;
    }

    lam = d + n;
    recsys_ease_gram(t, o, at, m, lam);
    free(at);

    info = LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', (lapack_int) n, m->b,
                               (lapack_int) n);
    if (info == 0) {
        info = LAPACKE_dpotri_work(LAPACK_COL_MAJOR, 'L', (lapack_int) n,
                                   m->b, (lapack_int) n);
    }

    if (info != 0) {
        free(d);
        return RECSYS_EINVAL;
    }

    /* P sits in the row-major upper triangle: mirror it, take diag(P) */
    for (i = 0; i < (int64_t) n; i++) {
        d[i] = m->b[(size_t) i * n + i];
    }

#pragma omp parallel for schedule(dynamic, 16)
    for (i = 0; i < (int64_t) n; i++) {
        size_t   j;
        double  *row;

        row = m->b + (size_t) i * n;

        for (j = 0; j < (size_t) i; j++) {
            row[j] = m->b[j * n + (size_t) i];
        }
    }

    /* DLAE: B[i][j] = -P[i][j] Lambda[j] off the diagonal */
    for (i = 0; o->dlae && i < (int64_t) n; i++) {
        d[i] = 1.0 / lam[i];
    }

    /* B[i][j] = -P[i][j] / P[j][j], diag 0: rows are independent now */
#pragma omp parallel for schedule(static)
    for (i = 0; i < (int64_t) n; i++) {
        size_t   j;
        double  *row;

        row = m->b + (size_t) i * n;

        for (j = 0; j < n; j++) {
            row[j] = -row[j] / d[j];
        }

        row[i] = 0.0;
    }

    free(d);

    return RECSYS_OK;
}


int
recsys_ease_topk(const recsys_ease_t *m, uint32_t k, recsys_csr_t *nbrs)
{
    int              failed;
    size_t           n;
    int64_t          a;
    uint32_t         i, *count;
    uint64_t         total;
    recsys_entry_t  *slots;

    n = m->n_kept;
    failed = 0;

    count = calloc((size_t) n + 1, sizeof(uint32_t));
    slots = malloc((n * k + 1) * sizeof(recsys_entry_t));

    if (count == NULL || slots == NULL) {
        free(count);
        free(slots);
        return RECSYS_ENOMEM;
    }

#pragma omp parallel
    {
        size_t            j;
        uint32_t          c;
        const double     *row;
        recsys_topk_t     top;
        recsys_scored_t  *heap;

        heap = malloc(((size_t) k + 1) * sizeof(recsys_scored_t));

        if (heap == NULL) {
#pragma omp atomic write
            failed = 1;
        }

#pragma omp for schedule(dynamic, 32)
        for (a = 0; a < (int64_t) n; a++) {
            if (heap == NULL) {
                continue;
            }

            row = m->b + (size_t) a * n;
            recsys_topk_init(&top, heap, k);

            for (j = 0; j < n; j++) {
                if (row[j] > 0.0 && j != (size_t) a) {
                    recsys_topk_push(&top, m->kept[j], (float) row[j]);
                }
            }

            c = recsys_topk_sort(&top);
            recsys_slots_put(count, slots, k, a, heap, c);
        }

        free(heap);
    }

    total = 0;
    for (a = 0; a < (int64_t) n; a++) {
        total += count[a];
    }

    if (failed || recsys_csr_alloc(nbrs, m->n_items, total) != 0) {
        free(count);
        free(slots);
        return RECSYS_ENOMEM;
    }

    total = 0;
    for (i = 0; i < m->n_items; i++) {
        nbrs->offsets[i] = (uint32_t) total;

        if (m->slot[i] == RECSYS_EASE_NONE) {
            continue;
        }

        a = m->slot[i];
        memcpy(nbrs->entries + total, slots + (size_t) a * k,
               (size_t) count[a] * sizeof(recsys_entry_t));
        total += count[a];
    }

    nbrs->offsets[m->n_items] = (uint32_t) total;

    free(count);
    free(slots);

    return RECSYS_OK;
}


void
recsys_ease_score(const recsys_ease_t *m, const recsys_train_t *t,
    uint32_t user, double *scores)
{
    double          w;
    size_t          n, a;
    uint32_t        e, s, i;
    const double   *row;

    n = m->n_kept;

    for (i = 0; i < m->n_items; i++) {
        scores[i] = -INFINITY;
    }

    for (a = 0; a < n; a++) {
        scores[m->kept[a]] = 0.0;
    }

    for (e = t->by_user.offsets[user]; e < t->by_user.offsets[user + 1]; e++)
    {
        s = m->slot[t->by_user.entries[e].item];

        if (s == RECSYS_EASE_NONE) {
            continue;
        }

        w = m->values ? (double) t->by_user.entries[e].score : 1.0;
        row = m->b + (size_t) s * n;

        for (a = 0; a < n; a++) {
            scores[m->kept[a]] += w * row[a];
        }
    }
}
