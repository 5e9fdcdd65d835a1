/*
 * recsys_hash: the integer hash of every open-addressing table in the
 * engine (the query's item sets and seen sets, the sequence scorers' sets,
 * the builder's tables): a 32-bit finaliser with good avalanche (two
 * multiply-xorshift rounds), so consecutive item indexes spread over the
 * slots of a power-of-two table.
 */

#ifndef RECSYS_HASH_H
#define RECSYS_HASH_H

#include <stdint.h>


static inline uint32_t
recsys_hash_u32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;

    return x;
}

#endif /* RECSYS_HASH_H */
