/*
 * recsys_blend.c: the hybrid blend of several sources' scored lists, each
 * normalised by its best score and weighted, and the model's default
 * weights.
 */

#include "recsys_acc.h"
#include "recsys_blend.h"


int
recsys_blend(const recsys_blend_src_t *src, uint32_t n_src,
    const recsys_filter_t *filter, uint32_t need, recsys_alloc_t *a,
    recsys_scored_t *out, uint32_t *n_out)
{
    return recsys_blend_indexed(src, n_src, filter, need, NULL, a, out,
                                n_out);
}


int
recsys_blend_indexed(const recsys_blend_src_t *src, uint32_t n_src,
    const recsys_filter_t *filter, uint32_t need, uint32_t *index,
    recsys_alloc_t *a, recsys_scored_t *out, uint32_t *n_out)
{
    int           rc;
    double        scale;
    uint32_t      s, j, total, n;
    recsys_acc_t  acc;

    *n_out = 0;

    total = 0;
    for (s = 0; s < n_src; s++) {
        total += src[s].row.p != NULL ? src[s].row.n : src[s].n_scored;
    }

    rc = recsys_acc_init_indexed(&acc, total, index, a);
    if (rc != RECSYS_OK) {
        return rc;
    }

    recsys_acc_drop(&acc, filter, total);

    for (s = 0; s < n_src; s++) {
        if (src[s].weight == 0.0f || !(src[s].norm > 0.0f)) {
            continue;
        }

        scale = (double) src[s].weight / (double) src[s].norm;

        if (src[s].row.p != NULL) {
            for (j = 0; j < src[s].row.n; j++) {
                recsys_acc_add(&acc, recsys_row_item(src[s].row, j),
                               scale * recsys_row_score(src[s].row, j));
            }

        } else {
            n = src[s].n_scored;

            for (j = 0; j < n; j++) {
                recsys_acc_add(&acc, src[s].scored[j].item,
                               scale * src[s].scored[j].score);
            }
        }
    }

    *n_out = recsys_acc_top(&acc, filter, need, out);

    return RECSYS_OK;
}


void
recsys_blend_default_weights(const recsys_model_t *m, float *weights)
{
    uint32_t      j, s;
    recsys_row_t  row;

    memset(weights, 0, RECSYS_NSRC * sizeof(float));

    row = recsys_list_row(recsys_model_list(m, RECSYS_L_WEIGHTS), 0);

    for (j = 0; j < row.n; j++) {
        s = recsys_row_item(row, j);
        weights[s] = recsys_row_score(row, j);
    }
}
