/*
 * recsys_acc.c: a scored accumulator, open addressing from item to a
 * double sum (recsys_acc.h), and taking its best entries through a filter.
 */

#include <stdlib.h>

#include "recsys_acc.h"
#include "recsys_float.h"
#include "recsys_row.h"


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
    acc->index = NULL;
    acc->n = 0;
    acc->last = RECSYS_NO_INDEX;
    acc->drop_seen = recsys_row_empty();
    acc->drop_skip = NULL;
    acc->dropped = 0;

    return RECSYS_OK;
}


int
recsys_acc_init_indexed(recsys_acc_t *acc, uint32_t capacity,
    uint32_t *index, recsys_alloc_t *a)
{
    if (index == NULL) {
        return recsys_acc_init(acc, capacity, a);
    }

    /* every slot is in use once taken: no table to clear; slot 0 takes the
     * adds of dropped items (RECSYS_ACC_DROPPED) and is never linked */
    acc->slots = a->alloc(a->ctx, ((size_t) capacity + 2)
                                  * sizeof(recsys_acc_slot_t));
    if (acc->slots == NULL) {
        return RECSYS_ENOMEM;
    }

    acc->slots[0].item = RECSYS_NO_INDEX;
    acc->slots[0].next = RECSYS_NO_INDEX;
    acc->slots[0].score = 0.0;

    acc->mask = 0;
    acc->shift = 0;
    acc->index = index;
    acc->n = RECSYS_ACC_DROPPED;
    acc->last = RECSYS_NO_INDEX;
    acc->drop_seen = recsys_row_empty();
    acc->drop_skip = NULL;
    acc->dropped = 0;

    return RECSYS_OK;
}


/* index[item] = v for the dropped items (the seen row, the skip set). */
static void
recsys_acc_mark(recsys_acc_t *acc, uint32_t v)
{
    uint32_t  j, item;

    for (j = 0; j < acc->drop_seen.n; j++) {
        acc->index[recsys_row_item(acc->drop_seen, j)] = v;
    }

    if (acc->drop_skip == NULL) {
        return;
    }

    for (j = 0; j <= acc->drop_skip->mask; j++) {
        item = acc->drop_skip->slots[j];

        if (item != RECSYS_NO_INDEX) {
            acc->index[item] = v;
        }
    }
}


void
recsys_acc_drop(recsys_acc_t *acc, const recsys_filter_t *filter,
    uint32_t within)
{
    if (acc->index == NULL || filter == NULL || acc->last != RECSYS_NO_INDEX)
    {
        return;
    }

    acc->drop_seen = filter->seen.n <= within ? filter->seen
                                              : recsys_row_empty();
    acc->drop_skip = filter->skip;
    acc->dropped = 1;

    recsys_acc_mark(acc, RECSYS_ACC_DROPPED);
}


/*
 * The filter the read-back must ask: NULL when the drops refused all that
 * it could refuse (its seen and skipped items, nothing narrower).
 */
static const recsys_filter_t *
recsys_acc_asked(const recsys_acc_t *acc, const recsys_filter_t *filter)
{
    if (filter == NULL || !acc->dropped || recsys_filter_narrows(filter)
        || acc->drop_skip != filter->skip
        || acc->drop_seen.p != filter->seen.p
        || acc->drop_seen.n != filter->seen.n)
    {
        return filter;
    }

    return NULL;
}


/* Indexed, the items' index entries go back to zero (once). */
static void
recsys_acc_unindex(recsys_acc_t *acc)
{
    uint32_t  i;

    if (acc->index == NULL) {
        return;
    }

    for (i = acc->last; i != RECSYS_NO_INDEX; i = acc->slots[i].next) {
        acc->index[acc->slots[i].item] = 0;
    }

    recsys_acc_mark(acc, 0);
    acc->index = NULL;
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
    filter = recsys_acc_asked(acc, filter);
    recsys_acc_unindex(acc);

    /* the order of the visits does not matter: (score, item) is a total
     * order of distinct items */
    for (i = acc->last; i != RECSYS_NO_INDEX; i = acc->slots[i].next) {
        cand.item = acc->slots[i].item;
        cand.score = recsys_float_clamp(acc->slots[i].score);

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
 * Asks the filter about cand[from .. to) and moves the entries that pass
 * to cand[*kept ..] (*kept <= from: what it skips over was asked).
 */
static void
recsys_acc_keep(recsys_scored_t *cand, uint32_t from, uint32_t to,
    const recsys_filter_t *filter, uint32_t *kept)
{
    uint32_t         i;
    recsys_scored_t  t;

    for (i = from; i < to; i++) {
        if (recsys_filter_pass(filter, cand[i].item)) {
            t = cand[i];
            cand[i] = cand[*kept];
            cand[(*kept)++] = t;
        }
    }
}


/*
 * The best `want` entries that pass the filter, in no particular order,
 * and the best score in *best (0 when none): the set recsys_acc_top()
 * keeps, found by selection, for a blend input, which sums its members
 * and needs no order.  The filter is asked in rounds, of the best of what
 * is left, a half more than still wanted: every entry of a round is
 * better than every entry after it, so the answer is the passing entries
 * of the rounds before the last and the best still wanted of the last.
 */
int
recsys_acc_best(recsys_acc_t *acc, const recsys_filter_t *filter,
    uint32_t want, recsys_alloc_t *a, recsys_scored_t *out, uint32_t *n_out,
    float *best)
{
    uint32_t          i, n, b, kept, done, take, last;
    recsys_scored_t  *cand;

    *n_out = 0;
    *best = 0.0f;

    filter = recsys_acc_asked(acc, filter);
    recsys_acc_unindex(acc);

    cand = a->alloc(a->ctx, ((size_t) acc->n + 1) * sizeof(*cand));
    if (cand == NULL) {
        return RECSYS_ENOMEM;
    }

    n = 0;
    for (i = acc->last; i != RECSYS_NO_INDEX; i = acc->slots[i].next) {
        cand[n].item = acc->slots[i].item;
        cand[n].score = recsys_float_clamp(acc->slots[i].score);
        n++;
    }

    kept = 0;
    done = 0;
    last = 0;

    while (kept < want && done < n) {
        take = want - kept;

        if (filter != NULL) {
            take += take / 2 + 8;
        }

        if (take >= n - done) {
            take = n - done;

        } else {
            recsys_topk_select(cand + done, n - done, take);
        }

        last = kept;
        recsys_acc_keep(cand, done, done + take, filter, &kept);
        done += take;
    }

    if (kept > want) {
        recsys_topk_select(cand + last, kept - last, want - last);
        kept = want;
    }

    b = 0;
    for (i = 0; i < kept; i++) {
        out[i] = cand[i];

        if (recsys_scored_better(&cand[i], &cand[b])) {
            b = i;
        }
    }

    *n_out = kept;
    *best = kept > 0 ? cand[b].score : 0.0f;

    return RECSYS_OK;
}
