/*
 * recsys_row.h: small operations on a list row (recsys_model.h's
 * recsys_row_t): the empty row, a row's head, binary search in a row
 * sorted by item, and asking the CPU for a row's bytes ahead of a walk;
 * the qsort() orders of recsys_entry_t arrays that rows are written in.
 */

#ifndef RECSYS_ROW_H
#define RECSYS_ROW_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_model.h"
#include "recsys_sorted.h"


#if defined(__GNUC__)
#define RECSYS_ROW_PREFETCH(p)  __builtin_prefetch(p)
#else
#define RECSYS_ROW_PREFETCH(p)  ((void) (p))
#endif


/*
 * Asks for a row's first n entries, every cache line of them: rows lie
 * scattered over the map, so asking for all the rows a request walks
 * before walking any overlaps their misses instead of queueing them.
 */
static inline void
recsys_row_prefetch_bytes(const unsigned char *p, size_t len)
{
    size_t  off, skew;

    /* every line the bytes touch, from the line the first one is in */
    skew = (size_t) ((uintptr_t) p & 63);

    for (off = 0; off < len + skew; off += 64) {
        RECSYS_ROW_PREFETCH(p - skew + off);
    }
}


static inline void
recsys_row_prefetch(recsys_row_t row, uint32_t n)
{
    recsys_row_prefetch_bytes(row.p, (size_t) n * sizeof(recsys_entry_t));
}


/* A row's first max entries (max 0: the whole row). */
static inline recsys_row_t
recsys_row_head(recsys_row_t row, uint32_t max)
{
    if (max != 0 && row.n > max) {
        row.n = max;
    }

    return row;
}


static inline recsys_row_t
recsys_row_empty(void)
{
    recsys_row_t  row;

    row.p = NULL;
    row.n = 0;

    return row;
}


/*
 * The position of item in a row sorted by item index (user.seen): its
 * index, or sorted.n when the row does not hold it.
 */
static inline uint32_t
recsys_row_find(recsys_row_t sorted, uint32_t item)
{
    uint32_t  lo, hi, mid, v;

    lo = 0;
    hi = sorted.n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        v = recsys_row_item(sorted, mid);

        if (v == item) {
            return mid;
        }

        if (v < item) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return sorted.n;
}


/* Whether item is in a row sorted by item index (user.seen). */
static inline int
recsys_row_contains(recsys_row_t sorted, uint32_t item)
{
    return recsys_row_find(sorted, item) < sorted.n;
}


/* qsort() comparator: recsys_entry_t by item index, increasing. */
static inline int
recsys_row_cmp_item(const void *a, const void *b)
{
    const recsys_entry_t  *x = a, *y = b;

    return recsys_sorted_order(x->item, y->item);
}


/*
 * qsort() comparator: recsys_entry_t in rank order, the order of a list
 * row: score decreasing, ties to the smaller item index.
 */
RECSYS_SORTED_CMP2_DESC(recsys_row_cmp_rank, recsys_entry_t, score, item)

#endif /* RECSYS_ROW_H */
