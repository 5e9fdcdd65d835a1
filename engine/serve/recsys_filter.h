/*
 * recsys_filter.h: what a result may not be: seen, excluded, outside
 * the asked genres, or failing the attribute filter (recsys_attrfilter.h).
 */

#ifndef RECSYS_FILTER_H
#define RECSYS_FILTER_H

#include <stdint.h>

#include "recsys_itemset.h"
#include "recsys_model.h"


typedef struct {
    recsys_row_t             seen;      /* sorted by item; may be empty */
    const recsys_itemset_t  *skip;      /* may be NULL */
    const recsys_list_t     *item_genres;
    const uint32_t          *genres;    /* keep items with any of these */
    uint32_t                 n_genres;  /* 0: no genre filter */
    const struct recsys_attrfilter_s  *attrs;   /* NULL: none */
} recsys_filter_t;


/* Whether filter keeps items out beyond seen and skipped ones. */
#define recsys_filter_narrows(f)  ((f)->n_genres > 0 || (f)->attrs != NULL)

/* 1 when item may be a result. */
int recsys_filter_pass(const recsys_filter_t *filter, uint32_t item);

#endif /* RECSYS_FILTER_H */
