/*
 * test_metrics.c: unit test of the offline evaluation's parts: MT19937
 * against numpy, the split protocols on a ten-row log worked out by hand,
 * the ranking metrics on tiny lists, the double-precision top-k,
 * MostPop and SAR on a seven-row log, the temporal split, the
 * beyond-accuracy metrics worked out by hand, and the significance
 * tests against published and independently computed values.  Prints
 * TAP.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recsys_baseline.h"
#include "recsys_beyond.h"
#include "recsys_eval.h"
#include "recsys_ingest.h"
#include "recsys_metrics.h"
#include "recsys_mt19937.h"
#include "recsys_split.h"
#include "recsys_stats.h"
#include "recsys_status.h"
#include "recsys_train.h"
#include "tap.h"
#include "ingest_fixture.h"

#define T_EPS  1e-9


static void
t_mt19937(void)
{
    uint32_t     i, k, a[10];
    recsys_mt_t  g;

    /* numpy.random.seed(s); numpy.random.permutation(10) */
    static const struct {
        uint32_t     seed;
        uint32_t     perm[10];
        const char  *name;
    } perms[] = {
        { 42, { 8, 1, 5, 0, 7, 2, 9, 4, 3, 6 },
          "seed 42: shuffle(arange(10)) = 8 1 5 0 7 2 9 4 3 6" },
        { 0, { 2, 8, 4, 9, 1, 6, 7, 3, 0, 5 },
          "seed 0: shuffle(arange(10)) = 2 8 4 9 1 6 7 3 0 5" },
    };

    /* the reference generator's documented first output */
    recsys_mt_seed(&g, 5489);
    tap_is_int(recsys_mt_next(&g), 3499211612u,
               "init_genrand(5489): first output 3499211612");

    /* numpy.random.seed(42); numpy.random.rand(3) */
    recsys_mt_seed(&g, 42);
    tap_is_num(recsys_mt_double(&g), 0.37454012, 5e-9, "seed 42: 0.37454012");
    tap_is_num(recsys_mt_double(&g), 0.95071431, 5e-9, "seed 42: 0.95071431");
    tap_is_num(recsys_mt_double(&g), 0.73199394, 5e-9, "seed 42: 0.73199394");

    for (k = 0; k < sizeof(perms) / sizeof(perms[0]); k++) {
        recsys_mt_seed(&g, perms[k].seed);
        for (i = 0; i < 10; i++) {
            a[i] = i;
        }
        recsys_mt_shuffle(&g, a, 10);
        tap_ok(memcmp(a, perms[k].perm, sizeof(a)) == 0, "%s", perms[k].name);
    }
}


/*
 * Ten rows (user, item, ts); the draws of seed 42 in file order are
 *   row   0     1     2     3     4     5      6     7     8     9
 *   draw .3745 .9507 .7320 .5987 .1560 .15599 .0581 .8662 .6011 .7081
 */
static const recsys_event_t  t_rows[10] = {
    { 0, 0, 1, 0, 100 },    /* row 0: user 0, item X (0) */
    { 0, 1, 1, 0, 300 },    /* row 1: user 0, item Y (1) */
    { 0, 0, 1, 0, 300 },    /* row 2: user 0, item X */
    { 0, 0, 1, 0, 200 },    /* row 3: user 0, item X */
    { 0, 2, 1, 0, 50 },     /* row 4: user 0, item Z (2) */
    { 1, 0, 1, 0, 10 },     /* row 5: user 1, item X */
    { 1, 0, 1, 0, 20 },     /* row 6: user 1, item X */
    { 1, 1, 1, 0, 30 },     /* row 7: user 1, item Y */
    { 1, 0, 1, 0, 40 },     /* row 8: user 1, item X */
    { 2, 2, 1, 0, 60 }      /* row 9: user 2, item Z */
};


static void
t_tests(const uint8_t *test, char *buf)
{
    int  i;

    buf[0] = '\0';
    for (i = 0; i < 10; i++) {
        if (test[i] == RECSYS_SPLIT_TEST) {
            sprintf(buf + strlen(buf), "%s%d", buf[0] ? " " : "", i);
        }
    }
}


static void
t_splits(void)
{
    int      i;
    char     got[64];
    uint8_t  test[10];

    tap_is_int(recsys_split_train_size(0.75, 1), 1, "round(0.75) = 1");
    tap_is_int(recsys_split_train_size(0.75, 2), 2, "round(1.5) = 2");
    tap_is_int(recsys_split_train_size(0.75, 6), 4,
               "round(4.5) = 4: half to even");
    tap_is_int(recsys_split_train_size(0.75, 10), 8, "round(7.5) = 8");

    /*
     * P1, by item.  X has rows 0 2 3 5 6 8, by draw 6 5 0 3 8 2; 6 rows
     * keep round(4.5) = 4 in train, so 8 and 2 are test (half up would
     * keep 5 and test only 2).  Y (rows 1 7) and Z (rows 4 9) have 2 rows,
     * round(1.5) = 2: all train.
     */
    tap_is_int(recsys_split_p1(t_rows, 10, 3, 42, test), RECSYS_OK, "p1 ok");
    t_tests(test, got);
    tap_ok(strcmp(got, "2 8") == 0, "p1 test rows 2 8 (got %s)", got);

    /*
     * P2, by user.  User 0 (rows 0-4, by draw 4 0 3 2 1) keeps
     * round(3.75) = 4: row 1 is test.  User 1 (rows 5-8, by draw 6 5 8 7)
     * keeps 3: row 7 is test.  User 2 has one row: train.
     */
    tap_is_int(recsys_split_p2(t_rows, 10, 3, 42, test), RECSYS_OK, "p2 ok");
    t_tests(test, got);
    tap_ok(strcmp(got, "1 7") == 0, "p2 test rows 1 7 (got %s)", got);

    /*
     * Leave last out.  User 0's newest time, 300, is on rows 1 and 2: the
     * later line, 2, is test.  User 1: row 8.  User 2 has one row: train.
     */
    tap_is_int(recsys_split_loo(t_rows, 10, 3, test), RECSYS_OK, "loo ok");
    t_tests(test, got);
    tap_ok(strcmp(got, "2 8") == 0, "loo test rows 2 8 (got %s)", got);

    /*
     * 3 folds, seed 42: the permutation 8 1 5 0 7 2 9 4 3 6 cut 4 + 3 + 3,
     * as sklearn's KFold(3, shuffle=True, random_state=42).
     */
    tap_is_int(recsys_split_kfold(10, 3, 42, test), RECSYS_OK, "kfold ok");
    got[0] = '\0';
    for (i = 0; i < 10; i++) {
        sprintf(got + strlen(got), "%d", test[i]);
    }
    tap_ok(strcmp(got, "0012202101") == 0,
           "kfold folds by row 0012202101 (got %s)", got);

    tap_is_int(recsys_split_kfold(10, 1, 42, test), RECSYS_EINVAL,
               "kfold refuses 1 fold");
    tap_is_int(recsys_split_kfold(3, 4, 42, test), RECSYS_EINVAL,
               "kfold refuses more folds than rows");
}


static void
t_metrics(void)
{
    double                 avg[RECSYS_METRIC_RANKING_N], mean, sd;
    recsys_metrics_user_t  m[2], x;
    recsys_metrics_rating_t  r;

    static const uint32_t  a_ranked[] = { 10, 20, 30, 40, 50 };
    static const uint32_t  a_rel[] = { 20, 50, 70 };
    static const uint32_t  b_ranked[] = { 7 };
    static const uint32_t  b_rel[] = { 7 };
    static const uint32_t  c_ranked[] = { 1, 2 };
    static const uint32_t  c_rel[] = { 3 };
    static const uint32_t  d_ranked[] = { 4, 8 };
    static const uint32_t  d_rel[] = { 1, 4, 8, 9 };
    static const double    v[] = { 1, 2, 3, 4 };

    /*
     * k 5, hits at ranks 2 and 5 of 3 relevant:
     *   P = 2/5 = 0.4, R = 2/3, HR = 1,
     *   DCG = 1/ln 3 + 1/ln 6 = 0.910239 + 0.558111 = 1.468350,
     *   IDCG = 1/ln 2 + 1/ln 3 + 1/ln 4 = 1.442695 + 0.910239 + 0.721348
     *        = 3.074282, nDCG = 0.477624,
     *   AP = (1/2 + 2/5) / 3 = 0.3.
     */
    recsys_metrics_user(a_ranked, 5, 5, a_rel, 3, &m[0]);
    tap_is_int(m[0].hits, 2, "A: 2 hits");
    tap_is_num(m[0].v[RECSYS_METRIC_PRECISION], 0.4, T_EPS, "A: P@5 0.4");
    tap_is_num(m[0].v[RECSYS_METRIC_RECALL], 2.0 / 3, T_EPS, "A: R@5 2/3");
    tap_is_num(m[0].v[RECSYS_METRIC_NDCG], 0.4776237035, T_EPS,
               "A: nDCG@5 0.477624");
    tap_is_num(m[0].v[RECSYS_METRIC_MAP], 0.3, T_EPS, "A: AP 0.3");
    tap_is_num(m[0].v[RECSYS_METRIC_HIT_RATE], 1.0, T_EPS, "A: HR 1");

    /*
     * k 3 but a list of one, a hit: P = 1/3 (the empty places are
     * misses), R = 1, nDCG = (1/ln 2) / (1/ln 2) = 1, AP = 1.
     */
    recsys_metrics_user(b_ranked, 1, 3, b_rel, 1, &m[1]);
    tap_is_num(m[1].v[RECSYS_METRIC_PRECISION], 1.0 / 3, T_EPS,
               "B: short list, P@3 1/3");
    tap_is_num(m[1].v[RECSYS_METRIC_NDCG], 1.0, T_EPS, "B: nDCG@3 1");
    tap_is_num(m[1].v[RECSYS_METRIC_MAP], 1.0, T_EPS, "B: AP 1");

    /* no hit: everything 0 */
    recsys_metrics_user(c_ranked, 2, 2, c_rel, 1, &x);
    tap_ok(x.hits == 0 && x.v[RECSYS_METRIC_NDCG] == 0.0
           && x.v[RECSYS_METRIC_MAP] == 0.0
           && x.v[RECSYS_METRIC_HIT_RATE] == 0.0, "C: no hit, all zero");

    /*
     * k 2, both places hit, 4 relevant: P = 1, R = 1/2, nDCG = 1 (the
     * ideal list has only k places), AP = (1/1 + 2/2) / 4 = 0.5: divided
     * by |T| = 4, not by min(k, |T|) = 2.
     */
    recsys_metrics_user(d_ranked, 2, 2, d_rel, 4, &x);
    tap_is_num(x.v[RECSYS_METRIC_PRECISION], 1.0, T_EPS, "D: P@2 1");
    tap_is_num(x.v[RECSYS_METRIC_RECALL], 0.5, T_EPS, "D: R@2 0.5");
    tap_is_num(x.v[RECSYS_METRIC_NDCG], 1.0, T_EPS, "D: nDCG@2 1");
    tap_is_num(x.v[RECSYS_METRIC_MAP], 0.5, T_EPS, "D: AP 0.5 (over |T|)");

    tap_is_int(recsys_metrics_user(d_ranked, 2, 0, d_rel, 4, &x),
               RECSYS_EINVAL, "k 0 refused");
    tap_is_int(recsys_metrics_user(d_ranked, 2, 2, d_rel, 0, &x),
               RECSYS_EINVAL, "no relevant item refused");

    /* the mean of A and B: MAP (0.3 + 1) / 2, P (0.4 + 1/3) / 2 */
    recsys_metrics_average(m, 2, avg);
    tap_is_num(avg[RECSYS_METRIC_MAP], 0.65, T_EPS, "MAP of A, B 0.65");
    tap_is_num(avg[RECSYS_METRIC_PRECISION], (0.4 + 1.0 / 3) / 2, T_EPS,
               "P of A, B");

    tap_is_num(recsys_metrics_coverage(3, 12), 0.25, T_EPS, "coverage 3/12");
    tap_is_num(recsys_metrics_coverage(0, 0), 0.0, T_EPS, "coverage 0/0");

    /* errors 1, 1, 0: RMSE sqrt(2/3) = 0.816497, MAE 2/3 */
    memset(&r, 0, sizeof(r));
    tap_ok(isnan(recsys_metrics_rmse(&r)), "RMSE of nothing is NaN");
    recsys_metrics_rating_add(&r, 3, 4);
    recsys_metrics_rating_add(&r, 5, 4);
    recsys_metrics_rating_add(&r, 4, 4);
    tap_is_num(recsys_metrics_rmse(&r), 0.8164965809, T_EPS, "RMSE");
    tap_is_num(recsys_metrics_mae(&r), 2.0 / 3, T_EPS, "MAE");

    /* 1 2 3 4: mean 2.5, sample s.d. sqrt(5/3) = 1.290994 */
    recsys_metrics_mean_sd(v, 4, &mean, &sd);
    tap_is_num(mean, 2.5, T_EPS, "mean 2.5");
    tap_is_num(sd, 1.2909944487, T_EPS, "sample s.d. 1.290994");
}


static void
t_top_k(void)
{
    uint32_t              n, cand[8];
    double                s[8];
    recsys_eval_scored_t  top[8];

    /* ties go to the smaller item; -inf and NaN are never kept */
    s[0] = 0.5;
    s[1] = 0.9;
    s[2] = 0.5;
    s[3] = -INFINITY;
    s[4] = NAN;
    s[5] = 0.9;
    s[6] = 0.1;

    for (n = 0; n < 7; n++) {
        cand[n] = n;
    }

    n = recsys_eval_top_k(s, cand, 7, 3, top);
    tap_ok(n == 3 && top[0].item == 1 && top[1].item == 5
           && top[2].item == 0, "top 3: 1 5 0");

    n = recsys_eval_top_k(s, cand, 7, 8, top);
    tap_ok(n == 5 && top[3].item == 2 && top[4].item == 6,
           "top 8 of 5 usable: 1 5 0 2 6");

    /* scores a float would flush to zero still rank in double */
    s[0] = 1e-60;
    s[1] = 2e-60;
    n = recsys_eval_top_k(s, cand, 2, 1, top);
    tap_ok(n == 1 && top[0].item == 1, "2e-60 beats 1e-60");
}


/*
 * Seven rows, items 1..4 (indexes 0..3), t_max = 60 days, half life 30:
 *   u1: item 1 rating 4 at day 0   -> affinity 4 * 0.5^2 = 1
 *       item 2 rating 3 at day 30  -> affinity 3 * 0.5   = 1.5
 *   u2: items 1, 3 at day 60;  u3: items 2, 3, 4 at day 60.
 * U1 = {u1,u2}, U2 = {u1,u3}, U3 = {u2,u3}, U4 = {u3}: Jaccard
 *   sim(1,3) = 1/3, sim(2,3) = 1/3, sim(1,4) = 0, sim(2,4) = 1/2.
 * SAR for u1: item 3 = 1/3 + 1.5/3 = 0.833333, item 4 = 1.5/2 = 0.75.
 * MostPop: items 1, 2, 3 have 2 users, item 4 has 1.
 */
static const char  t_csv[] =
    "user,item,rating,timestamp\n"
    "u1,1,4,0\n"
    "u1,2,3,2592000\n"
    "u2,1,5,5184000\n"
    "u2,3,1,5184000\n"
    "u3,2,2,5184000\n"
    "u3,3,4,5184000\n"
    "u3,4,5,5184000\n";


static void
t_baselines(void)
{
    int                          fd, rc;
    char                         path[] = "/tmp/recsys-test-metrics-XXXXXX";
    char                         err[256];
    void                        *state;
    double                       s[4];
    uint32_t                     cand[4] = { 0, 1, 2, 3 }, n;
    recsys_data_t                d;
    recsys_train_t               t;
    recsys_eval_scored_t         top[4];

    fd = mkstemp(path);
    if (fd < 0 || write(fd, t_csv, sizeof(t_csv) - 1)
                  != (ssize_t) sizeof(t_csv) - 1)
    {
        tap_ok(0, "temporary file");
        return;
    }
    close(fd);

    rc = t_ingest_train(NULL, path, &d, &t, err, sizeof(err));

    unlink(path);
    tap_is_int(rc, RECSYS_OK, "tiny log ingested and laid out");
    if (rc != RECSYS_OK) {
        recsys_data_free(&d);
        return;
    }

    rc = recsys_baseline_mostpop.fit(&t, NULL, &state, err, sizeof(err));
    tap_is_int(rc, RECSYS_OK, "mostpop fit");
    recsys_baseline_mostpop.score(state, 0, 4, s);
    tap_ok(s[0] == 2 && s[1] == 2 && s[2] == 2 && s[3] == 1,
           "mostpop scores 2 2 2 1");
    recsys_baseline_mostpop.free(state);

    rc = recsys_baseline_sar.fit(&t, NULL, &state, err, sizeof(err));
    tap_is_int(rc, RECSYS_OK, "sar fit");
    recsys_baseline_sar.score(state, 0, 4, s);
    tap_is_num(s[2], 1.0 / 3 + 1.5 / 3, T_EPS, "sar u1 item 3: 0.833333");
    tap_is_num(s[3], 0.75, T_EPS, "sar u1 item 4: 0.75");
    tap_is_num(s[0], 1.0 + 1.5 / 3, T_EPS, "sar u1 item 1 (seen): 1.5");

    s[0] = -INFINITY;
    s[1] = -INFINITY;
    n = recsys_eval_top_k(s, cand, 4, 4, top);
    tap_ok(n == 2 && top[0].item == 2 && top[1].item == 3,
           "sar u1 unseen: item 3 then item 4");
    recsys_baseline_sar.free(state);

    /* without decay: item 3 = 4/3 + 3/3, item 4 = 3/2 */
    rc = recsys_baseline_sar.fit(&t, "half_life=0", &state, err,
                                 sizeof(err));
    tap_is_int(rc, RECSYS_OK, "sar fit, half_life=0");
    recsys_baseline_sar.score(state, 0, 4, s);
    tap_is_num(s[2], 4.0 / 3 + 1.0, T_EPS, "no decay: item 3 2.333333");
    recsys_baseline_sar.free(state);

    rc = recsys_baseline_sar.fit(&t, "alpha=1", &state, err, sizeof(err));
    tap_ok(rc == RECSYS_EINVAL && strstr(err, "alpha") != NULL,
           "sar refuses an unknown parameter: %s", err);

    recsys_train_free(&t);
    recsys_data_free(&d);
}


/*
 * The global temporal split on the ten rows.  Their times sorted:
 * 10 20 30 40 50 60 100 200 300 300.
 *   share 0.2: m = 2, cutoff the 2nd newest, 300: rows 1 2;
 *   share 0.3: m = 3, cutoff 200: rows 1 2 3;
 *   share 0.1: m = 1, cutoff 300, which row 1 shares: rows 1 2 (a time
 *              is never on both sides);
 *   --cutoff 60: rows at 60 or later: 0 (100), 1, 2, 3 (200), 9 (60).
 */
static void
t_split_time(void)
{
    char            got[64];
    int64_t         at;
    uint8_t         test[10];
    recsys_event_t  rows[10];

    tap_is_int(recsys_split_time(t_rows, 10, 0, 0.2, test, &at), RECSYS_OK,
               "time split ok");
    t_tests(test, got);
    tap_ok(strcmp(got, "1 2") == 0 && at == 300,
           "share 0.2: cutoff 300, test rows 1 2 (got %s, %lld)", got,
           (long long) at);

    recsys_split_time(t_rows, 10, 0, 0.3, test, &at);
    t_tests(test, got);
    tap_ok(strcmp(got, "1 2 3") == 0 && at == 200,
           "share 0.3: cutoff 200, test rows 1 2 3 (got %s)", got);

    recsys_split_time(t_rows, 10, 0, 0.1, test, &at);
    t_tests(test, got);
    tap_ok(strcmp(got, "1 2") == 0,
           "share 0.1: the cutoff's tie goes to test, rows 1 2 (got %s)",
           got);

    recsys_split_time(t_rows, 10, 60, 0.2, test, &at);
    t_tests(test, got);
    tap_ok(strcmp(got, "0 1 2 3 9") == 0 && at == 60,
           "cutoff 60: test rows 0 1 2 3 9 (got %s)", got);

    tap_is_int(recsys_split_time(t_rows, 10, 0, 1.0, test, &at),
               RECSYS_EINVAL, "time split refuses share 1");

    memcpy(rows, t_rows, sizeof(rows));
    rows[4].ts = RECSYS_NO_TIME;
    tap_is_int(recsys_split_time(rows, 10, 0, 0.2, test, &at),
               RECSYS_EINVAL, "time split refuses a row without time");
}


/* a csr of rows given as (feature, weight) pairs, -1 ending a row */
static void
t_csr(recsys_csr_t *c, uint32_t n_rows, const double *spec)
{
    uint32_t  r, e;

    recsys_csr_alloc(c, n_rows, 16);
    e = 0;

    for (r = 0; r < n_rows; r++) {
        c->offsets[r] = e;

        for ( ; *spec >= 0; spec += 2) {
            c->entries[e].item = (uint32_t) spec[0];
            c->entries[e++].score = (float) spec[1];
        }

        spec++;
    }

    c->offsets[n_rows] = e;
    c->n_entries = e;
}


static void
t_beyond(void)
{
    double           v[RECSYS_BEYOND_USER_N], g, h, dc;
    uint8_t          tail[7];
    uint32_t         out[4], n;
    recsys_csr_t     genres, vec;
    recsys_beyond_t  b;

    static const uint32_t  pop_a[7] = { 50, 30, 10, 5, 3, 2, 0 };
    static const uint32_t  pop_b[4] = { 10, 10, 10, 10 };

    /* genres: item 0 {A, B}, 1 {A}, 2 {C}, 3 none */
    static const double  gspec[] = {
        0, 1, 1, 1, -1,   0, 1, -1,   2, 1, -1,   -1
    };

    /* vectors: v0 (.6, .8, 0), v1 (1, 0, 0), v2 (0, 3, 4) */
    static const double  vspec[] = {
        0, 0.6, 1, 0.8, -1,   0, 1, -1,   1, 3, 2, 4, -1
    };

    static const uint32_t  rel[2] = { 2, 3 };
    static const uint32_t  list[3] = { 1, 3, 2 };
    static const uint32_t  base[4] = { 0, 2, 4, 1 };
    static const uint32_t  by_pop[5] = { 0, 2, 4, 1, 3 };
    static const recsys_entry_t  seen[2] = { { 2, 1.0f }, { 4, 1.0f } };
    static const uint32_t  c1[4] = { 0, 1, 1, 2 };
    static const uint32_t  c2[3] = { 3, 3, 3 };
    static const uint32_t  c3[4] = { 0, 0, 0, 5 };
    static const uint32_t  l012[3] = { 0, 1, 2 }, l013[3] = { 0, 1, 3 };
    static const uint32_t  l579[3] = { 5, 7, 9 }, r9[1] = { 9 };

    /*
     * Long tail: pops 50 30 10 5 3 2 0 sum to 100; the head takes 50, then
     * 30 (80 reaches 80%): items 0 1.  The tail is 2 3 4 5 (20 of 100);
     * item 6, never seen, is neither.
     */
    n = recsys_beyond_long_tail(pop_a, 7, 0.8, tail);
    tap_ok(n == 2 && !tail[0] && !tail[1] && tail[2] && tail[3] && tail[4]
           && tail[5] && !tail[6], "long tail of 50 30 10 5 3 2 0: 2 3 4 5");

    /* four equal items: 10 20 30 stay below 32, the fourth reaches it */
    n = recsys_beyond_long_tail(pop_b, 4, 0.8, tail);
    tap_ok(n == 4 && !tail[0] && !tail[3], "four equal items: all head");

    /* reciprocal rank */
    tap_is_num(recsys_beyond_rr(l579, 3, 3, r9, 1), 1.0 / 3, T_EPS,
               "RR: relevant at rank 3 is 1/3");
    tap_is_num(recsys_beyond_rr(l579, 3, 2, r9, 1), 0.0, T_EPS,
               "RR: beyond k is 0");

    /*
     * ILD over genres.  cos(0, 1) = 1 / sqrt(2 * 1) = .707107, the other
     * pairs share nothing: (0.292893 + 1 + 1) / 3 = 0.764298.  With item
     * 3 (no genres) instead of 2 only the pair (0, 1) is left: 0.292893.
     */
    t_csr(&genres, 4, gspec);
    tap_is_num(recsys_beyond_ild(&genres, l012, 3),
               (3.0 - 1.0 / sqrt(2.0)) / 3.0, 1e-12,
               "ILD genres of 0 1 2: 0.764298");
    tap_is_num(recsys_beyond_ild(&genres, l013, 3), 1.0 - 1.0 / sqrt(2.0),
               1e-12, "ILD genres of 0 1 3: an empty item's pairs left out");
    tap_ok(isnan(recsys_beyond_ild(&genres, l013 + 2, 1)),
           "ILD of one item: none");
    tap_ok(isnan(recsys_beyond_ild(NULL, l012, 3)), "ILD without vectors");

    /*
     * ILD over weighted vectors: cos(v0, v1) = .6, cos(v0, v2) =
     * 2.4 / 5 = .48, cos(v1, v2) = 0: (.4 + .52 + 1) / 3 = 0.64.
     */
    t_csr(&vec, 3, vspec);
    tap_is_num(recsys_beyond_ild(&vec, l012, 3), 0.64, 1e-7,
               "ILD of weighted vectors: 0.64");

    /*
     * One user, by hand: U = 8, pop 8 4 2 1 1, items 3 4 in the tail;
     * list 1 3 2 (k 4, one place empty), relevant 2 3, MostPop list
     * 0 2 4 1.
     *   MRR          item 3 at rank 2: 0.5
     *   novelty      -log2(4/8), -log2(1/8), -log2(2/8) = 1 3 2: 2
     *   ARP          (4 + 1 + 2) / 3 = 2.333333
     *   APLT         item 3: 1/3
     *   serendipity  hits 3 and 2, 2 is in the MostPop list: 1 / k = 0.25
     */
    memset(&b, 0, sizeof(b));
    b.n_items = 5;
    b.n_users = 8;
    b.pop = (uint32_t []) { 8, 4, 2, 1, 1 };
    b.tail = (uint8_t []) { 0, 0, 0, 1, 1 };
    b.by_pop = (uint32_t *) by_pop;
    b.n_by_pop = 5;
    b.genres = &genres;

    recsys_beyond_user(&b, list, 3, 4, rel, 2, base, 4, v);
    tap_is_num(v[RECSYS_BEYOND_MRR], 0.5, T_EPS, "user MRR 0.5");
    tap_is_num(v[RECSYS_BEYOND_NOVELTY], 2.0, T_EPS, "user novelty 2 bits");
    tap_is_num(v[RECSYS_BEYOND_ARP], 7.0 / 3, T_EPS, "user ARP 2.333333");
    tap_is_num(v[RECSYS_BEYOND_APLT], 1.0 / 3, T_EPS, "user APLT 1/3");
    tap_is_num(v[RECSYS_BEYOND_SERENDIPITY], 0.25, T_EPS,
               "user serendipity 0.25");

    /* ILD genres of 1 3 2: item 3 has none; cos(1, 2) = 0: 1 */
    tap_is_num(v[RECSYS_BEYOND_ILD_GENRE], 1.0, T_EPS, "user ILD genre 1");
    tap_ok(isnan(v[RECSYS_BEYOND_ILD_CONTENT]), "user ILD content: none");

    /* the MostPop list of a user who has seen 2 and 4: 0 1 3 */
    n = recsys_beyond_pop_list(&b, seen, 2, 3, out);
    tap_ok(n == 3 && out[0] == 0 && out[1] == 1 && out[2] == 3,
           "MostPop list without the seen items: 0 1 3");

    /*
     * Exposure 0 1 1 2: sum (2i - 5) c_(i) = -1 + 1 + 6 = 6, Gini =
     * 6 / (4 * 4) = 0.375; p = 1/4 1/4 1/2: entropy 1.5 bits, over
     * log2 4 = 2: 0.75.
     */
    recsys_beyond_exposure(c1, 4, &g, &h, &dc);
    tap_is_num(g, 0.375, T_EPS, "Gini of 0 1 1 2: 0.375");
    tap_is_num(h, 1.5, T_EPS, "entropy of 0 1 1 2: 1.5 bits");
    tap_is_num(dc, 0.75, T_EPS, "distributional coverage 0.75");

    recsys_beyond_exposure(c2, 3, &g, &h, &dc);
    tap_ok(fabs(g) < T_EPS && fabs(h - log2(3.0)) < T_EPS
           && fabs(dc - 1.0) < T_EPS, "equal exposure: Gini 0, entropy "
           "log2 3, coverage 1");

    /* one item takes all: Gini (n - 1) / n = 0.75, entropy 0 */
    recsys_beyond_exposure(c3, 4, &g, &h, &dc);
    tap_ok(fabs(g - 0.75) < T_EPS && h == 0.0 && dc == 0.0,
           "one item shown: Gini 0.75, entropy 0");

    recsys_csr_free(&genres);
    recsys_csr_free(&vec);
}


/* I_x(a, b) for whole a, b: the binomial tail sum_{j >= a} */
static double
t_beta_binomial(int a, int b, double x)
{
    int     j, n;
    double  s, c;

    n = a + b - 1;
    s = 0.0;

    for (j = a; j <= n; j++) {
        c = exp(lgamma(n + 1.0) - lgamma(j + 1.0) - lgamma(n - j + 1.0));
        s += c * pow(x, j) * pow(1.0 - x, n - j);
    }

    return s;
}


/* Student's t CDF by Simpson's rule over the density, from 0 to t */
static double
t_t_cdf_simpson(double t, double df)
{
    int     i, n;
    double  c, h, s, x, f;

    c = exp(lgamma((df + 1) / 2) - lgamma(df / 2)) / sqrt(df * M_PI);
    n = 20000;
    h = t / n;
    s = 0.0;

    for (i = 0; i <= n; i++) {
        x = i * h;
        f = c * pow(1.0 + x * x / df, -(df + 1) / 2);
        s += f * (i == 0 || i == n ? 1 : (i % 2 ? 4 : 2));
    }

    return 0.5 + s * h / 3.0;
}


/*
 * Student's sleep data (Cushny and Peebles), the extra hours of sleep of
 * ten patients under two drugs; R's documented example
 *   t.test(extra ~ group, data = sleep, paired = TRUE):
 *     t = -4.0621, df = 9, p-value = 0.002833
 *   wilcox.test(extra ~ group, data = sleep, paired = TRUE):
 *     V = 0, p-value = 0.009091 (normal approximation: ties and a zero)
 * By hand for Wilcoxon: differences -1.2 -2.4 -1.3 -1.3 0 -1 -1.8 -.8
 * -4.6 -1.4; the zero is dropped, m = 9, no positive one: W+ = 0; mean
 * 22.5, variance 9 * 10 * 19 / 24 - (2^3 - 2) / 48 = 71.125 (the tie
 * 1.3 1.3); z = (0 - 22.5 + 0.5) / sqrt(71.125) = -2.608629.
 */
static void
t_stats(void)
{
    int                    i;
    double                 t, p, w, z, lo, hi, lo2, hi2, d[100];
    size_t                 nz;
    recsys_stats_paired_t  s;

    static const double  g1[10] = {
        0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0
    };
    static const double  g2[10] = {
        1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4
    };
    static const double  d5[5] = { 1, -2, 3, 4, 5 };

    tap_is_num(recsys_stats_normal_cdf(0.0), 0.5, 1e-15, "Phi(0) = 0.5");
    tap_is_num(recsys_stats_normal_cdf(1.959963984540054), 0.975, 1e-12,
               "Phi(1.959964) = 0.975");
    tap_is_num(recsys_stats_normal_cdf(-1.0), 0.15865525393145705, 1e-14,
               "Phi(-1) = 0.158655");

    /* closed forms: I_x(a, 1) = x^a, I_x(1, b) = 1 - (1-x)^b, I_.5(a, a) */
    tap_is_num(recsys_stats_beta_inc(2.5, 1.0, 0.3), pow(0.3, 2.5), 1e-13,
               "I_.3(2.5, 1) = .3^2.5");
    tap_is_num(recsys_stats_beta_inc(1.0, 4.2, 0.7), 1.0 - pow(0.3, 4.2),
               1e-13, "I_.7(1, 4.2) = 1 - .3^4.2");
    tap_is_num(recsys_stats_beta_inc(3.7, 3.7, 0.5), 0.5, 1e-13,
               "I_.5(3.7, 3.7) = 0.5");
    tap_is_num(recsys_stats_beta_inc(2, 3, 0.4), 0.5248, 1e-13,
               "I_.4(2, 3) = 0.5248 (binomial sum by hand)");
    tap_is_num(recsys_stats_beta_inc(7, 12, 0.35),
               t_beta_binomial(7, 12, 0.35), 1e-12,
               "I_.35(7, 12) equals its binomial sum");

    /* t with 1 df is Cauchy, with 2 df t / (2 sqrt(2 + t^2)) + 1/2 */
    tap_is_num(recsys_stats_t_cdf(1.7, 1), 0.5 + atan(1.7) / M_PI, 1e-13,
               "t CDF, 1 df: Cauchy");
    tap_is_num(recsys_stats_t_cdf(-2.3, 2),
               0.5 - 2.3 / (2 * sqrt(2 + 2.3 * 2.3)), 1e-13,
               "t CDF, 2 df: closed form");
    tap_is_num(recsys_stats_t_cdf(-4.0621, 9),
               1.0 - t_t_cdf_simpson(4.0621, 9), 1e-9,
               "t CDF, 9 df: equals Simpson's rule over the density");
    tap_is_num(recsys_stats_t_cdf(1.5, 1e7), recsys_stats_normal_cdf(1.5),
               1e-6, "t CDF, 1e7 df: the normal");

    for (i = 0; i < 10; i++) {
        d[i] = g1[i] - g2[i];
    }

    recsys_stats_ttest(d, 10, &t, &p);
    tap_is_num(t, -4.0621, 5e-5, "sleep: t = -4.0621");
    tap_is_num(p, 0.002833, 5e-7, "sleep: paired t-test p = 0.002833");

    tap_is_int(recsys_stats_wilcoxon(d, 10, &w, &z, &p, &nz), RECSYS_OK,
               "wilcoxon ok");
    tap_ok(w == 0.0 && nz == 9, "sleep: V = 0 over 9 non-zero pairs");
    tap_is_num(z, -22.0 / sqrt(71.125), 1e-12, "sleep: z = -2.608629");
    tap_is_num(p, 0.009091, 5e-7, "sleep: Wilcoxon p = 0.009091");

    /* 1 -2 3 4 5: ranks 1..5, W+ = 13; mean 7.5, variance 13.75 */
    recsys_stats_wilcoxon(d5, 5, &w, &z, &p, &nz);
    tap_ok(w == 13.0, "W+ of 1 -2 3 4 5 is 13");
    tap_is_num(z, 5.0 / sqrt(13.75), 1e-12, "z = (13 - 7.5 - .5) / 3.708");

    recsys_stats_paired(g1, g2, 10, 1000, 7, &s);
    tap_ok(s.n == 10 && s.n_nonzero == 9
           && fabs(s.diff - (-1.58)) < 1e-12
           && fabs(s.mean_a - 0.75) < 1e-12 && fabs(s.mean_b - 2.33) < 1e-12,
           "paired: means 0.75 2.33, difference -1.58");
    tap_ok(s.ci_lo < s.diff && s.diff < s.ci_hi && s.ci_hi < 0,
           "paired: the bootstrap interval holds the mean, below 0 "
           "(%g, %g)", s.ci_lo, s.ci_hi);

    /* the bootstrap: a constant, then 0..99 (se of the mean 2.8866) */
    for (i = 0; i < 100; i++) {
        d[i] = 0.25;
    }
    recsys_stats_bootstrap(d, 100, 500, 1, &lo, &hi);
    tap_ok(lo == 0.25 && hi == 0.25, "bootstrap of a constant: itself");

    for (i = 0; i < 100; i++) {
        d[i] = i;
    }
    recsys_stats_bootstrap(d, 100, 4000, 1, &lo, &hi);
    tap_ok(fabs(lo - (49.5 - 1.96 * 2.8866)) < 0.6
           && fabs(hi - (49.5 + 1.96 * 2.8866)) < 0.6,
           "bootstrap of 0..99: about 49.5 -+ 5.66 (%g, %g)", lo, hi);
    recsys_stats_bootstrap(d, 100, 4000, 1, &lo2, &hi2);
    tap_ok(lo2 == lo && hi2 == hi, "bootstrap: the same seed, the same");

    /* degenerate: identical values */
    recsys_stats_ttest(d5, 1, &t, &p);
    tap_ok(isnan(t) && isnan(p), "t-test of one pair: none");
    for (i = 0; i < 4; i++) {
        d[i] = 0.0;
    }
    recsys_stats_ttest(d, 4, &t, &p);
    recsys_stats_wilcoxon(d, 4, &w, &z, &p, &nz);
    tap_ok(t == 0.0 && p == 1.0 && nz == 0, "all differences 0: p 1");
}


int
main(void)
{
    t_mt19937();
    t_splits();
    t_metrics();
    t_top_k();
    t_baselines();
    t_split_time();
    t_beyond();
    t_stats();

    return tap_done();
}
