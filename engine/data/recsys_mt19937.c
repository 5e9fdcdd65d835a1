/*
 * recsys_mt19937.c: MT19937 and numpy's legacy draws built on it.
 *
 * The recurrence and tempering are the reference mt19937ar.c; the derived
 * draws follow numpy's legacy code paths (randomkit), which is what makes
 * seeded splits here equal to the Python ones.
 */

#include "recsys_mt19937.h"

#define RECSYS_MT_M           397
#define RECSYS_MT_MATRIX_A    0x9908b0dfu
#define RECSYS_MT_UPPER_MASK  0x80000000u
#define RECSYS_MT_LOWER_MASK  0x7fffffffu


void
recsys_mt_seed(recsys_mt_t *g, uint32_t seed)
{
    uint32_t  i;

    g->mt[0] = seed;

    for (i = 1; i < RECSYS_MT_N; i++) {
        g->mt[i] = 1812433253u * (g->mt[i - 1] ^ (g->mt[i - 1] >> 30)) + i;
    }

    g->mti = RECSYS_MT_N;
}


/* Regenerates all 624 words of state. */
static void
recsys_mt_twist(recsys_mt_t *g)
{
    uint32_t  i, y;

    for (i = 0; i < RECSYS_MT_N; i++) {
        y = (g->mt[i] & RECSYS_MT_UPPER_MASK)
            | (g->mt[(i + 1) % RECSYS_MT_N] & RECSYS_MT_LOWER_MASK);

        g->mt[i] = g->mt[(i + RECSYS_MT_M) % RECSYS_MT_N] ^ (y >> 1)
                   ^ ((y & 1u) ? RECSYS_MT_MATRIX_A : 0u);
    }

    g->mti = 0;
}


uint32_t
recsys_mt_next(recsys_mt_t *g)
{
    uint32_t  y;

    if (g->mti >= RECSYS_MT_N) {
        recsys_mt_twist(g);
    }

    y = g->mt[g->mti++];

    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;

    return y;
}


double
recsys_mt_double(recsys_mt_t *g)
{
    uint32_t  a, b;

    a = recsys_mt_next(g) >> 5;
    b = recsys_mt_next(g) >> 6;

    return (a * 67108864.0 + b) / 9007199254740992.0;
}


uint32_t
recsys_mt_interval(recsys_mt_t *g, uint32_t max)
{
    uint32_t  mask, v;

    if (max == 0) {
        return 0;
    }

    mask = max;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;

    do {
        v = recsys_mt_next(g) & mask;
    } while (v > max);

    return v;
}


void
recsys_mt_shuffle(recsys_mt_t *g, uint32_t *a, size_t n)
{
    size_t    i;
    uint32_t  j, tmp;

    for (i = n; i > 1; i--) {
        j = recsys_mt_interval(g, (uint32_t) (i - 1));
        tmp = a[i - 1];
        a[i - 1] = a[j];
        a[j] = tmp;
    }
}
