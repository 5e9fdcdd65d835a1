/*
 * recsys_mapped.h: a file's shared map in this process, and giving its
 * pages back.
 *
 * The builder maps model files it writes (LMDB's MDB_WRITEMAP) and reads
 * back (the explanations): touched pages count in its resident size until
 * the map is closed.  The pages of a shared file map live in the page
 * cache, so dropping them from the process (MADV_DONTNEED) loses nothing:
 * dirty ones are still written back, and a page touched again is mapped
 * again from the cache.  LMDB does not say where it mapped a file, so the
 * map is found by the file's device and inode in /proc/self/maps.
 */

#ifndef RECSYS_MAPPED_H
#define RECSYS_MAPPED_H

#include <stddef.h>
#include <sys/stat.h>


typedef struct {
    void    *addr;      /* NULL: not found (no /proc), nothing to drop */
    size_t   len;
} recsys_mapped_t;


/* The largest shared mapping of the file st describes (from fstat/stat). */
void recsys_mapped_find(recsys_mapped_t *m, const struct stat *st);

/* Drops the map's pages from the process; they stay in the page cache. */
void recsys_mapped_drop(const recsys_mapped_t *m);

#endif /* RECSYS_MAPPED_H */
