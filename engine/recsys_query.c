/*
 * recsys_query.c: request-time recommendation from a model's lists.
 *
 * Known user: the builder's precomputed item-CF list answers most requests
 * by copying entries; only when exclusions or a deep offset run past that
 * list's cap is the user scored again from the stored history, with the
 * same function the builder used, so both paths rank identically.  hybrid
 * (for now: item-CF first, then popular items to fill up to n) and popular
 * skip what the user has seen.  Unknown or anonymous users get popular
 * items and the "popular" fallback.
 */

#include <string.h>

#include "recsys_query.h"


static const char  *recsys_qalgo_names[RECSYS_Q_NALGOS] = {
    "hybrid", "itemcf", "popular"
};


int
recsys_qalgo_parse(const char *name, size_t len, recsys_qalgo_t *algo)
{
    size_t  k;

    for (k = 0; k < RECSYS_Q_NALGOS; k++) {
        if (strlen(recsys_qalgo_names[k]) == len
            && memcmp(recsys_qalgo_names[k], name, len) == 0)
        {
            *algo = (recsys_qalgo_t) k;
            return RECSYS_OK;
        }
    }

    return RECSYS_EINVAL;
}


const char *
recsys_qalgo_name(recsys_qalgo_t algo)
{
    return (unsigned) algo < RECSYS_Q_NALGOS ? recsys_qalgo_names[algo] : "";
}


static uint32_t
recsys_hash_u32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;

    return x;
}


int
recsys_itemset_init(recsys_itemset_t *set, uint32_t capacity,
    recsys_alloc_t *a)
{
    uint32_t  size;

    size = 16;
    while (size < capacity * 2) {
        size *= 2;
    }

    set->slots = a->alloc(a->ctx, (size_t) size * sizeof(uint32_t));
    if (set->slots == NULL) {
        return RECSYS_ENOMEM;
    }

    memset(set->slots, 0xff, (size_t) size * sizeof(uint32_t));
    set->mask = size - 1;
    set->n = 0;

    return RECSYS_OK;
}


void
recsys_itemset_add(recsys_itemset_t *set, uint32_t item)
{
    uint32_t  i;

    for (i = recsys_hash_u32(item) & set->mask;
         set->slots[i] != RECSYS_NO_INDEX;
         i = (i + 1) & set->mask)
    {
        if (set->slots[i] == item) {
            return;
        }
    }

    set->slots[i] = item;
    set->n++;
}


int
recsys_itemset_has(const recsys_itemset_t *set, uint32_t item)
{
    uint32_t  i;

    if (set == NULL || set->n == 0) {
        return 0;
    }

    for (i = recsys_hash_u32(item) & set->mask;
         set->slots[i] != RECSYS_NO_INDEX;
         i = (i + 1) & set->mask)
    {
        if (set->slots[i] == item) {
            return 1;
        }
    }

    return 0;
}


int
recsys_row_contains(recsys_row_t sorted, uint32_t item)
{
    uint32_t  lo, hi, mid, v;

    lo = 0;
    hi = sorted.n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        v = recsys_row_item(sorted, mid);

        if (v == item) {
            return 1;
        }

        if (v < item) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return 0;
}


typedef struct {
    uint32_t  item;
    double    score;
} recsys_acc_slot_t;


int
recsys_score_itemcf(const recsys_list_t *nbrs, recsys_row_t hist,
    recsys_row_t seen, const recsys_itemset_t *skip, uint32_t need,
    recsys_alloc_t *a, recsys_scored_t *out, uint32_t *n_out)
{
    double              w;
    uint32_t            h, j, c, size, mask, total, i;
    recsys_row_t        row;
    recsys_topk_t       top;
    recsys_acc_slot_t  *acc;

    *n_out = 0;

    if (nbrs == NULL || need == 0) {
        return RECSYS_OK;
    }

    total = 0;
    for (h = 0; h < hist.n; h++) {
        total += recsys_list_row(nbrs, recsys_row_item(hist, h)).n;
    }

    size = 16;
    while (size < total * 2) {
        size *= 2;
    }

    mask = size - 1;
    acc = a->alloc(a->ctx, (size_t) size * sizeof(recsys_acc_slot_t));
    if (acc == NULL) {
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < size; i++) {
        acc[i].item = RECSYS_NO_INDEX;
    }

    /* accumulate in history order, in double, then round once */

    for (h = 0; h < hist.n; h++) {
        w = recsys_row_score(hist, h);
        row = recsys_list_row(nbrs, recsys_row_item(hist, h));

        for (j = 0; j < row.n; j++) {
            c = recsys_row_item(row, j);

            for (i = recsys_hash_u32(c) & mask;
                 acc[i].item != RECSYS_NO_INDEX && acc[i].item != c;
                 i = (i + 1) & mask)
            {
                /* probe */
            }

            if (acc[i].item == RECSYS_NO_INDEX) {
                acc[i].item = c;
                acc[i].score = 0.0;
            }

            acc[i].score += w * (double) recsys_row_score(row, j);
        }
    }

    recsys_topk_init(&top, out, need);

    for (i = 0; i < size; i++) {
        c = acc[i].item;

        if (c == RECSYS_NO_INDEX || recsys_row_contains(seen, c)
            || recsys_itemset_has(skip, c))
        {
            continue;
        }

        recsys_topk_push(&top, c, (float) acc[i].score);
    }

    *n_out = recsys_topk_sort(&top);

    return RECSYS_OK;
}


static recsys_row_t
recsys_row_empty(void)
{
    recsys_row_t  row;

    row.p = NULL;
    row.n = 0;

    return row;
}


/* Appends list entries that pass the filters until out holds need. */
static uint32_t
recsys_query_take(recsys_row_t row, recsys_row_t seen,
    const recsys_itemset_t *skip, recsys_scored_t *out, uint32_t have,
    uint32_t need)
{
    uint32_t  j, c;

    for (j = 0; j < row.n && have < need; j++) {
        c = recsys_row_item(row, j);

        if (recsys_itemset_has(skip, c) || recsys_row_contains(seen, c)) {
            continue;
        }

        out[have].item = c;
        out[have].score = recsys_row_score(row, j);
        have++;
    }

    return have;
}


static uint32_t
recsys_query_fill_popular(const recsys_model_t *m, recsys_row_t seen,
    recsys_itemset_t *skip, recsys_scored_t *out, uint32_t have,
    uint32_t need)
{
    uint32_t  k;

    for (k = 0; k < have; k++) {
        recsys_itemset_add(skip, out[k].item);
    }

    return recsys_query_take(
               recsys_list_row(recsys_model_list(m, RECSYS_BLOB_POPULAR), 0),
               seen, skip, out, have, need);
}


static int
recsys_query_itemcf(const recsys_model_t *m, const recsys_query_t *q,
    recsys_row_t seen, recsys_itemset_t *skip, recsys_alloc_t *a,
    recsys_scored_t *out, uint32_t need, uint32_t *have)
{
    int                   rc;
    recsys_row_t          recs, hist;
    const recsys_list_t  *nbrs;

    nbrs = recsys_model_list(m, RECSYS_BLOB_ITEM_NBRS);
    if (nbrs == NULL) {
        return RECSYS_ENOTFOUND;
    }

    recs = recsys_list_row(recsys_model_list(m, RECSYS_BLOB_USER_ITEMCF),
                           q->user);

    /* the builder left seen items out of this list already */
    *have = recsys_query_take(recs, recsys_row_empty(), skip, out, 0, need);

    if (*have == need || recs.n < recsys_model_header(m)->user_top) {
        return RECSYS_OK;
    }

    /* the precomputed list was cut short: score from the history */

    hist = recsys_list_row(recsys_model_list(m, RECSYS_BLOB_USER_HIST),
                           q->user);

    rc = recsys_score_itemcf(nbrs, hist, seen, skip, need, a, out, have);

    return rc;
}


int
recsys_query_run(const recsys_model_t *m, const recsys_query_t *q,
    recsys_alloc_t *a, recsys_result_t *res)
{
    int                rc;
    uint32_t           need, have, k;
    recsys_row_t       seen;
    recsys_itemset_t   skip;
    recsys_scored_t   *out;

    res->items = NULL;
    res->n = 0;
    res->fallback = RECSYS_FALLBACK_NONE;

    need = q->offset + q->n;

    out = a->alloc(a->ctx, (size_t) (need ? need : 1)
                           * sizeof(recsys_scored_t));
    if (out == NULL) {
        return RECSYS_ENOMEM;
    }

    rc = recsys_itemset_init(&skip, q->n_exclude + need, a);
    if (rc != RECSYS_OK) {
        return rc;
    }

    for (k = 0; k < q->n_exclude; k++) {
        recsys_itemset_add(&skip, q->exclude[k]);
    }

    seen = recsys_row_empty();

    if (q->user != RECSYS_NO_INDEX) {
        seen = recsys_list_row(recsys_model_list(m, RECSYS_BLOB_USER_SEEN),
                               q->user);
    }

    have = 0;

    if (q->item != RECSYS_NO_INDEX) {
        have = recsys_query_take(
                   recsys_list_row(recsys_model_list(m,
                                                     RECSYS_BLOB_ITEM_NBRS),
                                   q->item),
                   seen, &skip, out, 0, need);

    } else if (q->user == RECSYS_NO_INDEX) {
        res->fallback = RECSYS_FALLBACK_POPULAR;
        have = recsys_query_fill_popular(m, seen, &skip, out, 0, need);

    } else {
        if (q->algo == RECSYS_Q_ITEMCF || q->algo == RECSYS_Q_HYBRID) {
            rc = recsys_query_itemcf(m, q, seen, &skip, a, out, need, &have);
            if (rc != RECSYS_OK) {
                return rc;
            }
        }

        if (q->algo == RECSYS_Q_HYBRID || q->algo == RECSYS_Q_POPULAR) {
            have = recsys_query_fill_popular(m, seen, &skip, out, have, need);
        }
    }

    if (have > q->offset) {
        res->items = out + q->offset;
        res->n = have - q->offset;
    }

    return RECSYS_OK;
}
