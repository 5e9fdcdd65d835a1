/*
 * recsys_dict.c: the id interning table.
 */

#include <stdlib.h>
#include <string.h>

#include "recsys_dict.h"
#include "recsys_release.h"
#include "recsys_status.h"


static uint32_t
recsys_dict_hash(const char *key, size_t len)
{
    size_t    i;
    uint64_t  h;

    /* FNV-1a, 64-bit, folded: ids are short */
    h = 0xcbf29ce484222325ULL;
    for (i = 0; i < len; i++) {
        h ^= (unsigned char) key[i];
        h *= 0x100000001b3ULL;
    }

    return (uint32_t) (h ^ (h >> 32));
}


int
recsys_dict_init(recsys_dict_t *d, uint32_t expected)
{
    uint64_t  size;

    memset(d, 0, sizeof(recsys_dict_t));

    size = 1024;
    while (size < (uint64_t) expected * 2) {
        size *= 2;
    }

    d->slots = calloc(size, sizeof(uint64_t));
    d->mask = size - 1;
    d->offsets_cap = 1024;
    d->offsets = malloc(d->offsets_cap * sizeof(size_t));
    d->pool_cap = 64 * 1024;
    d->pool = malloc(d->pool_cap);

    if (d->slots == NULL || d->offsets == NULL || d->pool == NULL) {
        recsys_dict_free(d);
        return RECSYS_ENOMEM;
    }

    d->offsets[0] = 0;

    return RECSYS_OK;
}


void
recsys_dict_free(recsys_dict_t *d)
{
    recsys_release(d, sizeof(recsys_dict_t), 3, d->slots, d->offsets, d->pool);
}


static int
recsys_dict_grow(recsys_dict_t *d)
{
    uint64_t   size, i, j, *slots;

    size = (d->mask + 1) * 2;
    slots = calloc(size, sizeof(uint64_t));
    if (slots == NULL) {
        return RECSYS_ENOMEM;
    }

    for (i = 0; i <= d->mask; i++) {
        if (d->slots[i] == 0) {
            continue;
        }

        for (j = (d->slots[i] >> 32) & (size - 1); slots[j] != 0;
             j = (j + 1) & (size - 1))
        {
            /* probe */
        }

        slots[j] = d->slots[i];
    }

    free(d->slots);
    d->slots = slots;
    d->mask = size - 1;

    return RECSYS_OK;
}


static int
recsys_dict_lookup(const recsys_dict_t *d, const char *key, size_t len,
    uint32_t hash, uint64_t *slot)
{
    size_t    klen;
    uint32_t  index;
    uint64_t  i, s;

    for (i = hash & d->mask; (s = d->slots[i]) != 0; i = (i + 1) & d->mask) {
        if ((uint32_t) (s >> 32) != hash) {
            continue;
        }

        index = (uint32_t) s - 1;
        klen = d->offsets[index + 1] - d->offsets[index];

        if (klen == len && memcmp(d->pool + d->offsets[index], key, len) == 0)
        {
            *slot = i;
            return 1;
        }
    }

    *slot = i;
    return 0;
}


int
recsys_dict_find(const recsys_dict_t *d, const char *key, size_t len,
    uint32_t *index)
{
    uint64_t  slot;

    if (!recsys_dict_lookup(d, key, len, recsys_dict_hash(key, len), &slot)) {
        return RECSYS_ENOTFOUND;
    }

    *index = (uint32_t) d->slots[slot] - 1;

    return RECSYS_OK;
}


int
recsys_dict_intern(recsys_dict_t *d, const char *key, size_t len,
    uint32_t *index)
{
    int        rc;
    char      *pool;
    size_t    *offsets;
    uint32_t   hash;
    uint64_t   slot;

    hash = recsys_dict_hash(key, len);

    if (recsys_dict_lookup(d, key, len, hash, &slot)) {
        *index = (uint32_t) d->slots[slot] - 1;
        return RECSYS_OK;
    }

    if (d->n == UINT32_MAX - 1) {
        return RECSYS_ELIMIT;
    }

    if ((uint64_t) (d->n + 1) * 2 > d->mask) {
        rc = recsys_dict_grow(d);
        if (rc != RECSYS_OK) {
            return rc;
        }

        recsys_dict_lookup(d, key, len, hash, &slot);
    }

    if (d->n + 2 > d->offsets_cap) {
        offsets = realloc(d->offsets, d->offsets_cap * 2 * sizeof(size_t));
        if (offsets == NULL) {
            return RECSYS_ENOMEM;
        }

        d->offsets = offsets;
        d->offsets_cap *= 2;
    }

    while (d->pool_len + len > d->pool_cap) {
        pool = realloc(d->pool, d->pool_cap * 2);
        if (pool == NULL) {
            return RECSYS_ENOMEM;
        }

        d->pool = pool;
        d->pool_cap *= 2;
    }

    memcpy(d->pool + d->pool_len, key, len);
    d->pool_len += len;

    *index = d->n++;
    d->offsets[d->n] = d->pool_len;
    d->slots[slot] = ((uint64_t) hash << 32) | ((uint64_t) *index + 1);

    return RECSYS_OK;
}
