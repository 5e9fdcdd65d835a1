/*
 * recsys_dict.h: interning external ids (strings) as dense uint32 indexes.
 *
 * The builder meets each user and item id many times in a log; the dict
 * keeps one copy of each distinct id in a growing byte pool and maps it to
 * the order in which it was first seen (0, 1, 2, ...).  Open addressing
 * with linear probing over a power-of-two slot table, each slot caching
 * the id's hash so that probing rarely touches the pool.
 */

#ifndef RECSYS_DICT_H
#define RECSYS_DICT_H

#include <stddef.h>
#include <stdint.h>


typedef struct {
    uint64_t  *slots;       /* (hash << 32) | (index + 1); 0 is empty */
    uint64_t   mask;
    uint32_t   n;
    size_t    *offsets;     /* n + 1 pool offsets */
    size_t     offsets_cap;
    char      *pool;
    size_t     pool_len;
    size_t     pool_cap;
} recsys_dict_t;


int recsys_dict_init(recsys_dict_t *d, uint32_t expected);
void recsys_dict_free(recsys_dict_t *d);

/* Finds or adds key; *index is its dense index. RECSYS_OK or ENOMEM/ELIMIT. */
int recsys_dict_intern(recsys_dict_t *d, const char *key, size_t len,
    uint32_t *index);

/* RECSYS_OK with *index, or RECSYS_ENOTFOUND. */
int recsys_dict_find(const recsys_dict_t *d, const char *key, size_t len,
    uint32_t *index);

static inline const char *
recsys_dict_key(const recsys_dict_t *d, uint32_t index, size_t *len)
{
    *len = d->offsets[index + 1] - d->offsets[index];
    return d->pool + d->offsets[index];
}

#endif /* RECSYS_DICT_H */
