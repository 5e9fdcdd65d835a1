/*
 * ngx_http_recsys_files.c: what the workers know of model files, shared.
 *
 * One small shared-memory zone ("recsys_files", created with the first
 * recsys_model directive, kept across reloads) holds a table of model
 * files, each known by its identity (device, inode, size, mtime, ctime:
 * any write or chmod makes a new identity):
 *   - verified: a worker has checked the whole file (recsys_verify), so
 *     another worker, a respawned one or one of the next configuration
 *     opens it at once instead of reading it all again;
 *   - openers: the pids of workers inside a synchronous step on the file
 *     (a verification step, LMDB's open and the model's validation).  A
 *     step that does not return leaves its pid behind; the next worker to
 *     look at the file finds that pid dead and quarantines the file;
 *   - quarantined: never opened again by any worker (until the file
 *     changes, which is a new identity).
 * So a file that crashes a worker while being opened costs one worker
 * once, not a respawn loop.  The table is small and replaced least
 * recently used first; losing an entry only costs a new verification.
 */

#include <signal.h>

#include "ngx_http_recsys_module.h"


#define NGX_HTTP_RECSYS_FILES        64
#define NGX_HTTP_RECSYS_OPENERS      16
#define NGX_HTTP_RECSYS_FILES_SIZE   (64 * 1024)


typedef struct {
    recsys_verify_id_t        id;
    ngx_uint_t                used;         /* last use, by the table's
                                               clock; 0: a free slot */
    ngx_pid_t                 opener[NGX_HTTP_RECSYS_OPENERS];
    unsigned                  verified:1;
    unsigned                  quarantined:1;
} ngx_http_recsys_file_t;


typedef struct {
    ngx_uint_t                clock;
    ngx_http_recsys_file_t    file[NGX_HTTP_RECSYS_FILES];
} ngx_http_recsys_files_t;


static ngx_int_t
ngx_http_recsys_files_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t          *shpool;
    ngx_http_recsys_files_t  *files;

    if (data != NULL) {
        shm_zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        return NGX_OK;
    }

    files = ngx_slab_calloc(shpool, sizeof(ngx_http_recsys_files_t));
    if (files == NULL) {
        return NGX_ERROR;
    }

    shpool->data = files;
    shm_zone->data = files;

    return NGX_OK;
}


/* The zone of this configuration (the same one for every call). */
ngx_shm_zone_t *
ngx_http_recsys_files_add(ngx_conf_t *cf)
{
    ngx_str_t        name = ngx_string("recsys_files");
    ngx_shm_zone_t  *zone;

    zone = ngx_shared_memory_add(cf, &name, NGX_HTTP_RECSYS_FILES_SIZE,
                                 &ngx_http_recsys_module);
    if (zone == NULL) {
        return NULL;
    }

    zone->init = ngx_http_recsys_files_init_zone;

    return zone;
}


/* The entry of id, made (evicting the least recently used) if need be;
 * called with the zone locked. */
static ngx_http_recsys_file_t *
ngx_http_recsys_files_find(ngx_http_recsys_files_t *files,
    const recsys_verify_id_t *id)
{
    ngx_uint_t               i;
    ngx_http_recsys_file_t  *f, *oldest;

    oldest = &files->file[0];

    for (i = 0; i < NGX_HTTP_RECSYS_FILES; i++) {
        f = &files->file[i];

        if (f->used != 0 && recsys_verify_same(&f->id, id)) {
            f->used = ++files->clock;
            return f;
        }

        if (f->used < oldest->used) {
            oldest = f;
        }
    }

    ngx_memzero(oldest, sizeof(ngx_http_recsys_file_t));
    oldest->id = *id;
    oldest->used = ++files->clock;

    return oldest;
}


/*
 * Enters a synchronous step on the file id: NGX_DECLINED if the file is
 * quarantined (now, or because a worker died inside a step on it), else
 * NGX_OK with this worker recorded as an opener and *verified telling
 * whether some worker has verified the whole file.
 */
ngx_int_t
ngx_http_recsys_files_enter(ngx_shm_zone_t *zone, const recsys_verify_id_t *id,
    ngx_uint_t *verified)
{
    ngx_int_t                 rc;
    ngx_uint_t                i, slot;
    ngx_slab_pool_t          *shpool;
    ngx_http_recsys_file_t   *f;
    ngx_http_recsys_files_t  *files;

    *verified = 0;

    if (zone == NULL || zone->data == NULL) {
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) zone->shm.addr;
    files = zone->data;

    ngx_shmtx_lock(&shpool->mutex);

    f = ngx_http_recsys_files_find(files, id);
    slot = NGX_HTTP_RECSYS_OPENERS;

    for (i = 0; i < NGX_HTTP_RECSYS_OPENERS; i++) {
        if (f->opener[i] == 0 || f->opener[i] == ngx_pid) {
            if (slot == NGX_HTTP_RECSYS_OPENERS) {
                slot = i;
            }
            continue;
        }

        /* a worker left a step on this file and is gone: it died there */
        if (kill(f->opener[i], 0) == -1 && ngx_errno == NGX_ESRCH) {
            f->quarantined = 1;
            f->opener[i] = 0;
        }
    }

    if (f->quarantined) {
        rc = NGX_DECLINED;

    } else {
        rc = NGX_OK;
        *verified = f->verified;

        if (slot < NGX_HTTP_RECSYS_OPENERS) {
            f->opener[slot] = ngx_pid;
        }
    }

    ngx_shmtx_unlock(&shpool->mutex);

    return rc;
}


/* Leaves the step entered on id; verified: the whole file checked out. */
void
ngx_http_recsys_files_leave(ngx_shm_zone_t *zone, const recsys_verify_id_t *id,
    ngx_uint_t verified)
{
    ngx_uint_t                i;
    ngx_slab_pool_t          *shpool;
    ngx_http_recsys_file_t   *f;
    ngx_http_recsys_files_t  *files;

    if (zone == NULL || zone->data == NULL) {
        return;
    }

    shpool = (ngx_slab_pool_t *) zone->shm.addr;
    files = zone->data;

    ngx_shmtx_lock(&shpool->mutex);

    f = ngx_http_recsys_files_find(files, id);

    for (i = 0; i < NGX_HTTP_RECSYS_OPENERS; i++) {
        if (f->opener[i] == ngx_pid) {
            f->opener[i] = 0;
        }
    }

    if (verified) {
        f->verified = 1;
    }

    ngx_shmtx_unlock(&shpool->mutex);
}
