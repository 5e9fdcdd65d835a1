/*
 * recsys_copy.c: copying a model file's databases through a filter
 * (recsys_copy.h).
 */

#include <stdio.h>

#include "recsys_copy.h"
#include "recsys_schema.h"
#include "recsys_status.h"


int
recsys_copy_open(const char *path, MDB_env **env, MDB_txn **txn)
{
    int  rc;

    *env = NULL;
    *txn = NULL;

    rc = mdb_env_create(env);
    if (rc != 0) {
        *env = NULL;
        return rc;
    }

    mdb_env_set_maxdbs(*env, RECSYS_MAX_DBS);
    rc = mdb_env_open(*env, path, MDB_RDONLY | MDB_NOLOCK | MDB_NOSUBDIR, 0);

    if (rc == 0) {
        rc = mdb_txn_begin(*env, NULL, MDB_RDONLY, txn);
    }

    if (rc != 0) {
        *txn = NULL;
        mdb_env_close(*env);
        *env = NULL;
    }

    return rc;
}


int
recsys_copy_model(const char *path, recsys_writer_t *w,
    recsys_copy_pt filter, void *ctx, char *err, size_t errlen)
{
    int             rc, k;
    MDB_env        *env;
    MDB_txn        *txn;
    MDB_dbi         dbi;
    MDB_val         key, val;
    MDB_cursor     *cur;
    MDB_cursor_op   op;

    static const char  *dbs[] = { RECSYS_DB_META, RECSYS_DB_USERS,
                                  RECSYS_DB_ITEMS, RECSYS_DB_BLOBS };
    static const recsys_wdb_t  wdbs[] = { RECSYS_W_META, RECSYS_W_USERS,
                                          RECSYS_W_ITEMS, RECSYS_W_BLOBS };

    rc = recsys_copy_open(path, &env, &txn);

    for (k = 0; rc == 0 && k < 4; k++) {
        op = MDB_FIRST;
        rc = mdb_dbi_open(txn, dbs[k], 0, &dbi);
        if (rc == 0) {
            rc = mdb_cursor_open(txn, dbi, &cur);
        }

        if (rc != 0) {
            break;
        }

        while (rc == 0 && mdb_cursor_get(cur, &key, &val, op) == 0) {
            op = MDB_NEXT;
            rc = filter != NULL ? filter(ctx, wdbs[k], &key, &val) : 0;

            if (rc == 0) {
                rc = recsys_writer_put(w, wdbs[k], key.mv_data, key.mv_size,
                                       val.mv_data, val.mv_size, 1);
            }

            rc = rc == 1 ? 0 : rc;
        }

        mdb_cursor_close(cur);
    }

    if (txn != NULL) {
        mdb_txn_abort(txn);
    }

    if (env != NULL) {
        mdb_env_close(env);
    }

    if (rc != 0) {
        snprintf(err, errlen, "%s: copying the model: %s", path,
                 rc > 0 ? mdb_strerror(rc)
                        : w->err[0] ? w->err : recsys_strerror(rc));
        return rc > 0 ? RECSYS_ELMDB : rc;
    }

    return RECSYS_OK;
}
