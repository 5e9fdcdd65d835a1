/*
 * recsys_gru.c: the packed GRU model's reader and request-time scoring
 * (recsys_gru.h), and the scoring around a cell's step that the LSTM's
 * (recsys_lstm.c) shares.
 *
 * Everything is read from the packed form in place: every row is copied
 * with memcpy into an aligned scratch row before use (the blob may be only
 * 2-byte aligned), and scratch comes only from the caller's allocator.  It
 * needs expf and tanhf (libm).
 */

#include <string.h>

#include "recsys_gru.h"
#include "recsys_seq.h"
#include "recsys_status.h"
#include "recsys_topk.h"


int
recsys_rnn_view(const void *packed, size_t size, uint32_t magic,
    uint32_t gates, recsys_rnn_view_t *v)
{
    int                   rc;
    size_t                ni, d, h;
    const unsigned char  *p;

    rc = recsys_seq_head(packed, size, &v->head, sizeof(recsys_gru_head_t),
                         magic);
    if (rc != RECSYS_OK) {
        return rc;
    }

    p = packed;

    ni = v->head.n_items;
    d = v->head.dim;
    h = v->head.hidden;

    if (d == 0 || h == 0 || d > RECSYS_GRU_MAX_DIM || h > RECSYS_GRU_MAX_DIM
        || v->head.max_len == 0
        || (v->head.reserved & ~RECSYS_RNN_SKIP) != 0
        || ((v->head.reserved & RECSYS_RNN_SKIP) && d != h)
        || size != recsys_rnn_packed_size(v->head.n_items, v->head.dim,
                                          v->head.hidden, gates))
    {
        return RECSYS_ECORRUPT;
    }

    v->gates = gates;
    v->E = p + sizeof(recsys_gru_head_t);
    v->W = v->E + 4 * ni * d;
    v->U = v->W + 4 * gates * h * d;
    v->b = v->U + 4 * gates * h * h;
    v->O = v->b + 4 * gates * h;
    v->bo = v->O + 4 * ni * h;

    return RECSYS_OK;
}


int
recsys_rnn_check(const void *packed, size_t size, uint32_t magic,
    uint32_t gates, recsys_gru_head_t *head)
{
    int                rc;
    recsys_rnn_view_t  v;

    rc = recsys_rnn_view(packed, size, magic, gates, &v);

    if (rc == RECSYS_OK && head != NULL) {
        *head = v.head;
    }

    return rc;
}


int
recsys_gru_check(const void *packed, size_t size, recsys_gru_head_t *head)
{
    return recsys_rnn_check(packed, size, RECSYS_GRU_MAGIC, 3, head);
}


const float *
recsys_rnn_row(const unsigned char *base, uint32_t r, uint32_t n, float *dst)
{
    memcpy(dst, base + (size_t) r * n * 4, (size_t) n * 4);
    return dst;
}


static int
recsys_rnn_state_alloc(recsys_rnn_state_t *st, uint32_t d, uint32_t h,
    uint32_t gates, recsys_alloc_t *a)
{
    uint32_t  k;

    k = d > h ? d : h;

    st->x = a->alloc(a->ctx, (size_t) d * sizeof(float));
    st->hc = a->alloc(a->ctx, (size_t) h * sizeof(float));
    st->c = a->alloc(a->ctx, (size_t) h * sizeof(float));
    st->av = a->alloc(a->ctx, (size_t) gates * h * sizeof(float));
    st->bias = a->alloc(a->ctx, (size_t) gates * h * sizeof(float));
    st->q = a->alloc(a->ctx, (size_t) h * sizeof(float));
    st->z = a->alloc(a->ctx, (size_t) h * sizeof(float));
    st->nn = a->alloc(a->ctx, (size_t) h * sizeof(float));
    st->row = a->alloc(a->ctx, (size_t) k * sizeof(float));

    if (st->x == NULL || st->hc == NULL || st->c == NULL || st->av == NULL
        || st->bias == NULL || st->q == NULL || st->z == NULL
        || st->nn == NULL || st->row == NULL)
    {
        return RECSYS_ENOMEM;
    }

    return RECSYS_OK;
}


void
recsys_rnn_input(const recsys_rnn_view_t *v, uint32_t item,
    recsys_rnn_state_t *st)
{
    uint32_t  d, j;

    d = v->head.dim;

    memcpy(st->x, v->E + (size_t) item * d * 4, (size_t) d * 4);

    for (j = 0; j < v->gates * v->head.hidden; j++) {
        st->av[j] = st->bias[j]
                    + recsys_gru_dot(recsys_rnn_row(v->W, j, d, st->row),
                                     st->x, d);
    }
}


/* One GRU step from st->hc over item's embedding, in place. */
static void
recsys_gru_advance(const recsys_rnn_view_t *v, uint32_t item,
    recsys_rnn_state_t *st)
{
    float     r;
    uint32_t  h, j;

    h = v->head.hidden;

    recsys_rnn_input(v, item, st);

    for (j = 0; j < h; j++) {
        st->z[j] = recsys_gru_sigmoid(st->av[j]
                       + recsys_gru_dot(recsys_rnn_row(v->U, j, h, st->row),
                                        st->hc, h));
        r = recsys_gru_sigmoid(st->av[h + j]
                + recsys_gru_dot(recsys_rnn_row(v->U, h + j, h, st->row),
                                 st->hc, h));
        st->q[j] = r * st->hc[j];
    }

    for (j = 0; j < h; j++) {
        st->nn[j] = tanhf(st->av[2 * h + j]
                          + recsys_gru_dot(recsys_rnn_row(v->U, 2 * h + j, h,
                                                          st->row),
                                           st->q, h));
    }

    for (j = 0; j < h; j++) {
        st->hc[j] = (1.0f - st->z[j]) * st->hc[j] + st->z[j] * st->nn[j];
    }
}


RECSYS_RNN_SCORER(recsys_gru_score, RECSYS_GRU_MAGIC, 3,
                  recsys_gru_advance)


int
recsys_rnn_score(const void *packed, size_t size, uint32_t magic,
    uint32_t gates, recsys_rnn_step_pt step, const uint32_t *hist,
    uint32_t n_hist, recsys_row_t seen, const uint32_t *exclude,
    uint32_t n_exclude, uint32_t need, recsys_alloc_t *a,
    recsys_scored_t *out, uint32_t *n_out)
{
    int                 rc;
    float               bo, s;
    uint32_t            h, i, t, last;
    recsys_topk_t       top;
    recsys_filter_t     filter;
    recsys_itemset_t    skip;
    recsys_rnn_view_t   v;
    recsys_rnn_state_t  st;

    if (!recsys_seq_start(recsys_rnn_view(packed, size, magic, gates, &v),
                          need, &filter, &skip, seen, exclude, n_exclude, a,
                          n_out, &rc))
    {
        return rc;
    }

    h = v.head.hidden;

    if (recsys_rnn_state_alloc(&st, v.head.dim, h, gates, a) != RECSYS_OK) {
        return RECSYS_ENOMEM;
    }

    memcpy(st.bias, v.b, (size_t) gates * h * 4);
    memset(st.hc, 0, (size_t) h * sizeof(float));
    memset(st.c, 0, (size_t) h * sizeof(float));

    t = n_hist > v.head.max_len ? n_hist - v.head.max_len : 0;
    last = v.head.n_items;

    for ( /* void */ ; t < n_hist; t++) {
        if (hist[t] < v.head.n_items) {
            step(&v, hist[t], &st);
            last = hist[t];
        }
    }

    /* the skip connection: the last item read's embedding (d = h) */
    if ((v.head.reserved & RECSYS_RNN_SKIP) && last < v.head.n_items) {
        recsys_rnn_row(v.E, last, h, st.row);

        for (i = 0; i < h; i++) {
            st.hc[i] += st.row[i];
        }
    }

    recsys_topk_init(&top, out, need);

    for (i = 0; i < v.head.n_items; i++) {
        memcpy(&bo, v.bo + (size_t) i * 4, 4);
        s = recsys_gru_dot(recsys_rnn_row(v.O, i, h, st.row), st.hc, h) + bo;

        recsys_seq_offer(&top, &filter, i, s);
    }

    *n_out = recsys_topk_sort(&top);

    return RECSYS_OK;
}
