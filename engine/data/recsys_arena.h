/*
 * recsys_arena: a bump allocator over one caller-owned block, for the
 * builder's threads that run request-time code (recsys_query, the sequence
 * scorers) once per user: the block is reset (used = 0) between users, so
 * nothing is freed one by one.  recsys_arena_alloc has the signature of
 * recsys_alloc_t's alloc with the arena as its ctx; it returns 16-byte
 * aligned memory, or NULL once the block is spent (the caller grows the
 * block and retries).
 */

#ifndef RECSYS_ARENA_H
#define RECSYS_ARENA_H

#include <stddef.h>

typedef struct {
    char    *base;
    size_t   size;
    size_t   used;
} recsys_arena_t;

void *recsys_arena_alloc(void *ctx, size_t size);

#endif /* RECSYS_ARENA_H */
