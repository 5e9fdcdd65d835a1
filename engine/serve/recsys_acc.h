/*
 * recsys_acc.h: a scored accumulator, open addressing from item to a
 * double sum, sized once for a capacity of distinct items; the sums are
 * read back through a filter, best first.
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
    uint32_t  next;                 /* the slot occupied before this one */
    double    score;
} recsys_acc_slot_t;

typedef struct {
    recsys_acc_slot_t  *slots;
    uint32_t            mask;
    uint32_t            shift;      /* 32 - log2(size): the hash's top bits */
    uint32_t            last;       /* the slot occupied last, or
                                       RECSYS_NO_INDEX: reading the sums
                                       back walks the occupied slots alone */
} recsys_acc_t;


/* RECSYS_OK, or RECSYS_ENOMEM (capacity past 2^28 included). */
int recsys_acc_init(recsys_acc_t *acc, uint32_t capacity, recsys_alloc_t *a);

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
    }

    acc->slots[i].score += v;
}

#endif /* RECSYS_ACC_H */
