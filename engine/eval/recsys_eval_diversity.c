/*
 * recsys_eval_diversity.c: `recsys-build eval --diversity 0,0.25,...`,
 * what the diversity argument costs and buys, measured on what is served.
 *
 * One split of the log by the chosen protocol (kfold: fold 0 is the test
 * side); the default hybrid model is built from the train rows with the
 * builder's own pipeline and opened with the module's read side, and for
 * each setting every user with a relevant item (recsys_eval_relevant) is
 * asked recsys_query_run() for n = k items with that diversity, exactly as
 * GET /recommend?user=U&diversity=D does.  Per setting it prints
 *
 *   nDCG@k      recsys_metrics_user, averaged over the users
 *   coverage    distinct items answered / items with a train row
 *   ILD         intra-list diversity: the mean over users of the mean over
 *               pairs of the list of 1 - the Jaccard index of the two
 *               items' genres (the model's item.genres)
 *   novelty     the mean over answered items of -log2(share of train users
 *               who have the item)
 *
 * and the processor time of one query and its metrics.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recsys_eval.h"
#include "recsys_query.h"
#include "recsys_sorted.h"
#include "recsys_split.h"
#include "recsys_status.h"


#define RECSYS_EVAL_DIV_MAX  32      /* settings at most */


typedef struct {
    recsys_model_t        *model;
    const recsys_train_t  *train;
    uint32_t              *test_off;    /* per user, into test_item */
    uint32_t              *test_item;   /* sorted per user */
    uint32_t               k;
    uint32_t               train_items;
    uint32_t               train_users;
} recsys_eval_div_t;


/* "0,0.25,0.5": settings from 0 to 1; the count, or -1. */
static int
recsys_eval_div_list(const char *s, float *out)
{
    int     n;
    char   *end;
    double  v;

    n = 0;

    for ( ;; ) {
        v = strtod(s, &end);
        if (end == s || v < 0.0 || v > 1.0 || n == RECSYS_EVAL_DIV_MAX) {
            return -1;
        }

        out[n++] = (float) v;

        if (*end == '\0') {
            return n;
        }

        if (*end != ',') {
            return -1;
        }

        s = end + 1;
    }
}


/* 1 - the Jaccard index of two genre rows (1 when either is empty). */
static double
recsys_eval_div_distance(recsys_row_t a, recsys_row_t b)
{
    uint32_t  i, j, both;

    if (a.n == 0 || b.n == 0) {
        return 1.0;
    }

    both = 0;
    for (i = 0; i < a.n; i++) {
        for (j = 0; j < b.n; j++) {
            both += recsys_row_item(a, i) == recsys_row_item(b, j);
        }
    }

    return 1.0 - (double) both / (double) (a.n + b.n - both);
}


static void *
recsys_eval_div_alloc(void *ctx, size_t size)
{
    void  **blocks, *p;

    blocks = ctx;
    p = malloc(size + sizeof(void *));
    if (p == NULL) {
        return NULL;
    }

    *(void **) p = *blocks;
    *blocks = p;

    return (char *) p + sizeof(void *);
}


static void
recsys_eval_div_free(void *blocks)
{
    void  *next;

    for ( /* void */ ; blocks != NULL; blocks = next) {
        next = *(void **) blocks;
        free(blocks);
    }
}


/*
 * One user's answer at one setting, added to the sums: ndcg, ild,
 * novelty (sum and count) and the items answered (seen[]).
 */
static int
recsys_eval_div_user(const recsys_eval_div_t *e, uint32_t u, float div,
    double *sum, unsigned char *seen)
{
    int                   rc;
    void                 *blocks;
    double                d;
    uint32_t              k, j, n, ranked[RECSYS_EVAL_MAX_K];
    recsys_alloc_t        a;
    recsys_query_t        q;
    recsys_result_t       res;
    recsys_metrics_user_t m;
    const recsys_list_t  *genres;

    memset(&q, 0, sizeof(q));
    q.algo = RECSYS_ALGO_HYBRID;
    q.item = RECSYS_NO_INDEX;
    q.user = e->train->by_user.offsets[u + 1] > e->train->by_user.offsets[u]
             ? u : RECSYS_NO_INDEX;
    q.n = e->k;
    q.diversity = div;

    blocks = NULL;
    a.alloc = recsys_eval_div_alloc;
    a.ctx = &blocks;

    rc = recsys_query_run(e->model, &q, &a, &res);
    if (rc != RECSYS_OK) {
        recsys_eval_div_free(blocks);
        return rc;
    }

    n = res.n < e->k ? res.n : e->k;
    genres = recsys_model_list(e->model, RECSYS_L_ITEM_GENRES);

    for (k = 0; k < n; k++) {
        ranked[k] = res.items[k].item;
        seen[ranked[k]] = 1;
        d = (double) (e->train->by_item.offsets[ranked[k] + 1]
                      - e->train->by_item.offsets[ranked[k]]);
        sum[2] += -log2((d > 0.0 ? d : 1.0) / e->train_users);
        sum[3] += 1.0;
    }

    d = 0.0;
    for (k = 0; k < n; k++) {
        for (j = k + 1; j < n; j++) {
            d += recsys_eval_div_distance(recsys_list_row(genres, ranked[k]),
                                          recsys_list_row(genres, ranked[j]));
        }
    }

    sum[1] += n > 1 ? d / ((double) n * (n - 1) / 2.0) : 0.0;

    rc = recsys_metrics_user(ranked, n, e->k,
                             e->test_item + e->test_off[u],
                             e->test_off[u + 1] - e->test_off[u], &m);
    sum[0] += rc == RECSYS_OK ? m.v[RECSYS_METRIC_NDCG] : 0.0;

    recsys_eval_div_free(blocks);

    return RECSYS_OK;
}


/* Every evaluated user at one setting: one row of the table. */
static int
recsys_eval_div_row(const recsys_eval_div_t *e, float div, FILE *f)
{
    int             rc;
    double          sum[4], users;
    clock_t         t0;
    uint32_t        u, i, covered;
    unsigned char  *seen;

    seen = calloc(e->train->n_items + 1, 1);
    if (seen == NULL) {
        return RECSYS_ENOMEM;
    }

    memset(sum, 0, sizeof(sum));
    users = 0.0;
    t0 = clock();

    for (u = 0; u < e->train->n_users; u++) {
        if (e->test_off[u + 1] == e->test_off[u]) {
            continue;
        }

        rc = recsys_eval_div_user(e, u, div, sum, seen);
        if (rc != RECSYS_OK) {
            free(seen);
            return rc;
        }

        users += 1.0;
    }

    covered = 0;
    for (i = 0; i < e->train->n_items; i++) {
        covered += seen[i];
    }

    free(seen);

    fprintf(f, "%9.2f  %8.4f  %8.4f  %8.4f  %8.3f  %8.1f\n", div,
            users > 0 ? sum[0] / users : 0.0,
            recsys_metrics_coverage(covered, e->train_items),
            users > 0 ? sum[1] / users : 0.0,
            sum[3] > 0 ? sum[2] / sum[3] : 0.0,
            users > 0 ? (double) (clock() - t0) * 1e6 / CLOCKS_PER_SEC / users
                      : 0.0);

    return RECSYS_OK;
}


/*
 * The relevant items per user (recsys_eval_relevant), sorted: (user, item)
 * keys of the test rows sorted, then each user's run kept and located.
 */
static int
recsys_eval_div_tests(recsys_eval_div_t *e, const recsys_data_t *d,
    const uint8_t *assign, uint32_t n_users)
{
    size_t     i, j, n, w;
    uint32_t   u;
    uint64_t  *keys;

    keys = malloc((d->n_events + 1) * sizeof(uint64_t));
    e->test_off = calloc((size_t) n_users + 1, sizeof(uint32_t));
    e->test_item = malloc((d->n_events + 1) * sizeof(uint32_t));

    if (keys == NULL || e->test_off == NULL || e->test_item == NULL) {
        free(keys);
        return RECSYS_ENOMEM;
    }

    for (i = 0, n = 0; i < d->n_events; i++) {
        if (assign[i] == RECSYS_SPLIT_TEST) {
            keys[n++] = (uint64_t) d->events[i].user << 32
                        | d->events[i].item;
        }
    }

    qsort(keys, n, sizeof(uint64_t), recsys_sorted_cmp_u64);

    for (i = 0, w = 0; i < n; i = j) {
        u = (uint32_t) (keys[i] >> 32);

        for (j = i; j < n && keys[j] >> 32 == u; j++) {
            e->test_item[w + j - i] = (uint32_t) keys[j];
        }

        w += recsys_eval_relevant(e->train, u, e->test_item + w,
                                  (uint32_t) (j - i));
        e->test_off[u + 1] = (uint32_t) w;
    }

    /* users without test rows start where the previous one ended */
    for (u = 0; u < n_users; u++) {
        if (e->test_off[u + 1] < e->test_off[u]) {
            e->test_off[u + 1] = e->test_off[u];
        }
    }

    free(keys);

    return RECSYS_OK;
}


int
recsys_eval_diversity(const recsys_data_t *d, const recsys_eval_opts_t *o,
    const char *list, FILE *f, char *err, size_t errlen)
{
    int                rc, n, s;
    float              settings[RECSYS_EVAL_DIV_MAX];
    size_t             i, n_train;
    int64_t            cutoff;
    uint8_t           *assign, test_value;
    recsys_data_t      td;
    recsys_event_t    *rows;
    void              *state;
    recsys_train_t     train;
    recsys_eval_div_t  e;

    err[0] = '\0';
    n = recsys_eval_div_list(list, settings);
    if (n < 0) {
        snprintf(err, errlen, "--diversity: a list of 1 to %d settings from "
                 "0 to 1, comma-separated", RECSYS_EVAL_DIV_MAX);
        return RECSYS_EINVAL;
    }

    memset(&e, 0, sizeof(e));
    state = NULL;
    assign = malloc(d->n_events + 1);
    rows = malloc((d->n_events + 1) * sizeof(recsys_event_t));

    rc = RECSYS_ENOMEM;

    if (assign == NULL || rows == NULL
        || (rc = recsys_eval_split(d, o, 0, assign, &test_value, &cutoff))
           != RECSYS_OK)
    {
        free(assign);
        free(rows);
        snprintf(err, errlen, "splitting: %s", recsys_strerror(rc));
        return rc;
    }

    /* the test side as RECSYS_SPLIT_TEST (1), the train side 0 */
    for (i = 0; i < d->n_events; i++) {
        assign[i] = assign[i] == test_value;
    }

    for (i = 0, n_train = 0; i < d->n_events; i++) {
        if (assign[i] != RECSYS_SPLIT_TEST) {
            rows[n_train++] = d->events[i];
        }
    }

    td = *d;
    td.events = rows;
    td.n_events = n_train;
    td.cap_events = n_train;

    rc = recsys_train_build(&td, &train);
    if (rc == RECSYS_OK) {
        e.train = &train;
        e.k = o->k;

        for (i = 0; i < train.n_items; i++) {
            e.train_items += train.by_item.offsets[i + 1]
                             > train.by_item.offsets[i];
        }

        for (i = 0; i < train.n_users; i++) {
            e.train_users += train.by_user.offsets[i + 1]
                             > train.by_user.offsets[i];
        }

        rc = recsys_eval_div_tests(&e, d, assign, train.n_users);
        if (rc == RECSYS_OK) {
            rc = recsys_served_hybrid.fit(&train, NULL, &state, err,
                                          errlen);
        }

        if (rc == RECSYS_OK) {
            e.model = recsys_served_model(state);
        }

        if (rc == RECSYS_OK) {
            fprintf(f, "diversity through the served hybrid, protocol %s, "
                    "k %u\n", recsys_eval_protocol_name(o->protocol), o->k);
            fprintf(f, "%9s  %8s  %8s  %8s  %8s  %8s\n", "diversity",
                    "nDCG@k", "coverage", "ILD", "novelty", "cpu us");

            for (s = 0; s < n && rc == RECSYS_OK; s++) {
                rc = recsys_eval_div_row(&e, settings[s], f);
            }
        }

        recsys_served_hybrid.free(state);
        recsys_train_free(&train);
    }

    if (rc != RECSYS_OK && err[0] == '\0') {
        snprintf(err, errlen, "diversity: %s", recsys_strerror(rc));
    }

    free(e.test_off);
    free(e.test_item);
    free(assign);
    free(rows);

    return rc;
}
