/*
 * recsys_session.c: a session scored in one walk over the model's session
 * list ("item.session", every blended item-to-item source in one row per
 * item), or over a single source's rows, with the popular and trending
 * priors for an anonymous one, or added to a known user's stored hybrid
 * list; the scores are a dense array (the worker's scratch or a zeroed one
 * from the allocator).  A hash table of only the items a request touches
 * (a visitor's 320 in 512 slots) gave the same answers at 3.8 us more per
 * request: its probes cost more than the dense array's scattered lines.
 */

#include <math.h>
#include <string.h>

#include "recsys_row.h"
#include "recsys_scratch.h"
#include "recsys_session.h"


static double *
recsys_session_scores(recsys_qctx_t *c)
{
    size_t             n;
    double            *score;

    n = (size_t) recsys_model_header(c->m)->n_items + 1;
    score = recsys_scratch_scores(c->q->scratch,
                                  recsys_model_header(c->m)->n_items);
    if (score != NULL) {
        return score;
    }

    score = c->a->alloc(c->a->ctx, n * sizeof(double));
    if (score != NULL) {
        memset(score, 0, n * sizeof(double));
    }

    return score;
}


/*
 * A row's entries times v, added to the scores.  Returns the
 * largest score an item reached during the adds (at least best) and lowers
 * *low to the smallest term added: when no term is negative a score only
 * grows, so the largest reached is the largest final score.
 */
static inline double
recsys_session_add_row(double *score, recsys_row_t row, double v, double best,
    double *low)
{
    double    t, s, lo;
    uint32_t  j, item;

    lo = *low;

    for (j = 0; j < row.n; j++) {
        item = recsys_row_item(row, j);
        t = v * (double) recsys_row_score(row, j);
        s = score[item] + t;
        score[item] = s;
        best = best > s ? best : s;
        lo = lo < t ? lo : t;
    }

    *low = lo;

    return best;
}


/* The largest score among a row's items that the filter keeps. */
static double
recsys_session_best(const double *score, recsys_row_t row,
    const recsys_filter_t *genre, double best)
{
    double    v;
    uint32_t  j, item;

    for (j = 0; j < row.n; j++) {
        item = recsys_row_item(row, j);
        v = score[item];

        if (v > best
            && (!recsys_filter_narrows(genre)
                || recsys_filter_pass(genre, item)))
        {
            best = v;
        }
    }

    return best;
}


/* The smallest sum that can still take a place (recsys_session_take). */
static inline double
recsys_session_vfloor(const recsys_topk_t *top, double scale)
{
    double  f;

    f = 0x1p-1074;      /* the smallest positive double */

    if (top->n == top->k && top->k > 0) {
        f = (double) top->heap[0].score * (1.0 - 1e-6) / scale;
        f = f > 0x1p-1074 ? f : 0x1p-1074;
    }

    return f;
}


/*
 * A candidate's sum v into the top list, its score v x scale; returns the
 * smallest sum that can still take a place after it.
 *
 * Most candidates have no place (read already, excluded, not positive, or
 * below the worst kept score once the list is full), and one comparison of
 * the sum itself, before any conversion, turns them away: vfloor is the
 * smallest positive double while the list has room, then the worst kept
 * score less a margin of 1e-6, over scale.  Below that, v x scale rounded
 * to a float is below the worst kept score (the margin is far above the
 * rounding of a double product and of a float), so the exact test, made
 * on what passes, decides the same as it would on every candidate.  The
 * one branch is well predicted, half the entries being repeats.
 */
static inline double
recsys_session_offer(recsys_topk_t *top, uint32_t item, double v,
    double scale, const recsys_filter_t *genre, double vfloor)
{
    recsys_scored_t  cand;

    if (!(v >= vfloor)) {
        return vfloor;
    }

    cand.item = item;
    cand.score = (float) (v * scale);

    if (top->n == top->k
        && (cand.score < top->heap[0].score
            || !recsys_scored_better(&cand, &top->heap[0])))
    {
        return vfloor;
    }

    if (recsys_filter_narrows(genre) && !recsys_filter_pass(genre, item)) {
        return vfloor;
    }

    recsys_topk_push(top, cand.item, cand.score);

    return recsys_session_vfloor(top, scale);
}


/*
 * The candidates of n rows' entries into the top list, their scores times
 * scale; each item's score is read once and put back to zero.
 */
static void
recsys_session_take(double *score, const recsys_row_t *rows, uint32_t n,
    double scale, const recsys_filter_t *genre, recsys_topk_t *top)
{
    double        v, vfloor;
    uint32_t      h, j, item;
    recsys_row_t  row;

    vfloor = recsys_session_vfloor(top, scale);

    for (h = 0; h < n; h++) {
        row = rows[h];      /* a copy: the stores below cannot change it */

        for (j = 0; j < row.n; j++) {
            item = recsys_row_item(row, j);
            v = score[item];
            score[item] = 0.0;
            vfloor = recsys_session_offer(top, item, v, scale, genre, vfloor);
        }
    }
}


/* The session's, the excluded and a known user's seen items' scores: v. */
static void
recsys_session_block(recsys_qctx_t *c, double *score, double v)
{
    uint32_t  j;

    for (j = 0; j < c->q->n_exclude; j++) {
        score[c->q->exclude[j]] = v;
    }

    for (j = 0; j < c->q->n_history; j++) {
        score[c->q->history[j]] = v;
    }

    for (j = 0; j < c->filter.seen.n; j++) {
        score[recsys_row_item(c->filter.seen, j)] = v;
    }
}


/* A row's items' scores back to zero. */
static void
recsys_session_clear(double *score, recsys_row_t row)
{
    uint32_t  j;

    for (j = 0; j < row.n; j++) {
        score[recsys_row_item(row, j)] = 0.0;
    }
}


/*
 * The popular and trending priors, added as in the full blend: weight /
 * their best x score over their first user_top items, in the session's
 * units (divided by scale).  A prior that adds nothing is emptied.
 */
static void
recsys_session_add_priors(double *score, recsys_row_t *prior,
    const float *w_prior, double scale)
{
    int       p;
    double    factor;
    uint32_t  j;

    for (p = 0; p < 2; p++) {
        if (prior[p].n == 0 || !(recsys_row_score(prior[p], 0) > 0.0f)) {
            prior[p].n = 0;
            continue;
        }

        factor = (double) w_prior[p] / recsys_row_score(prior[p], 0) / scale;

        for (j = 0; j < prior[p].n; j++) {
            score[recsys_row_item(prior[p], j)] +=
                factor * recsys_row_score(prior[p], j);
        }
    }
}


/*
 * The rows an anonymous session walks: the session list; with a single
 * blended source the builder writes none (it would be that source's rows
 * times c_s, which the scaling to the best cancels) and the source's own
 * rows are walked (*single = 1).  NULL: the model has neither.
 */
const recsys_list_t *
recsys_session_list(const recsys_model_t *m, int *single)
{
    recsys_row_t          scales;
    const recsys_list_t  *list;

    list = recsys_model_list(m, RECSYS_L_SESSION_SCALES);
    if (list == NULL) {
        return NULL;
    }

    scales = recsys_list_row(list, 0);

    if (single != NULL) {
        *single = 0;
    }

    if (recsys_model_list(m, RECSYS_L_SESSION) != NULL) {
        return recsys_model_list(m, RECSYS_L_SESSION);
    }

    if (scales.n != 1) {
        return NULL;
    }

    if (single != NULL) {
        *single = 1;
    }

    return recsys_model_source_list(m, RECSYS_L_ITEM_NBRS,
                                    (int) recsys_row_item(scales, 0));
}


/*
 * What a session's scores are added to: an anonymous session's popular
 * and trending priors (weight / their best x score over their first
 * user_top items), or a known user's stored hybrid list (the builder's
 * blend of their stored history, the user-based sources and the priors,
 * in the blend's units); and w_list, the sum of the blended sources'
 * weights, which the session's best item is scaled to.
 */
typedef struct {
    recsys_row_t  prior[2];
    float         w_prior[2];
    float         w_list;
    recsys_row_t  base;
} recsys_session_parts_t;


static void
recsys_session_parts(recsys_qctx_t *c, recsys_session_parts_t *pt)
{
    int           p, known;
    uint32_t      j, top_n;
    recsys_row_t  scales;

    /* the blended sources, as the builder listed them */
    scales = recsys_list_row(recsys_model_list(c->m, RECSYS_L_SESSION_SCALES),
                             0);
    pt->w_list = 0.0f;
    for (j = 0; j < scales.n; j++) {
        pt->w_list += c->weights[recsys_row_item(scales, j)];
    }

    known = c->q->user != RECSYS_NO_INDEX;
    pt->base = recsys_row_empty();

    if (known) {
        pt->base = recsys_list_row(recsys_model_list(c->m, RECSYS_L_HYBRID),
                                   c->q->user);
    }

    top_n = recsys_model_header(c->m)->user_top;

    for (p = 0; p < 2; p++) {
        pt->w_prior[p] = c->weights[p == 0 ? RECSYS_SRC_POPULAR
                                           : RECSYS_SRC_TRENDING];
        pt->prior[p] = recsys_row_empty();

        if (pt->w_prior[p] > 0.0f && !known) {
            pt->prior[p] = recsys_row_head(recsys_list_row(
                               recsys_model_list(c->m, p == 0
                                   ? RECSYS_L_POPULAR : RECSYS_L_TRENDING),
                               0), top_n);
        }
    }
}


/*
 * The smallest stored score s that can still take a place, for a floor
 * vfloor of the session's units: below it, s / scale is below vfloor (the
 * margin of 2^-40 is far above the rounding of the product and of the
 * quotient), so the offer turns s away without its division.  Minus
 * infinity, no such bound, while vfloor x scale is not a normal positive
 * double (the list has room: vfloor is the smallest positive one).
 */
static double
recsys_session_sfloor(double vfloor, double scale)
{
    double  p;

    p = vfloor * scale;

    return p >= 0x1p-1000 && p <= 0x1p+1000 ? p * (1.0 - 0x1p-40)
                                             : -HUGE_VAL;
}


/*
 * A known user's stored hybrid list, in the session's units (divided by
 * scale), added to the scores of the items that the session's rows scored
 * (a blocked item stays minus infinity).  An item that they left at zero
 * ends with its stored score alone: it is offered to the top list here and
 * never written, so no walk over the stored list needs to read it back
 * after the rows' (a row holds an item once, as the builder writes it).
 * The list is best first, so once the top list is full most of its items
 * are turned away before their division (recsys_session_sfloor).
 */
static void
recsys_session_add_base(double *score, recsys_row_t base, double scale,
    const recsys_filter_t *genre, recsys_topk_t *top)
{
    double    s, vfloor, sfloor, was;
    uint32_t  j, item;

    vfloor = recsys_session_vfloor(top, scale);
    sfloor = recsys_session_sfloor(vfloor, scale);

    for (j = 0; j < base.n; j++) {
        item = recsys_row_item(base, j);
        s = (double) recsys_row_score(base, j);

        if (score[item] != 0.0) {
            score[item] += s / scale;

        } else if (s >= sfloor) {
            was = vfloor;
            vfloor = recsys_session_offer(top, item, s / scale, scale, genre,
                                          vfloor);

            if (vfloor != was) {
                sfloor = recsys_session_sfloor(vfloor, scale);
            }
        }
    }
}


/*
 * The best need of the scored items into c->out, each score read once and
 * put back to zero, the blocked items' too; returns how many.
 */
static uint32_t
recsys_session_take_all(recsys_qctx_t *c, double *score,
    const recsys_row_t *rows, uint32_t n, const recsys_session_parts_t *pt,
    double scale, const recsys_filter_t *genre)
{
    int            p;
    double         bound;
    recsys_topk_t  top;

    recsys_topk_init(&top, c->out, c->need);

    /*
     * A known user's stored list: its items that no session row scored
     * go in first, so the list is full of good scores before the rows'
     * walk and most of their entries are turned away by one comparison.
     */
    recsys_session_add_base(score, pt->base, scale, genre, &top);
    recsys_session_take(score, rows, n, scale, genre, &top);

    /*
     * An item that only the priors scored has at most the sum of their
     * weights (each adds weight x score / its best).  Once the list is full
     * above that (with a margin for rounding), the priors' entries have no
     * place: their scores are only put back to zero.
     */
    bound = ((double) pt->w_prior[0] + pt->w_prior[1]) * (1.0 + 1e-6);

    for (p = 0; p < 2; p++) {
        if (top.n == top.k && top.k > 0 && top.heap[0].score > bound) {
            recsys_session_clear(score, pt->prior[p]);

        } else {
            recsys_session_take(score, &pt->prior[p], 1, scale, genre, &top);
        }
    }

    recsys_session_block(c, score, 0.0);    /* all zero again */

    return recsys_topk_sort(&top);
}


/*
 * A session with the default blend, over the model's session list (one
 * row per item that already blends the item-to-item sources,
 * recsys_build.c): S(i) = sum over the session items of weight x row_h(i),
 * over the first session_max_nbrs entries of each row (an even share of
 * session_nbrs, recsys_qctx_history).  S is scaled so that its best item
 * scores W, the sum of the blended sources' weights, as each source's best
 * would in the full blend.  An anonymous session adds the popular and
 * trending priors as the blend does; a known user's session is added to
 * their stored hybrid list, which holds their stored history's part (and
 * the user-based sources and the priors): the session's best item gets W,
 * the most that the list's item-to-item part gives an item, so the newest
 * items weigh as much as the whole stored history.  Session,
 * excluded and seen items are entered blocked (minus infinity) before
 * scoring, so no per-candidate filter runs but genre=.
 */
int
recsys_session_answer(recsys_qctx_t *c, const recsys_list_t *list)
{
    double                  best, low, scale, *score;
    uint32_t                h, n;
    recsys_row_t           *rows;
    recsys_filter_t         genre;
    recsys_session_parts_t  pt;

    recsys_session_parts(c, &pt);

    /* the session items' rows (a known user's stored history is in the
     * stored list): the bound's share is over them */
    n = c->n_session;

    rows = c->a->alloc(c->a->ctx, ((size_t) n + 1) * sizeof(recsys_row_t));
    score = recsys_session_scores(c);

    if (rows == NULL || score == NULL) {
        return RECSYS_ENOMEM;
    }

    /* every row the request reads, asked for at once: the misses overlap */
    recsys_row_prefetch(c->filter.seen, c->filter.seen.n);
    recsys_row_prefetch(pt.base, pt.base.n);

    for (h = 0; h < n; h++) {
        rows[h] = recsys_row_head(recsys_list_row(list,
                                      recsys_row_item(c->hist, h)),
                                  c->session_max_nbrs);
        recsys_row_prefetch(rows[h], rows[h].n);
    }

    /* blocked items: minus infinity stays so */
    recsys_session_block(c, score, -HUGE_VAL);

    best = 0.0;
    low = 0.0;

    for (h = 0; h < n; h++) {
        best = recsys_session_add_row(score, rows[h],
                                      recsys_row_score(c->hist, h), best, &low);
    }

    genre = c->filter;
    genre.skip = NULL;
    genre.seen = recsys_row_empty();

    if (low < 0.0 || recsys_filter_narrows(&genre)) {
        /* a negative term, or a genre filter: the best final score among
         * the items the filter keeps needs a pass */
        best = 0.0;

        for (h = 0; h < n; h++) {
            best = recsys_session_best(score, rows[h], &genre, best);
        }
    }

    if (!(best > 0.0)) {
        /* nothing scored: popular fills (a known user: the full blend) */
        for (h = 0; h < n; h++) {
            recsys_session_clear(score, rows[h]);
        }

        recsys_session_block(c, score, 0.0);    /* all zero again */
        return RECSYS_OK;
    }

    scale = pt.w_list / best;
    c->session_scale = scale;
    recsys_session_add_priors(score, pt.prior, pt.w_prior, scale);

    c->have = recsys_session_take_all(c, score, rows, n, &pt, scale, &genre);

    return RECSYS_OK;
}
