/*
 * recsys_gru_train.c: training and packing of the GRU next-item model
 * described in recsys_gru_train.h, and the builder's per-user lists from
 * the packed form.
 *
 * A window's gradient is computed by recsys_gru_window(): the forward pass
 * keeps h_t, z_t, r_t and n_t of every step, the output layer turns each
 * step's prediction error into dL/dh_t right away, and backpropagation
 * through time then walks the steps backwards.  The gradient lands in a
 * slot: the dense part (W, U, b) in full, the sparse part (embedding rows,
 * output rows) as one row per position or per negative, to be scattered
 * into the model-shaped accumulators in a fixed order.  The outer products
 * (dW, dU, the negatives' dO) are summed over the window's steps one
 * gradient row at a time, after the backward walk, so each row stays in
 * cache while it is built.  Each of these parts is a function of its own:
 * recsys_gru_forward() (one step of the cell), recsys_gru_output() (one
 * step's loss, full or sampled), recsys_gru_backward() and
 * recsys_gru_outer().
 *
 * All vector loops go through recsys_gru_dot() (eight partial sums in a
 * fixed order) and recsys_gru_axpy() (element-wise, vectorised with OpenMP
 * SIMD when built with OpenMP): no result depends on what the compiler
 * vectorises, only on the order written here.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_gru_train.h"
#include "recsys_lstm.h"
#include "recsys_lstm_train.h"
#include "recsys_release.h"
#include "recsys_rng.h"
#include "recsys_status.h"
#include "recsys_usertop.h"



#define RECSYS_GRU_UNSEEN_BIAS  -100.0f
#define RECSYS_GRU_BETA1        0.9
#define RECSYS_GRU_BETA2        0.999
#define RECSYS_GRU_EPS          1e-8
#define RECSYS_GRU_PAR_WORK     (1u << 21)  /* multiply-adds worth a team */


const recsys_gru_opts_t  recsys_gru_default = {
    .dim = 64, .hidden = 64, .epochs = 10, .max_len = 50, .negatives = 64,
    .batch = 16, .lr = 0.005f, .seed = 42, .cell = RECSYS_RNN_GRU,
    .dropout = 0.0f, .valid = 0.0f, .patience = 2, .skip = 0, .refit = 0,
    .tie = 0, .loss = NULL, .score = NULL, .best = NULL
};


int
recsys_gru_alloc(recsys_gru_t *m, uint32_t n_items, uint32_t dim,
    uint32_t hidden)
{
    return recsys_rnn_alloc(m, RECSYS_RNN_GRU, n_items, dim, hidden);
}


int
recsys_rnn_alloc(recsys_gru_t *m, uint32_t cell, uint32_t n_items,
    uint32_t dim, uint32_t hidden)
{
    memset(m, 0, sizeof(recsys_gru_t));

    if (dim == 0 || hidden == 0 || dim > RECSYS_GRU_MAX_DIM
        || hidden > RECSYS_GRU_MAX_DIM
        || (cell != RECSYS_RNN_GRU && cell != RECSYS_RNN_LSTM))
    {
        return RECSYS_EINVAL;
    }

    m->n_items = n_items;
    m->dim = dim;
    m->hidden = hidden;
    m->cell = cell;

    m->E = calloc((size_t) n_items * dim + 1, sizeof(float));
    m->W = calloc((size_t) cell * hidden * dim, sizeof(float));
    m->U = calloc((size_t) cell * hidden * hidden, sizeof(float));
    m->b = calloc((size_t) cell * hidden, sizeof(float));
    m->O = calloc((size_t) n_items * hidden + 1, sizeof(float));
    m->bo = calloc((size_t) n_items + 1, sizeof(float));

    if (m->E == NULL || m->W == NULL || m->U == NULL || m->b == NULL
        || m->O == NULL || m->bo == NULL)
    {
        recsys_gru_free(m);
        return RECSYS_ENOMEM;
    }

    return RECSYS_OK;
}


void
recsys_gru_free(recsys_gru_t *m)
{
    if (m->O == m->E) {
        m->O = NULL;                    /* tied: E is freed once */
    }

    recsys_release(m, sizeof(recsys_gru_t), 6, m->E, m->W, m->U, m->b, m->O,
                   m->bo);
}


int
recsys_gru_tie(recsys_gru_t *m)
{
    if (m->dim != m->hidden) {
        return RECSYS_EINVAL;
    }

    if (m->O != m->E) {
        free(m->O);
        m->O = m->E;
    }

    m->tie = 1;

    return RECSYS_OK;
}


static void
recsys_gru_uniform(float *p, size_t n, double scale, uint64_t *rng)
{
    size_t  k;

    for (k = 0; k < n; k++) {
        p[k] = (float) ((2.0 * recsys_rng_unit(rng) - 1.0) * scale);
    }
}


/*
 * One item's rows E[i] and O[i] from a stream of their own, seeded by the
 * seed and key.
 */
static void
recsys_gru_init_item(recsys_gru_t *m, uint32_t i, uint64_t seed,
    uint64_t key)
{
    uint64_t  rng;

    rng = recsys_rng_mix(seed ^ recsys_rng_mix(key + 0x632be59bd9b4e019ULL));

    recsys_gru_uniform(m->E + (size_t) i * m->dim, m->dim,
                       1.0 / sqrt((double) m->dim), &rng);

    if (m->tie) {
        return;                         /* O[i] is E[i] */
    }

    recsys_gru_uniform(m->O + (size_t) i * m->hidden, m->hidden,
                       1.0 / sqrt((double) m->hidden), &rng);
}


void
recsys_gru_init_live(recsys_gru_t *m, uint64_t seed, const uint32_t *live,
    uint32_t n_live)
{
    size_t    d, h, k;
    uint32_t  i, r;
    uint64_t  rng;

    d = m->dim;
    h = m->hidden;
    rng = seed;

    recsys_gru_uniform(m->W, m->cell * h * d, 1.0 / sqrt((double) d), &rng);
    recsys_gru_uniform(m->U, m->cell * h * h, 1.0 / sqrt((double) h), &rng);

    /* the k-th live item is keyed k, any other item n_items + its index */

    r = 0;
    for (i = 0; i < m->n_items; i++) {
        if (live == NULL || (r < n_live && live[r] == i)) {
            recsys_gru_init_item(m, i, seed, live != NULL ? r : i);
            r++;

        } else {
            recsys_gru_init_item(m, i, seed, (uint64_t) m->n_items + i);
        }
    }

    memset(m->b, 0, m->cell * h * sizeof(float));
    memset(m->bo, 0, (size_t) m->n_items * sizeof(float));

    for (k = 0; m->cell == RECSYS_RNN_LSTM && k < h; k++) {
        m->b[h + k] = 1.0f;             /* the forget gate */
    }
}


void
recsys_gru_init(recsys_gru_t *m, uint64_t seed)
{
    recsys_gru_init_live(m, seed, NULL, 0);
}


static int
recsys_gru_work_alloc(recsys_gru_work_t *w, uint32_t cap, uint32_t h,
    uint32_t cell, uint32_t n_shared)
{
    size_t  ch;

    ch = (size_t) cap * h;

    memset(w, 0, sizeof(recsys_gru_work_t));
    w->cap = cap;
    w->H = malloc(ch * sizeof(float));
    w->C = malloc(ch * sizeof(float));
    w->Z = malloc(ch * sizeof(float));
    w->R = malloc(ch * sizeof(float));
    w->N = malloc(ch * sizeof(float));
    w->Q = malloc(ch * sizeof(float));
    w->HD = malloc(ch * sizeof(float));
    w->MK = malloc(ch * sizeof(float));
    w->dHo = malloc(ch * sizeof(float));
    w->dAs = malloc(cell * ch * sizeof(float));
    w->DL = malloc(((size_t) cap * n_shared + 1) * sizeof(float));
    w->logit = malloc(((size_t) n_shared + 1) * sizeof(float));
    w->a = malloc((size_t) cell * h * sizeof(float));
    w->dh = malloc((size_t) h * sizeof(float));
    w->dhp = malloc((size_t) h * sizeof(float));
    w->dq = malloc((size_t) h * sizeof(float));

    if (w->H == NULL || w->C == NULL || w->Z == NULL || w->R == NULL
        || w->N == NULL || w->Q == NULL || w->HD == NULL || w->MK == NULL
        || w->dHo == NULL || w->dAs == NULL || w->DL == NULL
        || w->logit == NULL || w->a == NULL || w->dh == NULL
        || w->dhp == NULL || w->dq == NULL)
    {
        return RECSYS_ENOMEM;
    }

    return RECSYS_OK;
}


static void
recsys_gru_work_free(recsys_gru_work_t *w)
{
    recsys_release(w, sizeof(recsys_gru_work_t), 16, w->H, w->C, w->Z, w->R,
                   w->N, w->Q, w->HD, w->MK, w->dHo, w->dAs, w->DL, w->logit,
                   w->a, w->dh, w->dhp, w->dq);
}


static size_t
recsys_gru_dense_size(const recsys_gru_t *m)
{
    size_t  d, h;

    d = m->dim;
    h = m->hidden;

    return m->cell * h * (d + h + 1);
}


static int
recsys_gru_slot_alloc(recsys_gru_slot_t *g, const recsys_gru_t *m,
    uint32_t cap, uint32_t n_shared, uint32_t n_neg)
{
    uint32_t  d, h;

    d = m->dim;
    h = m->hidden;

    memset(g, 0, sizeof(recsys_gru_slot_t));

    g->dense = malloc(recsys_gru_dense_size(m) * sizeof(float));
    g->dX = malloc((size_t) cap * d * sizeof(float));
    g->dOt = malloc((size_t) cap * h * sizeof(float));
    g->dbt = malloc((size_t) cap * sizeof(float));
    g->dOn = malloc(((size_t) n_shared * h + 1) * sizeof(float));
    g->dbn = malloc(((size_t) n_shared + 1) * sizeof(float));
    g->neg = malloc(((size_t) n_neg + 1) * sizeof(uint32_t));

    if (g->dense == NULL || g->dX == NULL || g->dOt == NULL || g->dbt == NULL
        || g->dOn == NULL || g->dbn == NULL || g->neg == NULL)
    {
        return RECSYS_ENOMEM;
    }

    return RECSYS_OK;
}


static void
recsys_gru_slot_free(recsys_gru_slot_t *g)
{
    recsys_release(g, sizeof(recsys_gru_slot_t), 7, g->dense, g->dX, g->dOt,
                   g->dbt, g->dOn, g->dbn, g->neg);
}


/*
 * Step t of the cell over the embedding x: the gates into w's rows of
 * step t, h_t into hc, from h_t-1 in hp.
 */
static void
recsys_gru_forward(const recsys_gru_t *m, const float *x, const float *hp,
    float *hc, recsys_gru_work_t *w, uint32_t t)
{
    float         z, r, nn;
    uint32_t      j, d, h;
    const float  *Uz, *Ur, *Un;

    d = m->dim;
    h = m->hidden;

    Uz = m->U;
    Ur = m->U + (size_t) h * h;
    Un = m->U + (size_t) 2 * h * h;

    for (j = 0; j < 3 * h; j++) {
        w->a[j] = m->b[j] + recsys_gru_dot(m->W + (size_t) j * d, x, d);
    }

    for (j = 0; j < h; j++) {
        z = recsys_gru_sigmoid(w->a[j]
                               + recsys_gru_dot(Uz + (size_t) j * h, hp, h));
        r = recsys_gru_sigmoid(w->a[h + j]
                               + recsys_gru_dot(Ur + (size_t) j * h, hp, h));
        w->Z[(size_t) t * h + j] = z;
        w->R[(size_t) t * h + j] = r;
        w->Q[(size_t) t * h + j] = r * hp[j];
    }

    for (j = 0; j < h; j++) {
        nn = tanhf(w->a[2 * h + j]
                   + recsys_gru_dot(Un + (size_t) j * h,
                                    w->Q + (size_t) t * h, h));
        z = w->Z[(size_t) t * h + j];
        w->N[(size_t) t * h + j] = nn;
        hc[j] = (1.0f - z) * hp[j] + z * nn;
    }
}


/*
 * The sampled softmax cross-entropy of predicting y from hc at step t:
 * logit[0] the target, logit[1 + k] negative k (masked when it is y).  The
 * loss into g->loss, the target's output gradient into g's row of step t,
 * dL/dlogit of the negatives into dl, dL/dhc into o.
 */
static void
recsys_gru_output_sampled(const recsys_gru_t *m, uint32_t y, const float *hc,
    const uint32_t *neg, uint32_t n_neg, const float *logq,
    recsys_gru_work_t *w, recsys_gru_slot_t *g, uint32_t t, float *dl,
    float *o)
{
    float     v, mx, p, *row;
    double    sum, lse;
    uint32_t  j, k, c, h;

    h = m->hidden;

    w->logit[0] = recsys_gru_dot(m->O + (size_t) y * h, hc, h) + m->bo[y]
                  - (logq != NULL ? logq[y] : 0.0f);
    mx = w->logit[0];

    for (k = 0; k < n_neg; k++) {
        c = neg[k];

        if (c == y) {
            continue;
        }

        v = recsys_gru_dot(m->O + (size_t) c * h, hc, h) + m->bo[c]
            - (logq != NULL ? logq[c] : 0.0f);
        w->logit[1 + k] = v;
        mx = v > mx ? v : mx;
    }

    sum = exp((double) (w->logit[0] - mx));
    for (k = 0; k < n_neg; k++) {
        if (neg[k] != y) {
            sum += exp((double) (w->logit[1 + k] - mx));
        }
    }

    lse = mx + log(sum);
    g->loss += lse - w->logit[0];

    p = (float) exp(w->logit[0] - lse) - 1.0f;
    recsys_gru_axpy(o, p, m->O + (size_t) y * h, h);

    row = g->dOt + (size_t) t * h;
    for (j = 0; j < h; j++) {
        row[j] = p * hc[j];
    }

    g->dbt[t] = p;

    for (k = 0; k < n_neg; k++) {
        c = neg[k];

        if (c == y) {
            dl[k] = 0.0f;
            continue;
        }

        dl[k] = (float) exp(w->logit[1 + k] - lse);
        recsys_gru_axpy(o, dl[k], m->O + (size_t) c * h, h);
    }
}


/*
 * Backpropagation through time over the T steps of w, the step-local
 * part: the gate pre-activation gradients into w->dAs, the input
 * gradients into g->dX.
 */
static void
recsys_gru_backward(const recsys_gru_t *m, uint32_t T, recsys_gru_work_t *w,
    recsys_gru_slot_t *g)
{
    float         v, z, r, nn, *hp, *o, *dA, *row;
    float         *Zt, *Rt, *Nt, *dAz, *dAr, *dAn;
    uint32_t      t, j, d, h;
    const float  *Uz, *Ur, *Un;

    d = m->dim;
    h = m->hidden;

    Uz = m->U;
    Ur = m->U + (size_t) h * h;
    Un = m->U + (size_t) 2 * h * h;

    memset(w->dh, 0, (size_t) h * sizeof(float));

    for (t = T; t > 0; t--) {
        hp = w->H + (size_t) (t - 1) * h;
        Zt = w->Z + (size_t) (t - 1) * h;
        Rt = w->R + (size_t) (t - 1) * h;
        Nt = w->N + (size_t) (t - 1) * h;
        o = w->dHo + (size_t) (t - 1) * h;
        dA = w->dAs + (size_t) (t - 1) * 3 * h;
        row = g->dX + (size_t) (t - 1) * d;

        dAz = dA;
        dAr = dA + h;
        dAn = dA + 2 * h;

        for (j = 0; j < h; j++) {
            v = w->dh[j] + o[j];
            z = Zt[j];
            nn = Nt[j];

            dAn[j] = v * z * (1.0f - nn * nn);
            dAz[j] = v * (nn - hp[j]) * z * (1.0f - z);
            w->dhp[j] = v * (1.0f - z);
            w->dq[j] = 0.0f;
        }

        /* through U_n (r * h_prev) */

        for (j = 0; j < h; j++) {
            recsys_gru_axpy(w->dq, dAn[j], Un + (size_t) j * h, h);
        }

        for (j = 0; j < h; j++) {
            r = Rt[j];
            dAr[j] = w->dq[j] * hp[j] * r * (1.0f - r);
            w->dhp[j] += w->dq[j] * r;
        }

        for (j = 0; j < h; j++) {
            recsys_gru_axpy(w->dhp, dAz[j], Uz + (size_t) j * h, h);
            recsys_gru_axpy(w->dhp, dAr[j], Ur + (size_t) j * h, h);
        }

        for (j = 0; j < 3 * h; j++) {
            recsys_gru_axpy(row, dA[j], m->W + (size_t) j * d, d);
        }

        memcpy(w->dh, w->dhp, (size_t) h * sizeof(float));
    }
}


/*
 * The outer products of the window seq's T steps, one gradient row at a
 * time: dW, db and dU from w->dAs, the shared candidates' dOn and dbn from
 * w->DL, the output layer's input of step t at HO + t h.  U multiplies
 * h_t-1 in every gate block but the GRU's n block (r_t * h_t-1, in Q).
 */
static void
recsys_gru_outer(const recsys_gru_t *m, const uint32_t *seq, uint32_t T,
    uint32_t n_shared, const float *HO, recsys_gru_work_t *w,
    recsys_gru_slot_t *g)
{
    float        v, p, *dW, *dU, *db, *row;
    size_t       ch;
    uint32_t     t, j, k, d, h;
    const float  *in;

    d = m->dim;
    h = m->hidden;
    ch = (size_t) m->cell * h;

    dW = g->dense;
    dU = dW + ch * d;
    db = dU + ch * h;

    for (j = 0; j < ch; j++) {
        row = dW + (size_t) j * d;
        memset(row, 0, (size_t) d * sizeof(float));
        v = 0.0f;

        for (t = 0; t < T; t++) {
            p = w->dAs[t * ch + j];
            recsys_gru_axpy(row, p, m->E + (size_t) seq[t] * d, d);
            v += p;
        }

        db[j] = v;

        row = dU + (size_t) j * h;
        memset(row, 0, (size_t) h * sizeof(float));
        in = (m->cell == RECSYS_RNN_GRU && j >= 2 * h) ? w->Q : w->H;

        for (t = 0; t < T; t++) {
            recsys_gru_axpy(row, w->dAs[t * ch + j], in + (size_t) t * h, h);
        }
    }

    for (k = 0; k < n_shared; k++) {
        row = g->dOn + (size_t) k * h;
        memset(row, 0, (size_t) h * sizeof(float));
        v = 0.0f;

        for (t = 0; t < T; t++) {
            p = w->DL[(size_t) t * n_shared + k];
            recsys_gru_axpy(row, p, HO + (size_t) t * h, h);
            v += p;
        }

        g->dbn[k] = v;
    }
}


/*
 * The output layer's input of step t, from h_t+1 in hc and the step's
 * input embedding x: hc itself, or (with the skip connection, or dropout
 * p > 0) a row of w->HD holding hc + x (skip) with inverted dropout (keep
 * each unit with probability 1 - p, scaled by 1 / (1 - p); the masks stay
 * in w->MK).
 */
static float *
recsys_gru_outin(const recsys_gru_t *m, const float *hc, const float *x,
    float p, uint64_t *rng, recsys_gru_work_t *w, uint32_t t)
{
    float     *ho, *mk, v;
    uint32_t   j, h;

    h = m->hidden;

    if (!m->skip && !(p > 0.0f)) {
        return (float *) hc;
    }

    ho = w->HD + (size_t) t * h;
    mk = w->MK + (size_t) t * h;

    for (j = 0; j < h; j++) {
        v = m->skip ? hc[j] + x[j] : hc[j];

        if (p > 0.0f) {
            mk[j] = recsys_rng_unit(rng) < p ? 0.0f : 1.0f / (1.0f - p);
            v *= mk[j];
        }

        ho[j] = v;
    }

    return ho;
}


/*
 * Loss and gradient of the window seq[0 .. n), 2 <= n <= w->cap, into g:
 * the softmax over the target and the candidates neg[0 .. n_neg) (a
 * candidate equal to the target masked), sampled (logq not NULL) or every
 * item once (the full softmax, logq NULL).  dropout p >
 * 0 masks the output layer's input with masks drawn from g->drop.
 *
 * The outer products (dW, dU, dOn) are not accumulated step by step: the
 * per-step factors are kept (dAs, DL) and each gradient row is summed over
 * the window's steps at the end, so it stays in cache while it is built.
 */
static void
recsys_gru_window(const recsys_gru_t *m, const uint32_t *seq, uint32_t n,
    const uint32_t *neg, uint32_t n_neg, const float *logq, float p,
    recsys_gru_work_t *w, recsys_gru_slot_t *g)
{
    float     *hp, *hc, *ho, *o, *dl;
    uint32_t   T, t, j, d, h, n_shared;
    uint64_t   rng;

    d = m->dim;
    h = m->hidden;
    T = n - 1;
    n_shared = n_neg;
    rng = g->drop;

    memset(g->dX, 0, (size_t) T * d * sizeof(float));
    memset(w->H, 0, (size_t) h * sizeof(float));
    memset(w->C, 0, (size_t) h * sizeof(float));
    g->loss = 0.0;

    /* forward through the cell, and the output layer at each step */

    for (t = 0; t < T; t++) {
        hp = w->H + (size_t) t * h;
        hc = hp + h;

        if (m->cell == RECSYS_RNN_LSTM) {
            recsys_lstm_forward(m, m->E + (size_t) seq[t] * d, hp, hc, w, t);

        } else {
            recsys_gru_forward(m, m->E + (size_t) seq[t] * d, hp, hc, w, t);
        }

        ho = recsys_gru_outin(m, hc, m->E + (size_t) seq[t] * d, p, &rng, w,
                              t);

        /* softmax cross-entropy of predicting seq[t + 1] from ho */

        o = w->dHo + (size_t) t * h;
        dl = w->DL + (size_t) t * n_shared;
        memset(o, 0, (size_t) h * sizeof(float));

        recsys_gru_output_sampled(m, seq[t + 1], ho, neg, n_neg, logq, w, g,
                                  t, dl, o);

        for (j = 0; p > 0.0f && j < h; j++) {
            o[j] *= w->MK[(size_t) t * h + j];
        }

        /* the skip connection: dL/dx_t straight from the output layer */
        if (m->skip) {
            memcpy(g->dX + (size_t) t * d, o, (size_t) h * sizeof(float));
        }
    }

    if (m->cell == RECSYS_RNN_LSTM) {
        recsys_lstm_backward(m, T, w, g);

    } else {
        recsys_gru_backward(m, T, w, g);
    }

    recsys_gru_outer(m, seq, T, n_shared,
                     m->skip || p > 0.0f ? w->HD : w->H + h, w, g);
}


int
recsys_gru_loss_grad(const recsys_gru_t *m, const uint32_t *seq, uint32_t n,
    const uint32_t *neg, uint32_t n_neg, const float *logq,
    recsys_gru_t *grad, double *loss)
{
    int                rc;
    size_t             d, h, k, c;
    uint32_t           t, *all;
    recsys_gru_work_t  w;
    recsys_gru_slot_t  g;

    if (n < 2 || grad->n_items != m->n_items || grad->dim != m->dim
        || grad->hidden != m->hidden || grad->cell != m->cell || grad->tie)
    {
        return RECSYS_EINVAL;
    }

    for (t = 0; t < n; t++) {
        if (seq[t] >= m->n_items) {
            return RECSYS_EINVAL;
        }
    }

    for (t = 0; t < n_neg; t++) {
        if (neg[t] >= m->n_items) {
            return RECSYS_EINVAL;
        }
    }

    d = m->dim;
    h = m->hidden;
    all = NULL;

    if (n_neg == 0) {
        /* the full softmax: every item a candidate, no correction */
        n_neg = m->n_items;
        logq = NULL;
        all = malloc(((size_t) n_neg + 1) * sizeof(uint32_t));

        for (t = 0; all != NULL && t < n_neg; t++) {
            all[t] = t;
        }

        neg = all;

        if (all == NULL) {
            return RECSYS_ENOMEM;
        }
    }

    rc = recsys_gru_work_alloc(&w, n, m->hidden, m->cell, n_neg + 1);
    if (rc == RECSYS_OK) {
        rc = recsys_gru_slot_alloc(&g, m, n, n_neg, n_neg);
    }

    if (rc != RECSYS_OK) {
        recsys_gru_work_free(&w);
        recsys_gru_slot_free(&g);
        free(all);
        return rc;
    }

    recsys_gru_window(m, seq, n, neg, n_neg, logq, 0.0f, &w, &g);

    c = m->cell;
    memcpy(grad->W, g.dense, c * h * d * sizeof(float));
    memcpy(grad->U, g.dense + c * h * d, c * h * h * sizeof(float));
    memcpy(grad->b, g.dense + c * h * (d + h), c * h * sizeof(float));
    memset(grad->E, 0, (size_t) m->n_items * d * sizeof(float));
    memset(grad->O, 0, (size_t) m->n_items * h * sizeof(float));
    memset(grad->bo, 0, (size_t) m->n_items * sizeof(float));

    for (t = 0; t + 1 < n; t++) {
        recsys_gru_axpy(grad->E + seq[t] * d, 1.0f, g.dX + t * d,
                        (uint32_t) d);
        recsys_gru_axpy(grad->O + seq[t + 1] * h, 1.0f, g.dOt + t * h,
                        (uint32_t) h);
        grad->bo[seq[t + 1]] += g.dbt[t];
    }

    for (k = 0; k < n_neg; k++) {
        recsys_gru_axpy(grad->O + neg[k] * h, 1.0f, g.dOn + k * h,
                        (uint32_t) h);
        grad->bo[neg[k]] += g.dbn[k];
    }

    if (m->tie) {
        /* one matrix: both paths' gradients, in E and (the same) in O */
        recsys_gru_axpy(grad->E, 1.0f, grad->O, (uint32_t) (m->n_items * h));
        memcpy(grad->O, grad->E, (size_t) m->n_items * h * sizeof(float));
    }

    *loss = g.loss;

    recsys_gru_work_free(&w);
    recsys_gru_slot_free(&g);
    free(all);

    return RECSYS_OK;
}


/* Adam on n consecutive parameters */
static void
recsys_gru_adam(float *p, float *g, float *mo, float *ve, size_t n,
    double lr_t)
{
    size_t  k;
    double  gk, mk, vk;

    for (k = 0; k < n; k++) {
        gk = g[k];
        mk = RECSYS_GRU_BETA1 * mo[k] + (1.0 - RECSYS_GRU_BETA1) * gk;
        vk = RECSYS_GRU_BETA2 * ve[k] + (1.0 - RECSYS_GRU_BETA2) * gk * gk;
        mo[k] = (float) mk;
        ve[k] = (float) vk;
        p[k] -= (float) (lr_t * mk / (sqrt(vk) + RECSYS_GRU_EPS));
        g[k] = 0.0f;
    }
}


/* The trainer's state beyond the model. */
typedef struct {
    uint32_t           *x;          /* every user's items, in seq order */
    uint32_t           *wfrom;      /* windows */
    uint32_t           *wlen;
    uint32_t           *order;
    uint32_t            n_win;
    float              *logq;       /* n_items */
    uint32_t           *live;       /* the items in training, in order */
    uint32_t            n_live;
    uint32_t            n_cand;     /* candidates per window: negatives,
                                       or n_live (the full softmax) */
    double             *cdf;        /* n_items, cumulative q */
    float              *mdense, *vdense, *gdense;
    float              *mE, *vE, *gE;
    float              *mO, *vO, *gO;
    float              *mbo, *vbo, *gbo;
    unsigned char      *touchE, *touchO;
    uint32_t           *listE, *listO;
    recsys_gru_work_t  *work;
    recsys_gru_slot_t  *slot;
    uint32_t            n_slots;
    unsigned char      *held;       /* per user: newest item held out */
    uint32_t           *val;        /* the held-out users */
    uint32_t            n_val;
    unsigned char      *mark;       /* n_items: a validation user's items */
    recsys_gru_t        keep;       /* the best epoch's model */
    uint64_t            rng;        /* shuffles and negatives */
    double              per_pos;    /* multiply-adds per position */
    double              bp1, bp2;   /* Adam's beta powers */
} recsys_gru_trainer_t;


static void
recsys_gru_trainer_free(recsys_gru_trainer_t *tr)
{
    uint32_t  j;

    free(tr->x);
    free(tr->wfrom);
    free(tr->wlen);
    free(tr->order);
    free(tr->logq);
    free(tr->live);
    free(tr->cdf);
    free(tr->mdense);
    free(tr->vdense);
    free(tr->gdense);
    free(tr->mE);
    free(tr->vE);
    free(tr->gE);
    free(tr->mO);
    free(tr->vO);
    free(tr->gO);
    free(tr->mbo);
    free(tr->vbo);
    free(tr->gbo);
    free(tr->touchE);
    free(tr->touchO);
    free(tr->listE);
    free(tr->listO);
    free(tr->held);
    free(tr->val);
    free(tr->mark);
    recsys_gru_free(&tr->keep);

    for (j = 0; tr->work != NULL && j < tr->n_slots; j++) {
        recsys_gru_work_free(&tr->work[j]);
        recsys_gru_slot_free(&tr->slot[j]);
    }

    free(tr->work);
    free(tr->slot);
}


/*
 * Windows of at most L items, the last one ending at the newest item, each
 * starting at the item where the next one's predictions end.
 */
static int
recsys_gru_windows(const recsys_train_t *t, uint32_t L,
    recsys_gru_trainer_t *tr)
{
    uint32_t  last;

    uint32_t  u, from, to, len, n;
    uint64_t  e;

    tr->x = malloc(((size_t) t->seq.n_entries + 1) * sizeof(uint32_t));
    if (tr->x == NULL) {
        return RECSYS_ENOMEM;
    }

    for (e = 0; e < t->seq.n_entries; e++) {
        tr->x[e] = t->seq.entries[e].item;
    }

    for (n = 0; n < 2; n++) {
        tr->n_win = 0;

        for (u = 0; u < t->seq.n_rows; u++) {
            from = t->seq.offsets[u];

            /* consecutive windows share one item: no transition lost */
            last = t->seq.offsets[u + 1] - (tr->held[u] ? 1 : 0);

            for (to = last; to - from >= 2; to -= len - 1) {
                len = to - from < L ? to - from : L;

                if (n == 1) {
                    tr->wfrom[tr->n_win] = to - len;
                    tr->wlen[tr->n_win] = len;
                    tr->order[tr->n_win] = tr->n_win;
                }

                tr->n_win++;
            }
        }

        if (n == 0) {
            tr->wfrom = malloc(((size_t) tr->n_win + 1) * sizeof(uint32_t));
            tr->wlen = malloc(((size_t) tr->n_win + 1) * sizeof(uint32_t));
            tr->order = malloc(((size_t) tr->n_win + 1) * sizeof(uint32_t));

            if (tr->wfrom == NULL || tr->wlen == NULL || tr->order == NULL) {
                return RECSYS_ENOMEM;
            }
        }
    }

    return RECSYS_OK;
}


/*
 * The items in training (tr->live), the initial weights (keyed by each
 * item's rank among them: recsys_gru_init_live()), the sampling law q(j)
 * ~ count(j)^0.75, its logs and its cumulative sums.  Items that no
 * window reads keep zero output rows (tied: their embedding rows) and
 * bias RECSYS_GRU_UNSEEN_BIAS.
 */
static int
recsys_gru_law(const recsys_train_t *t, recsys_gru_t *m, uint64_t seed,
    recsys_gru_trainer_t *tr)
{
    double    *cnt, total;
    uint32_t   i;
    uint64_t   e;

    cnt = calloc((size_t) m->n_items + 1, sizeof(double));
    tr->logq = malloc(((size_t) m->n_items + 1) * sizeof(float));
    tr->cdf = malloc(((size_t) m->n_items + 1) * sizeof(double));
    tr->live = malloc(((size_t) m->n_items + 1) * sizeof(uint32_t));

    if (cnt == NULL || tr->logq == NULL || tr->cdf == NULL
        || tr->live == NULL)
    {
        free(cnt);
        return RECSYS_ENOMEM;
    }

    for (e = 0; e < t->seq.n_entries; e++) {
        cnt[tr->x[e]] += 1.0;
    }

    tr->n_live = 0;
    for (i = 0; i < m->n_items; i++) {
        if (cnt[i] > 0.0) {
            tr->live[tr->n_live++] = i;
        }
    }

    recsys_gru_init_live(m, seed, tr->live, tr->n_live);

    total = 0.0;
    for (i = 0; i < m->n_items; i++) {
        total += pow(cnt[i], 0.75);
        tr->cdf[i] = total;
    }

    for (i = 0; i < m->n_items; i++) {
        if (cnt[i] > 0.0) {
            tr->logq[i] = (float) log(pow(cnt[i], 0.75) / total);

        } else {
            tr->logq[i] = 0.0f;
            m->bo[i] = RECSYS_GRU_UNSEEN_BIAS;

            if (m->tie) {
                continue;               /* O[i] is E[i]: the bias alone */
            }

            memset(m->O + (size_t) i * m->hidden, 0,
                   m->hidden * sizeof(float));
        }
    }

    free(cnt);

    return RECSYS_OK;
}


static uint32_t
recsys_gru_sample(const double *cdf, uint32_t n, uint64_t *rng)
{
    double    u;
    uint32_t  lo, hi, mid;

    u = recsys_rng_unit(rng) * cdf[n - 1];
    lo = 0;
    hi = n - 1;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (cdf[mid] > u) {
            hi = mid;

        } else {
            lo = mid + 1;
        }
    }

    return lo;
}


static int
recsys_gru_trainer_alloc(recsys_gru_trainer_t *tr, const recsys_gru_t *m,
    const recsys_gru_opts_t *o)
{
    size_t    nd, nE, nO, ni;
    uint32_t  j, n_shared;

    nd = recsys_gru_dense_size(m);
    nE = (size_t) m->n_items * m->dim + 1;
    nO = (size_t) m->n_items * m->hidden + 1;
    ni = (size_t) m->n_items + 1;

    tr->mdense = calloc(nd, sizeof(float));
    tr->vdense = calloc(nd, sizeof(float));
    tr->gdense = calloc(nd, sizeof(float));
    tr->mE = calloc(nE, sizeof(float));
    tr->vE = calloc(nE, sizeof(float));
    tr->gE = calloc(nE, sizeof(float));
    tr->mO = calloc(nO, sizeof(float));
    tr->vO = calloc(nO, sizeof(float));
    tr->gO = calloc(nO, sizeof(float));
    tr->mbo = calloc(ni, sizeof(float));
    tr->vbo = calloc(ni, sizeof(float));
    tr->gbo = calloc(ni, sizeof(float));
    tr->touchE = calloc(ni, 1);
    tr->touchO = calloc(ni, 1);
    tr->listE = malloc(ni * sizeof(uint32_t));
    tr->listO = malloc(ni * sizeof(uint32_t));

    tr->n_slots = o->batch;
    tr->work = calloc(o->batch, sizeof(recsys_gru_work_t));
    tr->slot = calloc(o->batch, sizeof(recsys_gru_slot_t));

    if (tr->mdense == NULL || tr->vdense == NULL || tr->gdense == NULL
        || tr->mE == NULL || tr->vE == NULL || tr->gE == NULL
        || tr->mO == NULL || tr->vO == NULL || tr->gO == NULL
        || tr->mbo == NULL || tr->vbo == NULL || tr->gbo == NULL
        || tr->touchE == NULL || tr->touchO == NULL || tr->listE == NULL
        || tr->listO == NULL || tr->work == NULL || tr->slot == NULL)
    {
        return RECSYS_ENOMEM;
    }

    n_shared = tr->n_cand;

    for (j = 0; j < o->batch; j++) {
        /* one more step than a window: validation reads max_len items */
        if (recsys_gru_work_alloc(&tr->work[j], o->max_len + 1, m->hidden,
                                  m->cell, n_shared + 1)
            != RECSYS_OK
            || recsys_gru_slot_alloc(&tr->slot[j], m, o->max_len, n_shared,
                                     n_shared)
               != RECSYS_OK)
        {
            return RECSYS_ENOMEM;
        }

        /* the full softmax's candidates never change */
        if (o->negatives == 0) {
            memcpy(tr->slot[j].neg, tr->live,
                   (size_t) n_shared * sizeof(uint32_t));
        }
    }

    return RECSYS_OK;
}


/* Adds the batch's slots, in slot order, into the trainer's gradients. */
static void
recsys_gru_reduce(recsys_gru_trainer_t *tr, const recsys_gru_t *m,
    uint32_t nb, uint32_t n_neg, uint32_t *nE, uint32_t *nO)
{
    size_t              nd, k;
    uint32_t            j, t, row, d, h;
    recsys_gru_slot_t  *g;

    d = m->dim;
    h = m->hidden;
    nd = recsys_gru_dense_size(m);

    /* serial: cheap next to the windows, and no barrier to wait at */

    for (j = 0; j < nb; j++) {
        recsys_gru_axpy(tr->gdense, 1.0f, tr->slot[j].dense, (uint32_t) nd);
    }

    for (j = 0; j < nb; j++) {
        g = &tr->slot[j];

        for (t = 0; t + 1 < g->len; t++) {
            row = tr->x[g->from + t];

            if (!tr->touchE[row]) {
                tr->touchE[row] = 1;
                tr->listE[(*nE)++] = row;
            }

            recsys_gru_axpy(tr->gE + (size_t) row * d, 1.0f,
                            g->dX + (size_t) t * d, d);

            row = tr->x[g->from + t + 1];

            if (!tr->touchO[row]) {
                tr->touchO[row] = 1;
                tr->listO[(*nO)++] = row;
            }

            recsys_gru_axpy(tr->gO + (size_t) row * h, 1.0f,
                            g->dOt + (size_t) t * h, h);
            tr->gbo[row] += g->dbt[t];
        }

        for (k = 0; k < n_neg; k++) {
            row = g->neg[k];

            if (!tr->touchO[row]) {
                tr->touchO[row] = 1;
                tr->listO[(*nO)++] = row;
            }

            recsys_gru_axpy(tr->gO + (size_t) row * h, 1.0f,
                            g->dOn + k * h, h);
            tr->gbo[row] += g->dbn[k];
        }
    }
}


/*
 * A tied model's output rows are its embedding rows: each touched output
 * row's gradient, in touch order, joins the embedding row's (which is
 * then touched too) and is cleared.
 */
static void
recsys_gru_fold(recsys_gru_trainer_t *tr, uint32_t h, uint32_t *nE,
    uint32_t nO)
{
    size_t    off;
    uint32_t  k, row;

    for (k = 0; k < nO; k++) {
        row = tr->listO[k];
        off = (size_t) row * h;

        if (!tr->touchE[row]) {
            tr->touchE[row] = 1;
            tr->listE[(*nE)++] = row;
        }

        recsys_gru_axpy(tr->gE + off, 1.0f, tr->gO + off, h);
        memset(tr->gO + off, 0, (size_t) h * sizeof(float));
    }
}


/* One Adam step over the dense parameters and the touched rows. */
static void
recsys_gru_step(recsys_gru_trainer_t *tr, recsys_gru_t *m, double scale,
    double lr_t, uint32_t nE, uint32_t nO)
{
    size_t    nd, k, h3d, h3h;
    uint32_t  d, h;

    d = m->dim;
    h = m->hidden;
    nd = recsys_gru_dense_size(m);
    h3d = (size_t) m->cell * h * d;
    h3h = (size_t) m->cell * h * h;

    if (m->tie) {
        recsys_gru_fold(tr, h, &nE, nO);
    }

    for (k = 0; k < nd; k++) {
        tr->gdense[k] = (float) (tr->gdense[k] * scale);
    }

    recsys_gru_adam(m->W, tr->gdense, tr->mdense, tr->vdense, h3d, lr_t);
    recsys_gru_adam(m->U, tr->gdense + h3d, tr->mdense + h3d,
                    tr->vdense + h3d, h3h, lr_t);
    recsys_gru_adam(m->b, tr->gdense + h3d + h3h, tr->mdense + h3d + h3h,
                    tr->vdense + h3d + h3h, (size_t) m->cell * h, lr_t);

    for (k = 0; k < nE; k++) {
        size_t    off;
        uint32_t  c;

        off = (size_t) tr->listE[k] * d;

        for (c = 0; c < d; c++) {
            tr->gE[off + c] = (float) (tr->gE[off + c] * scale);
        }

        recsys_gru_adam(m->E + off, tr->gE + off, tr->mE + off, tr->vE + off,
                        d, lr_t);
        tr->touchE[tr->listE[k]] = 0;
    }

    for (k = 0; k < nO; k++) {
        size_t    off;
        uint32_t  c, row;

        row = tr->listO[k];
        off = (size_t) row * h;

        tr->gbo[row] = (float) (tr->gbo[row] * scale);

        /* tied: the row itself has had its step as an embedding row */
        for (c = 0; !m->tie && c < h; c++) {
            tr->gO[off + c] = (float) (tr->gO[off + c] * scale);
        }

        if (!m->tie) {
            recsys_gru_adam(m->O + off, tr->gO + off, tr->mO + off,
                            tr->vO + off, h, lr_t);
        }

        recsys_gru_adam(m->bo + row, tr->gbo + row, tr->mbo + row,
                        tr->vbo + row, 1, lr_t);
        tr->touchO[row] = 0;
    }
}


/*
 * The validation split: a seeded share `valid` of the users with at least
 * three items, whose newest item the windows leave out.
 */
static int
recsys_gru_holdout(const recsys_train_t *t, const recsys_gru_opts_t *o,
    recsys_gru_trainer_t *tr)
{
    uint32_t  u;
    uint64_t  rng;

    tr->held = calloc((size_t) t->seq.n_rows + 1, 1);
    tr->val = malloc(((size_t) t->seq.n_rows + 1) * sizeof(uint32_t));
    tr->mark = calloc((size_t) t->n_items + 1, 1);

    if (tr->held == NULL || tr->val == NULL || tr->mark == NULL) {
        return RECSYS_ENOMEM;
    }

    rng = o->seed ^ 0x9e3779b97f4a7c15ULL;
    tr->n_val = 0;

    for (u = 0; o->valid > 0.0f && u < t->seq.n_rows; u++) {
        /* a draw only for the users who can be held out */
        if (t->seq.offsets[u + 1] - t->seq.offsets[u] >= 3
            && recsys_rng_unit(&rng) < o->valid)
        {
            tr->held[u] = 1;
            tr->val[tr->n_val++] = u;
        }
    }

    return RECSYS_OK;
}


/*
 * The validation score of m: the mean over the held-out users of 1 / rank
 * of their held-out item among the items they have not seen, from the
 * state after their earlier items (at most max_len).
 */
static double
recsys_gru_validate(const recsys_train_t *t, const recsys_gru_t *m,
    uint32_t max_len, recsys_gru_trainer_t *tr)
{
    float               *hc, st;
    double               sum;
    uint32_t             v, u, from, last, y, t0, k, i, rank, h;
    recsys_gru_work_t   *w;

    h = m->hidden;
    w = &tr->work[0];
    sum = 0.0;

    for (v = 0; v < tr->n_val; v++) {
        u = tr->val[v];
        from = t->seq.offsets[u];
        last = t->seq.offsets[u + 1] - 1;
        y = tr->x[last];
        t0 = last - from > max_len ? last - max_len : from;

        memset(w->H, 0, (size_t) h * sizeof(float));
        memset(w->C, 0, (size_t) h * sizeof(float));

        for (k = 0; t0 + k < last; k++) {
            if (m->cell == RECSYS_RNN_LSTM) {
                recsys_lstm_forward(m, m->E + (size_t) tr->x[t0 + k] * m->dim,
                                    w->H + (size_t) k * h,
                                    w->H + (size_t) (k + 1) * h, w, k);

            } else {
                recsys_gru_forward(m, m->E + (size_t) tr->x[t0 + k] * m->dim,
                                   w->H + (size_t) k * h,
                                   w->H + (size_t) (k + 1) * h, w, k);
            }
        }

        hc = w->H + (size_t) k * h;

        if (m->skip) {
            for (i = 0; i < h; i++) {
                w->dh[i] = hc[i] + m->E[(size_t) tr->x[last - 1] * h + i];
            }

            hc = w->dh;
        }

        for (i = from; i < last; i++) {
            tr->mark[tr->x[i]] = 1;
        }

        st = recsys_gru_dot(m->O + (size_t) y * h, hc, h) + m->bo[y];
        rank = 1;

        for (i = 0; i < m->n_items; i++) {
            if (i != y && !tr->mark[i]
                && recsys_gru_dot(m->O + (size_t) i * h, hc, h) + m->bo[i]
                   > st)
            {
                rank++;
            }
        }

        for (i = from; i < last; i++) {
            tr->mark[tr->x[i]] = 0;
        }

        sum += 1.0 / rank;
    }

    return tr->n_val > 0 ? sum / tr->n_val : 0.0;
}


/* Copies the parameters of a into b, of the same shape. */
static void
recsys_gru_copy(recsys_gru_t *b, const recsys_gru_t *a)
{
    size_t  ni, d, h, c;

    ni = a->n_items;
    d = a->dim;
    h = a->hidden;
    c = a->cell;

    memcpy(b->E, a->E, ni * d * sizeof(float));
    memcpy(b->W, a->W, c * h * d * sizeof(float));
    memcpy(b->U, a->U, c * h * h * sizeof(float));
    memcpy(b->b, a->b, c * h * sizeof(float));

    if (!b->tie) {
        memcpy(b->O, a->O, ni * h * sizeof(float));
    }

    memcpy(b->bo, a->bo, ni * sizeof(float));
}


/* One epoch: a shuffle, then Adam over the batches; its mean loss. */
static double
recsys_gru_epoch(const recsys_gru_opts_t *o, recsys_gru_trainer_t *tr,
    recsys_gru_t *m, uint32_t ep)
{
    int       par;
    double    loss, preds, lr_t;
    uint32_t  b0, nb, j, k, tmp, nE, nO;
    uint64_t  bpreds;

    loss = 0.0;
    preds = 0.0;

    for (j = tr->n_win; j > 1; j--) {
        k = (uint32_t) (recsys_rng_next(&tr->rng) % j);
        tmp = tr->order[j - 1];
        tr->order[j - 1] = tr->order[k];
        tr->order[k] = tmp;
    }

    for (b0 = 0; b0 < tr->n_win; b0 += nb) {
        nb = tr->n_win - b0;
        if (nb > o->batch) {
            nb = o->batch;
        }

        bpreds = 0;

        for (j = 0; j < nb; j++) {
            tr->slot[j].from = tr->wfrom[tr->order[b0 + j]];
            tr->slot[j].len = tr->wlen[tr->order[b0 + j]];
            tr->slot[j].drop = recsys_rng_mix(o->seed
                                              ^ ((uint64_t) ep << 32)
                                              ^ tr->order[b0 + j]);
            bpreds += tr->slot[j].len - 1;

            for (k = 0; o->negatives > 0 && k < tr->n_cand; k++) {
                tr->slot[j].neg[k] = recsys_gru_sample(tr->cdf, m->n_items,
                                                       &tr->rng);
            }
        }

        /* small batches run on this thread: no team to wait for */
        par = (double) bpreds * tr->per_pos > RECSYS_GRU_PAR_WORK;
        (void) par;                     /* read by OpenMP only */

RECSYS_GRU_OMP("omp parallel for schedule(dynamic, 1) if (par)")
        for (j = 0; j < nb; j++) {
            recsys_gru_window(m, tr->x + tr->slot[j].from, tr->slot[j].len,
                              tr->slot[j].neg, tr->n_cand,
                              o->negatives > 0 ? tr->logq : NULL,
                              o->dropout, &tr->work[j], &tr->slot[j]);
        }

        for (j = 0; j < nb; j++) {
            loss += tr->slot[j].loss;
        }

        preds += (double) bpreds;

        nE = 0;
        nO = 0;
        recsys_gru_reduce(tr, m, nb, tr->n_cand, &nE, &nO);

        tr->bp1 *= RECSYS_GRU_BETA1;
        tr->bp2 *= RECSYS_GRU_BETA2;
        lr_t = o->lr * sqrt(1.0 - tr->bp2) / (1.0 - tr->bp1);

        recsys_gru_step(tr, m, 1.0 / (double) bpreds, lr_t, nE, nO);
    }

    return preds > 0.0 ? loss / preds : 0.0;
}


static int
recsys_gru_prepare(const recsys_train_t *t, const recsys_gru_opts_t *o,
    recsys_gru_t *m, recsys_gru_trainer_t *tr)
{
    int  rc;

    rc = recsys_rnn_alloc(m, o->cell, t->n_items, o->dim, o->hidden);
    if (rc != RECSYS_OK) {
        return rc;
    }

    m->skip = o->skip;

    rc = o->tie ? recsys_gru_tie(m) : RECSYS_OK;

    if (rc == RECSYS_OK) {
        rc = recsys_gru_holdout(t, o, tr);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_gru_windows(t, o->max_len, tr);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_gru_law(t, m, o->seed, tr);
        tr->n_cand = o->negatives > 0 ? o->negatives : tr->n_live;
    }

    if (rc == RECSYS_OK) {
        rc = recsys_gru_trainer_alloc(tr, m, o);
    }

    if (rc == RECSYS_OK && tr->n_val > 0) {
        rc = recsys_rnn_alloc(&tr->keep, m->cell, m->n_items, m->dim,
                              m->hidden);

        if (rc == RECSYS_OK && m->tie) {
            rc = recsys_gru_tie(&tr->keep);
        }
    }

    /* the serial stream for shuffles and negatives, apart from the init */
    tr->rng = o->seed ^ 0x5851f42d4c957f2dULL;
    tr->per_pos = 3.0 * ((double) m->cell * o->hidden
                         * (o->dim + o->hidden)
                         + (double) (tr->n_cand + 1)
                           * o->hidden);
    tr->bp1 = 1.0;
    tr->bp2 = 1.0;

    return rc;
}


/*
 * The refit: m trained from the seeded start on every item for the
 * validation run's best epoch count, with no validation; the validation
 * run's loss, score and best stay as it wrote them.
 */
static int
recsys_gru_refit(const recsys_train_t *t, const recsys_gru_opts_t *o,
    uint32_t epochs, recsys_gru_t *m)
{
    recsys_gru_opts_t  ro;

    ro = *o;
    ro.epochs = epochs;
    ro.valid = 0.0f;
    ro.refit = 0;
    ro.loss = NULL;
    ro.score = NULL;
    ro.best = NULL;

    return recsys_gru_train(t, &ro, m);
}


int
recsys_gru_train(const recsys_train_t *t, const recsys_gru_opts_t *o,
    recsys_gru_t *m)
{
    int                   rc;
    double                loss, score, best;
    uint32_t              ep, best_ep;
    recsys_gru_trainer_t  tr;

    if (o->dim == 0 || o->hidden == 0 || o->dim > RECSYS_GRU_MAX_DIM
        || o->hidden > RECSYS_GRU_MAX_DIM || o->max_len < 2 || o->batch == 0
        || o->epochs == 0 || !(o->lr > 0.0f) || isinf(o->lr)
        || !(o->dropout >= 0.0f && o->dropout < 1.0f)
        || !(o->valid >= 0.0f && o->valid < 1.0f) || o->skip > 1
        || o->refit > 1 || o->tie > 1
        || ((o->skip || o->tie) && o->dim != o->hidden)
        || (o->cell != RECSYS_RNN_GRU && o->cell != RECSYS_RNN_LSTM))
    {
        return RECSYS_EINVAL;
    }

    memset(&tr, 0, sizeof(recsys_gru_trainer_t));

    rc = recsys_gru_prepare(t, o, m, &tr);
    if (rc != RECSYS_OK) {
        recsys_gru_trainer_free(&tr);
        recsys_gru_free(m);
        return rc;
    }

    best = -1.0;
    best_ep = o->epochs;

    for (ep = 0; ep < o->epochs; ep++) {
        loss = recsys_gru_epoch(o, &tr, m, ep);

        if (o->loss != NULL) {
            o->loss[ep] = loss;
        }

        if (tr.n_val == 0) {
            continue;
        }

        score = recsys_gru_validate(t, m, o->max_len, &tr);

        if (o->score != NULL) {
            o->score[ep] = score;
        }

        if (score > best) {
            best = score;
            best_ep = ep + 1;
            recsys_gru_copy(&tr.keep, m);

        } else if (ep + 1 - best_ep >= o->patience) {
            break;
        }
    }

    for (ep++; ep < o->epochs; ep++) {
        if (o->loss != NULL) {
            o->loss[ep] = 0.0;
        }

        if (o->score != NULL) {
            o->score[ep] = 0.0;
        }
    }

    if (tr.n_val > 0) {
        recsys_gru_copy(m, &tr.keep);
    }

    if (o->best != NULL) {
        *o->best = best_ep;
    }

    recsys_gru_trainer_free(&tr);

    if (o->refit && tr.n_val > 0) {
        recsys_gru_free(m);
        return recsys_gru_refit(t, o, best_ep, m);
    }

    return RECSYS_OK;
}


int
recsys_gru_pack(const recsys_gru_t *m, uint32_t max_len, void **buf,
    size_t *size)
{
    size_t             sz, off, ni, d, h, c;
    unsigned char     *p;
    recsys_gru_head_t  head;

    if (max_len == 0) {
        return RECSYS_EINVAL;
    }

    ni = m->n_items;
    d = m->dim;
    h = m->hidden;

    c = m->cell;
    sz = recsys_rnn_packed_size(m->n_items, m->dim, m->hidden, m->cell);

    p = malloc(sz);
    if (p == NULL) {
        return RECSYS_ENOMEM;
    }

    memset(&head, 0, sizeof(head));
    head.magic = c == RECSYS_RNN_LSTM ? RECSYS_LSTM_MAGIC : RECSYS_GRU_MAGIC;
    head.n_items = m->n_items;
    head.dim = m->dim;
    head.hidden = m->hidden;
    head.max_len = max_len;
    head.reserved = m->skip ? RECSYS_RNN_SKIP : 0;

    off = 0;
    memcpy(p + off, &head, sizeof(head));
    off += sizeof(head);
    memcpy(p + off, m->E, 4 * ni * d);
    off += 4 * ni * d;
    memcpy(p + off, m->W, 4 * c * h * d);
    off += 4 * c * h * d;
    memcpy(p + off, m->U, 4 * c * h * h);
    off += 4 * c * h * h;
    memcpy(p + off, m->b, 4 * c * h);
    off += 4 * c * h;
    memcpy(p + off, m->O, 4 * ni * h);
    off += 4 * ni * h;
    memcpy(p + off, m->bo, 4 * ni);

    *buf = p;
    *size = sz;

    return RECSYS_OK;
}


int
recsys_gru_user_top(const void *packed, size_t size, const recsys_train_t *t,
    uint32_t k, int exclude_seen, recsys_csr_t *out)
{
    int                       rc;
    uint32_t                  magic;
    recsys_usertop_t          ut;
    recsys_gru_head_t         head;
    recsys_usertop_packed_pt  score;

    magic = 0;
    if (size >= 4) {
        memcpy(&magic, packed, 4);
    }

    if (magic == RECSYS_LSTM_MAGIC) {
        rc = recsys_lstm_check(packed, size, &head);
        score = recsys_lstm_score;

    } else {
        rc = recsys_gru_check(packed, size, &head);
        score = recsys_gru_score;
    }

    if (rc != RECSYS_OK) {
        return rc;
    }

    ut.hist_max = head.max_len;
    ut.scratch = 4096 + 16 * ((size_t) head.dim + 10 * head.hidden);
    ut.chunk = 16;

    /* a team only for enough users: small calls run on this thread */
    ut.par = (double) t->n_users * head.n_items * head.hidden
             > RECSYS_GRU_PAR_WORK;

    return recsys_usertop_run_packed(&ut, score, packed, size, t, k,
                                     exclude_seen, out);
}
