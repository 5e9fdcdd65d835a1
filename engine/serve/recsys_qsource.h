/*
 * recsys_qsource.h: answering a request from one source.
 */

#ifndef RECSYS_QSOURCE_H
#define RECSYS_QSOURCE_H

#include <stdint.h>

#include "recsys_qctx.h"


/* Whether source s can score a session at request time in this model. */
int recsys_qsource_is_session(const recsys_qctx_t *c, int s);

/*
 * Scores c's history with the session-capable source s: the best `need`
 * that pass the filter into out (capacity need), best first, count in *n;
 * for a session, of an item-to-item list, only those scoring above zero.
 */
int recsys_qsource_score(recsys_qctx_t *c, int s, recsys_scored_t *out,
    uint32_t need, uint32_t *n);

/*
 * algo=<source s> for a known user or a session into c->out;
 * RECSYS_ENOTFOUND when the model lacks s.
 */
int recsys_qsource_answer(recsys_qctx_t *c, int s, recsys_result_t *res);

/* item=I: the item's neighbours in one item-to-item list. */
int recsys_qsource_similar(recsys_qctx_t *c, recsys_result_t *res);

#endif /* RECSYS_QSOURCE_H */
