/*
 * recsys_writer.h: writing a model file and publishing it atomically.
 *
 * recsys_writer_open() creates "<path>.tmp.<pid>" in the published file's
 * directory and one write transaction over it.  Values are put with
 * recsys_writer_put() or written in place with recsys_writer_reserve().
 * recsys_writer_publish() commits, syncs the file, renames it over path and
 * syncs the directory: readers see the old file or the new one, never a
 * mix.  Between pause and resume the unpublished file can be read back.  recsys_writer_abort() removes the temporary file; the published
 * model is never touched before publish.  The transaction writes into the
 * file's own map (MDB_WRITEMAP), not into memory of the process.
 */

#ifndef RECSYS_WRITER_H
#define RECSYS_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "recsys_lmdb.h"
#include "recsys_mapped.h"


typedef struct {
    recsys_lmdb_t   db;
    char           *path;
    char           *tmp;
    size_t          map_size;
    recsys_mapped_t map;        /* the file's map while it is open */
    size_t          written;    /* bytes put since the map's pages were
                                   last dropped */
    unsigned        stale;      /* temporary files of dead builders
                                   removed by open */
    char            err[512];
} recsys_writer_t;

/* Which database a value goes to. */
typedef enum {
    RECSYS_W_META = 0,
    RECSYS_W_USERS,
    RECSYS_W_ITEMS,
    RECSYS_W_BLOBS
} recsys_wdb_t;


/*
 * Whether a model can be published at path: not a directory, in an
 * existing directory the builder may write; RECSYS_EINVAL with the reason
 * in err.  The command line asks this before reading any input.
 */
int recsys_writer_check(const char *path, char *err, size_t errlen);

/*
 * Removes "<path>.tmp.<pid>" files left by builders that died (their pid
 * is gone): a killed build leaves its temporary file behind, and nothing
 * else would ever remove it.  Returns how many were removed.  Open calls
 * it for the model; the manifest's writer for the manifest.
 */
unsigned recsys_writer_sweep(const char *path);

/*
 * Creates the temporary file (and removes those of builders that died:
 * "<path>.tmp.<pid>" whose pid is gone, counted in w->stale).
 */
int recsys_writer_open(recsys_writer_t *w, const char *path,
    size_t map_size);

/* append: keys arrive in LMDB's key order (MDB_APPEND, a bulk load). */
int recsys_writer_put(recsys_writer_t *w, recsys_wdb_t db, const void *key,
    size_t key_len, const void *val, size_t val_len, int append);

/* Reserves size bytes for a value and returns where to write them. */
int recsys_writer_reserve(recsys_writer_t *w, recsys_wdb_t db,
    const char *key, size_t size, void **data);

/*
 * Commits what is written so far and closes the file, unpublished, so that
 * it can be opened as a model (recsys_model_open(w->tmp)) and read;
 * recsys_writer_resume() opens it again for writing, with room for extra
 * more bytes.  The file stays unpublished and abort still removes it.
 */
int recsys_writer_pause(recsys_writer_t *w);
int recsys_writer_resume(recsys_writer_t *w, size_t extra);

int recsys_writer_publish(recsys_writer_t *w);

/*
 * publish in two steps: finish commits, syncs and seals the temporary file
 * (w->tmp then holds the bytes that will be published), rename renames it
 * over the path and syncs the directory.
 */
int recsys_writer_finish(recsys_writer_t *w);
int recsys_writer_rename(recsys_writer_t *w);

/*
 * Syncs the directory that holds path: a rename into it is durable once
 * the directory is (errors are ignored: the data itself is synced).
 */
void recsys_writer_sync_dir(const char *path);
void recsys_writer_abort(recsys_writer_t *w);

#endif /* RECSYS_WRITER_H */
