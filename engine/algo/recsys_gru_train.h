/*
 * recsys_gru_train.h: training and packing the recurrent next-item models
 * that recsys_gru.h (GRU cell) and recsys_lstm.h (LSTM cell) define and
 * score.  Both cells share everything here but the cell's own step
 * (recsys_lstm_train.h holds the LSTM's); a model says its cell in `cell`,
 * which is also its number of gate blocks (W: cell h x d, U: cell h x h).
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
 * exact full softmax over the items in training (every such item a
 * candidate once, no correction; small catalogues, tests).  Items that
 * never occur in training keep output bias -100, so they rank after every
 * trained item.
 *
 * Training depends only on the sequences, not on which other items or
 * users exist: the users' order, the items in training in index order and
 * the seed fix every draw (an item's initial rows are keyed by its rank
 * among the items in training, negatives are drawn over the items in
 * training, the validation draw is made only for users who can be held
 * out).  So a model trained on the rows of a split inside a larger index
 * space (evaluation) equals, item for item, one trained on the same rows
 * alone (a model built from the split's train file).
 *
 * The skip connection.  With `skip` 1 (and dim = hidden) the output
 * layer reads h_t + E[x_t], the state plus the embedding of the item just
 * read, so O[j] . E[x_t] is a learned first-order transition score next to
 * what the recurrence remembers (recsys_gru.h, RECSYS_RNN_SKIP).
 *
 * Weight tying.  With `tie` 1 (and dim = hidden) the output layer's item
 * rows are the input embedding: O is E, one matrix that both paths'
 * gradients train (GRU4Rec's constrained embedding), so the model has
 * n_items h fewer parameters and an item's output row learns from every
 * position that reads it.  The output bias bo stays apart.  With the skip
 * connection too the whole output row is E[j]: score(j) = E[j] . h_t +
 * E[j] . E[x_t] + bo[j], the transition part a symmetric similarity of
 * the two items' embeddings.  The packed form does not change: E is
 * written where O goes, so serving needs no flag for it.
 *
 * Regularisation.  With `dropout` p > 0 each position's hidden state is
 * multiplied, on its way into the output layer only, by a mask of
 * independent keep draws scaled by 1 / (1 - p) (inverted dropout; the
 * recurrence itself sees the whole state); the masks come from a stream
 * seeded by the seed, the epoch and the window, so they do not depend on
 * the thread that draws them.  With `valid` v > 0 early stopping watches
 * a validation split: a seeded share v of the users with at least three
 * items have their newest item held out of training; after every epoch
 * the model ranks each such user's held-out item among the items the user
 * has not seen, from the state after the user's earlier items (at most
 * max_len), and the mean reciprocal rank is the epoch's score.  Training
 * stops after `patience` epochs without a better score and the model of
 * the best epoch is kept.  With `refit` 1 the validation run only picks
 * the number of epochs E (the best epoch's): the model is then trained
 * again from the same seeded start on every user's items, the held-out
 * ones included, for E epochs without validation, exactly as a run with
 * epochs E and valid 0 trains it (so the kept model has seen as many
 * rows as a model trained without early stopping).
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


#define RECSYS_RNN_GRU   3      /* cell: gate blocks z, r, n */
#define RECSYS_RNN_LSTM  4      /* cell: gate blocks i, f, g, o */

typedef struct {
    uint32_t  n_items;
    uint32_t  dim;
    uint32_t  hidden;
    uint32_t  cell;             /* RECSYS_RNN_GRU or RECSYS_RNN_LSTM */
    uint32_t  skip;             /* 1: the skip connection (dim = hidden) */
    uint32_t  tie;              /* 1: O is E (recsys_gru_tie()) */
    float    *E;                /* n_items * dim */
    float    *W;                /* cell * hidden * dim */
    float    *U;                /* cell * hidden * hidden */
    float    *b;                /* cell * hidden */
    float    *O;                /* n_items * hidden; E when tied */
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
    uint32_t  cell;             /* RECSYS_RNN_GRU (default) or _LSTM */
    float     dropout;          /* on the output layer's input, in
                                   [0, 1), default 0 */
    float     valid;            /* share of users held out for early
                                   stopping, in [0, 1), 0 (default):
                                   every epoch runs */
    uint32_t  patience;         /* epochs without a better validation
                                   score before stopping, default 2 */
    uint32_t  skip;             /* 1: the output layer reads h_t + the
                                   input item's embedding (needs dim =
                                   hidden), default 0 */
    uint32_t  refit;            /* 1 (with valid > 0): train again on
                                   all items for the best epoch count,
                                   default 0 */
    uint32_t  tie;              /* 1: the output rows are the input
                                   embedding (needs dim = hidden),
                                   default 0 */
    double   *loss;             /* NULL, or epochs slots: the mean
                                   training loss per prediction of each
                                   epoch (epochs not run: 0) */
    double   *score;            /* NULL, or epochs slots: each epoch's
                                   validation score (valid > 0) */
    uint32_t *best;             /* NULL, or where the kept epoch's number
                                   (from 1) goes (with refit: the epochs
                                   of the final run) */
} recsys_gru_opts_t;


extern const recsys_gru_opts_t  recsys_gru_default;

/*
 * Allocates a zeroed model of the given cell (recsys_gru_alloc: a GRU);
 * RECSYS_OK, RECSYS_EINVAL or RECSYS_ENOMEM.
 */
int recsys_gru_alloc(recsys_gru_t *m, uint32_t n_items, uint32_t dim,
    uint32_t hidden);
int recsys_rnn_alloc(recsys_gru_t *m, uint32_t cell, uint32_t n_items,
    uint32_t dim, uint32_t hidden);
void recsys_gru_free(recsys_gru_t *m);

/*
 * Ties m's output rows to its embedding: O is freed and becomes E (the
 * weights of E are kept), m->tie 1; recsys_gru_free() frees E once.
 * RECSYS_OK, or RECSYS_EINVAL when dim is not hidden.
 */
int recsys_gru_tie(recsys_gru_t *m);

/*
 * Fills m with the seeded initial weights: E, W, U uniform in
 * +-1/sqrt(fan-in), O uniform in +-1/sqrt(h), biases 0 but the LSTM's
 * forget gate's, 1 (so the cell starts out remembering).  W and U come
 * from the seed's stream; each item's rows E[i] and O[i] from a stream of
 * their own, keyed by the item's rank among the live items (live[0 ..
 * n_live), increasing indexes; recsys_gru_init: every item is live), so
 * an item's initial weights do not depend on which other items exist.
 * A tied model draws E[i] alone (O is E).
 */
void recsys_gru_init(recsys_gru_t *m, uint64_t seed);
void recsys_gru_init_live(recsys_gru_t *m, uint64_t seed,
    const uint32_t *live, uint32_t n_live);

/*
 * Loss and gradient of one window seq[0 .. n) (n >= 2, items < n_items),
 * either cell, without dropout:
 * positions 0 .. n-2 predict seq[t + 1].  n_neg 0: full softmax; else the
 * sampled softmax over the target and neg[0 .. n_neg), with logit - logq[j]
 * when logq (n_items values) is not NULL and negatives equal to the target
 * masked.  grad must have m's shape; it is overwritten with the gradient
 * of the summed loss, which goes to *loss.  When m is tied, grad (untied)
 * gets the gradient of the shared matrix, both paths summed, in E and the
 * same in O (the derivative with respect to any one of O's entries, which
 * are E's).  RECSYS_OK, RECSYS_EINVAL or RECSYS_ENOMEM.
 */
int recsys_gru_loss_grad(const recsys_gru_t *m, const uint32_t *seq,
    uint32_t n, const uint32_t *neg, uint32_t n_neg, const float *logq,
    recsys_gru_t *grad, double *loss);

/*
 * Trains m (allocated here; free with recsys_gru_free()) of cell o->cell
 * on t->seq as described above.  RECSYS_OK, RECSYS_EINVAL (dim or hidden
 * 0 or above RECSYS_GRU_MAX_DIM, max_len < 2, batch or epochs 0, lr not
 * positive, an unknown cell, dropout or valid outside [0, 1), skip,
 * refit or tie above 1, skip or tie with dim other than hidden) or
 * RECSYS_ENOMEM.  Memory: the model, its two Adam moments and a gradient
 * the size of E, O and bo (about 4 copies of the model), plus per window
 * of a batch about max_len (10h + d + S) + S (h + 1) + 3h (d + h + 1)
 * floats, S = negatives (n_items for the full softmax).  Cost per epoch:
 * about 3 (3h (d + h) + (negatives + 1) h) multiply-adds per position;
 * a refit adds E epochs (the validation run's memory is freed first).
 */
int recsys_gru_train(const recsys_train_t *t, const recsys_gru_opts_t *o,
    recsys_gru_t *m);

/*
 * Packs m as recsys_gru.h (or, for an LSTM, recsys_lstm.h) lays it out,
 * with the given max_len and RECSYS_RNN_SKIP in the header when m has the
 * skip connection, into a malloc'd buffer (*buf, *size; the caller
 * frees).  RECSYS_OK, RECSYS_EINVAL (max_len 0) or RECSYS_ENOMEM.
 */
int recsys_gru_pack(const recsys_gru_t *m, uint32_t max_len, void **buf,
    size_t *size);

/*
 * The builder's per-user lists: recsys_gru_score() (recsys_lstm_score()
 * for a packed LSTM) over each user's newest
 * max_len items of t->seq, at most k results, a csr row per user, best
 * first.  exclude_seen (the builder's default) leaves out every item the
 * user has seen (t->by_user); without it a re-watch may be proposed.
 * RECSYS_OK, RECSYS_ENOMEM, or the packed model's check error.
 */
int recsys_gru_user_top(const void *packed, size_t size,
    const recsys_train_t *t, uint32_t k, int exclude_seen,
    recsys_csr_t *out);



/*
 * The trainer's internals that a cell's step (recsys_lstm_train.c) shares.
 */

/* one window's activations and scratch */
typedef struct {
    uint32_t   cap;         /* longest window */
    float     *H;           /* (cap + 1) h: H[t] = h_t, H[0] = 0 */
    float     *C;           /* (cap + 1) h: the LSTM's cell state c_t */
    float     *Z;           /* cap h each: the gates of step t at t, */
    float     *R;           /*   GRU z, r, n and r * h_t-1 (Q), */
    float     *N;           /*   LSTM i, f, g, o */
    float     *Q;
    float     *HD;          /* cap h: the output layer's input, h_t+1
                               after dropout */
    float     *MK;          /* cap h: the dropout masks (0 or 1/(1-p)) */
    float     *dHo;         /* cap h: dL/dh_t+1 from the output layer */
    float     *dAs;         /* cap cell h: dL/d(gate pre-activations) */
    float     *DL;          /* cap n_shared: dL/dlogit of the shared
                               candidates */
    float     *logit;       /* n_neg + 1, or n_items */
    float     *a;           /* cell h */
    float     *dh;          /* h */
    float     *dhp;         /* h */
    float     *dq;          /* h */
} recsys_gru_work_t;

/* one window's gradient */
typedef struct {
    float     *dense;       /* dW (cell h d) | dU (cell h h) | db (cell h) */
    float     *dX;          /* cap d: per input position */
    float     *dOt;         /* cap h: per target (sampled softmax) */
    float     *dbt;         /* cap */
    float     *dOn;         /* n_shared h: negatives, or every item */
    float     *dbn;         /* n_shared */
    uint32_t  *neg;         /* n_neg */
    uint32_t   from;        /* the window: x[from .. from + len) */
    uint32_t   len;
    uint64_t   drop;        /* seed of the window's dropout masks */
    double     loss;
} recsys_gru_slot_t;


#ifdef _OPENMP
#define RECSYS_GRU_OMP(x)  _Pragma(x)
#else
#define RECSYS_GRU_OMP(x)
#endif


/*
 * y += alpha x, element by element: vectorising it (OpenMP SIMD in the
 * builder) changes no result.
 */
static inline void
recsys_gru_axpy(float *restrict y, float alpha, const float *restrict x,
    uint32_t n)
{
    uint32_t  k;

RECSYS_GRU_OMP("omp simd")
    for (k = 0; k < n; k++) {
        y[k] += alpha * x[k];
    }
}

#endif /* RECSYS_GRU_TRAIN_H */
