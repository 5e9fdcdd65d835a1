/*
 * recsys_session.h: a session scored in one walk over the session list,
 * on its own (anonymous) or added to a known user's stored hybrid list.
 */

#ifndef RECSYS_SESSION_H
#define RECSYS_SESSION_H

#include "recsys_qctx.h"


/*
 * The list an anonymous session walks: "item.session", or with a single
 * blended source that source's item-to-item list (*single = 1); NULL when
 * the model has neither.
 */
const recsys_list_t *recsys_session_list(const recsys_model_t *m,
    int *single);

/*
 * Scores c's session over list into c->out; RECSYS_OK or RECSYS_ENOMEM.
 * c->session_scale > 0 when the session scored an item above zero;
 * otherwise nothing is answered (c->have 0).
 */
int recsys_session_answer(recsys_qctx_t *c, const recsys_list_t *list);

#endif /* RECSYS_SESSION_H */
