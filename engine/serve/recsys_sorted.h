/*
 * recsys_sorted: membership in a plain array of item indexes sorted in
 * increasing order (a rule's antecedent, a user's held-out items, an
 * item's distinct successors).  Rows of (item, score) entries have their
 * own search, recsys_row_contains() in recsys_query.h.  Also the qsort()
 * comparators that put such arrays (and 64-bit keys) in increasing order.
 */

#ifndef RECSYS_SORTED_H
#define RECSYS_SORTED_H

#include <stdint.h>


/* Whether v is among the n values of sorted (increasing). */
static inline int
recsys_sorted_has(const uint32_t *sorted, uint32_t n, uint32_t v)
{
    uint32_t  lo, hi, mid;

    lo = 0;
    hi = n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (sorted[mid] == v) {
            return 1;
        }

        if (sorted[mid] < v) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return 0;
}

/* qsort() comparator: uint32_t values in increasing order. */
static inline int
recsys_sorted_cmp_u32(const void *a, const void *b)
{
    uint32_t  x = *(const uint32_t *) a, y = *(const uint32_t *) b;

    return x < y ? -1 : (x > y);
}


/* qsort() comparator: uint64_t values in increasing order. */
static inline int
recsys_sorted_cmp_u64(const void *a, const void *b)
{
    uint64_t  x = *(const uint64_t *) a, y = *(const uint64_t *) b;

    return x < y ? -1 : (x > y);
}

#endif /* RECSYS_SORTED_H */
