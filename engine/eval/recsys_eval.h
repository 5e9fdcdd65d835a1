/*
 * recsys_eval.h: honest offline evaluation of recommenders.
 *
 * `recsys-build eval` splits a log into train and test rows
 * (recsys_split.h), fits every requested algorithm on the train rows only,
 * asks it for a top-k list for every user who has test rows, and scores
 * the lists against those rows (recsys_metrics.h).  One rule set for every
 * algorithm, so their numbers compare:
 *
 *   train data   recsys_train_t built from the train rows alone, over the
 *                index space of the whole log (an item seen only in test
 *                has an empty by_item row);
 *   candidates   every item with a train row, minus the user's own train
 *                items;
 *   ranking      higher score first, equal scores to the smaller item index
 *                (= the smaller numeric id), in double precision;
 *   relevance    binary: the distinct items of the user's test rows that
 *                are not among the user's train items (a repeated (user,
 *                item) split across train and test is no candidate, so
 *                not relevant either);
 *   users        every user with at least one relevant item, averaged
 *                equally.
 *
 * Plugging in an algorithm: write a recsys_recommender_t (below) and add it
 * to the registry in recsys_eval.c.  Its fit() sees the train data and its
 * own parameter string; its score() fills a dense score vector for one
 * user.  The runner does candidates, ranking, metrics and timing, so an
 * algorithm cannot grade itself by other rules.
 */

#ifndef RECSYS_EVAL_H
#define RECSYS_EVAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "recsys_beyond.h"
#include "recsys_ingest.h"
#include "recsys_metrics.h"
#include "recsys_model.h"
#include "recsys_stats.h"
#include "recsys_train.h"

#define RECSYS_EVAL_MAX_K      1000
#define RECSYS_EVAL_MAX_ALGOS  64


/*
 * A recommender as the runner drives it.
 *
 *   fit        learns from train, which stays valid and unchanged until
 *              free(); params is the text after "name:" in --algos, or
 *              NULL.  Returns RECSYS_OK with *state, or a status with the
 *              reason in err (e.g. "sar: unknown parameter \"x\"").
 *   score      writes scores[0 .. train->n_items) for user (any user index
 *              below train->n_users, also one without train rows).  Every
 *              entry must be written; -INFINITY or NaN means "never
 *              recommend".  The runner keeps the best k (--k): a
 *              recommender that makes lists asks for at least k items.
 *              Called from several threads at once on one state, which
 *              must therefore be read-only after fit.
 *   predict    the predicted rating of (user, item), for RMSE and MAE; NULL
 *              for algorithms that only rank.
 *   free       releases state; NULL-safe.
 */
typedef struct {
    const char  *name;          /* the --algos word: "mostpop" */
    const char  *label;         /* for tables: "MostPop" */

    int        (*fit)(const recsys_train_t *train, const char *params,
                      void **state, char *err, size_t errlen);
    int        (*score)(const void *state, uint32_t user, uint32_t k,
                        double *scores);
    int        (*predict)(const void *state, uint32_t user, uint32_t item,
                          double *rating);
    void       (*free)(void *state);
} recsys_recommender_t;


/* an entry of a double-precision top-k list */
typedef struct {
    uint32_t  item;
    double    score;
} recsys_eval_scored_t;


typedef enum {
    RECSYS_EVAL_P1 = 0,         /* stratified by item, 75% train */
    RECSYS_EVAL_P2,             /* stratified by user, 75% train */
    RECSYS_EVAL_LOO,            /* each user's newest row is test */
    RECSYS_EVAL_KFOLD,          /* k-fold over rows */
    RECSYS_EVAL_TIME            /* global temporal split */
} recsys_eval_protocol_t;

/* per-user values: the ranking metrics, then the beyond-accuracy ones */
#define RECSYS_EVAL_UV_N  (RECSYS_METRIC_RANKING_N + RECSYS_BEYOND_USER_N)

/* the comparisons against the baseline: per-user nDCG@k and AP */
#define RECSYS_EVAL_VS_NDCG  0
#define RECSYS_EVAL_VS_MAP   1
#define RECSYS_EVAL_VS_N     2

typedef struct {
    const char              *interactions;  /* shown in reports only */
    recsys_eval_protocol_t   protocol;
    uint32_t                 k;             /* list length, 1..MAX_K */
    uint32_t                 folds;         /* kfold only */
    uint32_t                 seed;
    const char              *algos;         /* "mostpop,sar:half_life=7" */
    int                      validation;    /* carve from train, below */
    int                      quiet;         /* the command: no table */
    uint64_t                 cutoff;        /* time: test from this Unix
                                               time; 0: by test_share */
    double                   test_share;    /* time: share of test rows */
    const char              *baseline;      /* spec or name; NULL: the
                                               first algorithm */
} recsys_eval_opts_t;

/* one train/test split (one fold) */
typedef struct {
    uint64_t  train_rows;
    uint64_t  test_rows;
    uint32_t  train_items;      /* items with a train row */
    uint32_t  users_evaluated;  /* users with a relevant item */
    uint32_t  cold_users;       /* of them, users without a train row */
} recsys_eval_fold_t;

/* an evaluated user of a fold */
typedef struct {
    uint32_t  fold;
    uint32_t  user;             /* the user index */
    uint32_t  cold;             /* 1: the user has no train row */
} recsys_eval_pair_t;

typedef struct {
    const recsys_recommender_t  *algo;
    char                        *spec;      /* as given: "sar:half_life=7" */
    const char                  *params;    /* inside spec, or NULL */
    double                       metric[RECSYS_METRIC_N];   /* fold mean */
    double                       sd[RECSYS_METRIC_N];       /* fold s.d. */
    double                      *per_fold;  /* folds x RECSYS_METRIC_N */
    double                       fit_seconds;       /* fold mean */
    double                       peak_mib;  /* largest resident set while
                                               fitting and recommending,
                                               0 when unknown */
    double                       recommend_seconds; /* fold mean */
    int                          predicts;  /* RMSE/MAE present */
    double                       beyond[RECSYS_BEYOND_N];   /* fold mean */
    double                       beyond_sd[RECSYS_BEYOND_N];
    double                      *beyond_fold;   /* folds x BEYOND_N */
    double                      *user_vals;     /* n_eval x UV_N */
    double                       ndcg_warm;     /* users with train rows */
    double                       ndcg_cold;     /* users without */
    recsys_stats_paired_t        vs[RECSYS_EVAL_VS_N];  /* - baseline */
} recsys_eval_result_t;

typedef struct {
    recsys_eval_opts_t     opts;
    uint64_t               rows;
    uint32_t               users;
    uint32_t               items;
    uint32_t               n_folds;
    recsys_eval_fold_t    *folds;
    uint32_t               n_results;
    recsys_eval_result_t  *results;
    double                 seconds_ingest;  /* set by the caller */
    double                 seconds;     /* split + fit + recommend */
    uint32_t               n_eval;      /* (fold, user) pairs evaluated */
    recsys_eval_pair_t    *pairs;       /* n_eval, fold by fold */
    uint32_t               baseline;    /* the results' index */
    int64_t                cutoff;      /* time: the cutoff applied */
} recsys_eval_report_t;


/* What the module serves, built per split (recsys_eval_served.c). */
extern const recsys_recommender_t  recsys_served_itemcf;
extern const recsys_recommender_t  recsys_served_usercf;
extern const recsys_recommender_t  recsys_served_content;
extern const recsys_recommender_t  recsys_served_cluster;
extern const recsys_recommender_t  recsys_served_assoc;
extern const recsys_recommender_t  recsys_served_markov;
extern const recsys_recommender_t  recsys_served_hmm;
extern const recsys_recommender_t  recsys_served_gru;
extern const recsys_recommender_t  recsys_served_lstm;
extern const recsys_recommender_t  recsys_served_ease;
extern const recsys_recommender_t  recsys_served_rp3beta;
extern const recsys_recommender_t  recsys_served_als;
extern const recsys_recommender_t  recsys_model_ease;
extern const recsys_recommender_t  recsys_model_als;
extern const recsys_recommender_t  recsys_model_rp3;
extern const recsys_recommender_t  recsys_served_popular;
extern const recsys_recommender_t  recsys_served_trending;
extern const recsys_recommender_t  recsys_served_hybrid;

extern const recsys_eval_opts_t  recsys_eval_default;

/*
 * The protocol's split of d's rows into assign[0 .. n_events): the test
 * rows are those equal to *test_value (for kfold the first fold's).  A
 * second pass (validation, on train rows) of the time protocol always
 * splits by o->test_share.  The time protocol's cutoff goes to *cutoff.
 * RECSYS_OK, RECSYS_EINVAL (time: a row without timestamp) or
 * RECSYS_ENOMEM.
 */
int recsys_eval_split(const recsys_data_t *d, const recsys_eval_opts_t *o,
    int second_pass, uint8_t *assign, uint8_t *test_value, int64_t *cutoff);

/*
 * A user's relevant items from the items of their test rows, items[0 .. n)
 * in increasing order (repeats allowed): keeps in place, in order, each
 * distinct item that is not among the user's train items (a repeated
 * (user, item) split across train and test is no candidate of the user,
 * so it cannot be relevant either); returns how many.
 */
uint32_t recsys_eval_relevant(const recsys_train_t *train, uint32_t user,
    uint32_t *items, uint32_t n);

/* The model file a fitted served recommender opened (its state). */
recsys_model_t *recsys_served_model(const void *state);

/* "p1" ... "kfold" and back; -1 / NULL when unknown. */
int recsys_eval_protocol_parse(const char *s);
const char *recsys_eval_protocol_name(recsys_eval_protocol_t p);

/* The registered algorithm called name, or NULL. */
const recsys_recommender_t *recsys_eval_find(const char *name, size_t len);

/*
 * Checks an --algos list without running anything: RECSYS_OK, or
 * RECSYS_EINVAL naming the unknown algorithm in err.  Parameters are
 * checked by each algorithm's fit().
 */
int recsys_eval_check_algos(const char *algos, char *err, size_t errlen);

/*
 * Validation (o->validation): the protocol splits d as usual, then only
 * its train rows are kept (in file order) and split again by the same
 * protocol and seed; algorithms are scored on that second split, so
 * choosing settings by these figures never looks at the test rows.  For
 * kfold, fold 0's train rows are split into folds again.
 *
 * Runs the evaluation of d (ingested and finished) under o.  The report is
 * filled even for zero users evaluated.  RECSYS_OK, or a status with the
 * reason in err: RECSYS_EINVAL (bad options, unknown algorithm, an
 * algorithm refusing its parameters), RECSYS_ENOMEM.  Free the report with
 * recsys_eval_report_free() whatever the result.
 */
int recsys_eval_run(const recsys_data_t *d, const recsys_eval_opts_t *o,
    recsys_eval_report_t *rep, char *err, size_t errlen);
void recsys_eval_report_free(recsys_eval_report_t *rep);


/*
 * eval --diversity LIST (recsys_eval_diversity.c): the served hybrid at
 * each diversity setting of LIST ("0,0.25,0.5"), one split, k from o; a
 * table of nDCG@k, coverage, intra-list diversity and novelty to f.
 * RECSYS_OK, or a status with the reason in err.
 */
int recsys_eval_diversity(const recsys_data_t *d, const recsys_eval_opts_t *o,
    const char *list, FILE *f, char *err, size_t errlen);

/* The aligned table for people. */
void recsys_eval_print(const recsys_eval_report_t *rep, FILE *f);

/* JSON and the self-contained HTML page; "path: why" in err on failure. */
int recsys_eval_write_json(const recsys_eval_report_t *rep, const char *path,
    char *err, size_t errlen);
int recsys_eval_write_html(const recsys_eval_report_t *rep, const char *path,
    char *err, size_t errlen);

/*
 * The best k candidates of a dense score vector: items from candidates[0 ..
 * n) whose score is neither NaN nor -INFINITY, higher score first, equal
 * scores to the smaller item index.  heap has room for k entries and holds
 * the result, best first; returns its length.
 */
uint32_t recsys_eval_top_k(const double *scores, const uint32_t *candidates,
    uint32_t n, uint32_t k, recsys_eval_scored_t *heap);

/*
 * The `recsys-build eval` command (recsys_eval_main.c): argv holds the
 * words after "eval".  Returns the exit code: 0, 1 for a failed run, 2 for
 * a bad command line; errors go to stderr as "recsys-build: ...".
 */
int recsys_eval_main(int argc, char **argv);

/* The options of `recsys-build eval` with their defaults, to f. */
void recsys_eval_help(FILE *f);

#endif /* RECSYS_EVAL_H */
