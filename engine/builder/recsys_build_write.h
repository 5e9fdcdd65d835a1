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
#include "recsys_writer.h"


/*
 * Writes and publishes the model; "why" in err on failure.  Records the
 * "write" and "explain" stages.
 */
int recsys_build_write(recsys_data_t *d, const recsys_build_opts_t *o,
    recsys_parts_t *parts, const char *out, recsys_build_stats_t *stats,
    char *err, size_t errlen);

/*
 * Writes c as the list blob name (recsys_schema.h) and folds its entries
 * into the FNV-1a digest (the model id's).
 */
int recsys_build_write_list(recsys_writer_t *w, const char *name,
    const recsys_csr_t *c, uint32_t *digest);

/*
 * A table blob of n names, each its bytes and, with nul, a NUL (an empty
 * name stays an empty row).
 */
int recsys_build_write_names(recsys_writer_t *w, const char *blob,
    const char *const *names, uint32_t n, int nul);

#endif /* RECSYS_BUILD_WRITE_H */
