/*
 * recsys_lmdb: a model file as LMDB sees it: the environment, the one
 * transaction the reader or the writer holds, and the four named databases
 * of recsys_schema.h.  The model reader (read-only) and the builder's
 * writer (creating them) open the databases the same way.
 */

#ifndef RECSYS_LMDB_H
#define RECSYS_LMDB_H

#include <lmdb.h>


typedef struct {
    MDB_env  *env;
    MDB_txn  *txn;
    MDB_dbi   meta;
    MDB_dbi   users;
    MDB_dbi   items;
    MDB_dbi   blobs;
} recsys_lmdb_t;


/*
 * Opens the four databases in db->txn with flags (0 to read, MDB_CREATE
 * to write): 0 or the first LMDB error.
 */
int recsys_lmdb_open_dbs(recsys_lmdb_t *db, unsigned flags);

#endif /* RECSYS_LMDB_H */
