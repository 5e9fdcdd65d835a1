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


/* Lays m out as train data: by_user and by_item, sorted by index. */
static inline void
t_train(const t_matrix_t *m, recsys_train_t *t)
{
    int       u, i, n;
    uint32_t  e;

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

    e = 0;
    for (u = 0; u < m->nu; u++) {
        t->by_user.offsets[u] = e;

        for (i = 0; i < m->ni; i++) {
            if (m->r[u][i] > 0.0) {
                t->by_user.entries[e].item = i;
                t->by_user.entries[e].score = (float) m->r[u][i];
                e++;
            }
        }
    }

    t->by_user.offsets[m->nu] = e;

    e = 0;
    for (i = 0; i < m->ni; i++) {
        t->by_item.offsets[i] = e;

        for (u = 0; u < m->nu; u++) {
            if (m->r[u][i] > 0.0) {
                t->by_item.entries[e].item = u;
                t->by_item.entries[e].score = (float) m->r[u][i];
                e++;
            }
        }
    }

    t->by_item.offsets[m->ni] = e;
}

#endif /* MATRIX_FIXTURE_H */
