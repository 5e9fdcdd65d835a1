/*
 * recsys_eval.c: the offline evaluation runner and its reports.
 *
 * For each fold: the train rows are copied out of the log and laid out by
 * recsys_train_build() exactly as the builder lays out a full log, the
 * test rows become each user's sorted set of distinct relevant items, and
 * every algorithm is fitted and then asked for a dense score vector per
 * evaluated user, on all threads, each thread with its own score buffer
 * and heap.  Per-user results land in arrays indexed by the user's place
 * in the evaluated list and are summed in that order afterwards, so the
 * printed digits never depend on scheduling.  Folds are then reduced to a
 * mean and a sample standard deviation per metric.
 *
 * Memory per fold: the train copy of the log and its layouts (about three
 * times the log), the test sets, one score vector per thread and k items
 * per evaluated user; plus whatever each algorithm holds while it runs
 * (only one at a time).
 */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "recsys_baseline.h"
#include "recsys_clock.h"
#include "recsys_eval.h"
#include "recsys_eval_extra.h"
#include "recsys_eval_text.h"
#include "recsys_progress.h"
#include "recsys_release.h"
#include "recsys_sorted.h"
#include "recsys_split.h"
#include "recsys_status.h"


/* the registry: an algorithm is evaluable once it is listed here */
static const recsys_recommender_t  *recsys_eval_algos[] = {
    &recsys_baseline_mostpop,
    &recsys_baseline_sar,
    &recsys_served_itemcf,
    &recsys_served_usercf,
    &recsys_served_content,
    &recsys_served_cluster,
    &recsys_served_assoc,
    &recsys_served_markov,
    &recsys_served_hmm,
    &recsys_served_gru,
    &recsys_served_lstm,
    &recsys_served_ease,
    &recsys_served_rp3beta,
    &recsys_served_als,
    &recsys_model_ease,
    &recsys_model_als,
    &recsys_model_rp3,
    &recsys_served_popular,
    &recsys_served_trending,
    &recsys_served_hybrid,
    NULL
};

static const char  *recsys_eval_protocols[] = {
    "p1", "p2", "loo", "kfold", "time"
};

static const char  *recsys_eval_protocol_texts[] = {
    "stratified by item, 75% of each item's rows in train",
    "stratified by user, 75% of each user's rows in train",
    "leave last out: each user's newest row is test",
    "k-fold cross-validation over rows",
    "global temporal split: train before a cutoff time, test from it"
};

/* the columns of the table, the JSON and the chart, in order */
static const int  recsys_eval_columns[] = {
    RECSYS_METRIC_MAP, RECSYS_METRIC_NDCG, RECSYS_METRIC_PRECISION,
    RECSYS_METRIC_RECALL, RECSYS_METRIC_HIT_RATE, RECSYS_METRIC_COVERAGE,
    RECSYS_METRIC_RMSE, RECSYS_METRIC_MAE
};

#define RECSYS_EVAL_N_COLUMNS                                                \
    (sizeof(recsys_eval_columns) / sizeof(recsys_eval_columns[0]))

/* the chart leaves out rating errors: another scale */
#define RECSYS_EVAL_N_CHARTED  6


/* a fold's test side and candidates */
typedef struct {
    uint32_t  *test_off;        /* n_users + 1, into test_item */
    uint32_t  *test_item;       /* per user: distinct, ascending */
    uint32_t  *users;           /* users with a relevant item, ascending */
    uint32_t   n_users;
    uint32_t  *cand;            /* items with a train row, ascending */
    uint32_t   n_cand;
    const recsys_event_t  *test_rows;   /* for rating errors */
    size_t                 n_test_rows;
} recsys_eval_fold_data_t;


const recsys_eval_opts_t  recsys_eval_default = {
    .protocol = RECSYS_EVAL_P1, .k = 10, .folds = 5, .seed = 42,
    .algos = "mostpop,sar", .test_share = 0.2
};


int
recsys_eval_protocol_parse(const char *s)
{
    int  p;

    for (p = 0; p <= RECSYS_EVAL_TIME; p++) {
        if (strcmp(s, recsys_eval_protocols[p]) == 0) {
            return p;
        }
    }

    return -1;
}


const char *
recsys_eval_protocol_name(recsys_eval_protocol_t p)
{
    return (int) p >= 0 && p <= RECSYS_EVAL_TIME
           ? recsys_eval_protocols[p] : NULL;
}


const recsys_recommender_t *
recsys_eval_find(const char *name, size_t len)
{
    const recsys_recommender_t  **a;

    for (a = recsys_eval_algos; *a != NULL; a++) {
        if (strlen((*a)->name) == len && memcmp((*a)->name, name, len) == 0) {
            return *a;
        }
    }

    return NULL;
}


/* a is better than b: a higher score, then a smaller item */
static int
recsys_eval_better(const recsys_eval_scored_t *a, const recsys_eval_scored_t *b)
{
    if (a->score != b->score) {
        return a->score > b->score;
    }

    return a->item < b->item;
}


static void
recsys_eval_swap(recsys_eval_scored_t *h, uint32_t i, uint32_t j)
{
    recsys_eval_scored_t  tmp;

    tmp = h[i];
    h[i] = h[j];
    h[j] = tmp;
}


static void
recsys_eval_sift_down(recsys_eval_scored_t *h, uint32_t n, uint32_t i)
{
    uint32_t  c;

    for ( ;; ) {
        c = 2 * i + 1;

        if (c >= n) {
            return;
        }

        /* the worse child goes up: the root is the worst kept */
        if (c + 1 < n && recsys_eval_better(&h[c], &h[c + 1])) {
            c++;
        }

        if (!recsys_eval_better(&h[i], &h[c])) {
            return;
        }

        recsys_eval_swap(h, i, c);
        i = c;
    }
}


uint32_t
recsys_eval_top_k(const double *scores, const uint32_t *candidates,
    uint32_t n, uint32_t k, recsys_eval_scored_t *heap)
{
    uint32_t              x, m, i, parent;
    recsys_eval_scored_t  s;

    m = 0;

    for (x = 0; x < n && k > 0; x++) {
        s.item = candidates[x];
        s.score = scores[s.item];

        if (isnan(s.score) || s.score == -INFINITY) {
            continue;
        }

        if (m < k) {
            i = m++;
            heap[i] = s;

            while (i > 0) {
                parent = (i - 1) / 2;

                if (!recsys_eval_better(&heap[parent], &heap[i])) {
                    break;
                }

                recsys_eval_swap(heap, i, parent);
                i = parent;
            }

            continue;
        }

        if (recsys_eval_better(&s, &heap[0])) {
            heap[0] = s;
            recsys_eval_sift_down(heap, m, 0);
        }
    }

    /* heap sort: the worst goes to the end each round */
    for (x = m; x > 1; x--) {
        recsys_eval_swap(heap, 0, x - 1);
        recsys_eval_sift_down(heap, x - 1, 0);
    }

    return m;
}


/*
 * The end of one algorithm's text in an --algos list: pieces are separated
 * by commas, and a piece that is a setting ("name=value", no colon before
 * its '=') belongs to the algorithm before it, so
 * "itemcf:shrink=10,neighbors=100,hybrid" holds two algorithms.
 */
static const char *
recsys_eval_spec_end(const char *p)
{
    const char  *end, *next, *eq, *colon;

    end = strchr(p, ',');

    while (end != NULL) {
        next = strchr(end + 1, ',');
        eq = strchr(end + 1, '=');
        colon = strchr(end + 1, ':');

        if (eq == NULL || (next != NULL && eq > next)
            || (colon != NULL && colon < eq))
        {
            break;
        }

        end = next;
    }

    return end != NULL ? end : p + strlen(p);
}


/*
 * Adds the grid points of one spec to rep: a setting's value may list
 * alternatives separated by '|' ("ease:ease_lambda=100|500,values=0|1"),
 * and every combination becomes an algorithm of its own, the first
 * setting varying slowest.  Counts them in *n (also when rep is NULL).
 */
static int
recsys_eval_add_grid(const recsys_recommender_t *a, const char *spec,
    size_t len, size_t name_len, recsys_eval_report_t *rep, size_t *n,
    char *err, size_t errlen)
{
    char                   *out, *o;
    size_t                  i, s, n_set, pick[16], n_alt[16], combos;
    const char             *p, *end, *set[16], *alt;
    recsys_eval_result_t   *r;

    /* the settings and their alternative counts */
    n_set = 0;
    combos = 1;

    if (name_len < len) {
        for (p = spec + name_len + 1; p < spec + len; p = end + 1) {
            end = memchr(p, ',', spec + len - p);
            end = end != NULL ? end : spec + len;

            if (n_set == 16) {
                snprintf(err, errlen, "--algos: at most 16 settings per "
                         "algorithm");
                return RECSYS_EINVAL;
            }

            set[n_set] = p;
            n_alt[n_set] = 1;
            for (alt = p; alt < end; alt++) {
                n_alt[n_set] += *alt == '|';
            }

            combos *= n_alt[n_set];
            pick[n_set++] = 0;

            if (combos > RECSYS_EVAL_MAX_ALGOS) {
                break;
            }
        }
    }

    if (*n + combos > RECSYS_EVAL_MAX_ALGOS) {
        snprintf(err, errlen, "--algos: at most %d algorithms (grid points "
                 "included)", RECSYS_EVAL_MAX_ALGOS);
        return RECSYS_EINVAL;
    }

    *n += combos;

    if (rep == NULL) {
        return RECSYS_OK;
    }

    for (i = 0; i < combos; i++) {
        r = &rep->results[rep->n_results++];
        r->algo = a;
        r->spec = malloc(len + 1);

        if (r->spec == NULL) {
            snprintf(err, errlen, "out of memory");
            return RECSYS_ENOMEM;
        }

        /* the name, then each setting with its picked alternative */
        out = r->spec;
        memcpy(out, spec, name_len);
        o = out + name_len;

        for (s = 0; s < n_set; s++) {
            const char  *eq, *v, *vend, *send;
            size_t       k;

            send = memchr(set[s], ',', spec + len - set[s]);
            send = send != NULL ? send : spec + len;
            eq = memchr(set[s], '=', send - set[s]);

            *o++ = s == 0 ? ':' : ',';

            if (eq == NULL) {
                memcpy(o, set[s], send - set[s]);
                o += send - set[s];
                continue;
            }

            memcpy(o, set[s], eq + 1 - set[s]);
            o += eq + 1 - set[s];

            v = eq + 1;
            for (k = 0; k < pick[s]; k++) {
                v = memchr(v, '|', send - v) + 1;
            }

            vend = memchr(v, '|', send - v);
            vend = vend != NULL ? vend : send;
            memcpy(o, v, vend - v);
            o += vend - v;
        }

        *o = '\0';
        r->params = n_set > 0 ? out + name_len + 1 : NULL;

        /* the next combination: the last setting varies fastest */
        for (s = n_set; s-- > 0; ) {
            if (++pick[s] < n_alt[s]) {
                break;
            }
            pick[s] = 0;
        }
    }

    return RECSYS_OK;
}


/*
 * Parses an --algos list ("name[:settings],...", settings "k=v,k=v",
 * values with '|' alternatives for a grid) into rep->results, or only
 * checks it when rep is NULL.
 */
static int
recsys_eval_parse_algos(const char *algos, recsys_eval_report_t *rep,
    char *err, size_t errlen)
{
    int                          rc;
    size_t                       len, name_len, n;
    const char                  *p, *end, *colon;
    const recsys_recommender_t  *a, **known;

    if (rep != NULL) {
        rep->results = calloc(RECSYS_EVAL_MAX_ALGOS,
                              sizeof(recsys_eval_result_t));
        if (rep->results == NULL) {
            snprintf(err, errlen, "out of memory");
            return RECSYS_ENOMEM;
        }
    }

    n = 0;

    for (p = algos; ; p = end + 1) {
        end = recsys_eval_spec_end(p);
        len = (size_t) (end - p);

        colon = memchr(p, ':', len);
        name_len = colon != NULL ? (size_t) (colon - p) : len;

        a = recsys_eval_find(p, name_len);

        if (a == NULL) {
            len = (size_t) snprintf(err, errlen, "--algos: unknown "
                                    "algorithm \"%.*s\" (known:",
                                    (int) name_len, p);

            for (known = recsys_eval_algos;
                 *known != NULL && len < errlen;
                 known++)
            {
                len += (size_t) snprintf(err + len, errlen - len, " %s",
                                         (*known)->name);
            }

            if (len < errlen) {
                snprintf(err + len, errlen - len, ")");
            }

            return RECSYS_EINVAL;
        }

        rc = recsys_eval_add_grid(a, p, len, name_len, rep, &n, err, errlen);
        if (rc != RECSYS_OK) {
            return rc;
        }

        if (*end == '\0') {
            break;
        }
    }

    return RECSYS_OK;
}


int
recsys_eval_check_algos(const char *algos, char *err, size_t errlen)
{
    return recsys_eval_parse_algos(algos, NULL, err, errlen);
}


static void
recsys_eval_fold_data_free(recsys_eval_fold_data_t *f)
{
    recsys_release(f, sizeof(recsys_eval_fold_data_t), 4, f->test_off,
                   f->test_item, f->users, f->cand);
}


uint32_t
recsys_eval_relevant(const recsys_train_t *train, uint32_t user,
    uint32_t *items, uint32_t n)
{
    uint32_t         j, w, e, end;
    recsys_entry_t  *seen;

    /* by_user rows are sorted by item too: one walk along both */
    seen = train->by_user.entries;
    e = train->by_user.offsets[user];
    end = train->by_user.offsets[user + 1];
    w = 0;

    for (j = 0; j < n; j++) {
        if (j > 0 && items[j] == items[j - 1]) {
            continue;
        }

        while (e < end && seen[e].item < items[j]) {
            e++;
        }

        if (e == end || seen[e].item != items[j]) {
            items[w++] = items[j];
        }
    }

    return w;
}


/*
 * The test side of a fold from its test rows: per user the relevant items
 * (recsys_eval_relevant), the evaluated users (those with one), and the
 * candidates from the train layout.
 */
static int
recsys_eval_fold_prepare(const recsys_event_t *test, size_t n_test,
    const recsys_train_t *train, recsys_eval_fold_data_t *f)
{
    size_t     i;
    uint32_t   u, j, n, w, n_users, *fill;

    n_users = train->n_users;

    memset(f, 0, sizeof(recsys_eval_fold_data_t));

    f->test_rows = test;
    f->n_test_rows = n_test;
    f->test_off = calloc((size_t) n_users + 1, sizeof(uint32_t));
    f->test_item = malloc((n_test ? n_test : 1) * sizeof(uint32_t));
    f->users = malloc(((size_t) n_users + 1) * sizeof(uint32_t));
    f->cand = malloc(((size_t) train->n_items + 1) * sizeof(uint32_t));
    fill = calloc((size_t) n_users + 1, sizeof(uint32_t));

    if (f->test_off == NULL || f->test_item == NULL || f->users == NULL
        || f->cand == NULL || fill == NULL)
    {
        free(fill);
        recsys_eval_fold_data_free(f);
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < n_test; i++) {
        f->test_off[test[i].user + 1]++;
    }

    for (u = 0; u < n_users; u++) {
        f->test_off[u + 1] += f->test_off[u];
    }

    for (i = 0; i < n_test; i++) {
        u = test[i].user;
        f->test_item[f->test_off[u] + fill[u]++] = test[i].item;
    }

    /* each user's relevant items, compacted in place */
    w = 0;
    for (u = 0; u < n_users; u++) {
        uint32_t  from = f->test_off[u], to = f->test_off[u + 1];

        qsort(f->test_item + from, to - from, sizeof(uint32_t),
              recsys_sorted_cmp_u32);

        n = recsys_eval_relevant(train, u, f->test_item + from, to - from);
        memmove(f->test_item + w, f->test_item + from,
                (size_t) n * sizeof(uint32_t));

        f->test_off[u] = w;
        w += n;

        if (n > 0) {
            f->users[f->n_users++] = u;
        }
    }

    f->test_off[n_users] = w;

    for (j = 0; j < train->n_items; j++) {
        if (train->by_item.offsets[j + 1] > train->by_item.offsets[j]) {
            f->cand[f->n_cand++] = j;
        }
    }

    free(fill);

    return RECSYS_OK;
}


/*
 * Peak memory of one algorithm: Linux lets a process reset its own
 * high-water mark (writing 5 to /proc/self/clear_refs), and VmHWM in
 * /proc/self/status is then the largest resident set since.  The figure
 * includes what the evaluation itself holds (the log, the split), the
 * same for every algorithm.  Elsewhere it is 0: unknown.
 */
static void
recsys_eval_peak_reset(void)
{
    FILE  *f;

    f = fopen("/proc/self/clear_refs", "w");
    if (f != NULL) {
        fputs("5", f);
        fclose(f);
    }
}


static double
recsys_eval_peak_mib(void)
{
    FILE    *f;
    char     line[256];
    double   kib;

    kib = 0.0;
    f = fopen("/proc/self/status", "r");
    if (f == NULL) {
        return 0.0;
    }

    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kib = strtod(line + 6, NULL);
            break;
        }
    }

    fclose(f);

    return kib / 1024.0;
}


/*
 * RMSE and MAE of the fitted algorithm's predictions for the fold's test
 * rows, when it predicts and the ratings are explicit (r->predicts set);
 * else the metrics' values for no predictions.
 */
static int
recsys_eval_ratings(void *state, const recsys_train_t *train,
    const recsys_eval_fold_data_t *f, recsys_eval_result_t *r,
    double *metric, char *err, size_t errlen)
{
    int                          rc;
    size_t                       i;
    double                       pred;
    recsys_metrics_rating_t      ratings;
    const recsys_recommender_t  *a = r->algo;

    memset(&ratings, 0, sizeof(ratings));

    if (a->predict != NULL && train->explicit_ratings) {
        for (i = 0; i < f->n_test_rows; i++) {
            rc = a->predict(state, f->test_rows[i].user,
                            f->test_rows[i].item, &pred);
            if (rc != RECSYS_OK) {
                snprintf(err, errlen, "%s: predicting: %s", a->name,
                         recsys_strerror(rc));
                return rc;
            }

            recsys_metrics_rating_add(&ratings, pred,
                                      f->test_rows[i].value);
        }

        r->predicts = 1;
    }

    metric[RECSYS_METRIC_RMSE] = recsys_metrics_rmse(&ratings);
    metric[RECSYS_METRIC_MAE] = recsys_metrics_mae(&ratings);

    return RECSYS_OK;
}


/* The distinct items of n_users lists of at most k; seen is zeroed. */
static uint32_t
recsys_eval_distinct(const uint32_t *lists, const uint32_t *list_len,
    uint32_t n_users, uint32_t k, uint8_t *seen)
{
    size_t    i;
    uint32_t  x, item, distinct;

    distinct = 0;

    for (x = 0; x < n_users; x++) {
        for (i = 0; i < list_len[x]; i++) {
            item = lists[(size_t) x * k + i];

            if (!seen[item]) {
                seen[item] = 1;
                distinct++;
            }
        }
    }

    return distinct;
}


/*
 * Fits one algorithm on a fold and scores it: metric[RECSYS_METRIC_*] of
 * the fold, and the seconds spent.
 */
static int
recsys_eval_algo(const recsys_eval_opts_t *o, const recsys_train_t *train,
    const recsys_eval_fold_data_t *f, recsys_eval_result_t *r, double *metric,
    double *fit_seconds, double *rec_seconds, const recsys_eval_extra_t *ex,
    recsys_eval_report_t *rep, uint32_t fold, char *err, size_t errlen)
{
    int                     rc, failed;
    char                    what[64];
    void                   *state;
    double                  t0, t1, peak;
    uint32_t                k, x, *lists, *list_len, distinct;
    uint8_t                *seen;
    recsys_progress_t       pg;
    recsys_metrics_user_t  *per_user;
    const recsys_recommender_t  *a = r->algo;

    k = o->k;
    state = NULL;

    /* the algorithm's line, from its fit to its last user scored */
    snprintf(what, sizeof(what), "eval %s", a->name);
    recsys_progress_begin(&pg, what, "users", f->n_users);

    recsys_eval_peak_reset();
    t0 = recsys_clock_now();

    rc = a->fit(train, r->params, &state, err, errlen);
    if (rc != RECSYS_OK) {
        return rc;
    }

    t1 = recsys_clock_now();
    *fit_seconds = t1 - t0;

    lists = malloc(((size_t) f->n_users * k + 1) * sizeof(uint32_t));
    list_len = malloc(((size_t) f->n_users + 1) * sizeof(uint32_t));
    per_user = malloc(((size_t) f->n_users + 1)
                      * sizeof(recsys_metrics_user_t));
    seen = calloc((size_t) train->n_items + 1, 1);

    if (lists == NULL || list_len == NULL || per_user == NULL
        || seen == NULL)
    {
        rc = RECSYS_ENOMEM;
        snprintf(err, errlen, "%s: out of memory", a->name);
        goto done;
    }

    failed = RECSYS_OK;

#pragma omp parallel
    {
        int                    lrc;
        double                *scores;
        uint32_t               u, e, n, m;
        recsys_eval_scored_t  *heap;

        scores = malloc(((size_t) train->n_items + 1) * sizeof(double));
        heap = malloc((size_t) k * sizeof(recsys_eval_scored_t));

        if (scores == NULL || heap == NULL) {
#pragma omp atomic write
            failed = RECSYS_ENOMEM;
        }

#pragma omp for schedule(dynamic, 8)
        for (x = 0; x < f->n_users; x++) {
            if (scores == NULL || heap == NULL) {
                continue;
            }

            if ((x & 63) == 0) {
                recsys_progress_tick(&pg, x);
            }

            u = f->users[x];

            lrc = a->score(state, u, k, scores);
            if (lrc != RECSYS_OK) {
#pragma omp atomic write
                failed = lrc;
                continue;
            }

            for (e = train->by_user.offsets[u];
                 e < train->by_user.offsets[u + 1];
                 e++)
            {
                scores[train->by_user.entries[e].item] = -INFINITY;
            }

            n = recsys_eval_top_k(scores, f->cand, f->n_cand, k, heap);

            for (m = 0; m < n; m++) {
                lists[(size_t) x * k + m] = heap[m].item;
            }

            list_len[x] = n;

            recsys_metrics_user(lists + (size_t) x * k, n, k,
                                f->test_item + f->test_off[u],
                                f->test_off[u + 1] - f->test_off[u],
                                &per_user[x]);
        }

        free(scores);
        free(heap);
    }

    if (failed != RECSYS_OK) {
        rc = failed;
        snprintf(err, errlen, "%s: recommending: %s", a->name,
                 recsys_strerror(rc));
        goto done;
    }

    recsys_metrics_average(per_user, f->n_users, metric);

    distinct = recsys_eval_distinct(lists, list_len, f->n_users, k, seen);

    metric[RECSYS_METRIC_COVERAGE] = recsys_metrics_coverage(distinct,
                                                             f->n_cand);

    {
        recsys_eval_lists_t  l = {
            f->users, f->n_users, lists, list_len, k, f->test_off,
            f->test_item, f->cand, f->n_cand, per_user
        };

        rc = recsys_eval_extra_algo(ex, rep, r, fold, &l, train);
        if (rc != RECSYS_OK) {
            snprintf(err, errlen, "%s: out of memory", a->name);
            goto done;
        }
    }

    rc = recsys_eval_ratings(state, train, f, r, metric, err, errlen);

done:

    recsys_progress_end(&pg, f->n_users);
    *rec_seconds = recsys_clock_now() - t1;
    peak = recsys_eval_peak_mib();
    r->peak_mib = peak > r->peak_mib ? peak : r->peak_mib;

    a->free(state);
    free(lists);
    free(list_len);
    free(per_user);
    free(seen);

    return rc;
}


/*
 * One fold: rows with assign[i] == test_value are test, the others train.
 */
static int
recsys_eval_fold(const recsys_data_t *d, const recsys_eval_opts_t *o,
    const uint8_t *assign, uint8_t test_value, uint32_t fold,
    recsys_eval_report_t *rep, char *err, size_t errlen)
{
    int                       rc;
    size_t                    i, n_train, n_test;
    uint32_t                  a;
    recsys_data_t             td;
    recsys_event_t           *rows;
    recsys_train_t            train;
    recsys_eval_fold_t       *fs;
    recsys_eval_extra_t       ex;
    recsys_eval_result_t     *r;
    recsys_eval_fold_data_t   f;

    rows = malloc((d->n_events ? d->n_events : 1) * sizeof(recsys_event_t));
    if (rows == NULL) {
        snprintf(err, errlen, "splitting: out of memory");
        return RECSYS_ENOMEM;
    }

    /* train rows first in file order, then test rows in file order */
    n_train = 0;
    n_test = 0;
    for (i = 0; i < d->n_events; i++) {
        if (assign[i] != test_value) {
            rows[n_train++] = d->events[i];
        }
    }

    for (i = 0; i < d->n_events; i++) {
        if (assign[i] == test_value) {
            rows[n_train + n_test++] = d->events[i];
        }
    }

    /* the same ids, meta and genres; only the rows differ */
    td = *d;
    td.events = rows;
    td.n_events = n_train;
    td.cap_events = n_train;

    rc = recsys_train_build(&td, &train);
    if (rc != RECSYS_OK) {
        free(rows);
        snprintf(err, errlen, "laying out train rows: %s",
                 recsys_strerror(rc));
        return rc;
    }

    rc = recsys_eval_fold_prepare(rows + n_train, n_test, &train, &f);
    if (rc != RECSYS_OK) {
        recsys_train_free(&train);
        free(rows);
        snprintf(err, errlen, "laying out test rows: %s",
                 recsys_strerror(rc));
        return rc;
    }

    fs = &rep->folds[fold];
    fs->train_rows = n_train;
    fs->test_rows = n_test;
    fs->train_items = f.n_cand;
    fs->users_evaluated = f.n_users;

    rc = recsys_eval_extra_init(&ex, &td, &train);

    if (rc == RECSYS_OK) {
        rc = recsys_eval_extra_grow(rep, fold, f.users, f.n_users, &train);
    }

    if (rc != RECSYS_OK) {
        snprintf(err, errlen, "laying out test rows: %s",
                 recsys_strerror(rc));
    }

    for (a = 0; a < rep->n_results && rc == RECSYS_OK; a++) {
        double  fit_s, rec_s;

        r = &rep->results[a];
        fit_s = 0.0;
        rec_s = 0.0;

        rc = recsys_eval_algo(o, &train, &f, r,
                              r->per_fold + (size_t) fold * RECSYS_METRIC_N,
                              &fit_s, &rec_s, &ex, rep, fold, err, errlen);

        r->fit_seconds += fit_s / rep->n_folds;
        r->recommend_seconds += rec_s / rep->n_folds;
    }

    recsys_eval_extra_free(&ex);
    recsys_eval_fold_data_free(&f);
    recsys_train_free(&train);
    free(rows);

    return rc;
}


int
recsys_eval_split(const recsys_data_t *d, const recsys_eval_opts_t *o,
    int second_pass, uint8_t *assign, uint8_t *test_value, int64_t *cutoff)
{
    *test_value = o->protocol == RECSYS_EVAL_KFOLD ? 0 : RECSYS_SPLIT_TEST;

    switch (o->protocol) {
    case RECSYS_EVAL_P1:
        return recsys_split_p1(d->events, d->n_events, d->items.n, o->seed,
                               assign);
    case RECSYS_EVAL_P2:
        return recsys_split_p2(d->events, d->n_events, d->users.n, o->seed,
                               assign);
    case RECSYS_EVAL_LOO:
        return recsys_split_loo(d->events, d->n_events, d->users.n, assign);
    case RECSYS_EVAL_TIME:
        return recsys_split_time(d->events, d->n_events,
                                 second_pass ? 0 : o->cutoff, o->test_share,
                                 assign, cutoff);
    default:
        return recsys_split_kfold(d->n_events, o->folds, o->seed, assign);
    }
}


/* The report's per-fold arrays and the split's byte per row, or NULL. */
static uint8_t *
recsys_eval_alloc(recsys_eval_report_t *rep, size_t n_events)
{
    uint32_t  a;

    rep->folds = calloc(rep->n_folds, sizeof(recsys_eval_fold_t));
    if (rep->folds == NULL) {
        return NULL;
    }

    for (a = 0; a < rep->n_results; a++) {
        rep->results[a].per_fold = calloc((size_t) rep->n_folds
                                          * RECSYS_METRIC_N, sizeof(double));
        rep->results[a].beyond_fold = calloc((size_t) rep->n_folds
                                             * RECSYS_BEYOND_N,
                                             sizeof(double));
        if (rep->results[a].per_fold == NULL
            || rep->results[a].beyond_fold == NULL)
        {
            return NULL;
        }
    }

    return malloc(n_events ? n_events : 1);
}


int
recsys_eval_run(const recsys_data_t *d, const recsys_eval_opts_t *o,
    recsys_eval_report_t *rep, char *err, size_t errlen)
{
    int                    rc;
    size_t                 i;
    double                 t0, v[RECSYS_SPLIT_MAX_FOLDS];
    uint8_t               *assign, test_value;
    uint32_t               f, a, m;
    recsys_data_t          vd;
    recsys_event_t        *vrows;
    recsys_eval_result_t  *r;

    memset(rep, 0, sizeof(recsys_eval_report_t));
    rep->opts = *o;
    rep->rows = d->n_events;
    rep->users = d->users.n;
    rep->items = d->items.n;

    t0 = recsys_clock_now();

    if (o->k < 1 || o->k > RECSYS_EVAL_MAX_K) {
        snprintf(err, errlen, "--k must be from 1 to %d", RECSYS_EVAL_MAX_K);
        return RECSYS_EINVAL;
    }

    if (recsys_eval_protocol_name(o->protocol) == NULL) {
        snprintf(err, errlen, "unknown protocol");
        return RECSYS_EINVAL;
    }

    rep->n_folds = 1;

    if (o->protocol == RECSYS_EVAL_TIME && o->cutoff == 0
        && !(o->test_share > 0.0 && o->test_share < 1.0))
    {
        snprintf(err, errlen, "--test-share must be above 0 and below 1");
        return RECSYS_EINVAL;
    }

    if (o->protocol == RECSYS_EVAL_KFOLD) {
        if (o->folds < 2 || o->folds > RECSYS_SPLIT_MAX_FOLDS
            || o->folds > d->n_events)
        {
            snprintf(err, errlen, "--folds must be from 2 to %d and at most "
                     "the number of rows", RECSYS_SPLIT_MAX_FOLDS);
            return RECSYS_EINVAL;
        }

        rep->n_folds = o->folds;
    }

    rc = recsys_eval_parse_algos(o->algos, rep, err, errlen);
    if (rc == RECSYS_OK) {
        rc = recsys_eval_extra_baseline(rep, o->baseline, err, errlen);
    }

    if (rc != RECSYS_OK) {
        return rc;
    }

    assign = recsys_eval_alloc(rep, d->n_events);
    if (assign == NULL) {
        snprintf(err, errlen, "out of memory");
        return RECSYS_ENOMEM;
    }

    vrows = NULL;
    rc = recsys_eval_split(d, o, 0, assign, &test_value, &rep->cutoff);

    if (rc == RECSYS_OK && o->validation) {
        /* the train rows of the protocol's (first) split, split again */
        vrows = malloc((d->n_events ? d->n_events : 1)
                       * sizeof(recsys_event_t));
        if (vrows == NULL) {
            rc = RECSYS_ENOMEM;

        } else {
            vd = *d;
            vd.events = vrows;
            vd.n_events = 0;

            for (i = 0; i < d->n_events; i++) {
                if (assign[i] != test_value) {
                    vrows[vd.n_events++] = d->events[i];
                }
            }

            vd.cap_events = vd.n_events;
            d = &vd;
            rep->rows = vd.n_events;
            rc = recsys_eval_split(d, o, 1, assign, &test_value,
                                   &rep->cutoff);
        }
    }

    if (rc != RECSYS_OK) {
        free(assign);
        free(vrows);
        snprintf(err, errlen, "splitting: %s", rc == RECSYS_EINVAL
                 && o->protocol == RECSYS_EVAL_TIME
                 ? "--protocol time needs a timestamp on every row"
                 : recsys_strerror(rc));
        return rc;
    }

    for (f = 0; f < rep->n_folds && rc == RECSYS_OK; f++) {
        rc = recsys_eval_fold(d, o, assign,
                              o->protocol == RECSYS_EVAL_KFOLD
                              ? (uint8_t) f : RECSYS_SPLIT_TEST,
                              f, rep, err, errlen);
    }

    free(assign);
    free(vrows);

    if (rc != RECSYS_OK) {
        return rc;
    }

    for (a = 0; a < rep->n_results; a++) {
        r = &rep->results[a];

        for (m = 0; m < RECSYS_METRIC_N; m++) {
            for (f = 0; f < rep->n_folds; f++) {
                v[f] = r->per_fold[(size_t) f * RECSYS_METRIC_N + m];
            }

            recsys_metrics_mean_sd(v, rep->n_folds, &r->metric[m], &r->sd[m]);
        }
    }

    if (recsys_eval_extra_finish(rep) != RECSYS_OK) {
        snprintf(err, errlen, "comparing algorithms: out of memory");
        return RECSYS_ENOMEM;
    }

    rep->seconds = recsys_clock_now() - t0;

    return RECSYS_OK;
}


void
recsys_eval_report_free(recsys_eval_report_t *rep)
{
    uint32_t  a;

    free(rep->pairs);

    if (rep->results != NULL) {
        for (a = 0; a < rep->n_results; a++) {
            free(rep->results[a].spec);
            free(rep->results[a].per_fold);
            free(rep->results[a].beyond_fold);
            free(rep->results[a].user_vals);
        }
    }

    free(rep->results);
    free(rep->folds);
    memset(rep, 0, sizeof(recsys_eval_report_t));
}


/* ---- reports ---------------------------------------------------------- */


static int
recsys_eval_any_predicts(const recsys_eval_report_t *rep)
{
    uint32_t  a;

    for (a = 0; a < rep->n_results; a++) {
        if (rep->results[a].predicts) {
            return 1;
        }
    }

    return 0;
}


/* the table's columns, rating errors only when someone predicts */
static size_t
recsys_eval_shown(const recsys_eval_report_t *rep, int *cols)
{
    size_t  c, n;

    n = 0;
    for (c = 0; c < RECSYS_EVAL_N_COLUMNS; c++) {
        if ((recsys_eval_columns[c] == RECSYS_METRIC_RMSE
             || recsys_eval_columns[c] == RECSYS_METRIC_MAE)
            && !recsys_eval_any_predicts(rep))
        {
            continue;
        }

        cols[n++] = recsys_eval_columns[c];
    }

    return n;
}


static void
recsys_eval_header(const recsys_eval_report_t *rep, int metric, char *buf,
    size_t len)
{
    const char  *label = recsys_metrics_label(metric);

    if (label[strlen(label) - 1] == '@') {
        snprintf(buf, len, "%s%u", label, rep->opts.k);

    } else {
        snprintf(buf, len, "%s", label);
    }
}


/* Train rows, test rows and users evaluated, summed over the folds. */
static void
recsys_eval_fold_totals(const recsys_eval_report_t *rep, double *train,
    double *test, double *users)
{
    uint32_t  i;

    *train = 0;
    *test = 0;
    *users = 0;

    for (i = 0; i < rep->n_folds; i++) {
        *train += rep->folds[i].train_rows;
        *test += rep->folds[i].test_rows;
        *users += rep->folds[i].users_evaluated;
    }
}


static void
recsys_eval_split_summary(const recsys_eval_report_t *rep, FILE *f)
{
    double  train, test, users;

    recsys_eval_fold_totals(rep, &train, &test, &users);

    if (rep->n_folds == 1) {
        fprintf(f, "  %.0f train rows, %.0f test rows, %.0f users evaluated"
                ", top %u\n", train, test, users, rep->opts.k);

    } else {
        fprintf(f, "  %u folds; per fold %.0f train rows, %.0f test rows, "
                "%.0f users evaluated (means), top %u\n", rep->n_folds,
                train / rep->n_folds, test / rep->n_folds,
                users / rep->n_folds, rep->opts.k);
    }
}


void
recsys_eval_print(const recsys_eval_report_t *rep, FILE *f)
{
    int       cols[RECSYS_EVAL_N_COLUMNS];
    char      buf[512];
    size_t    n_cols, c, w[RECSYS_EVAL_N_COLUMNS + 2];
    uint32_t  a;

    fprintf(f, "%s: %llu rows, %u users, %u items\n",
            rep->opts.interactions != NULL ? rep->opts.interactions : "-",
            (unsigned long long) rep->rows, rep->users, rep->items);
    fprintf(f, "protocol %s: %s", recsys_eval_protocol_name(rep->opts.protocol),
            recsys_eval_protocol_texts[rep->opts.protocol]);

    if (rep->opts.protocol != RECSYS_EVAL_LOO
        && rep->opts.protocol != RECSYS_EVAL_TIME)
    {
        fprintf(f, " (seed %u)", rep->opts.seed);
    }

    fprintf(f, "\n");

    if (rep->opts.validation) {
        fprintf(f, "  validation: the train rows split again the same way; "
                "the test rows are not used\n");
    }

    recsys_eval_split_summary(rep, f);
    recsys_eval_extra_print_split(rep, f);
    fprintf(f, "\n");

    n_cols = recsys_eval_shown(rep, cols);

    /* widths: column 0 the algorithm, then metrics, then fit seconds */
    w[0] = strlen("algo");
    for (a = 0; a < rep->n_results; a++) {
        recsys_eval_text_label(&rep->results[a], buf, sizeof(buf));
        w[0] = strlen(buf) > w[0] ? strlen(buf) : w[0];
    }

    for (c = 0; c < n_cols; c++) {
        recsys_eval_header(rep, cols[c], buf, sizeof(buf));
        w[c + 1] = strlen(buf) > 8 ? strlen(buf) : 8;
    }

    w[n_cols + 1] = strlen("fit s") > 7 ? strlen("fit s") : 7;

    fprintf(f, "%-*s", (int) w[0], "algo");
    for (c = 0; c < n_cols; c++) {
        recsys_eval_header(rep, cols[c], buf, sizeof(buf));
        fprintf(f, "  %*s", (int) w[c + 1], buf);
    }
    fprintf(f, "  %*s  %8s\n", (int) w[n_cols + 1], "fit s", "peak MiB");

    for (a = 0; a < rep->n_results; a++) {
        const recsys_eval_result_t  *r = &rep->results[a];

        recsys_eval_text_label(r, buf, sizeof(buf));
        fprintf(f, "%-*s", (int) w[0], buf);

        for (c = 0; c < n_cols; c++) {
            recsys_eval_text_cell(r->metric[cols[c]], buf, sizeof(buf));
            fprintf(f, "  %*s", (int) w[c + 1], buf);
        }

        fprintf(f, "  %*.3f  %8.0f\n", (int) w[n_cols + 1], r->fit_seconds,
                r->peak_mib);

        if (rep->n_folds < 2) {
            continue;
        }

        fprintf(f, "%*s", (int) w[0], "+- s.d.");
        for (c = 0; c < n_cols; c++) {
            recsys_eval_text_cell(r->sd[cols[c]], buf, sizeof(buf));
            fprintf(f, "  %*s", (int) w[c + 1], buf);
        }
        fprintf(f, "\n");
    }

    recsys_eval_extra_print(rep, f);
}


/* jansson real, or null for NaN (JSON has no NaN) */
static json_t *
recsys_eval_json_real(double v)
{
    return isnan(v) || isinf(v) ? json_null() : json_real(v);
}


static json_t *
recsys_eval_json_metrics(const double *metric)
{
    int      c;
    json_t  *o;

    o = json_object();
    if (o == NULL) {
        return NULL;
    }

    for (c = 0; c < RECSYS_METRIC_N; c++) {
        if (json_object_set_new(o, recsys_metrics_name(c),
                                recsys_eval_json_real(metric[c])) != 0)
        {
            json_decref(o);
            return NULL;
        }
    }

    return o;
}


static json_t *
recsys_eval_json(const recsys_eval_report_t *rep)
{
    int       bad;
    json_t   *root, *splits, *results, *o, *folds;
    uint32_t  i, a;

    bad = 0;
    root = json_object();
    splits = json_array();
    results = json_array();

    if (root == NULL || splits == NULL || results == NULL) {
        json_decref(root);
        json_decref(splits);
        json_decref(results);
        return NULL;
    }

    bad |= json_object_set_new(root, "interactions",
                               rep->opts.interactions != NULL
                               ? json_string(rep->opts.interactions)
                               : json_null());
    bad |= json_object_set_new(root, "protocol", json_string(
                   recsys_eval_protocol_name(rep->opts.protocol)));
    bad |= json_object_set_new(root, "protocol_text", json_string(
                   recsys_eval_protocol_texts[rep->opts.protocol]));
    bad |= json_object_set_new(root, "validation",
                               json_boolean(rep->opts.validation));
    bad |= json_object_set_new(root, "k", json_integer(rep->opts.k));
    bad |= json_object_set_new(root, "seed", json_integer(rep->opts.seed));
    bad |= json_object_set_new(root, "folds", json_integer(rep->n_folds));
    bad |= json_object_set_new(root, "rows", json_integer(rep->rows));
    bad |= json_object_set_new(root, "users", json_integer(rep->users));
    bad |= json_object_set_new(root, "items", json_integer(rep->items));
    bad |= json_object_set_new(root, "seconds_ingest",
                               json_real(rep->seconds_ingest));
    bad |= json_object_set_new(root, "seconds", json_real(rep->seconds));

    for (i = 0; i < rep->n_folds; i++) {
        o = json_pack("{s:I,s:I,s:I,s:I,s:I}",
                      "train_rows", (json_int_t) rep->folds[i].train_rows,
                      "test_rows", (json_int_t) rep->folds[i].test_rows,
                      "train_items", (json_int_t) rep->folds[i].train_items,
                      "users_evaluated",
                      (json_int_t) rep->folds[i].users_evaluated,
                      "cold_users", (json_int_t) rep->folds[i].cold_users);
        bad |= json_array_append_new(splits, o);
    }

    for (a = 0; a < rep->n_results; a++) {
        const recsys_eval_result_t  *r = &rep->results[a];

        o = json_object();
        if (o == NULL) {
            bad = 1;
            break;
        }

        bad |= json_object_set_new(o, "algo", json_string(r->algo->name));
        bad |= json_object_set_new(o, "label", json_string(r->algo->label));
        bad |= json_object_set_new(o, "spec", json_string(r->spec));
        bad |= json_object_set_new(o, "params", r->params != NULL
                                   ? json_string(r->params) : json_null());
        bad |= json_object_set_new(o, "metrics",
                                   recsys_eval_json_metrics(r->metric));

        if (rep->n_folds > 1) {
            bad |= json_object_set_new(o, "sd",
                                       recsys_eval_json_metrics(r->sd));

            folds = json_array();
            for (i = 0; folds != NULL && i < rep->n_folds; i++) {
                bad |= json_array_append_new(folds,
                           recsys_eval_json_metrics(r->per_fold
                               + (size_t) i * RECSYS_METRIC_N));
            }

            bad |= json_object_set_new(o, "per_fold", folds);
        }

        bad |= json_object_set_new(o, "fit_seconds",
                                   json_real(r->fit_seconds));
        bad |= json_object_set_new(o, "peak_mib", json_real(r->peak_mib));
        bad |= json_object_set_new(o, "recommend_seconds",
                                   json_real(r->recommend_seconds));
        bad |= recsys_eval_extra_json_result(rep, a, o) != RECSYS_OK;
        bad |= json_array_append_new(results, o);
    }

    bad |= rep->n_results > 0
           && recsys_eval_extra_json_root(rep, root) != RECSYS_OK;
    bad |= json_object_set_new(root, "splits", splits);
    bad |= json_object_set_new(root, "results", results);

    if (bad) {
        json_decref(root);
        return NULL;
    }

    return root;
}


int
recsys_eval_write_json(const recsys_eval_report_t *rep, const char *path,
    char *err, size_t errlen)
{
    json_t  *root;

    root = recsys_eval_json(rep);
    if (root == NULL) {
        snprintf(err, errlen, "%s: building the JSON report: out of memory",
                 path);
        return RECSYS_ENOMEM;
    }

    if (json_dump_file(root, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER)
        != 0)
    {
        json_decref(root);
        snprintf(err, errlen, "%s: cannot write the JSON report", path);
        return RECSYS_EIO;
    }

    json_decref(root);

    return RECSYS_OK;
}


static const char  *recsys_eval_colors[] = {
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
    "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"
};

#define RECSYS_EVAL_N_COLORS                                                 \
    (sizeof(recsys_eval_colors) / sizeof(recsys_eval_colors[0]))


/* grouped bars: one group per metric, one bar per algorithm */
static void
recsys_eval_svg(const recsys_eval_report_t *rep, FILE *f)
{
    char      buf[512];
    double    top, v, sd, x, y, h, bar, group, width, height, plot_h, step;
    uint32_t  a, g, t, ticks;

    top = 0.0;
    for (a = 0; a < rep->n_results; a++) {
        for (g = 0; g < RECSYS_EVAL_N_CHARTED; g++) {
            v = rep->results[a].metric[recsys_eval_columns[g]]
                + rep->results[a].sd[recsys_eval_columns[g]];
            top = v > top ? v : top;
        }
    }

    top = ceil(top * 10.0) / 10.0;
    top = top < 0.1 ? 0.1 : (top > 1.0 ? 1.0 : top);

    bar = 18.0;
    group = bar * (rep->n_results ? rep->n_results : 1) + 28.0;
    plot_h = 240.0;
    width = 60.0 + group * RECSYS_EVAL_N_CHARTED + 20.0;
    height = plot_h + 40.0 + 30.0 + 22.0 * rep->n_results;

    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
            "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
            "aria-label=\"metrics by algorithm\" font-family=\"sans-serif\" "
            "font-size=\"12\">\n", width, height, width, height);

    /* the y axis: ticks every 0.1, 0.05 or 0.02, four to ten of them */
    step = top > 0.35 ? 0.1 : (top > 0.15 ? 0.05 : 0.02);
    ticks = (uint32_t) lround(top / step);

    for (t = 0; t <= ticks; t++) {
        y = 20.0 + plot_h - plot_h * (step * t) / top;
        fprintf(f, "<line x1=\"55\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#ddd\"/>\n", y, width - 20.0, y);
        fprintf(f, "<text x=\"50\" y=\"%.1f\" text-anchor=\"end\" "
                "dominant-baseline=\"middle\">%.2f</text>\n", y, step * t);
    }

    for (g = 0; g < RECSYS_EVAL_N_CHARTED; g++) {
        x = 60.0 + group * g + 14.0;

        for (a = 0; a < rep->n_results; a++) {
            const recsys_eval_result_t  *r = &rep->results[a];

            v = r->metric[recsys_eval_columns[g]];
            sd = r->sd[recsys_eval_columns[g]];
            v = isnan(v) ? 0.0 : v;
            h = plot_h * (v < top ? v : top) / top;
            y = 20.0 + plot_h - h;

            recsys_eval_text_label(r, buf, sizeof(buf));
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                    "height=\"%.1f\" fill=\"%s\"><title>", x + bar * a, y,
                    bar - 2.0, h,
                    recsys_eval_colors[a % RECSYS_EVAL_N_COLORS]);
            recsys_eval_text_html(f, buf);
            recsys_eval_header(rep, recsys_eval_columns[g], buf,
                               sizeof(buf));
            fprintf(f, " %s %.6f</title></rect>\n", buf, v);

            if (rep->n_folds > 1 && sd > 0.0) {
                double  cx = x + bar * a + (bar - 2.0) / 2.0;
                double  y0 = 20.0 + plot_h - plot_h * (v - sd) / top;
                double  y1 = 20.0 + plot_h - plot_h * (v + sd) / top;

                fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                        "y2=\"%.1f\" stroke=\"#333\"/>\n", cx,
                        y0 > 20.0 + plot_h ? 20.0 + plot_h : y0, cx,
                        y1 < 20.0 ? 20.0 : y1);
            }
        }

        recsys_eval_header(rep, recsys_eval_columns[g], buf, sizeof(buf));
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s"
                "</text>\n", x + bar * rep->n_results / 2.0,
                20.0 + plot_h + 18.0, buf);
    }

    fprintf(f, "<line x1=\"55\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"#333\"/>\n", 20.0 + plot_h, width - 20.0,
            20.0 + plot_h);

    /* the legend */
    for (a = 0; a < rep->n_results; a++) {
        y = 20.0 + plot_h + 40.0 + 22.0 * a;
        recsys_eval_text_label(&rep->results[a], buf, sizeof(buf));
        fprintf(f, "<rect x=\"60\" y=\"%.1f\" width=\"14\" height=\"14\" "
                "fill=\"%s\"/><text x=\"80\" y=\"%.1f\">", y,
                recsys_eval_colors[a % RECSYS_EVAL_N_COLORS], y + 11.0);
        recsys_eval_text_html(f, buf);
        fprintf(f, "</text>\n");
    }

    fprintf(f, "</svg>\n");
}


int
recsys_eval_write_html(const recsys_eval_report_t *rep, const char *path,
    char *err, size_t errlen)
{
    int       cols[RECSYS_EVAL_N_COLUMNS];
    char      buf[512];
    FILE     *f;
    size_t    n_cols, c;
    uint32_t  a;
    double    train, test, users;

    f = fopen(path, "w");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return RECSYS_EIO;
    }

    recsys_eval_fold_totals(rep, &train, &test, &users);

    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
            "<meta charset=\"utf-8\">\n<title>recsys offline evaluation"
            "</title>\n<style>\n"
            "body{font-family:sans-serif;margin:2em;color:#222}\n"
            "table{border-collapse:collapse;margin:1em 0}\n"
            "th,td{padding:4px 10px;border-bottom:1px solid #ddd}\n"
            "td{text-align:right;font-variant-numeric:tabular-nums}\n"
            "td:first-child,th:first-child{text-align:left}\n"
            ".sd{color:#777;font-size:90%%}\n"
            ".ns{color:#999;font-style:italic}\n"
            "</style>\n</head>\n<body>\n<h1>Offline evaluation</h1>\n<p>");
    recsys_eval_text_html(f, rep->opts.interactions != NULL
                             ? rep->opts.interactions : "-");
    fprintf(f, ": %llu rows, %u users, %u items.<br>\nProtocol <b>%s</b>: ",
            (unsigned long long) rep->rows, rep->users, rep->items,
            recsys_eval_protocol_name(rep->opts.protocol));
    recsys_eval_text_html(f, recsys_eval_protocol_texts[rep->opts.protocol]);

    if (rep->opts.protocol != RECSYS_EVAL_LOO
        && rep->opts.protocol != RECSYS_EVAL_TIME)
    {
        fprintf(f, " (seed %u)", rep->opts.seed);
    }

    fprintf(f, "; ");

    if (rep->n_folds == 1) {
        fprintf(f, "%.0f train rows, %.0f test rows, %.0f users evaluated, "
                "top %u.</p>\n", train, test, users, rep->opts.k);

    } else {
        fprintf(f, "%u folds, per fold %.0f train rows, %.0f test rows, "
                "%.0f users evaluated (means), top %u; cells show the mean "
                "and the standard deviation over folds.</p>\n", rep->n_folds,
                train / rep->n_folds, test / rep->n_folds,
                users / rep->n_folds, rep->opts.k);
    }

    n_cols = recsys_eval_shown(rep, cols);

    fprintf(f, "<table>\n<tr><th>algo</th>");
    for (c = 0; c < n_cols; c++) {
        recsys_eval_header(rep, cols[c], buf, sizeof(buf));
        fprintf(f, "<th>%s</th>", buf);
    }
    fprintf(f, "<th>fit s</th><th>peak MiB</th></tr>\n");

    for (a = 0; a < rep->n_results; a++) {
        const recsys_eval_result_t  *r = &rep->results[a];

        recsys_eval_text_label(r, buf, sizeof(buf));
        fprintf(f, "<tr><td>");
        recsys_eval_text_html(f, buf);
        fprintf(f, "</td>");

        for (c = 0; c < n_cols; c++) {
            recsys_eval_text_cell(r->metric[cols[c]], buf, sizeof(buf));
            fprintf(f, "<td>%s", buf);

            if (rep->n_folds > 1 && !isnan(r->sd[cols[c]])) {
                fprintf(f, "<br><span class=\"sd\">&plusmn;%.6f</span>",
                        r->sd[cols[c]]);
            }

            fprintf(f, "</td>");
        }

        fprintf(f, "<td>%.3f</td><td>%.0f</td></tr>\n", r->fit_seconds,
                r->peak_mib);
    }

    fprintf(f, "</table>\n");

    recsys_eval_svg(rep, f);
    recsys_eval_extra_html(rep, f);

    fprintf(f, "</body>\n</html>\n");

    if (ferror(f) | (fclose(f) != 0)) {
        snprintf(err, errlen, "%s: cannot write the HTML report", path);
        return RECSYS_EIO;
    }

    return RECSYS_OK;
}
