/*
 * recsys_qctx.c: the state of one request while it runs (recsys_qctx.h):
 * setting it up from the query, the history that request-time scoring
 * walks, and appending filtered list entries to the answer.
 */

#include <string.h>

#include "recsys_attrfilter.h"
#include "recsys_qctx.h"
#include "recsys_row.h"


#define RECSYS_QCTX_HISTORY_MAX  100


int
recsys_qctx_init(recsys_qctx_t *c, const recsys_model_t *m,
    const recsys_query_t *q, recsys_alloc_t *a)
{
    int       rc;
    uint32_t  k;

    memset(c, 0, sizeof(recsys_qctx_t));
    c->m = m;
    c->q = q;
    c->a = a;
    c->need = q->offset + q->n;
    c->index = recsys_scratch_index(q->scratch,
                                    recsys_model_header(m)->n_items);

    c->out = a->alloc(a->ctx, (size_t) (c->need ? c->need : 1)
                              * sizeof(recsys_scored_t));
    if (c->out == NULL) {
        return RECSYS_ENOMEM;
    }

    rc = recsys_itemset_init(&c->skip,
                             q->n_exclude + q->n_history + c->need + 1, a);
    if (rc != RECSYS_OK) {
        return rc;
    }

    /* more like item: never the item itself (a popular fill may hold it) */
    if (q->item != RECSYS_NO_INDEX) {
        recsys_itemset_add(&c->skip, q->item);
    }

    for (k = 0; k < q->n_exclude; k++) {
        recsys_itemset_add(&c->skip, q->exclude[k]);
    }

    /* what the session has consumed is not recommended back */
    for (k = 0; k < q->n_history; k++) {
        recsys_itemset_add(&c->skip, q->history[k]);
    }

    c->filter.skip = &c->skip;
    c->filter.seen = recsys_row_empty();

    if (q->user != RECSYS_NO_INDEX) {
        c->filter.seen = recsys_list_row(
                             recsys_model_list(m, RECSYS_L_USER_SEEN),
                             q->user);
    }

    if (q->overrides != NULL && q->overrides->n_hidden > 0) {
        c->filter.overrides = q->overrides;
    }

    if (q->n_genres > 0) {
        c->filter.item_genres = recsys_model_list(m, RECSYS_L_ITEM_GENRES);
        c->filter.genres = q->genres;
        c->filter.n_genres = q->n_genres;
    }

    if (recsys_attrfilter_active(q->filter)) {
        c->filter.attrs = q->filter;
    }

    if (q->weights != NULL) {
        memcpy(c->weights, q->weights, sizeof(c->weights));

    } else {
        recsys_blend_default_weights(m, c->weights);
    }

    return recsys_qctx_history(c);
}


/* Appends list entries that pass the filter until out holds need. */
void
recsys_qctx_take(recsys_qctx_t *c, recsys_row_t row,
    const recsys_filter_t *filter)
{
    int               pass_all;
    uint32_t          j, n, item;
    recsys_scored_t  *out;

    /* nothing to leave out: no lookup per entry */
    pass_all = filter == NULL
               || ((filter->skip == NULL || filter->skip->n == 0)
                   && filter->seen.n == 0 && !recsys_filter_narrows(filter));

    if (pass_all) {
        n = c->need > c->have ? c->need - c->have : 0;
        n = row.n < n ? row.n : n;
        out = c->out + c->have;

        for (j = 0; j < n; j++) {
            out[j].item = recsys_row_item(row, j);
            out[j].score = recsys_row_score(row, j);
        }

        c->have += n;
        return;
    }

    for (j = 0; j < row.n && c->have < c->need; j++) {
        item = recsys_row_item(row, j);

        if (!recsys_filter_pass(filter, item)) {
            continue;
        }

        c->out[c->have].item = item;
        c->out[c->have].score = recsys_row_score(row, j);
        c->have++;
    }
}


/* Popular items fill what is left: seen, listed and filtered ones skipped. */
void
recsys_qctx_fill(recsys_qctx_t *c, recsys_list_id_t list)
{
    uint32_t  k;

    if (c->have >= c->need) {
        return;
    }

    for (k = 0; k < c->have; k++) {
        recsys_itemset_add(&c->skip, c->out[k].item);
    }

    recsys_qctx_take(c, recsys_list_row(recsys_model_list(c->m, list), 0),
                      &c->filter);
}


/*
 * The neighbours each of n history items reads: q->max_nbrs (0: all), or
 * an even share of q->session_nbrs when that is fewer (at least one).
 */
static uint32_t
recsys_qctx_nbrs(const recsys_query_t *q, uint32_t n)
{
    uint32_t  share;

    /* the walk's bound: at most session_nbrs entries in all */
    if (q->session_nbrs == 0 || n == 0) {
        return q->max_nbrs;
    }

    share = q->session_nbrs / n > 0 ? q->session_nbrs / n : 1;

    return q->max_nbrs == 0 || share < q->max_nbrs ? share : q->max_nbrs;
}


/*
 * The history that request-time scoring walks.  Without a session it is
 * the user's stored history with its stored weights and every neighbour,
 * exactly what the builder scored (bounded by the model's own --history
 * and --neighbors).  With one, the session items (most recent first, weight
 * 1, or a live event's weight) come first and the stored items follow
 * with their weights scaled into (0, 1]; the whole is capped at
 * max_history.  Each item's row is read to max_nbrs entries, and to an
 * even share of session_nbrs when that is fewer (at least one entry): a
 * long history costs what a short one does, not n x max_nbrs; a walk of
 * the session items alone shares it among them (session_max_nbrs).  With
 * a session the stored items are left for recsys_qctx_history_stored.
 */
int
recsys_qctx_history(recsys_qctx_t *c)
{
    uint32_t              cap, n, k;
    unsigned char        *p;
    const recsys_query_t *q;

    q = c->q;
    c->stored_later = 0;

    if (q->n_history == 0) {
        /* exactly what the builder scored: no request caps apply */
        c->hist = recsys_row_empty();
        if (q->user != RECSYS_NO_INDEX) {
            c->hist = recsys_list_row(
                          recsys_model_list(c->m, RECSYS_L_USER_HIST),
                          q->user);
        }

        c->max_nbrs = 0;
        c->n_session = 0;
        c->session_max_nbrs = 0;
        return RECSYS_OK;
    }

    cap = q->max_history ? q->max_history : RECSYS_QCTX_HISTORY_MAX;

    p = c->a->alloc(c->a->ctx, (size_t) cap * sizeof(recsys_entry_t));
    if (p == NULL) {
        return RECSYS_ENOMEM;
    }

    n = 0;

    for (k = q->n_history; k > 0 && n < cap; k--) {
        recsys_entry_t  e;

        e.item = q->history[k - 1];
        e.score = q->history_weight != NULL ? q->history_weight[k - 1]
                                            : 1.0f;
        memcpy(p + (size_t) n++ * sizeof(e), &e, sizeof(e));
    }

    c->hist.p = p;
    c->hist.n = n;
    c->n_session = n;
    c->session_max_nbrs = recsys_qctx_nbrs(q, n);
    c->max_nbrs = c->session_max_nbrs;
    c->stored_later = 1;

    return RECSYS_OK;
}


void
recsys_qctx_history_stored(recsys_qctx_t *c)
{
    float                 top;
    uint32_t              cap, n, j;
    unsigned char        *p;
    recsys_row_t          stored;
    const recsys_query_t *q;

    if (!c->stored_later) {
        return;
    }

    c->stored_later = 0;
    q = c->q;

    if (q->user == RECSYS_NO_INDEX) {
        return;
    }

    cap = q->max_history ? q->max_history : RECSYS_QCTX_HISTORY_MAX;
    stored = recsys_list_row(recsys_model_list(c->m, RECSYS_L_USER_HIST),
                             q->user);

    /* recsys_qctx_history's copy, with room for cap entries */
    p = (unsigned char *) c->hist.p;
    n = c->hist.n;

    top = 0.0f;
    for (j = 0; j < stored.n; j++) {
        if (recsys_row_score(stored, j) > top) {
            top = recsys_row_score(stored, j);
        }
    }

    for (j = 0; j < stored.n && n < cap && top > 0.0f; j++) {
        recsys_entry_t  e;

        e.item = recsys_row_item(stored, j);
        e.score = recsys_row_score(stored, j) / top;
        memcpy(p + (size_t) n++ * sizeof(e), &e, sizeof(e));
    }

    c->hist.n = n;
    c->max_nbrs = recsys_qctx_nbrs(q, n);
}
