/*
 * recsys_arena: the bump allocator (recsys_arena.h).
 */

#include "recsys_arena.h"


void *
recsys_arena_alloc(void *ctx, size_t size)
{
    void            *p;
    recsys_arena_t  *a;

    a = ctx;
    size = (size + 15) & ~(size_t) 15;

    if (a->used + size > a->size) {
        return NULL;
    }

    p = a->base + a->used;
    a->used += size;

    return p;
}
