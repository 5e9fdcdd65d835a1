/*
 * recsys_markov_train.c: building the Markov chain's next-item rows
 * (recsys_markov_train.h) and the builder's per-user lists from them.
 *
 * Building: a counting sort groups every transition (i, j) of the users'
 * sequences by its source item i; each item's successors are then sorted
 * and counted run by run, on all threads, one item per task, so the
 * result does not depend on the thread count.  The row of i is the top_k
 * of its observed successors (scored with their counts) merged with the
 * most popular items it was never followed by (scored with the prior
 * alone): walking the popularity order, the first top_k such items are
 * the best of all unobserved ones, so the row is exact.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_markov_train.h"
#include "recsys_sorted.h"
#include "recsys_status.h"
#include "recsys_topk.h"
#include "recsys_usertop.h"


#ifdef _OPENMP
#define RECSYS_MARKOV_OMP(x)  _Pragma(x)
#else
#define RECSYS_MARKOV_OMP(x)
#endif

#define RECSYS_MARKOV_PAR_WORK  (1u << 20)  /* operations worth a team */


/*
 * The successors of every item: succ[off[i] .. off[i + 1]) in sequence
 * order.  Transitions from an item to itself are dropped.
 */
static int
recsys_markov_transitions(const recsys_train_t *t, uint32_t **off_out,
    uint32_t **succ_out)
{
    uint32_t  u, e, i, n_items, *off, *fill, *succ;
    uint64_t  total;

    n_items = t->n_items;

    off = calloc((size_t) n_items + 1, sizeof(uint32_t));
    fill = calloc((size_t) n_items + 1, sizeof(uint32_t));

    if (off == NULL || fill == NULL) {
        free(off);
        free(fill);
        return RECSYS_ENOMEM;
    }

    total = 0;

    for (u = 0; u < t->seq.n_rows; u++) {
        for (e = t->seq.offsets[u]; e + 1 < t->seq.offsets[u + 1]; e++) {
            i = t->seq.entries[e].item;

            if (i < n_items && t->seq.entries[e + 1].item < n_items
                && t->seq.entries[e + 1].item != i)
            {
                off[i + 1]++;
                total++;
            }
        }
    }

    for (i = 0; i < n_items; i++) {
        off[i + 1] += off[i];
    }

    succ = malloc((size_t) (total ? total : 1) * sizeof(uint32_t));
    if (succ == NULL) {
        free(off);
        free(fill);
        return RECSYS_ENOMEM;
    }

    for (u = 0; u < t->seq.n_rows; u++) {
        for (e = t->seq.offsets[u]; e + 1 < t->seq.offsets[u + 1]; e++) {
            i = t->seq.entries[e].item;

            if (i < n_items && t->seq.entries[e + 1].item < n_items
                && t->seq.entries[e + 1].item != i)
            {
                succ[off[i] + fill[i]++] = t->seq.entries[e + 1].item;
            }
        }
    }

    free(fill);

    *off_out = off;
    *succ_out = succ;

    return RECSYS_OK;
}


int
recsys_markov_build(const recsys_train_t *t, const recsys_markov_opts_t *o,
    recsys_csr_t *next)
{
    int                   rc, failed, par;
    double                total_pos, alpha;
    uint32_t              n_items, k, i, e, n_pop, *off, *succ, *occ, *count;
    recsys_entry_t       *slots;
    recsys_train_pop_t   *pop;

    if (o->top_k == 0 || !(o->alpha >= 0.0f) || isinf(o->alpha)) {
        return RECSYS_EINVAL;
    }

    n_items = t->n_items;
    k = o->top_k;
    alpha = o->alpha;

    rc = recsys_markov_transitions(t, &off, &succ);
    if (rc != RECSYS_OK) {
        return rc;
    }

    occ = calloc((size_t) n_items + 1, sizeof(uint32_t));
    pop = malloc(((size_t) n_items + 1) * sizeof(recsys_train_pop_t));
    count = calloc((size_t) n_items + 1, sizeof(uint32_t));
    slots = malloc(((size_t) n_items * k + 1) * sizeof(recsys_entry_t));

    if (occ == NULL || pop == NULL || count == NULL || slots == NULL) {
        rc = RECSYS_ENOMEM;
        goto done;
    }

    total_pos = 0.0;
    for (e = 0; e < t->seq.n_entries; e++) {
        if (t->seq.entries[e].item < n_items) {
            occ[t->seq.entries[e].item]++;
            total_pos += 1.0;
        }
    }

    n_pop = 0;
    for (i = 0; i < n_items; i++) {
        if (occ[i] > 0) {
            pop[n_pop].count = occ[i];
            pop[n_pop].item = i;
            n_pop++;
        }
    }

    qsort(pop, n_pop, sizeof(recsys_train_pop_t), recsys_train_cmp_pop);

    failed = 0;

    /* a team only for enough items: small calls run on this thread */
    par = (double) n_items * k + t->seq.n_entries > RECSYS_MARKOV_PAR_WORK;
    (void) par;                 /* read by OpenMP only */

RECSYS_MARKOV_OMP("omp parallel if (par)")
    {
        uint32_t          n, u, run, j, p, taken, *cnt, *seg;
        double            denom, others, prior;
        recsys_topk_t     top;
        recsys_scored_t  *heap;

        heap = malloc(((size_t) k + 1) * sizeof(recsys_scored_t));
        cnt = malloc(((size_t) n_items + 1) * sizeof(uint32_t));

        if (heap == NULL || cnt == NULL) {
RECSYS_MARKOV_OMP("omp atomic write")
            failed = 1;
        }

RECSYS_MARKOV_OMP("omp for schedule(dynamic, 64)")
        for (i = 0; i < n_items; i++) {
            if (heap == NULL || cnt == NULL) {
                continue;
            }

            seg = succ + off[i];
            n = off[i + 1] - off[i];

            qsort(seg, n, sizeof(uint32_t), recsys_sorted_cmp_u32);

            /* unique successors to the front of seg, their counts in cnt */
            u = 0;
            for (j = 0; j < n; j += run) {
                for (run = 1; j + run < n && seg[j + run] == seg[j]; run++) {
                    /* count the run */
                }

                seg[u] = seg[j];
                cnt[u] = run;
                u++;
            }

            /* the prior: alpha times popularity among items other than i */
            denom = (double) n + alpha;
            others = total_pos - occ[i];
            prior = others > 0.0 ? alpha / others : 0.0;
            recsys_topk_init(&top, heap, k);

            if (denom > 0.0) {
                for (j = 0; j < u; j++) {
                    recsys_topk_push(&top, seg[j],
                                     (float) ((cnt[j] + prior * occ[seg[j]])
                                              / denom));
                }

                taken = 0;
                for (p = 0; prior > 0.0 && p < n_pop && taken < k; p++) {
                    j = pop[p].item;

                    if (j == i || recsys_sorted_has(seg, u, j)) {
                        continue;
                    }

                    recsys_topk_push(&top, j,
                                     (float) (prior * occ[j] / denom));
                    taken++;
                }
            }

            recsys_slots_put(count, slots, k, i, heap, recsys_topk_sort(&top));
        }

        free(heap);
        free(cnt);
    }

    if (failed) {
        rc = RECSYS_ENOMEM;
        goto done;
    }

    rc = recsys_csr_pack(next, n_items, k, count, slots);

done:

    free(off);
    free(succ);
    free(occ);
    free(pop);
    free(count);
    free(slots);

    return rc;
}


/* what recsys_markov_user_top() scores with */
typedef struct {
    recsys_list_t  list;
    uint32_t       window;
    float          decay;
} recsys_markov_chain_t;


static int
recsys_markov_user_score(void *ctx, const uint32_t *hist, uint32_t n_hist,
    recsys_row_t seen, uint32_t need, recsys_alloc_t *a,
    recsys_scored_t *out, uint32_t *n_out)
{
    recsys_markov_chain_t  *c;

    c = ctx;

    return recsys_markov_score(&c->list, hist, n_hist, c->window, c->decay,
                               seen, NULL, 0, need, a, out, n_out);
}


int
recsys_markov_user_top(const recsys_csr_t *next, const recsys_train_t *t,
    uint32_t window, float decay, uint32_t k, int exclude_seen,
    recsys_csr_t *out)
{
    uint32_t               i, row_max;
    recsys_usertop_t       ut;
    recsys_markov_chain_t  chain;

    row_max = 0;
    for (i = 0; i < next->n_rows; i++) {
        if (next->offsets[i + 1] - next->offsets[i] > row_max) {
            row_max = next->offsets[i + 1] - next->offsets[i];
        }
    }

    chain.list = recsys_csr_view(next);
    chain.window = window;
    chain.decay = decay;

    ut.score = recsys_markov_user_score;
    ut.ctx = &chain;
    ut.hist_max = window;
    ut.scratch = 4096 + 64 * (size_t) window * row_max;
    ut.chunk = 128;

    /* a team only for enough users: small calls run on this thread */
    ut.par = (double) t->n_users * window * row_max > RECSYS_MARKOV_PAR_WORK;

    return recsys_usertop_run(&ut, t, k, exclude_seen, out);
}
