/*
 * recsys_qsource.c: answering from one source: its precomputed list for a
 * known user, cut lists scored again from the history, a session scored
 * over the source's item-to-item list or by its own sequence model
 * (Markov, the packed HMM, GRU and LSTM), association rules for a session, and
 * item= neighbours.
 */

#include <string.h>

#include "recsys_gru.h"
#include "recsys_lstm.h"
#include "recsys_hmm.h"
#include "recsys_markov.h"
#include "recsys_qsource.h"
#include "recsys_row.h"
#include "recsys_rules_read.h"
#include "recsys_score.h"


/* Whether a source can score a session at request time. */
int
recsys_qsource_is_session(const recsys_qctx_t *c, int s)
{
    const void  *p;
    size_t       size;

    if (recsys_source_is(s, RECSYS_SOURCE_SESSION)) {
        return recsys_model_source_list(c->m, RECSYS_L_ITEM_NBRS, s) != NULL;
    }

    return recsys_model_packed(c->m, s, &p, &size) == RECSYS_OK;
}


/*
 * One round of a sequence model: its best want candidates for seq, then
 * the first need of them that pass the filter into out (*n of them).
 */
static int
recsys_qsource_sequence_round(recsys_qctx_t *c, int s, const uint32_t *seq,
    uint32_t want, recsys_scored_t *out, uint32_t need, uint32_t *n,
    uint32_t *got)
{
    int                    rc;
    size_t                 size;
    uint32_t               j;
    const void            *p;
    recsys_scored_t       *cand;
    recsys_markov_opts_t   mo;

    *n = 0;
    *got = 0;
    cand = c->a->alloc(c->a->ctx, (size_t) want * sizeof(recsys_scored_t));
    if (cand == NULL) {
        return RECSYS_ENOMEM;
    }

    if (s == RECSYS_SRC_MARKOV) {
        mo = recsys_markov_default;
        rc = recsys_markov_score(
                 recsys_model_source_list(c->m, RECSYS_L_ITEM_NBRS, s), seq,
                 c->hist.n, mo.window, mo.decay, recsys_row_empty(), NULL, 0,
                 want, c->a, cand, got);

    } else {
        rc = recsys_model_packed(c->m, s, &p, &size);
        if (rc != RECSYS_OK) {
            return rc;
        }

        rc = (s == RECSYS_SRC_HMM ? recsys_hmm_score
              : s == RECSYS_SRC_LSTM ? recsys_lstm_score
              : recsys_gru_score)(p, size, seq, c->hist.n, recsys_row_empty(),
                                  NULL, 0, want, c->a, cand, got);
    }

    if (rc != RECSYS_OK) {
        return rc;
    }

    for (j = 0; j < *got && *n < need; j++) {
        if (recsys_filter_pass(&c->filter, cand[j].item)) {
            out[(*n)++] = cand[j];
        }
    }

    return RECSYS_OK;
}


/*
 * How many candidates a scorer that knows no filter is asked for next:
 * enough to survive what seen items, exclusions and the session take away,
 * then twice as many while a narrowing filter leaves the answer short and
 * the last round was cut (got == want).  0: no further round.
 */
static uint32_t
recsys_qsource_want(const recsys_qctx_t *c, uint32_t need, uint32_t want,
    uint32_t got, uint32_t have)
{
    uint32_t  n_items;

    n_items = recsys_model_header(c->m)->n_items;

    if (want == 0) {
        return need + c->q->n_exclude + c->q->n_history + c->filter.seen.n;
    }

    if (have >= need || got < want || want >= n_items
        || !recsys_filter_narrows(&c->filter))
    {
        return 0;
    }

    return want * 2 < n_items ? want * 2 : n_items;
}


/*
 * The sequence models: the history in time order (oldest first), scored
 * by the model's own function, then filtered; they are asked for enough
 * candidates to survive what the filter takes away (recsys_qsource_want).
 */
static int
recsys_qsource_sequence(recsys_qctx_t *c, int s, recsys_scored_t *out,
    uint32_t need, uint32_t *n)
{
    int        rc;
    uint32_t   j, want, got, *seq;

    *n = 0;
    seq = c->a->alloc(c->a->ctx, (size_t) (c->hist.n + 1) * sizeof(uint32_t));

    if (seq == NULL) {
        return RECSYS_ENOMEM;
    }

    for (j = 0; j < c->hist.n; j++) {
        seq[c->hist.n - 1 - j] = recsys_row_item(c->hist, j);
    }

    for (want = recsys_qsource_want(c, need, 0, 0, 0); want > 0;
         want = recsys_qsource_want(c, need, want, got, *n))
    {
        rc = recsys_qsource_sequence_round(c, s, seq, want, out, need, n,
                                           &got);
        if (rc != RECSYS_OK) {
            return rc;
        }
    }

    return RECSYS_OK;
}


/*
 * Scores the history with a session-capable source into out.  A session's
 * candidates that its negative events (a dislike, a skip) left at or
 * below zero are no recommendation: out keeps those above zero, and a
 * session of negative events alone scores nothing, as in the hybrid's
 * session (the answer is then the popular fallback).
 */
int
recsys_qsource_score(recsys_qctx_t *c, int s, recsys_scored_t *out,
    uint32_t need, uint32_t *n)
{
    int  rc;

    if (recsys_source_is(s, RECSYS_SOURCE_SEQUENCE)) {
        return recsys_qsource_sequence(c, s, out, need, n);
    }

    rc = recsys_score_history_in(
             recsys_model_source_list(c->m, RECSYS_L_ITEM_NBRS, s),
             c->hist, c->max_nbrs, &c->filter, need, c->index, c->a, out,
             n, NULL);

    /* best first: what is not above zero is the tail */
    while (rc == RECSYS_OK && c->q->n_history > 0 && *n > 0
           && !(out[*n - 1].score > 0.0f))
    {
        (*n)--;
    }

    return rc;
}


/*
 * algo=assoc for a session: the rules whose whole antecedent is among the
 * history items fire; an item scores the best confidence among its rules
 * (recsys_rules_read.c), and explain names that rule.
 */
static int
recsys_qsource_rules(recsys_qctx_t *c, recsys_result_t *res)
{
    uint32_t                    n, j, k, want, got, *items, *because, cap;
    recsys_scored_t            *out;
    recsys_rules_hit_t         *hits;
    const recsys_rules_view_t  *v;

    /* the first RECSYS_RULES_CAP rules of each history item's bucket, as
     * the builder's lists: its one-item antecedents come first
     * (recsys_rules_pack), then longer ones */
    v = recsys_model_rules(c->m);
    cap = RECSYS_RULES_CAP;
    n = c->hist.n;

    items = c->a->alloc(c->a->ctx, (size_t) (n ? n : 1) * sizeof(uint32_t));
    hits = c->a->alloc(c->a->ctx, (size_t) (n * cap + 1)
                                  * sizeof(recsys_rules_hit_t));
    if (items == NULL || hits == NULL) {
        return RECSYS_ENOMEM;
    }

    /* the scorer wants the history as a sorted set */
    for (j = 0; j < n; j++) {
        items[j] = recsys_row_item(c->hist, j);

        for (k = j; k > 0 && items[k - 1] > items[k]; k--) {
            uint32_t  t = items[k];

            items[k] = items[k - 1];
            items[k - 1] = t;
        }
    }

    for (j = 0, k = 0; j < n; j++) {
        if (k == 0 || items[j] != items[k - 1]) {
            items[k++] = items[j];
        }
    }

    c->rules_because = c->a->alloc(c->a->ctx,
                                   (size_t) (c->need ? c->need : 1)
                                   * sizeof(uint32_t));
    if (c->rules_because == NULL) {
        return RECSYS_ENOMEM;
    }

    for (want = recsys_qsource_want(c, c->need, 0, 0, 0); want > 0;
         want = recsys_qsource_want(c, c->need, want, got, c->have))
    {
        out = c->a->alloc(c->a->ctx, (size_t) want * sizeof(recsys_scored_t));
        because = c->a->alloc(c->a->ctx, (size_t) want * sizeof(uint32_t));
        if (out == NULL || because == NULL) {
            return RECSYS_ENOMEM;
        }

        got = recsys_rules_score(v, items, k, cap, hits, k * cap, out,
                                 because, want);
        c->have = 0;

        for (j = 0; j < got && c->have < c->need; j++) {
            if (recsys_filter_pass(&c->filter, out[j].item)) {
                c->rules_because[c->have] = because[j];
                c->out[c->have++] = out[j];
            }
        }
    }

    res->algo = RECSYS_SRC_ASSOC;

    return RECSYS_OK;
}


/* One source, for a known user or a session history. */
int
recsys_qsource_answer(recsys_qctx_t *c, int s, recsys_result_t *res)
{
    uint32_t              seg;
    recsys_row_t          recs, row;
    const recsys_list_t  *list;
    const recsys_query_t *q;

    q = c->q;
    list = recsys_model_source_list(c->m, RECSYS_L_USER_RECS, s);

    if (s == RECSYS_SRC_POPULAR || s == RECSYS_SRC_TRENDING) {
        if (recsys_model_list(c->m, s == RECSYS_SRC_POPULAR
                                    ? RECSYS_L_POPULAR : RECSYS_L_TRENDING)
            == NULL)
        {
            return RECSYS_ENOTFOUND;
        }

        recsys_qctx_take(c,
            recsys_list_row(recsys_model_list(c->m,
                                s == RECSYS_SRC_POPULAR ? RECSYS_L_POPULAR
                                                        : RECSYS_L_TRENDING),
                            0),
            &c->filter);
        return RECSYS_OK;
    }

    if (s == RECSYS_SRC_CLUSTER && q->user != RECSYS_NO_INDEX) {
        row = recsys_list_row(recsys_model_list(c->m, RECSYS_L_USER_SEGMENT),
                              q->user);
        if (recsys_model_list(c->m, RECSYS_L_SEGMENT_TOP) == NULL) {
            return RECSYS_ENOTFOUND;
        }

        if (row.n > 0) {
            seg = recsys_row_item(row, 0);
            recsys_qctx_take(c,
                recsys_list_row(recsys_model_list(c->m,
                                                  RECSYS_L_SEGMENT_TOP), seg),
                &c->filter);
            return RECSYS_OK;
        }
    }

    if (s == RECSYS_SRC_ASSOC && q->explain && recsys_model_rules(c->m)) {
        return recsys_qsource_rules(c, res);  /* to name each item's rule */
    }

    if (q->n_history == 0 && q->user != RECSYS_NO_INDEX && list != NULL) {
        recs = recsys_list_row(list, q->user);

        /* the builder left seen items out of this list already */
        c->filter.seen = recsys_row_empty();
        recsys_qctx_take(c, recs, &c->filter);
        c->filter.seen = recsys_list_row(
                             recsys_model_list(c->m, RECSYS_L_USER_SEEN),
                             q->user);

        if (c->have == c->need || recs.n < recsys_model_header(c->m)->user_top
            || !recsys_source_is(s, RECSYS_SOURCE_ITEM_BASED))
        {
            return RECSYS_OK;
        }

        /* the precomputed list was cut short: score from the history */
    }

    if (recsys_qsource_is_session(c, s)
        && (c->hist.n > 0 || list == NULL || q->n_history > 0))
    {
        return recsys_qsource_score(c, s, c->out, c->need, &c->have);
    }

    if (s == RECSYS_SRC_ASSOC && recsys_model_rules(c->m) != NULL) {
        return recsys_qsource_rules(c, res);
    }

    if (list == NULL) {
        return RECSYS_ENOTFOUND;
    }

    /* a user-based source asked for an anonymous session: item-CF answers */

    if (recsys_model_source_list(c->m, RECSYS_L_ITEM_NBRS, RECSYS_SRC_ITEMCF)
        == NULL)
    {
        return RECSYS_ENOTFOUND;
    }

    res->fallback = RECSYS_FALLBACK_ITEMCF;
    res->algo = RECSYS_SRC_ITEMCF;

    return recsys_qsource_score(c, RECSYS_SRC_ITEMCF, c->out, c->need,
                              &c->have);
}


/* item=I: the item's neighbours in one item-to-item list. */
int
recsys_qsource_similar(recsys_qctx_t *c, recsys_result_t *res)
{
    int                   s;
    recsys_row_t          row;
    const recsys_list_t  *nbrs;

    s = recsys_source_is(c->q->algo, RECSYS_SOURCE_ITEM_BASED)
        ? c->q->algo : RECSYS_SRC_ITEMCF;

    nbrs = recsys_model_source_list(c->m, RECSYS_L_ITEM_NBRS, s);
    row = recsys_list_row(nbrs, c->q->item);

    if (row.n == 0 && s == RECSYS_SRC_ITEMCF) {
        /* an item nobody has watched yet: what it is, not who saw it */
        nbrs = recsys_model_source_list(c->m, RECSYS_L_ITEM_NBRS,
                                        RECSYS_SRC_CONTENT);
        if (nbrs != NULL) {
            s = RECSYS_SRC_CONTENT;
            row = recsys_list_row(nbrs, c->q->item);
            res->fallback = RECSYS_FALLBACK_CONTENT;
        }
    }

    if (nbrs == NULL && s != RECSYS_SRC_ITEMCF) {
        return RECSYS_ENOTFOUND;
    }

    res->algo = s;
    recsys_qctx_take(c, row, &c->filter);

    return RECSYS_OK;
}
