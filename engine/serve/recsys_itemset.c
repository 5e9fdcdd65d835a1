/*
 * recsys_itemset.c: a set of item indexes by open addressing (linear
 * probing, recsys_hash_u32, RECSYS_NO_INDEX marks an empty slot), sized
 * once from a capacity: the exclusions and session items of a request.
 */

#include "recsys_hash.h"
#include "recsys_itemset.h"


int
recsys_itemset_init(recsys_itemset_t *set, uint32_t capacity,
    recsys_alloc_t *a)
{
    uint32_t  size;

    if (capacity > (1u << 28)) {
        return RECSYS_ENOMEM;
    }

    size = 16;
    while (size < capacity * 2) {
        size *= 2;
    }

    set->slots = a->alloc(a->ctx, (size_t) size * sizeof(uint32_t));
    if (set->slots == NULL) {
        return RECSYS_ENOMEM;
    }

    memset(set->slots, 0xff, (size_t) size * sizeof(uint32_t));
    set->mask = size - 1;
    set->n = 0;

    return RECSYS_OK;
}


void
recsys_itemset_add(recsys_itemset_t *set, uint32_t item)
{
    uint32_t  i;

    for (i = recsys_hash_u32(item) & set->mask;
         set->slots[i] != RECSYS_NO_INDEX;
         i = (i + 1) & set->mask)
    {
        if (set->slots[i] == item) {
            return;
        }
    }

    set->slots[i] = item;
    set->n++;
}


int
recsys_itemset_has(const recsys_itemset_t *set, uint32_t item)
{
    uint32_t  i;

    if (set == NULL || set->n == 0) {
        return 0;
    }

    for (i = recsys_hash_u32(item) & set->mask;
         set->slots[i] != RECSYS_NO_INDEX;
         i = (i + 1) & set->mask)
    {
        if (set->slots[i] == item) {
            return 1;
        }
    }

    return 0;
}
