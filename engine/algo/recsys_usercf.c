/*
 * recsys_usercf.c: user-user similarity and user-CF top lists.
 *
 * Neighbours.  For user u, one walk over u's items and each item's users
 * (by_item, or the item's fixed sample when it has more users than
 * max_item_users) fills a dense per-thread accumulator indexed by user,
 * one record per user so that an update touches one cache line: the
 * co-rated count and, for cosine, sum r_u r_v, for Pearson the five sums
 * (r_u, r_v, r_u r_v, r_u^2, r_v^2) over the co-rated items from which the
 * correlation follows in one step:
 *   cov = n sxy - sx sy,  var_u = n sxx - sx^2,  var_v = n syy - sy^2.
 * The users touched are kept in a list, so resetting costs only what was
 * used.  A bounded heap keeps the best k; the rows are packed into a csr.
 *
 * Top lists.  For user u, each neighbour's row adds sim * r into a dense
 * per-thread accumulator over items; the items u has seen are flagged and
 * skipped; a heap keeps the best `top`.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_float.h"
#include "recsys_rng.h"
#include "recsys_row.h"
#include "recsys_sorted.h"
#include "recsys_status.h"
#include "recsys_topk.h"
#include "recsys_usercf.h"


/* similarities at or below this are zero up to rounding */
#define RECSYS_USERCF_EPS  1e-9


typedef struct {
    uint64_t        hash;
    recsys_entry_t  e;
} recsys_usercf_draw_t;


const recsys_usercf_opts_t  recsys_usercf_default = {
    .sim = RECSYS_USERCF_COSINE, .k = 50, .shrink = 0.0f,
    .max_item_users = 200, .top = 100, .normalize = 0
};


static uint64_t
recsys_usercf_hash(uint32_t item, uint32_t user)
{
    uint64_t  x;

    /* the first splitmix64 value seeded by the pair */
    x = ((uint64_t) item << 32) | user;

    return recsys_rng_next(&x);
}


RECSYS_SORTED_CMP2(recsys_usercf_cmp_draw, recsys_usercf_draw_t, hash, e.item)


/*
 * The walk rows of items with more than cap users: a row per item, empty
 * for the others, holding the cap users with the smallest hash, sorted by
 * user index.  *any is 0 when no item needed one (sample left empty).
 */
static int
recsys_usercf_sample(const recsys_csr_t *by_item, uint32_t cap,
    recsys_csr_t *sample, int *any)
{
    int       failed;
    uint32_t  i, n_items, deg, max_deg;
    uint64_t  total;

    n_items = by_item->n_rows;
    *any = 0;
    memset(sample, 0, sizeof(recsys_csr_t));

    if (cap == 0) {
        return RECSYS_OK;
    }

    total = 0;
    max_deg = 0;
    for (i = 0; i < n_items; i++) {
        deg = by_item->offsets[i + 1] - by_item->offsets[i];

        if (deg > cap) {
            total += cap;
            max_deg = deg > max_deg ? deg : max_deg;
        }
    }

    if (total == 0) {
        return RECSYS_OK;
    }

    if (recsys_csr_alloc(sample, n_items, total) != 0) {
        return RECSYS_ENOMEM;
    }

    total = 0;
    for (i = 0; i < n_items; i++) {
        sample->offsets[i] = (uint32_t) total;
        deg = by_item->offsets[i + 1] - by_item->offsets[i];
        total += deg > cap ? cap : 0;
    }

    sample->offsets[n_items] = (uint32_t) total;
    failed = 0;

#pragma omp parallel
    {
        /* every variable a thread writes is its own: a shared degree
         * let one thread sample another's item */
        uint32_t               j, from, n;
        recsys_usercf_draw_t  *draw;

        draw = malloc((size_t) max_deg * sizeof(recsys_usercf_draw_t));
        if (draw == NULL) {
#pragma omp atomic write
            failed = 1;
        }

#pragma omp for schedule(dynamic, 16)
        for (i = 0; i < n_items; i++) {
            from = by_item->offsets[i];
            n = by_item->offsets[i + 1] - from;

            if (draw == NULL || n <= cap) {
                continue;
            }

            for (j = 0; j < n; j++) {
                draw[j].e = by_item->entries[from + j];
                draw[j].hash = recsys_usercf_hash(i, draw[j].e.item);
            }

            qsort(draw, n, sizeof(recsys_usercf_draw_t),
                  recsys_usercf_cmp_draw);

            for (j = 0; j < cap; j++) {
                sample->entries[sample->offsets[i] + j] = draw[j].e;
            }

            qsort(sample->entries + sample->offsets[i], cap,
                  sizeof(recsys_entry_t), recsys_row_cmp_item);
        }

        free(draw);
    }

    if (failed) {
        recsys_csr_free(sample);
        return RECSYS_ENOMEM;
    }

    *any = 1;

    return RECSYS_OK;
}


/* The similarity of one accumulated pair, before shrinkage. */
static double
recsys_usercf_pair(const recsys_usercf_opts_t *o, const double *a,
    uint32_t n, double norm_u, double norm_v)
{
    double  cov, var_u, var_v, s;

    if (o->sim == RECSYS_USERCF_COSINE) {
        if (norm_u == 0.0 || norm_v == 0.0) {
            return 0.0;
        }

        return a[0] / (norm_u * norm_v);
    }

    /* a: sx, sy, sxy, sxx, syy over the n co-rated items */

    if (n < 2) {
        return 0.0;
    }

    cov = n * a[2] - a[0] * a[1];
    var_u = n * a[3] - a[0] * a[0];
    var_v = n * a[4] - a[1] * a[1];

    /* constant over the co-rated items, up to rounding */
    if (var_u <= 1e-12 * n * a[3] || var_v <= 1e-12 * n * a[4]) {
        return 0.0;
    }

    s = cov / sqrt(var_u * var_v);

    return s > 1.0 ? 1.0 : (s < -1.0 ? -1.0 : s);
}


/* Each user's Euclidean norm of values, into norm[]. */
static void
recsys_usercf_norms(const recsys_csr_t *by_user, double *norm)
{
    double    s;
    uint32_t  u, e;

    for (u = 0; u < by_user->n_rows; u++) {
        s = 0.0;
        for (e = by_user->offsets[u]; e < by_user->offsets[u + 1]; e++) {
            s += (double) by_user->entries[e].score
                 * by_user->entries[e].score;
        }

        norm[u] = sqrt(s);
    }
}


int
recsys_usercf_neighbors(const recsys_train_t *t,
    const recsys_usercf_opts_t *o, recsys_csr_t *nbrs)
{
    int                  rc, failed, sampled;
    double              *norm;
    uint32_t             n_users, u, k, stride, cap, *count;
    recsys_csr_t         sample;
    recsys_entry_t      *slots;
    const recsys_csr_t  *by_user, *by_item;

    by_user = &t->by_user;
    by_item = &t->by_item;
    n_users = by_user->n_rows;
    k = o->k;
    cap = o->max_item_users;
    stride = o->sim == RECSYS_USERCF_PEARSON ? 6 : 2;
    failed = 0;

    memset(nbrs, 0, sizeof(recsys_csr_t));

    rc = recsys_usercf_sample(by_item, cap, &sample, &sampled);
    if (rc != RECSYS_OK) {
        return rc;
    }

    norm = malloc(((size_t) n_users + 1) * sizeof(double));
    count = calloc((size_t) n_users + 1, sizeof(uint32_t));
    slots = malloc(((size_t) n_users * k + 1) * sizeof(recsys_entry_t));

    if (norm == NULL || count == NULL || slots == NULL) {
        rc = RECSYS_ENOMEM;
        goto done;
    }

    recsys_usercf_norms(by_user, norm);

#pragma omp parallel
    {
        double                *acc, *a, ru, rv, sim;
        uint32_t              *touched, n_touched, e, f, i, v, x, to, n;
        recsys_topk_t          top;
        recsys_scored_t       *heap;
        const recsys_entry_t  *w;

        acc = calloc((size_t) n_users * stride + 1, sizeof(double));
        touched = malloc(((size_t) n_users + 1) * sizeof(uint32_t));
        heap = malloc(((size_t) k + 1) * sizeof(recsys_scored_t));

        if (acc == NULL || touched == NULL || heap == NULL) {
#pragma omp atomic write
            failed = 1;
        }

#pragma omp for schedule(dynamic, 64)
        for (u = 0; u < n_users; u++) {
            if (acc == NULL || touched == NULL || heap == NULL || k == 0) {
                continue;
            }

            n_touched = 0;

            for (e = by_user->offsets[u]; e < by_user->offsets[u + 1]; e++) {
                i = by_user->entries[e].item;
                ru = by_user->entries[e].score;

                if (sampled && sample.offsets[i + 1] > sample.offsets[i]) {
                    w = sample.entries + sample.offsets[i];
                    to = sample.offsets[i + 1] - sample.offsets[i];

                } else {
                    w = by_item->entries + by_item->offsets[i];
                    to = by_item->offsets[i + 1] - by_item->offsets[i];
                }

                for (f = 0; f < to; f++) {
                    v = w[f].item;
                    rv = w[f].score;

                    a = acc + (size_t) v * stride;

                    if (a[0] == 0.0) {
                        touched[n_touched++] = v;
                    }

                    a[0] += 1.0;

                    if (stride == 2) {
                        a[1] += ru * rv;

                    } else {
                        a[1] += ru;
                        a[2] += rv;
                        a[3] += ru * rv;
                        a[4] += ru * ru;
                        a[5] += rv * rv;
                    }
                }
            }

            recsys_topk_init(&top, heap, k);

            for (x = 0; x < n_touched; x++) {
                v = touched[x];
                a = acc + (size_t) v * stride;

                n = (uint32_t) a[0];

                if (v != u) {
                    sim = recsys_usercf_pair(o, a + 1, n, norm[u], norm[v]);

                    if (o->shrink > 0.0f) {
                        sim *= n / (n + (double) o->shrink);
                    }

                    if (sim > RECSYS_USERCF_EPS) {
                        recsys_topk_push(&top, v, (float) sim);
                    }
                }

                memset(a, 0, stride * sizeof(double));
            }

            recsys_slots_put(count, slots, k, u, heap, recsys_topk_sort(&top));
        }

        free(acc);
        free(touched);
        free(heap);
    }

    rc = failed ? RECSYS_ENOMEM
                : recsys_csr_pack(nbrs, n_users, k, count, slots);

done:

    recsys_csr_free(&sample);
    free(norm);
    free(count);
    free(slots);

    return rc;
}


int
recsys_usercf_recommend(const recsys_train_t *t, const recsys_csr_t *nbrs,
    const recsys_usercf_opts_t *o, recsys_csr_t *recs)
{
    int                  rc, failed;
    uint32_t             n_users, n_items, u, r, *count;
    recsys_entry_t      *slots;
    const recsys_csr_t  *by_user;

    by_user = &t->by_user;
    n_users = by_user->n_rows;
    n_items = t->n_items;
    r = o->top;
    failed = 0;

    memset(recs, 0, sizeof(recsys_csr_t));

    if (recsys_slots_alloc(n_users, r, &count, &slots) != RECSYS_OK) {
        return RECSYS_ENOMEM;
    }

#pragma omp parallel
    {
        double           *acc, *wsum, s, score;
        uint32_t         *touched, n_touched, e, f, v, i, x;
        unsigned char    *flag;
        recsys_topk_t     top;
        recsys_scored_t  *heap;

        acc = calloc((size_t) n_items + 1, sizeof(double));
        wsum = calloc((size_t) n_items + 1, sizeof(double));
        touched = malloc(((size_t) n_items + 1) * sizeof(uint32_t));
        flag = calloc((size_t) n_items + 1, 1);
        heap = malloc(((size_t) r + 1) * sizeof(recsys_scored_t));

        if (acc == NULL || wsum == NULL || touched == NULL || flag == NULL
            || heap == NULL)
        {
#pragma omp atomic write
            failed = 1;
        }

#pragma omp for schedule(dynamic, 64)
        for (u = 0; u < n_users; u++) {
            if (acc == NULL || wsum == NULL || touched == NULL
                || flag == NULL || heap == NULL || r == 0
                || u >= nbrs->n_rows)
            {
                continue;
            }

            n_touched = 0;

            for (e = nbrs->offsets[u]; e < nbrs->offsets[u + 1]; e++) {
                v = nbrs->entries[e].item;
                s = nbrs->entries[e].score;

                for (f = by_user->offsets[v]; f < by_user->offsets[v + 1];
                     f++)
                {
                    i = by_user->entries[f].item;

                    if (flag[i] == 0) {
                        flag[i] = 1;
                        touched[n_touched++] = i;
                    }

                    acc[i] += s * by_user->entries[f].score;
                    wsum[i] += fabs(s);
                }
            }

            for (e = by_user->offsets[u]; e < by_user->offsets[u + 1]; e++) {
                flag[by_user->entries[e].item] |= 2;
            }

            recsys_topk_init(&top, heap, r);

            for (x = 0; x < n_touched; x++) {
                i = touched[x];

                if (!(flag[i] & 2)) {
                    score = acc[i];

                    if (o->normalize && wsum[i] > 0.0) {
                        score /= wsum[i];
                    }

                    if (score > 0.0 && recsys_float_clamp(score) > 0.0f) {
                        recsys_topk_push(&top, i, recsys_float_clamp(score));
                    }
                }

                acc[i] = 0.0;
                wsum[i] = 0.0;
                flag[i] = 0;
            }

            for (e = by_user->offsets[u]; e < by_user->offsets[u + 1]; e++) {
                flag[by_user->entries[e].item] = 0;
            }

            recsys_slots_put(count, slots, r, u, heap, recsys_topk_sort(&top));
        }

        free(acc);
        free(wsum);
        free(touched);
        free(flag);
        free(heap);
    }

    rc = recsys_slots_pack(failed, n_users, r, count, slots, recs);

    return rc;
}

