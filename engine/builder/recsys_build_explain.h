/*
 * recsys_build_explain.h: each user's explanations, computed at build time
 * over the written, still unpublished model.
 */

#ifndef RECSYS_BUILD_EXPLAIN_H
#define RECSYS_BUILD_EXPLAIN_H

#include <stddef.h>

#include "recsys_build_opts.h"


/*
 * The "user.explain" table of the model written (unpublished) at path,
 * read back with the engine's own query: a malloc'ed blob in *blob, or
 * NULL when the model has no stored hybrid lists or explain_top is 0.
 */
int recsys_build_explain(const char *path, const recsys_build_opts_t *o,
    unsigned char **blob, size_t *blob_size, char *err, size_t errlen);

#endif /* RECSYS_BUILD_EXPLAIN_H */
