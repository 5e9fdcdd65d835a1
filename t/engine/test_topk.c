/*
 * test_topk.c: unit test of the bounded top-k heap (recsys_topk.h).
 *
 * Streams scored items with many tied scores into recsys_topk and checks
 * the kept entries, in order, against the first k of a full qsort of the
 * same stream by (score desc, item asc); k runs over 0, 1, small values,
 * n - 1, n and values past n.  The heap gets storage of exactly k entries,
 * so an overrun shows under AddressSanitizer.  Prints TAP.
 */

#include <stdlib.h>
#include <string.h>

#include "recsys_topk.h"
#include "tap.h"


static uint32_t
t_rand(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t) (*state >> 33);
}


/* The reference order, written independently of recsys_scored_better. */
static int
t_cmp(const void *a, const void *b)
{
    const recsys_scored_t  *x = a, *y = b;

    if (x->score > y->score) {
        return -1;
    }

    if (x->score < y->score) {
        return 1;
    }

    return x->item < y->item ? -1 : (x->item > y->item);
}


/*
 * Runs one stream of n items through a top-k and compares.  levels is the
 * number of distinct scores (few levels: many ties).  Returns 1 if equal.
 */
static int
t_one(uint64_t *state, uint32_t n, uint32_t k, uint32_t levels,
    const char *what)
{
    int               same;
    uint32_t          i, j, kept, want, tmp;
    uint32_t         *perm;
    recsys_topk_t     top;
    recsys_scored_t  *stream, *sorted, *sel, *heap;

    perm = malloc(((size_t) n + 1) * sizeof(uint32_t));
    stream = malloc(((size_t) n + 1) * sizeof(recsys_scored_t));
    sorted = malloc(((size_t) n + 1) * sizeof(recsys_scored_t));
    sel = malloc(((size_t) n + 1) * sizeof(recsys_scored_t));
    heap = k > 0 ? malloc((size_t) k * sizeof(recsys_scored_t)) : NULL;

    if (perm == NULL || stream == NULL || sorted == NULL || sel == NULL
        || (k > 0 && heap == NULL))
    {
        free(perm);
        free(stream);
        free(sorted);
        free(sel);
        free(heap);
        return 0;
    }

    /* distinct items in random order, sparse ids, scores on few levels */

    for (i = 0; i < n; i++) {
        perm[i] = i * 3 + (t_rand(state) % 3);
    }

    for (i = n; i > 1; i--) {
        j = t_rand(state) % i;
        tmp = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = tmp;
    }

    for (i = 0; i < n; i++) {
        stream[i].item = perm[i];
        stream[i].score = (float) ((int) (t_rand(state) % levels)
                                   - (int) levels / 2) * 0.25f;
    }

    memcpy(sorted, stream, (size_t) n * sizeof(recsys_scored_t));
    qsort(sorted, n, sizeof(recsys_scored_t), t_cmp);

    recsys_topk_init(&top, heap, k);

    for (i = 0; i < n; i++) {
        recsys_topk_push(&top, stream[i].item, stream[i].score);
    }

    kept = recsys_topk_sort(&top);
    want = k < n ? k : n;
    same = kept == want;

    /* recsys_topk_select(): the same set, in any order */
    if (k > 0 && k < n) {
        memcpy(sel, stream, (size_t) n * sizeof(recsys_scored_t));
        recsys_topk_select(sel, n, k);
        qsort(sel, k, sizeof(recsys_scored_t), t_cmp);

        for (i = 0; i < k; i++) {
            if (sel[i].item != sorted[i].item) {
                printf("#   %s: n %u k %u: select kept (%u, %g) at %u, "
                       "want (%u, %g)\n", what, n, k, sel[i].item,
                       sel[i].score, i, sorted[i].item, sorted[i].score);
                same = 0;
                break;
            }
        }
    }

    for (i = 0; same && i < want; i++) {
        if (heap[i].item != sorted[i].item
            || heap[i].score != sorted[i].score)
        {
            printf("#   %s: n %u k %u: position %u holds (%u, %g), "
                   "want (%u, %g)\n", what, n, k, i, heap[i].item,
                   heap[i].score, sorted[i].item, sorted[i].score);
            same = 0;
        }
    }

    if (kept != want) {
        printf("#   %s: n %u k %u: kept %u, want %u\n", what, n, k, kept,
               want);
    }

    free(perm);
    free(stream);
    free(sorted);
    free(sel);
    free(heap);

    return same;
}


static void
t_sizes(uint64_t *state, uint32_t n, uint32_t levels, const char *what)
{
    int       ok, round;
    uint32_t  ks[9], i;

    ks[0] = 0;
    ks[1] = 1;
    ks[2] = 2;
    ks[3] = 7;
    ks[4] = n / 2;
    ks[5] = n > 0 ? n - 1 : 0;
    ks[6] = n;
    ks[7] = n + 1;
    ks[8] = 2 * n + 5;

    for (i = 0; i < 9; i++) {
        ok = 1;

        for (round = 0; round < 20; round++) {
            if (!t_one(state, n, ks[i], levels, what)) {
                ok = 0;
                break;
            }
        }

        tap_ok(ok, "%s: n %u, k %u: kept set and order (and the selected "
               "set) equal a full sort",
               what, n, ks[i]);
    }
}


/* Hand-checked: the example from the ranking rule. */
static void
t_by_hand(void)
{
    recsys_topk_t    top;
    recsys_scored_t  heap[3];

    /*
     * stream (item, score): (5, 1) (3, 2) (9, 2) (1, 1) (4, 0) (2, 2)
     * by score desc then item asc: (2,2) (3,2) (9,2) (1,1) (5,1) (4,0)
     * top 3: items 2, 3, 9
     */
    recsys_topk_init(&top, heap, 3);
    recsys_topk_push(&top, 5, 1.0f);
    recsys_topk_push(&top, 3, 2.0f);
    recsys_topk_push(&top, 9, 2.0f);
    recsys_topk_push(&top, 1, 1.0f);
    recsys_topk_push(&top, 4, 0.0f);
    recsys_topk_push(&top, 2, 2.0f);

    tap_ok(recsys_topk_sort(&top) == 3 && heap[0].item == 2
           && heap[1].item == 3 && heap[2].item == 9
           && heap[0].score == 2.0f && heap[2].score == 2.0f,
           "by hand: ties go to the smaller item (2, 3, 9)");

    /* top 2 of (7, -1) (6, -1) (8, -0.5): (8, -0.5) (6, -1) */
    recsys_topk_init(&top, heap, 2);
    recsys_topk_push(&top, 7, -1.0f);
    recsys_topk_push(&top, 6, -1.0f);
    recsys_topk_push(&top, 8, -0.5f);

    tap_ok(recsys_topk_sort(&top) == 2 && heap[0].item == 8
           && heap[1].item == 6,
           "by hand: negative scores (8, 6)");

    recsys_topk_init(&top, NULL, 0);
    recsys_topk_push(&top, 1, 5.0f);
    tap_is_int(recsys_topk_sort(&top), 0, "by hand: k 0 keeps nothing");
}


int
main(void)
{
    uint64_t  state;

    state = 42;

    t_by_hand();
    t_sizes(&state, 0, 4, "empty stream");
    t_sizes(&state, 1, 4, "one item");
    t_sizes(&state, 10, 3, "ten items, 3 levels");
    t_sizes(&state, 100, 5, "100 items, 5 levels");
    t_sizes(&state, 1000, 8, "1000 items, 8 levels");
    t_sizes(&state, 1000, 1000000, "1000 items, few ties");
    t_sizes(&state, 3000, 1, "3000 items, all tied");

    return tap_done();
}
