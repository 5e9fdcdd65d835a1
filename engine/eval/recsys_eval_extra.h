/*
 * recsys_eval_extra.h: what the evaluation runner (recsys_eval.c) reports
 * beyond its accuracy table: the beyond-accuracy metrics of every list
 * (recsys_beyond.h), the per-user values they and the ranking metrics
 * come from, cold users, and the paired significance tests of every
 * algorithm against a baseline (recsys_stats.h); in the text table, the
 * JSON and HTML reports, and as a per-user CSV file.
 *
 * Per-user values are kept for every evaluated (fold, user) pair, in the
 * order the runner evaluates them (fold by fold, users ascending), so
 * every algorithm's value i belongs to the same pair: the tests pair by
 * position.  Under kfold a user is a pair once per fold.
 */

#ifndef RECSYS_EVAL_EXTRA_H
#define RECSYS_EVAL_EXTRA_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "recsys_beyond.h"
#include "recsys_content.h"
#include "recsys_eval.h"


/* a fold's popularity facts and item vectors */
typedef struct {
    recsys_beyond_t   beyond;
    recsys_content_t  content;
    int               has_content;
} recsys_eval_extra_t;

/* one algorithm's lists on a fold, as the runner made them */
typedef struct {
    const uint32_t               *users;     /* evaluated, ascending */
    uint32_t                      n_users;
    const uint32_t               *lists;     /* k slots per user */
    const uint32_t               *list_len;
    uint32_t                      k;
    const uint32_t               *test_off;  /* per user index */
    const uint32_t               *test_item;
    const uint32_t               *cand;      /* items with a train row */
    uint32_t                      n_cand;
    const recsys_metrics_user_t  *per_user;
} recsys_eval_lists_t;


/*
 * The fold's context: popularity from train, genres from its catalog,
 * content vectors (recsys_content.h: TF-IDF over genres and title words
 * with the content model's default weights, unit length) when d has a
 * catalog.  RECSYS_OK or RECSYS_ENOMEM; free whatever the result.
 */
int recsys_eval_extra_init(recsys_eval_extra_t *x, const recsys_data_t *d,
    const recsys_train_t *train);
void recsys_eval_extra_free(recsys_eval_extra_t *x);

/*
 * Makes room for a fold's evaluated users (after the pairs of earlier
 * folds) in rep and every result, and counts the fold's cold users.
 * RECSYS_OK or RECSYS_ENOMEM.
 */
int recsys_eval_extra_grow(recsys_eval_report_t *rep, uint32_t fold,
    const uint32_t *users, uint32_t n_users, const recsys_train_t *train);

/*
 * The per-user values of one algorithm's lists (the fold's pairs are the
 * last l->n_users of rep) and its beyond-accuracy figures of the fold.
 * RECSYS_OK or RECSYS_ENOMEM.
 */
int recsys_eval_extra_algo(const recsys_eval_extra_t *x,
    recsys_eval_report_t *rep, recsys_eval_result_t *r, uint32_t fold,
    const recsys_eval_lists_t *l, const recsys_train_t *train);

/*
 * rep->baseline from o->baseline: the first result whose spec equals it,
 * else the first whose algorithm name does; the first result when NULL.
 * RECSYS_OK, or RECSYS_EINVAL with the reason in err.
 */
int recsys_eval_extra_baseline(recsys_eval_report_t *rep, const char *name,
    char *err, size_t errlen);

/*
 * After the folds: fold means and deviations of the beyond metrics,
 * nDCG of warm and cold users, the tests against the baseline (bootstrap
 * seeded from the split's seed).  RECSYS_OK or RECSYS_ENOMEM.
 */
int recsys_eval_extra_finish(recsys_eval_report_t *rep);

/* The cutoff and cold-user lines under the split summary. */
void recsys_eval_extra_print_split(const recsys_eval_report_t *rep,
    FILE *f);

/* The beyond-accuracy and significance tables. */
void recsys_eval_extra_print(const recsys_eval_report_t *rep, FILE *f);

/* Adds the extra members to the report's root and to result a's object. */
int recsys_eval_extra_json_root(const recsys_eval_report_t *rep,
    json_t *root);
int recsys_eval_extra_json_result(const recsys_eval_report_t *rep,
    uint32_t a, json_t *o);

/* The beyond-accuracy and significance tables of the HTML page. */
void recsys_eval_extra_html(const recsys_eval_report_t *rep, FILE *f);

/*
 * --per-user FILE: one CSV row per evaluated (fold, user) pair and
 * algorithm, the user by its external id from d.  "path: why" in err.
 */
int recsys_eval_extra_write_users(const recsys_eval_report_t *rep,
    const recsys_data_t *d, const char *path, char *err, size_t errlen);

#endif /* RECSYS_EVAL_EXTRA_H */
