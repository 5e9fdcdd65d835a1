/*
 * test_metrics.c: unit test of the offline evaluation's parts: MT19937
 * against numpy, the split protocols on a ten-row log worked out by hand,
 * the ranking metrics on tiny lists, the double-precision top-k, and
 * MostPop and SAR on a seven-row log.  Prints TAP.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recsys_baseline.h"
#include "recsys_eval.h"
#include "recsys_ingest.h"
#include "recsys_metrics.h"
#include "recsys_mt19937.h"
#include "recsys_split.h"
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
    recsys_baseline_mostpop.score(state, 0, s);
    tap_ok(s[0] == 2 && s[1] == 2 && s[2] == 2 && s[3] == 1,
           "mostpop scores 2 2 2 1");
    recsys_baseline_mostpop.free(state);

    rc = recsys_baseline_sar.fit(&t, NULL, &state, err, sizeof(err));
    tap_is_int(rc, RECSYS_OK, "sar fit");
    recsys_baseline_sar.score(state, 0, s);
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
    recsys_baseline_sar.score(state, 0, s);
    tap_is_num(s[2], 4.0 / 3 + 1.0, T_EPS, "no decay: item 3 2.333333");
    recsys_baseline_sar.free(state);

    rc = recsys_baseline_sar.fit(&t, "alpha=1", &state, err, sizeof(err));
    tap_ok(rc == RECSYS_EINVAL && strstr(err, "alpha") != NULL,
           "sar refuses an unknown parameter: %s", err);

    recsys_train_free(&t);
    recsys_data_free(&d);
}


int
main(void)
{
    t_mt19937();
    t_splits();
    t_metrics();
    t_top_k();
    t_baselines();

    return tap_done();
}
