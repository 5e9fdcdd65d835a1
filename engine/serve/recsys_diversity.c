/*
 * recsys_diversity.c: the greedy re-ranking of recsys_diversity.h, done
 * lazily.
 *
 * A candidate's redundancy only grows as items are picked, so the value
 * it had when last computed is an upper bound of its value now.  The
 * candidates sit in a max-heap by that bound (ties: the better-ranked
 * first); the top is taken when its value is up to date, and otherwise
 * brought up to date against the picks made since (its genres as a
 * 64-bit set, genre g setting bit g mod 64: two popcounts a pick; one
 * walk of the first RECSYS_DIV_NBRS entries of its own content row, the
 * closest neighbours, tested against those picks) and sifted down.  This picks exactly what comparing every candidate at
 * every step would, but most candidates are never looked at again: when
 * popularity is what makes a candidate redundant, its first bound is its
 * value.
 */

#include <math.h>
#include <string.h>

#include "recsys_diversity.h"


#define RECSYS_DIV_NBRS  16         /* content neighbours looked at */


typedef struct {
    uint32_t                n;
    double                  lambda;
    double                  mix;        /* content's share of similarity */
    const recsys_scored_t  *items;
    const recsys_list_t    *genres;
    const recsys_list_t    *content;
    uint64_t               *mask;       /* per candidate: its genres */
    unsigned char          *state;      /* 1: mask made, 2: picked */
    double                 *rel;
    double                 *pop;        /* (share of users / the pool's
                                           largest) ^ 1/4 */
    double                 *sim;        /* largest similarity to the
                                           picks counted so far */
    double                 *bound;      /* value when last computed */
    uint32_t               *upto;       /* picks counted in sim */
    uint32_t               *heap;       /* candidates by bound */
    uint32_t                n_heap;
    uint32_t               *picked;
    uint32_t                n_picked;
} recsys_div_t;


static int
recsys_div_popcount(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;

    return (int) ((x * 0x0101010101010101ULL) >> 56);
}


/* Whether candidate a goes before b: a larger bound, then a better rank. */
static int
recsys_div_before(const recsys_div_t *d, uint32_t a, uint32_t b)
{
    if (d->bound[a] != d->bound[b]) {
        return d->bound[a] > d->bound[b];
    }

    return a < b;
}


static void
recsys_div_sift_down(recsys_div_t *d, uint32_t i)
{
    uint32_t  c, t;

    for ( ;; ) {
        c = 2 * i + 1;
        if (c >= d->n_heap) {
            return;
        }

        if (c + 1 < d->n_heap
            && recsys_div_before(d, d->heap[c + 1], d->heap[c]))
        {
            c++;
        }

        if (!recsys_div_before(d, d->heap[c], d->heap[i])) {
            return;
        }

        t = d->heap[c];
        d->heap[c] = d->heap[i];
        d->heap[i] = t;
        i = c;
    }
}


static double
recsys_div_value(const recsys_div_t *d, uint32_t j)
{
    double  red;

    /* redundant as what is picked, or as a much-shown item */
    red = d->sim[j] > d->pop[j] ? d->sim[j] : d->pop[j];

    return (1.0 - d->lambda) * d->rel[j] - d->lambda * red;
}


/* The content part: j's own neighbour score of a pick since upto[j]. */
static void
recsys_div_content(recsys_div_t *d, uint32_t j, double *content)
{
    float         top;
    uint32_t      e, k, n, item;
    uint64_t      bloom;
    recsys_row_t  row;

    bloom = 0;
    for (k = d->upto[j]; k < d->n_picked; k++) {
        bloom |= (uint64_t) 1 << (d->items[d->picked[k]].item & 63);
    }

    row = recsys_list_row(d->content, d->items[j].item);
    n = row.n < RECSYS_DIV_NBRS ? row.n : RECSYS_DIV_NBRS;
    top = n > 0 ? recsys_row_score(row, 0) : 0.0f;

    for (e = 0; e < n && top > 0.0f; e++) {
        item = recsys_row_item(row, e);

        if (!((bloom >> (item & 63)) & 1)) {
            continue;
        }

        for (k = d->upto[j]; k < d->n_picked; k++) {
            if (d->items[d->picked[k]].item == item) {
                content[k] = recsys_row_score(row, e) / top;
            }
        }
    }
}


/* j's genres as a set, made once. */
static void
recsys_div_mask(recsys_div_t *d, uint32_t j)
{
    uint32_t      g;
    recsys_row_t  row;

    if (d->state[j] != 0) {
        return;
    }

    row = recsys_list_row(d->genres, d->items[j].item);
    for (g = 0; g < row.n; g++) {
        d->mask[j] |= (uint64_t) 1 << (recsys_row_item(row, g) & 63);
    }

    d->state[j] = 1;
}


/*
 * Brings j's similarity up to date with the picks made since upto[j].  The
 * genre part comes first; the content row is walked only when a pick's
 * similarity could still raise j's redundancy (content counts at most
 * mix), which at high settings it seldom can.
 */
static void
recsys_div_refresh(recsys_div_t *d, uint32_t j)
{
    int       both, any, walk;
    double    cur, genre[RECSYS_DIVERSITY_MAX], content[RECSYS_DIVERSITY_MAX];
    uint32_t  k, p;

    recsys_div_mask(d, j);

    cur = d->sim[j] > d->pop[j] ? d->sim[j] : d->pop[j];
    walk = 0;

    for (k = d->upto[j]; k < d->n_picked; k++) {
        p = d->picked[k];
        both = recsys_div_popcount(d->mask[p] & d->mask[j]);
        any = recsys_div_popcount(d->mask[p] | d->mask[j]);
        genre[k] = (1.0 - d->mix) * (any > 0 ? (double) both / any : 0.0);
        content[k] = 0.0;
        walk |= genre[k] + d->mix > cur;
    }

    if (walk && d->content != NULL) {
        recsys_div_content(d, j, content);
    }

    for (k = d->upto[j]; k < d->n_picked; k++) {
        if (genre[k] + d->mix * content[k] > d->sim[j]) {
            d->sim[j] = genre[k] + d->mix * content[k];
        }
    }

    d->upto[j] = d->n_picked;
    d->bound[j] = recsys_div_value(d, j);
}


static int
recsys_div_init(recsys_div_t *d, const recsys_model_t *m,
    const recsys_scored_t *items, uint32_t n, float lambda,
    recsys_alloc_t *a)
{
    double    lo, hi, top;
    uint32_t  j;

    memset(d, 0, sizeof(recsys_div_t));
    d->n = n;
    d->lambda = lambda;
    d->items = items;
    d->genres = recsys_model_list(m, RECSYS_L_ITEM_GENRES);
    d->content = recsys_model_source_list(m, RECSYS_L_ITEM_NBRS,
                                          RECSYS_SRC_CONTENT);
    d->mix = d->content != NULL ? 0.5 : 0.0;
    d->mask = a->alloc(a->ctx, (size_t) n * sizeof(uint64_t));
    d->rel = a->alloc(a->ctx, (size_t) n * 4 * sizeof(double));
    d->upto = a->alloc(a->ctx, (size_t) n * 3 * sizeof(uint32_t));
    d->state = a->alloc(a->ctx, n);

    if (d->mask == NULL || d->rel == NULL || d->upto == NULL
        || d->state == NULL)
    {
        return RECSYS_ENOMEM;
    }

    memset(d->state, 0, n);

    d->pop = d->rel + n;
    d->sim = d->pop + n;
    d->bound = d->sim + n;
    d->heap = d->upto + n;
    d->picked = d->heap + n;

    lo = items[0].score;
    hi = items[0].score;
    top = 0.0;

    for (j = 0; j < n; j++) {
        d->pop[j] = recsys_model_item_share(m, items[j].item);
        top = d->pop[j] > top ? d->pop[j] : top;
        lo = items[j].score < lo ? items[j].score : lo;
        hi = items[j].score > hi ? items[j].score : hi;
    }

    for (j = 0; j < n; j++) {
        d->rel[j] = hi > lo ? (items[j].score - lo) / (hi - lo) : 1.0;
        d->pop[j] = top > 0.0 ? sqrt(sqrt(d->pop[j] / top)) : 0.0;
        d->mask[j] = 0;
        d->sim[j] = 0.0;
        d->upto[j] = 0;
        d->bound[j] = recsys_div_value(d, j);
        d->heap[j] = j;
    }

    d->n_heap = n;
    for (j = n / 2; j > 0; j--) {
        recsys_div_sift_down(d, j - 1);
    }

    return RECSYS_OK;
}


int
recsys_diversity_order(const recsys_model_t *m,
    const recsys_scored_t *items, uint32_t n, uint32_t pick, float lambda,
    recsys_alloc_t *a, uint32_t *order)
{
    uint32_t      k, j, top, all;
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

    if (recsys_div_init(&d, m, items, n, lambda, a) != RECSYS_OK) {
        return RECSYS_ENOMEM;
    }

    while (d.n_picked < pick) {
        top = d.heap[0];

        if (d.upto[top] < d.n_picked) {
            recsys_div_refresh(&d, top);
            recsys_div_sift_down(&d, 0);
            continue;
        }

        recsys_div_mask(&d, top);
        d.state[top] = 2;
        d.picked[d.n_picked++] = top;
        d.heap[0] = d.heap[--d.n_heap];
        recsys_div_sift_down(&d, 0);
    }

    /* the picks, then the others in their former order */
    for (k = 0; k < pick; k++) {
        order[k] = d.picked[k];
    }

    for (j = 0; j < n; j++) {
        if (d.state[j] != 2) {
            order[k++] = j;
        }
    }

    return RECSYS_OK;
}
