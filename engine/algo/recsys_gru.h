/*
 * recsys_gru.h: a GRU next-item model (GRU4Rec-like), trained in C.
 *
 * Each item i has an embedding E[i] (dim d).  One GRU layer with hidden
 * size h reads a history x_1 .. x_T, most recent last:
 *
 *   a_t = W E[x_t] + b                 W: 3h x d, rows of the z, r, n gates
 *   z_t = sigmoid(a_z + U_z h_t-1)     U: 3h x h, same row blocks
 *   r_t = sigmoid(a_r + U_r h_t-1)
 *   n_t = tanh(a_n + U_n (r_t * h_t-1))
 *   h_t = (1 - z_t) * h_t-1 + z_t * n_t,       h_0 = 0
 *
 * and the next item scores score(j) = O[j] . h_T + bo[j] (O: n_items x h).
 *
 * Training.  Every user's sequence (train->seq, oldest first) is cut into
 * windows of at most max_len items, the newest window ending at the newest
 * item and consecutive windows sharing one item, so every transition is
 * predicted exactly once; each position of a window predicts the item
 * after it (the GRU restarts from h = 0 in every window), and the loss is
 * the cross-entropy of that prediction.  The softmax is sampled: each
 * window draws `negatives` items from q(j) ~ count(j)^0.75 (with
 * replacement) shared by all its positions, every logit gets the log-q
 * correction (logit - log q(j)) so the sampled softmax estimates the full
 * one, and a negative equal to the position's target is masked.  This
 * costs (negatives + 1) h per position instead of n_items h, which is what
 * makes training on a real catalogue affordable; `negatives` 0 selects the
 * exact full softmax (small catalogues, tests).  Items that never occur in
 * training keep output bias -100, so they rank after every trained item.
 *
 * The optimiser is Adam (beta1 0.9, beta2 0.999, eps 1e-8) over minibatches
 * of `batch` windows, the gradient averaged over the batch's predictions;
 * embedding and output rows follow the "lazy" variant, their moments
 * updated only when a batch touches them.  Windows are shuffled every
 * epoch.  Determinism: all random draws (initialisation, shuffles,
 * negatives) come from streams seeded by `seed` and are made serially;
 * inside a batch each window's gradient is computed on any OpenMP thread
 * into its own slot and the slots are summed in window order, so the
 * trained model is bit-identical for every thread count, not only 1.
 * (Built with and without OpenMP the arithmetic is also the same: dot
 * products use a fixed order of partial sums and only element-wise loops
 * are vectorised; this assumes no fused multiply-add contraction, which
 * -std=c99 leaves off.)
 *
 * Serving reads the packed form: the history's last max_len items (at most)
 * pass the GRU (max_len 3h (d + h) multiply-adds), then every item is
 * scored (n_items h multiply-adds) and the best kept.
 *
 * Packed layout, read in place from a model blob (native byte order, only
 * 2-byte alignment assumed: rows are copied with memcpy into an aligned
 * scratch row before use):
 *
 *   recsys_gru_head_t          24 bytes, below
 *   float  E[n_items * d]      item embeddings, row per item
 *   float  W[3h * d]           input weights, rows z (h), r (h), n (h)
 *   float  U[3h * h]           recurrent weights, same row order
 *   float  b[3h]
 *   float  O[n_items * h]      output rows, row per item
 *   float  bo[n_items]         output biases
 *
 * size = 24 + 4 (n_items (d + h + 1) + 3h (d + h + 1)) bytes exactly.
 */

#ifndef RECSYS_GRU_H
#define RECSYS_GRU_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_csr.h"
#include "recsys_query.h"
#include "recsys_train.h"

#define RECSYS_GRU_MAGIC     0x31555247u        /* "GRU1" */
#define RECSYS_GRU_MAX_DIM   4096


typedef struct {
    uint32_t  magic;            /* RECSYS_GRU_MAGIC */
    uint32_t  n_items;
    uint32_t  dim;              /* d, 1..RECSYS_GRU_MAX_DIM */
    uint32_t  hidden;           /* h, 1..RECSYS_GRU_MAX_DIM */
    uint32_t  max_len;          /* history items read when scoring */
    uint32_t  reserved;         /* 0 */
} recsys_gru_head_t;

_Static_assert(sizeof(recsys_gru_head_t) == 24, "gru head layout");

typedef struct {
    uint32_t  n_items;
    uint32_t  dim;
    uint32_t  hidden;
    float    *E;                /* n_items * dim */
    float    *W;                /* 3 * hidden * dim */
    float    *U;                /* 3 * hidden * hidden */
    float    *b;                /* 3 * hidden */
    float    *O;                /* n_items * hidden */
    float    *bo;               /* n_items */
} recsys_gru_t;

typedef struct {
    uint32_t  dim;              /* d, default 64 */
    uint32_t  hidden;           /* h, default 64 */
    uint32_t  epochs;           /* default 10 */
    uint32_t  max_len;          /* window and serving history, default 50 */
    uint32_t  negatives;        /* sampled per window, 0: full softmax;
                                   default 64 */
    uint32_t  batch;            /* windows per Adam step, default 16 */
    float     lr;               /* Adam step size, default 0.005 */
    uint64_t  seed;             /* default 42 */
    double   *loss;             /* NULL, or epochs slots: the mean
                                   training loss per prediction of each
                                   epoch */
} recsys_gru_opts_t;


void recsys_gru_defaults(recsys_gru_opts_t *o);

/* Allocates a zeroed model; RECSYS_OK, RECSYS_EINVAL or RECSYS_ENOMEM. */
int recsys_gru_alloc(recsys_gru_t *m, uint32_t n_items, uint32_t dim,
    uint32_t hidden);
void recsys_gru_free(recsys_gru_t *m);

/*
 * Fills m with the seeded initial weights: E, W, U uniform in
 * +-1/sqrt(fan-in), O uniform in +-1/sqrt(h), biases 0.
 */
void recsys_gru_init(recsys_gru_t *m, uint64_t seed);

/*
 * Loss and gradient of one window seq[0 .. n) (n >= 2, items < n_items):
 * positions 0 .. n-2 predict seq[t + 1].  n_neg 0: full softmax; else the
 * sampled softmax over the target and neg[0 .. n_neg), with logit - logq[j]
 * when logq (n_items values) is not NULL and negatives equal to the target
 * masked.  grad must have m's shape; it is overwritten with the gradient
 * of the summed loss, which goes to *loss.  RECSYS_OK, RECSYS_EINVAL or
 * RECSYS_ENOMEM.
 */
int recsys_gru_loss_grad(const recsys_gru_t *m, const uint32_t *seq,
    uint32_t n, const uint32_t *neg, uint32_t n_neg, const float *logq,
    recsys_gru_t *grad, double *loss);

/*
 * Trains m (allocated here; free with recsys_gru_free()) on t->seq as
 * described above.  RECSYS_OK, RECSYS_EINVAL (dim or hidden 0 or above
 * RECSYS_GRU_MAX_DIM, max_len < 2, batch or epochs 0, lr not positive) or
 * RECSYS_ENOMEM.  Memory: the model, its two Adam moments and a gradient
 * the size of E, O and bo (about 4 copies of the model), plus per window
 * of a batch about max_len (10h + d + S) + S (h + 1) + 3h (d + h + 1)
 * floats, S = negatives (n_items for the full softmax).  Cost per epoch:
 * about 3 (3h (d + h) + (negatives + 1) h) multiply-adds per position.
 */
int recsys_gru_train(const recsys_train_t *t, const recsys_gru_opts_t *o,
    recsys_gru_t *m);

/*
 * Packs m with the given max_len into a malloc'd buffer (*buf, *size; the
 * caller frees).  RECSYS_OK, RECSYS_EINVAL (max_len 0) or RECSYS_ENOMEM.
 */
int recsys_gru_pack(const recsys_gru_t *m, uint32_t max_len, void **buf,
    size_t *size);

/*
 * Checks a packed model's header against its size: RECSYS_OK,
 * RECSYS_EFORMAT or RECSYS_ECORRUPT; fills *head when not NULL.
 */
int recsys_gru_check(const void *packed, size_t size,
    recsys_gru_head_t *head);

/*
 * Request-time scoring from a packed model: runs the GRU over the last
 * max_len items of hist (n_hist indexes, most recent last; indexes >=
 * n_items are skipped; an empty history scores by bo alone), scores every
 * item, and writes the `need` best that are neither in seen (a row sorted
 * by item index, may be empty) nor in exclude (n_exclude indexes, any
 * order, may be NULL) into out, best first, their count into *n_out.
 * Scratch from a: at most 4 (2d + 11h) + 16 n_exclude bytes, plus
 * alignment.  RECSYS_OK, RECSYS_ENOMEM, RECSYS_EFORMAT, RECSYS_ECORRUPT or
 * RECSYS_ELIMIT (more than 2^28 exclusions).
 */
int recsys_gru_score(const void *packed, size_t size, const uint32_t *hist,
    uint32_t n_hist, recsys_row_t seen, const uint32_t *exclude,
    uint32_t n_exclude, uint32_t need, recsys_alloc_t *a,
    recsys_scored_t *out, uint32_t *n_out);

/*
 * The builder's per-user lists: recsys_gru_score() over each user's newest
 * max_len items of t->seq, at most k results, a csr row per user, best
 * first.  exclude_seen (the builder's default) leaves out every item the
 * user has seen (t->by_user); without it a re-watch may be proposed.
 * RECSYS_OK, RECSYS_ENOMEM, or the packed model's check error.
 */
int recsys_gru_user_top(const void *packed, size_t size,
    const recsys_train_t *t, uint32_t k, int exclude_seen,
    recsys_csr_t *out);

#endif /* RECSYS_GRU_H */
