/*
 * recsys_copy.h: a model file's databases copied into a writer, each value
 * passed through a filter that may keep, replace or leave it out (the
 * import adds sources to a model, the sharded build's assemble joins the
 * users' lists of P models).
 */

#ifndef RECSYS_COPY_H
#define RECSYS_COPY_H

#include <stddef.h>

#include <lmdb.h>

#include "recsys_writer.h"


/*
 * Sees each value of db (RECSYS_W_META .. RECSYS_W_BLOBS) in key order:
 * returns 0 to copy *val (which it may point elsewhere, valid until the
 * next call), 1 to leave it out, or a negative status to stop.
 */
typedef int (*recsys_copy_pt)(void *ctx, recsys_wdb_t db, const MDB_val *key,
    MDB_val *val);

/*
 * Opens the model file at path read-only (no lock file): its environment
 * and a read transaction, or an LMDB status with both NULL.
 */
int recsys_copy_open(const char *path, MDB_env **env, MDB_txn **txn);

/*
 * Copies the model at path into w in key order (a bulk load).
 * RECSYS_OK, or a status with "PATH: why" in err.
 */
int recsys_copy_model(const char *path, recsys_writer_t *w,
    recsys_copy_pt filter, void *ctx, char *err, size_t errlen);

#endif /* RECSYS_COPY_H */
