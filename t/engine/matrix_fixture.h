/*
 * matrix_fixture.h: small dense rating matrices for the unit tests of the
 * linear and factor models (test_als.c, test_ease.c, test_rp3.c): a
 * seeded generator, a random matrix and its layout as recsys_train_t.
 * The includer defines T_MAXU and T_MAXI (the largest matrix) and T_SEED
 * (the generator's seed) first.  Header-only; helpers a test does not use
 * are static inline, so they cost nothing there.
 */

#ifndef MATRIX_FIXTURE_H
#define MATRIX_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_csr.h"
#include "recsys_train.h"
#include "train_fixture.h"


typedef struct {
    int       nu;
    int       ni;
    double    r[T_MAXU][T_MAXI];    /* 0: no train row */
} t_matrix_t;


static uint32_t  t_rand_state = T_SEED;


static inline double
t_rand(void)
{
    t_rand_state = t_rand_state * 1103515245u + 12345u;
    return (double) ((t_rand_state >> 8) & 0xffff) / 65536.0;
}


/* A random matrix: density p, ratings in {0.5 .. 5}; item ni-1 empty. */
static inline void
t_random(t_matrix_t *m, int nu, int ni, double p)
{
    int  u, i;

    memset(m, 0, sizeof(t_matrix_t));
    m->nu = nu;
    m->ni = ni;

    for (u = 0; u < nu; u++) {
        for (i = 0; i < ni - 1; i++) {
            if (t_rand() < p) {
                m->r[u][i] = 0.5 * (1 + (int) (t_rand() * 10));
            }
        }
    }
}


/*
 * One side of m as a csr sorted by index: a row per user (by_item 0) or
 * per item (by_item 1) of its non-zero cells; c holds room for them all.
 */
static inline void
t_layout(const t_matrix_t *m, int by_item, recsys_csr_t *c)
{
    int       rows, cols, r, k;
    double    v;
    uint32_t  e;

    rows = by_item ? m->ni : m->nu;
    cols = by_item ? m->nu : m->ni;
    e = 0;

    for (r = 0; r < rows; r++) {
        c->offsets[r] = e;

        for (k = 0; k < cols; k++) {
            v = by_item ? m->r[k][r] : m->r[r][k];

            if (v > 0.0) {
                c->entries[e].item = (uint32_t) k;
                c->entries[e].score = (float) v;
                e++;
            }
        }
    }

    c->offsets[rows] = e;
}


/* Lays m out as train data: by_user and by_item, sorted by index. */
static inline void
t_train(const t_matrix_t *m, recsys_train_t *t)
{
    int  u, i, n;

    memset(t, 0, sizeof(recsys_train_t));
    t->n_users = m->nu;
    t->n_items = m->ni;

    n = 0;
    for (u = 0; u < m->nu; u++) {
        for (i = 0; i < m->ni; i++) {
            n += m->r[u][i] > 0.0;
        }
    }

    if (recsys_csr_alloc(&t->by_user, m->nu, n) != 0
        || recsys_csr_alloc(&t->by_item, m->ni, n) != 0)
    {
        printf("Bail out! out of memory\n");
        exit(1);
    }

    t_layout(m, 0, &t->by_user);
    t_layout(m, 1, &t->by_item);
}

#endif /* MATRIX_FIXTURE_H */
