/*
 * recsys_series.h: one slot per series in an answer ("continue watching").
 *
 * With a "series" attribute (recsys_attrs.h), an answer holds at most one
 * item of each series: the first, in rank order, of the series' items it
 * holds, with that item's score.  When the viewer has seen any of the
 * series' items (the user's stored items or the session's history), the
 * slot holds instead the episode after the latest one seen, in (season,
 * episode) order, if the request's filters keep it; a series with no such
 * episode gets no slot.
 */

#ifndef RECSYS_SERIES_H
#define RECSYS_SERIES_H

#include "recsys_qctx.h"


/*
 * Collapses c->out[0 .. have) in place as described above (c->rules_because
 * follows when set): RECSYS_OK or RECSYS_ENOMEM.
 */
int recsys_series_collapse(recsys_qctx_t *c);

/* Whether the model's answers are collapsed by series. */
int recsys_series_present(const recsys_model_t *model);

#endif /* RECSYS_SERIES_H */
