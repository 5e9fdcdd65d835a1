/*
 * recsys_hmm_train.c: Baum-Welch training and packing of the hidden Markov
 * model described in recsys_hmm_train.h, and the builder's per-user lists
 * from the packed form.
 *
 * Training keeps every sequence's items in one flat array.  An iteration
 * walks the sequences in blocks of 256 (fewer when N > 128, so that a
 * block's transition slots stay within 32 MiB): the forward-backward
 * passes of a block run in parallel, each writing its posteriors (gamma,
 * one row of N per position), its summed transition posteriors (xi, N x N)
 * and its log-likelihood into its own slot; the block's slots are then
 * added into the accumulators by one thread in sequence order (a few
 * percent of the work), so every sum is taken in the same order whatever
 * the thread count.  Memory: the model, one
 * emission accumulator of n_items x N doubles, and per block
 * block x (max_len N + N^2) doubles.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_hmm_train.h"
#include "recsys_release.h"
#include "recsys_rng.h"
#include "recsys_status.h"
#include "recsys_topk.h"
#include "recsys_usertop.h"


#ifdef _OPENMP
#define RECSYS_HMM_OMP(x)  _Pragma(x)
#else
#define RECSYS_HMM_OMP(x)
#endif

#define RECSYS_HMM_BLOCK   256              /* sequences, at most */
#define RECSYS_HMM_XI_MAX  (1u << 22)       /* xi doubles in a block */
#define RECSYS_HMM_PAR_WORK (1u << 21)      /* multiply-adds worth a team */


typedef struct {
    double  *alpha;         /* max_len * N */
    double  *c;             /* max_len: scale factors, 0 = missing */
    double  *beta;          /* N */
    double  *g;             /* N */
} recsys_hmm_work_t;


const recsys_hmm_opts_t  recsys_hmm_default = {
    .n_states = 32, .iterations = 20, .max_len = 100, .seed = 42,
    .trans_prior = 0.1, .emit_prior = 1.0, .loglik = NULL
};


/* y += alpha x, element by element (vectorised under OpenMP SIMD) */
static void
recsys_hmm_axpy(double *restrict y, double alpha, const double *restrict x,
    uint32_t n)
{
    uint32_t  k;

RECSYS_HMM_OMP("omp simd")
    for (k = 0; k < n; k++) {
        y[k] += alpha * x[k];
    }
}


/* four partial sums in a fixed order */
static double
recsys_hmm_dot(const double *a, const double *b, uint32_t n)
{
    double    s0, s1, s2, s3;
    uint32_t  k;

    s0 = s1 = s2 = s3 = 0.0;

    for (k = 0; k + 4 <= n; k += 4) {
        s0 += a[k] * b[k];
        s1 += a[k + 1] * b[k + 1];
        s2 += a[k + 2] * b[k + 2];
        s3 += a[k + 3] * b[k + 3];
    }

    for ( /* void */ ; k < n; k++) {
        s0 += a[k] * b[k];
    }

    return (s0 + s1) + (s2 + s3);
}


int
recsys_hmm_alloc(recsys_hmm_t *m, uint32_t n_states, uint32_t n_items)
{
    size_t  n;

    memset(m, 0, sizeof(recsys_hmm_t));

    if (n_states == 0 || n_states > RECSYS_HMM_MAX_STATES) {
        return RECSYS_EINVAL;
    }

    n = (size_t) n_states;

    m->n_states = n_states;
    m->n_items = n_items;
    m->pi = calloc(n, sizeof(double));
    m->A = calloc(n * n, sizeof(double));
    m->B = calloc((size_t) n_items * n + 1, sizeof(double));

    if (m->pi == NULL || m->A == NULL || m->B == NULL) {
        recsys_hmm_free(m);
        return RECSYS_ENOMEM;
    }

    return RECSYS_OK;
}


void
recsys_hmm_free(recsys_hmm_t *m)
{
    recsys_release(m, sizeof(recsys_hmm_t), 3, m->pi, m->A, m->B);
}


/*
 * Scaled forward-backward over x[0 .. T) with T <= the work's capacity.
 * Returns log P(x) (missing observations excluded).  gamma: NULL or T * N;
 * miss: NULL or T flags, 1 where the observation was treated as missing;
 * xi: NULL or N * N, zeroed here, then summed over t.
 */
static double
recsys_hmm_fb(const recsys_hmm_t *m, const uint32_t *x, uint32_t T,
    recsys_hmm_work_t *w, double *gamma, unsigned char *miss, double *xi)
{
    double        ll, sum, inv, ps, *a, *prev, *beta, *g, *gt, *xs;
    uint32_t      t, s, u, N;
    const double  *e, *row;

    N = m->n_states;
    ll = 0.0;

    /* forward: alpha_t normalised, c_t its normaliser */

    for (t = 0; t < T; t++) {
        a = w->alpha + (size_t) t * N;

        if (t == 0) {
            memcpy(a, m->pi, N * sizeof(double));

        } else {
            prev = a - N;

            for (u = 0; u < N; u++) {
                a[u] = 0.0;
            }

            for (s = 0; s < N; s++) {
                ps = prev[s];

                if (ps == 0.0) {
                    continue;
                }

                recsys_hmm_axpy(a, ps, m->A + (size_t) s * N, N);
            }
        }

        e = m->B + (size_t) x[t] * N;

        sum = 0.0;
        for (s = 0; s < N; s++) {
            sum += a[s] * e[s];
        }

        if (sum > 0.0 && isfinite(sum)) {
            inv = 1.0 / sum;

            for (s = 0; s < N; s++) {
                a[s] *= e[s] * inv;
            }

            w->c[t] = sum;
            ll += log(sum);

        } else {
            /* missing: the prediction stands, normalised */
            sum = 0.0;
            for (s = 0; s < N; s++) {
                sum += a[s];
            }

            if (sum > 0.0) {
                for (s = 0; s < N; s++) {
                    a[s] /= sum;
                }
            }

            w->c[t] = 0.0;
        }

        if (miss != NULL) {
            miss[t] = (w->c[t] == 0.0);
        }
    }

    /* backward: beta_t scaled by the same c_t */

    beta = w->beta;
    g = w->g;

    for (s = 0; s < N; s++) {
        beta[s] = 1.0;
    }

    if (xi != NULL) {
        memset(xi, 0, (size_t) N * N * sizeof(double));
    }

    for (t = T; t > 0; t--) {
        a = w->alpha + (size_t) (t - 1) * N;

        if (t < T) {
            /* g = emission(t) * beta_t / c_t, then beta_{t-1} = A g */

            if (w->c[t] > 0.0) {
                e = m->B + (size_t) x[t] * N;
                inv = 1.0 / w->c[t];

                for (u = 0; u < N; u++) {
                    g[u] = e[u] * beta[u] * inv;
                }

            } else {
                memcpy(g, beta, N * sizeof(double));
            }

            for (s = 0; s < N; s++) {
                row = m->A + (size_t) s * N;
                beta[s] = recsys_hmm_dot(row, g, N);

                if (xi != NULL && a[s] != 0.0) {
                    ps = a[s];
                    xs = xi + (size_t) s * N;

RECSYS_HMM_OMP("omp simd")
                    for (u = 0; u < N; u++) {
                        xs[u] += ps * row[u] * g[u];
                    }
                }
            }
        }

        if (gamma != NULL) {
            gt = gamma + (size_t) (t - 1) * N;

            sum = 0.0;
            for (s = 0; s < N; s++) {
                gt[s] = a[s] * beta[s];
                sum += gt[s];
            }

            if (sum > 0.0) {
                inv = 1.0 / sum;

                for (s = 0; s < N; s++) {
                    gt[s] *= inv;
                }
            }
        }
    }

    return ll;
}


static int
recsys_hmm_work_alloc(recsys_hmm_work_t *w, uint32_t N, uint32_t cap)
{
    w->alpha = malloc(((size_t) cap * N + 1) * sizeof(double));
    w->c = malloc(((size_t) cap + 1) * sizeof(double));
    w->beta = malloc(((size_t) N + 1) * sizeof(double));
    w->g = malloc(((size_t) N + 1) * sizeof(double));

    if (w->alpha == NULL || w->c == NULL || w->beta == NULL || w->g == NULL) {
        free(w->alpha);
        free(w->c);
        free(w->beta);
        free(w->g);
        memset(w, 0, sizeof(recsys_hmm_work_t));
        return RECSYS_ENOMEM;
    }

    return RECSYS_OK;
}


static void
recsys_hmm_work_free(recsys_hmm_work_t *w)
{
    free(w->alpha);
    free(w->c);
    free(w->beta);
    free(w->g);
}


int
recsys_hmm_forward_backward(const recsys_hmm_t *m, const uint32_t *x,
    uint32_t n, double *gamma, double *xi, double *loglik)
{
    uint32_t           t;
    recsys_hmm_work_t  w;

    if (n == 0) {
        return RECSYS_EINVAL;
    }

    for (t = 0; t < n; t++) {
        if (x[t] >= m->n_items) {
            return RECSYS_EINVAL;
        }
    }

    if (recsys_hmm_work_alloc(&w, m->n_states, n) != RECSYS_OK) {
        return RECSYS_ENOMEM;
    }

    *loglik = recsys_hmm_fb(m, x, n, &w, gamma, NULL, xi);

    recsys_hmm_work_free(&w);

    return RECSYS_OK;
}


/*
 * A seeded start.  Each state keeps about half its mass on itself (users
 * stay in a taste for a while: without this EM spends many iterations
 * breaking the symmetry between states) and emits items like q(i), each
 * weight scaled by a random factor in [1/e, e].
 */
static void
recsys_hmm_init(recsys_hmm_t *m, const double *q, uint64_t seed)
{
    double    sum;
    uint32_t  N, s, u, i;
    uint64_t  r;

    N = m->n_states;
    r = seed;

    sum = 0.0;
    for (s = 0; s < N; s++) {
        m->pi[s] = 1.0 + recsys_rng_unit(&r);
        sum += m->pi[s];
    }

    for (s = 0; s < N; s++) {
        m->pi[s] /= sum;
    }

    for (s = 0; s < N; s++) {
        sum = 0.0;
        for (u = 0; u < N; u++) {
            m->A[(size_t) s * N + u] = 0.5 + recsys_rng_unit(&r)
                                       + (s == u ? N : 0.0);
            sum += m->A[(size_t) s * N + u];
        }

        for (u = 0; u < N; u++) {
            m->A[(size_t) s * N + u] /= sum;
        }
    }

    for (s = 0; s < N; s++) {
        sum = 0.0;
        for (i = 0; i < m->n_items; i++) {
            m->B[(size_t) i * N + s] = q[i]
                                       * exp(2.0 * recsys_rng_unit(&r) - 1.0);
            sum += m->B[(size_t) i * N + s];
        }

        for (i = 0; sum > 0.0 && i < m->n_items; i++) {
            m->B[(size_t) i * N + s] /= sum;
        }
    }
}


typedef struct {
    const recsys_hmm_t  *m;
    const uint32_t      *x;         /* all positions */
    const uint32_t      *soff;      /* n_seq + 1 */
    uint32_t             n_seq;
    uint32_t             max_len;
    uint32_t             block;     /* sequences per block, from N only */
    double              *gamma;     /* block * max_len * N */
    unsigned char       *miss;      /* block * max_len */
    double              *xi;        /* block * N * N */
    double              *ll;        /* block */
    double              *pi_acc;
    double              *A_acc;
    double              *B_acc;
} recsys_hmm_estep_t;


/* One E-step; returns the log-likelihood, or NAN when out of memory. */
static double
recsys_hmm_estep(recsys_hmm_estep_t *e, int accumulate)
{
    int       failed, par;
    double    ll;
    uint32_t  N, b0, nb, j, base, n_pos, p;
    size_t    NN, k;

    N = e->m->n_states;
    NN = (size_t) N * N;
    ll = 0.0;
    failed = 0;

    if (accumulate) {
        memset(e->pi_acc, 0, N * sizeof(double));
        memset(e->A_acc, 0, NN * sizeof(double));
        memset(e->B_acc, 0, (size_t) e->m->n_items * N * sizeof(double));
    }

    for (b0 = 0; b0 < e->n_seq; b0 += nb) {
        nb = e->n_seq - b0;
        if (nb > e->block) {
            nb = e->block;
        }

        base = e->soff[b0];
        n_pos = e->soff[b0 + nb] - base;

        /* small blocks run on this thread: no team to wait for */
        par = 3.0 * n_pos * NN > RECSYS_HMM_PAR_WORK;
        (void) par;                 /* read by OpenMP only */

RECSYS_HMM_OMP("omp parallel if (par)")
        {
            uint32_t           jj, from, len;
            recsys_hmm_work_t  w;

            if (recsys_hmm_work_alloc(&w, N, e->max_len) != RECSYS_OK) {
RECSYS_HMM_OMP("omp atomic write")
                failed = 1;
            }

RECSYS_HMM_OMP("omp for schedule(dynamic, 4)")
            for (jj = 0; jj < nb; jj++) {
                if (w.alpha == NULL) {
                    continue;
                }

                from = e->soff[b0 + jj];
                len = e->soff[b0 + jj + 1] - from;

                e->ll[jj] = recsys_hmm_fb(e->m, e->x + from, len, &w,
                                accumulate
                                    ? e->gamma + (size_t) (from - base) * N
                                    : NULL,
                                e->miss + (from - base),
                                accumulate ? e->xi + (size_t) jj * NN : NULL);
            }

            recsys_hmm_work_free(&w);
        }

        if (failed) {
            return NAN;
        }

        for (j = 0; j < nb; j++) {
            ll += e->ll[j];
        }

        if (!accumulate) {
            continue;
        }

        for (j = 0; j < nb; j++) {
            const double  *g0;

            g0 = e->gamma + (size_t) (e->soff[b0 + j] - base) * N;

            for (k = 0; k < N; k++) {
                e->pi_acc[k] += g0[k];
            }
        }

        /* serial: a few percent of the block's work, and no barrier */

        for (j = 0; j < nb; j++) {
            recsys_hmm_axpy(e->A_acc, 1.0, e->xi + (size_t) j * NN,
                            (uint32_t) NN);
        }

        for (p = 0; p < n_pos; p++) {
            if (!e->miss[p]) {
                recsys_hmm_axpy(e->B_acc + (size_t) e->x[base + p] * N, 1.0,
                                e->gamma + (size_t) p * N, N);
            }
        }
    }

    return ll;
}


static void
recsys_hmm_mstep(recsys_hmm_t *m, const recsys_hmm_estep_t *e, uint32_t n_seq,
    const double *q, double tp, double ep, double *colsum)
{
    int       par;
    double    sum, den;
    uint32_t  N, s, u, i;

    N = m->n_states;

    den = (double) n_seq + N * tp;
    if (den > 0.0) {
        for (s = 0; s < N; s++) {
            m->pi[s] = (e->pi_acc[s] + tp) / den;
        }
    }

    for (s = 0; s < N; s++) {
        sum = 0.0;
        for (u = 0; u < N; u++) {
            sum += e->A_acc[(size_t) s * N + u];
        }

        den = sum + N * tp;
        if (den > 0.0) {
            for (u = 0; u < N; u++) {
                m->A[(size_t) s * N + u] = (e->A_acc[(size_t) s * N + u] + tp)
                                           / den;
            }
        }
    }

    for (s = 0; s < N; s++) {
        colsum[s] = 0.0;
    }

    for (i = 0; i < m->n_items; i++) {
        for (s = 0; s < N; s++) {
            colsum[s] += e->B_acc[(size_t) i * N + s];
        }
    }

    par = (double) m->n_items * N > RECSYS_HMM_PAR_WORK;
    (void) par;                 /* read by OpenMP only */

RECSYS_HMM_OMP("omp parallel for schedule(static) if (par)")
    for (i = 0; i < m->n_items; i++) {
        uint32_t  ss;

        for (ss = 0; ss < N; ss++) {
            if (colsum[ss] + ep > 0.0) {
                m->B[(size_t) i * N + ss] = (e->B_acc[(size_t) i * N + ss]
                                             + ep * q[i])
                                            / (colsum[ss] + ep);
            }
        }
    }
}


int
recsys_hmm_train(const recsys_train_t *t, const recsys_hmm_opts_t *o,
    recsys_hmm_t *m)
{
    int                 rc;
    double              ll, *q, *colsum;
    uint32_t            u, len, N, L, n_items, n_seq, it, *x, *soff;
    uint64_t            total, e, from, p;
    recsys_hmm_estep_t  es;

    N = o->n_states;
    L = o->max_len;
    n_items = t->n_items;

    if (N == 0 || N > RECSYS_HMM_MAX_STATES || L == 0
        || !(o->trans_prior >= 0.0) || !(o->emit_prior >= 0.0)
        || isinf(o->trans_prior) || isinf(o->emit_prior))
    {
        return RECSYS_EINVAL;
    }

    n_seq = 0;
    total = 0;
    for (u = 0; u < t->seq.n_rows; u++) {
        len = t->seq.offsets[u + 1] - t->seq.offsets[u];
        if (len > 0) {
            n_seq++;
            total += len < L ? len : L;
        }
    }

    memset(&es, 0, sizeof(recsys_hmm_estep_t));

    es.block = RECSYS_HMM_XI_MAX / (N * N);
    if (es.block > RECSYS_HMM_BLOCK) {
        es.block = RECSYS_HMM_BLOCK;

    } else if (es.block == 0) {
        es.block = 1;
    }

    x = malloc((size_t) (total ? total : 1) * sizeof(uint32_t));
    soff = malloc(((size_t) n_seq + 1) * sizeof(uint32_t));
    q = calloc((size_t) n_items + 1, sizeof(double));
    colsum = malloc(((size_t) N + 1) * sizeof(double));

    es.gamma = malloc(((size_t) es.block * L * N + 1) * sizeof(double));
    es.miss = malloc((size_t) es.block * L + 1);
    es.xi = malloc(((size_t) es.block * N * N + 1) * sizeof(double));
    es.ll = malloc((size_t) es.block * sizeof(double));
    es.pi_acc = malloc(((size_t) N + 1) * sizeof(double));
    es.A_acc = malloc(((size_t) N * N + 1) * sizeof(double));
    es.B_acc = malloc(((size_t) n_items * N + 1) * sizeof(double));

    rc = RECSYS_ENOMEM;

    if (x == NULL || soff == NULL || q == NULL || colsum == NULL
        || es.gamma == NULL || es.miss == NULL || es.xi == NULL
        || es.ll == NULL || es.pi_acc == NULL || es.A_acc == NULL
        || es.B_acc == NULL || total > UINT32_MAX)
    {
        goto done;
    }

    n_seq = 0;
    p = 0;
    for (u = 0; u < t->seq.n_rows; u++) {
        len = t->seq.offsets[u + 1] - t->seq.offsets[u];
        if (len == 0) {
            continue;
        }

        from = t->seq.offsets[u];
        if (len > L) {
            from += len - L;
            len = L;
        }

        soff[n_seq++] = (uint32_t) p;

        for (e = from; e < from + len; e++) {
            x[p] = t->seq.entries[e].item;
            q[x[p]] += 1.0;
            p++;
        }
    }

    soff[n_seq] = (uint32_t) p;

    for (u = 0; u < n_items; u++) {
        q[u] = total ? q[u] / (double) total : 1.0 / n_items;
    }

    rc = recsys_hmm_alloc(m, N, n_items);
    if (rc != RECSYS_OK) {
        goto done;
    }

    recsys_hmm_init(m, q, o->seed);

    es.m = m;
    es.x = x;
    es.soff = soff;
    es.n_seq = n_seq;
    es.max_len = L;

    for (it = 0; it <= o->iterations; it++) {
        if (it == o->iterations && o->loglik == NULL) {
            break;
        }

        ll = recsys_hmm_estep(&es, it < o->iterations);

        if (isnan(ll)) {
            recsys_hmm_free(m);
            rc = RECSYS_ENOMEM;
            goto done;
        }

        if (o->loglik != NULL) {
            o->loglik[it] = ll;
        }

        if (it < o->iterations) {
            recsys_hmm_mstep(m, &es, n_seq, q, o->trans_prior, o->emit_prior,
                             colsum);
        }
    }

    rc = RECSYS_OK;

done:

    free(x);
    free(soff);
    free(q);
    free(colsum);
    free(es.gamma);
    free(es.miss);
    free(es.xi);
    free(es.ll);
    free(es.pi_acc);
    free(es.A_acc);
    free(es.B_acc);

    return rc;
}


int
recsys_hmm_pack(const recsys_hmm_t *m, uint32_t top_m, uint32_t max_len,
    void **buf, size_t *size)
{
    float              f;
    size_t             sz, N, k, off;
    uint32_t           M, s, i;
    unsigned char     *p;
    recsys_topk_t      top;
    recsys_entry_t     ent;
    recsys_scored_t   *heap;
    recsys_hmm_head_t  head;

    if (top_m == 0 || max_len == 0 || m->n_states == 0) {
        return RECSYS_EINVAL;
    }

    N = m->n_states;
    M = top_m < m->n_items ? top_m : m->n_items;

    if ((uint64_t) N * M > RECSYS_HMM_MAX_TOP) {
        return RECSYS_EINVAL;
    }

    sz = recsys_hmm_packed_size(m->n_states, m->n_items, M);

    p = malloc(sz);
    heap = malloc(((size_t) M + 1) * sizeof(recsys_scored_t));

    if (p == NULL || heap == NULL) {
        free(p);
        free(heap);
        return RECSYS_ENOMEM;
    }

    memset(&head, 0, sizeof(head));
    head.magic = RECSYS_HMM_MAGIC;
    head.n_states = m->n_states;
    head.n_items = m->n_items;
    head.top_m = M;
    head.max_len = max_len;

    memcpy(p, &head, sizeof(head));
    off = sizeof(head);

    for (k = 0; k < N; k++) {
        f = (float) m->pi[k];
        memcpy(p + off, &f, 4);
        off += 4;
    }

    for (k = 0; k < N * N; k++) {
        f = (float) m->A[k];
        memcpy(p + off, &f, 4);
        off += 4;
    }

    for (k = 0; k < (size_t) m->n_items * N; k++) {
        f = (float) m->B[k];
        memcpy(p + off, &f, 4);
        off += 4;
    }

    for (s = 0; s < N; s++) {
        recsys_topk_init(&top, heap, M);

        for (i = 0; i < m->n_items; i++) {
            recsys_topk_push(&top, i, (float) m->B[(size_t) i * N + s]);
        }

        recsys_topk_sort(&top);

        for (i = 0; i < M; i++) {
            ent.item = heap[i].item;
            ent.score = heap[i].score;
            memcpy(p + off, &ent, sizeof(ent));
            off += sizeof(ent);
        }
    }

    free(heap);

    *buf = p;
    *size = sz;

    return RECSYS_OK;
}


int
recsys_hmm_user_top(const void *packed, size_t size, const recsys_train_t *t,
    uint32_t k, int exclude_seen, recsys_csr_t *out)
{
    int                rc;
    size_t             N;
    recsys_usertop_t   ut;
    recsys_hmm_head_t  head;

    rc = recsys_hmm_check(packed, size, &head);
    if (rc != RECSYS_OK) {
        return rc;
    }

    N = head.n_states;
    ut.hist_max = head.max_len;
    ut.scratch = 4096 + 32 * N + 16 * N * head.top_m;
    ut.chunk = 64;

    /* a team only for enough users: small calls run on this thread */
    ut.par = (double) t->n_users * head.max_len * head.n_states
             * head.n_states > RECSYS_HMM_PAR_WORK;

    return recsys_usertop_run_packed(&ut, recsys_hmm_score, packed, size, t,
                                     k, exclude_seen, out);
}


/* The n best of n_cand strided scores into dst, best first; their count. */
static uint32_t
recsys_hmm_best(const double *score, size_t stride, uint32_t n_cand,
    uint32_t n, recsys_scored_t *heap, recsys_entry_t *dst)
{
    uint32_t       i, got;
    recsys_topk_t  top;

    recsys_topk_init(&top, heap, n);

    for (i = 0; i < n_cand; i++) {
        recsys_topk_push(&top, i, (float) score[(size_t) i * stride]);
    }

    got = recsys_topk_sort(&top);

    for (i = 0; i < got; i++) {
        dst[i].item = heap[i].item;
        dst[i].score = heap[i].score;
    }

    return got;
}


int
recsys_hmm_inspect(const recsys_hmm_t *m, uint32_t n_top, uint32_t n_next,
    recsys_csr_t *items, recsys_csr_t *next)
{
    uint32_t          N, s, ni, nn, got, cap;
    recsys_scored_t  *heap;

    N = m->n_states;
    ni = n_top < m->n_items ? n_top : m->n_items;
    nn = n_next < N ? n_next : N;
    cap = ni > nn ? ni : nn;

    heap = malloc(((size_t) cap + 1) * sizeof(recsys_scored_t));

    if (heap == NULL) {
        return RECSYS_ENOMEM;
    }

    if (recsys_csr_alloc(items, N, (uint64_t) N * ni) != 0) {
        free(heap);
        return RECSYS_ENOMEM;
    }

    if (recsys_csr_alloc(next, N, (uint64_t) N * nn) != 0) {
        recsys_csr_free(items);
        free(heap);
        return RECSYS_ENOMEM;
    }

    items->offsets[0] = 0;
    next->offsets[0] = 0;

    for (s = 0; s < N; s++) {
        got = recsys_hmm_best(m->B + s, N, m->n_items, ni, heap,
                              items->entries + items->offsets[s]);
        items->offsets[s + 1] = items->offsets[s] + got;

        got = recsys_hmm_best(m->A + (size_t) s * N, 1, N, nn, heap,
                              next->entries + next->offsets[s]);
        next->offsets[s + 1] = next->offsets[s] + got;
    }

    items->n_entries = items->offsets[N];
    next->n_entries = next->offsets[N];

    free(heap);

    return RECSYS_OK;
}
