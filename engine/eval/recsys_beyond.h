/*
 * recsys_beyond.h: what a list is besides accurate, per user and over all
 * lists of one algorithm.  Popularity is counted on the train rows only:
 * pop(i) = the number of train users of item i (its by_item row length),
 * U = the number of users with a train row.  With L a user's list (its
 * first k places), T the user's relevant (test) items:
 *
 *   MRR          1 / the rank of the first relevant item in L, 0 when none
 *                (mean reciprocal rank over users);
 *   novelty      mean over L of -log2(pop(i) / U), the self-information of
 *                recommending i (Zhou et al. 2010; Castells et al. 2011
 *                with "is known by a random user" as the event);
 *   ILD          intra-list diversity (Ziegler et al. 2005): the mean over
 *                the pairs of L of 1 - cos(f_i, f_j), f an item's feature
 *                vector; pairs with an empty vector are left out, and a
 *                list with no pair left has none (NaN, not averaged);
 *   ARP          mean over L of pop(i) (Abdollahpouri et al. 2019);
 *   APLT         the share of L in the long tail (Abdollahpouri et al.
 *                2017): items sorted by pop descending (ties to the
 *                smaller index) are the short head until their pop sum
 *                first reaches 80% of all train interactions, the item
 *                that reaches it included; every other item with train
 *                rows is the long tail (it holds the last <= 20%);
 *   serendipity  Ge et al. 2010 against the popularity list: |(L minus
 *                PM) with T| / k, PM the user's MostPop list (the k
 *                candidates with the highest pop, ties to the smaller
 *                index, the user's train items left out);
 *
 * and over the exposure counts c_i (how many lists hold i, for the n
 * candidate items, those with a train row, zeros included):
 *
 *   Gini         sum_i (2i - n - 1) c_(i) / (n sum c), c_(i) ascending and
 *                i from 1: 0 when all items are shown equally, near 1 when
 *                one item takes all the exposure (RecBole's GiniIndex);
 *   entropy      -sum p_i log2 p_i, p_i = c_i / sum c, in bits (Microsoft
 *                Recommenders calls this distributional coverage);
 *   dist. cov.   entropy / log2 n, the same as a share of its maximum
 *                (every candidate shown equally often), so that it reads
 *                like catalog coverage; 0 for n < 2.
 */

#ifndef RECSYS_BEYOND_H
#define RECSYS_BEYOND_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_csr.h"
#include "recsys_train.h"

/* per user */
#define RECSYS_BEYOND_MRR            0
#define RECSYS_BEYOND_NOVELTY        1
#define RECSYS_BEYOND_ILD_GENRE      2
#define RECSYS_BEYOND_ILD_CONTENT    3
#define RECSYS_BEYOND_ARP            4
#define RECSYS_BEYOND_APLT           5
#define RECSYS_BEYOND_SERENDIPITY    6
#define RECSYS_BEYOND_USER_N         7

/* over all lists */
#define RECSYS_BEYOND_GINI           7
#define RECSYS_BEYOND_ENTROPY        8
#define RECSYS_BEYOND_DIST_COVERAGE  9
#define RECSYS_BEYOND_N              10

/* the short head holds this share of the train interactions */
#define RECSYS_BEYOND_HEAD_SHARE     0.8

/* ILD reads at most this many places of a list (eval's largest k) */
#define RECSYS_BEYOND_MAX_ILD        1000


/* A fold's popularity facts and feature vectors. */
typedef struct {
    uint32_t             n_items;
    uint32_t             n_users;   /* U: users with a train row */
    uint32_t            *pop;       /* per item */
    uint8_t             *tail;      /* per item: 1 in the long tail */
    uint32_t            *by_pop;    /* items with a train row, by pop */
    uint32_t             n_by_pop;
    const recsys_csr_t  *genres;    /* row per item, or NULL */
    const recsys_csr_t  *vectors;   /* row per item, or NULL */
} recsys_beyond_t;


/*
 * Popularity, long tail and the popularity order of train; genres from
 * train when it has a catalog, vectors (e.g. recsys_content_t.items) may
 * be NULL.  Both must outlive b.  RECSYS_OK or RECSYS_ENOMEM.
 */
int recsys_beyond_init(recsys_beyond_t *b, const recsys_train_t *train,
    const recsys_csr_t *vectors);
void recsys_beyond_free(recsys_beyond_t *b);

/*
 * The long tail of pop[0 .. n) as above (items with pop 0 are neither
 * head nor tail: tail[i] = 0).  Returns the short head's size.
 */
uint32_t recsys_beyond_long_tail(const uint32_t *pop, uint32_t n,
    double head_share, uint8_t *tail);

/* Reciprocal rank of the first relevant item in list[0 .. min(n, k)). */
double recsys_beyond_rr(const uint32_t *list, uint32_t n, uint32_t k,
    const uint32_t *relevant, uint32_t n_relevant);

/* ILD of list[0 .. n) over the rows of vec (sorted by feature). */
double recsys_beyond_ild(const recsys_csr_t *vec, const uint32_t *list,
    uint32_t n);

/*
 * The user's MostPop list: the first k items of b->by_pop that are not in
 * seen[0 .. n_seen) (sorted by item).  out has room for k; returns its
 * length.
 */
uint32_t recsys_beyond_pop_list(const recsys_beyond_t *b,
    const recsys_entry_t *seen, uint32_t n_seen, uint32_t k, uint32_t *out);

/*
 * The per-user values v[0 .. RECSYS_BEYOND_USER_N) of list[0 .. n) (n <=
 * k): relevant sorted ascending, base the user's MostPop list (sorted or
 * not, n_base entries).  Values a list cannot have (an empty list; ILD
 * without vectors) are NaN.
 */
void recsys_beyond_user(const recsys_beyond_t *b, const uint32_t *list,
    uint32_t n, uint32_t k, const uint32_t *relevant, uint32_t n_relevant,
    const uint32_t *base, uint32_t n_base, double *v);

/* Gini, entropy and distributional coverage of count[0 .. n). */
void recsys_beyond_exposure(const uint32_t *count, uint32_t n, double *gini,
    double *entropy, double *dist_coverage);

/* "mrr", "novelty", ... for JSON and CSV, or "MRR@", ... for people. */
const char *recsys_beyond_name(int metric, int for_people);

#endif /* RECSYS_BEYOND_H */
