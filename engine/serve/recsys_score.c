/*
 * recsys_score.c: scoring a weighted history over an item-to-item list,
 * score(c) = sum over history items h of weight(h) x sim(h, c), into the
 * best candidates in order or as a set with its best score
 * (recsys_score_history_in).  The builder precomputes with the
 * same functions the query scores with at request time.
 */

#include "recsys_acc.h"
#include "recsys_row.h"
#include "recsys_score.h"


/*
 * Sums history weight x neighbour score over the history into acc, the
 * items the filter refuses for certain dropped (recsys_acc_drop).
 */
static int
recsys_score_acc(const recsys_list_t *nbrs, recsys_row_t hist,
    uint32_t max_nbrs, const recsys_filter_t *filter, uint32_t *index,
    recsys_alloc_t *a, recsys_acc_t *acc)
{
    int           rc;
    double        w;
    uint32_t      h, j, total;
    recsys_row_t  row;

    total = 0;
    for (h = 0; h < hist.n; h++) {
        total += recsys_row_head(recsys_list_row(nbrs,
                                     recsys_row_item(hist, h)), max_nbrs).n;
    }

    rc = recsys_acc_init_indexed(acc, total, index, a);
    if (rc != RECSYS_OK) {
        return rc;
    }

    recsys_acc_drop(acc, filter, total);

    /* in history order, in double, rounded once: both paths agree */

    for (h = 0; h < hist.n; h++) {
        w = recsys_row_score(hist, h);
        row = recsys_row_head(recsys_list_row(nbrs, recsys_row_item(hist, h)),
                              max_nbrs);

        for (j = 0; j < row.n; j++) {
            recsys_acc_add(acc, recsys_row_item(row, j),
                           w * (double) recsys_row_score(row, j));
        }
    }

    return RECSYS_OK;
}


/*
 * With best NULL, the best `want` candidates in order; otherwise the same
 * members as a set, and the best score.
 */
int
recsys_score_history_in(const recsys_list_t *nbrs, recsys_row_t hist,
    uint32_t max_nbrs, const recsys_filter_t *filter, uint32_t want,
    uint32_t *index, recsys_alloc_t *a, recsys_scored_t *out,
    uint32_t *n_out, float *best)
{
    int           rc;
    recsys_acc_t  acc;

    *n_out = 0;

    if (best != NULL) {
        *best = 0.0f;
    }

    if (nbrs == NULL || want == 0) {
        return RECSYS_OK;
    }

    rc = recsys_score_acc(nbrs, hist, max_nbrs, filter, index, a, &acc);
    if (rc != RECSYS_OK) {
        return rc;
    }

    if (best == NULL) {
        *n_out = recsys_acc_top(&acc, filter, want, out);
        return RECSYS_OK;
    }

    return recsys_acc_best(&acc, filter, want, a, out, n_out, best);
}


int
recsys_score_history(const recsys_list_t *nbrs, recsys_row_t hist,
    uint32_t max_nbrs, const recsys_filter_t *filter, uint32_t need,
    recsys_alloc_t *a, recsys_scored_t *out, uint32_t *n_out)
{
    return recsys_score_history_in(nbrs, hist, max_nbrs, filter, need, NULL,
                                   a, out, n_out, NULL);
}
