/*
 * recsys_lstm.h: the packed LSTM next-item model and its request-time
 * scoring (trained by recsys_gru_train.h with cell RECSYS_RNN_LSTM, its
 * step in recsys_lstm_train.h).
 *
 * The GRU of recsys_gru.h with a long short-term memory cell in place of
 * the gated recurrent unit.  Item i has an embedding E[i] (dim d); one
 * LSTM layer with hidden size h reads a history x_1 .. x_T, most recent
 * last:
 *
 *   a_t = W E[x_t] + U h_t-1 + b       W: 4h x d, U: 4h x h, row blocks
 *   i_t = sigmoid(a_i)                   i (input), f (forget), g
 *   f_t = sigmoid(a_f)                   (candidate), o (output)
 *   g_t = tanh(a_g)
 *   o_t = sigmoid(a_o)
 *   c_t = f_t * c_t-1 + i_t * g_t,      c_0 = 0
 *   h_t = o_t * tanh(c_t),              h_0 = 0
 *
 * and the next item scores score(j) = O[j] . h_T + bo[j].  Dot products go
 * through recsys_gru_dot() (a fixed order of partial sums), as in the
 * trainer.
 *
 * Packed layout: the GRU's (recsys_gru.h) with magic RECSYS_LSTM_MAGIC and
 * four gate blocks in W, U and b:
 *
 *   recsys_gru_head_t          24 bytes, magic "LST1"
 *   float  E[n_items * d]
 *   float  W[4h * d]           rows i (h), f (h), g (h), o (h)
 *   float  U[4h * h]           same row order
 *   float  b[4h]
 *   float  O[n_items * h]
 *   float  bo[n_items]
 *
 * size = recsys_rnn_packed_size(n_items, d, h, 4) exactly.
 */

#ifndef RECSYS_LSTM_H
#define RECSYS_LSTM_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_gru.h"

#define RECSYS_LSTM_MAGIC    0x3154534cu        /* "LST1" */


/* recsys_gru_check() and recsys_gru_score() for a packed LSTM (scratch:
   at most 4 (2d + 14h) + 16 n_exclude bytes, plus alignment) */
int recsys_lstm_check(const void *packed, size_t size,
    recsys_gru_head_t *head);
recsys_rnn_score_fn  recsys_lstm_score;

#endif /* RECSYS_LSTM_H */
