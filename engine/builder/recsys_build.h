/*
 * recsys_build.h: turning ingested data into a published model file.
 *
 * The builder's pipeline after ingest: one value per (user, item) pair (the
 * latest row wins), each user's seen set and recent history, popularity,
 * item-CF neighbours, each user's precomputed item-CF list, and then the
 * file itself, written to a temporary name and renamed into place.
 */

#ifndef RECSYS_BUILD_H
#define RECSYS_BUILD_H

#include <stdint.h>

#include "recsys_build_opts.h"
#include "recsys_build_stats.h"
#include "recsys_ingest.h"
#include "recsys_train.h"


/* Builds and publishes the model at out; "why" in err on failure. */
int recsys_build_model(recsys_data_t *d, const recsys_build_opts_t *o,
    const char *out, recsys_build_stats_t *stats, char *err, size_t errlen);

/*
 * The same from training data laid out already (over d's ids), which the
 * build reads and does not free: evaluation builds a model per split.
 */
int recsys_build_from_train(recsys_data_t *d, const recsys_train_t *train,
    const recsys_build_opts_t *o, const char *out,
    recsys_build_stats_t *stats, char *err, size_t errlen);

#endif /* RECSYS_BUILD_H */
