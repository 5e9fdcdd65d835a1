/*
 * recsys_blend.h: the hybrid blend of weighted source lists.
 */

#ifndef RECSYS_BLEND_H
#define RECSYS_BLEND_H

#include <stdint.h>

#include "recsys_alloc.h"
#include "recsys_filter.h"
#include "recsys_model.h"
#include "recsys_topk.h"


/* One weighted source list for recsys_blend(). */
typedef struct {
    recsys_row_t      row;          /* (item, score), best first */
    const recsys_scored_t  *scored; /* or this, when row.p is NULL */
    uint32_t          n_scored;
    float             weight;
    float             norm;         /* the source's scale: its best score */
} recsys_blend_src_t;


/*
 * The hybrid blend: score(i) = sum over sources s of weight(s) *
 * score_s(i) / norm(s), where score_s(i) is i's score in s's list (0 when
 * absent) and norm(s) its best score, for every item the filter passes.
 * Writes the best `need`, best first.
 */
int recsys_blend(const recsys_blend_src_t *src, uint32_t n_src,
    const recsys_filter_t *filter, uint32_t need, recsys_alloc_t *a,
    recsys_scored_t *out, uint32_t *n_out);

/*
 * The same, the sums indexed through index (recsys_scratch_index: one
 * zero per item, left zero; NULL: as recsys_blend).
 */
int recsys_blend_indexed(const recsys_blend_src_t *src, uint32_t n_src,
    const recsys_filter_t *filter, uint32_t need, uint32_t *index,
    recsys_alloc_t *a, recsys_scored_t *out, uint32_t *n_out);

/*
 * The model's default blend weights (RECSYS_NSRC floats, from its
 * "hybrid.weights" list); zeros for sources the model lacks.
 */
void recsys_blend_default_weights(const recsys_model_t *model,
    float *weights);

#endif /* RECSYS_BLEND_H */
