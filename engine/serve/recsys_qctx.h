/*
 * recsys_qctx.h: the state of one request while it runs, shared by the
 * files that answer it (recsys_query.c picks the path; recsys_qsource.c,
 * recsys_hybrid.c, recsys_session.c and recsys_explain.c take it).  The
 * answer grows in out[0 .. have) up to need = offset + n; the filter and
 * the skip set say what it may not hold.
 */

#ifndef RECSYS_QCTX_H
#define RECSYS_QCTX_H

#include <stdint.h>

#include "recsys_alloc.h"
#include "recsys_blend.h"
#include "recsys_filter.h"
#include "recsys_itemset.h"
#include "recsys_request.h"


typedef struct {
    const recsys_model_t   *m;
    const recsys_query_t   *q;
    recsys_alloc_t         *a;
    recsys_filter_t         filter;
    recsys_itemset_t        skip;
    recsys_row_t            hist;       /* what history scoring walks */
    uint32_t                max_nbrs;   /* per history item, 0: all */
    uint32_t                n_session;  /* hist's first entries that are
                                           the session's (the stored
                                           history follows) */
    uint32_t                session_max_nbrs;  /* max_nbrs of a walk of
                                                  the session items
                                                  alone (the session
                                                  list's) */
    uint32_t               *index;      /* the scratch's item index for
                                           accumulators, or NULL */
    uint32_t               *rules_because;  /* algo=assoc: rule per item */
    recsys_scored_t        *out;
    uint32_t               *origin;     /* parallel to out with explain=1
                                           once a series slot took an
                                           item's place: the item whose
                                           score (and explanation) it
                                           carries (recsys_series.h) */
    uint8_t                *pinned;     /* parallel to out: 1 where a pin
                                           placed the item, or NULL */
    uint32_t                need;
    uint32_t                have;
    float                   weights[RECSYS_NSRC];
    recsys_blend_src_t      blend[RECSYS_NSRC];
    int                     blend_src[RECSYS_NSRC];
    uint32_t                n_blend;
    double                  session_scale;  /* > 0: the session list
                                               answered, its S x this */
    int                     stored;     /* the stored hybrid list answered:
                                           no blend inputs read yet */
    int                     stored_later;  /* hist lacks the stored
                                              history so far
                                              (recsys_qctx_history) */
    int                     base_inputs;  /* blend inputs from the stored
                                             per-user lists even with a
                                             session: the parts of the
                                             stored hybrid list */
} recsys_qctx_t;


/*
 * Sets c up for q: the answer's buffer, the skip set (exclusions, session
 * items), the filter, the weights (q's or the model's) and the history
 * (a session's without the stored part, recsys_qctx_history).
 * RECSYS_OK or RECSYS_ENOMEM.
 */
int recsys_qctx_init(recsys_qctx_t *c, const recsys_model_t *m,
    const recsys_query_t *q, recsys_alloc_t *a);

/* Appends row entries that pass filter (NULL: all) until out holds need. */
void recsys_qctx_take(recsys_qctx_t *c, recsys_row_t row,
    const recsys_filter_t *filter);

/* Fills what is left from list's first row, skipping what out holds. */
void recsys_qctx_fill(recsys_qctx_t *c, recsys_list_id_t list);

/*
 * Sets c->hist, c->n_session, c->max_nbrs and c->session_max_nbrs for q;
 * RECSYS_OK or RECSYS_ENOMEM.  With a session, hist holds the session
 * items only until recsys_qctx_history_stored.
 */
int recsys_qctx_history(recsys_qctx_t *c);

/*
 * Appends a known user's stored history to a session's hist (once; the
 * query layer asks for it unless the session list answers without it)
 * and sets c->max_nbrs for the whole.
 */
void recsys_qctx_history_stored(recsys_qctx_t *c);

#endif /* RECSYS_QCTX_H */
