/*
 * recsys_rerank.c: boosts, diversity and pins over a request's candidate
 * pool, then the page (recsys_rerank.h).
 *
 * Boosts multiply scores and sort the pool again (ties keep their former
 * order).  Pins are placed last, in the order of their positions (a later
 * line's pin at the same position goes right after an earlier one's): a
 * pinned item takes its 1-based position when it is not hidden, not seen,
 * not excluded, not the item= of the request and within the page's
 * reach, whether or not the sources ranked it; the items from there on
 * move down one place.  It shows the score of the place it takes, so the
 * scores of a page without diversity still never rise, and its
 * explanation when the pool held it (an empty one otherwise).  A pin past
 * the end of a short list lands at its end.  A pin with a filter counts
 * only in the requests whose filter has the pin's clauses.  A pinned
 * episode takes its series' one slot: the pool's item of that series
 * leaves the page, and a later pin of the same series does not apply.
 * An item pinned past the page leaves its ranked place on the page too
 * (the pool holds need + at most need more candidates to fill in), so
 * that paging by offset shows it once, at its pinned place.
 */

#include <string.h>

#include "recsys_attrfilter.h"
#include "recsys_diversity.h"
#include "recsys_rerank.h"


#define RECSYS_RERANK_POOL  10      /* candidates per asked item, boosts */
#define RECSYS_RERANK_DIVERSE  5    /* the same, diversity alone */


int
recsys_rerank_prepare(const recsys_query_t *q, recsys_query_t *run)
{
    int                       more;
    uint64_t                  need, pool;
    const recsys_ovr_view_t  *v;

    *run = *q;
    v = q->overrides;

    if (recsys_ovr_erased(v, q->user)) {
        run->user = RECSYS_NO_INDEX;
    }

    more = q->diversity > 0.0f || recsys_ovr_boosts(v);

    if (!more && (v == NULL || v->n_pins == 0)) {
        return 0;
    }

    need = (uint64_t) q->offset + q->n;
    pool = need;

    if (v != NULL && v->n_pins > 0) {
        /* room for the items that pins place past the page */
        pool = need + (v->n_pins < need ? v->n_pins : need);
    }

    if (more) {
        /* a function of offset + n alone, so that pages of one need cut
         * the same ranking */
        pool = need * (recsys_ovr_boosts(v) ? RECSYS_RERANK_POOL
                                            : RECSYS_RERANK_DIVERSE);
        if (pool > need + RECSYS_DIVERSITY_MAX) {
            pool = need + RECSYS_DIVERSITY_MAX;
        }
    }

    if (pool > UINT32_MAX / 2) {
        return 0;                   /* no page that large is answered */
    }

    run->offset = 0;
    run->n = (uint32_t) pool;

    return 1;
}


uint32_t
recsys_rerank_fill(const recsys_query_t *q, const recsys_query_t *run)
{
    /* boosts re-sort the whole pool; pins may take items out of it */
    if (recsys_ovr_boosts(q->overrides)
        || (q->overrides != NULL && q->overrides->n_pins > 0))
    {
        return run->offset + run->n;
    }

    return q->offset + q->n;
}


int
recsys_rerank_order(recsys_scored_t *items, recsys_why_t *why,
    const uint32_t *order, uint32_t n, recsys_alloc_t *a)
{
    uint32_t          k;
    recsys_why_t     *w;
    recsys_scored_t  *s;

    s = a->alloc(a->ctx, (size_t) (n ? n : 1) * sizeof(recsys_scored_t));
    w = why != NULL
        ? a->alloc(a->ctx, (size_t) (n ? n : 1) * sizeof(recsys_why_t))
        : NULL;

    if (s == NULL || (why != NULL && w == NULL)) {
        return RECSYS_ENOMEM;
    }

    for (k = 0; k < n; k++) {
        s[k] = items[order[k]];
        if (w != NULL) {
            w[k] = why[order[k]];
        }
    }

    memcpy(items, s, (size_t) n * sizeof(recsys_scored_t));
    if (w != NULL) {
        memcpy(why, w, (size_t) n * sizeof(recsys_why_t));
    }

    return RECSYS_OK;
}


/*
 * Each pool item's score times its boost, then the pool sorted again by
 * insertion (ties keep their order): the pool was sorted, so only the
 * boosted items move.
 */
static void
recsys_rerank_boost(recsys_qctx_t *c, const recsys_ovr_view_t *v,
    recsys_why_t *why)
{
    uint32_t         k, j;
    recsys_why_t     w;
    recsys_scored_t  t;

    for (k = 0; k < c->have; k++) {
        c->out[k].score *= recsys_ovr_boost(v, c->out[k].item);

        for (j = k; j > 0 && c->out[j - 1].score < c->out[j].score; j--) {
            t = c->out[j];
            c->out[j] = c->out[j - 1];
            c->out[j - 1] = t;

            if (why != NULL) {
                w = why[j];
                why[j] = why[j - 1];
                why[j - 1] = w;
            }
        }
    }
}


/* The index of item in the pool, or c->have. */
static uint32_t
recsys_rerank_find(const recsys_qctx_t *c, uint32_t item)
{
    uint32_t  k;

    for (k = 0; k < c->have && c->out[k].item != item; k++) {
        /* void */
    }

    return k;
}


/* The series of an item, RECSYS_NO_INDEX for none. */
static uint32_t
recsys_rerank_series(const recsys_qctx_t *c, uint32_t item)
{
    return recsys_model_item_facts(c->m)[item].series;
}


/* Whether the pool's item gives way to the pins: pinned, or of a series
 * that a pin holds (an answer holds one item of a series). */
static int
recsys_rerank_yields(const recsys_qctx_t *c, uint32_t item,
    const recsys_itemset_t *pinned, const recsys_itemset_t *series)
{
    uint32_t  s;

    if (recsys_itemset_has(pinned, item)) {
        return 1;
    }

    s = recsys_rerank_series(c, item);

    return s != RECSYS_NO_INDEX && recsys_itemset_has(series, s);
}


/*
 * The pins that apply to this request (indexes into v->pins, at most
 * need of them) into use[], their items into the set pinned and their
 * series into the set series (a later pin of a series already pinned does
 * not apply).
 */
static uint32_t
recsys_rerank_eligible(recsys_qctx_t *c, const recsys_ovr_view_t *v,
    uint32_t need, uint32_t *use, recsys_itemset_t *pinned,
    recsys_itemset_t *series)
{
    uint32_t                 k, n, s;
    const recsys_ovr_pin_t  *p;

    n = 0;

    for (k = 0; k < v->n_pins && n < need; k++) {
        p = &v->pins[k];

        if (p->position > need) {
            break;
        }

        if (recsys_itemset_has(pinned, p->item) || p->item == c->q->item
            || (p->filter != NULL
                && !recsys_attrfilter_within(p->filter, c->q->filter)))
        {
            continue;
        }

        if (recsys_rerank_find(c, p->item) == c->have
            && !recsys_filter_pass(&c->filter, p->item))
        {
            continue;
        }

        s = recsys_rerank_series(c, p->item);

        if (s != RECSYS_NO_INDEX) {
            if (recsys_itemset_has(series, s)) {
                continue;
            }

            recsys_itemset_add(series, s);
        }

        use[n++] = k;
        recsys_itemset_add(pinned, p->item);
    }

    return n;
}


/* A pool item that a pin places past the page: its pin's position. */
typedef struct {
    uint32_t  position;
    uint32_t  from;             /* its index in the pool */
} recsys_rerank_late_t;


/* Adds a pool item to late[0 .. n) in position order (a few at most). */
static void
recsys_rerank_late_add(recsys_rerank_late_t *late, uint32_t n,
    uint32_t position, uint32_t from)
{
    uint32_t  j;

    for (j = n; j > 0 && late[j - 1].position > position; j--) {
        late[j] = late[j - 1];
    }

    late[j].position = position;
    late[j].from = from;
}


/*
 * The pool's items that a pin places past the page (position > need) into
 * the set pinned and into late[] (by position): they leave their ranked
 * place here as on the page that shows them, so that no item is on two
 * pages (and none is on no page); a list too short to reach their
 * positions ends with them, as with a pin past the end of a short list.
 * Returns how many.
 */
static uint32_t
recsys_rerank_beyond(recsys_qctx_t *c, const recsys_ovr_view_t *v,
    uint32_t need, recsys_itemset_t *pinned, recsys_rerank_late_t *late)
{
    uint32_t                 k, j, n, first, item, moved;
    const recsys_ovr_pin_t  *p;

    moved = 0;

    /* the pool holds no item= (the filters skip it): only pins to check */
    for (k = 0; k < c->have; k++) {
        item = c->out[k].item;

        if (recsys_itemset_has(pinned, item)) {
            continue;
        }

        n = recsys_ovr_item_pins(v, item, &first);

        for (j = 0; j < n; j++) {
            p = &v->pins[(uint32_t) v->pin_keys[first + j]];

            if (p->position > need
                && (p->filter == NULL
                    || recsys_attrfilter_within(p->filter, c->q->filter)))
            {
                recsys_itemset_add(pinned, item);
                recsys_rerank_late_add(late, moved++, p->position, k);
                break;
            }
        }
    }

    return moved;
}


/* Writes entry pos of the new list from a pin (pin < n_use) or the pool. */
static void
recsys_rerank_put(recsys_qctx_t *c, recsys_scored_t *out, recsys_why_t *wout,
    const recsys_why_t *why, uint32_t pos, uint32_t from, uint32_t item,
    float score)
{
    out[pos].item = item;
    out[pos].score = score;

    if (wout == NULL) {
        return;
    }

    if (from < c->have) {
        wout[pos] = why[from];

    } else {
        memset(&wout[pos], 0, sizeof(recsys_why_t));
        wout[pos].rule = RECSYS_NO_INDEX;
    }
}


/* The pins in place: the pool becomes the first need entries. */
static int
recsys_rerank_pins(recsys_qctx_t *c, const recsys_ovr_view_t *v,
    uint32_t need, recsys_why_t **why)
{
    float                    score;
    uint8_t                 *placed;
    uint32_t                 n_use, n_late, e, i, pos, *use;
    recsys_why_t            *wout;
    recsys_scored_t         *out;
    recsys_itemset_t         pinned, series;
    recsys_rerank_late_t    *late;
    const recsys_ovr_pin_t  *p;

    use = c->a->alloc(c->a->ctx, (size_t) need * sizeof(uint32_t));
    late = c->a->alloc(c->a->ctx, ((size_t) c->have + 1)
                                  * sizeof(recsys_rerank_late_t));
    out = c->a->alloc(c->a->ctx, (size_t) need * sizeof(recsys_scored_t));
    placed = c->a->alloc(c->a->ctx, need);
    wout = *why != NULL
           ? c->a->alloc(c->a->ctx, (size_t) need * sizeof(recsys_why_t))
           : NULL;

    if (use == NULL || late == NULL || out == NULL || placed == NULL
        || (*why != NULL && wout == NULL)
        || recsys_itemset_init(&pinned, need + c->have, c->a) != RECSYS_OK
        || recsys_itemset_init(&series, need, c->a) != RECSYS_OK)
    {
        return RECSYS_ENOMEM;
    }

    memset(placed, 0, need);

    n_use = recsys_rerank_eligible(c, v, need, use, &pinned, &series);
    n_late = recsys_rerank_beyond(c, v, need, &pinned, late);

    if (n_use == 0 && n_late == 0) {
        return RECSYS_OK;
    }

    i = 0;
    e = 0;

    for (pos = 0; pos < need; pos++) {
        while (i < c->have
               && recsys_rerank_yields(c, c->out[i].item, &pinned, &series))
        {
            i++;
        }

        if (e < n_use && (v->pins[use[e]].position <= pos + 1 || i == c->have))
        {
            p = &v->pins[use[e++]];
            placed[pos] = 1;
            score = i < c->have ? c->out[i].score
                                : (pos > 0 ? out[pos - 1].score : 0.0f);
            recsys_rerank_put(c, out, wout, *why, pos,
                              *why != NULL ? recsys_rerank_find(c, p->item)
                                           : c->have,
                              p->item, score);
            continue;
        }

        if (i == c->have) {
            break;
        }

        recsys_rerank_put(c, out, wout, *why, pos, i, c->out[i].item,
                          c->out[i].score);
        i++;
    }

    /* a list that ran out before the page's end: the items pinned past
     * it close the list, as a pin past the end of a short list does */
    for (e = 0; e < n_late && pos < need; e++, pos++) {
        placed[pos] = 1;
        recsys_rerank_put(c, out, wout, *why, pos, late[e].from,
                          c->out[late[e].from].item,
                          pos > 0 ? out[pos - 1].score : 0.0f);
    }

    c->out = out;
    c->pinned = placed;
    c->have = pos;
    *why = wout;

    return RECSYS_OK;
}


static int
recsys_rerank_diversity(recsys_qctx_t *c, const recsys_query_t *q,
    uint32_t need, recsys_why_t *why)
{
    uint32_t   n, len, *order;

    /* at most 5 x need candidates, a boosts' pool being longer */
    n = c->have;
    if ((uint64_t) n > (uint64_t) need * RECSYS_RERANK_DIVERSE) {
        n = need * RECSYS_RERANK_DIVERSE;
    }

    /* without pins nothing past need is read again: the page is reordered */
    len = n;
    if (need < n && (q->overrides == NULL || q->overrides->n_pins == 0)) {
        len = need;
    }

    order = c->a->alloc(c->a->ctx, (size_t) (n ? n : 1) * sizeof(uint32_t));
    if (order == NULL
        || recsys_diversity_order(c->m, c->out, n, need, q->diversity, c->a,
                                  order, len)
           != RECSYS_OK)
    {
        return RECSYS_ENOMEM;
    }

    if (len < n) {
        c->have = len;
    }

    return recsys_rerank_order(c->out, why, order, len, c->a);
}


int
recsys_rerank_apply(recsys_qctx_t *c, const recsys_query_t *q,
    recsys_result_t *res)
{
    int                       rc;
    uint32_t                  need;
    recsys_why_t             *why;
    const recsys_ovr_view_t  *v;

    v = q->overrides;
    why = res->why;
    need = q->offset + q->n;
    rc = RECSYS_OK;

    if (recsys_ovr_boosts(v)) {
        recsys_rerank_boost(c, v, why);
    }

    if (rc == RECSYS_OK && q->diversity > 0.0f) {
        rc = recsys_rerank_diversity(c, q, need, why);
    }

    if (rc == RECSYS_OK && v != NULL && v->n_pins > 0 && need > 0) {
        rc = recsys_rerank_pins(c, v, need, &why);
    }

    if (rc != RECSYS_OK) {
        return rc;
    }

    res->items = NULL;
    res->why = NULL;
    res->pinned = NULL;
    res->n = 0;

    if (c->have > need) {
        c->have = need;
    }

    if (c->have > q->offset) {
        res->items = c->out + q->offset;
        res->why = why != NULL ? why + q->offset : NULL;
        res->pinned = c->pinned != NULL ? c->pinned + q->offset : NULL;
        res->n = c->have - q->offset;
    }

    return RECSYS_OK;
}
