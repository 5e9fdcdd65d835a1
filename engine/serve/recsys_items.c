/*
 * recsys_items.c: the catalogue search of /items (recsys_items.h): the
 * "item.search" blob's checks, the binary search for the range of
 * suffixes that start with the query, and the two ways of ordering its
 * items (collect and sort a small range, walk the catalogue order for a
 * large one).
 */

#include <stdlib.h>
#include <string.h>

#include "recsys_filter.h"
#include "recsys_items.h"
#include "recsys_row.h"
#include "recsys_sorted.h"
#include "recsys_status.h"


/* An item's lowercased title. */
static const unsigned char *
recsys_items_title(const recsys_items_index_t *ix, uint32_t item,
    size_t *len)
{
    uint32_t  from;

    from = recsys_get_u32(ix->title_offsets + (size_t) item * 4);
    *len = recsys_get_u32(ix->title_offsets + (size_t) item * 4 + 4) - from;

    return ix->titles + from;
}


/*
 * The suffix at r against the query: < 0, 0 when the suffix starts with
 * q, > 0.
 */
static int
recsys_items_suffix_cmp(const recsys_items_index_t *ix, uint32_t r,
    const unsigned char *q, size_t q_len)
{
    int                   c;
    size_t                len;
    uint32_t              item, off;
    const unsigned char  *t;

    item = recsys_get_u32(ix->suffixes + (size_t) r * 8);
    off = recsys_get_u32(ix->suffixes + (size_t) r * 8 + 4)
          & ~RECSYS_SEARCH_WORD;
    t = recsys_items_title(ix, item, &len);

    c = memcmp(t + off, q, len - off < q_len ? len - off : q_len);
    if (c != 0) {
        return c;
    }

    return len - off < q_len ? -1 : 0;
}


/* The first suffix not below q (upper: the first above it). */
static uint32_t
recsys_items_bound(const recsys_items_index_t *ix, const unsigned char *q,
    size_t q_len, int upper)
{
    int       c;
    uint32_t  lo, count, half;

    /* lo: the first of count suffixes that may still be the bound */
    lo = 0;
    count = ix->n_suffixes;

    while (count > 0) {
        half = count / 2;
        c = recsys_items_suffix_cmp(ix, lo + half, q, q_len);

        if (c < 0 || (upper && c == 0)) {
            lo += half + 1;
            count -= half + 1;

        } else {
            count = half;
        }
    }

    return lo;
}


/*
 * Where q occurs in the item's title: 0 when an occurrence starts a word,
 * 1 when it occurs only inside words, -1 when it does not occur.
 */
static int
recsys_items_match(const recsys_items_index_t *ix, uint32_t item,
    const unsigned char *q, size_t q_len)
{
    int                   group;
    size_t                len, k;
    const unsigned char  *t;

    t = recsys_items_title(ix, item, &len);
    group = -1;

    for (k = 0; k + q_len <= len; k++) {
        if (t[k] != q[0] || memcmp(t + k, q, q_len) != 0) {
            continue;
        }

        if (k == 0 || !recsys_items_word_byte(t[k - 1])) {
            return 0;
        }

        group = 1;
    }

    return group;
}


/*
 * Pages the ordered matches (n_all of them at all) into res: offset and n
 * of the query; more when matches follow the page.
 */
static void
recsys_items_page(const recsys_items_query_t *iq, uint32_t *all,
    uint32_t n_all, recsys_items_result_t *res)
{
    res->items = all + (iq->offset < n_all ? iq->offset : n_all);
    res->n = iq->offset < n_all ? n_all - iq->offset : 0;
    res->more = res->n > iq->n;

    if (res->more) {
        res->n = iq->n;
    }
}


/*
 * The range [lo, hi) of suffixes, sorted: keys rank << 1 | group, one per
 * item (its best group), group 0 first, each group in catalogue order.
 */
static int
recsys_items_collect(const recsys_items_index_t *ix,
    const recsys_filter_t *f, uint32_t lo, uint32_t hi,
    const recsys_alloc_t *alloc, uint32_t **out, uint32_t *n_out)
{
    uint32_t  r, item, off, n, k, g, *keys, *all;

    keys = alloc->alloc(alloc->ctx, ((size_t) (hi - lo) + 1) * 8);
    if (keys == NULL) {
        return RECSYS_ENOMEM;
    }

    all = keys + (hi - lo);
    n = 0;

    for (r = lo; r < hi; r++) {
        item = recsys_get_u32(ix->suffixes + (size_t) r * 8);
        off = recsys_get_u32(ix->suffixes + (size_t) r * 8 + 4);

        if (recsys_filter_pass(f, item)) {
            keys[n++] = recsys_get_u32(ix->rank + (size_t) item * 4) << 1
                        | ((off & RECSYS_SEARCH_WORD) == 0);
        }
    }

    qsort(keys, n, sizeof(uint32_t), recsys_sorted_cmp_u32);

    /* one key per item (the first: its best group), then by group */
    k = 0;
    for (r = 0; r < n; r++) {
        if (r == 0 || (keys[r] >> 1) != (keys[r - 1] >> 1)) {
            keys[k++] = keys[r];
        }
    }

    n = 0;
    for (g = 0; g < 2; g++) {
        for (r = 0; r < k; r++) {
            if ((keys[r] & 1) == g) {
                all[n++] = recsys_get_u32(ix->by_rank
                                          + (size_t) (keys[r] >> 1) * 4);
            }
        }
    }

    *out = all;
    *n_out = n;

    return RECSYS_OK;
}


/*
 * Walks the catalogue order for the first want matches of each group,
 * stopping at want word-start matches (q_len 0: every item matches).
 */
static int
recsys_items_walk(const recsys_items_index_t *ix, const recsys_filter_t *f,
    const unsigned char *q, size_t q_len, uint32_t want,
    const recsys_alloc_t *alloc, uint32_t **out, uint32_t *n_out)
{
    int        g;
    uint32_t   r, item, n0, n1, *g0, *g1;

    g0 = alloc->alloc(alloc->ctx, (size_t) want * 8);
    if (g0 == NULL) {
        return RECSYS_ENOMEM;
    }

    g1 = g0 + want;
    n0 = 0;
    n1 = 0;

    for (r = 0; r < ix->n_items && n0 < want; r++) {
        item = recsys_get_u32(ix->by_rank + (size_t) r * 4);

        if (!recsys_filter_pass(f, item)) {
            continue;
        }

        g = q_len == 0 ? 0 : recsys_items_match(ix, item, q, q_len);

        if (g == 0) {
            g0[n0++] = item;

        } else if (g == 1 && n1 < want) {
            g1[n1++] = item;
        }
    }

    /* the word-start matches, then the others: one array */
    memmove(g0 + n0, g1, (size_t) (n0 + n1 > want ? want - n0 : n1) * 4);

    *out = g0;
    *n_out = n0 + n1 > want ? want : n0 + n1;

    return RECSYS_OK;
}


int
recsys_items_search(const recsys_model_t *model,
    const recsys_items_query_t *iq, const recsys_alloc_t *alloc,
    recsys_items_result_t *res)
{
    int                          rc;
    size_t                       k;
    uint32_t                     lo, hi, want, n_all, *all;
    unsigned char               *q;
    recsys_filter_t              f, *fp;
    const recsys_items_index_t  *ix;

    ix = recsys_model_search(model);
    if (ix == NULL) {
        return RECSYS_ENOTFOUND;
    }

    memset(&f, 0, sizeof(f));
    f.seen = recsys_row_empty();
    f.item_genres = recsys_model_list(model, RECSYS_L_ITEM_GENRES);
    f.genres = iq->genres;
    f.n_genres = iq->n_genres;
    f.overrides = iq->overrides;
    fp = iq->n_genres > 0 || iq->overrides != NULL ? &f : NULL;

    q = alloc->alloc(alloc->ctx, iq->q_len + 1);
    if (q == NULL) {
        return RECSYS_ENOMEM;
    }

    for (k = 0; k < iq->q_len; k++) {
        q[k] = recsys_items_lower((unsigned char) iq->q[k]);
    }

    /* one match more than the page: whether more follow */
    want = iq->offset + iq->n + 1;
    lo = 0;
    hi = ix->n_suffixes;

    if (iq->q_len > 0) {
        lo = recsys_items_bound(ix, q, iq->q_len, 0);
        hi = recsys_items_bound(ix, q, iq->q_len, 1);
    }

    if (iq->q_len > 0 && hi - lo <= RECSYS_ITEMS_COLLECT) {
        rc = recsys_items_collect(ix, fp, lo, hi, alloc, &all, &n_all);

    } else {
        rc = recsys_items_walk(ix, fp, q, iq->q_len, want, alloc, &all,
                               &n_all);
    }

    if (rc != RECSYS_OK) {
        return rc;
    }

    recsys_items_page(iq, all, n_all, res);

    return RECSYS_OK;
}
