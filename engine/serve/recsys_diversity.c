/*
 * recsys_diversity.c: the greedy re-ranking of recsys_diversity.h, done
 * lazily.
 *
 * A candidate's redundancy only grows as items are picked, so the value
 * it had when last computed is an upper bound of its value now.  The
 * candidates are the leaves of a tournament tree by that bound (each inner
 * node holds the better of its two children's winners and its bound; ties
 * go to the better-ranked, which is always the left one); the winner is
 * taken when its value is up to date, and otherwise brought up to date
 * against the picks made since (its genres as a 64-bit set, genre g
 * setting bit g mod 64, made when the model opened:
 * recsys_model_item_facts; one walk of the first RECSYS_DIV_NBRS entries
 * of its own content row, the closest neighbours, tested against a 64-bit
 * filter of all the picks, then against those made since) and its path to
 * the root played again, after which the winner is looked at anew.  This
 * picks exactly what comparing every candidate at every step would, but
 * most candidates are never looked at again: when popularity is what
 * makes a candidate redundant, its first bound is its value.  Redundancy
 * is kept as one number per candidate, the larger of its popularity and
 * its similarity to the picks so far.
 */

#include <math.h>
#include <string.h>

#include "recsys_diversity.h"


#define RECSYS_DIV_NBRS  16         /* content neighbours looked at (at
                                       most 32: one bit each) */
#define RECSYS_DIV_LOCAL  512      /* words of the stack block (4 KiB) */


typedef struct {
    uint32_t                n;
    uint32_t                leaves;     /* a power of 2, at least n */
    double                  lambda;
    double                  mix;        /* content's share of similarity */
    const recsys_scored_t  *items;
    const recsys_item_facts_t  *facts;  /* per item: genres, popularity */
    const recsys_list_t    *content;
    double                  lo;         /* the lowest score */
    double                  span;       /* the highest - lo, or 0 */
    double                  per_span;   /* 1 / span, or 0: relevance is
                                           (score - lo) x per_span, one
                                           multiply where a quotient per
                                           candidate would cost more */
    double                 *red;        /* max(popularity, similarity to
                                           the picks counted so far) */
    double                 *val;        /* per node: its winner's bound,
                                           the leaves' own at leaves + j */
    double                 *bound;      /* val + leaves: per leaf, the value
                                           when last computed, -HUGE_VAL
                                           once picked (and past n) */
    uint64_t               *mask;       /* per pick: its genres */
    uint64_t                bloom;      /* bit item mod 64 of each pick */
    uint32_t               *upto;       /* picks counted in red */
    uint32_t               *win;        /* the tree: inner node i's winner
                                           (1 to leaves - 1); leaf j is
                                           node leaves + j, its own; each
                                           with its bound in val, so a
                                           replay reads no bound through a
                                           winner it has just loaded */
    uint32_t               *picked;     /* per pick: its item */
    uint32_t                n_picked;
    unsigned char          *state;      /* 2: picked */
    unsigned char          *bits;       /* per pick: bits of mask */
} recsys_div_t;


/*
 * The set bits of x, counted without a branch (the counts of 2, 4 and 8
 * bits, then one multiply adds the bytes): a loop over the bits would
 * mispredict at its end on every call.
 */
static int
recsys_div_bits(uint64_t x)
{
    x -= (x >> 1) & 0x5555555555555555ull;
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;

    return (int) ((x * 0x0101010101010101ull) >> 56);
}


/*
 * Plays leaf j's path to the root again after its bound changed: at each
 * node the better of the path's winner so far and the sibling's (a right
 * one wins only when it is greater: ties go to the left, better-ranked
 * one), chosen without a branch.
 */
static void
recsys_div_replay(recsys_div_t *d, uint32_t j)
{
    int        ours;
    double     v, o;
    uint32_t   i, s, wj, ws, leaves;
    uint32_t  *w;
    double    *val;

    w = d->win;
    val = d->val;
    leaves = d->leaves;

    /* the lowest inner node's children are leaves: their own winners */
    i = leaves + j;
    v = val[i];
    wj = j;

    for ( ;; ) {
        s = i ^ 1;
        o = val[s];
        ws = s >= leaves ? s - leaves : w[s];

        /* a right one wins when greater, a left one ties too */
        ours = (i & 1) ? v > o : !(o > v);
        wj = ours ? wj : ws;
        v = ours ? v : o;

        i >>= 1;
        w[i] = wj;
        val[i] = v;

        if (i == 1) {
            return;
        }
    }
}


static double
recsys_div_value(const recsys_div_t *d, uint32_t j)
{
    double  rel;

    rel = d->span > 0.0 ? (d->items[j].score - d->lo) * d->per_span : 1.0;

    return (1.0 - d->lambda) * rel - d->lambda * d->red[j];
}


/*
 * The genre part of the similarity of the k-th pick and a candidate whose
 * genres are mask, bits of them.
 */
static double
recsys_div_genre(const recsys_div_t *d, uint32_t k, uint64_t mask, int bits)
{
    int  both, any;

    if ((d->mask[k] & mask) == 0) {
        return 0.0;
    }

    both = recsys_div_bits(d->mask[k] & mask);
    any = d->bits[k] + bits - both;

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
    int                   bits;
    float                 top;
    double                v;
    uint32_t              i, k, n, item, hits;
    uint64_t              bloom, mask;
    recsys_row_t          row;
    const unsigned char  *e;

    row = recsys_list_row(d->content, d->items[j].item);
    n = row.n < RECSYS_DIV_NBRS ? row.n : RECSYS_DIV_NBRS;
    top = n > 0 ? recsys_row_score(row, 0) : 0.0f;

    if (!(top > 0.0f)) {
        return best;
    }

    /* the entries the pick filter lets through, as bits, without a
       branch per entry: most walks find none */
    bloom = d->bloom;
    hits = 0;

    for (i = 0; i < n; i++) {
        item = recsys_get_u32(row.p + (size_t) i * sizeof(recsys_entry_t));
        hits |= (uint32_t) ((bloom >> (item & 63)) & 1) << i;
    }

    mask = d->facts[d->items[j].item].genres;
    bits = recsys_div_bits(mask);

    while (hits != 0) {
        /* the lowest hit: its index is the count of the bits below it */
        i = (uint32_t) recsys_div_bits((hits & (0u - hits)) - 1);
        hits &= hits - 1;
        e = row.p + (size_t) i * sizeof(recsys_entry_t);
        item = recsys_get_u32(e);

        for (k = d->upto[j]; k < d->n_picked; k++) {
            if (d->picked[k] == item) {
                v = recsys_div_genre(d, k, mask, bits)
                    + d->mix * (double) (recsys_get_f32(e + 4) / top);
                best = v > best ? v : best;
            }
        }
    }

    return best;
}


/*
 * Brings j's redundancy up to date with the picks made since upto[j].  The
 * genre part comes first: the largest Jaccard index, found by comparing
 * the fractions (a rounded quotient never falls as the exact one rises,
 * so dividing once gives the same number as dividing each time); the
 * content row is walked only when a pick's similarity could still raise
 * j's redundancy (content counts at most mix), which at high settings it
 * seldom can.
 */
static void
recsys_div_refresh(recsys_div_t *d, uint32_t j)
{
    int       bits, both, any, top_both, top_any, better;
    double    best, gmax;
    uint32_t  k;
    uint64_t  mask;

    mask = d->facts[d->items[j].item].genres;
    bits = recsys_div_bits(mask);
    top_both = 0;
    top_any = 1;

    /*
     * Without a branch on the data: a pick with no genre in common has
     * both = 0, which never beats the best so far (any >= 0, top_any >= 1),
     * and the better fraction is chosen by selection, not by a jump.
     */
    for (k = d->upto[j]; k < d->n_picked; k++) {
        both = recsys_div_bits(d->mask[k] & mask);
        any = d->bits[k] + bits - both;
        better = both * top_any > top_both * any;
        top_both = better ? both : top_both;
        top_any = better ? any : top_any;
    }

    gmax = (1.0 - d->mix) * (top_both > 0 ? (double) top_both / top_any
                                          : 0.0);
    best = gmax > d->red[j] ? gmax : d->red[j];

    if (d->content != NULL && gmax + d->mix > best) {
        best = recsys_div_content(d, j, best);
    }

    d->red[j] = best;
    d->upto[j] = d->n_picked;
}


/*
 * d's arrays for n candidates, pick of them picked, in one block: the
 * caller's `local` (RECSYS_DIV_LOCAL words) when they fit, as they do for
 * pages of up to 10 or so (no request memory taken), else from the
 * allocator; RECSYS_ENOMEM when none.
 */
static int
recsys_div_alloc(recsys_div_t *d, uint32_t n, uint32_t pick,
    recsys_alloc_t *a, uint64_t *local)
{
    size_t          leaves, size;
    unsigned char  *p;

    for (leaves = 1; leaves < n; leaves *= 2) {
        /* void */
    }

    size = (n + 2 * leaves + pick) * sizeof(double)
           + (n + pick + leaves) * sizeof(uint32_t) + n + pick;

    p = size <= RECSYS_DIV_LOCAL * sizeof(uint64_t)
        ? (unsigned char *) local : a->alloc(a->ctx, size);
    if (p == NULL) {
        return RECSYS_ENOMEM;
    }

    d->leaves = (uint32_t) leaves;
    d->red = (double *) p;
    d->val = d->red + n;
    d->bound = d->val + leaves;
    d->mask = (uint64_t *) (d->bound + leaves);
    d->upto = (uint32_t *) (d->mask + pick);
    d->picked = d->upto + n;
    d->win = d->picked + pick;
    d->state = (unsigned char *) (d->win + leaves);
    d->bits = d->state + n;

    memset(d->upto, 0, n * sizeof(uint32_t));
    memset(d->state, 0, n);

    return RECSYS_OK;
}


/*
 * The first bounds (the values before any pick) and the tree over them;
 * red[] holds the popularity shares, top the largest.
 */
static void
recsys_div_build(recsys_div_t *d, double top)
{
    double                  keep, lam, lo, span, per_span, per_top, *red,
                           *bound, *val;
    uint32_t                j, i, l, r, n, leaves, *win;
    const recsys_scored_t  *items;

    n = d->n;
    items = d->items;
    red = d->red;
    bound = d->bound;
    val = d->val;
    win = d->win;
    leaves = d->leaves;
    keep = 1.0 - d->lambda;
    lam = d->lambda;
    lo = d->lo;
    span = d->span;
    per_span = d->per_span;

    per_top = top > 0.0 ? 1.0 / top : 0.0;

    if (span > 0.0 && top > 0.0) {
        /* the usual case, without a test per candidate */
        for (j = 0; j < n; j++) {
            red[j] = red[j] * per_top;
            bound[j] = keep * ((items[j].score - lo) * per_span)
                       - lam * red[j];
        }

    } else {
        for (j = 0; j < n; j++) {
            red[j] = red[j] * per_top;
            bound[j] = recsys_div_value(d, j);
        }
    }

    for (j = n; j < leaves; j++) {
        bound[j] = -HUGE_VAL;
    }

    /* leaves >= 2: the lowest inner nodes hold leaves */
    for (i = leaves - 1; i >= leaves / 2; i--) {
        l = 2 * i - leaves;
        r = l + 1;
        win[i] = bound[r] > bound[l] ? r : l;
        val[i] = bound[win[i]];
    }

    for ( /* void */ ; i > 0; i--) {
        l = win[2 * i];
        r = win[2 * i + 1];
        win[i] = bound[r] > bound[l] ? r : l;
        val[i] = bound[win[i]];
    }
}


static int
recsys_div_init(recsys_div_t *d, const recsys_model_t *m,
    const recsys_scored_t *items, uint32_t n, uint32_t pick, float lambda,
    recsys_alloc_t *a, uint64_t *local)
{
    float         sc, lo, hi;       /* exact as doubles: kept as floats */
    double        top, q, *red;
    uint32_t      j;

    memset(d, 0, sizeof(recsys_div_t));
    d->n = n;
    d->lambda = lambda;
    d->items = items;
    d->facts = recsys_model_item_facts(m);
    d->content = recsys_model_source_list(m, RECSYS_L_ITEM_NBRS,
                                          RECSYS_SRC_CONTENT);
    d->mix = d->content != NULL ? 0.5 : 0.0;

    if (recsys_div_alloc(d, n, pick, a, local) != RECSYS_OK) {
        return RECSYS_ENOMEM;
    }

    /* the items are the model's (the path answered them) */
    red = d->red;
    lo = items[0].score;
    hi = items[0].score;
    top = 0.0;

    for (j = 0; j < n; j++) {
        q = d->facts[items[j].item].pop;
        sc = items[j].score;
        red[j] = q;
        top = q > top ? q : top;
        lo = sc < lo ? sc : lo;
        hi = sc > hi ? sc : hi;
    }

    d->lo = lo;
    d->span = hi > lo ? (double) hi - (double) lo : 0.0;
    d->per_span = d->span > 0.0 ? 1.0 / d->span : 0.0;

    recsys_div_build(d, top);

    return RECSYS_OK;
}


int
recsys_diversity_order(const recsys_model_t *m,
    const recsys_scored_t *items, uint32_t n, uint32_t pick, float lambda,
    recsys_alloc_t *a, uint32_t *order, uint32_t len)
{
    uint32_t      k, j, top;
    uint64_t      local[RECSYS_DIV_LOCAL];
    recsys_div_t  d;

    if (n > RECSYS_DIVERSITY_MAX) {
        n = RECSYS_DIVERSITY_MAX;
    }

    if (pick > n) {
        pick = n;
    }

    if (pick < 2 || !(lambda > 0.0f)) {
        for (j = 0; j < len; j++) {
            order[j] = j;
        }

        return RECSYS_OK;
    }

    if (recsys_div_init(&d, m, items, n, pick, lambda, a, local)
        != RECSYS_OK)
    {
        return RECSYS_ENOMEM;
    }

    while (d.n_picked < pick) {
        top = d.win[1];

        if (d.state[top] == 2) {
            break;                  /* scores that are not numbers */
        }

        if (d.upto[top] < d.n_picked) {
            /* up to date, it is taken next time if it still wins */
            recsys_div_refresh(&d, top);
            d.bound[top] = recsys_div_value(&d, top);
            recsys_div_replay(&d, top);
            continue;
        }

        d.state[top] = 2;
        d.mask[d.n_picked] = d.facts[items[top].item].genres;
        d.bits[d.n_picked] = (unsigned char)
                             recsys_div_bits(d.mask[d.n_picked]);
        d.bloom |= (uint64_t) 1 << (items[top].item & 63);
        d.picked[d.n_picked] = items[top].item;
        order[d.n_picked++] = top;

        if (d.n_picked < pick) {
            d.bound[top] = -HUGE_VAL;
            recsys_div_replay(&d, top);
        }
    }

    /* the picks, then the others in their former order */
    k = d.n_picked;

    for (j = 0; j < n && k < len; j++) {
        if (d.state[j] != 2) {
            order[k++] = j;
        }
    }

    for (j = n; j < len; j++) {
        order[j] = j;
    }

    return RECSYS_OK;
}
