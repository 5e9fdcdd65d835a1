/*
 * test_gru.c: unit test of the GRU next-item model (recsys_gru_train.c,
 * recsys_gru.c).
 *
 * 1. The backward pass against central finite differences of the loss, on
 *    a tiny model, for every parameter, with the full softmax and with the
 *    sampled one (log-q correction, a negative equal to a target).
 * 2. Training through the real ingest path on one short sequence watched
 *    by many users: the loss falls and the packed model then predicts the
 *    next item of every prefix, also when read from an odd address.
 * 3. Packed blobs of the wrong size or magic are refused; exclusions are
 *    honoured; per-user lists.
 * 4. Thread count does not change the trained model (a seeded random log
 *    big enough for the trainer to use its threads).
 * 5. The skip connection: its gradient (both cells), and the served
 *    scores against a GRU written out in the test.
 * 6. The index space does not change the trained model: the same
 *    sequences with empty users and items in between give the same
 *    weights, item for item (full and sampled softmax, dropout,
 *    validation).
 * 7. The refit after early stopping equals plain training for the
 *    early-stopped epoch count, and is not the early-stopped model.
 * 8. Weight tying: the gradient of the shared matrix (both cells, with
 *    and without the skip connection), one training step against Adam's
 *    first step computed here, E packed where O goes, bad values refused.
 * Prints TAP.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recsys_arena.h"
#include "recsys_gru.h"
#include "recsys_gru_train.h"
#include "recsys_ingest.h"
#include "recsys_status.h"
#include "recsys_train.h"
#include "tap.h"
#include "file_fixture.h"
#include "ingest_fixture.h"
#include "train_fixture.h"


#define T_USERS  24
#define T_LEN    6
#define T_D      6      /* dim = hidden of the skip connection's tests */


static char      t_dir[64];
static uint64_t        t_mem[1 << 14];  /* the scoring arena, 128 KiB */
static recsys_arena_t  t_ar = { (char *) t_mem, sizeof(t_mem), 0 };


/* Parameter k of all, in the order E, W, U, b, O, bo. */
static float *
t_param(recsys_gru_t *m, size_t k, size_t *total)
{
    size_t  n[6], i;
    float  *p[6];

    n[0] = (size_t) m->n_items * m->dim;
    n[1] = (size_t) m->cell * m->hidden * m->dim;
    n[2] = (size_t) m->cell * m->hidden * m->hidden;
    n[3] = (size_t) m->cell * m->hidden;
    n[4] = (size_t) m->n_items * m->hidden;
    n[5] = m->n_items;
    p[0] = m->E;
    p[1] = m->W;
    p[2] = m->U;
    p[3] = m->b;
    p[4] = m->O;
    p[5] = m->bo;

    *total = n[0] + n[1] + n[2] + n[3] + n[4] + n[5];

    for (i = 0; i < 6; i++) {
        if (k < n[i]) {
            return p[i] + k;
        }

        k -= n[i];
    }

    return NULL;
}


/*
 * Compares the analytic gradient with (L(p + e) - L(p - e)) / 2e for every
 * parameter; returns the worst |numeric - analytic| / (1e-2 + |analytic|).
 */
static double
t_gradcheck(recsys_gru_t *m, const uint32_t *seq, uint32_t n,
    const uint32_t *neg, uint32_t n_neg, const float *logq, int *ok)
{
    float          *p, *gp, keep;
    double          loss, lp, lm, num, worst, err, eps;
    size_t          k, total;
    recsys_gru_t    g;

    *ok = 0;
    eps = 1e-2;
    worst = 0.0;

    if (recsys_rnn_alloc(&g, m->cell, m->n_items, m->dim, m->hidden)
        != RECSYS_OK
        || recsys_gru_loss_grad(m, seq, n, neg, n_neg, logq, &g, &loss)
           != RECSYS_OK)
    {
        return 1e9;
    }

    t_param(m, 0, &total);

    for (k = 0; k < total; k++) {
        p = t_param(m, k, &total);
        gp = t_param(&g, k, &total);
        keep = *p;

        *p = keep + (float) eps;
        {
            recsys_gru_t  scratch;

            recsys_rnn_alloc(&scratch, m->cell, m->n_items, m->dim,
                             m->hidden);
            recsys_gru_loss_grad(m, seq, n, neg, n_neg, logq, &scratch, &lp);
            *p = keep - (float) eps;
            recsys_gru_loss_grad(m, seq, n, neg, n_neg, logq, &scratch, &lm);
            recsys_gru_free(&scratch);
        }
        *p = keep;

        num = (lp - lm) / (2.0 * eps);
        err = fabs(num - *gp) / (1e-2 + fabs(*gp));

        if (err > worst) {
            worst = err;
        }
    }

    recsys_gru_free(&g);
    *ok = 1;

    return worst;
}


static void
t_gradient(uint32_t cell, uint32_t skip, uint32_t tie)
{
    int            ok;
    double         worst;
    uint32_t       i;
    uint64_t       r;
    recsys_gru_t   m;
    float          logq[7];
    const char    *name;

    static const uint32_t  seq[] = { 1, 4, 2, 6, 0, 4 };
    static const uint32_t  neg[] = { 3, 2, 5, 5, 0 };
    static const char     *names[2][2][2] = {
        { { "GRU", "GRU tied" }, { "GRU + skip", "GRU + skip, tied" } },
        { { "LSTM", "LSTM tied" }, { "LSTM + skip", "LSTM + skip, tied" } }
    };

    name = names[cell == RECSYS_RNN_LSTM][skip][tie];

    /* the skip connection and the tie need dim = hidden */
    if (recsys_rnn_alloc(&m, cell, 7, skip || tie ? 4 : 3, 4) != RECSYS_OK
        || (tie && recsys_gru_tie(&m) != RECSYS_OK))
    {
        tap_ok(0, "alloc tiny model");
        return;
    }

    recsys_gru_init(&m, 7);
    m.skip = skip;

    /* non-zero biases, so that every term of the backward pass matters */
    r = 12345;
    for (i = 0; i < cell * 4; i++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        m.b[i] = (float) ((double) (r >> 40) / (1 << 24) - 0.5);
    }

    for (i = 0; i < 7; i++) {
        m.bo[i] = 0.1f * (float) i - 0.3f;
        logq[i] = (float) log((i + 1.0) / 28.0);
    }

    /* tied: O's 28 entries are E's, each checked twice */
    worst = t_gradcheck(&m, seq, 6, NULL, 0, NULL, &ok);
    tap_ok(ok && worst < 2e-2,
           "%s, full softmax: backward matches finite differences "
           "(worst relative error %.2g over all %u parameters)", name, worst,
           (skip || tie ? (cell == RECSYS_RNN_LSTM ? 207u : 171u)
                        : (cell == RECSYS_RNN_LSTM ? 184u : 152u))
           - (tie ? 28u : 0u));

    worst = t_gradcheck(&m, seq, 6, neg, 5, logq, &ok);
    tap_ok(ok && worst < 2e-2,
           "%s, sampled softmax with log-q: backward matches finite "
           "differences (worst %.2g)", name, worst);

    if (tie) {
        double        loss;
        recsys_gru_t  g;

        recsys_rnn_alloc(&g, cell, 7, 4, 4);
        recsys_gru_tie(&g);
        tap_is_int(recsys_gru_loss_grad(&m, seq, 6, NULL, 0, NULL, &g,
                                        &loss),
                   RECSYS_EINVAL, "%s: a tied gradient model refused", name);
        recsys_gru_free(&g);
    }

    if (!skip && !tie) {
        double        loss;
        recsys_gru_t  g;
        uint32_t      bad[] = { 1, 7 };

        recsys_rnn_alloc(&g, cell, 7, 3, 4);
        tap_is_int(recsys_gru_loss_grad(&m, bad, 2, NULL, 0, NULL, &g,
                                        &loss),
                   RECSYS_EINVAL, "item out of range refused");
        tap_is_int(recsys_gru_loss_grad(&m, seq, 1, NULL, 0, NULL, &g,
                                        &loss),
                   RECSYS_EINVAL, "a one-item window refused");
        recsys_gru_free(&g);
    }

    recsys_gru_free(&m);
}


/*
 * random 0: every user of T_USERS watches items 1..T_LEN in order;
 * random 1: 400 users watch 10..39 distinct items each out of 300, seeded.
 */
static int
t_load(int random, recsys_data_t *d, recsys_train_t *t)
{
    int       u, i, k, len, ts;
    char      path[128], seen[300];
    FILE     *fp;
    uint64_t  r;

    fp = t_log_open(path, sizeof(path), t_dir, "seq.csv");

    ts = 1000;
    r = 5;

    for (u = 0; u < (random ? 400 : T_USERS); u++) {
        if (!random) {
            for (i = 0; i < T_LEN; i++) {
                fprintf(fp, "%d,%d,5,%d\n", u + 1, i + 1, ts++);
            }

            continue;
        }

        memset(seen, 0, sizeof(seen));
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        len = 10 + (int) ((r >> 33) % 30);

        for (k = 0; k < len; k++) {
            r = r * 6364136223846793005ULL + 1442695040888963407ULL;
            i = (int) ((r >> 33) % 300);

            if (!seen[i]) {
                seen[i] = 1;
                fprintf(fp, "%d,%d,5,%d\n", u + 1, i + 1, ts++);
            }
        }
    }

    if (!t_log_train(fp, path, d, t)) {
        return 0;
    }

    return random || (t->n_items == T_LEN && t->n_users == T_USERS);
}


static void
t_training(void)
{
    int                 ok;
    void               *buf;
    size_t              size;
    double              loss[40];
    uint32_t            p, n, hist[T_LEN], right;
    unsigned char      *odd;
    recsys_gru_t        m;
    recsys_csr_t        top;
    recsys_data_t       d;
    recsys_alloc_t      a;
    recsys_train_t      t;
    recsys_row_t        none;
    recsys_scored_t     out[T_LEN];
    recsys_gru_opts_t   o;
    recsys_gru_head_t   head;

    a.alloc = recsys_arena_alloc;
    a.ctx = &t_ar;
    none.p = NULL;
    none.n = 0;

    ok = t_load(0, &d, &t);
    tap_ok(ok, "%d users x %d items through the ingest path", T_USERS,
           T_LEN);
    if (!ok) {
        return;
    }

    o = recsys_gru_default;
    o.dim = 8;
    o.hidden = 8;
    o.epochs = 40;
    o.negatives = 0;
    o.batch = 4;
    o.lr = 0.02f;
    o.max_len = 10;
    o.loss = loss;

    tap_is_int(recsys_gru_train(&t, &o, &m), RECSYS_OK,
               "train (full softmax)");
    tap_ok(loss[o.epochs - 1] < 0.25 * loss[0],
           "loss falls: %.4f in epoch 1, %.4f in epoch %u", loss[0],
           loss[o.epochs - 1], o.epochs);

    tap_is_int(recsys_gru_pack(&m, 5, &buf, &size), RECSYS_OK, "pack");
    tap_is_int(size, 24 + 4 * (6 * (8 + 8 + 1) + 3 * 8 * (8 + 8 + 1)),
               "packed size as documented");

    /* read from an address that is only 2-byte aligned */
    odd = malloc(size + 2);
    memcpy(odd + 2, buf, size);

    right = 0;
    for (p = 1; p < T_LEN; p++) {
        for (n = 0; n < p; n++) {
            hist[n] = n;
        }

        t_ar.used = 0;

        if (recsys_gru_score(odd + 2, size, hist, p, none, hist, p, 1, &a,
                             out, &n)
            == RECSYS_OK && n == 1 && out[0].item == p)
        {
            right++;
        }
    }

    tap_is_int(right, T_LEN - 1, "the next item of every prefix comes first");

    t_ar.used = 0;
    recsys_gru_score(odd + 2, size, hist, 2, none, NULL, 0, T_LEN, &a, out,
                     &n);
    tap_is_int(n, T_LEN, "without exclusions every item is ranked");
    tap_ok(out[0].item == 2, "history 1,2 -> 3 first (got index %u)",
           out[0].item);

    /* max_len 5 bounds the history read: an unknown item is skipped */
    hist[0] = 0;
    hist[1] = 1;
    hist[2] = 999;
    t_ar.used = 0;
    recsys_gru_score(odd + 2, size, hist, 3, none, NULL, 0, 1, &a, out, &n);
    tap_ok(n == 1 && out[0].item == 2, "unknown history items are skipped");

    tap_is_int(recsys_gru_check(odd + 2, size, &head), RECSYS_OK, "check");
    tap_is_int(head.max_len, 5, "max_len in the header");
    tap_is_int(recsys_gru_check(odd + 2, size - 4, NULL), RECSYS_ECORRUPT,
               "a truncated blob is refused");
    odd[2] ^= 1;
    tap_is_int(recsys_gru_check(odd + 2, size, NULL), RECSYS_EFORMAT,
               "a foreign magic is refused");
    free(odd);

    tap_is_int(recsys_gru_user_top(buf, size, &t, 3, 1, &top), RECSYS_OK,
               "user top lists");
    tap_is_int(top.offsets[1] - top.offsets[0], 0,
               "a user who saw everything gets an empty list when seen "
               "items are excluded");
    recsys_csr_free(&top);

    recsys_gru_user_top(buf, size, &t, 3, 0, &top);
    tap_ok(top.offsets[1] - top.offsets[0] == 3,
           "with re-watches allowed the list is full");
    recsys_csr_free(&top);

    free(buf);
    recsys_gru_free(&m);

    o.dim = 0;
    tap_is_int(recsys_gru_train(&t, &o, &m), RECSYS_EINVAL, "dim 0 refused");

    recsys_train_free(&t);
    recsys_data_free(&d);
}


/*
 * The same model whatever the thread count, on a log big enough for the
 * trainer to use a team (it keeps small batches on one thread).
 */
static void
t_threads(void)
{
    int                 same;
    void               *buf, *buf2;
    size_t              size, size2;
    recsys_gru_t        m, m2;
    recsys_data_t       d;
    recsys_train_t      t;
    recsys_gru_opts_t   o;

    if (!t_load(1, &d, &t)) {
        tap_ok(0, "random log through the ingest path");
        return;
    }

    o = recsys_gru_default;
    o.dim = 32;
    o.hidden = 32;
    o.epochs = 1;
    o.negatives = 16;

    t_set_threads(1);
    recsys_gru_train(&t, &o, &m);
    t_set_threads(2);
    recsys_gru_train(&t, &o, &m2);

    recsys_gru_pack(&m, 5, &buf, &size);
    recsys_gru_pack(&m2, 5, &buf2, &size2);
    same = size == size2 && memcmp(buf, buf2, size) == 0;
    tap_ok(same, "1 and 2 threads train bit-identical models (%u users, "
           "%u rows)", t.n_users, t.seq.n_entries);

    free(buf);
    free(buf2);
    recsys_gru_free(&m);
    recsys_gru_free(&m2);
    recsys_train_free(&t);
    recsys_data_free(&d);
}


/*
 * 30 users' sequences over 20 items, seeded, into t->seq (free with
 * recsys_csr_free); stretch 1 puts them in a larger index space: user u
 * is row 2u + 1 and item i index 2i + 1, the rows and indexes between
 * left empty (as in an evaluation, whose index space holds the whole log).
 */
static int
t_space_seqs(uint32_t stretch, recsys_train_t *tp)
{
    uint32_t           u, k, len, row, n_rows, e;
    uint64_t           r;
    recsys_train_t     t;

    memset(&t, 0, sizeof(t));
    n_rows = stretch ? 61 : 30;
    t.n_users = n_rows;
    t.n_items = stretch ? 41 : 20;

    if (recsys_csr_alloc(&t.seq, n_rows, 30 * 14) != 0) {
        return RECSYS_ENOMEM;
    }

    r = 11;
    e = 0;
    row = 0;

    for (u = 0; u < 30; u++) {
        for ( /* void */ ; row <= (stretch ? 2 * u + 1 : u); row++) {
            t.seq.offsets[row] = e;
        }

        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        len = 2 + (uint32_t) ((r >> 33) % 13);

        for (k = 0; k < len; k++) {
            r = r * 6364136223846793005ULL + 1442695040888963407ULL;
            t.seq.entries[e].item = (uint32_t) ((r >> 33) % 20);
            t.seq.entries[e].item = stretch ? 2 * t.seq.entries[e].item + 1
                                            : t.seq.entries[e].item;
            t.seq.entries[e++].score = 1.0f;
        }
    }

    for ( /* void */ ; row <= n_rows; row++) {
        t.seq.offsets[row] = e;
    }

    t.seq.n_entries = e;
    *tp = t;

    return RECSYS_OK;
}


/*
 * The options of the index-space tests: 3 epochs, the given negatives (0:
 * the full softmax), dropout, early stopping and the skip connection.
 */
static recsys_gru_opts_t
t_space_opts(uint32_t negatives)
{
    recsys_gru_opts_t  o;

    o = recsys_gru_default;
    o.epochs = 3;
    o.negatives = negatives;
    o.batch = 4;
    o.max_len = 6;
    o.dropout = 0.2f;
    o.valid = 0.3f;
    o.skip = 1;
    o.dim = T_D;
    o.hidden = T_D;

    return o;
}


/* t_space_seqs(stretch) trained with t_space_opts(negatives) */
static int
t_space_train(uint32_t stretch, uint32_t negatives, recsys_gru_t *m)
{
    int                rc;
    recsys_train_t     t;
    recsys_gru_opts_t  o;

    rc = t_space_seqs(stretch, &t);
    if (rc != RECSYS_OK) {
        return rc;
    }

    o = t_space_opts(negatives);
    rc = recsys_gru_train(&t, &o, m);
    recsys_csr_free(&t.seq);

    return rc;
}


/* every weight of a and b (of one shape) bit-identical */
static int
t_same_weights(const recsys_gru_t *a, const recsys_gru_t *b)
{
    size_t  ni, d, h, c;

    ni = a->n_items;
    d = a->dim;
    h = a->hidden;
    c = a->cell;

    return memcmp(a->E, b->E, ni * d * sizeof(float)) == 0
           && memcmp(a->W, b->W, c * h * d * sizeof(float)) == 0
           && memcmp(a->U, b->U, c * h * h * sizeof(float)) == 0
           && memcmp(a->b, b->b, c * h * sizeof(float)) == 0
           && memcmp(a->O, b->O, ni * h * sizeof(float)) == 0
           && memcmp(a->bo, b->bo, ni * sizeof(float)) == 0;
}


/*
 * The refit: early stopping picks E epochs, then the model is trained
 * again on every item; that model equals one trained for E epochs
 * without validation, and differs from the early-stopped one (which did
 * not see the held-out items).  Both cells, full and sampled softmax.
 */
static void
t_refit(void)
{
    int                ok;
    uint32_t           cell, neg, e, e2;
    double             score[12];
    recsys_gru_t       a, b, c;
    recsys_train_t     t;
    recsys_gru_opts_t  o;

    if (t_space_seqs(0, &t) != RECSYS_OK) {
        tap_ok(0, "the refit's sequences");
        return;
    }

    for (cell = RECSYS_RNN_GRU; cell <= RECSYS_RNN_LSTM; cell++) {
        for (neg = 0; neg <= 8; neg += 8) {
            o = t_space_opts(neg);
            o.cell = cell;
            o.epochs = 12;
            o.patience = 1;
            o.lr = 0.05f;
            o.score = score;
            o.best = &e;
            e = 0;
            ok = recsys_gru_train(&t, &o, &a) == RECSYS_OK;

            o.refit = 1;
            o.best = &e2;
            e2 = 0;
            ok = ok && recsys_gru_train(&t, &o, &b) == RECSYS_OK;

            o.refit = 0;
            o.valid = 0.0f;
            o.epochs = e;
            o.score = NULL;
            o.best = NULL;
            ok = ok && e >= 1 && e == e2
                 && recsys_gru_train(&t, &o, &c) == RECSYS_OK;

            tap_ok(ok && t_same_weights(&b, &c) && !t_same_weights(&a, &b),
                   "%s, %s: the refit (E = %u of at most 12 epochs) equals "
                   "%u epochs without validation, not the early-stopped "
                   "model", cell == RECSYS_RNN_GRU ? "GRU" : "LSTM",
                   neg ? "8 negatives" : "full softmax", e, e);

            if (ok) {
                recsys_gru_free(&a);
                recsys_gru_free(&b);
                recsys_gru_free(&c);
            }
        }
    }

    o = t_space_opts(0);
    o.refit = 2;
    tap_ok(recsys_gru_train(&t, &o, &a) == RECSYS_EINVAL,
           "refit 2 is refused");

    recsys_csr_free(&t.seq);
}


/*
 * The tied trainer against a step computed here: one epoch of one batch
 * (every user's sequence is one window, full softmax, no dropout) is one
 * Adam step from the seeded start, which moves each parameter by
 * -lr g / (|g| + eps / sqrt(1 - beta2)), g the mean gradient over the
 * predictions, here the sum of recsys_gru_loss_grad() over the users (the
 * tied gradient: both paths into E) divided by their number.  Both cells,
 * with and without the skip connection.  Then the packed tied model holds
 * E where O goes, and the option's bad values are refused.
 */
static void
t_tie_step(void)
{
    int                ok;
    void              *buf;
    float             *p0, *p1, *pg, *pa;
    size_t             k, total, sz;
    double             worst, gs, want, loss, preds;
    uint32_t           cell, skip, u, from, len, live;
    unsigned char      seen[20];
    recsys_gru_t       m0, m1, g, acc;
    recsys_train_t     t;
    recsys_gru_opts_t  o;

    if (t_space_seqs(0, &t) != RECSYS_OK) {
        tap_ok(0, "the tied step's sequences");
        return;
    }

    memset(seen, 0, sizeof(seen));
    live = 0;
    for (k = 0; k < t.seq.n_entries; k++) {
        live += !seen[t.seq.entries[k].item];
        seen[t.seq.entries[k].item] = 1;
    }

    /* every item in training: the trainer's init is recsys_gru_init's */
    tap_is_int(live, 20, "every item occurs in the tied step's sequences");

    for (cell = RECSYS_RNN_GRU; cell <= RECSYS_RNN_LSTM; cell++) {
        for (skip = 0; skip <= 1; skip++) {
            /* one Adam step (one epoch, every user's window in one batch),
               no draws (no dropout, no validation split) */
            o = (recsys_gru_opts_t) {
                .dim = T_D, .hidden = T_D, .epochs = 1, .max_len = 16,
                .negatives = 0, .batch = 64, .lr = 1e-3f, .seed = 42,
                .cell = cell, .patience = 2, .skip = skip, .tie = 1
            };

            ok = recsys_gru_train(&t, &o, &m1) == RECSYS_OK
                 && recsys_rnn_alloc(&m0, cell, 20, T_D, T_D) == RECSYS_OK
                 && recsys_gru_tie(&m0) == RECSYS_OK
                 && recsys_rnn_alloc(&g, cell, 20, T_D, T_D) == RECSYS_OK
                 && recsys_rnn_alloc(&acc, cell, 20, T_D, T_D) == RECSYS_OK;

            if (!ok) {
                tap_ok(0, "train and allocate the tied models");
                continue;
            }

            recsys_gru_init(&m0, o.seed);
            m0.skip = skip;
            preds = 0.0;

            for (u = 0; ok && u < 30; u++) {
                from = t.seq.offsets[u];
                len = t.seq.offsets[u + 1] - from;
                {
                    uint32_t  seq[16], j;

                    for (j = 0; j < len; j++) {
                        seq[j] = t.seq.entries[from + j].item;
                    }

                    ok = recsys_gru_loss_grad(&m0, seq, len, NULL, 0, NULL,
                                              &g, &loss) == RECSYS_OK;
                }

                preds += len - 1;
                t_param(&g, 0, &total);

                for (k = 0; k < total; k++) {
                    *t_param(&acc, k, &total) += *t_param(&g, k, &total);
                }
            }

            worst = ok ? 0.0 : 1.0;

            for (k = 0; ok && k < total; k++) {
                p0 = t_param(&m0, k, &total);
                p1 = t_param(&m1, k, &total);
                pa = t_param(&acc, k, &total);
                gs = *pa / preds;
                want = -1e-3 * gs / (fabs(gs) + 1e-8 / sqrt(1.0 - 0.999));
                gs = fabs((double) *p1 - *p0 - want);
                worst = gs > worst ? gs : worst;
            }

            tap_ok(m1.O == m1.E && worst < 2e-6,
                   "%s%s, tied: one batch moves every parameter by Adam's "
                   "first step on the summed gradient of both paths "
                   "(worst difference %.2g, lr 1e-3)",
                   cell == RECSYS_RNN_GRU ? "GRU" : "LSTM",
                   skip ? " + skip" : "", worst);

            buf = NULL;
            sz = (size_t) 20 * T_D * sizeof(float);
            pg = NULL;

            if (recsys_gru_pack(&m1, 5, &buf, &total) == RECSYS_OK) {
                /* E after the head, then W, U, b (cell blocks), then O */
                pg = (float *) ((char *) buf + 24 + sz
                                + (size_t) cell * T_D * (2 * T_D + 1)
                                  * sizeof(float));
            }

            tap_ok(pg != NULL && memcmp((char *) buf + 24, pg, sz) == 0
                   && memcmp(pg, m1.E, sz) == 0,
                   "the packed tied model holds E where O goes");

            free(buf);
            recsys_gru_free(&m0);
            recsys_gru_free(&m1);
            recsys_gru_free(&g);
            recsys_gru_free(&acc);
        }
    }

    o = t_space_opts(0);
    o.tie = 2;
    tap_is_int(recsys_gru_train(&t, &o, &m1), RECSYS_EINVAL,
               "tie 2 is refused");
    o.tie = 1;
    o.skip = 0;
    o.hidden = T_D + 1;
    tap_is_int(recsys_gru_train(&t, &o, &m1), RECSYS_EINVAL,
               "tie with dim other than hidden is refused");
    recsys_rnn_alloc(&m0, RECSYS_RNN_GRU, 20, T_D, T_D + 1);
    tap_is_int(recsys_gru_tie(&m0), RECSYS_EINVAL,
               "so is tying a model whose dim is not its hidden size");
    recsys_gru_free(&m0);

    recsys_csr_free(&t.seq);
}


/*
 * Training does not depend on the index space: the same sequences with
 * empty users and items in between give the same weights, item for item.
 */
static void
t_space(void)
{
    int            same, ok;
    size_t         d, i;
    uint32_t       neg;
    recsys_gru_t   a, b;

    for (neg = 0; neg <= 8; neg += 8) {
        ok = t_space_train(0, neg, &a) == RECSYS_OK
             && t_space_train(1, neg, &b) == RECSYS_OK;

        if (!ok) {
            tap_ok(0, "train in both index spaces");
            continue;
        }

        d = T_D;
        same = memcmp(a.W, b.W, 3 * d * d * sizeof(float)) == 0
               && memcmp(a.U, b.U, 3 * d * d * sizeof(float)) == 0
               && memcmp(a.b, b.b, 3 * d * sizeof(float)) == 0;

        for (i = 0; i < 20; i++) {
            same = same
                   && memcmp(a.E + i * d, b.E + (2 * i + 1) * d,
                             d * sizeof(float)) == 0
                   && memcmp(a.O + i * d, b.O + (2 * i + 1) * d,
                             d * sizeof(float)) == 0
                   && a.bo[i] == b.bo[2 * i + 1];
        }

        for (i = 0; i <= 20; i++) {
            same = same && b.bo[2 * i] == -100.0f;
        }

        tap_ok(same, "%s: the same weights with empty users and items in "
               "between (items without rows keep bias -100)",
               neg ? "8 negatives" : "full softmax");

        recsys_gru_free(&a);
        recsys_gru_free(&b);
    }
}


/*
 * The skip connection served: a model trained with it (t_space_train's)
 * scores like a GRU written out here (in double precision) whose output
 * layer reads h_T + E[x_T].
 */
static void
t_skip_score(void)
{
    void               *buf;
    size_t              size;
    double              h[T_D], hn[T_D], a[3 * T_D], q[T_D], x, s, worst;
    uint32_t            i, j, k, g, n, hist[3];
    recsys_gru_t        m;
    recsys_alloc_t      al;
    recsys_row_t        none;
    recsys_scored_t     out[20];
    recsys_gru_head_t   head;

    buf = NULL;
    tap_ok(t_space_train(0, 0, &m) == RECSYS_OK
           && recsys_gru_pack(&m, 5, &buf, &size) == RECSYS_OK,
           "train and pack with the skip connection");
    tap_ok(buf != NULL && recsys_gru_check(buf, size, &head) == RECSYS_OK
           && head.reserved == RECSYS_RNN_SKIP, "the header says so");

    if (buf == NULL) {
        return;
    }

    hist[0] = 7;
    hist[1] = 0;
    hist[2] = 13;
    memset(h, 0, sizeof(h));

    for (k = 0; k < 3; k++) {
        for (g = 0; g < 3 * T_D; g++) {
            a[g] = m.b[g];
            for (j = 0; j < T_D; j++) {
                a[g] += (double) m.W[g * T_D + j] * m.E[hist[k] * T_D + j];
            }
        }

        /* z into a[0 ..], r * h into q */
        for (i = 0; i < T_D; i++) {
            for (j = 0; j < T_D; j++) {
                a[i] += (double) m.U[i * T_D + j] * h[j];
                a[T_D + i] += (double) m.U[(T_D + i) * T_D + j] * h[j];
            }

            a[i] = 1.0 / (1.0 + exp(-a[i]));
            q[i] = h[i] / (1.0 + exp(-a[T_D + i]));
        }

        for (i = 0; i < T_D; i++) {
            x = a[2 * T_D + i];
            for (j = 0; j < T_D; j++) {
                x += (double) m.U[(2 * T_D + i) * T_D + j] * q[j];
            }

            hn[i] = (1.0 - a[i]) * h[i] + a[i] * tanh(x);
        }

        memcpy(h, hn, sizeof(h));
    }

    al.alloc = recsys_arena_alloc;
    al.ctx = &t_ar;
    none.p = NULL;
    none.n = 0;
    t_ar.used = 0;
    worst = 1.0;

    if (recsys_gru_score(buf, size, hist, 3, none, NULL, 0, 20, &al, out, &n)
        == RECSYS_OK && n == 20)
    {
        worst = 0.0;

        for (k = 0; k < n; k++) {
            s = m.bo[out[k].item];
            for (j = 0; j < T_D; j++) {
                s += (double) m.O[out[k].item * T_D + j]
                     * (h[j] + m.E[hist[2] * T_D + j]);
            }

            worst = fabs(s - out[k].score) > worst ? fabs(s - out[k].score)
                                                   : worst;
            worst = k > 0 && out[k].score > out[k - 1].score ? 1.0 : worst;
        }
    }

    tap_ok(worst < 1e-4, "served scores = O (h_T + E[x_T]) + bo, best "
           "first, for every item (worst difference %.2g)", worst);

    free(buf);
    recsys_gru_free(&m);
}


int
main(void)
{
    t_mkdtemp(t_dir, sizeof(t_dir), "test_gru");

    t_gradient(RECSYS_RNN_GRU, 0, 0);
    t_gradient(RECSYS_RNN_LSTM, 0, 0);
    t_gradient(RECSYS_RNN_GRU, 1, 0);
    t_gradient(RECSYS_RNN_LSTM, 1, 0);
    t_gradient(RECSYS_RNN_GRU, 0, 1);
    t_gradient(RECSYS_RNN_LSTM, 0, 1);
    t_gradient(RECSYS_RNN_GRU, 1, 1);
    t_gradient(RECSYS_RNN_LSTM, 1, 1);
    t_tie_step();
    t_space();
    t_skip_score();
    t_refit();
    t_training();
    t_threads();

    rmdir(t_dir);

    return tap_done();
}
