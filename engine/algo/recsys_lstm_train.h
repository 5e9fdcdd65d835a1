/*
 * recsys_lstm_train.h: the LSTM cell's step for the recurrent trainer of
 * recsys_gru_train.h (the cell of recsys_lstm.h): its forward step and
 * its backpropagation through time, on the trainer's window state.  The
 * trainer (windows, sampled or full softmax, dropout, Adam, early
 * stopping, packing) is the GRU's, with cell RECSYS_RNN_LSTM.
 */

#ifndef RECSYS_LSTM_TRAIN_H
#define RECSYS_LSTM_TRAIN_H

#include <stdint.h>

#include "recsys_gru_train.h"


/*
 * Step t of the LSTM over the embedding x, from h_t-1 in hp and c_t-1 in
 * w->C + t h: the gates i, f, g, o into w->Z, R, N, Q at row t, c_t into
 * w->C + (t + 1) h, h_t into hc.
 */
void recsys_lstm_forward(const recsys_gru_t *m, const float *x,
    const float *hp, float *hc, recsys_gru_work_t *w, uint32_t t);

/*
 * Backpropagation through time over the T steps of w (dL/dh_t from the
 * output layer in w->dHo): the gate pre-activation gradients into
 * w->dAs, the input gradients into g->dX.
 */
void recsys_lstm_backward(const recsys_gru_t *m, uint32_t T,
    recsys_gru_work_t *w, recsys_gru_slot_t *g);

#endif /* RECSYS_LSTM_TRAIN_H */
