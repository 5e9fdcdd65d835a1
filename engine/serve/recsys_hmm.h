/*
 * recsys_hmm.h: the packed hidden Markov model of viewing sessions and its
 * request-time scoring (trained by recsys_hmm_train.h).
 *
 * N hidden states emit items.  pi[s] is the probability of starting in s,
 * A[s][t] of moving from s to t between two consecutive items, B[i][s] =
 * P(item i | state s).
 *
 * Serving: the next-item distribution after a history x_1 .. x_T (most
 * recent last, bounded to the last max_len items) is
 *
 *   P(s_next) = sum_s P(s_T = s | x_1..x_T) A[s][s_next]   (filtering)
 *   score(i)  = sum_s P(s_next = s) B[i][s]
 *
 * an empty history gives P(s_next) = pi.  Filtering costs max_len N^2.
 * A history item that no state emits (one never trained on) is skipped
 * like an unknown one.  Candidates come from each state's top-M emission
 * list, walked depth by depth as in Fagin's threshold algorithm: after
 * depth d no unseen item can score more than tau_d = sum_s P(s) B_s(d),
 * B_s(d) the d-th emission of state s, so the walk stops as soon as the
 * need-th best kept score beats tau_d.  If it never does (a flat state
 * distribution, or many exclusions) every item is scored, n_items N
 * multiply-adds.  Either way the answer is exact: the full ranking's top
 * `need`.
 *
 * Packed layout, read in place from a model blob (native byte order; the
 * blob may be only 2-byte aligned, so every number is read with memcpy):
 *
 *   recsys_hmm_head_t                      24 bytes, below
 *   float           pi[N]
 *   float           A[N * N]               A[s * N + t] = P(t | s)
 *   float           B[n_items * N]         B[i * N + s] = P(i | s): the
 *                                          N emissions of one item are
 *                                          contiguous, one read per item
 *   recsys_entry_t  top[N * M]             state s's M most emitted items
 *                                          (item, B[item][s]) at s * M,
 *                                          best first, ties to the smaller
 *                                          index; M = min(top_m, n_items)
 *
 * size = 24 + 4 (N + N^2 + n_items N) + 8 N M bytes exactly
 * (recsys_hmm_packed_size()).
 */

#ifndef RECSYS_HMM_H
#define RECSYS_HMM_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_query.h"

#define RECSYS_HMM_MAGIC       0x314d4d48u      /* "HMM1" */
#define RECSYS_HMM_MAX_STATES  1024
#define RECSYS_HMM_MAX_TOP     (1u << 24)       /* N * M, candidates */


typedef struct {
    uint32_t  magic;            /* RECSYS_HMM_MAGIC */
    uint32_t  n_states;         /* N, 1..RECSYS_HMM_MAX_STATES */
    uint32_t  n_items;
    uint32_t  top_m;            /* M, entries per state in top[] */
    uint32_t  max_len;          /* history items read when scoring */
    uint32_t  reserved;         /* 0 */
} recsys_hmm_head_t;

_Static_assert(sizeof(recsys_hmm_head_t) == 24, "hmm head layout");


/* The packed size of N states over n_items items, M entries per state. */
static inline size_t
recsys_hmm_packed_size(uint32_t n_states, uint32_t n_items, uint32_t m)
{
    size_t  N;

    N = n_states;

    return sizeof(recsys_hmm_head_t) + 4 * (N + N * N + (size_t) n_items * N)
           + sizeof(recsys_entry_t) * N * m;
}

/*
 * Checks a packed model's header against its size: RECSYS_OK, or
 * RECSYS_EFORMAT (not a packed HMM) or RECSYS_ECORRUPT (sizes disagree).
 * Fills *head when head is not NULL.  recsys_hmm_score() does the same
 * O(1) check on every call; item indexes in top[] are checked where read.
 */
int recsys_hmm_check(const void *packed, size_t size,
    recsys_hmm_head_t *head);

/*
 * Request-time scoring from a packed model: filters hist (n_hist item
 * indexes, most recent last; only the last max_len are read; indexes >=
 * n_items and items no state emits are skipped) and writes the `need`
 * best next items that are neither in seen (a row sorted by item index,
 * may be empty) nor in exclude (n_exclude indexes, any order, may be NULL)
 * into out, best first, their count into *n_out.  Scratch from a: about
 * 16 N + 16 N M + 16 n_exclude bytes.  RECSYS_OK, RECSYS_ENOMEM,
 * RECSYS_EFORMAT, RECSYS_ECORRUPT, or RECSYS_ELIMIT past 2^28 exclusions.
 */
int recsys_hmm_score(const void *packed, size_t size, const uint32_t *hist,
    uint32_t n_hist, recsys_row_t seen, const uint32_t *exclude,
    uint32_t n_exclude, uint32_t need, recsys_alloc_t *a,
    recsys_scored_t *out, uint32_t *n_out);

#endif /* RECSYS_HMM_H */
