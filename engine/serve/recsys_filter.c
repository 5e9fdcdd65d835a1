/*
 * recsys_filter.c: what a result may not be (seen, excluded, outside the
 * asked genres, failing the attribute filter, hidden by the overrides),
 * checked per candidate item.
 */

#include "recsys_attrfilter.h"
#include "recsys_filter.h"
#include "recsys_row.h"


int
recsys_filter_pass(const recsys_filter_t *f, uint32_t item)
{
    uint32_t      j, k;
    recsys_row_t  g;

    if (f == NULL) {
        return 1;
    }

    if (recsys_itemset_has(f->skip, item)
        || recsys_row_contains(f->seen, item)
        || recsys_ovr_hidden(f->overrides, item))
    {
        return 0;
    }

    if (f->attrs != NULL && !recsys_attrfilter_pass(f->attrs, item)) {
        return 0;
    }

    if (f->n_genres == 0) {
        return 1;
    }

    g = recsys_list_row(f->item_genres, item);

    for (j = 0; j < g.n; j++) {
        for (k = 0; k < f->n_genres; k++) {
            if (recsys_row_item(g, j) == f->genres[k]) {
                return 1;
            }
        }
    }

    return 0;
}
