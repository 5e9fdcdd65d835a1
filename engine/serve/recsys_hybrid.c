/*
 * recsys_hybrid.c: algo=hybrid: the stored hybrid list of a known user,
 * else the blend of every weighted source (stored per-user lists, session
 * scores at request time), or one walk over the session list for a
 * session with the model's own weights (a known user's added to their
 * stored hybrid list).
 */

#include <string.h>

#include "recsys_hybrid.h"
#include "recsys_qsource.h"
#include "recsys_row.h"
#include "recsys_score.h"
#include "recsys_session.h"


/* Adds source s to the blend inputs, scored at request time if needed. */
static int
recsys_hybrid_input(recsys_qctx_t *c, int s)
{
    int                    rc;
    uint32_t               n, want;
    recsys_scored_t       *scored;
    recsys_blend_src_t    *b;
    const recsys_list_t   *list;
    const recsys_query_t  *q;

    q = c->q;
    b = &c->blend[c->n_blend];
    memset(b, 0, sizeof(recsys_blend_src_t));
    b->weight = c->weights[s];

    if (s == RECSYS_SRC_POPULAR || s == RECSYS_SRC_TRENDING) {
        b->row = recsys_list_row(recsys_model_list(c->m,
                                     s == RECSYS_SRC_POPULAR
                                     ? RECSYS_L_POPULAR : RECSYS_L_TRENDING),
                                 0);
        /* a prior, not a candidate flood: its best user_top items */
        want = recsys_model_header(c->m)->user_top;
        b->row.n = b->row.n < want ? b->row.n : want;

    } else if (q->n_history > 0 && !c->base_inputs
               && recsys_qsource_is_session(c, s))
    {
        want = recsys_model_header(c->m)->user_top;
        want = want > c->need ? want : c->need;

        scored = c->a->alloc(c->a->ctx, (size_t) want * sizeof(*scored));
        if (scored == NULL) {
            return RECSYS_ENOMEM;
        }

        if (recsys_source_is(s, RECSYS_SOURCE_SEQUENCE)) {
            rc = recsys_qsource_score(c, s, scored, want, &n);
            b->norm = n > 0 ? scored[0].score : 0.0f;

        } else {
            /* the blend sums its inputs: their members, not their order */
            rc = recsys_score_history_in(
                     recsys_model_source_list(c->m, RECSYS_L_ITEM_NBRS, s),
                     c->hist, c->max_nbrs, &c->filter, want, c->index, c->a,
                     scored, &n, &b->norm);
        }

        if (rc != RECSYS_OK) {
            return rc;
        }

        b->scored = scored;
        b->n_scored = n;

    } else if (q->user != RECSYS_NO_INDEX) {
        list = recsys_model_source_list(c->m, RECSYS_L_USER_RECS, s);
        b->row = recsys_list_row(list, q->user);

    } else {
        return RECSYS_OK;
    }

    if (b->row.p != NULL) {
        b->norm = b->row.n > 0 ? recsys_row_score(b->row, 0) : 0.0f;
    }

    if (b->norm > 0.0f) {
        c->blend_src[c->n_blend++] = s;
    }

    return RECSYS_OK;
}


/* The blend inputs of the request's weights, scored where needed. */
int
recsys_hybrid_inputs(recsys_qctx_t *c)
{
    int  rc, s;

    c->n_blend = 0;

    for (s = 0; s < RECSYS_NSRC; s++) {
        if (c->weights[s] > 0.0f) {
            rc = recsys_hybrid_input(c, s);
            if (rc != RECSYS_OK) {
                return rc;
            }
        }
    }

    return RECSYS_OK;
}


const recsys_list_t *
recsys_hybrid_session(const recsys_model_t *m, const recsys_query_t *q)
{
    /* a known user's part is their stored hybrid list */
    return q->n_history > 0 && q->weights == NULL
           && (q->user == RECSYS_NO_INDEX
               || recsys_model_list(m, RECSYS_L_HYBRID) != NULL)
           ? recsys_session_list(m, NULL) : NULL;
}


int
recsys_hybrid_answer(recsys_qctx_t *c)
{
    int                    rc;
    recsys_row_t           recs;
    const recsys_list_t   *session;
    const recsys_query_t  *q;

    q = c->q;

    session = recsys_hybrid_session(c->m, q);

    if (session != NULL) {
        rc = recsys_session_answer(c, session);

        /* a known user whose session scores nothing above zero (only
         * negative events): the blend of every source, as without the
         * session list */
        if (rc != RECSYS_OK || q->user == RECSYS_NO_INDEX
            || c->session_scale > 0.0)
        {
            return rc;
        }

        recsys_qctx_history_stored(c);
    }

    if (q->n_history == 0 && q->weights == NULL
        && q->user != RECSYS_NO_INDEX)
    {
        /*
         * The builder's blend, stored as the "hybrid" list.  explain=1
         * reads the stored explanations of its entries, or else the
         * blend's inputs (stored per-source rows for a known user without
         * a session) to credit each source: no scoring either way.
         */
        recs = recsys_list_row(recsys_model_list(c->m, RECSYS_L_HYBRID),
                               q->user);
        if (recs.p != NULL) {
            c->filter.seen = recsys_row_empty();
            recsys_qctx_take(c, recs, &c->filter);
            c->filter.seen = recsys_list_row(
                                 recsys_model_list(c->m, RECSYS_L_USER_SEEN),
                                 q->user);

            if (c->have == c->need
                || recs.n < recsys_model_header(c->m)->user_top)
            {
                c->stored = 1;
                return RECSYS_OK;
            }

            c->have = 0;
        }
    }

    rc = recsys_hybrid_inputs(c);
    if (rc != RECSYS_OK) {
        return rc;
    }

    return recsys_blend_indexed(c->blend, c->n_blend, &c->filter, c->need,
                                c->index, c->a, c->out, &c->have);
}
