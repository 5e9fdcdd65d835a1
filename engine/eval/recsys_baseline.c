/*
 * recsys_baseline.c: MostPop and SAR for the offline evaluation.
 *
 * SAR never holds the item-item matrix densely (9.7k items would take
 * 750 MB).  fit() builds the sparse co-occurrence of the binary train
 * matrix row by row: for item i, each user of i adds one to every item of
 * theirs in a per-thread dense counter, whose touched slots are then read
 * back in item order and turned into Jaccard similarities.  Two passes
 * (count, then fill) give one compact array; the work is the sum over
 * users of their degree squared per pass.  score() is then a sparse
 * vector-matrix product: the user's affinities times the rows of their
 * items, accumulated item row by item row in ascending item order, so every
 * score is the same double whichever thread computes it.  Memory: 12 bytes
 * per co-occurring pair (ml-latest-small under P1: 20.2 million pairs,
 * 240 MB).
 *
 * Double precision is not a nicety: with a 30-day half life, a user whose
 * ratings are years older than t_max has affinities near 1e-80, below the
 * range of float, and float scores would rank that user's candidates by
 * item id alone (MAP 0.026 instead of 0.067 on ml-latest-small).
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_baseline.h"
#include "recsys_opt.h"
#include "recsys_sorted.h"
#include "recsys_status.h"

#define RECSYS_SAR_HALF_LIFE_DAYS  30.0
#define RECSYS_SAR_DAY             86400.0


typedef struct {
    uint32_t   n_items;
    double    *count;
} recsys_mostpop_t;

typedef struct {
    const recsys_train_t  *train;
    double                *affinity;    /* parallel to by_user.entries */
    uint64_t              *off;         /* n_items + 1, into nbr and sim */
    uint32_t              *nbr;         /* co-occurring items, ascending */
    double                *sim;         /* Jaccard, parallel to nbr */
    double                 half_life;   /* seconds, 0: no decay */
} recsys_sar_t;


static int
recsys_mostpop_fit(const recsys_train_t *train, const char *params,
    void **state, char *err, size_t errlen)
{
    uint32_t           i;
    recsys_mostpop_t  *m;

    if (params != NULL && *params != '\0') {
        snprintf(err, errlen, "mostpop takes no parameters");
        return RECSYS_EINVAL;
    }

    m = malloc(sizeof(recsys_mostpop_t));
    if (m == NULL) {
        snprintf(err, errlen, "mostpop: out of memory");
        return RECSYS_ENOMEM;
    }

    m->n_items = train->n_items;
    m->count = malloc(((size_t) train->n_items + 1) * sizeof(double));

    if (m->count == NULL) {
        free(m);
        snprintf(err, errlen, "mostpop: out of memory");
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < train->n_items; i++) {
        m->count[i] = (double) (train->by_item.offsets[i + 1]
                                - train->by_item.offsets[i]);
    }

    *state = m;

    return RECSYS_OK;
}


static int
recsys_mostpop_score(const void *state, uint32_t user, uint32_t k,
    double *scores)
{
    const recsys_mostpop_t  *m = state;

    (void) user;
    (void) k;

    memcpy(scores, m->count, (size_t) m->n_items * sizeof(double));

    return RECSYS_OK;
}


static void
recsys_mostpop_free(void *state)
{
    recsys_mostpop_t  *m = state;

    if (m != NULL) {
        free(m->count);
        free(m);
    }
}


const recsys_recommender_t  recsys_baseline_mostpop = {
    "mostpop", "MostPop",
    recsys_mostpop_fit, recsys_mostpop_score, NULL, recsys_mostpop_free
};


/* SAR's one parameter, days, 0: no decay */
static const recsys_opt_t  recsys_sar_options[] = {
    recsys_opt_row(NULL, "half_life", RECSYS_OPT_DOUBLE, 0, 0.0, 1e6, NULL,
                   NULL),
    recsys_opt_null
};


/* "half_life=DAYS" or nothing; 0 on success. */
static int
recsys_sar_params(recsys_sar_t *s, const char *params, char *err,
    size_t errlen)
{
    double  days;

    days = RECSYS_SAR_HALF_LIFE_DAYS;

    if (recsys_opt_settings(recsys_sar_options, &days, "sar: ", params, "",
                            err, errlen)
        != RECSYS_OK)
    {
        return -1;
    }

    s->half_life = days * RECSYS_SAR_DAY;

    return 0;
}


/* affinity(u, i) from each user's latest row per item (train->seq). */
static void
recsys_sar_affinity(recsys_sar_t *s)
{
    int64_t                t_max, ts;
    uint32_t               u, e, lo, hi, mid, item;
    double                 decay;
    const recsys_train_t  *t = s->train;

    t_max = RECSYS_NO_TIME;

    if (t->seq_time != NULL) {
        for (e = 0; e < t->seq.n_entries; e++) {
            if (t->seq_time[e] > t_max) {
                t_max = t->seq_time[e];
            }
        }
    }

    for (u = 0; u < t->n_users; u++) {
        for (e = t->seq.offsets[u]; e < t->seq.offsets[u + 1]; e++) {
            item = t->seq.entries[e].item;
            ts = t->seq_time != NULL ? t->seq_time[e] : RECSYS_NO_TIME;

            decay = 1.0;

            if (s->half_life > 0.0 && ts != RECSYS_NO_TIME) {
                decay = pow(0.5, (double) (t_max - ts) / s->half_life);
                decay = decay < 1.0 ? decay : 1.0;
            }

            /* the same item's place in the by_user row (sorted by item) */
            lo = t->by_user.offsets[u];
            hi = t->by_user.offsets[u + 1];

            while (lo < hi) {
                mid = lo + (hi - lo) / 2;

                if (t->by_user.entries[mid].item < item) {
                    lo = mid + 1;

                } else {
                    hi = mid;
                }
            }

            s->affinity[lo] = (double) t->seq.entries[e].score * decay;
        }
    }
}


/*
 * Counts the items co-occurring with i into cnt, listing each once in
 * touched (in item order); returns how many.  cnt must be all zero; the
 * caller zeroes the touched slots again.
 */
static uint32_t
recsys_sar_row(const recsys_train_t *t, uint32_t i, uint32_t *cnt,
    uint32_t *touched)
{
    uint32_t  e, f, v, j, n;

    n = 0;

    for (e = t->by_item.offsets[i]; e < t->by_item.offsets[i + 1]; e++) {
        v = t->by_item.entries[e].item;

        for (f = t->by_user.offsets[v]; f < t->by_user.offsets[v + 1]; f++) {
            j = t->by_user.entries[f].item;

            if (cnt[j]++ == 0) {
                touched[n++] = j;
            }
        }
    }

    return n;
}


/* Puts touched[0 .. n) in item order: a sort, or a scan when dense. */
static void
recsys_sar_order(uint32_t *touched, uint32_t n, const uint32_t *cnt,
    uint32_t n_items)
{
    uint32_t  j, w;

    if ((uint64_t) n * 16 < n_items) {
        qsort(touched, n, sizeof(uint32_t), recsys_sorted_cmp_u32);
        return;
    }

    w = 0;
    for (j = 0; j < n_items && w < n; j++) {
        if (cnt[j] != 0) {
            touched[w++] = j;
        }
    }
}


/*
 * One pass over all items on all threads: fill == 0 stores each row's
 * length in off[i + 1]; fill == 1 writes the rows at off[i].  RECSYS_OK or
 * RECSYS_ENOMEM.
 */
static int
recsys_sar_pass(recsys_sar_t *s, int fill)
{
    int                    failed;
    uint32_t               n_items, i;
    const recsys_train_t  *t = s->train;

    n_items = t->n_items;
    failed = 0;

#pragma omp parallel
    {
        uint32_t  *cnt, *touched, n, x, j, c;
        uint64_t   o;
        double     ni;

        cnt = calloc((size_t) n_items + 1, sizeof(uint32_t));
        touched = malloc(((size_t) n_items + 1) * sizeof(uint32_t));

        if (cnt == NULL || touched == NULL) {
#pragma omp atomic write
            failed = 1;
        }

#pragma omp for schedule(dynamic, 32)
        for (i = 0; i < n_items; i++) {
            if (cnt == NULL || touched == NULL) {
                continue;
            }

            n = recsys_sar_row(t, i, cnt, touched);

            if (!fill) {
                s->off[i + 1] = n;

            } else {
                recsys_sar_order(touched, n, cnt, n_items);

                ni = (double) (t->by_item.offsets[i + 1]
                               - t->by_item.offsets[i]);
                o = s->off[i];

                for (x = 0; x < n; x++) {
                    j = touched[x];
                    c = cnt[j];
                    s->nbr[o + x] = j;
                    s->sim[o + x] = (double) c
                        / (ni + (double) (t->by_item.offsets[j + 1]
                                          - t->by_item.offsets[j])
                           - (double) c);
                }
            }

            for (x = 0; x < n; x++) {
                cnt[touched[x]] = 0;
            }
        }

        free(cnt);
        free(touched);
    }

    return failed ? RECSYS_ENOMEM : RECSYS_OK;
}


static int
recsys_sar_similarity(recsys_sar_t *s)
{
    int       rc;
    uint32_t  n_items, i;
    uint64_t  total;

    n_items = s->train->n_items;

    s->off = calloc((size_t) n_items + 1, sizeof(uint64_t));
    if (s->off == NULL) {
        return RECSYS_ENOMEM;
    }

    rc = recsys_sar_pass(s, 0);
    if (rc != RECSYS_OK) {
        return rc;
    }

    for (i = 0; i < n_items; i++) {
        s->off[i + 1] += s->off[i];
    }

    total = s->off[n_items];

    s->nbr = malloc((total ? total : 1) * sizeof(uint32_t));
    s->sim = malloc((total ? total : 1) * sizeof(double));

    if (s->nbr == NULL || s->sim == NULL) {
        return RECSYS_ENOMEM;
    }

    return recsys_sar_pass(s, 1);
}


static void
recsys_sar_free(void *state)
{
    recsys_sar_t  *s = state;

    if (s != NULL) {
        free(s->affinity);
        free(s->off);
        free(s->nbr);
        free(s->sim);
        free(s);
    }
}


static int
recsys_sar_fit(const recsys_train_t *train, const char *params, void **state,
    char *err, size_t errlen)
{
    int            rc;
    recsys_sar_t  *s;

    s = calloc(1, sizeof(recsys_sar_t));
    if (s == NULL) {
        snprintf(err, errlen, "sar: out of memory");
        return RECSYS_ENOMEM;
    }

    s->train = train;

    if (recsys_sar_params(s, params, err, errlen) != 0) {
        free(s);
        return RECSYS_EINVAL;
    }

    s->affinity = malloc(((size_t) train->by_user.n_entries + 1)
                         * sizeof(double));
    if (s->affinity == NULL) {
        recsys_sar_free(s);
        snprintf(err, errlen, "sar: out of memory");
        return RECSYS_ENOMEM;
    }

    recsys_sar_affinity(s);

    rc = recsys_sar_similarity(s);
    if (rc != RECSYS_OK) {
        recsys_sar_free(s);
        snprintf(err, errlen, "sar: item similarity: %s",
                 recsys_strerror(rc));
        return rc;
    }

    *state = s;

    return RECSYS_OK;
}


static int
recsys_sar_score(const void *state, uint32_t user, uint32_t k,
    double *scores)
{
    double                 a;
    uint32_t               e, i;
    uint64_t               p, end;
    const recsys_sar_t    *s = state;
    const recsys_train_t  *t = s->train;

    (void) k;

    memset(scores, 0, (size_t) t->n_items * sizeof(double));

    for (e = t->by_user.offsets[user]; e < t->by_user.offsets[user + 1]; e++)
    {
        i = t->by_user.entries[e].item;
        a = s->affinity[e];
        end = s->off[i + 1];

        for (p = s->off[i]; p < end; p++) {
            scores[s->nbr[p]] += a * s->sim[p];
        }
    }

    return RECSYS_OK;
}


const recsys_recommender_t  recsys_baseline_sar = {
    "sar", "SAR",
    recsys_sar_fit, recsys_sar_score, NULL, recsys_sar_free
};
