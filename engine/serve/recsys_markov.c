/*
 * recsys_markov.c: request-time scoring of the Markov chain's rows
 * (recsys_markov.h).
 *
 * Scoring accumulates the weighted rows of the last items of a history in
 * a small open-addressing table taken from the caller's allocator, then
 * keeps the best with recsys_topk.h.  Accumulation runs in history order
 * in double and is rounded once, so the builder and the request path give
 * identical lists.
 */

#include <stddef.h>

#include "recsys_hash.h"
#include "recsys_markov.h"
#include "recsys_seq.h"
#include "recsys_status.h"
#include "recsys_topk.h"


typedef struct {
    uint32_t  item;
    double    score;
} recsys_markov_acc_t;


const recsys_markov_opts_t  recsys_markov_default = {
    .top_k = 100, .alpha = 1.0f, .window = 5, .decay = 0.6f
};


/*
 * The weighted sum of the rows of the last `window` known items of hist
 * into acc (mask + 1 slots, empty ones RECSYS_NO_INDEX), in history order
 * from the newest.
 */
static void
recsys_markov_accumulate(const recsys_list_t *next, const uint32_t *hist,
    uint32_t n_hist, uint32_t window, float decay, recsys_markov_acc_t *acc,
    uint32_t mask)
{
    double        w;
    uint32_t      h, used, j, c, s;
    recsys_row_t  row;

    w = 1.0;
    used = 0;

    for (h = n_hist; h > 0 && used < window; h--) {
        if (hist[h - 1] >= next->n_rows) {
            continue;
        }

        row = recsys_list_row(next, hist[h - 1]);

        for (j = 0; j < row.n; j++) {
            c = recsys_row_item(row, j);

            for (s = recsys_hash_u32(c) & mask;
                 acc[s].item != RECSYS_NO_INDEX && acc[s].item != c;
                 s = (s + 1) & mask)
            {
                /* probe */
            }

            if (acc[s].item == RECSYS_NO_INDEX) {
                acc[s].item = c;
                acc[s].score = 0.0;
            }

            acc[s].score += w * (double) recsys_row_score(row, j);
        }

        w *= decay;
        used++;
    }
}


int
recsys_markov_score(const recsys_list_t *next, const uint32_t *hist,
    uint32_t n_hist, uint32_t window, float decay, recsys_row_t seen,
    const uint32_t *exclude, uint32_t n_exclude, uint32_t need,
    recsys_alloc_t *a, recsys_scored_t *out, uint32_t *n_out)
{
    int                   rc;
    uint32_t              h, used, size, mask, total, s;
    recsys_topk_t         top;
    recsys_filter_t       filter;
    recsys_itemset_t      skip;
    recsys_markov_acc_t  *acc;

    *n_out = 0;

    if (next == NULL || need == 0 || window == 0) {
        return RECSYS_OK;
    }

    /* the candidates: rows of the last `window` known history items */

    total = 0;
    used = 0;
    for (h = n_hist; h > 0 && used < window; h--) {
        if (hist[h - 1] < next->n_rows) {
            total += recsys_list_row(next, hist[h - 1]).n;
            used++;
        }
    }

    if (total == 0) {
        return RECSYS_OK;
    }

    if (total > (1u << 28)) {
        return RECSYS_ELIMIT;
    }

    rc = recsys_seq_filter(&filter, &skip, seen, exclude, n_exclude, a);
    if (rc != RECSYS_OK) {
        return rc;
    }

    size = 16;
    while (size < total * 2) {
        size *= 2;
    }

    mask = size - 1;
    acc = a->alloc(a->ctx, (size_t) size * sizeof(recsys_markov_acc_t));
    if (acc == NULL) {
        return RECSYS_ENOMEM;
    }

    for (s = 0; s < size; s++) {
        acc[s].item = RECSYS_NO_INDEX;
    }

    recsys_markov_accumulate(next, hist, n_hist, window, decay, acc, mask);

    recsys_topk_init(&top, out, need);

    for (s = 0; s <= mask; s++) {
        if (acc[s].item != RECSYS_NO_INDEX && acc[s].score > 0.0) {
            recsys_seq_offer(&top, &filter, acc[s].item,
                             (float) acc[s].score);
        }
    }

    *n_out = recsys_topk_sort(&top);

    return RECSYS_OK;
}
