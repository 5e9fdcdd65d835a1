/*
 * recsys_itemset.h: a set of item indexes (open addressing), for
 * exclusions and deduplication; its memory comes from the caller's
 * allocator and holds at most the capacity it was made for.
 */

#ifndef RECSYS_ITEMSET_H
#define RECSYS_ITEMSET_H

#include <stdint.h>

#include "recsys_alloc.h"
#include "recsys_model.h"


typedef struct {
    uint32_t  *slots;
    uint32_t   mask;
    uint32_t   n;
} recsys_itemset_t;


/* RECSYS_OK, or RECSYS_ENOMEM. */
int recsys_itemset_init(recsys_itemset_t *set, uint32_t capacity,
    recsys_alloc_t *a);
void recsys_itemset_add(recsys_itemset_t *set, uint32_t item);
int recsys_itemset_has(const recsys_itemset_t *set, uint32_t item);

#endif /* RECSYS_ITEMSET_H */
