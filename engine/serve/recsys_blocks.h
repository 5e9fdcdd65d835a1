/*
 * recsys_blocks.h: an allocator for memory that outlives a request: each
 * piece a malloc()ed block chained to its owner, all freed together.  It
 * backs what is compiled once and kept (the overrides' filters, a
 * worker's cached request filters) behind a recsys_alloc_t.
 */

#ifndef RECSYS_BLOCKS_H
#define RECSYS_BLOCKS_H

#include <stddef.h>

#include "recsys_alloc.h"


typedef struct {
    void  *head;                    /* the newest block, or NULL */
} recsys_blocks_t;


/* A recsys_alloc_t taking its memory from b (b starts zeroed). */
void recsys_blocks_alloc(recsys_blocks_t *b, recsys_alloc_t *a);

/* Frees every block of b; b is empty again. */
void recsys_blocks_free(recsys_blocks_t *b);

#endif /* RECSYS_BLOCKS_H */
