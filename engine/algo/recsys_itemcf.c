/*
 * recsys_itemcf.c: item-item similarity, top-k per item.
 *
 * For item i, the sums over co-consuming users come from one walk: for
 * each user u of i, for each item j of u, accumulate x(u,i) x(u,j) (and,
 * for Pearson, x(u,i)^2 and x(u,j)^2 over the co-rated users only) and the
 * co-user count.  The work is the sum over users of their degree squared;
 * each thread owns dense accumulators over all items plus the list of
 * slots it touched, so resetting costs only what was used.
 *
 *   cosine    x = r;            sim = dot / (|x_i| |x_j|), full norms
 *   adjusted  x = r - mean(u);  the same (adjusted cosine)
 *   pearson   x = r - mean(i);  sim = dot / sqrt(sum_co x_i^2 sum_co x_j^2)
 *   jaccard   sim = c / (n_i + n_j - c) on the binary matrix
 * then sim * c / (c + shrink) when shrink > 0, and pairs with fewer than
 * min_support co-users dropped.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_itemcf.h"
#include "recsys_sorted.h"
#include "recsys_status.h"
#include "recsys_topk.h"


static const char  *recsys_sim_names[] = {
    "cosine", "adjusted", "pearson", "jaccard"
};


int
recsys_sim_parse(const char *name)
{
    int  k;

    for (k = 0; k < 4; k++) {
        if (strcmp(name, recsys_sim_names[k]) == 0) {
            return k;
        }
    }

    return -1;
}


const char *
recsys_sim_name(recsys_sim_t sim)
{
    return (unsigned) sim < 4 ? recsys_sim_names[sim] : "";
}


/* mean[r]: the mean score of row r of c, 0 for an empty row. */
static void
recsys_itemcf_row_means(const recsys_csr_t *c, double *mean)
{
    uint32_t  r;

    for (r = 0; r < c->n_rows; r++) {
        mean[r] = recsys_csr_row_mean(c, r);
    }
}


/* x(u,i) for every entry of by_user, and the norms of the item columns. */
static int
recsys_itemcf_values(const recsys_train_t *t, recsys_sim_t sim, float **xu,
    double **norm)
{
    double    *mean;
    uint32_t   u, i, e;

    *xu = malloc(((size_t) t->by_user.n_entries + 1) * sizeof(float));
    *norm = calloc((size_t) t->n_items + 1, sizeof(double));
    mean = calloc((size_t) (t->n_users > t->n_items ? t->n_users : t->n_items)
                  + 1, sizeof(double));

    if (*xu == NULL || *norm == NULL || mean == NULL) {
        free(mean);
        return RECSYS_ENOMEM;
    }

    if (sim == RECSYS_SIM_ADJUSTED) {
        recsys_itemcf_row_means(&t->by_user, mean);

    } else if (sim == RECSYS_SIM_PEARSON) {
        recsys_itemcf_row_means(&t->by_item, mean);
    }

    for (u = 0; u < t->n_users; u++) {
        for (e = t->by_user.offsets[u]; e < t->by_user.offsets[u + 1]; e++) {
            i = t->by_user.entries[e].item;

            switch (sim) {
            case RECSYS_SIM_ADJUSTED:
                (*xu)[e] = (float) (t->by_user.entries[e].score - mean[u]);
                break;
            case RECSYS_SIM_PEARSON:
                (*xu)[e] = (float) (t->by_user.entries[e].score - mean[i]);
                break;
            case RECSYS_SIM_JACCARD:
                (*xu)[e] = 1.0f;
                break;
            default:
                (*xu)[e] = t->by_user.entries[e].score;
            }

            (*norm)[i] += (double) (*xu)[e] * (*xu)[e];
        }
    }

    for (i = 0; i < t->n_items; i++) {
        (*norm)[i] = sqrt((*norm)[i]);
    }

    free(mean);

    return RECSYS_OK;
}


/* The entry index of (u, i) in by_user: rows are sorted by item. */
static uint32_t
recsys_itemcf_find(const recsys_csr_t *by_user, uint32_t u, uint32_t i)
{
    uint32_t  lo, hi, mid;

    lo = by_user->offsets[u];
    hi = by_user->offsets[u + 1];

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (by_user->entries[mid].item < i) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return lo;
}


/* the dot product and the co-user count share a cache line */
typedef struct {
    double    xy;
    uint32_t  count;
} recsys_itemcf_acc_t;

typedef struct {
    recsys_itemcf_acc_t  *acc;
    double               *xx;
    double               *yy;
    uint32_t             *touched;
    recsys_scored_t      *heap;
} recsys_itemcf_scratch_t;


static double
recsys_itemcf_sim(const recsys_itemcf_opts_t *o,
    const recsys_itemcf_scratch_t *s, const double *norm, const uint32_t *deg,
    uint32_t i, uint32_t j)
{
    double    sim, d;
    uint32_t  c;

    c = s->acc[j].count;

    switch (o->similarity) {
    case RECSYS_SIM_JACCARD:
        sim = (double) c / (double) (deg[i] + deg[j] - c);
        break;
    case RECSYS_SIM_PEARSON:
        d = sqrt(s->xx[j] * s->yy[j]);
        sim = d > 0.0 ? s->acc[j].xy / d : 0.0;
        break;
    default:
        d = norm[i] * norm[j];
        sim = d > 0.0 ? s->acc[j].xy / d : 0.0;
    }

    if (o->shrink > 0.0f) {
        sim *= (double) c / ((double) c + o->shrink);
    }

    return sim;
}


/* One item's neighbours into heap; returns how many. */
static uint32_t
recsys_itemcf_item(const recsys_train_t *t, const recsys_itemcf_opts_t *o,
    const float *xu, const double *norm, const uint32_t *deg,
    recsys_itemcf_scratch_t *s, uint32_t i)
{
    int                   pearson, bound;
    double                sim, xi;
    uint32_t              e, f, u, j, n, ei, last;
    recsys_topk_t         top;
    recsys_itemcf_acc_t  *a;
    const recsys_entry_t *row;

    pearson = o->similarity == RECSYS_SIM_PEARSON;
    n = 0;

    for (e = t->by_item.offsets[i]; e < t->by_item.offsets[i + 1]; e++) {
        u = t->by_item.entries[e].item;
        ei = recsys_itemcf_find(&t->by_user, u, i);
        xi = xu[ei];
        row = t->by_user.entries;
        last = t->by_user.offsets[u + 1];

        if (pearson) {
            for (f = t->by_user.offsets[u]; f < last; f++) {
                j = row[f].item;
                a = &s->acc[j];

                if (a->count++ == 0) {
                    s->touched[n++] = j;
                }

                a->xy += xi * xu[f];
                s->xx[j] += xi * xi;
                s->yy[j] += (double) xu[f] * xu[f];
            }

            continue;
        }

        /* the hot loop: no branch on first touch (the slot is rewritten
         * until the count leaves zero) */
        for (f = t->by_user.offsets[u]; f < last; f++) {
            j = row[f].item;
            a = &s->acc[j];
            s->touched[n] = j;
            n += a->count == 0;
            a->count++;
            a->xy += xi * xu[f];
        }
    }

    recsys_topk_init(&top, s->heap, o->k);

    /*
     * Once the heap is full, a cosine whose upper bound dot / (|x_i| |x_j|)
     * is clearly below the worst kept score cannot enter: the margin
     * (1e-6, above float rounding) keeps every candidate that could round
     * to a tie, so the lists are exactly those of computing each one.
     * Shrinkage only lowers a cosine, so the bound holds with it too.
     */
    bound = o->similarity == RECSYS_SIM_COSINE
            || o->similarity == RECSYS_SIM_ADJUSTED;

    for (e = 0; e < n; e++) {
        j = s->touched[e];

        if (j != i && s->acc[j].count >= o->min_support
            && !(bound && top.n == top.k && top.k > 0
                 && s->acc[j].xy < (double) top.heap[0].score
                                   * (1.0 - 1e-6) * norm[i] * norm[j]))
        {
            sim = recsys_itemcf_sim(o, s, norm, deg, i, j);

            if (sim > 0.0) {
                recsys_topk_push(&top, j, (float) sim);
            }
        }

        s->acc[j].xy = 0.0;
        s->acc[j].count = 0;

        if (pearson) {
            s->xx[j] = 0.0;
            s->yy[j] = 0.0;
        }
    }

    return recsys_topk_sort(&top);
}


/* an item and the work its row takes: the sum of its users' degrees */
typedef struct {
    uint64_t  cost;
    uint32_t  item;
} recsys_itemcf_job_t;


/* costliest first, so the threads finish together; ties by item */
RECSYS_SORTED_CMP2_DESC(recsys_itemcf_cmp_job, recsys_itemcf_job_t, cost, item)


/*
 * The items in the order the threads take them.  Rows cost very
 * different amounts (a popular item walks the histories of most users),
 * and handing out the costliest first keeps a thread from starting a
 * long row when the others are done.  NULL when out of memory.
 */
static recsys_itemcf_job_t *
recsys_itemcf_jobs(const recsys_train_t *t)
{
    uint32_t              i, e, u;
    recsys_itemcf_job_t  *jobs;

    jobs = malloc(((size_t) t->n_items + 1) * sizeof(recsys_itemcf_job_t));
    if (jobs == NULL) {
        return NULL;
    }

    for (i = 0; i < t->n_items; i++) {
        jobs[i].item = i;
        jobs[i].cost = 0;

        for (e = t->by_item.offsets[i]; e < t->by_item.offsets[i + 1]; e++) {
            u = t->by_item.entries[e].item;
            jobs[i].cost += t->by_user.offsets[u + 1] - t->by_user.offsets[u];
        }
    }

    qsort(jobs, t->n_items, sizeof(recsys_itemcf_job_t),
          recsys_itemcf_cmp_job);

    return jobs;
}


int
recsys_itemcf_build(const recsys_train_t *t, const recsys_itemcf_opts_t *o,
    recsys_csr_t *nbrs)
{
    int                   rc, failed;
    float                *xu;
    double               *norm;
    uint32_t              n_items, i, x, k, *count, *deg;
    recsys_entry_t       *slots;
    recsys_itemcf_job_t  *jobs;

    n_items = t->n_items;
    k = o->k;
    failed = 0;

    rc = recsys_itemcf_values(t, o->similarity, &xu, &norm);

    count = calloc((size_t) n_items + 1, sizeof(uint32_t));
    deg = calloc((size_t) n_items + 1, sizeof(uint32_t));
    slots = malloc(((size_t) n_items * k + 1) * sizeof(recsys_entry_t));
    jobs = recsys_itemcf_jobs(t);

    if (rc != RECSYS_OK || count == NULL || deg == NULL || slots == NULL
        || jobs == NULL)
    {
        free(xu);
        free(norm);
        free(count);
        free(deg);
        free(slots);
        free(jobs);
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < n_items; i++) {
        deg[i] = t->by_item.offsets[i + 1] - t->by_item.offsets[i];
    }

#pragma omp parallel
    {
        uint32_t                 n, item;
        recsys_itemcf_scratch_t  s;

        s.acc = calloc((size_t) n_items + 1, sizeof(recsys_itemcf_acc_t));
        s.xx = calloc((size_t) n_items + 1, sizeof(double));
        s.yy = calloc((size_t) n_items + 1, sizeof(double));
        s.touched = malloc(((size_t) n_items + 1) * sizeof(uint32_t));
        s.heap = malloc(((size_t) k + 1) * sizeof(recsys_scored_t));

        if (s.acc == NULL || s.xx == NULL || s.yy == NULL
            || s.touched == NULL || s.heap == NULL)
        {
#pragma omp atomic write
            failed = 1;
        }

#pragma omp for schedule(dynamic, 16)
        for (x = 0; x < n_items; x++) {
            if (failed) {
                continue;
            }

            item = jobs[x].item;
            n = recsys_itemcf_item(t, o, xu, norm, deg, &s, item);
            recsys_slots_put(count, slots, k, item, s.heap, n);
        }

        free(s.acc);
        free(s.xx);
        free(s.yy);
        free(s.touched);
        free(s.heap);
    }

    free(xu);
    free(norm);
    free(deg);
    free(jobs);

    rc = recsys_slots_pack(failed, n_items, k, count, slots, nbrs);

    return rc;
}

