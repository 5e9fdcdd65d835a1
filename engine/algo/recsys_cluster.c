/*
 * recsys_cluster.c: genre-profile features, k-means, DBSCAN, silhouette,
 * adjusted Rand index and the per-segment lists.
 *
 * Clustering works on the compacted rows that have a profile (the others
 * are -1 from the start).  Randomness is a splitmix64 stream; every sum
 * that decides anything is serial, so OpenMP only spreads work whose
 * per-row results are independent (features, the silhouette's distances,
 * DBSCAN's core tests and assignment, segment lists) and the output is
 * the same on any thread count.  K-means is serial: its parallel regions
 * would be one per iteration, each a few milliseconds of work.
 *
 * The k-d tree for DBSCAN is built over row indexes with quickselect
 * median splits on the dimension of widest extent until a node holds at
 * most RECSYS_KD_LEAF rows; every node keeps its bounding box, so a
 * query prunes a node whose box is farther than eps and, when counting,
 * takes a node whose box lies wholly inside the ball without looking at
 * its rows.  Children of a split hold at least half of a node of more
 * than RECSYS_KD_LEAF rows, so leaves hold at least RECSYS_KD_LEAF / 2
 * rows and there are at most 2 n / (RECSYS_KD_LEAF / 2) + 1 nodes.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_cluster.h"
#include "recsys_release.h"
#include "recsys_rng.h"
#include "recsys_sorted.h"
#include "recsys_status.h"


#define RECSYS_KD_LEAF    32
#define RECSYS_KD_STACK   256

/* the leaf-wide core test is used up to this many dimensions */
#define RECSYS_CL_MAX_DIM  64

/*
 * Lloyd stops when at most n / tol rows changed segment: RECSYS_CL_TOL
 * for the result, RECSYS_CL_TOL_SELECT while only choosing k
 */
#define RECSYS_CL_TOL          10000
#define RECSYS_CL_TOL_SELECT   1000

/* below this many rows a parallel region costs more than it saves */
#define RECSYS_CL_PAR     16384


typedef struct {
    uint32_t  lo;
    uint32_t  hi;
    int32_t   left;             /* -1 for a leaf */
    int32_t   right;
    int32_t   parent;
    uint32_t  cores;            /* core rows below this node */
} recsys_kd_node_t;

typedef struct {
    uint32_t           n;
    uint32_t           dim;
    uint32_t           n_nodes;
    float             *x;       /* n x dim, tree order */
    uint32_t          *perm;    /* tree position -> row */
    uint32_t          *leaf;    /* tree position -> its leaf */
    float             *bmin;    /* n_nodes x dim */
    float             *bmax;
    recsys_kd_node_t  *node;
} recsys_kd_t;

typedef struct {
    int32_t   node;
    float     d2;
} recsys_kd_pending_t;


/* randomness */

static uint32_t
recsys_cl_below(uint64_t *s, uint32_t n)
{
    return (uint32_t) (((recsys_rng_next(s) >> 32) * (uint64_t) n) >> 32);
}


/* Four partial sums (fixed order, so still deterministic) vectorise. */
static inline float
recsys_cl_dist2(const float *a, const float *b, uint32_t dim)
{
    float     s0, s1, s2, s3, t0, t1, t2, t3;
    uint32_t  d;

    s0 = 0.0f;
    s1 = 0.0f;
    s2 = 0.0f;
    s3 = 0.0f;

    for (d = 0; d + 4 <= dim; d += 4) {
        t0 = a[d] - b[d];
        t1 = a[d + 1] - b[d + 1];
        t2 = a[d + 2] - b[d + 2];
        t3 = a[d + 3] - b[d + 3];
        s0 += t0 * t0;
        s1 += t1 * t1;
        s2 += t2 * t2;
        s3 += t3 * t3;
    }

    for ( /* void */ ; d < dim; d++) {
        t0 = a[d] - b[d];
        s0 += t0 * t0;
    }

    return (s0 + s1) + (s2 + s3);
}


/* features */

const recsys_cluster_opts_t  recsys_cluster_default = {
    .kmeans = {
        .k = 0, .k_min = 2, .k_max = 12, .max_iter = 100, .n_init = 3,
        .sample = 2000, .select_sample = 20000, .seed = 42
    },
    .dbscan = {
        .eps = 0.3f, .min_pts = 0, .max_exact = 20000, .seed = 42
    },
    .method = RECSYS_CLUSTER_KMEANS, .top_n = 200
};


int
recsys_cluster_features(const recsys_train_t *t, float **x)
{
    uint32_t   dim, u;
    float     *f;

    *x = NULL;
    dim = t->n_genres;

    if (dim == 0 || t->item_genres.n_rows == 0) {
        return RECSYS_EINVAL;
    }

    f = calloc((size_t) t->n_users * dim + 1, sizeof(float));
    if (f == NULL) {
        return RECSYS_ENOMEM;
    }

#pragma omp parallel for schedule(dynamic, 512) \
        if (t->n_users >= RECSYS_CL_PAR)
    for (u = 0; u < t->n_users; u++) {
        float           *row, v;
        double           s;
        uint32_t         e, g, it, d;
        const recsys_csr_t  *b, *ig;

        b = &t->by_user;
        ig = &t->item_genres;
        row = f + (size_t) u * dim;

        for (e = b->offsets[u]; e < b->offsets[u + 1]; e++) {
            it = b->entries[e].item;
            v = b->entries[e].score;

            if (!(v > 0.0f) || it >= ig->n_rows) {
                continue;
            }

            for (g = ig->offsets[it]; g < ig->offsets[it + 1]; g++) {
                if (ig->entries[g].item < dim) {
                    row[ig->entries[g].item] += v;
                }
            }
        }

        s = 0.0;
        for (d = 0; d < dim; d++) {
            s += (double) row[d] * row[d];
        }

        if (s > 0.0) {
            s = 1.0 / sqrt(s);
            for (d = 0; d < dim; d++) {
                row[d] = (float) (row[d] * s);
            }
        }
    }

    *x = f;

    return RECSYS_OK;
}


/*
 * The rows with a non-zero profile, compacted; *rows maps back.  Every
 * row's assign[] starts as noise (-1).
 */
static int
recsys_cl_compact(const float *x, uint32_t n, uint32_t dim, int32_t *assign,
    float **xv, uint32_t **rows, uint32_t *nv)
{
    uint32_t  i, d, m;

    for (i = 0; i < n; i++) {
        assign[i] = -1;
    }

    *xv = malloc(((size_t) n * dim + 1) * sizeof(float));
    *rows = malloc(((size_t) n + 1) * sizeof(uint32_t));

    if (*xv == NULL || *rows == NULL) {
        free(*xv);
        free(*rows);
        *xv = NULL;
        *rows = NULL;
        return RECSYS_ENOMEM;
    }

    m = 0;
    for (i = 0; i < n; i++) {
        for (d = 0; d < dim; d++) {
            if (x[(size_t) i * dim + d] != 0.0f) {
                break;
            }
        }

        if (d == dim) {
            continue;
        }

        memcpy(*xv + (size_t) m * dim, x + (size_t) i * dim,
               dim * sizeof(float));
        (*rows)[m++] = i;
    }

    *nv = m;

    return RECSYS_OK;
}


/*
 * Renumbers segments by size (largest first, ties: the segment whose
 * first member comes first), dropping empty ones; returns the new count.
 */
static uint32_t
recsys_cl_relabel(int32_t *assign, uint32_t n, uint32_t k)
{
    uint32_t   i, j, c, m, *cnt, *first, *order, *map;

    if (k == 0) {
        return 0;
    }

    /* one block: cnt, first, order, map */
    cnt = calloc((size_t) 4 * k, sizeof(uint32_t));
    if (cnt == NULL) {
        return k;
    }

    first = cnt + k;
    order = first + k;
    map = order + k;

    for (c = 0; c < k; c++) {
        first[c] = UINT32_MAX;
        order[c] = c;
    }

    for (i = 0; i < n; i++) {
        if (assign[i] >= 0) {
            c = (uint32_t) assign[i];
            if (cnt[c]++ == 0) {
                first[c] = i;
            }
        }
    }

    /* insertion sort: k is small */

    for (i = 1; i < k; i++) {
        c = order[i];
        for (j = i; j > 0; j--) {
            m = order[j - 1];
            if (cnt[m] > cnt[c] || (cnt[m] == cnt[c] && first[m] < first[c]))
            {
                break;
            }
            order[j] = m;
        }
        order[j] = c;
    }

    m = 0;
    for (i = 0; i < k; i++) {
        map[order[i]] = (cnt[order[i]] > 0) ? m++ : UINT32_MAX;
    }

    for (i = 0; i < n; i++) {
        if (assign[i] >= 0) {
            assign[i] = (int32_t) map[assign[i]];
        }
    }

    free(cnt);

    return m;
}


/* k-means */

/*
 * Greedy k-means++ seeding into cent (k x dim).  d2 and tmp are n-sized
 * scratch; d2 ends as each row's squared distance to its nearest seed.
 */
static void
recsys_cl_seed(const float *x, uint32_t n, uint32_t dim, uint32_t k,
    uint64_t *rng, float *cent, float *d2, float *tmp)
{
    double    pot, r, acc, best_pot, cand_pot;
    uint32_t  c, l, n_local, i, cand, best;

    n_local = 2 + (uint32_t) log((double) k);

    best = recsys_cl_below(rng, n);
    memcpy(cent, x + (size_t) best * dim, dim * sizeof(float));

    for (i = 0; i < n; i++) {
        d2[i] = recsys_cl_dist2(x + (size_t) i * dim, cent, dim);
    }

    for (c = 1; c < k; c++) {
        pot = 0.0;
        for (i = 0; i < n; i++) {
            pot += d2[i];
        }

        best = 0;
        best_pot = INFINITY;

        for (l = 0; l < n_local; l++) {
            if (pot <= 0.0) {
                cand = recsys_cl_below(rng, n);

            } else {
                r = recsys_rng_unit(rng) * pot;
                acc = 0.0;
                cand = n - 1;

                for (i = 0; i < n; i++) {
                    acc += d2[i];
                    if (acc > r) {
                        cand = i;
                        break;
                    }
                }
            }

            for (i = 0; i < n; i++) {
                float  d;

                d = recsys_cl_dist2(x + (size_t) i * dim,
                                    x + (size_t) cand * dim, dim);
                tmp[i] = d < d2[i] ? d : d2[i];
            }

            cand_pot = 0.0;
            for (i = 0; i < n; i++) {
                cand_pot += tmp[i];
            }

            if (cand_pot < best_pot) {
                best_pot = cand_pot;
                best = cand;
            }
        }

        memcpy(cent + (size_t) c * dim, x + (size_t) best * dim,
               dim * sizeof(float));

        for (i = 0; i < n; i++) {
            float  d;

            d = recsys_cl_dist2(x + (size_t) i * dim,
                                cent + (size_t) c * dim, dim);
            if (d < d2[i]) {
                d2[i] = d;
            }
        }
    }
}


/*
 * One seeded k-means run; lab gets 0..k-1 for every row.  Returns the
 * inertia, or a negative value when out of memory.
 */
static double
recsys_cl_kmeans_run(const float *x, uint32_t n, uint32_t dim, uint32_t k,
    uint32_t max_iter, uint32_t tol, uint64_t seed, int32_t *lab)
{
    float     *cent, *d2, *tmp;
    double    *sum, inertia;
    uint32_t   i, c, d, it, far, *cnt;
    uint64_t   rng, changed;

    cent = malloc((size_t) k * dim * sizeof(float));
    sum = malloc((size_t) k * dim * sizeof(double));
    cnt = malloc((size_t) k * sizeof(uint32_t));
    d2 = malloc((size_t) n * sizeof(float));
    tmp = malloc((size_t) n * sizeof(float));

    if (cent == NULL || sum == NULL || cnt == NULL || d2 == NULL
        || tmp == NULL)
    {
        free(cent);
        free(sum);
        free(cnt);
        free(d2);
        free(tmp);
        return -1.0;
    }

    rng = seed;
    recsys_cl_seed(x, n, dim, k, &rng, cent, d2, tmp);

    for (i = 0; i < n; i++) {
        lab[i] = -1;
    }

    for (it = 0; /* void */ ; it++) {
        changed = 0;

        for (i = 0; i < n; i++) {
            float     best, dd;
            uint32_t  cc, bc;

            best = INFINITY;
            bc = 0;

            for (cc = 0; cc < k; cc++) {
                dd = recsys_cl_dist2(x + (size_t) i * dim,
                                     cent + (size_t) cc * dim, dim);
                if (dd < best) {
                    best = dd;
                    bc = cc;
                }
            }

            d2[i] = best;
            if (lab[i] != (int32_t) bc) {
                lab[i] = (int32_t) bc;
                changed++;
            }
        }

        if ((uint64_t) changed * tol <= n || it >= max_iter) {
            break;
        }

        memset(sum, 0, (size_t) k * dim * sizeof(double));
        memset(cnt, 0, (size_t) k * sizeof(uint32_t));

        for (i = 0; i < n; i++) {
            c = (uint32_t) lab[i];
            cnt[c]++;
            for (d = 0; d < dim; d++) {
                sum[(size_t) c * dim + d] += x[(size_t) i * dim + d];
            }
        }

        /* an empty segment takes the row farthest from its centre */

        for (c = 0; c < k; c++) {
            if (cnt[c] > 0) {
                continue;
            }

            far = UINT32_MAX;
            for (i = 0; i < n; i++) {
                if (cnt[lab[i]] > 1 && (far == UINT32_MAX || d2[i] > d2[far]))
                {
                    far = i;
                }
            }

            if (far == UINT32_MAX) {
                break;
            }

            cnt[lab[far]]--;
            for (d = 0; d < dim; d++) {
                sum[(size_t) lab[far] * dim + d] -= x[(size_t) far * dim + d];
                sum[(size_t) c * dim + d] = x[(size_t) far * dim + d];
            }

            lab[far] = (int32_t) c;
            cnt[c] = 1;
            d2[far] = 0.0f;
        }

        for (c = 0; c < k; c++) {
            if (cnt[c] == 0) {
                continue;
            }

            for (d = 0; d < dim; d++) {
                cent[(size_t) c * dim + d] =
                    (float) (sum[(size_t) c * dim + d] / cnt[c]);
            }
        }
    }

    inertia = 0.0;
    for (i = 0; i < n; i++) {
        inertia += d2[i];
    }

    free(cent);
    free(sum);
    free(cnt);
    free(d2);
    free(tmp);

    return inertia;
}


/* silhouette */

/* A seeded sample of m of the n indexes in idx (shuffled in place). */
static void
recsys_cl_sample(uint32_t *idx, uint32_t n, uint32_t m, uint64_t seed)
{
    uint32_t  i, j, t;
    uint64_t  rng;

    rng = seed ^ 0x5eed5eed5eed5eedULL;

    for (i = 0; i < m && i < n; i++) {
        j = i + recsys_cl_below(&rng, n - i);
        t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}


/* The s x s distance matrix of the sample rows (x rows idx[0..s)). */
static float *
recsys_cl_dmatrix(const float *x, uint32_t dim, const uint32_t *idx,
    uint32_t s)
{
    float     *dm;
    uint32_t   i;

    dm = malloc(((size_t) s * s + 1) * sizeof(float));
    if (dm == NULL) {
        return NULL;
    }

#pragma omp parallel for schedule(dynamic, 16) if (s >= 256)
    for (i = 0; i < s; i++) {
        uint32_t  j;

        for (j = 0; j < s; j++) {
            dm[(size_t) i * s + j] =
                sqrtf(recsys_cl_dist2(x + (size_t) idx[i] * dim,
                                      x + (size_t) idx[j] * dim, dim));
        }
    }

    return dm;
}


/* Mean silhouette over a sample from its distance matrix and labels. */
static double
recsys_cl_sil_matrix(const float *dm, uint32_t s, const int32_t *lab,
    uint32_t k)
{
    double    *si, mean;
    uint32_t   i, c, present, *cnt;

    cnt = calloc((size_t) k + 1, sizeof(uint32_t));
    si = malloc(((size_t) s + 1) * sizeof(double));

    if (cnt == NULL || si == NULL) {
        free(cnt);
        free(si);
        return NAN;
    }

    for (i = 0; i < s; i++) {
        cnt[lab[i]]++;
    }

    present = 0;
    for (c = 0; c < k; c++) {
        present += (cnt[c] > 0);
    }

    if (present < 2) {
        free(cnt);
        free(si);
        return NAN;
    }

#pragma omp parallel if (s >= 256)
    {
        double    *acc, a, b, v;
        uint32_t   ii, j, cc, own;

        acc = malloc(((size_t) k + 1) * sizeof(double));

#pragma omp for schedule(dynamic, 16)
        for (ii = 0; ii < s; ii++) {
            if (acc == NULL) {
                si[ii] = NAN;
                continue;
            }

            memset(acc, 0, (size_t) k * sizeof(double));
            for (j = 0; j < s; j++) {
                acc[lab[j]] += dm[(size_t) ii * s + j];
            }

            own = (uint32_t) lab[ii];

            if (cnt[own] < 2) {
                si[ii] = 0.0;
                continue;
            }

            a = acc[own] / (cnt[own] - 1);
            b = INFINITY;

            for (cc = 0; cc < k; cc++) {
                if (cc != own && cnt[cc] > 0) {
                    v = acc[cc] / cnt[cc];
                    if (v < b) {
                        b = v;
                    }
                }
            }

            v = a > b ? a : b;
            si[ii] = (v > 0.0) ? (b - a) / v : 0.0;
        }

        free(acc);
    }

    mean = 0.0;
    for (i = 0; i < s; i++) {
        mean += si[i];
    }

    free(cnt);
    free(si);

    return mean / s;
}


double
recsys_cluster_silhouette(const float *x, uint32_t n, uint32_t dim,
    const int32_t *assign, uint32_t k, uint32_t sample, uint64_t seed)
{
    float     *dm;
    double     sil;
    int32_t   *lab;
    uint32_t   i, m, s, *idx;

    idx = malloc(((size_t) n + 1) * sizeof(uint32_t));
    if (idx == NULL) {
        return NAN;
    }

    m = 0;
    for (i = 0; i < n; i++) {
        if (assign[i] >= 0 && (uint32_t) assign[i] < k) {
            idx[m++] = i;
        }
    }

    s = (sample == 0 || sample > m) ? m : sample;
    recsys_cl_sample(idx, m, s, seed);

    lab = malloc(((size_t) s + 1) * sizeof(int32_t));
    dm = recsys_cl_dmatrix(x, dim, idx, s);

    if (lab == NULL || dm == NULL) {
        free(idx);
        free(lab);
        free(dm);
        return NAN;
    }

    for (i = 0; i < s; i++) {
        lab[i] = assign[idx[i]];
    }

    sil = recsys_cl_sil_matrix(dm, s, lab, k);

    free(idx);
    free(lab);
    free(dm);

    return sil;
}


/* The best (lowest inertia) of o->n_init seeded runs with k segments. */
static int
recsys_cl_fit(const float *x, uint32_t n, uint32_t dim, uint32_t k,
    uint32_t tol, const recsys_kmeans_opts_t *o, int32_t *lab, int32_t *run)
{
    double    inertia, best;
    uint32_t  r;
    uint64_t  seed;

    best = INFINITY;

    for (r = 0; r < (o->n_init ? o->n_init : 1); r++) {
        seed = o->seed ^ ((uint64_t) k << 40) ^ ((uint64_t) r << 20);
        recsys_rng_next(&seed);

        inertia = recsys_cl_kmeans_run(x, n, dim, k, o->max_iter, tol, seed,
                                       run);
        if (inertia < 0.0) {
            return RECSYS_ENOMEM;
        }

        if (inertia < best) {
            best = inertia;
            memcpy(lab, run, (size_t) n * sizeof(int32_t));
        }
    }

    return RECSYS_OK;
}


/*
 * The k in [k_lo, k_hi] whose clustering of the n rows of x has the best
 * sampled silhouette (0 when none is defined).
 */
static int
recsys_cl_choose(const float *x, uint32_t n, uint32_t dim, uint32_t k_lo,
    uint32_t k_hi, const recsys_kmeans_opts_t *o, uint32_t *best_k,
    double *best_sil)
{
    int        rc;
    float     *dm;
    double     sil;
    int32_t   *lab, *run, *slab;
    uint32_t   i, s, kk, *idx;

    *best_k = 0;
    *best_sil = -INFINITY;

    lab = malloc((size_t) n * sizeof(int32_t));
    run = malloc((size_t) n * sizeof(int32_t));
    slab = malloc((size_t) n * sizeof(int32_t));
    idx = malloc((size_t) n * sizeof(uint32_t));
    dm = NULL;

    if (lab == NULL || run == NULL || slab == NULL || idx == NULL) {
        rc = RECSYS_ENOMEM;
        goto done;
    }

    for (i = 0; i < n; i++) {
        idx[i] = i;
    }

    s = (o->sample == 0 || o->sample > n) ? n : o->sample;
    recsys_cl_sample(idx, n, s, o->seed);

    dm = recsys_cl_dmatrix(x, dim, idx, s);
    if (dm == NULL) {
        rc = RECSYS_ENOMEM;
        goto done;
    }

    for (kk = k_lo; kk <= k_hi; kk++) {
        rc = recsys_cl_fit(x, n, dim, kk, RECSYS_CL_TOL_SELECT, o, lab, run);
        if (rc != RECSYS_OK) {
            goto done;
        }

        for (i = 0; i < s; i++) {
            slab[i] = lab[idx[i]];
        }

        sil = recsys_cl_sil_matrix(dm, s, slab, kk);

        if (sil > *best_sil) {
            *best_sil = sil;
            *best_k = kk;
        }
    }

    rc = RECSYS_OK;

done:

    free(lab);
    free(run);
    free(slab);
    free(idx);
    free(dm);

    return rc;
}


int
recsys_cluster_kmeans(const float *x, uint32_t n, uint32_t dim,
    const recsys_kmeans_opts_t *o, int32_t *assign, uint32_t *k,
    double *silhouette)
{
    int        rc;
    float     *xv, *xs;
    double     best_sil;
    int32_t   *lab, *run;
    uint32_t   i, nv, ns, k_lo, k_hi, best_k, *rows, *idx;

    *k = 0;
    *silhouette = NAN;

    if (o->k == 0 && (o->k_min < 2 || o->k_max < o->k_min)) {
        return RECSYS_EINVAL;
    }

    rc = recsys_cl_compact(x, n, dim, assign, &xv, &rows, &nv);
    if (rc != RECSYS_OK) {
        return rc;
    }

    lab = NULL;
    run = NULL;
    xs = NULL;
    idx = NULL;

    if (nv == 0) {
        goto done;
    }

    best_k = o->k;

    if (o->k == 0) {
        k_lo = o->k_min < nv ? o->k_min : nv;
        k_hi = o->k_max < nv ? o->k_max : nv;

        /* choose on a seeded sample of the rows when there are many */

        ns = (o->select_sample == 0 || o->select_sample >= nv)
             ? nv : o->select_sample;

        if (ns < nv) {
            idx = malloc((size_t) nv * sizeof(uint32_t));
            xs = malloc((size_t) ns * dim * sizeof(float));
            if (idx == NULL || xs == NULL) {
                rc = RECSYS_ENOMEM;
                goto done;
            }

            for (i = 0; i < nv; i++) {
                idx[i] = i;
            }

            recsys_cl_sample(idx, nv, ns, o->seed + 1);

            for (i = 0; i < ns; i++) {
                memcpy(xs + (size_t) i * dim, xv + (size_t) idx[i] * dim,
                       dim * sizeof(float));
            }
        }

        rc = recsys_cl_choose(xs != NULL ? xs : xv, ns, dim, k_lo, k_hi, o,
                              &best_k, &best_sil);
        if (rc != RECSYS_OK) {
            goto done;
        }

        if (best_k == 0) {
            best_k = k_lo;          /* no silhouette defined anywhere */
        } else {
            *silhouette = best_sil;
        }
    }

    if (best_k > nv) {
        best_k = nv;
    }

    lab = malloc((size_t) nv * sizeof(int32_t));
    run = malloc((size_t) nv * sizeof(int32_t));
    if (lab == NULL || run == NULL) {
        rc = RECSYS_ENOMEM;
        goto done;
    }

    rc = recsys_cl_fit(xv, nv, dim, best_k, RECSYS_CL_TOL, o, lab, run);
    if (rc != RECSYS_OK) {
        goto done;
    }

    for (i = 0; i < nv; i++) {
        assign[rows[i]] = lab[i];
    }

    *k = recsys_cl_relabel(assign, n, best_k);

done:

    free(xv);
    free(rows);
    free(lab);
    free(run);
    free(xs);
    free(idx);

    return rc;
}


/* DBSCAN on a k-d tree */

static void
recsys_kd_free(recsys_kd_t *t)
{
    recsys_release(t, sizeof(recsys_kd_t), 6, t->x, t->perm, t->leaf, t->bmin,
                   t->bmax, t->node);
}


/* Moves the row of rank m (by coordinate d) of perm[lo..hi) to perm[m]. */
static void
recsys_kd_select(const float *x, uint32_t dim, uint32_t *perm, uint32_t lo,
    uint32_t hi, uint32_t m, uint32_t d)
{
    float     pv, a, b, c;
    uint32_t  i, j, t;

#define RECSYS_KD_KEY(p)  x[(size_t) perm[p] * dim + d]

    while (hi - lo > 1) {
        a = RECSYS_KD_KEY(lo);
        b = RECSYS_KD_KEY(lo + (hi - lo) / 2);
        c = RECSYS_KD_KEY(hi - 1);
        pv = (a < b) ? ((b < c) ? b : (a < c ? c : a))
                     : ((a < c) ? a : (b < c ? c : b));

        /* three-way partition: < pv, == pv, > pv */

        i = lo;
        j = lo;
        t = hi;

        while (j < t) {
            float  v = RECSYS_KD_KEY(j);
            uint32_t  tmp;

            if (v < pv) {
                tmp = perm[i];
                perm[i] = perm[j];
                perm[j] = tmp;
                i++;
                j++;

            } else if (v > pv) {
                t--;
                tmp = perm[t];
                perm[t] = perm[j];
                perm[j] = tmp;

            } else {
                j++;
            }
        }

        if (m < i) {
            hi = i;
        } else if (m >= t) {
            lo = t;
        } else {
            return;
        }
    }

#undef RECSYS_KD_KEY
}


static int
recsys_kd_build(recsys_kd_t *t, const float *x, uint32_t n, uint32_t dim)
{
    int32_t    nd, l, r, stack[RECSYS_KD_STACK];
    uint32_t   i, d, p, sd, cap, top, mid;
    float      v, ext, best;
    float     *mn, *mx;

    memset(t, 0, sizeof(recsys_kd_t));
    t->n = n;
    t->dim = dim;

    cap = 2 * (n / (RECSYS_KD_LEAF / 2)) + 2;

    t->x = malloc(((size_t) n * dim + 1) * sizeof(float));
    t->perm = malloc(((size_t) n + 1) * sizeof(uint32_t));
    t->leaf = malloc(((size_t) n + 1) * sizeof(uint32_t));
    t->bmin = malloc(((size_t) cap * dim + 1) * sizeof(float));
    t->bmax = malloc(((size_t) cap * dim + 1) * sizeof(float));
    t->node = malloc((size_t) cap * sizeof(recsys_kd_node_t));

    if (t->x == NULL || t->perm == NULL || t->leaf == NULL
        || t->bmin == NULL || t->bmax == NULL || t->node == NULL)
    {
        recsys_kd_free(t);
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < n; i++) {
        t->perm[i] = i;
    }

    t->node[0].lo = 0;
    t->node[0].hi = n;
    t->node[0].parent = -1;
    t->n_nodes = 1;

    stack[0] = 0;
    top = 1;

    while (top > 0) {
        nd = stack[--top];
        mn = t->bmin + (size_t) nd * dim;
        mx = t->bmax + (size_t) nd * dim;

        for (d = 0; d < dim; d++) {
            mn[d] = INFINITY;
            mx[d] = -INFINITY;
        }

        for (p = t->node[nd].lo; p < t->node[nd].hi; p++) {
            for (d = 0; d < dim; d++) {
                v = x[(size_t) t->perm[p] * dim + d];
                if (v < mn[d]) {
                    mn[d] = v;
                }
                if (v > mx[d]) {
                    mx[d] = v;
                }
            }
        }

        t->node[nd].left = -1;
        t->node[nd].right = -1;
        t->node[nd].cores = 0;

        if (t->node[nd].hi - t->node[nd].lo <= RECSYS_KD_LEAF
            || top + 2 > RECSYS_KD_STACK || t->n_nodes + 2 > cap)
        {
            continue;
        }

        sd = 0;
        best = -1.0f;
        for (d = 0; d < dim; d++) {
            ext = mx[d] - mn[d];
            if (ext > best) {
                best = ext;
                sd = d;
            }
        }

        if (best <= 0.0f) {
            continue;               /* all rows equal: one leaf */
        }

        mid = t->node[nd].lo + (t->node[nd].hi - t->node[nd].lo) / 2;
        recsys_kd_select(x, dim, t->perm, t->node[nd].lo, t->node[nd].hi,
                         mid, sd);

        l = (int32_t) t->n_nodes++;
        r = (int32_t) t->n_nodes++;

        t->node[l].lo = t->node[nd].lo;
        t->node[l].hi = mid;
        t->node[l].parent = nd;
        t->node[r].lo = mid;
        t->node[r].hi = t->node[nd].hi;
        t->node[r].parent = nd;
        t->node[nd].left = l;
        t->node[nd].right = r;

        stack[top++] = r;
        stack[top++] = l;
    }

    for (i = 0; i < t->n_nodes; i++) {
        if (t->node[i].left < 0) {
            for (p = t->node[i].lo; p < t->node[i].hi; p++) {
                t->leaf[p] = i;
            }
        }
    }

    for (p = 0; p < n; p++) {
        memcpy(t->x + (size_t) p * dim, x + (size_t) t->perm[p] * dim,
               dim * sizeof(float));
    }

    return RECSYS_OK;
}


/*
 * The squared distance from q to the nearest point of node nd's box, or
 * with far set to its farthest corner.
 */
static inline float
recsys_kd_box(const recsys_kd_t *t, int32_t nd, const float *q, int far)
{
    float        s, a, b, e;
    uint32_t     d;
    const float *mn, *mx;

    mn = t->bmin + (size_t) nd * t->dim;
    mx = t->bmax + (size_t) nd * t->dim;
    s = 0.0f;

    for (d = 0; d < t->dim; d++) {
        a = q[d] - mn[d];
        b = mx[d] - q[d];

        if (far) {
            e = a > b ? a : b;

        } else {
            e = a < 0 ? -a : (b < 0 ? -b : 0);
        }

        s += e * e;
    }

    return s;
}


/* Rows within eps2 of q, counting stopped once `need` is reached. */
static uint32_t
recsys_kd_count(const recsys_kd_t *t, const float *q, float eps2,
    uint32_t need)
{
    int32_t              nd, a, b;
    uint32_t             top, p, count;
    float                da, db;
    recsys_kd_pending_t  st[RECSYS_KD_STACK];

    count = 0;
    st[0].node = 0;
    st[0].d2 = recsys_kd_box(t, 0, q, 0);
    top = 1;

    while (top > 0) {
        top--;
        nd = st[top].node;

        if (st[top].d2 > eps2) {
            continue;
        }

        if (recsys_kd_box(t, nd, q, 1) <= eps2) {
            count += t->node[nd].hi - t->node[nd].lo;
            if (count >= need) {
                return count;
            }
            continue;
        }

        if (t->node[nd].left < 0) {
            for (p = t->node[nd].lo; p < t->node[nd].hi; p++) {
                if (recsys_cl_dist2(t->x + (size_t) p * t->dim, q, t->dim)
                    <= eps2)
                {
                    if (++count >= need) {
                        return count;
                    }
                }
            }
            continue;
        }

        a = t->node[nd].left;
        b = t->node[nd].right;
        da = recsys_kd_box(t, a, q, 0);
        db = recsys_kd_box(t, b, q, 0);

        /* the nearer child is popped first */

        if (da <= db) {
            st[top].node = b;
            st[top++].d2 = db;
            st[top].node = a;
            st[top++].d2 = da;
        } else {
            st[top].node = a;
            st[top++].d2 = da;
            st[top].node = b;
            st[top++].d2 = db;
        }
    }

    return count;
}


/*
 * Core flags of the rows of leaf nd.  Every row of the leaf lies within
 * h (half the box diagonal) of the box centre c, so the ball of radius
 * eps - h around c is inside each row's eps-ball: when it already holds
 * min_pts rows, all rows of the leaf are cores and one count serves
 * them all.  Otherwise each row is counted on its own.
 */
static void
recsys_kd_cores(const recsys_kd_t *t, int32_t nd, float eps, uint32_t min_pts,
    uint8_t *core)
{
    float        c[RECSYS_CL_MAX_DIM], h, e, r;
    uint32_t     d, p;
    const float *mn, *mx;

    if (t->dim <= RECSYS_CL_MAX_DIM) {
        mn = t->bmin + (size_t) nd * t->dim;
        mx = t->bmax + (size_t) nd * t->dim;
        h = 0.0f;

        for (d = 0; d < t->dim; d++) {
            c[d] = 0.5f * (mn[d] + mx[d]);
            e = 0.5f * (mx[d] - mn[d]);
            h += e * e;
        }

        r = eps - sqrtf(h) * 1.0001f;

        if (r > 0.0f && recsys_kd_count(t, c, r * r, min_pts) >= min_pts) {
            for (p = t->node[nd].lo; p < t->node[nd].hi; p++) {
                core[p] = 1;
            }
            return;
        }
    }

    for (p = t->node[nd].lo; p < t->node[nd].hi; p++) {
        core[p] = recsys_kd_count(t, t->x + (size_t) p * t->dim, eps * eps,
                                  min_pts) >= min_pts;
    }
}


/* union-find over tree positions; the smaller position is the root */

static uint32_t
recsys_uf_find(uint32_t *up, uint32_t a)
{
    while (up[a] != a) {
        up[a] = up[up[a]];
        a = up[a];
    }

    return a;
}


static void
recsys_uf_union(uint32_t *up, uint32_t a, uint32_t b)
{
    a = recsys_uf_find(up, a);
    b = recsys_uf_find(up, b);

    if (a < b) {
        up[b] = a;
    } else if (b < a) {
        up[a] = b;
    }
}


/* Squared distance between the boxes of two nodes. */
static inline float
recsys_kd_box_box(const recsys_kd_t *t, int32_t a, int32_t b)
{
    float        s, e;
    uint32_t     d;
    const float *amn, *amx, *bmn, *bmx;

    amn = t->bmin + (size_t) a * t->dim;
    amx = t->bmax + (size_t) a * t->dim;
    bmn = t->bmin + (size_t) b * t->dim;
    bmx = t->bmax + (size_t) b * t->dim;
    s = 0.0f;

    for (d = 0; d < t->dim; d++) {
        e = (amn[d] > bmx[d]) ? amn[d] - bmx[d]
            : (bmn[d] > amx[d] ? bmn[d] - amx[d] : 0.0f);
        s += e * e;
    }

    return s;
}


/*
 * Whether all cores of leaf nd are in one set (cached once true: sets
 * only merge); *rep gets one of them.
 */
static int
recsys_kd_uniform(const recsys_kd_t *t, int32_t nd, const uint8_t *core,
    uint32_t *up, uint8_t *uniform, uint32_t *rep)
{
    uint32_t  p, r;

    r = UINT32_MAX;

    for (p = t->node[nd].lo; p < t->node[nd].hi; p++) {
        if (!core[p]) {
            continue;
        }

        if (r == UINT32_MAX) {
            r = recsys_uf_find(up, p);
            *rep = p;
            if (uniform[nd]) {
                return 1;
            }

        } else if (recsys_uf_find(up, p) != r) {
            return 0;
        }
    }

    uniform[nd] = 1;

    return 1;
}


/*
 * Joins the cores of leaf a with the cores within eps of them in the
 * leaves after a (positions >= a's end), pruning subtrees without cores,
 * farther than eps, or wholly before a; a pair of leaves whose cores are
 * already all in one set costs nothing more.
 */
static void
recsys_kd_join(const recsys_kd_t *t, int32_t a, float eps2,
    const uint8_t *core, uint32_t *up, uint8_t *uniform)
{
    int32_t   nd, st[RECSYS_KD_STACK];
    uint32_t  top, p, q, ra, rb;

    st[0] = 0;
    top = 1;

    while (top > 0) {
        nd = st[--top];

        if (t->node[nd].cores == 0 || t->node[nd].hi <= t->node[a].hi
            || recsys_kd_box_box(t, a, nd) > eps2)
        {
            continue;
        }

        if (t->node[nd].left >= 0) {
            st[top++] = t->node[nd].right;
            st[top++] = t->node[nd].left;
            continue;
        }

        if (recsys_kd_uniform(t, a, core, up, uniform, &ra)
            && recsys_kd_uniform(t, nd, core, up, uniform, &rb)
            && recsys_uf_find(up, ra) == recsys_uf_find(up, rb))
        {
            continue;
        }

        for (p = t->node[a].lo; p < t->node[a].hi; p++) {
            if (!core[p]
                || recsys_kd_box(t, nd, t->x + (size_t) p * t->dim, 0)
                   > eps2)
            {
                continue;
            }

            for (q = t->node[nd].lo; q < t->node[nd].hi; q++) {
                if (core[q]
                    && recsys_uf_find(up, p) != recsys_uf_find(up, q)
                    && recsys_cl_dist2(t->x + (size_t) p * t->dim,
                                       t->x + (size_t) q * t->dim, t->dim)
                       <= eps2)
                {
                    recsys_uf_union(up, p, q);
                }
            }
        }
    }
}


/*
 * A core within eps of q, as a tree position, or UINT32_MAX: the first
 * met by a descent that visits the nearer child first, so a row inside a
 * segment stops at its own leaf.  (Only a row within eps of cores of two
 * segments depends on that order, as in every DBSCAN.)
 */
static uint32_t
recsys_kd_find_core(const recsys_kd_t *t, const float *q, float eps2,
    const uint8_t *core)
{
    int32_t   nd, a, b, st[RECSYS_KD_STACK];
    uint32_t  top, p;

    st[0] = 0;
    top = 1;

    while (top > 0) {
        nd = st[--top];

        if (t->node[nd].cores == 0 || recsys_kd_box(t, nd, q, 0) > eps2) {
            continue;
        }

        if (t->node[nd].left >= 0) {
            a = t->node[nd].left;
            b = t->node[nd].right;

            if (recsys_kd_box(t, a, q, 0) <= recsys_kd_box(t, b, q, 0)) {
                st[top++] = b;
                st[top++] = a;
            } else {
                st[top++] = a;
                st[top++] = b;
            }
            continue;
        }

        for (p = t->node[nd].lo; p < t->node[nd].hi; p++) {
            if (core[p]
                && recsys_cl_dist2(t->x + (size_t) p * t->dim, q, t->dim)
                   <= eps2)
            {
                return p;
            }
        }
    }

    return UINT32_MAX;
}


/*
 * The rows DBSCAN finds segments on: all nv rows of xv (*ns = nv, *xs and
 * *idx left NULL), or a seeded sample of o->max_exact of them copied to a
 * malloc'ed *xs, *idx their positions in xv (sorted); min_pts scaled to
 * the sample.
 */
static int
recsys_cl_dbscan_sample(const float *xv, uint32_t nv, uint32_t dim,
    const recsys_dbscan_opts_t *o, uint32_t *ns, uint32_t *min_pts,
    uint32_t **idx, float **xs)
{
    uint32_t  i;

    *ns = nv;
    *min_pts = o->min_pts;

    if (*min_pts == 0) {
        *min_pts = nv / 100 > 5 ? nv / 100 : 5;
    }

    if (o->max_exact == 0 || nv <= o->max_exact) {
        return RECSYS_OK;
    }

    *ns = o->max_exact;
    *min_pts = (uint32_t) ((double) *min_pts * *ns / nv + 0.5);
    if (*min_pts < 2) {
        *min_pts = 2;
    }

    *idx = malloc((size_t) nv * sizeof(uint32_t));
    *xs = malloc((size_t) *ns * dim * sizeof(float));
    if (*idx == NULL || *xs == NULL) {
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < nv; i++) {
        (*idx)[i] = i;
    }

    recsys_cl_sample(*idx, nv, *ns, o->seed);
    qsort(*idx, *ns, sizeof(uint32_t), recsys_sorted_cmp_u32);

    for (i = 0; i < *ns; i++) {
        memcpy(*xs + (size_t) i * dim, xv + (size_t) (*idx)[i] * dim,
               dim * sizeof(float));
    }

    return RECSYS_OK;
}


/*
 * Marks the cores of the tree's rows (at least min_pts rows within eps,
 * the row itself included) and unites connected cores in up, leaf by
 * leaf; lab[] is set to -1 for every row.
 */
static void
recsys_cl_dbscan_link(recsys_kd_t *t, float eps, uint32_t min_pts,
    uint8_t *core, uint8_t *uniform, uint32_t *up, int32_t *lab)
{
    float     eps2;
    int32_t   nd;
    uint32_t  p, q, dim;

    eps2 = eps * eps;
    dim = t->dim;

#pragma omp parallel for schedule(dynamic, 16) if (t->n >= RECSYS_CL_PAR)
    for (nd = 0; nd < (int32_t) t->n_nodes; nd++) {
        if (t->node[nd].left < 0) {
            recsys_kd_cores(t, nd, eps, min_pts, core);
        }
    }

    for (p = 0; p < t->n; p++) {
        up[p] = p;
        lab[p] = -1;

        if (core[p]) {
            for (nd = (int32_t) t->leaf[p]; nd >= 0;
                 nd = t->node[nd].parent)
            {
                t->node[nd].cores++;
            }
        }
    }

    for (nd = 0; nd < (int32_t) t->n_nodes; nd++) {
        if (t->node[nd].left >= 0 || t->node[nd].cores == 0) {
            continue;
        }

        for (p = t->node[nd].lo; p < t->node[nd].hi; p++) {
            for (q = p + 1; core[p] && q < t->node[nd].hi; q++) {
                if (core[q]
                    && recsys_cl_dist2(t->x + (size_t) p * dim,
                                       t->x + (size_t) q * dim, dim) <= eps2)
                {
                    recsys_uf_union(up, p, q);
                }
            }
        }

        recsys_kd_join(t, nd, eps2, core, up, uniform);
    }
}


int
recsys_cluster_dbscan(const float *x, uint32_t n, uint32_t dim,
    const recsys_dbscan_opts_t *o, int32_t *assign, uint32_t *k)
{
    int           rc;
    float        *xv, *xs, eps2;
    int32_t      *lab;
    uint8_t      *core, *uniform;
    uint32_t      i, q, r, nv, ns, min_pts, cid, *rows, *up, *idx;
    recsys_kd_t   t;

    *k = 0;

    if (!(o->eps > 0.0f)) {
        return RECSYS_EINVAL;
    }

    rc = recsys_cl_compact(x, n, dim, assign, &xv, &rows, &nv);
    if (rc != RECSYS_OK) {
        return rc;
    }

    memset(&t, 0, sizeof(recsys_kd_t));
    xs = NULL;
    idx = NULL;
    core = NULL;
    uniform = NULL;
    up = NULL;
    lab = NULL;

    if (nv == 0) {
        goto done;
    }

    rc = recsys_cl_dbscan_sample(xv, nv, dim, o, &ns, &min_pts, &idx, &xs);
    if (rc != RECSYS_OK) {
        goto done;
    }

    rc = recsys_kd_build(&t, xs != NULL ? xs : xv, ns, dim);
    if (rc != RECSYS_OK) {
        goto done;
    }

    core = malloc(ns);
    uniform = calloc(t.n_nodes, 1);
    up = malloc((size_t) ns * sizeof(uint32_t));
    lab = malloc((size_t) ns * sizeof(int32_t));

    if (core == NULL || uniform == NULL || up == NULL || lab == NULL) {
        rc = RECSYS_ENOMEM;
        goto done;
    }

    eps2 = o->eps * o->eps;
    recsys_cl_dbscan_link(&t, o->eps, min_pts, core, uniform, up, lab);

    /*
     * Every row joins the segment of a core within eps (a core of the
     * tree is its own); the others are noise.  The tree position of that
     * core is kept in assign for now.
     */

#pragma omp parallel for schedule(dynamic, 64) if (nv >= RECSYS_CL_PAR)
    for (r = 0; r < nv; r++) {
        uint32_t  c;

        c = recsys_kd_find_core(&t, xv + (size_t) r * dim, eps2, core);
        assign[rows[r]] = (c == UINT32_MAX) ? -1 : (int32_t) c;
    }

    /* number the sets in row order; lab is indexed by a set's root */

    cid = 0;

    for (i = 0; i < n; i++) {
        if (assign[i] < 0) {
            continue;
        }

        q = recsys_uf_find(up, (uint32_t) assign[i]);

        if (lab[q] < 0) {
            lab[q] = (int32_t) cid++;
        }

        assign[i] = lab[q];
    }

    *k = recsys_cl_relabel(assign, n, cid);
    rc = RECSYS_OK;

done:

    free(xv);
    free(rows);
    free(xs);
    free(idx);
    free(core);
    free(uniform);
    free(up);
    free(lab);
    recsys_kd_free(&t);

    return rc;
}


/* adjusted Rand index */

/* Sum over runs of equal keys of C(run, 2); sorts keys. */
static double
recsys_cl_pairs(uint64_t *keys, uint32_t n)
{
    double    s, r;
    uint32_t  i, j;

    qsort(keys, n, sizeof(uint64_t), recsys_sorted_cmp_u64);

    s = 0.0;
    for (i = 0; i < n; i = j) {
        for (j = i + 1; j < n && keys[j] == keys[i]; j++) {
            /* void */
        }
        r = (double) (j - i);
        s += r * (r - 1.0) / 2.0;
    }

    return s;
}


double
recsys_cluster_ari(const int32_t *a, const int32_t *b, uint32_t n)
{
    double     sij, sa, sb, total, expected, top;
    uint32_t   i;
    uint64_t  *keys;

    if (n < 2) {
        return 1.0;
    }

    keys = malloc((size_t) n * sizeof(uint64_t));
    if (keys == NULL) {
        return NAN;
    }

    for (i = 0; i < n; i++) {
        keys[i] = ((uint64_t) (uint32_t) a[i] << 32) | (uint32_t) b[i];
    }
    sij = recsys_cl_pairs(keys, n);

    for (i = 0; i < n; i++) {
        keys[i] = (uint32_t) a[i];
    }
    sa = recsys_cl_pairs(keys, n);

    for (i = 0; i < n; i++) {
        keys[i] = (uint32_t) b[i];
    }
    sb = recsys_cl_pairs(keys, n);

    free(keys);

    total = (double) n * (n - 1.0) / 2.0;
    expected = sa * sb / total;
    top = (sa + sb) / 2.0;

    if (top == expected) {
        return 1.0;                 /* both all-in-one or all-apart */
    }

    return (sij - expected) / (top - expected);
}


/* the result */

void
recsys_cluster_free(recsys_cluster_t *c)
{
    free(c->assign);
    free(c->size);
    free(c->profile);
    recsys_csr_free(&c->top);
    memset(c, 0, sizeof(recsys_cluster_t));
}


/*
 * The top_n items of each segment by the share of its members who have
 * them (a dense counter per thread) into buf (k x top_n), their number in
 * len[]; members[start[s] .. start[s + 1]) are segment s's users.
 * Returns 1 when out of memory, else 0.
 */
static int
recsys_cl_segment_top(const recsys_train_t *t, const recsys_cluster_t *c,
    uint32_t k, uint32_t top_n, const uint32_t *start,
    const uint32_t *members, uint32_t *len, recsys_entry_t *buf)
{
    int  failed;

    failed = 0;

#pragma omp parallel if (t->by_user.n_entries >= 16 * RECSYS_CL_PAR)
    {
        uint32_t         ss, m, ee, it, nt, i, uu, *cnt, *touched;
        recsys_topk_t    top;
        recsys_scored_t *heap;

        cnt = calloc((size_t) t->n_items + 1, sizeof(uint32_t));
        touched = malloc(((size_t) t->n_items + 1) * sizeof(uint32_t));
        heap = malloc(((size_t) top_n + 1) * sizeof(recsys_scored_t));

        if (cnt == NULL || touched == NULL || heap == NULL) {
#pragma omp atomic write
            failed = 1;
        }

#pragma omp for schedule(dynamic, 1)
        for (ss = 0; ss < k; ss++) {
            if (cnt == NULL || touched == NULL || heap == NULL) {
                continue;
            }

            nt = 0;
            for (m = start[ss]; m < start[ss + 1]; m++) {
                uu = members[m];
                for (ee = t->by_user.offsets[uu];
                     ee < t->by_user.offsets[uu + 1]; ee++)
                {
                    it = t->by_user.entries[ee].item;
                    if (cnt[it]++ == 0) {
                        touched[nt++] = it;
                    }
                }
            }

            recsys_topk_init(&top, heap, top_n);
            for (i = 0; i < nt; i++) {
                it = touched[i];
                recsys_topk_push(&top, it,
                                 (float) ((double) cnt[it] / c->size[ss]));
                cnt[it] = 0;
            }

            len[ss] = recsys_topk_sort(&top);

            for (i = 0; i < len[ss]; i++) {
                buf[(size_t) ss * top_n + i].item = heap[i].item;
                buf[(size_t) ss * top_n + i].score = heap[i].score;
            }
        }

        free(cnt);
        free(touched);
        free(heap);
    }

    return failed;
}


int
recsys_cluster_make(const recsys_train_t *t, const float *x,
    const int32_t *assign, uint32_t k, uint32_t top_n, recsys_cluster_t *c)
{
    int              failed;
    double          *sum;
    uint32_t         u, s, d, e, n, *start, *members, *fill, *len;
    recsys_entry_t  *buf;

    memset(c, 0, sizeof(recsys_cluster_t));
    c->n_users = t->n_users;
    c->dim = t->n_genres;
    c->k = k;
    c->silhouette = NAN;

    for (u = 0; u < t->n_users; u++) {
        if (assign[u] >= (int32_t) k) {
            return RECSYS_EINVAL;
        }
    }

    c->assign = malloc(((size_t) t->n_users + 1) * sizeof(int32_t));
    c->size = calloc((size_t) k + 1, sizeof(uint32_t));
    c->profile = calloc((size_t) k * c->dim + 1, sizeof(float));
    sum = calloc((size_t) k * c->dim + 1, sizeof(double));
    start = calloc((size_t) k + 2, sizeof(uint32_t));
    fill = calloc((size_t) k + 1, sizeof(uint32_t));
    len = calloc((size_t) k + 1, sizeof(uint32_t));
    members = malloc(((size_t) t->n_users + 1) * sizeof(uint32_t));
    buf = malloc(((size_t) k * top_n + 1) * sizeof(recsys_entry_t));

    if (c->assign == NULL || c->size == NULL || c->profile == NULL
        || sum == NULL || start == NULL || fill == NULL || len == NULL
        || members == NULL || buf == NULL)
    {
        failed = 1;
        goto done;
    }

    memcpy(c->assign, assign, (size_t) t->n_users * sizeof(int32_t));

    /* sizes, profiles, members grouped by segment */

    for (u = 0; u < t->n_users; u++) {
        if (assign[u] < 0) {
            c->n_noise++;
            continue;
        }

        s = (uint32_t) assign[u];
        c->size[s]++;

        if (x != NULL) {
            for (d = 0; d < c->dim; d++) {
                sum[(size_t) s * c->dim + d] += x[(size_t) u * c->dim + d];
            }
        }
    }

    for (s = 0; s < k; s++) {
        start[s + 1] = start[s] + c->size[s];

        for (d = 0; d < c->dim && c->size[s] > 0; d++) {
            c->profile[(size_t) s * c->dim + d] =
                (float) (sum[(size_t) s * c->dim + d] / c->size[s]);
        }
    }

    for (u = 0; u < t->n_users; u++) {
        if (assign[u] >= 0) {
            s = (uint32_t) assign[u];
            members[start[s] + fill[s]++] = u;
        }
    }

    failed = recsys_cl_segment_top(t, c, k, top_n, start, members, len,
                                   buf);

    if (failed) {
        goto done;
    }

    n = 0;
    for (s = 0; s < k; s++) {
        n += len[s];
    }

    if (recsys_csr_alloc(&c->top, k, n) != 0) {
        failed = 1;
        goto done;
    }

    e = 0;
    for (s = 0; s < k; s++) {
        c->top.offsets[s] = e;
        memcpy(c->top.entries + e, buf + (size_t) s * top_n,
               len[s] * sizeof(recsys_entry_t));
        e += len[s];
    }
    c->top.offsets[k] = e;

done:

    free(sum);
    free(start);
    free(fill);
    free(len);
    free(members);
    free(buf);

    return failed ? RECSYS_ENOMEM : RECSYS_OK;
}


int
recsys_cluster_build(const recsys_train_t *t, const recsys_cluster_opts_t *o,
    recsys_cluster_t *c)
{
    int        rc;
    float     *x;
    double     sil;
    int32_t   *assign;
    uint32_t   k;

    memset(c, 0, sizeof(recsys_cluster_t));

    rc = recsys_cluster_features(t, &x);
    if (rc != RECSYS_OK) {
        return rc;
    }

    assign = malloc(((size_t) t->n_users + 1) * sizeof(int32_t));
    if (assign == NULL) {
        free(x);
        return RECSYS_ENOMEM;
    }

    sil = NAN;

    if (o->method == RECSYS_CLUSTER_DBSCAN) {
        rc = recsys_cluster_dbscan(x, t->n_users, t->n_genres, &o->dbscan,
                                   assign, &k);
    } else {
        rc = recsys_cluster_kmeans(x, t->n_users, t->n_genres, &o->kmeans,
                                   assign, &k, &sil);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_cluster_make(t, x, assign, k, o->top_n, c);
    }

    if (rc == RECSYS_OK) {
        c->silhouette = isnan(sil)
                        ? recsys_cluster_silhouette(x, t->n_users,
                                                    t->n_genres, assign, k,
                                                    o->kmeans.sample,
                                                    o->kmeans.seed)
                        : sil;
    }

    free(x);
    free(assign);

    return rc;
}


uint32_t
recsys_cluster_recommend(const recsys_cluster_t *c,
    const recsys_csr_t *by_user, uint32_t user, recsys_scored_t *out,
    uint32_t n)
{
    int32_t          s;
    uint32_t         e, m, lo, hi, mid, from, to, it;
    recsys_entry_t  *seen;

    if (user >= c->n_users || c->assign[user] < 0) {
        return 0;
    }

    s = c->assign[user];
    seen = NULL;
    from = 0;
    to = 0;

    if (user < by_user->n_rows) {
        seen = by_user->entries;
        from = by_user->offsets[user];
        to = by_user->offsets[user + 1];
    }

    m = 0;
    for (e = c->top.offsets[s]; e < c->top.offsets[s + 1] && m < n; e++) {
        it = c->top.entries[e].item;

        lo = from;
        hi = to;
        while (lo < hi) {
            mid = lo + (hi - lo) / 2;
            if (seen[mid].item < it) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }

        if (lo < to && seen[lo].item == it) {
            continue;
        }

        out[m].item = it;
        out[m].score = c->top.entries[e].score;
        m++;
    }

    return m;
}
