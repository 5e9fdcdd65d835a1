/*
 * recsys_eval_main.c: the `recsys-build eval` command.
 *
 *   recsys-build eval --interactions FILE [--items FILE]
 *       [--protocol p1|p2|loo|kfold|time] [--k 10] [--folds 5] [--seed 42]
 *       [--cutoff TS | --test-share 0.2] [--baseline ALGO]
 *       [--algos mostpop,sar[:half_life=DAYS]] [--json OUT.json]
 *       [--html OUT.html] [--per-user OUT.csv] [--save-split DIR]
 *       [--validation | --tune] [--quiet]
 *
 * Parses the flags, ingests the log, runs recsys_eval_run() and writes the
 * reports.  The table goes to stdout (unless --quiet); every error is one
 * line on stderr, "recsys-build: ...", with exit code 2 for a bad command
 * line and 1 for a failed run.
 *
 * --save-split DIR also writes the protocol's split as two CSV files,
 * DIR/train.csv and DIR/test.csv (the first fold for kfold), so that a
 * model built from train.csv by `recsys-build build` can be served and
 * scored against test.csv by an outside client (bench/quality.sh).
 *
 * Settings may list alternatives, "ease:ease_lambda=100|500|1000": each is
 * evaluated (a grid).  --validation scores on a split carved from the
 * train rows only; --tune does that for the grid, keeps each algorithm's
 * best setting and then scores those on the test rows.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "recsys_clock.h"
#include "recsys_eval.h"
#include "recsys_eval_extra.h"
#include "recsys_eval_text.h"
#include "recsys_ingest.h"
#include "recsys_opt.h"
#include "recsys_progress.h"
#include "recsys_split.h"
#include "recsys_status.h"


typedef struct {
    recsys_eval_opts_t   o;
    const char          *items;
    const char          *json;
    const char          *html;
    const char          *save_split;
    const char          *per_user;
    const char          *diversity;
    int                  tune;
} recsys_eval_main_t;


static int recsys_eval_main_protocol(void *field, const char *s, size_t len);
static void recsys_eval_main_show_protocol(const void *field, char *buf,
    size_t size);


#define recsys_eo(field)  offsetof(recsys_eval_main_t, field)

/* the options of `recsys-build eval` */
static const recsys_opt_t  recsys_eval_main_options[] = {
    recsys_opt_required("interactions", recsys_eo(o.interactions), "FILE",
                        "the interaction log"),
    recsys_opt_row("items", NULL, RECSYS_OPT_STR, recsys_eo(items), 0, 0,
                   "FILE", "item catalog, CSV or JSON Lines"),
    { "protocol", NULL, RECSYS_OPT_FN, recsys_eo(o.protocol), 0, 0,
      "p1|p2|loo|kfold|time", "how the log is split", NULL,
      recsys_eval_main_protocol, recsys_eval_main_show_protocol,
      "one of p1, p2, loo, kfold, time", 0 },
    recsys_opt_row("k", NULL, RECSYS_OPT_U32, recsys_eo(o.k), 1,
                   RECSYS_EVAL_MAX_K, "K", "list length the metrics read"),
    recsys_opt_row("folds", NULL, RECSYS_OPT_U32, recsys_eo(o.folds), 2,
                   RECSYS_SPLIT_MAX_FOLDS, "N", "folds of kfold"),
    recsys_opt_row("seed", NULL, RECSYS_OPT_U32, recsys_eo(o.seed), 0,
                   4294967295.0, "S", "seed of the split"),
    recsys_opt_row("cutoff", NULL, RECSYS_OPT_U64, recsys_eo(o.cutoff), 0,
                   9.2e18, "TS", "time: test rows from this Unix time, "
                   "0: by --test-share"),
    recsys_opt_row("test-share", NULL, RECSYS_OPT_DOUBLE,
                   recsys_eo(o.test_share), 0.000001, 0.999999, "F",
                   "time: the newest share of rows is test"),
    recsys_opt_row("algos", NULL, RECSYS_OPT_STR, recsys_eo(o.algos), 0, 0,
                   "A[:SETTINGS],...", "algorithms and their settings"),
    recsys_opt_row("baseline", NULL, RECSYS_OPT_STR, recsys_eo(o.baseline),
                   0, 0, "ALGO", "what the tests compare against (the "
                   "first of --algos)"),
    recsys_opt_row("json", NULL, RECSYS_OPT_STR, recsys_eo(json), 0, 0,
                   "FILE", "write the report as JSON"),
    recsys_opt_row("html", NULL, RECSYS_OPT_STR, recsys_eo(html), 0, 0,
                   "FILE", "write the report as an HTML page"),
    recsys_opt_row("per-user", NULL, RECSYS_OPT_STR, recsys_eo(per_user),
                   0, 0, "FILE", "write one CSV row per user and algorithm"),
    recsys_opt_row("save-split", NULL, RECSYS_OPT_STR, recsys_eo(save_split),
                   0, 0, "DIR", "write the split as train.csv, test.csv"),
    recsys_opt_row("validation", NULL, RECSYS_OPT_ON, recsys_eo(o.validation),
                   0, 1, NULL, "score on a split of the train rows"),
    recsys_opt_row("tune", NULL, RECSYS_OPT_ON, recsys_eo(tune), 0, 1, NULL,
                   "pick each grid's best on validation, then test"),
    recsys_opt_row("quiet", NULL, RECSYS_OPT_ON, recsys_eo(o.quiet), 0, 1,
                   NULL, "print no table"),
    recsys_opt_row("diversity", NULL, RECSYS_OPT_STR, recsys_eo(diversity),
                   0, 0, "D,D,...", "the served hybrid at these diversity "
                   "settings instead"),
    recsys_opt_null
};


static int
recsys_eval_main_protocol(void *field, const char *s, size_t len)
{
    int  p;

    (void) len;

    p = recsys_eval_protocol_parse(s);
    if (p < 0) {
        return RECSYS_EINVAL;
    }

    *(recsys_eval_protocol_t *) field = (recsys_eval_protocol_t) p;

    return RECSYS_OK;
}


static void
recsys_eval_main_show_protocol(const void *field, char *buf, size_t size)
{
    snprintf(buf, size, "%s", recsys_eval_protocol_name(
                                  *(const recsys_eval_protocol_t *) field));
}


static void
recsys_eval_main_defaults(recsys_eval_main_t *m)
{
    memset(m, 0, sizeof(recsys_eval_main_t));
    m->o = recsys_eval_default;
}


void
recsys_eval_help(FILE *f)
{
    recsys_eval_main_t  m;

    recsys_eval_main_defaults(&m);
    recsys_opt_help(f, recsys_eval_main_options, &m);
}


/*
 * Writes a value as the shortest plain decimal (no exponent: the ingest
 * reads none) that reads back as the same float.
 */
static void
recsys_eval_main_value(FILE *f, float v)
{
    int   prec;
    char  buf[64];

    for (prec = 0; prec < 12; prec++) {
        snprintf(buf, sizeof(buf), "%.*f", prec, (double) v);

        if ((float) strtod(buf, NULL) == v) {
            break;
        }
    }

    fputs(buf, f);
}


/*
 * Writes the rows with (assign[i] == test_value) == want_test to path, in
 * file order, as user,item[,rating][,timestamp] with a header and the
 * original external ids.  A column the log did not have is left out, so
 * a model built from the file sees the same rows.
 */
static int
recsys_eval_main_write_rows(const recsys_data_t *d, const uint8_t *assign,
    uint8_t test_value, int want_test, int has_ts, const char *path,
    char *err, size_t errlen)
{
    FILE                  *f;
    size_t                 i, len;
    const char            *key;
    const recsys_event_t  *e;

    f = fopen(path, "w");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        return RECSYS_EIO;
    }

    fprintf(f, "user,item%s%s\n", d->has_rating ? ",rating" : "",
            has_ts ? ",timestamp" : "");

    for (i = 0; i < d->n_events; i++) {
        if ((assign[i] == test_value) != want_test) {
            continue;
        }

        e = &d->events[i];

        key = recsys_dict_key(&d->users, e->user, &len);
        recsys_eval_text_csv(f, key, len);
        fputc(',', f);

        key = recsys_dict_key(&d->items, e->item, &len);
        recsys_eval_text_csv(f, key, len);

        if (d->has_rating) {
            fputc(',', f);
            recsys_eval_main_value(f, e->value);
        }

        if (has_ts) {
            fputc(',', f);
            if (e->ts != RECSYS_NO_TIME) {
                fprintf(f, "%lld", (long long) e->ts);
            }
        }

        fputc('\n', f);
    }

    if (ferror(f)) {
        fclose(f);
        snprintf(err, errlen, "%s: write failed", path);
        return RECSYS_EIO;
    }

    if (fclose(f) != 0) {
        snprintf(err, errlen, "%s: write failed: %s", path, strerror(errno));
        return RECSYS_EIO;
    }

    return RECSYS_OK;
}


/*
 * --save-split DIR: the split recsys_eval_run() makes for o (the same
 * split functions, seed and index spaces), as DIR/train.csv and
 * DIR/test.csv.  For kfold the test rows are fold 0, as in the first fold
 * of the evaluation.
 */
static int
recsys_eval_main_save_split(const recsys_data_t *d,
    const recsys_eval_opts_t *o, const char *dir, char *err, size_t errlen)
{
    int       rc, has_ts;
    char      path[4200];
    size_t    i;
    int64_t   cutoff;
    uint8_t  *assign, test_value;

    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create: %s", dir, strerror(errno));
        return RECSYS_EIO;
    }

    assign = malloc(d->n_events ? d->n_events : 1);
    if (assign == NULL) {
        snprintf(err, errlen, "out of memory");
        return RECSYS_ENOMEM;
    }

    rc = recsys_eval_split(d, o, 0, assign, &test_value, &cutoff);

    if (rc != RECSYS_OK) {
        free(assign);
        snprintf(err, errlen, "splitting: %s", recsys_strerror(rc));
        return rc;
    }

    has_ts = 0;
    for (i = 0; i < d->n_events; i++) {
        if (d->events[i].ts != RECSYS_NO_TIME) {
            has_ts = 1;
            break;
        }
    }

    snprintf(path, sizeof(path), "%s/train.csv", dir);
    rc = recsys_eval_main_write_rows(d, assign, test_value, 0, has_ts, path,
                                     err, errlen);

    if (rc == RECSYS_OK) {
        snprintf(path, sizeof(path), "%s/test.csv", dir);
        rc = recsys_eval_main_write_rows(d, assign, test_value, 1, has_ts,
                                         path, err, errlen);
    }

    free(assign);

    return rc;
}


/*
 * --tune: every algorithm (grid points included) is scored on the
 * validation split carved from the protocol's train rows; for each
 * algorithm name the setting with the best nDCG@k there (the first on a
 * tie) is kept, and *chosen is the --algos list of those, for the run on
 * the test rows.  The validation table is printed unless --quiet.
 */
static int
recsys_eval_main_tune(const recsys_data_t *d, const recsys_eval_opts_t *o,
    char **chosen, char *err, size_t errlen)
{
    int                    rc;
    char                  *out;
    size_t                 len;
    uint32_t               a, b, best;
    recsys_eval_opts_t     vo;
    recsys_eval_report_t   rep;
    const recsys_eval_result_t  *r;

    vo = *o;
    vo.validation = 1;

    rc = recsys_eval_run(d, &vo, &rep, err, errlen);
    if (rc != RECSYS_OK) {
        recsys_eval_report_free(&rep);
        return rc;
    }

    if (!o->quiet) {
        recsys_eval_print(&rep, stdout);
        printf("\n");
    }

    len = 1;
    for (a = 0; a < rep.n_results; a++) {
        len += strlen(rep.results[a].spec) + 1;
    }

    out = malloc(len);
    if (out == NULL) {
        recsys_eval_report_free(&rep);
        snprintf(err, errlen, "out of memory");
        return RECSYS_ENOMEM;
    }

    out[0] = '\0';

    for (a = 0; a < rep.n_results; a++) {
        r = &rep.results[a];

        /* once per algorithm name, at its first grid point */
        for (b = 0; b < a && rep.results[b].algo != r->algo; b++) {
            /* void */
        }

        if (b < a) {
            continue;
        }

        best = a;
        for (b = a + 1; b < rep.n_results; b++) {
            if (rep.results[b].algo == r->algo
                && rep.results[b].metric[RECSYS_METRIC_NDCG]
                   > rep.results[best].metric[RECSYS_METRIC_NDCG])
            {
                best = b;
            }
        }

        if (out[0] != '\0') {
            strcat(out, ",");
        }

        strcat(out, rep.results[best].spec);
    }

    if (!o->quiet) {
        printf("chosen on validation (best nDCG@%u): %s\n\n", o->k, out);
    }

    recsys_eval_report_free(&rep);
    *chosen = out;

    return RECSYS_OK;
}


/* Reads the catalog and the log of m into d; 0, or the exit code. */
static int
recsys_eval_main_ingest(recsys_data_t *d, const recsys_eval_main_t *m,
    double *seconds)
{
    int     rc;
    char    err[1024];
    double  t0;

    t0 = recsys_clock_now();

    if (recsys_data_init(d) != RECSYS_OK) {
        fprintf(stderr, "recsys-build: out of memory\n");
        return 1;
    }

    rc = RECSYS_OK;

    if (m->items != NULL) {
        rc = recsys_ingest_catalog(d, m->items, err, sizeof(err));
    }

    if (rc == RECSYS_OK) {
        rc = recsys_ingest_interactions(d, m->o.interactions, err,
                                        sizeof(err));
    }

    if (rc == RECSYS_OK) {
        rc = recsys_ingest_finish(d, err, sizeof(err));
    }

    *seconds = recsys_clock_now() - t0;

    if (rc != RECSYS_OK) {
        recsys_data_free(d);
        fprintf(stderr, "recsys-build: %s\n", err);
        return 1;
    }

    if (d->n_events == 0) {
        recsys_data_free(d);
        fprintf(stderr, "recsys-build: %s: no interactions to evaluate\n",
                m->o.interactions);
        return 1;
    }

    return 0;
}


/* Saves the split, tunes, evaluates and reports; RECSYS_OK or why in err. */
static int
recsys_eval_main_run(const recsys_data_t *d, recsys_eval_main_t *m,
    double t_ingest, char *err, size_t errlen)
{
    int                   rc;
    char                 *chosen;
    recsys_eval_report_t  rep;

    chosen = NULL;

    if (m->diversity != NULL) {
        return recsys_eval_diversity(d, &m->o, m->diversity, stdout, err,
                                     errlen);
    }

    if (m->save_split != NULL) {
        rc = recsys_eval_main_save_split(d, &m->o, m->save_split, err,
                                         errlen);
        if (rc != RECSYS_OK) {
            return rc;
        }
    }

    if (m->tune) {
        rc = recsys_eval_main_tune(d, &m->o, &chosen, err, errlen);
        if (rc != RECSYS_OK) {
            return rc;
        }

        m->o.algos = chosen;
        m->o.validation = 0;
    }

    rc = recsys_eval_run(d, &m->o, &rep, err, errlen);
    rep.seconds_ingest = t_ingest;

    if (rc == RECSYS_OK && !m->o.quiet) {
        recsys_eval_print(&rep, stdout);
        printf("\nseconds: ingest %.3f, evaluation %.3f\n",
               rep.seconds_ingest, rep.seconds);
    }

    if (rc == RECSYS_OK && m->json != NULL) {
        rc = recsys_eval_write_json(&rep, m->json, err, errlen);
    }

    if (rc == RECSYS_OK && m->html != NULL) {
        rc = recsys_eval_write_html(&rep, m->html, err, errlen);
    }

    if (rc == RECSYS_OK && m->per_user != NULL) {
        rc = recsys_eval_extra_write_users(&rep, d, m->per_user, err,
                                           errlen);
    }

    recsys_eval_report_free(&rep);
    free(chosen);

    return rc;
}


int
recsys_eval_main(int argc, char **argv)
{
    int                 rc;
    char                err[1024];
    double              t_ingest;
    recsys_data_t       d;
    recsys_eval_main_t  m;

    recsys_eval_main_defaults(&m);

    if (recsys_opt_argv(recsys_eval_main_options, &m, argc, argv, err,
                        sizeof(err))
        != RECSYS_OK)
    {
        fprintf(stderr, "recsys-build: eval: %s\n", err);
        return 2;
    }

    if (recsys_eval_check_algos(m.o.algos, err, sizeof(err)) != RECSYS_OK) {
        fprintf(stderr, "recsys-build: eval: %s\n", err);
        return 2;
    }

    recsys_progress_setup(m.o.quiet);

    rc = recsys_eval_main_ingest(&d, &m, &t_ingest);
    if (rc != 0) {
        return rc;
    }

    rc = recsys_eval_main_run(&d, &m, t_ingest, err, sizeof(err));
    recsys_data_free(&d);

    if (rc != RECSYS_OK) {
        fprintf(stderr, "recsys-build: eval: %s\n", err);
        return rc == RECSYS_EINVAL ? 2 : 1;
    }

    return 0;
}
