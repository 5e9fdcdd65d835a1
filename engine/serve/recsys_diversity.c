/*
 * recsys_diversity.c: the greedy re-ranking of recsys_diversity.h.
 *
 * Per candidate it keeps its relevance, its popularity term, its genres
 * as a 64-bit set (genre g sets bit g mod 64: exact for catalogues of up
 * to 64 genres, a coarser set beyond) and the largest similarity to any
 * picked item so far, updated once per pick: a genre Jaccard index per
 * remaining candidate (two popcounts), and the picked item's first
 * RECSYS_DIV_NBRS content neighbours put in a small open-addressing table
 * that each remaining candidate probes once.
 */

#include <math.h>
#include <string.h>

#include "recsys_diversity.h"
#include "recsys_hash.h"


#define RECSYS_DIV_NBRS   64        /* content neighbours of a pick */
#define RECSYS_DIV_SLOTS  128       /* their table: twice as many slots */


typedef struct {
    uint32_t                n;
    const recsys_scored_t  *items;
    const recsys_list_t    *content;
    uint64_t               *genres;     /* per candidate */
    double                 *rel;
    double                 *sim;        /* genre part of the largest
                                           similarity to the picked */
    double                 *csim;       /* content part */
    double                 *pop;        /* (share of users / the pool's
                                           largest) ^ 1/4 */
    unsigned char          *taken;
    recsys_entry_t          nbrs[RECSYS_DIV_SLOTS];
} recsys_div_t;


static int
recsys_div_popcount(uint64_t x)
{
#if defined(__GNUC__)
    return __builtin_popcountll(x);
#else
    int  n;

    for (n = 0; x != 0; n++) {
        x &= x - 1;
    }

    return n;
#endif
}


/* The picked item's content neighbours into d->nbrs, scaled to (0, 1]. */
static void
recsys_div_nbrs(recsys_div_t *d, uint32_t item)
{
    float         top;
    uint32_t      j, i, n;
    recsys_row_t  row;

    for (i = 0; i < RECSYS_DIV_SLOTS; i++) {
        d->nbrs[i].item = RECSYS_NO_INDEX;
    }

    row = recsys_list_row(d->content, item);
    n = row.n < RECSYS_DIV_NBRS ? row.n : RECSYS_DIV_NBRS;
    top = n > 0 ? recsys_row_score(row, 0) : 0.0f;

    for (j = 0; j < n && top > 0.0f; j++) {
        for (i = recsys_hash_u32(recsys_row_item(row, j))
                 & (RECSYS_DIV_SLOTS - 1);
             d->nbrs[i].item != RECSYS_NO_INDEX;
             i = (i + 1) & (RECSYS_DIV_SLOTS - 1))
        {
            /* void */
        }

        d->nbrs[i].item = recsys_row_item(row, j);
        d->nbrs[i].score = recsys_row_score(row, j) / top;
    }
}


/* The scaled content score of item in d->nbrs, 0 when it is not there. */
static double
recsys_div_nbr(const recsys_div_t *d, uint32_t item)
{
    uint32_t  i;

    for (i = recsys_hash_u32(item) & (RECSYS_DIV_SLOTS - 1);
         d->nbrs[i].item != RECSYS_NO_INDEX;
         i = (i + 1) & (RECSYS_DIV_SLOTS - 1))
    {
        if (d->nbrs[i].item == item) {
            return d->nbrs[i].score;
        }
    }

    return 0.0;
}


/* The largest similarities of the remaining candidates, after p's pick. */
static void
recsys_div_update(recsys_div_t *d, uint32_t p)
{
    int       both, any;
    double    v;
    uint32_t  j;

    if (d->content != NULL) {
        recsys_div_nbrs(d, d->items[p].item);
    }

    for (j = 0; j < d->n; j++) {
        if (d->taken[j]) {
            continue;
        }

        both = recsys_div_popcount(d->genres[p] & d->genres[j]);
        any = recsys_div_popcount(d->genres[p] | d->genres[j]);
        v = any > 0 ? (double) both / any : 0.0;

        if (v > d->sim[j]) {
            d->sim[j] = v;
        }

        if (d->content != NULL) {
            v = recsys_div_nbr(d, d->items[j].item);
            if (v > d->csim[j]) {
                d->csim[j] = v;
            }
        }
    }
}


static int
recsys_div_init(recsys_div_t *d, const recsys_model_t *m,
    const recsys_scored_t *items, uint32_t n, recsys_alloc_t *a)
{
    double                lo, hi, top;
    uint32_t              j, g;
    recsys_row_t          row;
    const recsys_list_t  *genres;

    d->n = n;
    d->items = items;
    d->content = recsys_model_source_list(m, RECSYS_L_ITEM_NBRS,
                                          RECSYS_SRC_CONTENT);
    d->genres = a->alloc(a->ctx, (size_t) n * sizeof(uint64_t));
    d->rel = a->alloc(a->ctx, (size_t) n * 4 * sizeof(double));
    d->taken = a->alloc(a->ctx, n);

    if (d->genres == NULL || d->rel == NULL || d->taken == NULL) {
        return RECSYS_ENOMEM;
    }

    d->sim = d->rel + n;
    d->csim = d->sim + n;
    d->pop = d->csim + n;
    memset(d->sim, 0, (size_t) n * 2 * sizeof(double));
    memset(d->taken, 0, n);

    genres = recsys_model_list(m, RECSYS_L_ITEM_GENRES);
    lo = items[0].score;
    hi = items[0].score;
    top = 0.0;

    for (j = 0; j < n; j++) {
        row = recsys_list_row(genres, items[j].item);
        d->genres[j] = 0;

        for (g = 0; g < row.n; g++) {
            d->genres[j] |= (uint64_t) 1 << (recsys_row_item(row, g) & 63);
        }

        d->pop[j] = recsys_model_item_share(m, items[j].item);
        top = d->pop[j] > top ? d->pop[j] : top;
        lo = items[j].score < lo ? items[j].score : lo;
        hi = items[j].score > hi ? items[j].score : hi;
    }

    for (j = 0; j < n; j++) {
        d->rel[j] = hi > lo ? (items[j].score - lo) / (hi - lo) : 1.0;
        d->pop[j] = top > 0.0 ? sqrt(sqrt(d->pop[j] / top)) : 0.0;
    }

    return RECSYS_OK;
}


int
recsys_diversity_order(const recsys_model_t *m,
    const recsys_scored_t *items, uint32_t n, uint32_t pick, float lambda,
    recsys_alloc_t *a, uint32_t *order)
{
    double        v, best, mix;
    uint32_t      k, j, b, all;
    recsys_div_t  d;

    all = n;
    if (n > RECSYS_DIVERSITY_MAX) {
        n = RECSYS_DIVERSITY_MAX;
    }

    if (pick > n) {
        pick = n;
    }

    for (j = 0; j < all; j++) {
        order[j] = j;
    }

    if (pick < 2 || !(lambda > 0.0f)) {
        return RECSYS_OK;
    }

    if (recsys_div_init(&d, m, items, n, a) != RECSYS_OK) {
        return RECSYS_ENOMEM;
    }

    /* genres and content share the similarity when both exist */
    mix = d.content != NULL ? 0.5 : 0.0;

    for (k = 0; k < pick; k++) {
        b = n;
        best = 0.0;

        for (j = 0; j < n; j++) {
            if (d.taken[j]) {
                continue;
            }

            /* redundant as what is picked, or as a much-shown item */
            v = (1.0 - mix) * d.sim[j] + mix * d.csim[j];
            v = v > d.pop[j] ? v : d.pop[j];
            v = (1.0 - lambda) * d.rel[j] - lambda * v;

            if (b == n || v > best) {
                b = j;
                best = v;
            }
        }

        d.taken[b] = 1;
        order[k] = b;

        if (k + 1 < pick) {
            recsys_div_update(&d, b);
        }
    }

    for (j = 0; j < n; j++) {
        if (!d.taken[j]) {
            order[k++] = j;
        }
    }

    return RECSYS_OK;
}
