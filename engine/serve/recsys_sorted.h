/*
 * recsys_sorted: membership in a plain array of item indexes sorted in
 * increasing order (a rule's antecedent, a user's held-out items, an
 * item's distinct successors).  Rows of (item, score) entries have their
 * own search, recsys_row_contains() in recsys_query.h.  Also the qsort()
 * comparators that put such arrays (and 64-bit keys) in increasing order,
 * and the macros that define two-key comparators of structs.
 */

#ifndef RECSYS_SORTED_H
#define RECSYS_SORTED_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>


/*
 * The first of the n values of sorted (increasing) not below v, or n:
 * recsys_sorted_lower_u32 for item indexes, recsys_sorted_lower_u64 for
 * 64-bit keys, recsys_sorted_lower_double for numbers.
 */
#define RECSYS_SORTED_LOWER(name, type)                                       \
    static inline size_t                                                      \
    name(const type *sorted, size_t n, type v)                                \
    {                                                                         \
        size_t  lo, hi, mid;                                                  \
                                                                              \
        lo = 0;                                                               \
        hi = n;                                                               \
                                                                              \
        while (lo < hi) {                                                     \
            mid = lo + (hi - lo) / 2;                                         \
                                                                              \
            if (sorted[mid] < v) {                                            \
                lo = mid + 1;                                                 \
                                                                              \
            } else {                                                          \
                hi = mid;                                                     \
            }                                                                 \
        }                                                                     \
                                                                              \
        return lo;                                                            \
    }

RECSYS_SORTED_LOWER(recsys_sorted_lower_u32, uint32_t)
RECSYS_SORTED_LOWER(recsys_sorted_lower_u64, uint64_t)
RECSYS_SORTED_LOWER(recsys_sorted_lower_double, double)


/*
 * Whether v is among the n values of sorted (increasing): recsys_sorted_has
 * for item indexes, recsys_sorted_has_u64 for 64-bit keys (id hashes).
 */
static inline int
recsys_sorted_has(const uint32_t *sorted, uint32_t n, uint32_t v)
{
    size_t  k;

    k = recsys_sorted_lower_u32(sorted, n, v);

    return k < n && sorted[k] == v;
}


static inline int
recsys_sorted_has_u64(const uint64_t *sorted, uint32_t n, uint64_t v)
{
    size_t  k;

    k = recsys_sorted_lower_u64(sorted, n, v);

    return k < n && sorted[k] == v;
}

/*
 * -1, 0 or 1 as a is below, equal to or above b (any arithmetic type;
 * each argument is evaluated twice).  Comparators order by several keys
 * with recsys_sorted_then(); a decreasing key swaps the arguments.
 */
#define recsys_sorted_order(a, b)  (((a) > (b)) - ((a) < (b)))


/* The order of the first key, or of the next one when they tie. */
static inline int
recsys_sorted_then(int first, int next)
{
    return first != 0 ? first : next;
}


/*
 * Define a static qsort() comparator `name` for an array of `type`: by
 * the member `first` in increasing order, ties by `next` in increasing
 * order.  RECSYS_SORTED_CMP2_DESC() puts `first` in decreasing order
 * (the largest count or score first), ties still by increasing `next`.
 */
#define RECSYS_SORTED_CMP2(name, type, first, next)                           \
    RECSYS_SORTED_CMP2_BY(name, type, x, y, first, next)

#define RECSYS_SORTED_CMP2_DESC(name, type, first, next)                      \
    RECSYS_SORTED_CMP2_BY(name, type, y, x, first, next)

/* the two above: `lo` and `hi` are x, y for increasing, y, x decreasing */
#define RECSYS_SORTED_CMP2_BY(name, type, lo, hi, first, next)                \
    static inline int                                                         \
    name(const void *a, const void *b)                                        \
    {                                                                         \
        const type  *x = a, *y = b;                                           \
                                                                              \
        return recsys_sorted_then(recsys_sorted_order(lo->first, hi->first),  \
                                  recsys_sorted_order(x->next, y->next));     \
    }


/* qsort() comparator: uint32_t values in increasing order. */
static inline int
recsys_sorted_cmp_u32(const void *a, const void *b)
{
    uint32_t  x = *(const uint32_t *) a, y = *(const uint32_t *) b;

    return recsys_sorted_order(x, y);
}


/*
 * Sorts n values in increasing order: by insertion when they are few (a
 * request's session items: no call per comparison), else with qsort().
 */
static inline void
recsys_sorted_sort_u32(uint32_t *a, uint32_t n)
{
    uint32_t  j, k, v;

    if (n > 32) {
        qsort(a, n, sizeof(uint32_t), recsys_sorted_cmp_u32);
        return;
    }

    for (j = 1; j < n; j++) {
        v = a[j];

        for (k = j; k > 0 && a[k - 1] > v; k--) {
            a[k] = a[k - 1];
        }

        a[k] = v;
    }
}


/* qsort() comparator: uint64_t values in increasing order. */
static inline int
recsys_sorted_cmp_u64(const void *a, const void *b)
{
    uint64_t  x = *(const uint64_t *) a, y = *(const uint64_t *) b;

    return recsys_sorted_order(x, y);
}

#endif /* RECSYS_SORTED_H */
