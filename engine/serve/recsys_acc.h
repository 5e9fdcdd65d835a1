/*
 * recsys_acc.h: a scored accumulator, open addressing from item to a
 * double sum, sized once for a capacity of distinct items; the sums are
 * read back through a filter, best first.  Given an item-indexed array of
 * zeros (a worker's scratch), it is indexed instead: the sums lie packed
 * in the order items came, found through the array, with no table to
 * clear; reading them back puts the array to zero again.  Either way the
 * slots in use are linked, newest first, through the slot's padding, so
 * reading the sums back walks them alone, not the whole table.
 *
 * Indexed, the items a filter refuses for certain (seen, skipped) may be
 * dropped before the adds (recsys_acc_drop): their index points at a slot
 * that is never read back, so the adds stay one path and the read-back
 * asks the filter about fewer items, with the same answer.
 */

#ifndef RECSYS_ACC_H
#define RECSYS_ACC_H

#include <stdint.h>

#include "recsys_alloc.h"
#include "recsys_filter.h"
#include "recsys_topk.h"


/* A scored accumulator: open addressing from item to a double sum. */

typedef struct {
    uint32_t  item;
    uint32_t  next;                 /* the slot taken before this one */
    double    score;
} recsys_acc_slot_t;

typedef struct {
    recsys_acc_slot_t  *slots;
    uint32_t            mask;
    uint32_t            shift;      /* 32 - log2(size): the hash's top bits */
    uint32_t           *index;      /* NULL, or item -> 1 + its slot */
    uint32_t            n;          /* the slots in use */
    uint32_t            last;       /* the slot taken last, or
                                       RECSYS_NO_INDEX */
    recsys_row_t        drop_seen;  /* dropped (recsys_acc_drop) */
    const recsys_itemset_t  *drop_skip;
    int                 dropped;
} recsys_acc_t;

/* The index value of a dropped item: slot 0, which is never read back. */
#define RECSYS_ACC_DROPPED  1


/* RECSYS_OK, or RECSYS_ENOMEM (capacity past 2^28 included). */
int recsys_acc_init(recsys_acc_t *acc, uint32_t capacity, recsys_alloc_t *a);

/*
 * The same, indexed through index (one zero per item of the model, left
 * zero by recsys_acc_top or recsys_acc_best, one of which must follow),
 * or as recsys_acc_init when index is NULL.
 */
int recsys_acc_init_indexed(recsys_acc_t *acc, uint32_t capacity,
    uint32_t *index, recsys_alloc_t *a);

/*
 * Indexed, right after recsys_acc_init_indexed: the filter's seen and
 * skipped items dropped (the seen ones when there are at most `within`:
 * marking more costs more than the adds it saves).  recsys_acc_top or
 * recsys_acc_best, with that filter, puts their index back to zero.
 */
void recsys_acc_drop(recsys_acc_t *acc, const recsys_filter_t *filter,
    uint32_t within);

/*
 * The best `need` sums that the filter passes (filter may be NULL), best
 * first, into out; returns their count.
 */
uint32_t recsys_acc_top(recsys_acc_t *acc, const recsys_filter_t *filter,
    uint32_t need, recsys_scored_t *out);

/*
 * The best `want` sums that the filter passes, as a set in no order, and
 * the best of them in *best; RECSYS_OK or RECSYS_ENOMEM.
 */
int recsys_acc_best(recsys_acc_t *acc, const recsys_filter_t *filter,
    uint32_t want, recsys_alloc_t *a, recsys_scored_t *out, uint32_t *n_out,
    float *best);


static inline void
recsys_acc_add(recsys_acc_t *acc, uint32_t item, double v)
{
    uint32_t  i;

    if (acc->index != NULL) {
        i = acc->index[item];

        if (i == 0) {
            i = ++acc->n;
            acc->index[item] = i;
            acc->slots[i - 1].item = item;
            acc->slots[i - 1].next = acc->last;
            acc->slots[i - 1].score = 0.0;
            acc->last = i - 1;
        }

        acc->slots[i - 1].score += v;
        return;
    }

    /* Fibonacci hashing: one multiply, the product's top bits */
    for (i = (item * 0x9e3779b1u) >> acc->shift;
         acc->slots[i].item != RECSYS_NO_INDEX && acc->slots[i].item != item;
         i = (i + 1) & acc->mask)
    {
        /* probe */
    }

    if (acc->slots[i].item == RECSYS_NO_INDEX) {
        acc->slots[i].item = item;
        acc->slots[i].next = acc->last;
        acc->slots[i].score = 0.0;
        acc->last = i;
        acc->n++;
    }

    acc->slots[i].score += v;
}

#endif /* RECSYS_ACC_H */
