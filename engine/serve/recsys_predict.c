/*
 * recsys_predict.c: mean-centred kNN rating predictions from a model.
 *
 * Everything is read in place: a neighbour's rating of the item is a
 * binary search in its "user.seen" row (sorted by item, values kept), the
 * means are one-entry rows.  Cost: O(k log degree) per prediction.
 */

#include "recsys_predict.h"
#include "recsys_row.h"
#include "recsys_status.h"


/* The value of item in a row sorted by item; 0 when absent. */
static int
recsys_predict_value(recsys_row_t sorted, uint32_t item, double *v)
{
    uint32_t  i;

    i = recsys_row_find(sorted, item);

    if (i == sorted.n) {
        return 0;
    }

    *v = recsys_row_score(sorted, i);

    return 1;
}


static double
recsys_predict_mean(const recsys_list_t *means, uint32_t row, double dflt)
{
    recsys_row_t  r;

    r = recsys_list_row(means, row);

    return r.n > 0 ? recsys_row_score(r, 0) : dflt;
}


static double
recsys_predict_clip(double v, recsys_row_t range)
{
    double  lo, hi;

    if (range.n < 3) {
        return v;
    }

    lo = recsys_row_score(range, 1);
    hi = recsys_row_score(range, 2);

    return v < lo ? lo : (v > hi ? hi : v);
}


int
recsys_predict(const recsys_model_t *m, uint32_t u, uint32_t i,
    recsys_prediction_t *p)
{
    double                num, den, sim, r, global;
    uint32_t              k, v, j;
    recsys_row_t          nb, range, seen;
    const recsys_list_t  *umean, *imean, *seen_list;

    umean = recsys_model_list(m, RECSYS_L_USER_MEAN);
    imean = recsys_model_list(m, RECSYS_L_ITEM_MEAN);
    seen_list = recsys_model_list(m, RECSYS_L_USER_SEEN);
    range = recsys_list_row(recsys_model_list(m, RECSYS_L_VALUE_RANGE), 0);

    if (umean == NULL || imean == NULL || range.n < 3) {
        return RECSYS_ENOTFOUND;
    }

    global = recsys_row_score(range, 0);
    p->user_mean = recsys_predict_mean(umean, u, global);
    p->item_mean = recsys_predict_mean(imean, i, global);

    /* user-kNN */

    num = 0.0;
    den = 0.0;
    p->user_support = 0;
    nb = recsys_list_row(recsys_model_list(m, RECSYS_L_USER_NBRS), u);

    for (k = 0; k < nb.n; k++) {
        v = recsys_row_item(nb, k);
        sim = recsys_row_score(nb, k);

        if (recsys_predict_value(recsys_list_row(seen_list, v), i, &r)) {
            num += sim * (r - recsys_predict_mean(umean, v, global));
            den += sim < 0 ? -sim : sim;
            p->user_support++;
        }
    }

    p->user_knn = recsys_predict_clip(den > 0.0 ? p->user_mean + num / den
                                                : p->user_mean, range);

    /* item-kNN */

    num = 0.0;
    den = 0.0;
    p->item_support = 0;
    seen = recsys_list_row(seen_list, u);
    nb = recsys_list_row(recsys_model_source_list(m, RECSYS_L_ITEM_NBRS,
                                                  RECSYS_SRC_ITEMCF), i);

    for (k = 0; k < nb.n; k++) {
        j = recsys_row_item(nb, k);
        sim = recsys_row_score(nb, k);

        if (recsys_predict_value(seen, j, &r)) {
            num += sim * (r - recsys_predict_mean(imean, j, global));
            den += sim < 0 ? -sim : sim;
            p->item_support++;
        }
    }

    p->item_knn = recsys_predict_clip(den > 0.0 ? p->item_mean + num / den
                                                : p->item_mean, range);

    return RECSYS_OK;
}
