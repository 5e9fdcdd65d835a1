/*
 * recsys_cluster.h: user segments (clusters of taste) and their lists.
 *
 * Features.  A user is described by the normalised genre profile: for
 * every item of the user (train->by_user) its value (rating, or 1 for
 * implicit rows; values <= 0 count nothing) is added to each genre the
 * item carries (train->item_genres), the whole value to every genre of a
 * multi-genre item; the vector of n_genres sums is then scaled to unit
 * L2 length.  Users with no genre mass (no rows, or only items without
 * genres) keep a zero vector and are never clustered: they get segment
 * -1 like DBSCAN's noise.  Distances are Euclidean between unit vectors,
 * so d^2 = 2 - 2 cos: eps 0.5 means cosine >= 0.875.
 *
 * K-means.  k-means++ seeding (greedy: 2 + ln k candidates per centre,
 * the one lowering the potential most wins), then Lloyd iterations until
 * at most one user in 10000 changes segment (below 10000 users: none) or
 * max_iter; n_init seeded restarts, the lowest inertia kept.  An emptied
 * segment is re-seeded with the user farthest from its centre.  Every
 * random choice comes from a splitmix64 stream of the seed and k-means
 * runs on one thread (an iteration is milliseconds: a parallel region
 * per iteration costs more than it saves on a busy machine), so the
 * result is the same for a seed everywhere.
 *
 * Choosing k.  With k = 0, every k in [k_min, k_max] is clustered on a
 * fixed seeded sample of at most select_sample users (default 20000; all
 * of them when fewer) and scored by the mean silhouette, itself computed
 * on a seeded sub-sample of at most `sample` of those users (default
 * 2000) against each other only, the usual sampled silhouette: its
 * distance matrix is computed once and reused for every k.  While
 * choosing, Lloyd stops at one user in 1000 changing segment.  The best
 * k (ties: the smaller) is then fitted on all users.  Measured at 138k
 * users x 12 genres, k in 2..12, n_init 3: about 1 s of CPU (a fixed
 * k: 0.2 s).
 *
 * DBSCAN.  eps on the Euclidean distance of the profiles; a user is a
 * core when at least min_pts users (itself included) are within eps
 * (min_pts 0: 1% of the profiled users, at least 5); segments are the
 * connected components of the cores; a non-core user within eps of a
 * core joins that core's segment (within reach of two segments: the
 * first core met by a nearest-box-first search decides, as the visiting
 * order does in every DBSCAN); everyone else is noise (-1).  Exact up to
 * max_exact profiled users (default 20000), on a k-d tree (median splits
 * on the widest dimension, leaves of at most 32 users with bounding
 * boxes): the core test counts whole boxes that lie inside the ball,
 * stops at min_pts, and settles a whole leaf with one count when the
 * ball of radius eps minus the leaf's half-diagonal around its centre
 * already holds min_pts users; components come from a union-find over
 * pairs of leaves within eps, a pair whose cores are already in one set
 * costing nothing.  Beyond max_exact users the segments are found on a
 * seeded sample of max_exact users with min_pts scaled by the sample
 * share (at least 2), and every user joins the segment of a sample core
 * within eps, or is noise.  Measured at 138k users x 12 genres: under a
 * second sampled, 6 to 9 s of CPU exact; the core tests and the final
 * assignment run on all threads.
 *
 * Segment ids.  Both methods number segments by size, largest first
 * (ties: the segment holding the smaller user index first).
 *
 * Result.  recsys_cluster_make() adds to an assignment the segment sizes,
 * the profiles (mean feature vector of the members) and the top items of
 * each segment: a recsys_csr_t row per segment of (item, share of the
 * segment's users who consumed it), best first (ties: smaller item),
 * at most top_n (default 200).
 */

#ifndef RECSYS_CLUSTER_H
#define RECSYS_CLUSTER_H

#include <stdint.h>

#include "recsys_csr.h"
#include "recsys_topk.h"
#include "recsys_train.h"

#define RECSYS_CLUSTER_KMEANS  0
#define RECSYS_CLUSTER_DBSCAN  1


typedef struct {
    uint32_t   k;               /* 0: choose in [k_min, k_max] */
    uint32_t   k_min;           /* at least 2 */
    uint32_t   k_max;
    uint32_t   max_iter;        /* Lloyd iterations per run */
    uint32_t   n_init;          /* seeded restarts per k */
    uint32_t   sample;          /* silhouette sample size */
    uint32_t   select_sample;   /* rows k is chosen on; 0: all */
    uint64_t   seed;
} recsys_kmeans_opts_t;

typedef struct {
    float      eps;
    uint32_t   min_pts;         /* the user itself included; 0: 1% */
    uint32_t   max_exact;       /* more profiled users: sample; 0: never */
    uint64_t   seed;            /* of that sample */
} recsys_dbscan_opts_t;

typedef struct {
    int                   method;       /* RECSYS_CLUSTER_KMEANS or _DBSCAN */
    recsys_kmeans_opts_t  kmeans;
    recsys_dbscan_opts_t  dbscan;
    uint32_t              top_n;
} recsys_cluster_opts_t;

typedef struct {
    uint32_t       n_users;
    uint32_t       dim;         /* n_genres */
    uint32_t       k;           /* segments 0..k-1 */
    uint32_t       n_noise;     /* users with segment -1 */
    int32_t       *assign;      /* n_users: segment or -1 */
    uint32_t      *size;        /* k: users per segment */
    float         *profile;     /* k x dim: mean feature vector */
    recsys_csr_t   top;         /* row per segment: (item, share) */
    double         silhouette;  /* sampled mean silhouette, or NAN */
} recsys_cluster_t;


/*
 * Defaults: k-means, k chosen in [2, 12], max_iter 100, n_init 3, sample
 * 2000, select_sample 20000, seed 42; DBSCAN eps 0.3, min_pts 0 (1% of
 * the profiled users), max_exact 20000, seed 42; top_n 200.
 */
extern const recsys_cluster_opts_t  recsys_cluster_default;

/*
 * The features described above: *x is a malloc'd n_users x n_genres
 * row-major matrix (the caller frees it).  RECSYS_OK, RECSYS_EINVAL (no
 * genres: the catalog is missing) or RECSYS_ENOMEM.
 */
int recsys_cluster_features(const recsys_train_t *t, float **x);

/*
 * K-means over the n rows of x (dim floats each); rows that are all zero
 * get -1.  Writes assign[n], the number of segments to *k and, when k was
 * chosen (o->k == 0), the winning silhouette to *silhouette (else NAN).
 * Fewer users than segments gives fewer segments.  RECSYS_OK,
 * RECSYS_EINVAL (k_min < 2 or k_max < k_min when choosing) or
 * RECSYS_ENOMEM.
 */
int recsys_cluster_kmeans(const float *x, uint32_t n, uint32_t dim,
    const recsys_kmeans_opts_t *o, int32_t *assign, uint32_t *k,
    double *silhouette);

/*
 * DBSCAN over the n rows of x; writes assign[n] (noise and zero rows -1)
 * and the number of segments.  RECSYS_OK, RECSYS_EINVAL (eps <= 0) or
 * RECSYS_ENOMEM.
 */
int recsys_cluster_dbscan(const float *x, uint32_t n, uint32_t dim,
    const recsys_dbscan_opts_t *o, int32_t *assign, uint32_t *k);

/*
 * Mean silhouette of the assignment (segments 0..k-1, -1 left out) on a
 * seeded sample of at most `sample` assigned rows (0: all).  NAN when the
 * sample holds fewer than two segments.  NAN also when out of memory.
 */
double recsys_cluster_silhouette(const float *x, uint32_t n, uint32_t dim,
    const int32_t *assign, uint32_t k, uint32_t sample, uint64_t seed);

/*
 * Adjusted Rand index of two labellings of n elements (Hubert and Arabie):
 * labels are any int32 values compared for equality (-1 is a label like
 * any other; leave elements out before calling to ignore them).  1 for
 * identical partitions (also when both are trivial), about 0 for
 * independent ones, negative below chance.  NAN when out of memory.
 */
double recsys_cluster_ari(const int32_t *a, const int32_t *b, uint32_t n);

/*
 * Builds the result from an assignment (copied) over t's users with
 * segments 0..k-1: sizes, profiles (x: the features, may be NULL for
 * zero profiles) and top lists of at most top_n items.  c->silhouette is
 * left NAN.  RECSYS_OK, RECSYS_EINVAL (a segment >= k) or RECSYS_ENOMEM;
 * free with recsys_cluster_free() (also after a failure).
 */
int recsys_cluster_make(const recsys_train_t *t, const float *x,
    const int32_t *assign, uint32_t k, uint32_t top_n, recsys_cluster_t *c);

/*
 * Features, clustering by o->method and the result, in one call.
 * RECSYS_OK or the first failure above.
 */
int recsys_cluster_build(const recsys_train_t *t,
    const recsys_cluster_opts_t *o, recsys_cluster_t *c);

void recsys_cluster_free(recsys_cluster_t *c);

/*
 * A user's segment recommendations: the segment's top items, best first,
 * skipping those in the user's by_user row (sorted by item index), at
 * most n written to out (score: the share).  Returns the number written;
 * 0 for a user without a segment (-1) or out of range.
 */
uint32_t recsys_cluster_recommend(const recsys_cluster_t *c,
    const recsys_csr_t *by_user, uint32_t user, recsys_scored_t *out,
    uint32_t n);

#endif /* RECSYS_CLUSTER_H */
