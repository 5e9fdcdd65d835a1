/*
 * recsys_hmm_train.h: training and packing the hidden Markov model of
 * viewing sessions that recsys_hmm.h scores.
 *
 * N hidden states (tastes, moods, "what the user is in the middle of")
 * emit items.  Training is Baum-Welch over the users' sequences
 * (train->seq, each truncated to its newest max_len items), with the
 * scaled forward-backward recursions of Rabiner (1989): alpha_t is
 * normalised to sum 1 at every step and the scale factors c_t give
 * log P(x) = sum log c_t, so nothing underflows however long the sequence.
 *
 * The M-step is the MAP estimate under symmetric Dirichlet priors:
 *
 *   pi[s]    = (E[starts in s] + trans_prior) / (#seqs + N trans_prior)
 *   A[s][t]  = (E[s -> t] + trans_prior) / (E[s -> .] + N trans_prior)
 *   B[i][s]  = (E[s emits i] + emit_prior q(i)) / (E[s emits] + emit_prior)
 *
 * q(i) being the share of training positions that hold item i.  With both
 * priors 0 this is plain maximum likelihood and the log-likelihood never
 * decreases from one iteration to the next; with priors it is the log
 * posterior that never decreases.  In training, an observation that no
 * state can emit (probability 0, possible only with emit_prior 0) is
 * treated as missing: the chain moves one step, the observation says
 * nothing about the state and adds to no count.
 *
 * Determinism: sequences are processed in fixed blocks (256 sequences,
 * fewer when N > 128; the size depends on N only); inside a block every
 * sequence's forward-backward runs on any thread into its own slot, and
 * the sums over sequences are then taken in sequence order, so the model
 * does not depend on the number of threads.  Initialisation is seeded.
 */

#ifndef RECSYS_HMM_TRAIN_H
#define RECSYS_HMM_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_csr.h"
#include "recsys_hmm.h"
#include "recsys_train.h"


typedef struct {
    uint32_t  n_states;
    uint32_t  n_items;
    double   *pi;               /* N */
    double   *A;                /* N * N, A[s * N + t] = P(t | s) */
    double   *B;                /* n_items * N, B[i * N + s] = P(i | s) */
} recsys_hmm_t;

typedef struct {
    uint32_t  n_states;         /* default 32 */
    uint32_t  iterations;       /* Baum-Welch iterations, default 20 */
    uint32_t  max_len;          /* newest items per sequence, default 100 */
    uint64_t  seed;             /* default 42 */
    double    trans_prior;      /* default 0.1 */
    double    emit_prior;       /* default 1.0 */
    double   *loglik;           /* NULL, or iterations + 1 slots: the
                                   training log-likelihood before each
                                   iteration and after the last */
} recsys_hmm_opts_t;


extern const recsys_hmm_opts_t  recsys_hmm_default;

/* Allocates a zeroed model; RECSYS_OK, RECSYS_EINVAL or RECSYS_ENOMEM. */
int recsys_hmm_alloc(recsys_hmm_t *m, uint32_t n_states, uint32_t n_items);
void recsys_hmm_free(recsys_hmm_t *m);

/*
 * Trains m (allocated here; free with recsys_hmm_free()) on t->seq.
 * RECSYS_OK, RECSYS_EINVAL for options out of range (n_states 1..
 * RECSYS_HMM_MAX_STATES, max_len >= 1, negative or non-finite priors) or
 * RECSYS_ENOMEM.  Runs on all OpenMP threads; the cost per iteration is
 * about 3 N^2 per training position plus N per position and item.
 */
int recsys_hmm_train(const recsys_train_t *t, const recsys_hmm_opts_t *o,
    recsys_hmm_t *m);

/*
 * Scaled forward-backward over one sequence x of n items (n >= 1, each <
 * m->n_items).  *loglik gets log P(x); gamma (NULL or n * N doubles) the
 * posteriors P(s_t = s | x) at gamma[t * N + s]; xi (NULL or N * N doubles)
 * the expected transition counts sum_t P(s_t = s, s_t+1 = u | x) at
 * xi[s * N + u].  RECSYS_OK, RECSYS_EINVAL or RECSYS_ENOMEM.
 */
int recsys_hmm_forward_backward(const recsys_hmm_t *m, const uint32_t *x,
    uint32_t n, double *gamma, double *xi, double *loglik);

/*
 * Packs m as recsys_hmm.h lays it out, with the top_m best items per state
 * and the given max_len, into a malloc'd buffer (*buf, *size; the caller
 * frees).  RECSYS_OK, RECSYS_EINVAL (top_m or max_len 0, or N *
 * min(top_m, n_items) above RECSYS_HMM_MAX_TOP) or RECSYS_ENOMEM.
 */
int recsys_hmm_pack(const recsys_hmm_t *m, uint32_t top_m, uint32_t max_len,
    void **buf, size_t *size);

/*
 * The builder's per-user lists: recsys_hmm_score() over each user's own
 * newest max_len items of t->seq, at most k results, a csr row per user,
 * best first.  exclude_seen (the builder's default) leaves out every item
 * the user has seen (t->by_user); without it a re-watch may be proposed.
 * RECSYS_OK, RECSYS_ENOMEM, or the packed model's check error.
 */
int recsys_hmm_user_top(const void *packed, size_t size,
    const recsys_train_t *t, uint32_t k, int exclude_seen,
    recsys_csr_t *out);

/*
 * For `recsys-build inspect`: per state, its n_top most emitted items
 * (item, B[item][s]) into items, and its n_next likeliest successor states
 * (state, A[s][t]) into next; rows best first, ties to the smaller index,
 * N rows each.  RECSYS_OK or RECSYS_ENOMEM.
 */
int recsys_hmm_inspect(const recsys_hmm_t *m, uint32_t n_top,
    uint32_t n_next, recsys_csr_t *items, recsys_csr_t *next);

#endif /* RECSYS_HMM_TRAIN_H */
