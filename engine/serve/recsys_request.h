/*
 * recsys_request.h: what one recommendation request asks (recsys_query_t)
 * and what it gets back (recsys_result_t, with recsys_why_t per item when
 * explained): the types every part of the query code shares.
 */

#ifndef RECSYS_REQUEST_H
#define RECSYS_REQUEST_H

#include <stdint.h>

#include "recsys_model.h"
#include "recsys_overrides.h"
#include "recsys_scratch.h"
#include "recsys_topk.h"


/* algo: a source (RECSYS_SRC_*) or one of these */
#define RECSYS_ALGO_HYBRID   RECSYS_NSRC
#define RECSYS_ALGO_NEXT     (RECSYS_NSRC + 1)
#define RECSYS_NALGOS        (RECSYS_NSRC + 2)

typedef enum {
    RECSYS_FALLBACK_NONE = 0,
    RECSYS_FALLBACK_POPULAR,
    RECSYS_FALLBACK_SEGMENT,
    RECSYS_FALLBACK_CONTENT,
    RECSYS_FALLBACK_ITEMCF
} recsys_fallback_t;

#define RECSYS_EXPLAIN_HISTORY  20  /* explain_history when 0 */
#define RECSYS_BECAUSE_MAX   RECSYS_EXPLAIN_BECAUSE_MAX

typedef struct {
    int               algo;
    uint32_t          user;         /* RECSYS_NO_INDEX: anonymous/unknown */
    uint32_t          item;         /* RECSYS_NO_INDEX: no item= */
    const uint32_t   *history;      /* session items, most recent last */
    uint32_t          n_history;
    const float      *history_weight;   /* parallel to history (live
                                           events' summed weights); NULL:
                                           1 each, as history= */
    const uint32_t   *exclude;      /* item indexes never to return */
    uint32_t          n_exclude;
    const uint32_t   *genres;       /* keep items with any of these */
    uint32_t          n_genres;
    uint32_t          n;
    uint32_t          offset;
    int               explain;
    const float      *weights;      /* RECSYS_NSRC weights; NULL: model's */
    uint32_t          max_history;  /* history items scored, 0: 100 */
    uint32_t          max_nbrs;     /* neighbours per history item, 0: all */
    uint32_t          session_nbrs; /* neighbours a session's history
                                       reads in all, shared evenly among
                                       its items (recsys_qctx_history),
                                       0: no bound but max_nbrs */
    uint32_t          explain_history;  /* newest history items explain
                                           credits, 0: 20 */
    recsys_scratch_t *scratch;      /* NULL: none */
    const struct recsys_attrfilter_s  *filter;  /* attribute filter and
                                                   availability, NULL:
                                                   none */
    int               strict;       /* 1: an empty answer stays empty */
    const recsys_ovr_view_t *overrides;  /* hide, erase, pin, boost
                                            (recsys_overrides.h); NULL */
    float             diversity;    /* 0 to 1, 0: by score alone
                                       (recsys_diversity.h) */
} recsys_query_t;

/* Why an item was recommended (explain=1). */
typedef struct {
    float             contrib[RECSYS_NSRC];
    uint32_t          because[RECSYS_BECAUSE_MAX];
    uint32_t          n_because;
    uint32_t          rule;         /* algo=assoc: the rule's record, or
                                       RECSYS_NO_INDEX */
} recsys_why_t;

typedef struct {
    recsys_scored_t  *items;
    recsys_why_t     *why;          /* parallel to items when explain */
    uint32_t          n;
    int               algo;         /* what answered: a source or hybrid */
    recsys_fallback_t fallback;
    uint32_t          depends;      /* what the answer depends on besides
                                       the query, for its ETag: 0 nothing,
                                       else the availability epoch + 1
                                       (recsys_attrfilter_epoch) */
    const uint8_t    *pinned;       /* parallel to items: 1 where a pin
                                       placed the item; NULL: no pin */
} recsys_result_t;

#endif /* RECSYS_REQUEST_H */
