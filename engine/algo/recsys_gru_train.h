/*
 * recsys_gru_train.h: training and packing the GRU next-item model that
 * recsys_gru.h defines and scores.
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
 */

#ifndef RECSYS_GRU_TRAIN_H
#define RECSYS_GRU_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_csr.h"
#include "recsys_gru.h"
#include "recsys_train.h"


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


extern const recsys_gru_opts_t  recsys_gru_default;

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
 * Packs m as recsys_gru.h lays it out, with the given max_len, into a
 * malloc'd buffer (*buf, *size; the caller frees).  RECSYS_OK,
 * RECSYS_EINVAL (max_len 0) or RECSYS_ENOMEM.
 */
int recsys_gru_pack(const recsys_gru_t *m, uint32_t max_len, void **buf,
    size_t *size);

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

#endif /* RECSYS_GRU_TRAIN_H */
