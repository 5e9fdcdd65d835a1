/*
 * recsys_markov.c: next-item transition rows and their scoring.
 *
 * Building: a counting sort groups every transition (i, j) of the users'
 * sequences by its source item i; each item's successors are then sorted
 * and counted run by run, on all threads, one item per task, so the
 * result does not depend on the thread count.  The row of i is the top_k
 * of its observed successors (scored with their counts) merged with the
 * most popular items it was never followed by (scored with the prior
 * alone): walking the popularity order, the first top_k such items are
 * the best of all unobserved ones, so the row is exact.
 *
 * Scoring accumulates the weighted rows of the last items of a history in
 * a small open-addressing table taken from the caller's allocator, then
 * keeps the best with recsys_topk.h.  Accumulation runs in history order
 * in double and is rounded once, so the builder and the request path give
 * identical lists.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_markov.h"
#include "recsys_status.h"
#include "recsys_topk.h"


#ifdef _OPENMP
#define RECSYS_MARKOV_OMP(x)  _Pragma(x)
#else
#define RECSYS_MARKOV_OMP(x)
#endif

#define RECSYS_MARKOV_PAR_WORK  (1u << 20)  /* operations worth a team */


typedef struct {
    uint32_t  item;
    double    score;
} recsys_markov_acc_t;

typedef struct {
    unsigned char  *base;
    size_t          size;
    size_t          used;
} recsys_markov_arena_t;

typedef struct {
    uint32_t  occ;
    uint32_t  item;
} recsys_markov_pop_t;


void
recsys_markov_defaults(recsys_markov_opts_t *o)
{
    o->top_k = 100;
    o->alpha = 1.0f;
    o->window = 5;
    o->decay = 0.6f;
}


static uint32_t
recsys_markov_hash(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;

    return x;
}


static int
recsys_markov_cmp_u32(const void *a, const void *b)
{
    uint32_t  x = *(const uint32_t *) a, y = *(const uint32_t *) b;

    return x < y ? -1 : (x > y);
}


/* popularity order for the backoff walk: more positions first, then index */
static int
recsys_markov_cmp_pop(const void *a, const void *b)
{
    const recsys_markov_pop_t  *x = a, *y = b;

    if (x->occ != y->occ) {
        return x->occ > y->occ ? -1 : 1;
    }

    return x->item < y->item ? -1 : (x->item > y->item);
}


/* Whether v is among the n sorted values of a. */
static int
recsys_markov_bsearch(const uint32_t *a, uint32_t n, uint32_t v)
{
    uint32_t  lo, hi, mid;

    lo = 0;
    hi = n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (a[mid] == v) {
            return 1;
        }

        if (a[mid] < v) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return 0;
}


/* Whether item is in a row sorted by item index. */
static int
recsys_markov_row_has(recsys_row_t sorted, uint32_t item)
{
    uint32_t  lo, hi, mid, v;

    lo = 0;
    hi = sorted.n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        v = recsys_row_item(sorted, mid);

        if (v == item) {
            return 1;
        }

        if (v < item) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return 0;
}


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
    recsys_markov_pop_t  *pop;

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
    pop = malloc(((size_t) n_items + 1) * sizeof(recsys_markov_pop_t));
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
            pop[n_pop].occ = occ[i];
            pop[n_pop].item = i;
            n_pop++;
        }
    }

    qsort(pop, n_pop, sizeof(recsys_markov_pop_t), recsys_markov_cmp_pop);

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

            qsort(seg, n, sizeof(uint32_t), recsys_markov_cmp_u32);

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

                    if (j == i || recsys_markov_bsearch(seg, u, j)) {
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


int
recsys_markov_score(const recsys_list_t *next, const uint32_t *hist,
    uint32_t n_hist, uint32_t window, float decay, recsys_row_t seen,
    const uint32_t *exclude, uint32_t n_exclude, uint32_t need,
    recsys_alloc_t *a, recsys_scored_t *out, uint32_t *n_out)
{
    double                w;
    uint32_t              h, used, j, c, size, mask, xmask, total, s;
    uint32_t             *xset;
    recsys_row_t          row;
    recsys_topk_t         top;
    recsys_markov_acc_t  *acc;

    *n_out = 0;

    if (next == NULL || need == 0 || window == 0) {
        return RECSYS_OK;
    }

    /* the candidates: rows of the last `window` known history items */

    total = 0;
    used = 0;
    for (h = n_hist; h > 0 && used < window; h--) {
        if (hist[h - 1] < next->n_rows) {
            total += recsys_list_row(next, hist[h - 1]).n;
            used++;
        }
    }

    if (total == 0) {
        return RECSYS_OK;
    }

    if (total > (1u << 28) || n_exclude > (1u << 28)) {
        return RECSYS_ELIMIT;
    }

    size = 16;
    while (size < total * 2) {
        size *= 2;
    }

    mask = size - 1;
    acc = a->alloc(a->ctx, (size_t) size * sizeof(recsys_markov_acc_t));
    if (acc == NULL) {
        return RECSYS_ENOMEM;
    }

    for (s = 0; s < size; s++) {
        acc[s].item = RECSYS_NO_INDEX;
    }

    /* exclusions as a set, so each candidate costs one probe */

    xset = NULL;
    xmask = 0;

    if (n_exclude > 0 && exclude != NULL) {
        size = 16;
        while (size < n_exclude * 2) {
            size *= 2;
        }

        xmask = size - 1;
        xset = a->alloc(a->ctx, (size_t) size * sizeof(uint32_t));
        if (xset == NULL) {
            return RECSYS_ENOMEM;
        }

        memset(xset, 0xff, (size_t) size * sizeof(uint32_t));

        for (j = 0; j < n_exclude; j++) {
            for (s = recsys_markov_hash(exclude[j]) & xmask;
                 xset[s] != RECSYS_NO_INDEX && xset[s] != exclude[j];
                 s = (s + 1) & xmask)
            {
                /* probe */
            }

            xset[s] = exclude[j];
        }
    }

    w = 1.0;
    used = 0;

    for (h = n_hist; h > 0 && used < window; h--) {
        if (hist[h - 1] >= next->n_rows) {
            continue;
        }

        row = recsys_list_row(next, hist[h - 1]);

        for (j = 0; j < row.n; j++) {
            c = recsys_row_item(row, j);

            for (s = recsys_markov_hash(c) & mask;
                 acc[s].item != RECSYS_NO_INDEX && acc[s].item != c;
                 s = (s + 1) & mask)
            {
                /* probe */
            }

            if (acc[s].item == RECSYS_NO_INDEX) {
                acc[s].item = c;
                acc[s].score = 0.0;
            }

            acc[s].score += w * (double) recsys_row_score(row, j);
        }

        w *= decay;
        used++;
    }

    recsys_topk_init(&top, out, need);

    for (s = 0; s <= mask; s++) {
        c = acc[s].item;

        if (c == RECSYS_NO_INDEX || !(acc[s].score > 0.0)) {
            continue;
        }

        if (top.n == top.k) {
            recsys_scored_t  cand;

            cand.item = c;
            cand.score = (float) acc[s].score;

            if (!recsys_scored_better(&cand, &top.heap[0])) {
                continue;
            }
        }

        if (recsys_markov_row_has(seen, c)) {
            continue;
        }

        if (xset != NULL) {
            for (j = recsys_markov_hash(c) & xmask;
                 xset[j] != RECSYS_NO_INDEX && xset[j] != c;
                 j = (j + 1) & xmask)
            {
                /* probe */
            }

            if (xset[j] == c) {
                continue;
            }
        }

        recsys_topk_push(&top, c, (float) acc[s].score);
    }

    *n_out = recsys_topk_sort(&top);

    return RECSYS_OK;
}


static void *
recsys_markov_arena_alloc(void *ctx, size_t size)
{
    void                   *p;
    recsys_markov_arena_t  *a;

    a = ctx;
    size = (size + 15) & ~(size_t) 15;

    if (a->used + size > a->size) {
        return NULL;
    }

    p = a->base + a->used;
    a->used += size;

    return p;
}


int
recsys_markov_user_top(const recsys_csr_t *next, const recsys_train_t *t,
    uint32_t window, float decay, uint32_t k, int exclude_seen,
    recsys_csr_t *out)
{
    int              rc, failed, par;
    uint32_t         n_users, u, row_max, i, *count;
    recsys_list_t    list, seen_list;
    recsys_entry_t  *slots;

    n_users = t->n_users;
    list = recsys_csr_view(next);
    seen_list = recsys_csr_view(&t->by_user);
    failed = 0;

    row_max = 0;
    for (i = 0; i < next->n_rows; i++) {
        if (next->offsets[i + 1] - next->offsets[i] > row_max) {
            row_max = next->offsets[i + 1] - next->offsets[i];
        }
    }

    if (recsys_slots_alloc(n_users, k, &count, &slots) != RECSYS_OK) {
        return RECSYS_ENOMEM;
    }

    /* a team only for enough users: small calls run on this thread */
    par = (double) n_users * window * row_max > RECSYS_MARKOV_PAR_WORK;
    (void) par;                 /* read by OpenMP only */

RECSYS_MARKOV_OMP("omp parallel if (par)")
    {
        uint32_t                n, j, from, len;
        recsys_row_t            seen;
        recsys_alloc_t          alloc;
        recsys_scored_t        *res;
        recsys_markov_arena_t   arena;
        uint32_t               *hist;

        arena.size = 4096 + 64 * (size_t) window * row_max;
        arena.base = malloc(arena.size);
        arena.used = 0;
        res = malloc(((size_t) k + 1) * sizeof(recsys_scored_t));
        hist = malloc(((size_t) window + 1) * sizeof(uint32_t));

        alloc.alloc = recsys_markov_arena_alloc;
        alloc.ctx = &arena;

        if (arena.base == NULL || res == NULL || hist == NULL) {
RECSYS_MARKOV_OMP("omp atomic write")
            failed = 1;
        }

RECSYS_MARKOV_OMP("omp for schedule(dynamic, 128)")
        for (u = 0; u < n_users; u++) {
            if (arena.base == NULL || res == NULL || hist == NULL) {
                continue;
            }

            arena.used = 0;

            from = t->seq.offsets[u];
            len = t->seq.offsets[u + 1] - from;
            if (len > window) {
                from += len - window;
                len = window;
            }

            for (j = 0; j < len; j++) {
                hist[j] = t->seq.entries[from + j].item;
            }

            seen.p = NULL;
            seen.n = 0;
            if (exclude_seen) {
                seen = recsys_list_row(&seen_list, u);
            }

            if (recsys_markov_score(&list, hist, len, window, decay, seen,
                                    NULL, 0, k, &alloc, res, &n)
                != RECSYS_OK)
            {
RECSYS_MARKOV_OMP("omp atomic write")
                failed = 1;
                continue;
            }

            recsys_slots_put(count, slots, k, u, res, n);
        }

        free(arena.base);
        free(res);
        free(hist);
    }

    if (failed) {
        free(count);
        free(slots);
        return RECSYS_ENOMEM;
    }

    rc = recsys_slots_pack(0, n_users, k, count, slots, out);

    return rc;
}
