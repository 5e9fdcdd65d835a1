/*
 * recsys_series.c: one slot per series (recsys_series.h).  The answer is
 * walked once in rank order; a set of the series that have a slot drops
 * their later items, and a series the viewer has started looks up its
 * episodes (the "item.series" row, in order) from the last one to the
 * first for the latest one seen: what follows it fills the slot.
 */

#include <stdlib.h>
#include <string.h>

#include "recsys_attrs.h"
#include "recsys_row.h"
#include "recsys_series.h"
#include "recsys_sorted.h"


/* The request's effective history: stored items and the session's. */
typedef struct {
    recsys_row_t     seen;          /* the user's, sorted by item */
    uint32_t        *session;       /* the session's, sorted */
    uint32_t         n_session;
} recsys_series_seen_t;


int
recsys_series_present(const recsys_model_t *m)
{
    const recsys_attrs_t  *a;

    a = recsys_model_attrs(m);

    return a != NULL && a->ep_offs != NULL && a->n_series > 0;
}


static int
recsys_series_has_seen(const recsys_series_seen_t *s, uint32_t item)
{
    return recsys_row_contains(s->seen, item)
           || recsys_sorted_has(s->session, s->n_session, item);
}


/*
 * Whether the request keeps item apart from what the viewer has seen: not
 * the item= of the request (more like an item is never the item itself),
 * not excluded, and passing the filters.
 */
static int
recsys_series_keeps(const recsys_qctx_t *c, uint32_t item)
{
    uint32_t         k;
    recsys_filter_t  f;

    if (item == c->q->item) {
        return 0;
    }

    for (k = 0; k < c->q->n_exclude; k++) {
        if (c->q->exclude[k] == item) {
            return 0;
        }
    }

    f = c->filter;
    f.skip = NULL;
    f.seen = recsys_row_empty();

    return recsys_filter_pass(&f, item);
}


/*
 * The item that holds the slot of series for a candidate item: the item
 * itself when the viewer has seen none of the series, else the episode
 * after the latest one seen; RECSYS_NO_INDEX when there is none to show.
 */
static uint32_t
recsys_series_slot(const recsys_qctx_t *c, const recsys_attrs_t *a,
    const recsys_series_seen_t *s, uint32_t series, uint32_t item)
{
    uint32_t              n, j, next;
    const unsigned char  *eps;

    recsys_attrs_episodes(a, series, &eps, &n);

    for (j = n; j > 0; j--) {
        if (recsys_series_has_seen(s, recsys_get_u32(eps + (size_t) (j - 1)
                                                          * 4)))
        {
            break;
        }
    }

    if (j == 0) {
        return item;
    }

    if (j == n) {
        return RECSYS_NO_INDEX;
    }

    next = recsys_get_u32(eps + (size_t) j * 4);

    return recsys_series_keeps(c, next) ? next : RECSYS_NO_INDEX;
}


int
recsys_series_collapse(recsys_qctx_t *c)
{
    int                         rc;
    uint32_t                    k, n, kept, series, slot, *because;
    recsys_scored_t            *out;
    recsys_itemset_t            done;
    recsys_series_seen_t        s;
    const recsys_attrs_t       *a;
    const recsys_item_facts_t  *facts;

    a = recsys_model_attrs(c->m);

    if (a->series < 0 || a->ep_offs == NULL) {
        return RECSYS_OK;
    }

    facts = recsys_model_item_facts(c->m);

    rc = recsys_itemset_init(&done, c->have + 1, c->a);
    if (rc != RECSYS_OK) {
        return rc;
    }

    s.seen = c->filter.seen;
    s.n_session = c->q->n_history;
    s.session = c->a->alloc(c->a->ctx, (size_t) (s.n_session + 1)
                                       * sizeof(uint32_t));
    if (s.session == NULL) {
        return RECSYS_ENOMEM;
    }

    if (s.n_session > 0) {
        memcpy(s.session, c->q->history, s.n_session * sizeof(uint32_t));
        recsys_sorted_sort_u32(s.session, s.n_session);
    }

    /* explain=1: what each slot explains (the slots are made once, on a
     * fresh answer: recsys_query_series) */
    if (c->q->explain && c->origin == NULL) {
        c->origin = c->a->alloc(c->a->ctx, (size_t) (c->have + 1)
                                           * sizeof(uint32_t));
        if (c->origin == NULL) {
            return RECSYS_ENOMEM;
        }
    }

    kept = 0;
    out = c->out;
    because = c->rules_because;
    n = c->have;

    for (k = 0; k < n; k++) {
        slot = out[k].item;
        series = facts[slot].series;

        if (c->origin != NULL) {
            c->origin[k] = slot;
        }

        if (series == RECSYS_NO_INDEX && kept == k) {
            kept++;                 /* in place already */
            continue;
        }

        if (series != RECSYS_NO_INDEX) {
            if (recsys_itemset_has(&done, series)) {
                continue;
            }

            recsys_itemset_add(&done, series);
            slot = recsys_series_slot(c, a, &s, series, slot);

            if (slot == RECSYS_NO_INDEX) {
                continue;
            }
        }

        out[kept].item = slot;
        out[kept].score = out[k].score;

        if (because != NULL) {
            because[kept] = because[k];
        }

        if (c->origin != NULL) {
            c->origin[kept] = c->origin[k];
        }

        kept++;
    }

    c->have = kept;

    return RECSYS_OK;
}
