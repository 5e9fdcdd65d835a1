/*
 * recsys_query.c: running one request (recsys_query.h).
 *
 * Paths, cheapest first:
 *   - a known user, no session history: the source's (or the hybrid's)
 *     precomputed list, filtered; when filters exhaust a list that the
 *     builder cut at user_top, the list is computed again from the same
 *     inputs the builder used (stored history, per-source lists);
 *   - a session history (history=, with or without a known user): the
 *     item-based sources score it over their item-to-item lists, and the
 *     hybrid blends them with the user-based sources' stored lists;
 *   - neither: popular items, "fallback":"popular".
 * hybrid answers are filled up with popular items when the sources run
 * dry.  Seen items, exclusions, session items, genre and attribute
 * filters apply on every path; then a model with series keeps one slot per
 * series (recsys_series.h), and a source with nothing to say answers
 * popular items unless the request is strict.  This file picks the path
 * and owns the algorithm and fallback names; each path is a file of its
 * own: recsys_qsource.c (one source), recsys_hybrid.c, recsys_session.c,
 * recsys_explain.c, with the request's state in recsys_qctx.c.
 */

#include <string.h>

#include "recsys_attrfilter.h"
#include "recsys_explain.h"
#include "recsys_hybrid.h"
#include "recsys_live.h"
#include "recsys_qsource.h"
#include "recsys_query.h"
#include "recsys_rerank.h"
#include "recsys_row.h"
#include "recsys_series.h"


int
recsys_query_algo_parse(const char *name, size_t len)
{
    if (len == 6 && memcmp(name, "hybrid", 6) == 0) {
        return RECSYS_ALGO_HYBRID;
    }

    if (len == 4 && memcmp(name, "next", 4) == 0) {
        return RECSYS_ALGO_NEXT;
    }

    return recsys_source_parse(name, len);
}


/*
 * The name an answer echoes: a source's canonical name, the name of what
 * answered, like the keys of an explanation's sources.
 */
const char *
recsys_query_algo_name(int algo)
{
    if (algo == RECSYS_ALGO_HYBRID) {
        return "hybrid";
    }

    if (algo == RECSYS_ALGO_NEXT) {
        return "next";
    }

    return recsys_source_name(algo);
}


const char *
recsys_query_algo_model_name(const recsys_model_t *m, int algo)
{
    return algo >= 0 && algo < RECSYS_NSRC ? recsys_model_source_name(m, algo)
                                           : recsys_query_algo_name(algo);
}


const char *
recsys_query_fallback_name(recsys_fallback_t fallback)
{
    switch (fallback) {
    case RECSYS_FALLBACK_POPULAR:
        return recsys_source_name(RECSYS_SRC_POPULAR);
    case RECSYS_FALLBACK_SEGMENT:
        return "segment";
    case RECSYS_FALLBACK_CONTENT:
        return recsys_source_name(RECSYS_SRC_CONTENT);
    case RECSYS_FALLBACK_ITEMCF:
        return recsys_source_name(RECSYS_SRC_ITEMCF);
    default:
        return NULL;
    }
}


/*
 * A known user with fewer items than the model's sparse_user threshold and
 * no session: collaborative lists say little about them, so hybrid answers
 * from their segment ("fallback":"segment").  Returns 1 when it did.
 */
static int
recsys_query_sparse(recsys_qctx_t *c, recsys_result_t *res)
{
    recsys_row_t  seg;

    if (c->q->user == RECSYS_NO_INDEX || c->q->n_history > 0
        || c->filter.seen.n >= recsys_model_header(c->m)->sparse_user)
    {
        return 0;
    }

    seg = recsys_list_row(recsys_model_list(c->m, RECSYS_L_USER_SEGMENT),
                          c->q->user);
    if (seg.n == 0) {
        return 0;
    }

    recsys_qctx_take(c,
        recsys_list_row(recsys_model_list(c->m, RECSYS_L_SEGMENT_TOP),
                        recsys_row_item(seg, 0)),
        &c->filter);

    res->algo = RECSYS_SRC_CLUSTER;
    res->fallback = RECSYS_FALLBACK_SEGMENT;

    return 1;
}


/* algo=next: the best sequence model this model has. */
static int
recsys_query_next_source(const recsys_model_t *m)
{
    static const int  order[] = {
        RECSYS_SRC_GRU, RECSYS_SRC_LSTM, RECSYS_SRC_MARKOV, RECSYS_SRC_HMM
    };
    size_t            k;

    for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
        if (recsys_model_source_list(m, RECSYS_L_USER_RECS, order[k]) != NULL
            || recsys_model_source_list(m, RECSYS_L_ITEM_NBRS, order[k])
               != NULL)
        {
            return order[k];
        }
    }

    return -1;
}


/*
 * Whether the model can answer algo: hybrid always; a source when the
 * model holds anything of it (its popularity or segment lists, its users'
 * lists, its item-to-item list, its packed model, its rules).  A source
 * the model lacks is RECSYS_ENOTFOUND on every path (recsys_query_run).
 */
static int
recsys_query_has(const recsys_model_t *m, int algo)
{
    size_t       size;
    const void  *p;

    switch (algo) {
    case RECSYS_ALGO_HYBRID:
        return 1;
    case RECSYS_SRC_POPULAR:
        return recsys_model_list(m, RECSYS_L_POPULAR) != NULL;
    case RECSYS_SRC_TRENDING:
        return recsys_model_list(m, RECSYS_L_TRENDING) != NULL;
    case RECSYS_SRC_CLUSTER:
        return recsys_model_list(m, RECSYS_L_SEGMENT_TOP) != NULL;
    case RECSYS_SRC_ASSOC:
        if (recsys_model_rules(m) != NULL) {
            return 1;
        }
        break;
    }

    return recsys_model_source_list(m, RECSYS_L_USER_RECS, algo) != NULL
           || recsys_model_source_list(m, RECSYS_L_ITEM_NBRS, algo) != NULL
           || recsys_model_packed(m, algo, &p, &size) == RECSYS_OK;
}


static void
recsys_query_prefetch_user(const recsys_model_t *m, uint32_t user)
{
    size_t                k;
    const recsys_list_t  *l;

    static const recsys_list_id_t  lists[] = {
        RECSYS_L_HYBRID, RECSYS_L_USER_SEEN, RECSYS_L_USER_HIST
    };

    for (k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
        l = recsys_model_list(m, lists[k]);

        if (l != NULL && user < l->n_rows) {
            RECSYS_ROW_PREFETCH(l->offsets + (size_t) user * 4);
        }
    }
}


/*
 * The popular fallback, a path of its own (recsys_query_answer): popular
 * items, filtered like the rest ("algo":"popular","fallback":"popular",
 * as for an unknown user, even when the filters leave none of them).
 */
#define RECSYS_QUERY_FALLBACK  (-2)


static void
recsys_query_popular(recsys_qctx_t *c, recsys_result_t *res)
{
    recsys_qctx_fill(c, RECSYS_L_POPULAR);

    res->fallback = RECSYS_FALLBACK_POPULAR;
    res->algo = RECSYS_SRC_POPULAR;
}


/* The answer's path (see the top of this file) for algo, into c. */
static int
recsys_query_path(recsys_qctx_t *c, int algo, recsys_result_t *res)
{
    int                    rc;
    const recsys_query_t  *q;

    q = c->q;
    rc = RECSYS_OK;
    res->algo = algo;
    res->fallback = RECSYS_FALLBACK_NONE;

    if (algo == RECSYS_QUERY_FALLBACK
        || (q->item == RECSYS_NO_INDEX && q->user == RECSYS_NO_INDEX
            && q->n_history == 0))
    {
        recsys_query_popular(c, res);

    } else if (q->item != RECSYS_NO_INDEX) {
        rc = recsys_qsource_similar(c, res);

    } else if (algo == RECSYS_ALGO_HYBRID && recsys_query_sparse(c, res)) {
        recsys_qctx_fill(c, RECSYS_L_POPULAR);

    } else if (algo == RECSYS_ALGO_HYBRID) {
        rc = recsys_hybrid_answer(c);
        if (rc == RECSYS_OK) {
            recsys_qctx_fill(c, RECSYS_L_POPULAR);
        }

    } else {
        rc = recsys_qsource_answer(c, algo, res);
    }

    return rc;
}


/*
 * c set up for q (recsys_qctx_init), with a known user's stored history
 * after the session's items, but for a known user's session that the
 * session list answers: that reads the stored history from the user's
 * stored hybrid list, and recsys_hybrid_answer appends it only if the
 * answer falls back to the blend of every source.
 */
static int
recsys_query_init(recsys_qctx_t *c, const recsys_model_t *m,
    const recsys_query_t *q, recsys_alloc_t *a)
{
    int  rc;

    rc = recsys_qctx_init(c, m, q, a);

    if (rc == RECSYS_OK
        && !(q->algo == RECSYS_ALGO_HYBRID && q->item == RECSYS_NO_INDEX
             && q->user != RECSYS_NO_INDEX
             && recsys_hybrid_session(m, q) != NULL))
    {
        recsys_qctx_history_stored(c);
    }

    return rc;
}


/*
 * One slot per series (recsys_series.h): the collapsed answer may fall
 * short of fill while the path had more to give; the path then runs
 * again for twice as many candidates (wide: q with a larger n), until the
 * answer holds fill or the candidates run out.  The answer is then cut to
 * q's offset + n.  c may hold the answer of a wider query than q already
 * (recsys_query_widen); q is the asked one, fill its offset + n but for a
 * re-ranked pool (recsys_rerank_fill).
 */
static int
recsys_query_series(recsys_qctx_t *c, const recsys_query_t *q, uint32_t fill,
    int algo, recsys_query_t *wide, recsys_result_t *res)
{
    int       rc;
    uint32_t  raw, n_items, need;

    need = q->offset + q->n;
    n_items = recsys_model_header(c->m)->n_items;

    for ( ;; ) {
        raw = c->have;

        rc = recsys_series_collapse(c);
        if (rc != RECSYS_OK || c->have >= fill || raw < c->need
            || c->need >= n_items)
        {
            break;
        }

        *wide = *q;
        wide->offset = 0;
        wide->n = c->need * 2 < n_items ? c->need * 2 : n_items;

        rc = recsys_query_init(c, c->m, wide, c->a);
        if (rc == RECSYS_OK) {
            rc = recsys_query_path(c, algo, res);
        }

        if (rc != RECSYS_OK) {
            break;
        }
    }

    c->q = q;

    if (c->have > need) {
        c->have = need;
    }

    c->need = need;

    return rc;
}


/*
 * The query the first run of the path answers.  With series the answer
 * of need items is often collapsed below need and the path runs again
 * for twice as many (recsys_query_series).  A path whose answer for need
 * is the head of its answer for any larger need asks for twice as many at
 * once: an anonymous session over the session list (its best need by
 * score and item, whatever the cut, then popular items), when nothing
 * after the path reads the request's state but its answer (no reranking).
 * The collapsed answer cut to need is the same, as collapsing keeps the
 * first item of each series in order; the second run is saved.
 */
static const recsys_query_t *
recsys_query_widen(const recsys_model_t *m, const recsys_query_t *q,
    int rerank, recsys_query_t *wide)
{
    uint32_t  need, n_items;

    /* the cheap tests first: most requests are not such a session */
    if (rerank || q->algo != RECSYS_ALGO_HYBRID || q->item != RECSYS_NO_INDEX
        || q->user != RECSYS_NO_INDEX || q->n_history == 0)
    {
        return q;
    }

    need = q->offset + q->n;
    n_items = recsys_model_header(m)->n_items;

    if (need == 0 || need >= n_items || !recsys_series_present(m)
        || recsys_hybrid_session(m, q) == NULL)
    {
        return q;
    }

    *wide = *q;
    wide->offset = 0;
    wide->n = need * 2 < n_items ? need * 2 : n_items;

    return wide;
}


/*
 * The answer of algo's path for q, one slot per series when the model has
 * series.  A source with nothing to say is then answered by the popular
 * fallback path unless the request is strict (recsys_query_run).
 */
static int
recsys_query_answer(recsys_qctx_t *c, const recsys_query_t *q,
    const recsys_query_t *asked, int rerank, int algo, recsys_query_t *wide,
    recsys_result_t *res)
{
    int  rc;

    rc = recsys_query_path(c, algo, res);

    if (rc == RECSYS_OK && recsys_series_present(c->m)) {
        rc = recsys_query_series(c, q,
                                 rerank ? recsys_rerank_fill(asked, q)
                                        : q->offset + q->n,
                                 algo, wide, res);
    }

    return rc;
}


/*
 * The session once per item: a repeated history= item is one entry at the
 * place of its newest occurrence with its weights summed, as a user's live
 * events are merged (recsys_live_merge), so that history=A,B,A and the
 * live events A, B, A answer alike.
 */
static int
recsys_query_merge(recsys_query_t *q, recsys_alloc_t *a)
{
    float     *hw;
    uint32_t  *at, *hist;

    if (q->n_history < 2) {
        return RECSYS_OK;
    }

    at = a->alloc(a->ctx, (size_t) recsys_live_merge_table(q->n_history)
                          * sizeof(uint32_t));
    hist = a->alloc(a->ctx, (size_t) q->n_history * sizeof(uint32_t));
    hw = a->alloc(a->ctx, (size_t) q->n_history * sizeof(float));

    if (at == NULL || hist == NULL || hw == NULL) {
        return RECSYS_ENOMEM;
    }

    q->n_history = recsys_live_merge_at(q->history, q->history_weight,
                                        q->n_history, at, hist, hw);
    q->history = hist;
    q->history_weight = hw;

    return RECSYS_OK;
}


int
recsys_query_run(const recsys_model_t *m, const recsys_query_t *asked,
    recsys_alloc_t *a, recsys_result_t *res)
{
    int             rc, algo, rerank;
    recsys_qctx_t   c;
    recsys_query_t  run, wide;
    const recsys_query_t  *q;

    memset(res, 0, sizeof(recsys_result_t));

    /* overrides and diversity: the query that runs (recsys_rerank.h) */
    algo = asked->algo;
    if (algo == RECSYS_ALGO_NEXT) {
        algo = recsys_query_next_source(m);
    }

    if (algo < 0 || !recsys_query_has(m, algo)) {
        return RECSYS_ENOTFOUND;
    }

    rerank = recsys_rerank_prepare(asked, &run);
    q = &run;

    rc = recsys_query_merge(&run, a);
    if (rc != RECSYS_OK) {
        return rc;
    }

    if (q->user != RECSYS_NO_INDEX) {
        /* a known user's rows start at these offsets: ask for them all */
        recsys_query_prefetch_user(m, q->user);

        if (q->explain) {
            recsys_model_explain_prefetch(m, q->user);
        }
    }

    rc = recsys_query_init(&c, m, recsys_query_widen(m, q, rerank, &wide), a);
    if (rc != RECSYS_OK) {
        return rc;
    }

    rc = recsys_query_answer(&c, q, asked, rerank, algo, &wide, res);

    /* after the series slots: they may have taken the whole answer */
    if (rc == RECSYS_OK && c.have == 0 && !q->strict
        && res->fallback != RECSYS_FALLBACK_POPULAR)
    {
        rc = recsys_query_init(&c, m, q, a);
        if (rc == RECSYS_OK) {
            rc = recsys_query_answer(&c, q, asked, rerank,
                                     RECSYS_QUERY_FALLBACK, &wide, res);
        }
    }

    if (rc != RECSYS_OK) {
        return rc;
    }

    res->depends = recsys_attrfilter_epoch(q->filter);

    if (c.have > q->offset) {
        res->items = c.out + q->offset;
        res->n = c.have - q->offset;
    }

    if (q->explain) {
        rc = recsys_explain_answer(&c, res);
        if (rc != RECSYS_OK) {
            return rc;
        }
    }

    return rerank ? recsys_rerank_apply(&c, asked, res) : RECSYS_OK;
}
