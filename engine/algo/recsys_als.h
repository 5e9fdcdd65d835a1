/*
 * recsys_als.h: implicit-feedback matrix factorisation by alternating
 * least squares.
 *
 * Hu, Koren and Volinsky (2008), "Collaborative Filtering for Implicit
 * Feedback Datasets".  Every (user, item) cell has a preference p = 1 if
 * the pair has a train row, else 0, and a confidence
 *
 *   c = 1 + alpha * r                  (RECSYS_ALS_LINEAR)
 *   c = 1 + alpha * ln(1 + r / eps)    (RECSYS_ALS_LOG)
 *
 * for observed cells (c = 1 elsewhere), with r the train value when
 * values is set, else 1.  User factors x_u and item factors y_i (f floats
 * each) minimise
 *
 *   L = sum over all cells of c (p - x_u . y_i)^2
 *       + reg (sum |x_u|^2 + sum |y_i|^2).
 *
 * A sweep fixes Y and solves every user's normal equations
 *
 *   (Y^T Y + sum_{i in I_u} (c_ui - 1) y_i y_i^T + reg I) x_u
 *       = sum_{i in I_u} c_ui y_i,
 *
 * then does the same for the items with X fixed.  Y^T Y is computed once
 * per half-sweep, so a row costs O(f^2 + n_u f) per step.  Each row is
 * solved by a few steps of conjugate gradient started from its current
 * value (Takacs, Pilaszy and Tikk 2011, as the `implicit` library does):
 * every CG step lowers the row's quadratic, so L never rises.  A row with
 * no observations has the exact solution 0 and gets it.  Factors start
 * from seeded MT19937 draws uniform in [0, 0.01), users then items, so a
 * fit is the same for the same seed whatever the thread count.
 */

#ifndef RECSYS_ALS_H
#define RECSYS_ALS_H

#include <stdint.h>

#include "recsys_csr.h"
#include "recsys_train.h"

#define RECSYS_ALS_LINEAR      0
#define RECSYS_ALS_LOG         1

#define RECSYS_ALS_MAX_FACTORS 1024


typedef struct {
    uint32_t  factors;      /* f, 1 .. RECSYS_ALS_MAX_FACTORS */
    double    reg;          /* >= 0 */
    double    alpha;        /* confidence slope, >= 0 */
    double    epsilon;      /* RECSYS_ALS_LOG only, > 0 */
    int       confidence;   /* RECSYS_ALS_LINEAR or RECSYS_ALS_LOG */
    int       values;       /* r = the train value; 0: r = 1 */
    uint32_t  iterations;   /* sweeps */
    uint32_t  cg_steps;     /* CG steps per row and sweep, >= 1 */
    uint32_t  seed;
    uint32_t  top;          /* length of the per-user lists */
} recsys_als_opts_t;

typedef struct {
    uint32_t  n_users;
    uint32_t  n_items;
    uint32_t  factors;
    float    *user;         /* n_users x factors, row-major */
    float    *item;         /* n_items x factors, row-major */
} recsys_als_t;


/*
 * factors 64, reg 50, alpha 5, epsilon 1, linear, values 0, iterations
 * 15, cg_steps 3, seed 42, top 100.
 */
extern const recsys_als_opts_t  recsys_als_default;

/*
 * Allocates m for t and draws the starting factors.  RECSYS_OK,
 * RECSYS_EINVAL (an option out of range) or RECSYS_ENOMEM; free m with
 * recsys_als_free() in every case.
 */
int recsys_als_init(const recsys_train_t *t, const recsys_als_opts_t *o,
    recsys_als_t *m);

/*
 * One sweep (users, then items) on all OpenMP threads.  RECSYS_OK or
 * RECSYS_ENOMEM (m is then unchanged or half-updated, still valid).
 */
int recsys_als_iterate(const recsys_train_t *t, const recsys_als_opts_t *o,
    recsys_als_t *m);

/* recsys_als_init() and o->iterations sweeps. */
int recsys_als_fit(const recsys_train_t *t, const recsys_als_opts_t *o,
    recsys_als_t *m);

/*
 * The objective L above, summed in a fixed order.  NAN when out of
 * memory.
 */
double recsys_als_loss(const recsys_train_t *t, const recsys_als_opts_t *o,
    const recsys_als_t *m);

/*
 * Solves one row's normal equations by steps CG steps, starting from and
 * updating x[0 .. f).  other: the fixed side's factors (row j at other + j
 * * f); gram: its f x f Gram matrix plus reg on the diagonal; row: the
 * n observed (index into other, value) entries.  scratch holds 4 f
 * doubles.  Exposed for the tests.
 */
void recsys_als_solve(const float *other, uint32_t f, const double *gram,
    const recsys_entry_t *row, uint32_t n, const recsys_als_opts_t *o,
    uint32_t steps, float *x, double *scratch);

/*
 * The f x f Gram matrix of rows n x f into gram (row-major, both
 * triangles), plus reg on the diagonal; on all OpenMP threads, summed in a
 * fixed order.  RECSYS_OK or RECSYS_ENOMEM.
 */
int recsys_als_gram(const float *rows, uint32_t n, uint32_t f, double reg,
    double *gram);

/* x_u . y_i for every item into scores[0 .. n_items).  Thread-safe. */
void recsys_als_score(const recsys_als_t *m, uint32_t user, double *scores);

/*
 * Each user's top best items by x_u . y_i, best first (ties to the
 * smaller index), among items with a train row that the user has none
 * with: a csr with a row per user, empty for users without train rows.
 * On all OpenMP threads.  RECSYS_OK or RECSYS_ENOMEM.
 */
int recsys_als_top(const recsys_train_t *t, const recsys_als_t *m,
    uint32_t top, recsys_csr_t *lists);

void recsys_als_free(recsys_als_t *m);

#endif /* RECSYS_ALS_H */
