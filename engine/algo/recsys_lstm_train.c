/*
 * recsys_lstm_train.c: the LSTM cell's forward step and backpropagation
 * through time (recsys_lstm_train.h), on the recurrent trainer's window
 * state; the cell is that of recsys_lstm.h.
 *
 * Per step t the forward pass keeps the gates i, f, g, o (in w->Z, R, N,
 * Q) and the cell state c_t (w->C); the backward walk carries dL/dh and
 * dL/dc from step to step:
 *
 *   dh  = dh_next + dL/dh_t (output layer)
 *   dA_o = dh tanh(c_t) o (1 - o)
 *   dc  = dc_next + dh o (1 - tanh^2 c_t)
 *   dA_i = dc g i (1 - i),  dA_f = dc c_t-1 f (1 - f),
 *   dA_g = dc i (1 - g^2),  dc_prev = dc f,  dh_prev = U^T dA,
 *   dx  = W^T dA.
 *
 * Vector loops go through recsys_gru_dot() and recsys_gru_axpy(), so no
 * result depends on what the compiler vectorises.
 */

#include <math.h>
#include <string.h>

#include "recsys_lstm_train.h"


void
recsys_lstm_forward(const recsys_gru_t *m, const float *x, const float *hp,
    float *hc, recsys_gru_work_t *w, uint32_t t)
{
    float     ig, fg, gg, og, *cp, *cc;
    size_t    r;
    uint32_t  j, d, h;

    d = m->dim;
    h = m->hidden;
    r = (size_t) t * h;
    cp = w->C + r;
    cc = cp + h;

    for (j = 0; j < 4 * h; j++) {
        w->a[j] = m->b[j] + recsys_gru_dot(m->W + (size_t) j * d, x, d)
                  + recsys_gru_dot(m->U + (size_t) j * h, hp, h);
    }

    for (j = 0; j < h; j++) {
        ig = recsys_gru_sigmoid(w->a[j]);
        fg = recsys_gru_sigmoid(w->a[h + j]);
        gg = tanhf(w->a[2 * h + j]);
        og = recsys_gru_sigmoid(w->a[3 * h + j]);

        w->Z[r + j] = ig;
        w->R[r + j] = fg;
        w->N[r + j] = gg;
        w->Q[r + j] = og;

        cc[j] = fg * cp[j] + ig * gg;
        hc[j] = og * tanhf(cc[j]);
    }
}


void
recsys_lstm_backward(const recsys_gru_t *m, uint32_t T, recsys_gru_work_t *w,
    recsys_gru_slot_t *g)
{
    float      v, tc, dc, ig, fg, gg, og, *dA, *row, *o, *cp, *cc;
    size_t     r;
    uint32_t   t, j, d, h;

    d = m->dim;
    h = m->hidden;

    /* w->dh carries dL/dh_t, w->dq dL/dc_t, from the step after */

    memset(w->dh, 0, (size_t) h * sizeof(float));
    memset(w->dq, 0, (size_t) h * sizeof(float));

    for (t = T; t > 0; t--) {
        r = (size_t) (t - 1) * h;
        cp = w->C + r;
        cc = cp + h;
        o = w->dHo + r;
        dA = w->dAs + (size_t) (t - 1) * 4 * h;
        row = g->dX + (size_t) (t - 1) * d;

        for (j = 0; j < h; j++) {
            ig = w->Z[r + j];
            fg = w->R[r + j];
            gg = w->N[r + j];
            og = w->Q[r + j];

            v = w->dh[j] + o[j];
            tc = tanhf(cc[j]);
            dc = w->dq[j] + v * og * (1.0f - tc * tc);

            dA[j] = dc * gg * ig * (1.0f - ig);
            dA[h + j] = dc * cp[j] * fg * (1.0f - fg);
            dA[2 * h + j] = dc * ig * (1.0f - gg * gg);
            dA[3 * h + j] = v * tc * og * (1.0f - og);

            w->dq[j] = dc * fg;
            w->dhp[j] = 0.0f;
        }

        for (j = 0; j < 4 * h; j++) {
            recsys_gru_axpy(w->dhp, dA[j], m->U + (size_t) j * h, h);
            recsys_gru_axpy(row, dA[j], m->W + (size_t) j * d, d);
        }

        memcpy(w->dh, w->dhp, (size_t) h * sizeof(float));
    }
}
