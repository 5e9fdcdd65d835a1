/*
 * recsys_build_write.h: storing what the pipeline computed (the parts) as
 * a published model file.
 */

#ifndef RECSYS_BUILD_WRITE_H
#define RECSYS_BUILD_WRITE_H

#include <stddef.h>

#include "recsys_build_opts.h"
#include "recsys_build_parts.h"
#include "recsys_build_stats.h"
#include "recsys_ingest.h"


/*
 * Writes and publishes the model; "why" in err on failure.  Records the
 * "write" and "explain" stages.
 */
int recsys_build_write(recsys_data_t *d, const recsys_build_opts_t *o,
    recsys_parts_t *parts, const char *out, recsys_build_stats_t *stats,
    char *err, size_t errlen);

#endif /* RECSYS_BUILD_WRITE_H */
