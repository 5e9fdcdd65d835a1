/*
 * recsys_lstm.c: the packed LSTM model's reader and request-time scoring
 * (recsys_lstm.h): the LSTM cell's step, around which recsys_gru.c's
 * scoring runs.  Rows are copied with memcpy into aligned scratch before
 * use (the blob may be only 2-byte aligned); scratch comes only from the
 * caller's allocator.
 */

#include <string.h>

#include "recsys_lstm.h"
#include "recsys_status.h"


int
recsys_lstm_check(const void *packed, size_t size, recsys_gru_head_t *head)
{
    return recsys_rnn_check(packed, size, RECSYS_LSTM_MAGIC, 4, head);
}


/* One LSTM step from st->hc and st->c over item's embedding, in place. */
static void
recsys_lstm_advance(const recsys_rnn_view_t *v, uint32_t item,
    recsys_rnn_state_t *st)
{
    float     ig, fg, gg, og;
    uint32_t  h, j;

    h = v->head.hidden;

    recsys_rnn_input(v, item, st);

    for (j = 0; j < 4 * h; j++) {
        st->av[j] += recsys_gru_dot(recsys_rnn_row(v->U, j, h, st->row),
                                    st->hc, h);
    }

    for (j = 0; j < h; j++) {
        ig = recsys_gru_sigmoid(st->av[j]);
        fg = recsys_gru_sigmoid(st->av[h + j]);
        gg = tanhf(st->av[2 * h + j]);
        og = recsys_gru_sigmoid(st->av[3 * h + j]);

        st->c[j] = fg * st->c[j] + ig * gg;
        st->hc[j] = og * tanhf(st->c[j]);
    }
}


RECSYS_RNN_SCORER(recsys_lstm_score, RECSYS_LSTM_MAGIC, 4,
                  recsys_lstm_advance)
