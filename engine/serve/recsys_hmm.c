/*
 * recsys_hmm.c: the packed hidden Markov model's reader and request-time
 * filtering (recsys_hmm.h).
 *
 * Everything is read from the packed form in place, through memcpy (the
 * blob may be only 2-byte aligned); scratch comes only from the caller's
 * allocator.  One call filters the history (max_len N^2 multiply-adds),
 * then walks the states' top lists under the threshold algorithm's bound,
 * and only when that bound never closes scores every item.
 */

#include <string.h>

#include "recsys_hmm.h"
#include "recsys_seq.h"
#include "recsys_status.h"
#include "recsys_topk.h"


/* the packed model's sections, located once per call */
typedef struct {
    recsys_hmm_head_t     head;
    uint32_t              m;        /* entries per state in top[] */
    const unsigned char  *pi;
    const unsigned char  *A;
    const unsigned char  *B;
    const unsigned char  *top;
} recsys_hmm_view_t;


static int
recsys_hmm_view(const void *packed, size_t size, recsys_hmm_view_t *v)
{
    int                   rc;
    size_t                N;
    const unsigned char  *p;

    rc = recsys_seq_head(packed, size, &v->head, sizeof(recsys_hmm_head_t),
                         RECSYS_HMM_MAGIC);
    if (rc != RECSYS_OK) {
        return rc;
    }

    p = packed;

    N = v->head.n_states;

    if (N == 0 || N > RECSYS_HMM_MAX_STATES || v->head.max_len == 0
        || v->head.top_m > v->head.n_items
        || (uint64_t) N * v->head.top_m > RECSYS_HMM_MAX_TOP)
    {
        return RECSYS_ECORRUPT;
    }

    v->m = v->head.top_m;

    if (recsys_hmm_packed_size(v->head.n_states, v->head.n_items, v->m)
        != size)
    {
        return RECSYS_ECORRUPT;
    }

    v->pi = p + sizeof(recsys_hmm_head_t);
    v->A = v->pi + 4 * N;
    v->B = v->A + 4 * N * N;
    v->top = v->B + 4 * N * (size_t) v->head.n_items;

    return RECSYS_OK;
}


int
recsys_hmm_check(const void *packed, size_t size, recsys_hmm_head_t *head)
{
    int                rc;
    recsys_hmm_view_t  v;

    rc = recsys_hmm_view(packed, size, &v);

    if (rc == RECSYS_OK && head != NULL) {
        *head = v.head;
    }

    return rc;
}


/* score(i) = sum_s p[s] B[i][s], B read in place */
static double
recsys_hmm_item_score(const recsys_hmm_view_t *v, const double *p,
    uint32_t item)
{
    float                 b;
    double                sum;
    uint32_t              s, N;
    const unsigned char  *col;

    N = v->head.n_states;
    col = v->B + (size_t) item * N * 4;

    sum = 0.0;
    for (s = 0; s < N; s++) {
        memcpy(&b, col + (size_t) s * 4, 4);
        sum += p[s] * b;
    }

    return sum;
}


/*
 * Filtering over the last max_len items of hist: pred (N) ends as the
 * distribution of the next state, P(s_T+1 | x_1..x_T); alpha (N) is
 * scratch.
 */
static void
recsys_hmm_filter(const recsys_hmm_view_t *v, const uint32_t *hist,
    uint32_t n_hist, double *alpha, double *pred)
{
    float     f;
    double    sum, ps;
    uint32_t  N, s, u, h, item;

    N = v->head.n_states;

    for (s = 0; s < N; s++) {
        memcpy(&f, v->pi + (size_t) s * 4, 4);
        pred[s] = f;
    }

    h = n_hist > v->head.max_len ? n_hist - v->head.max_len : 0;

    for ( /* void */ ; h < n_hist; h++) {
        item = hist[h];

        if (item >= v->head.n_items) {
            continue;
        }

        sum = 0.0;
        for (s = 0; s < N; s++) {
            memcpy(&f, v->B + ((size_t) item * N + s) * 4, 4);
            alpha[s] = pred[s] * f;
            sum += alpha[s];
        }

        if (!(sum > 0.0)) {
            continue;
        }

        for (u = 0; u < N; u++) {
            pred[u] = 0.0;
        }

        for (s = 0; s < N; s++) {
            ps = alpha[s] / sum;

            if (ps == 0.0) {
                continue;
            }

            for (u = 0; u < N; u++) {
                memcpy(&f, v->A + ((size_t) s * N + u) * 4, 4);
                pred[u] += ps * f;
            }
        }
    }
}


/*
 * The threshold algorithm over the states' top lists, each candidate
 * scored once (cand: an empty set of N M slots).  Returns whether the
 * bound closed, i.e. top holds the exact answer.
 */
static int
recsys_hmm_walk(const recsys_hmm_view_t *v, const double *pred,
    recsys_itemset_t *cand, const recsys_filter_t *filter,
    recsys_topk_t *top)
{
    double          tau;
    uint32_t        N, M, s, d, n0;
    recsys_entry_t  ent;

    N = v->head.n_states;
    M = v->m;

    for (d = 0; d < M; d++) {
        tau = 0.0;

        for (s = 0; s < N; s++) {
            if (pred[s] == 0.0) {
                continue;
            }

            memcpy(&ent, v->top + ((size_t) s * M + d) * sizeof(ent),
                   sizeof(ent));

            tau += pred[s] * ent.score;

            if (ent.item >= v->head.n_items) {
                continue;
            }

            n0 = cand->n;
            recsys_itemset_add(cand, ent.item);

            if (cand->n == n0) {
                continue;               /* scored already */
            }

            recsys_seq_offer(top, filter, ent.item,
                             (float) recsys_hmm_item_score(v, pred,
                                                           ent.item));
        }

        if (top->n == top->k && top->heap[0].score > (float) tau) {
            return 1;
        }
    }

    return 0;
}


int
recsys_hmm_score(const void *packed, size_t size, const uint32_t *hist,
    uint32_t n_hist, recsys_row_t seen, const uint32_t *exclude,
    uint32_t n_exclude, uint32_t need, recsys_alloc_t *a,
    recsys_scored_t *out, uint32_t *n_out)
{
    int                rc;
    double            *alpha, *pred;
    uint32_t           N, item;
    recsys_topk_t      top;
    recsys_filter_t    filter;
    recsys_itemset_t   cand, skip;
    recsys_hmm_view_t  v;

    if (!recsys_seq_start(recsys_hmm_view(packed, size, &v), need, &filter,
                          &skip, seen, exclude, n_exclude, a, n_out, &rc))
    {
        return rc;
    }

    N = v.head.n_states;

    alpha = a->alloc(a->ctx, (size_t) N * sizeof(double));
    pred = a->alloc(a->ctx, (size_t) N * sizeof(double));

    if (alpha == NULL || pred == NULL
        || recsys_itemset_init(&cand, N * v.m, a) != RECSYS_OK)
    {
        return RECSYS_ENOMEM;
    }

    recsys_hmm_filter(&v, hist, n_hist, alpha, pred);

    recsys_topk_init(&top, out, need);

    if (!recsys_hmm_walk(&v, pred, &cand, &filter, &top)
        && v.m < v.head.n_items)
    {
        /* items below every list's depth M might still rank: scan all */
        recsys_topk_init(&top, out, need);

        for (item = 0; item < v.head.n_items; item++) {
            recsys_seq_offer(&top, &filter, item,
                             (float) recsys_hmm_item_score(&v, pred, item));
        }
    }

    *n_out = recsys_topk_sort(&top);

    return RECSYS_OK;
}
