/*
 * recsys_explain.c: explain=1, why each result was recommended: every
 * source's share of its score (contributions) and the history items that
 * earned it most credit (because), computed from the same lists the
 * answer came from, or read from the builder's stored explanations when
 * the model has them for the answer.
 */

#include <string.h>

#include "recsys_explain.h"
#include "recsys_hash.h"
#include "recsys_hybrid.h"
#include "recsys_row.h"
#include "recsys_session.h"


/*
 * The result items as a small map from item to position, with a 256-bit
 * filter in front so that walking a list costs a few instructions per
 * entry that is not a result.
 */
typedef struct {
    uint64_t   bits[4];
    uint32_t  *slots;       /* item, position; RECSYS_NO_INDEX: empty */
    uint32_t   mask;
} recsys_explain_map_t;


static void recsys_explain_pick_because(recsys_qctx_t *c,
    const recsys_result_t *res, recsys_why_t *why, const float *credit,
    uint32_t hist_n);


static int
recsys_explain_map_init(recsys_explain_map_t *rm, const recsys_result_t *res,
    recsys_alloc_t *a)
{
    uint32_t  size, k, i, item;

    size = 16;
    while (size < res->n * 2) {
        size *= 2;
    }

    rm->slots = a->alloc(a->ctx, (size_t) size * 2 * sizeof(uint32_t));
    if (rm->slots == NULL) {
        return RECSYS_ENOMEM;
    }

    memset(rm->slots, 0xff, (size_t) size * 2 * sizeof(uint32_t));
    memset(rm->bits, 0, sizeof(rm->bits));
    rm->mask = size - 1;

    for (k = 0; k < res->n; k++) {
        item = res->items[k].item;
        rm->bits[(item >> 6) & 3] |= (uint64_t) 1 << (item & 63);

        for (i = recsys_hash_u32(item) & rm->mask;
             rm->slots[2 * i] != RECSYS_NO_INDEX;
             i = (i + 1) & rm->mask)
        {
            /* probe */
        }

        rm->slots[2 * i] = item;
        rm->slots[2 * i + 1] = k;
    }

    return RECSYS_OK;
}


/* The item's position among the results, RECSYS_NO_INDEX if not one. */
static inline uint32_t
recsys_explain_map_find(const recsys_explain_map_t *rm, uint32_t item)
{
    uint32_t  i;

    if (!(rm->bits[(item >> 6) & 3] & ((uint64_t) 1 << (item & 63)))) {
        return RECSYS_NO_INDEX;
    }

    for (i = recsys_hash_u32(item) & rm->mask;
         rm->slots[2 * i] != RECSYS_NO_INDEX;
         i = (i + 1) & rm->mask)
    {
        if (rm->slots[2 * i] == item) {
            return rm->slots[2 * i + 1];
        }
    }

    return RECSYS_NO_INDEX;
}


/*
 * Each blend input's part in each result's score: weight / norm x the
 * item's value in that input (0 when absent), one pass over each input,
 * which stops once every result has been met (up to 64 results; a list
 * holds an item once, so nothing after that can change a part).
 */
static void
recsys_explain_contrib(recsys_qctx_t *c, const recsys_explain_map_t *rm,
    const recsys_result_t *res, recsys_why_t *why)
{
    int                        s;
    float                      scale, v;
    uint64_t                   met, all;
    uint32_t                   b, j, k, n, item;
    const recsys_blend_src_t  *in;

    all = res->n < 64 ? ((uint64_t) 1 << res->n) - 1 : 0;

    for (b = 0; b < c->n_blend; b++) {
        if (c->blend[b].row.p != NULL) {
            recsys_row_prefetch(c->blend[b].row, c->blend[b].row.n);
        }
    }

    for (b = 0; b < c->n_blend; b++) {
        in = &c->blend[b];
        s = c->blend_src[b];
        scale = in->weight / in->norm;
        n = in->row.p != NULL ? in->row.n : in->n_scored;
        met = 0;

        for (j = 0; j < n && (all == 0 || met != all); j++) {
            if (in->row.p != NULL) {
                item = recsys_row_item(in->row, j);
                v = recsys_row_score(in->row, j);

            } else {
                item = in->scored[j].item;
                v = in->scored[j].score;
            }

            k = recsys_explain_map_find(rm, item);

            if (k != RECSYS_NO_INDEX && why[k].contrib[s] == 0.0f) {
                why[k].contrib[s] = scale * v;
                met |= k < 64 ? (uint64_t) 1 << k : 0;
            }
        }
    }
}


/* How many of the newest history items explain=1 credits. */
static uint32_t
recsys_explain_history(const recsys_qctx_t *c)
{
    uint32_t  n;

    n = c->q->explain_history ? c->q->explain_history
                              : RECSYS_EXPLAIN_HISTORY;

    return c->hist.n < n ? c->hist.n : n;
}


/* sim_s(h, item): the first entry for item in h's whole row of source s. */
static float
recsys_explain_row_score(const recsys_list_t *nbrs, uint32_t h, uint32_t item)
{
    uint32_t      j;
    recsys_row_t  row;

    row = recsys_list_row(nbrs, h);

    for (j = 0; j < row.n; j++) {
        if (recsys_row_item(row, j) == item) {
            return recsys_row_score(row, j);
        }
    }

    return 0.0f;
}


/*
 * A known user's session (recsys_session_answer): each result's part from
 * the stored hybrid list, credited to the sources from the stored per-user
 * lists it was blended from, as for the stored list itself.  Results that
 * the list does not hold have no part from it (an input may hold an item
 * that the list's cut at user_top left out).
 */
static int
recsys_explain_base(recsys_qctx_t *c, const recsys_explain_map_t *rm,
    const recsys_result_t *res, recsys_why_t *why)
{
    int             rc;
    uint32_t        j, k;
    unsigned char  *in_base;
    recsys_row_t    base;

    in_base = c->a->alloc(c->a->ctx, (size_t) res->n + 1);
    if (in_base == NULL) {
        return RECSYS_ENOMEM;
    }

    memset(in_base, 0, (size_t) res->n + 1);

    c->base_inputs = 1;
    rc = recsys_hybrid_inputs(c);
    if (rc != RECSYS_OK) {
        return rc;
    }

    recsys_explain_contrib(c, rm, res, why);

    base = recsys_list_row(recsys_model_list(c->m, RECSYS_L_HYBRID),
                           c->q->user);

    for (j = 0; j < base.n; j++) {
        k = recsys_explain_map_find(rm, recsys_row_item(base, j));
        if (k != RECSYS_NO_INDEX) {
            in_base[k] = 1;
        }
    }

    for (k = 0; k < res->n; k++) {
        if (!in_base[k]) {
            memset(why[k].contrib, 0, sizeof(why[k].contrib));
        }
    }

    return RECSYS_OK;
}


/*
 * explain=1 for an answer of the session list.  A result i got
 * scale x w_h x row_h(i) from each session item h whose row holds it
 * within session_max_nbrs: that is h's credit (for the newest explain_history
 * items), and it is split by source as scale x w_h x c_s x sim_s(h, i), the
 * terms the builder summed into row_h(i).  The priors of an anonymous
 * session add weight / their best x their score, as in the answer (a known
 * user's are in the stored list, recsys_explain_base).
 */
static int
recsys_explain_session(recsys_qctx_t *c, const recsys_explain_map_t *rm,
    const recsys_result_t *res, recsys_why_t *why)
{
    int                   p, s, single;
    float                *credit, w, v, w_p;
    uint32_t              h, j, k, n, x, hist_n, top_n;
    recsys_row_t          row, scales, prior;
    const recsys_list_t  *list;

    list = recsys_session_list(c->m, &single);
    scales = recsys_list_row(recsys_model_list(c->m, RECSYS_L_SESSION_SCALES),
                             0);
    hist_n = recsys_explain_history(c);
    hist_n = hist_n < c->n_session ? hist_n : c->n_session;

    credit = c->a->alloc(c->a->ctx,
                         ((size_t) res->n * hist_n + 1) * sizeof(float));
    if (credit == NULL) {
        return RECSYS_ENOMEM;
    }

    memset(credit, 0, ((size_t) res->n * hist_n + 1) * sizeof(float));

    for (h = 0; h < c->n_session; h++) {
        w = recsys_row_score(c->hist, h);
        row = recsys_row_head(recsys_list_row(list,
                                  recsys_row_item(c->hist, h)),
                              c->session_max_nbrs);

        for (j = 0; j < row.n; j++) {
            k = recsys_explain_map_find(rm, recsys_row_item(row, j));
            if (k == RECSYS_NO_INDEX) {
                continue;
            }

            v = (float) c->session_scale * w;

            if (h < hist_n) {
                credit[(size_t) k * hist_n + h] = v * recsys_row_score(row, j);
            }

            if (single) {
                /* the row is the source's own */
                s = (int) recsys_row_item(scales, 0);
                why[k].contrib[s] += v * recsys_row_score(row, j);
                continue;
            }

            for (x = 0; x < scales.n; x++) {
                s = (int) recsys_row_item(scales, x);
                why[k].contrib[s] += v * recsys_row_score(scales, x)
                    * recsys_explain_row_score(
                          recsys_model_source_list(c->m, RECSYS_L_ITEM_NBRS,
                                                   s),
                          recsys_row_item(c->hist, h),
                          recsys_row_item(row, j));
            }
        }
    }

    top_n = recsys_model_header(c->m)->user_top;

    for (p = 0; p < 2; p++) {
        s = p == 0 ? RECSYS_SRC_POPULAR : RECSYS_SRC_TRENDING;
        w_p = c->weights[s];
        prior = recsys_list_row(recsys_model_list(c->m,
                    p == 0 ? RECSYS_L_POPULAR : RECSYS_L_TRENDING), 0);

        if (!(w_p > 0.0f) || prior.n == 0
            || !(recsys_row_score(prior, 0) > 0.0f)
            || c->q->user != RECSYS_NO_INDEX)
        {
            continue;
        }

        n = prior.n < top_n ? prior.n : top_n;

        for (j = 0; j < n; j++) {
            k = recsys_explain_map_find(rm, recsys_row_item(prior, j));
            if (k != RECSYS_NO_INDEX) {
                why[k].contrib[s] += w_p / recsys_row_score(prior, 0)
                                     * recsys_row_score(prior, j);
            }
        }
    }

    recsys_explain_pick_because(c, res, why, credit, hist_n);

    return RECSYS_OK;
}


/*
 * The history items behind the results: each history item h is credited
 * with what it added to a result's score through the item-based sources
 * that scored that result (weighted and scaled like the blend); the
 * largest credits win, the earlier history item on a tie.  Each history
 * item's row is walked once per source, for all results together.  Only
 * the newest explain_history items (session items first, then the stored
 * history, newest first) are credited: "because you just watched" is what
 * a reader expects, and it bounds the walk to explain_history rows.
 */
static int
recsys_explain_because(recsys_qctx_t *c, const recsys_explain_map_t *rm,
    const recsys_result_t *res, recsys_why_t *why)
{
    int           s;
    float         scale, w, *credit;
    uint32_t      h, hist_n, k, j, b;
    recsys_row_t  row;

    hist_n = recsys_explain_history(c);

    if (hist_n == 0 || res->n == 0) {
        return RECSYS_OK;
    }

    credit = c->a->alloc(c->a->ctx,
                         (size_t) res->n * hist_n * sizeof(float));
    if (credit == NULL) {
        return RECSYS_ENOMEM;
    }

    memset(credit, 0, (size_t) res->n * hist_n * sizeof(float));

    for (s = 0; s < RECSYS_NSRC; s++) {
        if (!recsys_source_is(s, RECSYS_SOURCE_ITEM_BASED)
            || (res->algo != RECSYS_ALGO_HYBRID && res->algo != s))
        {
            continue;
        }

        scale = 1.0f;

        if (res->algo == RECSYS_ALGO_HYBRID) {
            scale = 0.0f;

            for (b = 0; b < c->n_blend; b++) {
                if (c->blend_src[b] == s) {
                    scale = c->blend[b].weight / c->blend[b].norm;
                }
            }
        }

        if (!(scale > 0.0f)) {
            continue;
        }

        for (k = 0; k < res->n && why[k].contrib[s] == 0.0f; k++) {
            /* is any result scored by s? */
        }

        if (k == res->n) {
            continue;
        }

        for (h = 0; h < hist_n; h++) {
            /* all the rows asked for first: their misses overlap */
            row = recsys_row_head(recsys_list_row(recsys_model_source_list(
                                      c->m, RECSYS_L_ITEM_NBRS, s),
                                  recsys_row_item(c->hist, h)), c->max_nbrs);
            recsys_row_prefetch(row, row.n);
        }

        for (h = 0; h < hist_n; h++) {
            if (s == RECSYS_SRC_MARKOV && h > 0) {
                break;      /* Markov follows the latest item only */
            }

            w = recsys_row_score(c->hist, h);
            row = recsys_row_head(recsys_list_row(recsys_model_source_list(
                                      c->m, RECSYS_L_ITEM_NBRS, s),
                                  recsys_row_item(c->hist, h)), c->max_nbrs);

            for (j = 0; j < row.n; j++) {
                k = recsys_explain_map_find(rm, recsys_row_item(row, j));
                if (k != RECSYS_NO_INDEX && why[k].contrib[s] != 0.0f) {
                    credit[(size_t) k * hist_n + h] +=
                        scale * w * recsys_row_score(row, j);
                }
            }
        }
    }

    recsys_explain_pick_because(c, res, why, credit, hist_n);

    return RECSYS_OK;
}


/*
 * Up to RECSYS_BECAUSE_MAX history items per result by credit[k][h]; a
 * hidden item (the overrides) is never named.
 */
static void
recsys_explain_pick_because(recsys_qctx_t *c, const recsys_result_t *res,
    recsys_why_t *why, const float *credit, uint32_t hist_n)
{
    float     v, kept[RECSYS_BECAUSE_MAX];     /* the kept items' credits */
    uint32_t  k, h, i, x;

    for (k = 0; k < res->n; k++) {
        why[k].n_because = 0;

        for (h = 0; h < hist_n; h++) {
            v = credit[(size_t) k * hist_n + h];
            if (!(v > 0.0f)
                || recsys_ovr_hidden(c->q->overrides,
                                     recsys_row_item(c->hist, h)))
            {
                continue;
            }

            /* insert into the short list, largest credit first */

            for (i = 0; i < why[k].n_because && kept[i] >= v; i++) {
                /* find the place */
            }

            if (i == RECSYS_BECAUSE_MAX) {
                continue;
            }

            x = why[k].n_because < RECSYS_BECAUSE_MAX
                ? why[k].n_because : RECSYS_BECAUSE_MAX - 1;

            for ( /* void */ ; x > i; x--) {
                why[k].because[x] = why[k].because[x - 1];
                kept[x] = kept[x - 1];
            }

            why[k].because[i] = recsys_row_item(c->hist, h);
            kept[i] = v;

            if (why[k].n_because < RECSYS_BECAUSE_MAX) {
                why[k].n_because++;
            }
        }
    }
}


/*
 * A result that no source scored was added by the popular fill: its score
 * is popular's part.  (Sources outside the blend have no part, so the sum
 * over all of them is the blend's.)
 */
static void
recsys_explain_why_fill(recsys_why_t *why, float score)
{
    int    s;
    float  total;

    total = 0.0f;

    for (s = 0; s < RECSYS_NSRC; s++) {
        total += why->contrib[s];
    }

    if (total == 0.0f) {
        why->contrib[RECSYS_SRC_POPULAR] = score;
    }
}


/*
 * The builder's explanations of the stored hybrid list (recsys_schema.h's
 * "user.explain"), computed by this file's own walk (recsys_explain_contrib,
 * recsys_explain_because) with the same explain_history, so they are what
 * it would find.  The results are the
 * list's entries in its order, some left out by the request's filters:
 * one pass over the records finds them all.  Returns 0, with why partly
 * written, when a result has no record (the popular fill after a short
 * list, or a result past the stored records).
 */
static int
recsys_explain_stored(recsys_qctx_t *c, const recsys_result_t *res,
    recsys_why_t *why)
{
    int                   s;
    size_t                len, at;
    uint32_t              k, i, item, sources, n_because;
    const unsigned char  *p, *rec;

    if (recsys_model_explain(c->m, c->q->user,
                             recsys_explain_history(c), &p, &len)
        != RECSYS_OK)
    {
        return 0;
    }

    recsys_row_prefetch_bytes(p, len);

    at = 0;

    for (k = 0; k < res->n; k++) {
        for ( ;; ) {
            if (at == len) {
                return 0;
            }

            rec = p + at;
            at += recsys_explain_record_size(rec);

            if (recsys_get_u32(rec) == res->items[k].item) {
                break;
            }
        }

        memset(&why[k], 0, sizeof(recsys_why_t));
        why[k].rule = RECSYS_NO_INDEX;

        sources = recsys_get_u16(rec + 4);
        n_because = recsys_get_u16(rec + 6);
        rec += 8;

        for (s = 0; s < RECSYS_NSRC; s++) {
            if (sources & (1u << s)) {
                why[k].contrib[s] = recsys_get_f32(rec);
                rec += 4;
            }
        }

        /* the stored ones but the hidden (the overrides) */
        for (i = 0; i < n_because; i++) {
            item = recsys_get_u32(rec);
            rec += 4;

            if (!recsys_ovr_hidden(c->q->overrides, item)) {
                why[k].because[why[k].n_because++] = item;
            }
        }
    }

    return 1;
}


static int
recsys_explain_items(recsys_qctx_t *c, recsys_result_t *res)
{
    int               rc;
    uint32_t          k;
    recsys_why_t     *why;
    recsys_explain_map_t   rm;

    why = c->a->alloc(c->a->ctx, (size_t) (res->n ? res->n : 1)
                                 * sizeof(recsys_why_t));
    if (why == NULL) {
        return RECSYS_ENOMEM;
    }

    if (c->stored) {
        if (recsys_explain_stored(c, res, why)) {
            res->why = why;
            return RECSYS_OK;
        }

        /* not all of them stored: credit them from the blend's inputs */
        rc = recsys_hybrid_inputs(c);
        if (rc != RECSYS_OK) {
            return rc;
        }
    }

    memset(why, 0, (size_t) (res->n ? res->n : 1) * sizeof(recsys_why_t));

    rc = recsys_explain_map_init(&rm, res, c->a);
    if (rc != RECSYS_OK) {
        return rc;
    }

    if (c->session_scale > 0.0) {
        if (c->q->user != RECSYS_NO_INDEX) {
            rc = recsys_explain_base(c, &rm, res, why);
            if (rc != RECSYS_OK) {
                return rc;
            }
        }

        rc = recsys_explain_session(c, &rm, res, why);
        if (rc != RECSYS_OK) {
            return rc;
        }

        for (k = 0; k < res->n; k++) {
            why[k].rule = RECSYS_NO_INDEX;
            recsys_explain_why_fill(&why[k], res->items[k].score);
        }

        res->why = why;

        return RECSYS_OK;
    }

    if (res->algo == RECSYS_ALGO_HYBRID) {
        recsys_explain_contrib(c, &rm, res, why);
    }

    for (k = 0; k < res->n; k++) {
        why[k].rule = c->rules_because != NULL
                      ? c->rules_because[k + c->q->offset] : RECSYS_NO_INDEX;

        if (res->algo == RECSYS_ALGO_HYBRID) {
            recsys_explain_why_fill(&why[k], res->items[k].score);

        } else if (res->algo >= 0 && res->algo < RECSYS_NSRC) {
            why[k].contrib[res->algo] = res->items[k].score;
        }
    }

    if (c->q->item != RECSYS_NO_INDEX) {
        for (k = 0; k < res->n; k++) {
            why[k].because[0] = c->q->item;
            why[k].n_because = 1;
        }

    } else {
        rc = recsys_explain_because(c, &rm, res, why);
        if (rc != RECSYS_OK) {
            return rc;
        }
    }

    res->why = why;

    return RECSYS_OK;
}


/*
 * A series slot that took another item's place (recsys_series.h) carries
 * that item's score, and so its explanation: the results are explained
 * as the items they took over, then shown as themselves.
 */
int
recsys_explain_answer(recsys_qctx_t *c, recsys_result_t *res)
{
    int               rc;
    uint32_t          k;
    recsys_scored_t  *shown, *items;

    if (c->origin == NULL || res->n == 0) {
        return recsys_explain_items(c, res);
    }

    items = c->a->alloc(c->a->ctx, (size_t) res->n * sizeof(recsys_scored_t));
    if (items == NULL) {
        return RECSYS_ENOMEM;
    }

    for (k = 0; k < res->n; k++) {
        items[k].item = c->origin[c->q->offset + k];
        items[k].score = res->items[k].score;
    }

    shown = res->items;
    res->items = items;
    rc = recsys_explain_items(c, res);
    res->items = shown;

    return rc;
}
