/*
 * recsys_eval_main.c: the `recsys-build eval` command.
 *
 *   recsys-build eval --interactions FILE [--items FILE]
 *       [--protocol p1|p2|loo|kfold] [--k 10] [--folds 5] [--seed 42]
 *       [--algos mostpop,sar[:half_life=DAYS]] [--json OUT.json]
 *       [--html OUT.html] [--save-split DIR] [--validation | --tune]
 *       [--quiet]
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
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "recsys_eval.h"
#include "recsys_ingest.h"
#include "recsys_split.h"
#include "recsys_status.h"


static const char  recsys_eval_usage[] =
    "usage: recsys-build eval --interactions FILE [--items FILE]\n"
    "        [--protocol p1|p2|loo|kfold] [--k 10] [--folds 5] [--seed 42]\n"
    "        [--algos mostpop,sar] [--json OUT.json] [--html OUT.html]\n"
    "        [--save-split DIR] [--validation | --tune] [--quiet]\n"
    "  settings may list alternatives for a grid: "
    "itemcf:shrink=0|10|50,neighbors=50|100\n";


/* A whole number in [min, max], or 0 after printing why. */
static int
recsys_eval_main_number(const char *flag, const char *s, unsigned long min,
    unsigned long max, uint32_t *out)
{
    char               *end;
    unsigned long long  v;

    errno = 0;
    v = (s[0] >= '0' && s[0] <= '9') ? strtoull(s, &end, 10) : 0;

    if (s[0] < '0' || s[0] > '9' || errno != 0 || *end != '\0' || v < min
        || v > max)
    {
        fprintf(stderr, "recsys-build: eval: %s must be a whole number from "
                "%lu to %lu\n", flag, min, max);
        return 0;
    }

    *out = (uint32_t) v;

    return 1;
}


static double
recsys_eval_main_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


/*
 * Writes an id as one CSV field: as it is, or quoted (RFC 4180) when it
 * holds a comma, a quote, a line break or surrounding space.
 */
static void
recsys_eval_main_field(FILE *f, const char *s, size_t len)
{
    size_t  i;
    int     quote;

    quote = len == 0 || s[0] == ' ' || s[len - 1] == ' ';

    for (i = 0; i < len && !quote; i++) {
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n'
                || s[i] == '\t';
    }

    if (!quote) {
        fwrite(s, 1, len, f);
        return;
    }

    fputc('"', f);

    for (i = 0; i < len; i++) {
        if (s[i] == '"') {
            fputc('"', f);
        }

        fputc(s[i], f);
    }

    fputc('"', f);
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
        recsys_eval_main_field(f, key, len);
        fputc(',', f);

        key = recsys_dict_key(&d->items, e->item, &len);
        recsys_eval_main_field(f, key, len);

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

    test_value = RECSYS_SPLIT_TEST;

    switch (o->protocol) {
    case RECSYS_EVAL_P1:
        rc = recsys_split_p1(d->events, d->n_events, d->items.n, o->seed,
                             assign);
        break;
    case RECSYS_EVAL_P2:
        rc = recsys_split_p2(d->events, d->n_events, d->users.n, o->seed,
                             assign);
        break;
    case RECSYS_EVAL_LOO:
        rc = recsys_split_loo(d->events, d->n_events, d->users.n, assign);
        break;
    default:
        rc = recsys_split_kfold(d->n_events, o->folds, o->seed, assign);
        test_value = 0;
        break;
    }

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


int
recsys_eval_main(int argc, char **argv)
{
    int                   i, p, rc, tune;
    char                  err[1024], *chosen;
    double                t0, t_ingest;
    const char           *items, *json, *html, *save_split;
    recsys_data_t         d;
    recsys_eval_opts_t    o;
    recsys_eval_report_t  rep;

    recsys_eval_defaults(&o);
    tune = 0;
    chosen = NULL;
    items = NULL;
    json = NULL;
    html = NULL;
    save_split = NULL;

    for (i = 0; i < argc; i++) {
        const char  *flag = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(flag, "--quiet") == 0) {
            o.quiet = 1;
            continue;
        }

        if (strcmp(flag, "--validation") == 0) {
            o.validation = 1;
            continue;
        }

        if (strcmp(flag, "--tune") == 0) {
            tune = 1;
            continue;
        }

        if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
            fputs(recsys_eval_usage, stdout);
            return 0;
        }

        if (strncmp(flag, "--", 2) != 0) {
            fprintf(stderr, "recsys-build: eval: unexpected argument \"%s\""
                    "\n%s", flag, recsys_eval_usage);
            return 2;
        }

        if (val == NULL) {
            fprintf(stderr, "recsys-build: eval: %s needs a value\n", flag);
            return 2;
        }

        i++;

        if (strcmp(flag, "--interactions") == 0) {
            o.interactions = val;

        } else if (strcmp(flag, "--items") == 0) {
            items = val;

        } else if (strcmp(flag, "--json") == 0) {
            json = val;

        } else if (strcmp(flag, "--html") == 0) {
            html = val;

        } else if (strcmp(flag, "--save-split") == 0) {
            save_split = val;

        } else if (strcmp(flag, "--algos") == 0) {
            o.algos = val;

        } else if (strcmp(flag, "--protocol") == 0) {
            p = recsys_eval_protocol_parse(val);
            if (p < 0) {
                fprintf(stderr, "recsys-build: eval: --protocol must be p1, "
                        "p2, loo or kfold\n");
                return 2;
            }

            o.protocol = (recsys_eval_protocol_t) p;

        } else if (strcmp(flag, "--k") == 0) {
            if (!recsys_eval_main_number(flag, val, 1, RECSYS_EVAL_MAX_K,
                                         &o.k))
            {
                return 2;
            }

        } else if (strcmp(flag, "--folds") == 0) {
            if (!recsys_eval_main_number(flag, val, 2, RECSYS_SPLIT_MAX_FOLDS,
                                         &o.folds))
            {
                return 2;
            }

        } else if (strcmp(flag, "--seed") == 0) {
            if (!recsys_eval_main_number(flag, val, 0, 4294967295UL,
                                         &o.seed))
            {
                return 2;
            }

        } else {
            fprintf(stderr, "recsys-build: eval: unknown flag %s\n%s", flag,
                    recsys_eval_usage);
            return 2;
        }
    }

    if (o.interactions == NULL) {
        fprintf(stderr, "recsys-build: eval needs --interactions FILE\n%s",
                recsys_eval_usage);
        return 2;
    }

    if (recsys_eval_check_algos(o.algos, err, sizeof(err)) != RECSYS_OK) {
        fprintf(stderr, "recsys-build: eval: %s\n", err);
        return 2;
    }

    t0 = recsys_eval_main_now();

    if (recsys_data_init(&d) != RECSYS_OK) {
        fprintf(stderr, "recsys-build: out of memory\n");
        return 1;
    }

    rc = RECSYS_OK;

    if (items != NULL) {
        rc = recsys_ingest_catalog(&d, items, err, sizeof(err));
    }

    if (rc == RECSYS_OK) {
        rc = recsys_ingest_interactions(&d, o.interactions, err,
                                        sizeof(err));
    }

    if (rc == RECSYS_OK) {
        rc = recsys_ingest_finish(&d, err, sizeof(err));
    }

    t_ingest = recsys_eval_main_now() - t0;

    if (rc != RECSYS_OK) {
        recsys_data_free(&d);
        fprintf(stderr, "recsys-build: %s\n", err);
        return 1;
    }

    if (d.n_events == 0) {
        recsys_data_free(&d);
        fprintf(stderr, "recsys-build: %s: no interactions to evaluate\n",
                o.interactions);
        return 1;
    }

    if (save_split != NULL) {
        rc = recsys_eval_main_save_split(&d, &o, save_split, err,
                                         sizeof(err));
        if (rc != RECSYS_OK) {
            recsys_data_free(&d);
            fprintf(stderr, "recsys-build: eval: %s\n", err);
            return 1;
        }
    }

    if (tune) {
        rc = recsys_eval_main_tune(&d, &o, &chosen, err, sizeof(err));
        if (rc != RECSYS_OK) {
            recsys_data_free(&d);
            fprintf(stderr, "recsys-build: eval: %s\n", err);
            return rc == RECSYS_EINVAL ? 2 : 1;
        }

        o.algos = chosen;
        o.validation = 0;
    }

    rc = recsys_eval_run(&d, &o, &rep, err, sizeof(err));
    rep.seconds_ingest = t_ingest;

    if (rc == RECSYS_OK && !o.quiet) {
        recsys_eval_print(&rep, stdout);
        printf("\nseconds: ingest %.3f, evaluation %.3f\n",
               rep.seconds_ingest, rep.seconds);
    }

    if (rc == RECSYS_OK && json != NULL) {
        rc = recsys_eval_write_json(&rep, json, err, sizeof(err));
    }

    if (rc == RECSYS_OK && html != NULL) {
        rc = recsys_eval_write_html(&rep, html, err, sizeof(err));
    }

    recsys_eval_report_free(&rep);
    recsys_data_free(&d);
    free(chosen);

    if (rc != RECSYS_OK) {
        fprintf(stderr, "recsys-build: eval: %s\n", err);
        return rc == RECSYS_EINVAL ? 2 : 1;
    }

    return 0;
}
