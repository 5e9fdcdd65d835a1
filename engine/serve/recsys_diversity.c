/*
 * recsys_diversity.c: the greedy re-ranking of recsys_diversity.h, done
 * lazily.
 *
 * A candidate's redundancy only grows as items are picked, so the value
 * it had when last computed is an upper bound of its value now.  The
 * candidates are the leaves of a tournament tree by that bound (each inner
 * node holds the better of its two children's winners; ties go to the
 * better-ranked, which is always the left one); the winner is taken when
 * its value is up to date, and otherwise brought up to date against the
 * picks made since (its genres as a 64-bit set, genre g setting bit g
 * mod 64; one walk of the first RECSYS_DIV_NBRS entries of its own content
 * row, the closest neighbours, tested against those picks) and its path
 * to the root played again.  This picks exactly what comparing every
 * candidate at every step would, but most candidates are never looked at
 * again: when popularity is what makes a candidate redundant, its first
 * bound is its value.  Redundancy is kept as one number per candidate,
 * the larger of its popularity and its similarity to the picks so far.
 */

#include <math.h>
#include <string.h>

#include "recsys_diversity.h"


#define RECSYS_DIV_NBRS  16         /* content neighbours looked at */


typedef struct {
    uint32_t                n;
    uint32_t                leaves;     /* a power of 2, at least n */
    double                  lambda;
    double                  mix;        /* content's share of similarity */
    const recsys_scored_t  *items;
    const recsys_list_t    *genres;
    const recsys_list_t    *content;
    double                 *rel;
    double                 *red;        /* max(popularity, similarity to
                                           the picks counted so far) */
    double                 *bound;      /* per leaf: the value when last
                                           computed, -HUGE_VAL once
                                           picked (and past n) */
    uint64_t               *mask;       /* per candidate: its genres */
    uint32_t               *upto;       /* picks counted in red */
    uint32_t               *win;        /* the tree: node i's winner, the
                                           leaves from leaves on */
    uint32_t               *picked;
    uint32_t                n_picked;
    unsigned char          *state;      /* 1: mask made, 2: picked */
    unsigned char          *bits;       /* per candidate: bits of mask */
} recsys_div_t;


/* The set bits of x, which has few of them (a handful of genres). */
static int
recsys_div_bits(uint64_t x)
{
    int  n;

    for (n = 0; x != 0; n++) {
        x &= x - 1;
    }

    return n;
}


/* Plays leaf j's path to the root again after its bound changed. */
static void
recsys_div_replay(recsys_div_t *d, uint32_t j)
{
    uint32_t       i, a, b;
    uint32_t      *w;
    const double  *bound;

    w = d->win;
    bound = d->bound;

    for (i = (d->leaves + j) >> 1; i > 0; i >>= 1) {
        a = w[2 * i];
        b = w[2 * i + 1];
        w[i] = bound[b] > bound[a] ? b : a;
    }
}


/*
 * Whether leaf j, the winner at every node of its path before its bound
 * fell, still beats each sibling on that path: the tree then stands as it
 * is.
 */
static int
recsys_div_holds(const recsys_div_t *d, uint32_t j)
{
    uint32_t  i, o;

    for (i = d->leaves + j; i > 1; i >>= 1) {
        o = d->win[i ^ 1];

        /* a right child's sibling is better-ranked: it wins ties */
        if ((i & 1) ? !(d->bound[j] > d->bound[o])
                    : d->bound[o] > d->bound[j])
        {
            return 0;
        }
    }

    return 1;
}


static double
recsys_div_value(const recsys_div_t *d, uint32_t j)
{
    return (1.0 - d->lambda) * d->rel[j] - d->lambda * d->red[j];
}


/* The genre part of the similarity of candidates p and j (masks made). */
static double
recsys_div_genre(const recsys_div_t *d, uint32_t p, uint32_t j)
{
    int  both, any;

    if ((d->mask[p] & d->mask[j]) == 0) {
        return 0.0;
    }

    both = recsys_div_bits(d->mask[p] & d->mask[j]);
    any = d->bits[p] + d->bits[j] - both;

    return (1.0 - d->mix) * (any > 0 ? (double) both / any : 0.0);
}


/*
 * The content part: for each pick since upto[j] that is among the first
 * neighbours of j's own content row, its genre part plus mix x its
 * neighbour score (divided by the row's best); the largest of them, or
 * best when none is larger.
 */
static double
recsys_div_content(const recsys_div_t *d, uint32_t j, double best)
{
    float                 top;
    double                v;
    uint32_t              k, n, item;
    uint64_t              bloom;
    recsys_row_t          row;
    const unsigned char  *e, *end;

    row = recsys_list_row(d->content, d->items[j].item);
    n = row.n < RECSYS_DIV_NBRS ? row.n : RECSYS_DIV_NBRS;
    top = n > 0 ? recsys_row_score(row, 0) : 0.0f;

    if (!(top > 0.0f)) {
        return best;
    }

    bloom = 0;
    for (k = d->upto[j]; k < d->n_picked; k++) {
        bloom |= (uint64_t) 1 << (d->items[d->picked[k]].item & 63);
    }

    end = row.p + (size_t) n * sizeof(recsys_entry_t);

    for (e = row.p; e < end; e += sizeof(recsys_entry_t)) {
        item = recsys_get_u32(e);

        if (((bloom >> (item & 63)) & 1) == 0) {
            continue;
        }

        for (k = d->upto[j]; k < d->n_picked; k++) {
            if (d->items[d->picked[k]].item == item) {
                v = recsys_div_genre(d, d->picked[k], j)
                    + d->mix * (double) (recsys_get_f32(e + 4) / top);
                best = v > best ? v : best;
            }
        }
    }

    return best;
}


/* j's genres as a set, made once. */
static void
recsys_div_mask(recsys_div_t *d, uint32_t j)
{
    uint32_t      g;
    uint64_t      mask;
    recsys_row_t  row;

    if (d->state[j] != 0) {
        return;
    }

    mask = 0;
    row = recsys_list_row(d->genres, d->items[j].item);
    for (g = 0; g < row.n; g++) {
        mask |= (uint64_t) 1 << (recsys_row_item(row, g) & 63);
    }

    d->mask[j] = mask;
    d->bits[j] = (unsigned char) recsys_div_bits(mask);
    d->state[j] = 1;
}


/*
 * Brings j's redundancy up to date with the picks made since upto[j].  The
 * genre part comes first; the content row is walked only when a pick's
 * similarity could still raise j's redundancy (content counts at most
 * mix), which at high settings it seldom can.
 */
static void
recsys_div_refresh(recsys_div_t *d, uint32_t j)
{
    double    best, g, gmax;
    uint32_t  k;

    recsys_div_mask(d, j);

    gmax = 0.0;

    for (k = d->upto[j]; k < d->n_picked; k++) {
        g = recsys_div_genre(d, d->picked[k], j);
        gmax = g > gmax ? g : gmax;
    }

    best = gmax > d->red[j] ? gmax : d->red[j];

    if (d->content != NULL && gmax + d->mix > best) {
        best = recsys_div_content(d, j, best);
    }

    d->red[j] = best;
    d->upto[j] = d->n_picked;
}


/* d's arrays for n candidates in one block; RECSYS_ENOMEM when none. */
static int
recsys_div_alloc(recsys_div_t *d, uint32_t n, recsys_alloc_t *a)
{
    size_t          leaves;
    unsigned char  *p;

    for (leaves = 1; leaves < n; leaves *= 2) {
        /* void */
    }

    p = a->alloc(a->ctx, (n * 3 + leaves) * sizeof(double)
                         + (n * 2 + leaves * 2) * sizeof(uint32_t) + n * 2);
    if (p == NULL) {
        return RECSYS_ENOMEM;
    }

    d->leaves = (uint32_t) leaves;
    d->rel = (double *) p;
    d->red = d->rel + n;
    d->bound = d->red + n;
    d->mask = (uint64_t *) (d->bound + leaves);
    d->upto = (uint32_t *) (d->mask + n);
    d->picked = d->upto + n;
    d->win = d->picked + n;
    d->state = (unsigned char *) (d->win + leaves * 2);
    d->bits = d->state + n;

    memset(d->upto, 0, n * sizeof(uint32_t));
    memset(d->state, 0, n);

    return RECSYS_OK;
}


static int
recsys_div_init(recsys_div_t *d, const recsys_model_t *m,
    const recsys_scored_t *items, uint32_t n, float lambda,
    recsys_alloc_t *a)
{
    int           span;
    float         sc;
    double        lo, hi, top, q, keep, lam, *rel, *red, *bound;
    uint32_t      j, i, l, r, leaves, *win;
    const float  *share;

    memset(d, 0, sizeof(recsys_div_t));
    d->n = n;
    d->lambda = lambda;
    d->items = items;
    d->genres = recsys_model_list(m, RECSYS_L_ITEM_GENRES);
    d->content = recsys_model_source_list(m, RECSYS_L_ITEM_NBRS,
                                          RECSYS_SRC_CONTENT);
    d->mix = d->content != NULL ? 0.5 : 0.0;

    if (recsys_div_alloc(d, n, a) != RECSYS_OK) {
        return RECSYS_ENOMEM;
    }

    /* the items are the model's (the path answered them) */
    share = recsys_model_item_pop(m);
    rel = d->rel;
    red = d->red;
    bound = d->bound;
    win = d->win;
    leaves = d->leaves;
    lo = items[0].score;
    hi = items[0].score;
    top = 0.0;

    for (j = 0; j < n; j++) {
        q = share[items[j].item];
        sc = items[j].score;
        red[j] = q;
        top = q > top ? q : top;
        lo = sc < lo ? sc : lo;
        hi = sc > hi ? sc : hi;
    }

    keep = 1.0 - d->lambda;
    lam = d->lambda;
    span = hi > lo;

    for (j = 0; j < n; j++) {
        rel[j] = span ? (items[j].score - lo) / (hi - lo) : 1.0;
        red[j] = top > 0.0 ? red[j] / top : 0.0;
        bound[j] = keep * rel[j] - lam * red[j];
        win[leaves + j] = j;
    }

    for (j = n; j < leaves; j++) {
        bound[j] = -HUGE_VAL;
        win[leaves + j] = j;
    }

    for (i = leaves - 1; i > 0; i--) {
        l = win[2 * i];
        r = win[2 * i + 1];
        win[i] = bound[r] > bound[l] ? r : l;
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

    if (pick < 2 || !(lambda > 0.0f)) {
        for (j = 0; j < all; j++) {
            order[j] = j;
        }

        return RECSYS_OK;
    }

    if (recsys_div_init(&d, m, items, n, lambda, a) != RECSYS_OK) {
        return RECSYS_ENOMEM;
    }

    while (d.n_picked < pick) {
        top = d.win[1];

        if (d.state[top] == 2) {
            break;                  /* scores that are not numbers */
        }

        if (d.upto[top] < d.n_picked) {
            recsys_div_refresh(&d, top);
            d.bound[top] = recsys_div_value(&d, top);

            if (!recsys_div_holds(&d, top)) {
                recsys_div_replay(&d, top);
                continue;
            }
        }

        recsys_div_mask(&d, top);
        d.state[top] = 2;
        d.picked[d.n_picked++] = top;
        d.bound[top] = -HUGE_VAL;
        recsys_div_replay(&d, top);
    }

    /* the picks, then the others in their former order */
    for (k = 0; k < d.n_picked; k++) {
        order[k] = d.picked[k];
    }

    for (j = 0; j < n; j++) {
        if (d.state[j] != 2) {
            order[k++] = j;
        }
    }

    for (j = n; j < all; j++) {
        order[j] = j;
    }

    return RECSYS_OK;
}
