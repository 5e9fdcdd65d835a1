/*
 * recsys_topk.h: keeping the best k scored items of a stream.
 *
 * A bounded binary min-heap whose root is the worst item kept, so a new
 * candidate costs one comparison when it does not make the cut and
 * O(log k) when it does.  "Better" means a higher score, then a smaller
 * item index: the one ranking rule used by the builder and at request time,
 * so that precomputed and request-time lists agree exactly.
 * recsys_topk_sort() leaves the kept items best first.
 * recsys_topk_select() finds the same set in an array without ordering it.
 */

#ifndef RECSYS_TOPK_H
#define RECSYS_TOPK_H

#include <stdint.h>
#include <stdlib.h>


typedef struct {
    uint32_t  item;
    float     score;
} recsys_scored_t;

typedef struct {
    recsys_scored_t  *heap;     /* caller's storage for k entries */
    uint32_t          k;
    uint32_t          n;
} recsys_topk_t;


static inline int
recsys_scored_better(const recsys_scored_t *a, const recsys_scored_t *b)
{
    if (a->score != b->score) {
        return a->score > b->score;
    }

    return a->item < b->item;
}


static inline void
recsys_topk_init(recsys_topk_t *t, recsys_scored_t *storage, uint32_t k)
{
    t->heap = storage;
    t->k = k;
    t->n = 0;
}


static inline void
recsys_topk_sift_down(recsys_scored_t *h, uint32_t n, uint32_t i)
{
    uint32_t         c;
    recsys_scored_t  tmp;

    for ( ;; ) {
        c = 2 * i + 1;

        if (c >= n) {
            return;
        }

        /* the worse child goes up: the root is the worst kept */
        if (c + 1 < n && recsys_scored_better(&h[c], &h[c + 1])) {
            c++;
        }

        if (!recsys_scored_better(&h[i], &h[c])) {
            return;
        }

        tmp = h[i];
        h[i] = h[c];
        h[c] = tmp;
        i = c;
    }
}


static inline void
recsys_topk_push(recsys_topk_t *t, uint32_t item, float score)
{
    uint32_t         i, parent;
    recsys_scored_t  s, tmp;

    s.item = item;
    s.score = score;

    if (t->n < t->k) {
        i = t->n++;
        t->heap[i] = s;

        while (i > 0) {
            parent = (i - 1) / 2;

            if (!recsys_scored_better(&t->heap[parent], &t->heap[i])) {
                break;
            }

            tmp = t->heap[i];
            t->heap[i] = t->heap[parent];
            t->heap[parent] = tmp;
            i = parent;
        }

        return;
    }

    if (t->k == 0 || !recsys_scored_better(&s, &t->heap[0])) {
        return;
    }

    t->heap[0] = s;
    recsys_topk_sift_down(t->heap, t->n, 0);
}


/* Sorts the kept entries best first, in place; returns their count. */
static inline uint32_t
recsys_topk_sort(recsys_topk_t *t)
{
    uint32_t         n;
    recsys_scored_t  tmp;

    for (n = t->n; n > 1; n--) {
        tmp = t->heap[0];
        t->heap[0] = t->heap[n - 1];
        t->heap[n - 1] = tmp;
        recsys_topk_sift_down(t->heap, n - 1, 0);
    }

    return t->n;
}

/*
 * Puts a[0 .. k) the k best of a[0 .. n) (by recsys_scored_better, a
 * strict order since items differ), in no particular order: a
 * quickselect with a median-of-three pivot.  0 < k < n.
 */
static inline void
recsys_topk_select(recsys_scored_t *a, uint32_t n, uint32_t k)
{
    int64_t          lo, hi, i, j, mid;
    recsys_scored_t  pivot, t;

    lo = 0;
    hi = (int64_t) n - 1;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        /* the median of a[lo], a[mid], a[hi] */
        if (recsys_scored_better(&a[mid], &a[lo])) {
            t = a[mid];
            a[mid] = a[lo];
            a[lo] = t;
        }

        if (recsys_scored_better(&a[hi], &a[lo])) {
            t = a[hi];
            a[hi] = a[lo];
            a[lo] = t;
        }

        if (recsys_scored_better(&a[hi], &a[mid])) {
            t = a[hi];
            a[hi] = a[mid];
            a[mid] = t;
        }

        pivot = a[mid];
        i = lo;
        j = hi;

        while (i <= j) {
            while (recsys_scored_better(&a[i], &pivot)) {
                i++;
            }

            while (recsys_scored_better(&pivot, &a[j])) {
                j--;
            }

            if (i <= j) {
                t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        }

        /* a[lo .. j] are at least as good as the pivot, a[i .. hi] no
         * better; between them, the pivot itself */
        if ((int64_t) k - 1 <= j) {
            hi = j;

        } else if ((int64_t) k - 1 >= i) {
            lo = i;

        } else {
            return;
        }
    }
}

#endif /* RECSYS_TOPK_H */
