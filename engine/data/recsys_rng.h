/*
 * recsys_rng: the seeded random stream every trainer and the generator use,
 * splitmix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014): a 64-bit state advanced by a constant and
 * mixed.  The same seed gives the same stream on every platform, which the
 * builder's determinism (byte-identical models from the same inputs and
 * seed) depends on.
 */

#ifndef RECSYS_RNG_H
#define RECSYS_RNG_H

#include <stdint.h>


/* The mixing function alone: a well-spread 64-bit hash of x. */
static inline uint64_t
recsys_rng_mix(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;

    return x ^ (x >> 31);
}


/* The next value of the stream whose state is *state. */
static inline uint64_t
recsys_rng_next(uint64_t *state)
{
    return recsys_rng_mix(*state += 0x9e3779b97f4a7c15ULL);
}


/* A double uniform in [0, 1): the top 53 bits of the next value. */
static inline double
recsys_rng_unit(uint64_t *state)
{
    return (double) (recsys_rng_next(state) >> 11) / 9007199254740992.0;
}

#endif /* RECSYS_RNG_H */
