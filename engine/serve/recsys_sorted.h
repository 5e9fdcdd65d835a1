/*
 * recsys_sorted: membership in a plain array of item indexes sorted in
 * increasing order (a rule's antecedent, a user's held-out items, an
 * item's distinct successors).  Rows of (item, score) entries have their
 * own search, recsys_row_contains() in recsys_query.h.
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

#endif /* RECSYS_SORTED_H */
