/*
 * recsys_eval_main.c: the `recsys-build eval` command.
 *
 *   recsys-build eval --interactions FILE [--items FILE]
 *       [--protocol p1|p2|loo|kfold] [--k 10] [--folds 5] [--seed 42]
 *       [--algos mostpop,sar[:half_life=DAYS]] [--json OUT.json]
 *       [--html OUT.html] [--quiet]
 *
 * Parses the flags, ingests the log, runs recsys_eval_run() and writes the
 * reports.  The table goes to stdout (unless --quiet); every error is one
 * line on stderr, "recsys-build: ...", with exit code 2 for a bad command
 * line and 1 for a failed run.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recsys_eval.h"
#include "recsys_ingest.h"
#include "recsys_split.h"
#include "recsys_status.h"


static const char  recsys_eval_usage[] =
    "usage: recsys-build eval --interactions FILE [--items FILE]\n"
    "        [--protocol p1|p2|loo|kfold] [--k 10] [--folds 5] [--seed 42]\n"
    "        [--algos mostpop,sar] [--json OUT.json] [--html OUT.html]\n"
    "        [--quiet]\n";


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


int
recsys_eval_main(int argc, char **argv)
{
    int                   i, p, rc;
    char                  err[1024];
    double                t0, t_ingest;
    const char           *items, *json, *html;
    recsys_data_t         d;
    recsys_eval_opts_t    o;
    recsys_eval_report_t  rep;

    recsys_eval_defaults(&o);
    items = NULL;
    json = NULL;
    html = NULL;

    for (i = 0; i < argc; i++) {
        const char  *flag = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(flag, "--quiet") == 0) {
            o.quiet = 1;
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

    if (rc != RECSYS_OK) {
        fprintf(stderr, "recsys-build: eval: %s\n", err);
        return rc == RECSYS_EINVAL ? 2 : 1;
    }

    return 0;
}
