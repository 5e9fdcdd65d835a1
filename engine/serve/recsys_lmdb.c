/*
 * recsys_lmdb: opening the named databases of a model file
 * (recsys_lmdb.h).
 */

#include "recsys_lmdb.h"
#include "recsys_schema.h"


int
recsys_lmdb_open_dbs(recsys_lmdb_t *db, unsigned flags)
{
    int  rc;

    if ((rc = mdb_dbi_open(db->txn, RECSYS_DB_META, flags, &db->meta))
        || (rc = mdb_dbi_open(db->txn, RECSYS_DB_USERS, flags, &db->users))
        || (rc = mdb_dbi_open(db->txn, RECSYS_DB_ITEMS, flags, &db->items))
        || (rc = mdb_dbi_open(db->txn, RECSYS_DB_BLOBS, flags, &db->blobs)))
    {
        return rc;
    }

    return 0;
}
