/*
 * recsys_alloc.h: the allocator the query code takes its memory from.
 *
 * alloc(ctx, size) returns size bytes, suitably aligned for any type, or
 * NULL when out of memory; nothing is freed one by one: the memory lives
 * as long as the caller's pool (an nginx request pool in the module, an
 * arena in the builder, data/recsys_arena.h).
 */

#ifndef RECSYS_ALLOC_H
#define RECSYS_ALLOC_H

#include <stddef.h>


typedef struct {
    void     *(*alloc)(void *ctx, size_t size);
    void      *ctx;
} recsys_alloc_t;

#endif /* RECSYS_ALLOC_H */
