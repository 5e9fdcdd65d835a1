/*
 * recsys_filter.h: what a result may not be: seen, excluded, outside
 * the asked genres, failing the attribute filter (recsys_attrfilter.h), or
 * hidden by the overrides file.
 */

#ifndef RECSYS_FILTER_H
#define RECSYS_FILTER_H

#include <stdint.h>

#include "recsys_itemset.h"
#include "recsys_model.h"
#include "recsys_overrides.h"


typedef struct {
    recsys_row_t             seen;      /* sorted by item; may be empty */
    const recsys_itemset_t  *skip;      /* may be NULL */
    const recsys_list_t     *item_genres;
    const uint32_t          *genres;    /* keep items with any of these */
    uint32_t                 n_genres;  /* 0: no genre filter */
    const struct recsys_attrfilter_s  *attrs;   /* NULL: none */
    const recsys_ovr_view_t *overrides; /* hidden items; NULL: none */
} recsys_filter_t;


/* 1 when item may be a result. */
int recsys_filter_pass(const recsys_filter_t *filter, uint32_t item);


/* 1 when the filter asks more of an item than not being seen or skipped. */
static inline int
recsys_filter_narrows(const recsys_filter_t *filter)
{
    return filter->n_genres > 0 || filter->attrs != NULL
           || filter->overrides != NULL;
}

#endif /* RECSYS_FILTER_H */
