/*
 * recsys_scratch.c: a dense per-item score array kept across requests
 * (recsys_scratch.h).
 */

#include <stdlib.h>

#include "recsys_scratch.h"


/*
 * The session scores, in a dense array over the items (a double each, all
 * zero between requests): an add is one load and one store, no hashing,
 * no record of what was touched.  The candidates are the entries of the
 * rows that were added, walked again once the sums are complete; reading
 * an item's sum puts it back to zero, so an item in several rows is read
 * once.  The array is the worker's scratch when the request has one of the
 * model's size (the module keeps one per worker), else it comes zeroed
 * from the request's allocator.
 */
struct recsys_scratch_s {
    double         *score;
    uint32_t       *index;      /* recsys_scratch_index(), all zero */
    uint32_t        n_items;
};


recsys_scratch_t *
recsys_scratch_create(uint32_t n_items)
{
    recsys_scratch_t  *s;

    s = calloc(1, sizeof(recsys_scratch_t));
    if (s == NULL) {
        return NULL;
    }

    s->score = calloc((size_t) n_items + 1, sizeof(double));
    s->index = calloc((size_t) n_items + 1, sizeof(uint32_t));
    s->n_items = n_items;

    if (s->score == NULL || s->index == NULL) {
        recsys_scratch_destroy(s);
        return NULL;
    }

    return s;
}


void
recsys_scratch_destroy(recsys_scratch_t *s)
{
    if (s != NULL) {
        free(s->score);
        free(s->index);
        free(s);
    }
}


uint32_t
recsys_scratch_items(const recsys_scratch_t *s)
{
    return s->n_items;
}


double *
recsys_scratch_scores(recsys_scratch_t *s, uint32_t n_items)
{
    return s != NULL && s->n_items == n_items ? s->score : NULL;
}


uint32_t *
recsys_scratch_index(recsys_scratch_t *s, uint32_t n_items)
{
    return s != NULL && s->n_items == n_items ? s->index : NULL;
}
