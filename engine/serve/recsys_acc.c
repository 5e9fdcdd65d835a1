/*
 * recsys_acc.c: a scored accumulator, open addressing from item to a
 * double sum (recsys_acc.h), and taking its best entries through a filter.
 */

#include <stdlib.h>

#include "recsys_acc.h"


int
recsys_acc_init(recsys_acc_t *acc, uint32_t capacity, recsys_alloc_t *a)
{
    uint32_t  size;

    if (capacity > (1u << 28)) {
        return RECSYS_ENOMEM;
    }

    size = 16;
    acc->shift = 28;
    while (size < capacity * 2) {
        size *= 2;
        acc->shift--;
    }

    acc->slots = a->alloc(a->ctx, (size_t) size * sizeof(recsys_acc_slot_t));
    if (acc->slots == NULL) {
        return RECSYS_ENOMEM;
    }

    /* all bits set: every item RECSYS_NO_INDEX (the score is not read) */
    memset(acc->slots, 0xff, (size_t) size * sizeof(recsys_acc_slot_t));

    acc->mask = size - 1;
    acc->last = RECSYS_NO_INDEX;

    return RECSYS_OK;
}


/*
 * Rounds once and keeps the best `need` that pass the filter.  Once `need`
 * are kept, a candidate that would not displace the worst of them is
 * dropped before the filter is asked: the same set, fewer lookups.
 */
uint32_t
recsys_acc_top(recsys_acc_t *acc, const recsys_filter_t *filter,
    uint32_t need, recsys_scored_t *out)
{
    uint32_t         i;
    recsys_topk_t    top;
    recsys_scored_t  cand;

    recsys_topk_init(&top, out, need);

    /* the order of the visits does not matter: (score, item) is a total
     * order of distinct items */
    for (i = acc->last; i != RECSYS_NO_INDEX; i = acc->slots[i].next) {
        cand.item = acc->slots[i].item;
        cand.score = (float) acc->slots[i].score;

        if ((top.n == top.k
             && (top.k == 0 || !recsys_scored_better(&cand, &top.heap[0])))
            || !recsys_filter_pass(filter, cand.item))
        {
            continue;
        }

        recsys_topk_push(&top, cand.item, cand.score);
    }

    return recsys_topk_sort(&top);
}


/*
 * The best `want` entries that pass the filter, in no particular order,
 * and the best score in *best (0 when none): the set recsys_acc_top()
 * keeps, found by selection, for a blend input, which sums its members
 * and needs no order.
 */
int
recsys_acc_best(recsys_acc_t *acc, const recsys_filter_t *filter,
    uint32_t want, recsys_alloc_t *a, recsys_scored_t *out, uint32_t *n_out,
    float *best)
{
    uint32_t          i, n, b;
    recsys_scored_t  *cand;

    *n_out = 0;
    *best = 0.0f;

    cand = a->alloc(a->ctx, ((size_t) acc->mask + 1) * sizeof(*cand));
    if (cand == NULL) {
        return RECSYS_ENOMEM;
    }

    n = 0;
    for (i = acc->last; i != RECSYS_NO_INDEX; i = acc->slots[i].next) {
        if (recsys_filter_pass(filter, acc->slots[i].item)) {
            cand[n].item = acc->slots[i].item;
            cand[n].score = (float) acc->slots[i].score;
            n++;
        }
    }

    if (n > want) {
        if (want == 0) {
            return RECSYS_OK;
        }

        recsys_topk_select(cand, n, want);
        n = want;
    }

    b = 0;
    for (i = 0; i < n; i++) {
        out[i] = cand[i];

        if (recsys_scored_better(&cand[i], &cand[b])) {
            b = i;
        }
    }

    *n_out = n;
    *best = n > 0 ? cand[b].score : 0.0f;

    return RECSYS_OK;
}
