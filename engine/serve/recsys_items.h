/*
 * recsys_items.h: the catalogue behind /items: title search, genre
 * browsing and the catalogue order, over the "item.search" blob of
 * recsys_schema.h.
 *
 * A query text q matches a title when q, with its ASCII letters
 * lowercased, occurs in the title lowercased the same way (bytes above
 * 0x7f are compared as they are).  Matches where q starts a word of the
 * title come first, then the others; within each group items follow the
 * catalogue order (the "popular" row: distinct users, most first, then
 * the item's natural id order; items nobody chose last, by id).  Without
 * q every item matches, in the catalogue order.  A genre list keeps the
 * items that carry any of its genres.  Items the overrides hide are never
 * listed, found or counted.
 *
 * The work of a search is bounded: the titles holding q are one range of
 * the sorted suffixes, found by binary search; a range of at most
 * RECSYS_ITEMS_COLLECT suffixes is collected and sorted whole, a larger
 * one is answered by walking the catalogue order and testing titles,
 * which stops as soon as offset + n word-start matches are found (q is
 * common, so they come early; at worst the walk reads every title once).
 */

#ifndef RECSYS_ITEMS_H
#define RECSYS_ITEMS_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_alloc.h"
#include "recsys_items_index.h"
#include "recsys_model.h"
#include "recsys_overrides.h"


#define RECSYS_ITEMS_COLLECT  4096


typedef struct {
    const char               *q;            /* NULL or len 0: every item */
    size_t                    q_len;
    const uint32_t           *genres;       /* keep items with any of these */
    uint32_t                  n_genres;     /* 0: no genre filter */
    const recsys_ovr_view_t  *overrides;    /* hidden items; NULL: none */
    uint32_t                  n;
    uint32_t                  offset;
} recsys_items_query_t;


typedef struct {
    uint32_t             *items;        /* n of them, in answer order */
    uint32_t              n;
    unsigned              more:1;       /* further matches follow */
} recsys_items_result_t;


/*
 * Answers a query (see above) with request memory from alloc:
 * RECSYS_OK, RECSYS_ENOTFOUND when the model has no search index,
 * RECSYS_ENOMEM.
 */
int recsys_items_search(const recsys_model_t *model,
    const recsys_items_query_t *iq, const recsys_alloc_t *alloc,
    recsys_items_result_t *res);

#endif /* RECSYS_ITEMS_H */
