/*
 * recsys_scratch.h: dense per-item arrays a caller may keep across
 * requests (one per thread and model: recsys_scratch_create(n_items of the
 * model)), all zero between requests; a session scored with it needs no
 * zeroing of its own.  Without one (NULL) the same array comes zeroed from
 * the allocator.
 */

#ifndef RECSYS_SCRATCH_H
#define RECSYS_SCRATCH_H

#include <stdint.h>


typedef struct recsys_scratch_s  recsys_scratch_t;

/* NULL when out of memory. */
recsys_scratch_t *recsys_scratch_create(uint32_t n_items);
void recsys_scratch_destroy(recsys_scratch_t *s);
uint32_t recsys_scratch_items(const recsys_scratch_t *s);

/*
 * The array (n_items + 1 doubles, all zero) when s is one for a model of
 * n_items items, else NULL (s may be NULL).  The caller leaves it zero.
 */
double *recsys_scratch_scores(recsys_scratch_t *s, uint32_t n_items);

/*
 * An array of n_items + 1 uint32_t, all zero, under the same terms: an
 * accumulator's map from item to its place (recsys_acc_init_indexed).
 */
uint32_t *recsys_scratch_index(recsys_scratch_t *s, uint32_t n_items);

#endif /* RECSYS_SCRATCH_H */
