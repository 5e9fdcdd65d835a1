/*
 * recsys_blocks.c: malloc()ed blocks chained to their owner
 * (recsys_blocks.h).
 */

#include <stdlib.h>

#include "recsys_blocks.h"


/* A block's head, as aligned as malloc() makes the memory after it. */
typedef union recsys_block_u {
    union recsys_block_u  *next;
    double                 align_d;
    long long              align_l;
    void                  *align_p;
} recsys_block_t;


static void *
recsys_blocks_get(void *ctx, size_t size)
{
    recsys_block_t   *n;
    recsys_blocks_t  *b = ctx;

    if (size > (size_t) -1 - sizeof(recsys_block_t)) {
        return NULL;
    }

    n = malloc(sizeof(recsys_block_t) + size);
    if (n == NULL) {
        return NULL;
    }

    n->next = b->head;
    b->head = n;

    return n + 1;
}


void
recsys_blocks_alloc(recsys_blocks_t *b, recsys_alloc_t *a)
{
    a->alloc = recsys_blocks_get;
    a->ctx = b;
}


void
recsys_blocks_free(recsys_blocks_t *b)
{
    recsys_block_t  *n, *next;

    for (n = b->head; n != NULL; n = next) {
        next = n->next;
        free(n);
    }

    b->head = NULL;
}
