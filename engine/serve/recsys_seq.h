/*
 * recsys_seq: what the request-time sequence scorers (recsys_markov,
 * recsys_hmm, recsys_gru) share.  The packed models (HMM, GRU) open with a
 * head whose first field is a magic number: recsys_seq_head() reads it.
 * Each scorer ranks candidates into a top-k heap and must leave out the
 * items of a seen row (sorted by item) and of an exclusion list (any
 * order): recsys_seq_filter() turns both into a recsys_filter_t, the list
 * into an item set taken from the caller's allocator, and
 * recsys_seq_offer() pushes a candidate, probing the filter only when the
 * candidate would enter the heap, which after the first k pushes is rare.
 * recsys_seq_start() is the packed scorers' common start.
 */

#ifndef RECSYS_SEQ_H
#define RECSYS_SEQ_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_query.h"
#include "recsys_topk.h"

#define RECSYS_SEQ_MAX_EXCLUDE  (1u << 28)


/*
 * Copies the head (head_size bytes, a uint32_t magic first) of a packed
 * model of size bytes into head: RECSYS_OK, or RECSYS_EFORMAT when packed
 * is NULL, shorter than a head or not of this magic.
 */
int recsys_seq_head(const void *packed, size_t size, void *head,
    size_t head_size, uint32_t magic);

/*
 * Fills f with seen and, when exclude holds n_exclude > 0 items, with a
 * set of them built in skip (16 n_exclude bytes at most, from a); f
 * filters no genre.  RECSYS_OK, RECSYS_ELIMIT (more than
 * RECSYS_SEQ_MAX_EXCLUDE exclusions) or RECSYS_ENOMEM.
 */
int recsys_seq_filter(recsys_filter_t *f, recsys_itemset_t *skip,
    recsys_row_t seen, const uint32_t *exclude, uint32_t n_exclude,
    recsys_alloc_t *a);

/*
 * The start of a packed-model scorer, once it viewed its model (view_rc the
 * view's status): sets *n_out to 0, then returns 0 when scoring stops here
 * (*rc the view's error, recsys_seq_filter's error, or RECSYS_OK when need
 * is 0), 1 when it goes on with f and skip filled by recsys_seq_filter.
 */
int recsys_seq_start(int view_rc, uint32_t need, recsys_filter_t *f,
    recsys_itemset_t *skip, recsys_row_t seen, const uint32_t *exclude,
    uint32_t n_exclude, recsys_alloc_t *a, uint32_t *n_out, int *rc);

/* Pushes item with score into top unless it is better left out by f. */
static inline void
recsys_seq_offer(recsys_topk_t *top, const recsys_filter_t *f, uint32_t item,
    float score)
{
    recsys_scored_t  cand;

    if (top->n == top->k) {
        cand.item = item;
        cand.score = score;

        if (!recsys_scored_better(&cand, &top->heap[0])) {
            return;
        }
    }

    if (recsys_filter_pass(f, item)) {
        recsys_topk_push(top, item, score);
    }
}

#endif /* RECSYS_SEQ_H */
