/*
 * recsys_hybrid.h: algo=hybrid, the blend of every weighted source.
 */

#ifndef RECSYS_HYBRID_H
#define RECSYS_HYBRID_H

#include "recsys_qctx.h"


/*
 * The blend inputs of c's weights into c->blend (c->n_blend of them, the
 * source of each in c->blend_src), scored at request time where needed
 * (with c->base_inputs, never: a known user's stored per-user lists).
 */
int recsys_hybrid_inputs(recsys_qctx_t *c);

/*
 * The session list that algo=hybrid walks for q (recsys_session.h): a
 * session with the model's own weights, anonymous or of a known user (when
 * the model has stored hybrid lists); else NULL.
 */
const recsys_list_t *recsys_hybrid_session(const recsys_model_t *m,
    const recsys_query_t *q);

/* algo=hybrid into c->out; RECSYS_OK or RECSYS_ENOMEM. */
int recsys_hybrid_answer(recsys_qctx_t *c);

#endif /* RECSYS_HYBRID_H */
