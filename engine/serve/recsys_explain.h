/*
 * recsys_explain.h: explain=1, why each result was recommended.
 */

#ifndef RECSYS_EXPLAIN_H
#define RECSYS_EXPLAIN_H

#include "recsys_qctx.h"


/*
 * Fills res->why (one recsys_why_t per result) for the answer c produced
 * (a series slot explained as the item whose place it took);
 * RECSYS_OK or RECSYS_ENOMEM.
 */
int recsys_explain_answer(recsys_qctx_t *c, recsys_result_t *res);

#endif /* RECSYS_EXPLAIN_H */
