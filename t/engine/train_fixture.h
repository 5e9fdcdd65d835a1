/*
 * train_fixture.h: train matrices for the engine's unit tests, laid out by
 * hand as recsys_train_t (by_user and by_item csr, hand-written rows), a
 * bitwise csr comparison, the thread count, and the check that a
 * trainer's rows do not depend on it.  Header-only, its helpers static
 * inline: a test program includes it once and uses what it needs.
 */

#ifndef TRAIN_FIXTURE_H
#define TRAIN_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "recsys_csr.h"
#include "recsys_status.h"
#include "recsys_train.h"
#include "tap.h"


/* The thread count of the next parallel regions; nothing without OpenMP. */
static inline void
t_set_threads(int n)
{
#ifdef _OPENMP
    omp_set_num_threads(n);
#else
    (void) n;
#endif
}


static inline void
t_train_free(recsys_train_t *t)
{
    recsys_csr_free(&t->by_user);
    recsys_csr_free(&t->by_item);
}


/*
 * c as a view of n_rows hand-written rows: row r holds items[offsets[r]
 * .. offsets[r + 1] - 1], each with score 1, copied into e (as many
 * entries as offsets[n_rows]).  Nothing is allocated.
 */
static inline void
t_csr_rows(recsys_csr_t *c, uint32_t n_rows, uint32_t *offsets,
    const uint32_t *items, recsys_entry_t *e)
{
    uint32_t  k;

    for (k = 0; k < offsets[n_rows]; k++) {
        e[k].item = items[k];
        e[k].score = 1.0f;
    }

    c->n_rows = n_rows;
    c->n_entries = offsets[n_rows];
    c->offsets = offsets;
    c->entries = e;
}


/*
 * c, allocated here with n entries, as the rows (by_item 0) or the
 * columns (by_item 1) of the dense nu x ni matrix on: a cell v > 0 is an
 * entry of score 0.5 v, a zero cell none.  Bails out without memory.
 */
static inline void
t_dense_rows(const uint8_t *on, uint32_t nu, uint32_t ni, int by_item,
    uint32_t n, recsys_csr_t *c)
{
    uint8_t   v;
    uint32_t  r, k, nr, nk, e;

    nr = by_item ? ni : nu;
    nk = by_item ? nu : ni;

    if (recsys_csr_alloc(c, nr, n) != 0) {
        printf("Bail out! out of memory\n");
        exit(1);
    }

    e = 0;

    for (r = 0; r < nr; r++) {
        c->offsets[r] = e;

        for (k = 0; k < nk; k++) {
            v = by_item ? on[(size_t) k * ni + r] : on[(size_t) r * ni + k];

            if (v != 0) {
                c->entries[e].item = k;
                c->entries[e].score = 0.5f * v;
                e++;
            }
        }
    }

    c->offsets[nr] = e;
}


/*
 * A random nu x ni train matrix, each cell present with probability p and
 * a value from 0.5 to 4.5, drawn from rnd (uniform in [0, 1)).
 */
static inline void
t_train_random(recsys_train_t *t, uint32_t nu, uint32_t ni, double p,
    double (*rnd)(void))
{
    uint32_t  u, i, n;
    uint8_t  *on;

    on = calloc((size_t) nu * ni, 1);
    n = 0;

    for (u = 0; u < nu; u++) {
        for (i = 0; i < ni; i++) {
            if (rnd() < p) {
                on[(size_t) u * ni + i] = 1 + (uint8_t) (rnd() * 9);
                n++;
            }
        }
    }

    memset(t, 0, sizeof(recsys_train_t));
    t->n_users = nu;
    t->n_items = ni;

    t_dense_rows(on, nu, ni, 0, n, &t->by_user);
    t_dense_rows(on, nu, ni, 1, n, &t->by_item);

    free(on);
}


/* Two csr are the same bits. */
static inline int
t_csr_same(const recsys_csr_t *a, const recsys_csr_t *b)
{
    return a->n_rows == b->n_rows && a->n_entries == b->n_entries
           && memcmp(a->offsets, b->offsets,
                     ((size_t) a->n_rows + 1) * sizeof(uint32_t)) == 0
           && memcmp(a->entries, b->entries,
                     (size_t) a->n_entries * sizeof(recsys_entry_t)) == 0;
}

/* A trainer's rows from t with its options o (the trainer's own type). */
typedef int (*t_build_pt)(const recsys_train_t *t, const void *o,
    recsys_csr_t *rows);


/* Three tests: build succeeds on one thread and on four, same bits. */
static inline void
t_same_on_threads(t_build_pt build, const recsys_train_t *t, const void *o)
{
    recsys_csr_t  rows, again;

    t_set_threads(1);
    tap_is_int(build(t, o, &rows), RECSYS_OK, "1 thread");
    t_set_threads(4);
    tap_is_int(build(t, o, &again), RECSYS_OK, "4 threads");
    tap_ok(t_csr_same(&rows, &again), "the same rows on 1 and 4 threads");
    recsys_csr_free(&rows);
    recsys_csr_free(&again);
}

#endif /* TRAIN_FIXTURE_H */
