/*
 * recsys_gru.h: the packed GRU next-item model (GRU4Rec-like) and its
 * request-time scoring (trained by recsys_gru_train.h).
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
 * With the skip connection (flag RECSYS_RNN_SKIP in the header's `flags`,
 * only when d = h) the output layer reads h_T + E[x_T] instead: score(j)
 * = O[j] . (h_T + E[x_T]) + bo[j], x_T the last history item read.
 *
 * Serving reads the packed form: the history's last max_len items (at most)
 * pass the GRU (max_len 3h (d + h) multiply-adds), then every item is
 * scored (n_items h multiply-adds) and the best kept.  Dot products go
 * through recsys_gru_dot() below, in the trainer too: eight partial sums
 * in a fixed order, so no result depends on what the compiler vectorises
 * (this assumes no fused multiply-add contraction, which -std=c99 leaves
 * off).
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
 * size = 24 + 4 (n_items (d + h + 1) + 3h (d + h + 1)) bytes exactly
 * (recsys_gru_packed_size()).
 */

#ifndef RECSYS_GRU_H
#define RECSYS_GRU_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "recsys_query.h"

#define RECSYS_GRU_MAGIC     0x31555247u        /* "GRU1" */
#define RECSYS_GRU_MAX_DIM   4096
#define RECSYS_RNN_SKIP      1u     /* the skip connection, in `reserved` */


typedef struct {
    uint32_t  magic;            /* RECSYS_GRU_MAGIC */
    uint32_t  n_items;
    uint32_t  dim;              /* d, 1..RECSYS_GRU_MAX_DIM */
    uint32_t  hidden;           /* h, 1..RECSYS_GRU_MAX_DIM */
    uint32_t  max_len;          /* history items read when scoring */
    uint32_t  reserved;         /* flags: 0 or RECSYS_RNN_SKIP */
} recsys_gru_head_t;

_Static_assert(sizeof(recsys_gru_head_t) == 24, "gru head layout");


/*
 * The packed size of a recurrent model of n_items items, dim d, hidden
 * size h and `gates` gate blocks (3: the GRU, 4: the LSTM of
 * recsys_lstm.h).
 */
static inline size_t
recsys_rnn_packed_size(uint32_t n_items, uint32_t d, uint32_t h,
    uint32_t gates)
{
    size_t  ni, dd, hh;

    ni = n_items;
    dd = d;
    hh = h;

    return sizeof(recsys_gru_head_t)
           + 4 * (ni * (dd + hh + 1) + gates * hh * (dd + hh + 1));
}


/* The packed size of a GRU of n_items items, dim d and hidden size h. */
static inline size_t
recsys_gru_packed_size(uint32_t n_items, uint32_t d, uint32_t h)
{
    return recsys_rnn_packed_size(n_items, d, h, 3);
}


/*
 * Eight partial sums in a fixed order: the same result in the builder and
 * in the module, whatever the compiler vectorises.
 */
static inline float
recsys_gru_dot(const float *a, const float *b, uint32_t n)
{
    float     s0, s1, s2, s3, s4, s5, s6, s7;
    uint32_t  k;

    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0f;

    for (k = 0; k + 8 <= n; k += 8) {
        s0 += a[k] * b[k];
        s1 += a[k + 1] * b[k + 1];
        s2 += a[k + 2] * b[k + 2];
        s3 += a[k + 3] * b[k + 3];
        s4 += a[k + 4] * b[k + 4];
        s5 += a[k + 5] * b[k + 5];
        s6 += a[k + 6] * b[k + 6];
        s7 += a[k + 7] * b[k + 7];
    }

    for ( /* void */ ; k < n; k++) {
        s0 += a[k] * b[k];
    }

    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
}


static inline float
recsys_gru_sigmoid(float x)
{
    return 1.0f / (1.0f + expf(-x));
}


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
 * RECSYS_ELIMIT (more than 2^28 exclusions).  The LSTM's scorer has the
 * same type.
 */
typedef int recsys_rnn_score_fn(const void *packed, size_t size,
    const uint32_t *hist, uint32_t n_hist, recsys_row_t seen,
    const uint32_t *exclude, uint32_t n_exclude, uint32_t need,
    recsys_alloc_t *a, recsys_scored_t *out, uint32_t *n_out);

recsys_rnn_score_fn  recsys_gru_score;



/*
 * What the LSTM's scorer (recsys_lstm.c) shares: a packed model of either
 * cell opened in place, one call's state, and the scoring around a cell's
 * step.
 */

typedef struct {
    recsys_gru_head_t     head;
    uint32_t              gates;    /* 3 GRU, 4 LSTM */
    const unsigned char  *E;
    const unsigned char  *W;
    const unsigned char  *U;
    const unsigned char  *b;
    const unsigned char  *O;
    const unsigned char  *bo;
} recsys_rnn_view_t;

/* one call's scratch: x d floats, row max(d, h), av and bias gates h, the
   others h */
typedef struct {
    float  *x;
    float  *hc;
    float  *c;
    float  *av;
    float  *bias;
    float  *q;
    float  *z;
    float  *nn;
    float  *row;
} recsys_rnn_state_t;

/* one step of a cell from st->hc (and st->c) over item's embedding */
typedef void (*recsys_rnn_step_pt)(const recsys_rnn_view_t *v,
    uint32_t item, recsys_rnn_state_t *st);

/*
 * Opens a packed model of this magic and gate count in place: RECSYS_OK,
 * RECSYS_EFORMAT or RECSYS_ECORRUPT.
 */
int recsys_rnn_view(const void *packed, size_t size, uint32_t magic,
    uint32_t gates, recsys_rnn_view_t *v);

/* recsys_gru_check() for a packed model of this magic and gate count. */
int recsys_rnn_check(const void *packed, size_t size, uint32_t magic,
    uint32_t gates, recsys_gru_head_t *head);

/* Row r (n floats) of a packed matrix into the aligned buffer dst. */
const float *recsys_rnn_row(const unsigned char *base, uint32_t r,
    uint32_t n, float *dst);

/*
 * The start of a cell's step: item's embedding into st->x, and st->av =
 * bias + W x over the model's gate blocks.
 */
void recsys_rnn_input(const recsys_rnn_view_t *v, uint32_t item,
    recsys_rnn_state_t *st);

/*
 * recsys_gru_score() for a packed model of this magic, gate count and
 * step: the same contract, with scratch for `gates` gate blocks.
 */
int recsys_rnn_score(const void *packed, size_t size, uint32_t magic,
    uint32_t gates, recsys_rnn_step_pt step, const uint32_t *hist,
    uint32_t n_hist, recsys_row_t seen, const uint32_t *exclude,
    uint32_t n_exclude, uint32_t need, recsys_alloc_t *a,
    recsys_scored_t *out, uint32_t *n_out);

/* defines name, a recsys_rnn_score_fn, as recsys_rnn_score() of a cell */
#define RECSYS_RNN_SCORER(name, magic, gates, step)                          \
    int                                                                      \
    name(const void *packed, size_t size, const uint32_t *hist,              \
        uint32_t n_hist, recsys_row_t seen, const uint32_t *exclude,         \
        uint32_t n_exclude, uint32_t need, recsys_alloc_t *a,                \
        recsys_scored_t *out, uint32_t *n_out)                               \
    {                                                                        \
        return recsys_rnn_score(packed, size, magic, gates, step, hist,      \
                                n_hist, seen, exclude, n_exclude, need, a,   \
                                out, n_out);                                 \
    }

#endif /* RECSYS_GRU_H */
