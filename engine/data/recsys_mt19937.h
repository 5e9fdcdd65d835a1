/*
 * recsys_mt19937.h: the Mersenne Twister, bit for bit as numpy uses it.
 *
 * Offline evaluation must draw the same random numbers as the published
 * reference pipelines (Microsoft Recommenders, scikit-learn), which all go
 * through numpy's legacy RandomState.  This is Matsumoto and Nishimura's
 * MT19937 (624 words of state, tempered 32-bit outputs) with numpy's three
 * derived draws:
 *
 *   recsys_mt_seed(s)       numpy.random.seed(s): init_genrand(s)
 *   recsys_mt_double()      numpy.random.random_sample(): genrand_res53,
 *                           53 random bits from two consecutive outputs
 *   recsys_mt_interval(m)   numpy's random_interval(m): a uniform integer
 *                           in [0, m] by masked rejection sampling
 *   recsys_mt_shuffle()     numpy.random.shuffle() of a 1-d array
 *
 * With seed 42 the first doubles are 0.37454012, 0.95071431, 0.73199394;
 * the first output of init_genrand(5489) is 3499211612.  The state is a
 * plain struct: no globals, one generator per caller.
 */

#ifndef RECSYS_MT19937_H
#define RECSYS_MT19937_H

#include <stddef.h>
#include <stdint.h>

#define RECSYS_MT_N  624


typedef struct {
    uint32_t  mt[RECSYS_MT_N];
    uint32_t  mti;              /* next word of mt to temper */
} recsys_mt_t;


void recsys_mt_seed(recsys_mt_t *g, uint32_t seed);
uint32_t recsys_mt_next(recsys_mt_t *g);

/* A double in [0, 1) with 53 random bits (numpy's random_sample). */
double recsys_mt_double(recsys_mt_t *g);

/* An integer in [0, max], numpy's random_interval for max < 2^32. */
uint32_t recsys_mt_interval(recsys_mt_t *g, uint32_t max);

/* Shuffles a in place exactly as numpy.random.shuffle(a) would. */
void recsys_mt_shuffle(recsys_mt_t *g, uint32_t *a, size_t n);

#endif /* RECSYS_MT19937_H */
