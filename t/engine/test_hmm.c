/*
 * test_hmm.c: unit test of the hidden Markov model (recsys_hmm_train.c,
 * recsys_hmm.c).
 *
 * 1. Scaled forward-backward on a tiny hand-set 2-state model against a
 *    brute-force sum over every state path: log-likelihood, state
 *    posteriors and expected transitions, to 1e-9.
 * 2. Baum-Welch on a small seeded random log (through the real ingest
 *    path) with both priors 0: the log-likelihood never decreases from one
 *    iteration to the next.  On a larger random log, the trained model is
 *    the same for 1 and 2 threads.
 * 3. The packed layout read back by independent code written from the
 *    header's description; request-time scores equal a brute-force ranking
 *    of every item, both when the threshold walk stops early and when it
 *    has to scan; exclusions, unknown history items, the empty history.
 * 4. inspect, per-user lists, refused blobs.
 * Prints TAP.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recsys_hmm.h"
#include "recsys_hmm_train.h"
#include "recsys_ingest.h"
#include "recsys_arena.h"
#include "recsys_status.h"
#include "recsys_train.h"
#include "tap.h"
#include "file_fixture.h"
#include "ingest_fixture.h"
#include "train_fixture.h"


#define T_USERS   40
#define T_ITEMS   10
#define T_MAXLEN  8


static char      t_dir[64];
static uint64_t        t_mem[1 << 14];  /* the scoring arena, 128 KiB */
static recsys_arena_t  t_ar = { (char *) t_mem, sizeof(t_mem), 0 };
static recsys_alloc_t  t_arena = { recsys_arena_alloc, &t_ar };


static uint64_t
t_rand(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}


/*
 * Brute force: P(x, path) for every path of length n over 2 states;
 * ll = log sum, gamma and xi from the same sums.
 */
static void
t_brute(const recsys_hmm_t *m, const uint32_t *x, uint32_t n, double *ll,
    double *gamma, double *xi)
{
    double    p, total;
    uint32_t  path, t, s, prev;

    total = 0.0;
    memset(gamma, 0, (size_t) n * 2 * sizeof(double));
    memset(xi, 0, 4 * sizeof(double));

    for (path = 0; path < (1u << n); path++) {
        p = 1.0;
        prev = 0;

        for (t = 0; t < n; t++) {
            s = (path >> t) & 1;
            p *= (t == 0 ? m->pi[s] : m->A[prev * 2 + s])
                 * m->B[x[t] * 2 + s];
            prev = s;
        }

        total += p;

        for (t = 0; t < n; t++) {
            s = (path >> t) & 1;
            gamma[t * 2 + s] += p;

            if (t + 1 < n) {
                xi[s * 2 + ((path >> (t + 1)) & 1)] += p;
            }
        }
    }

    for (t = 0; t < 2 * n; t++) {
        gamma[t] /= total;
    }

    for (t = 0; t < 4; t++) {
        xi[t] /= total;
    }

    *ll = log(total);
}


static void
t_forward_backward(void)
{
    int            ok_ll, ok_g, ok_x;
    double         ll, bll, gamma[2 * 12], bgamma[2 * 12], xi[4], bxi[4];
    double         worst;
    uint32_t       n, t, x[12], k;
    uint64_t       r;
    recsys_hmm_t   m;

    if (recsys_hmm_alloc(&m, 2, 3) != RECSYS_OK) {
        tap_ok(0, "alloc");
        return;
    }

    /* a sticky state emitting mostly item 0, a flighty one mostly 2 */
    m.pi[0] = 0.6;
    m.pi[1] = 0.4;
    m.A[0] = 0.9;   m.A[1] = 0.1;
    m.A[2] = 0.3;   m.A[3] = 0.7;
    m.B[0 * 2 + 0] = 0.7;   m.B[0 * 2 + 1] = 0.1;
    m.B[1 * 2 + 0] = 0.2;   m.B[1 * 2 + 1] = 0.3;
    m.B[2 * 2 + 0] = 0.1;   m.B[2 * 2 + 1] = 0.6;

    ok_ll = ok_g = ok_x = 1;
    worst = 0.0;
    r = 99;

    for (n = 1; n <= 12; n++) {
        for (t = 0; t < n; t++) {
            x[t] = (uint32_t) (t_rand(&r) % 3);
        }

        if (recsys_hmm_forward_backward(&m, x, n, gamma, xi, &ll)
            != RECSYS_OK)
        {
            ok_ll = 0;
            continue;
        }

        t_brute(&m, x, n, &bll, bgamma, bxi);

        if (fabs(ll - bll) > 1e-9) {
            ok_ll = 0;
            printf("# n %u: ll %.15g, brute force %.15g\n", n, ll, bll);
        }

        if (fabs(ll - bll) > worst) {
            worst = fabs(ll - bll);
        }

        for (k = 0; k < 2 * n; k++) {
            ok_g &= fabs(gamma[k] - bgamma[k]) <= 1e-9;
        }

        for (k = 0; k < 4; k++) {
            ok_x &= fabs(xi[k] - bxi[k]) <= 1e-9;
        }
    }

    tap_ok(ok_ll, "log-likelihood equals the sum over all 2^n paths, n = 1.."
           "12 (worst difference %.2g)", worst);
    tap_ok(ok_g, "state posteriors equal the brute-force ones");
    tap_ok(ok_x, "expected transitions equal the brute-force ones");

    x[0] = 3;
    tap_is_int(recsys_hmm_forward_backward(&m, x, 1, NULL, NULL, &ll),
               RECSYS_EINVAL, "an item out of range is refused");

    /*
     * An item no state emits is a missing observation: the same as the
     * brute force with that item's emissions all 1 (the step still moves
     * the chain, but says nothing about the state).
     */
    x[0] = 0;
    x[1] = 2;
    x[2] = 1;
    x[3] = 0;
    x[4] = 2;
    m.B[1 * 2 + 0] = 0.0;
    m.B[1 * 2 + 1] = 0.0;
    recsys_hmm_forward_backward(&m, x, 5, gamma, xi, &ll);
    m.B[1 * 2 + 0] = 1.0;
    m.B[1 * 2 + 1] = 1.0;
    t_brute(&m, x, 5, &bll, bgamma, bxi);

    ok_g = 1;
    for (k = 0; k < 10; k++) {
        ok_g &= fabs(gamma[k] - bgamma[k]) <= 1e-9;
    }

    tap_ok(fabs(ll - bll) <= 1e-9 && ok_g,
           "an observation no state can emit is treated as missing");

    recsys_hmm_free(&m);
}


static int
t_load(int n_users, recsys_data_t *d, recsys_train_t *t)
{
    int       u, k, len, used[T_ITEMS], i;
    char      path[128];
    FILE     *fp;
    uint64_t  r;

    fp = t_log_open(path, sizeof(path), t_dir, "random.csv");

    /*
     * Two kinds of users: one walks the low items upwards, the other
     * the high items; both with noise.  Items 1..T_ITEMS all occur.
     */
    r = 2024;

    for (u = 0; u < n_users; u++) {
        memset(used, 0, sizeof(used));
        len = 3 + (int) (t_rand(&r) % 6);

        for (k = 0; k < len; k++) {
            if (t_rand(&r) % 4 == 0) {
                i = (int) (t_rand(&r) % T_ITEMS);

            } else {
                i = (u % 2 ? 0 : T_ITEMS / 2) + (k + u) % (T_ITEMS / 2);
            }

            if (used[i]) {
                continue;
            }

            used[i] = 1;
            fprintf(fp, "%d,%d,1,%d\n", u + 1, i + 1, 1000 + k);
        }
    }

    if (!t_log_train(fp, path, d, t)) {
        return 0;
    }

    return t->n_items == T_ITEMS;
}


static float
t_f32(const unsigned char *p, size_t index)
{
    float  f;

    memcpy(&f, p + index * 4, 4);
    return f;
}


/*
 * The reference ranking, from the layout in recsys_hmm.h: filter over the
 * last max_len known items, score every item, drop exclusions, sort.
 */
static uint32_t
t_reference(const unsigned char *p, const uint32_t *hist, uint32_t n_hist,
    const uint32_t *excl, uint32_t n_excl, uint32_t need,
    recsys_scored_t *out)
{
    float            f;
    double           pred[8], alpha[8], sum, ps, sc;
    uint32_t         head[6], N, I, s, u, h, i, k, got, j;
    recsys_scored_t  tmp;
    const unsigned char  *pi, *A, *B;

    memcpy(head, p, sizeof(head));
    N = head[1];
    I = head[2];
    pi = p + 24;
    A = pi + 4 * N;
    B = A + 4 * N * N;

    for (s = 0; s < N; s++) {
        pred[s] = t_f32(pi, s);
    }

    h = n_hist > head[4] ? n_hist - head[4] : 0;

    for ( /* void */ ; h < n_hist; h++) {
        if (hist[h] >= I) {
            continue;
        }

        sum = 0.0;
        for (s = 0; s < N; s++) {
            f = t_f32(B, (size_t) hist[h] * N + s);
            alpha[s] = pred[s] * f;
            sum += alpha[s];
        }

        /* the prediction step as a vector-matrix product, column by column */
        for (u = 0; u < N; u++) {
            pred[u] = 0.0;
            for (s = 0; s < N; s++) {
                ps = alpha[s] / sum;
                pred[u] += ps == 0.0 ? 0.0 : ps * t_f32(A, (size_t) s * N + u);
            }
        }
    }

    got = 0;

    for (i = 0; i < I; i++) {
        for (k = 0; k < n_excl && excl[k] != i; k++) {
            /* search */
        }

        if (k < n_excl) {
            continue;
        }

        sc = 0.0;
        for (s = 0; s < N; s++) {
            sc += pred[s] * t_f32(B, (size_t) i * N + s);
        }

        out[got].item = i;
        out[got].score = (float) sc;
        got++;
    }

    /* insertion sort, best first, ties to the smaller index */
    for (k = 1; k < got; k++) {
        tmp = out[k];

        for (j = k; j > 0 && recsys_scored_better(&tmp, &out[j - 1]); j--) {
            out[j] = out[j - 1];
        }

        out[j] = tmp;
    }

    return got < need ? got : need;
}


static int
t_same(const recsys_scored_t *a, uint32_t na, const recsys_scored_t *b,
    uint32_t nb)
{
    uint32_t  k;

    if (na != nb) {
        return 0;
    }

    for (k = 0; k < na; k++) {
        if (a[k].item != b[k].item || a[k].score != b[k].score) {
            return 0;
        }
    }

    return 1;
}


static void
t_baum_welch(void)
{
    int                monotone, ok;
    void              *buf;
    size_t             size;
    double             ll[31];
    uint32_t           it, k, n, nref, hist[12], excl[3], trial, len, M, got;
    uint64_t           r;
    recsys_row_t       none;
    recsys_hmm_t       m;
    recsys_csr_t       items, next, top;
    recsys_data_t      d;
    recsys_train_t     t;
    recsys_scored_t    out[T_ITEMS], ref[T_ITEMS];
    recsys_hmm_opts_t  o;
    recsys_hmm_head_t  head;

    none.p = NULL;
    none.n = 0;

    if (!t_load(T_USERS, &d, &t)) {
        tap_ok(0, "random log through the ingest path");
        return;
    }

    o = recsys_hmm_default;
    o.n_states = 3;
    o.iterations = 30;
    o.max_len = T_MAXLEN;
    o.trans_prior = 0.0;
    o.emit_prior = 0.0;
    o.loglik = ll;

    tap_is_int(recsys_hmm_train(&t, &o, &m), RECSYS_OK,
               "train 3 states, 30 iterations, no priors");

    monotone = 1;
    for (it = 1; it <= o.iterations; it++) {
        if (ll[it] < ll[it - 1] - 1e-9 * fabs(ll[it - 1])) {
            monotone = 0;
            printf("# iteration %u: %.12g after %.12g\n", it, ll[it],
                   ll[it - 1]);
        }
    }

    tap_ok(monotone, "log-likelihood never decreases: %.4f -> %.4f",
           ll[0], ll[o.iterations]);
    tap_ok(ll[o.iterations] > ll[0] + 1.0, "and it improves");

    /* the model is a distribution */
    ok = 1;
    {
        double    sp, sa, sb;
        uint32_t  s, u, i;

        sp = 0.0;
        for (s = 0; s < 3; s++) {
            sp += m.pi[s];
            sa = 0.0;
            sb = 0.0;

            for (u = 0; u < 3; u++) {
                sa += m.A[s * 3 + u];
            }

            for (i = 0; i < T_ITEMS; i++) {
                sb += m.B[i * 3 + s];
            }

            ok &= fabs(sa - 1.0) < 1e-9 && fabs(sb - 1.0) < 1e-9;
        }

        ok &= fabs(sp - 1.0) < 1e-9;
    }

    tap_ok(ok, "pi, every row of A and every state's emissions sum to 1");


    /* packed scoring against the reference, two list depths */

    for (M = 2; M <= T_ITEMS; M += T_ITEMS - 2) {
        tap_is_int(recsys_hmm_pack(&m, M, 6, &buf, &size), RECSYS_OK,
                   "pack, top_m %u", M);
        tap_is_int(size, 24 + 4 * (3 + 9 + 3 * T_ITEMS) + 8 * 3 * M,
                   "packed size as documented");

        ok = 1;
        r = 7;

        for (trial = 0; trial < 200; trial++) {
            len = (uint32_t) (t_rand(&r) % 12);

            for (k = 0; k < len; k++) {
                /* now and then an unknown item, to be skipped */
                hist[k] = (uint32_t) (t_rand(&r) % (T_ITEMS + 1));
            }

            n = (uint32_t) (t_rand(&r) % 3);
            for (k = 0; k < n; k++) {
                excl[k] = (uint32_t) (t_rand(&r) % T_ITEMS);
            }

            k = 1 + (uint32_t) (t_rand(&r) % T_ITEMS);
            nref = t_reference(buf, hist, len, excl, n, k, ref);

            t_ar.used = 0;
            if (recsys_hmm_score(buf, size, hist, len, none, excl, n, k,
                                 &t_arena, out, &got)
                != RECSYS_OK || !t_same(out, got, ref, nref))
            {
                ok = 0;
            }
        }

        tap_ok(ok, "top_m %u: 200 random requests rank exactly like the "
               "brute-force reference", M);
        free(buf);
    }

    /* the empty history: P(s_next) = pi */
    recsys_hmm_pack(&m, 3, 6, &buf, &size);
    t_ar.used = 0;
    recsys_hmm_score(buf, size, NULL, 0, none, NULL, 0, T_ITEMS, &t_arena,
                     out, &n);
    nref = t_reference(buf, NULL, 0, NULL, 0, T_ITEMS, ref);
    tap_ok(n == T_ITEMS && t_same(out, n, ref, nref),
           "the empty history ranks all items from pi");

    /* a 2-byte aligned copy */
    {
        unsigned char  *odd;

        odd = malloc(size + 2);
        memcpy(odd + 2, buf, size);
        hist[0] = 1;
        hist[1] = 2;
        t_ar.used = 0;
        recsys_hmm_score(odd + 2, size, hist, 2, none, NULL, 0, 4, &t_arena,
                         out, &n);
        nref = t_reference(buf, hist, 2, NULL, 0, 4, ref);
        tap_ok(t_same(out, n, ref, nref), "read from a 2-byte aligned copy");

        tap_is_int(recsys_hmm_check(odd + 2, size, &head), RECSYS_OK,
                   "check");
        tap_ok(head.n_states == 3 && head.n_items == T_ITEMS
               && head.top_m == 3 && head.max_len == 6, "header fields");
        tap_is_int(recsys_hmm_check(odd + 2, size - 1, NULL),
                   RECSYS_ECORRUPT, "a truncated blob is refused");
        odd[3] ^= 0x40;
        tap_is_int(recsys_hmm_check(odd + 2, size, NULL), RECSYS_EFORMAT,
                   "a foreign magic is refused");
        t_ar.used = 0;
        tap_is_int(recsys_hmm_score(odd + 2, size, hist, 2, none, NULL, 0, 4,
                                    &t_arena, out, &n),
                   RECSYS_EFORMAT, "and is not scored");
        free(odd);
    }

    /* per-user lists */
    tap_is_int(recsys_hmm_user_top(buf, size, &t, 4, 1, &top), RECSYS_OK,
               "user top lists");
    ok = top.n_rows == t.n_users;
    for (k = 0; ok && k < t.n_users; k++) {
        uint32_t  e, f;

        for (e = top.offsets[k]; e < top.offsets[k + 1]; e++) {
            for (f = t.by_user.offsets[k]; f < t.by_user.offsets[k + 1];
                 f++)
            {
                ok &= t.by_user.entries[f].item != top.entries[e].item;
            }
        }
    }

    tap_ok(ok, "no user is offered an item seen");
    recsys_csr_free(&top);
    free(buf);

    /* inspect */
    tap_is_int(recsys_hmm_inspect(&m, 4, 2, &items, &next), RECSYS_OK,
               "inspect");
    ok = items.n_rows == 3 && next.n_rows == 3
         && items.n_entries == 12 && next.n_entries == 6;
    for (k = 0; ok && k < 3; k++) {
        ok &= items.entries[items.offsets[k]].score
              >= items.entries[items.offsets[k] + 1].score;
        ok &= next.entries[next.offsets[k]].score
              >= next.entries[next.offsets[k] + 1].score;
        ok &= fabs(items.entries[items.offsets[k]].score
                   - m.B[items.entries[items.offsets[k]].item * 3 + k])
              < 1e-6;
    }

    tap_ok(ok, "inspect: 4 items and 2 successors per state, best first");
    recsys_csr_free(&items);
    recsys_csr_free(&next);
    recsys_hmm_free(&m);

    o.n_states = 0;
    tap_is_int(recsys_hmm_train(&t, &o, &m), RECSYS_EINVAL,
               "0 states refused");

    recsys_train_free(&t);
    recsys_data_free(&d);
}


/*
 * The same model whatever the thread count, on a log big enough for the
 * trainer to use a team (it keeps small blocks on one thread).
 */
static void
t_threads(void)
{
    int                same;
    recsys_hmm_t       m, m2;
    recsys_data_t      d;
    recsys_train_t     t;
    recsys_hmm_opts_t  o;

    if (!t_load(1000, &d, &t)) {
        tap_ok(0, "random log through the ingest path");
        return;
    }

    o = recsys_hmm_default;
    o.iterations = 3;

    t_set_threads(1);
    recsys_hmm_train(&t, &o, &m);
    t_set_threads(2);
    recsys_hmm_train(&t, &o, &m2);

    same = memcmp(m.A, m2.A, 32 * 32 * sizeof(double)) == 0
           && memcmp(m.B, m2.B, 32 * T_ITEMS * sizeof(double)) == 0
           && memcmp(m.pi, m2.pi, 32 * sizeof(double)) == 0;
    tap_ok(same, "1 and 2 threads train bit-identical models (%u users, "
           "32 states)", t.n_users);

    recsys_hmm_free(&m);
    recsys_hmm_free(&m2);
    recsys_train_free(&t);
    recsys_data_free(&d);
}


int
main(void)
{
    t_mkdtemp(t_dir, sizeof(t_dir), "test_hmm");

    t_forward_backward();
    t_baum_welch();
    t_threads();

    rmdir(t_dir);

    return tap_done();
}
