/*
 * recsys_ease.h: EASE^R, the closed-form linear item-item model.
 *
 * Steck (2019), "Embarrassingly Shallow Autoencoders for Sparse Data":
 * with X the users x items train matrix (binary by default, or the stored
 * values), B minimises |X - XB|^2 + lambda |B|^2 subject to diag(B) = 0,
 * and has the closed form
 *
 *   G = X^T X + lambda I,   P = G^-1,   B[i][j] = -P[i][j] / P[j][j],
 *   B[j][j] = 0;
 *
 * a user's scores are x_u B: the sum over the user's items h of
 * x(u,h) B[h][c].  G is accumulated sparsely (the cost is the sum over
 * users of their degree squared); the inverse is LAPACK's Cholesky pair
 * dpotrf + dpotri (OpenBLAS through LAPACKE), never hand-written numerics.
 *
 * EDLAE.  Steck (2020), "Autoencoders that don't overfit towards the
 * identity": training the same model on inputs with dropout p emphasised
 * on the dropped entries amounts, in closed form, to a per-item L2 weight
 * that grows with the item's own count,
 *
 *   Lambda = lambda I + p / (1 - p) diag(X^T X),   G = X^T X + Lambda,
 *
 * with P and B as above (dropout 0 is EASE^R).  DLAE, the same without
 * the zero-diagonal constraint, has B = I - P Lambda: off the diagonal
 * B[i][j] = -P[i][j] Lambda[j] (its diagonal, which only scores items a
 * user has seen, is set to 0 here as well).  Popular items, whose
 * columns EASE^R fits most closely, are held back hardest.
 *
 * Time kernel.  With time_scale S > 0, two rows of one user weigh by how
 * far apart in time they were given: the Gram matrix becomes
 *
 *   G[i][j] = sum_u w_u x(u,i) x(u,j) (f + (1 - f) exp(-|t(u,i) - t(u,j)| / S))
 *
 * (f = time_floor, w_u the user weight below), so items a user took in
 * one sitting count as more alike than items taken years apart.  The
 * diagonal is unchanged (a row is 0 seconds from itself), and the kernel
 * exp(-|dt| / S) is positive definite, so G stays so; f = 1 is G without
 * time.  A pair where either row has no timestamp weighs 1.  Scoring is
 * unchanged: x_u B, every history item with weight 1 (or its value).
 * On ml-latest-small's P1 validation split (README, "A stronger top
 * model") S = 120 s and f = 0.2 lift DLAE's nDCG@10 from 0.2258 to
 * 0.2425 (with users weighed |I_u|^-0.2 instead of ^-0.5).
 *
 * Catalog cap.  G and P are dense: n^2 doubles for n kept items (9.7k
 * items: 760 MB; 20k: 3.2 GB) and a solve of about n^3 flops (9.7k items:
 * about 30 CPU seconds).  Only items with at least one train row are
 * kept, and when more than max_items have one, the max_items with the
 * most distinct train users (ties to the smaller index) are kept and the
 * others get no row and no column: they are never scored.
 *
 * Served form.  recsys_ease_topk() keeps, per item h, its k largest
 * positive B[h][c], best first, as a csr row per item: the shape of the
 * item-CF neighbour lists, so request-time history scoring (sum over
 * history items of their rows, with weight 1 each when X is binary) serves
 * EASE.  Truncating to k and dropping negative weights makes that an
 * approximation of x_u B: on ml-latest-small under P1, nDCG@10 is 0.405
 * for the exact x_u B and 0.357, 0.367, 0.372, 0.379, 0.385, 0.386 for
 * k = 20, 50, 100, 200, 500, 1000 (MAP 0.107 exact, 0.103 at k = 200);
 * most of what is lost is the negative weights, not the tail.
 *
 * Defaults (recsys_ease_default, the builder's and eval's): DLAE with
 * dropout 0.5, lambda 30, the 2000 items with the most users, users
 * weighed |I_u|^-0.2 and the time kernel (120 s, floor 0.2), binary X:
 * the best nDCG@10 on a validation split carved from P1's train rows of
 * ml-latest-small (recsys-build eval --tune; the grid and the figures are
 * in the README), never on its test rows.  lambda 500, dropout 0, dlae 0,
 * user_norm 0 and time_scale 0 are the EASE^R of earlier releases.
 */

#ifndef RECSYS_EASE_H
#define RECSYS_EASE_H

#include <stdint.h>

#include "recsys_csr.h"
#include "recsys_train.h"

#define RECSYS_EASE_NONE       UINT32_MAX

/* the largest max_items accepted: 46000^2 doubles are 17 GB */
#define RECSYS_EASE_MAX_ITEMS  46000


typedef struct {
    double    lambda;       /* L2 weight, added to diag(G); > 0 */
    uint32_t  max_items;    /* catalog cap, most popular kept; >= 1 */
    uint32_t  k;            /* served: columns kept per row */
    int       values;       /* 0: binary X, 1: X holds the train values */
    double    dropout;      /* EDLAE's p in [0, 1); 0: EASE^R */
    int       dlae;         /* 1: DLAE, no zero-diagonal constraint */
    double    user_norm;    /* a in [0, 4]: user u's rows weigh
                               |I_u|^-a in G; 0: all 1 */
    double    time_scale;   /* S seconds of the time kernel; 0: off */
    double    time_floor;   /* f in [0, 1]: the kernel's weight far apart */
} recsys_ease_opts_t;

typedef struct {
    uint32_t   n_items;     /* the train's item count */
    uint32_t   n_kept;
    uint32_t  *kept;        /* n_kept item indexes, ascending */
    uint32_t  *slot;        /* per item: place in kept or RECSYS_EASE_NONE */
    double    *b;           /* n_kept x n_kept, row-major, zero diagonal */
    int        values;      /* as fitted: how score() weighs history */
} recsys_ease_t;


/*
 * lambda 30, max_items 2000, k 200, values 0 (binary), dropout 0.5, dlae
 * 1, user_norm 0.2, time_scale 120, time_floor 0.2.
 */
extern const recsys_ease_opts_t  recsys_ease_default;

/*
 * Fits the dense B of t under o into m (which the caller frees with
 * recsys_ease_free(), also after a failure).  Runs G on all OpenMP
 * threads, then the Cholesky inverse on OpenBLAS's threads, outside any
 * OpenMP region.  The time kernel reads t->seq and t->seq_time (none
 * there: no kernel).  RECSYS_OK, RECSYS_EINVAL (lambda not > 0, max_items
 * not in 1 .. RECSYS_EASE_MAX_ITEMS, time_scale negative or not finite,
 * time_floor outside [0, 1], or G not positive definite: values that are
 * NaN or infinite) or RECSYS_ENOMEM.
 */
int recsys_ease_fit(const recsys_train_t *t, const recsys_ease_opts_t *o,
    recsys_ease_t *m);

/*
 * The served lists of a fitted m: a csr with a row per train item (empty
 * for items not kept) holding up to k (item, B[h][item]) with B > 0, best
 * first, ties to the smaller item index.  On all OpenMP threads.
 * RECSYS_OK or RECSYS_ENOMEM.
 */
int recsys_ease_topk(const recsys_ease_t *m, uint32_t k, recsys_csr_t *nbrs);

/*
 * The exact dense scores x_u B of user (a user index of t, the train m was
 * fitted on) into scores[0 .. n_items): -INFINITY for items not kept.
 * Thread-safe on a fitted m.
 */
void recsys_ease_score(const recsys_ease_t *m, const recsys_train_t *t,
    uint32_t user, double *scores);

void recsys_ease_free(recsys_ease_t *m);

#endif /* RECSYS_EASE_H */
