/*
 * recsys_main.c: the recsys-build command line.
 *
 *   recsys-build build   --interactions FILE [--items FILE] --out MODEL ...
 *   recsys-build gen     --out DIR [--users N] [--items N] [--events N] ...
 *   recsys-build inspect MODEL [stats | user ID | item ID]
 *
 * Parses flags, runs one command and turns its status into the exit code.
 * Every error is one line on stderr, "recsys-build: FILE:LINE: why" for
 * bad input, and a failed build never touches the published model.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "recsys_build.h"
#include "recsys_clock.h"
#include "recsys_eval.h"
#include "recsys_gen.h"
#include "recsys_ingest.h"
#include "recsys_inspect.h"
#include "recsys_itemcf.h"
#include "recsys_model.h"
#include "recsys_source.h"
#include "recsys_schema.h"
#include "recsys_status.h"
#include "recsys_writer.h"

#define RECSYS_VERSION  "0.1.0"


static const char  recsys_usage[] =
    "usage:\n"
    "  recsys-build build --interactions FILE [--items FILE] [--tags FILE]\n"
    "        --out MODEL [--user-neighbors K] [--no-content]\n"
    "        [--segments K] [--dbscan] [--eps E] [--no-segments]\n"
    "        [--rule-support S] [--rule-confidence C] [--rule-lift L]\n"
    "        [--rule-min-value V] [--rule-gap SECONDS] [--no-rules]\n"
    "        [--no-markov] [--hmm] [--hmm-states N] [--gru] [--gru-epochs N]\n"
    "        [--gru-dim D] [--gru-hidden H] [--no-ease] [--als]\n"
    "        [--no-rp3beta]\n"
    "        [--ease-lambda L] [--ease-items N] [--als-factors F]\n"
    "        [--neighbors K] [--similarity cosine|adjusted|pearson|jaccard]\n"
    "        [--shrink S] [--min-support N] [--history H] [--user-top R]\n"
    "        [--explain-top E] [--explain-history H]\n"
    "        [--weights SRC=W,...] [--sparse-user N] [--trending-days D]\n"
    "        [--event-weights NAME=W,...] [--decay-days D]\n"
    "        [--model-id ID] [--quiet]\n"
    "  recsys-build gen --out DIR [--users N] [--items N] [--events N]\n"
    "        [--seed S] [--segments N] [--series N] [--bundles N]\n"
    "  recsys-build eval --interactions FILE [--protocol p1|p2|loo|kfold]\n"
    "        [--k 10] [--folds 5] [--seed 42] [--algos mostpop,sar]\n"
    "        [--json F] [--html F] [--validation | --tune]\n"
    "  recsys-build inspect MODEL [stats | user ID | item ID]\n"
    "  recsys-build --version\n"
    "  (--lstm, --lstm-epochs, --lstm-dim, --lstm-hidden: old names of the\n"
    "  --gru options; a source named lstm in --weights is the gru)\n";


static int
recsys_main_fail(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "recsys-build: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n");

    return 1;
}


/* A whole number in [min, max], or 0 after printing why. */
static int
recsys_main_number(const char *flag, const char *s, uint64_t min,
    uint64_t max, uint64_t *out)
{
    char                *end;
    unsigned long long   v;

    if (s == NULL || *s < '0' || *s > '9') {
        recsys_main_fail("%s needs a whole number%s", flag, "");
        return 0;
    }

    errno = 0;
    v = strtoull(s, &end, 10);

    if (errno != 0 || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "recsys-build: %s must be a whole number from %llu "
                "to %llu\n", flag, (unsigned long long) min,
                (unsigned long long) max);
        return 0;
    }

    *out = v;

    return 1;
}


/* A decimal number in [min, max], or 0 after printing why. */
static int
recsys_main_decimal(const char *flag, const char *s, double min, double max,
    double *out)
{
    char    *end;
    double   v;

    errno = 0;
    v = s != NULL ? strtod(s, &end) : 0.0;

    if (s == NULL || errno != 0 || end == s || *end != '\0' || !(v >= min)
        || !(v <= max))
    {
        fprintf(stderr, "recsys-build: %s must be a number from %g to %g\n",
                flag, min, max);
        return 0;
    }

    *out = v;

    return 1;
}


/* --weights itemcf=1,content=0.2: weights by source name. */
static int
recsys_main_weights(const char *s, float *weights)
{
    int          src;
    char        *end;
    double       w;
    const char  *eq, *comma;

    while (*s != '\0') {
        eq = strchr(s, '=');
        comma = strchr(s, ',');
        if (comma == NULL) {
            comma = s + strlen(s);
        }

        src = eq != NULL && eq < comma ? recsys_source_parse(s, eq - s) : -1;
        w = src >= 0 ? strtod(eq + 1, &end) : -1.0;

        if (src < 0 || end != comma || !(w >= 0.0) || w > 10.0) {
            fprintf(stderr, "recsys-build: --weights takes SOURCE=WEIGHT,... "
                    "with weights from 0 to 10 and sources among");

            for (src = 0; src < RECSYS_NSRC; src++) {
                fprintf(stderr, "%s %s", src ? "," : "",
                        recsys_source_name(src));
            }

            fprintf(stderr, "\n");
            return 0;
        }

        weights[src] = (float) w;
        s = *comma ? comma + 1 : comma;
    }

    return 1;
}


static double
recsys_main_peak_mib(void)
{
    struct rusage  ru;

    getrusage(RUSAGE_SELF, &ru);

    return ru.ru_maxrss / 1024.0;
}


static int
recsys_main_build(int argc, char **argv)
{
    int                   i, rc;
    uint32_t              s;
    char                  err[1024];
    double                t0, t_ingest, f, decay;
    const char           *event_weights;
    uint64_t              v;
    const char           *interactions, *items, *out;
    recsys_data_t         d;
    recsys_build_opts_t   o;
    recsys_build_stats_t  stats;

    recsys_build_defaults(&o);
    event_weights = NULL;
    decay = 0.0;
    interactions = NULL;
    items = NULL;
    out = NULL;

    for (i = 0; i < argc; i++) {
        const char  *flag = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(flag, "--quiet") == 0) {
            o.quiet = 1;
            continue;
        }

        if (strcmp(flag, "--ease") == 0 || strcmp(flag, "--als") == 0
            || strcmp(flag, "--no-rp3beta") == 0
            || strcmp(flag, "--no-ease") == 0)
        {
            o.ease = strcmp(flag, "--ease") == 0 ? 1 : o.ease;
            o.ease = strcmp(flag, "--no-ease") == 0 ? 0 : o.ease;
            o.als = strcmp(flag, "--als") == 0 ? 1 : o.als;
            o.rp3beta = strcmp(flag, "--no-rp3beta") == 0 ? 0 : o.rp3beta;
            continue;
        }

        if (strcmp(flag, "--hmm") == 0 || strcmp(flag, "--gru") == 0
            || strcmp(flag, "--lstm") == 0 || strcmp(flag, "--no-markov") == 0)
        {
            o.hmm = strcmp(flag, "--hmm") == 0 ? 1 : o.hmm;
            o.lstm = flag[2] == 'g' || flag[2] == 'l' ? 1 : o.lstm;
            o.markov = strcmp(flag, "--no-markov") == 0 ? 0 : o.markov;
            continue;
        }

        if (strcmp(flag, "--no-content") == 0
            || strcmp(flag, "--no-segments") == 0
            || strcmp(flag, "--no-rules") == 0
            || strcmp(flag, "--dbscan") == 0)
        {
            o.content = strcmp(flag, "--no-content") == 0 ? 0 : o.content;
            o.segments = strcmp(flag, "--no-segments") == 0 ? 0 : o.segments;
            o.rules = strcmp(flag, "--no-rules") == 0 ? 0 : o.rules;
            o.dbscan = strcmp(flag, "--dbscan") == 0 ? 1 : o.dbscan;
            continue;
        }

        if (val == NULL) {
            return recsys_main_fail("%s needs a value%s", flag, "");
        }

        i++;

        if (strcmp(flag, "--interactions") == 0) {
            interactions = val;

        } else if (strcmp(flag, "--items") == 0) {
            items = val;

        } else if (strcmp(flag, "--out") == 0) {
            out = val;

        } else if (strcmp(flag, "--model-id") == 0) {
            if (strlen(val) == 0 || strlen(val) > 63
                || strspn(val, "abcdefghijklmnopqrstuvwxyz"
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-")
                   != strlen(val))
            {
                return recsys_main_fail("--model-id: 1 to 63 characters of "
                                        "A-Z a-z 0-9 . _ : -%s%s", "", "");
            }

            o.model_id = val;

        } else if (strcmp(flag, "--neighbors") == 0) {
            if (!recsys_main_number(flag, val, 1, 1000, &v)) {
                return 1;
            }
            o.neighbors = (uint32_t) v;

        } else if (strcmp(flag, "--history") == 0) {
            if (!recsys_main_number(flag, val, 1, 10000, &v)) {
                return 1;
            }
            o.history = (uint32_t) v;

        } else if (strcmp(flag, "--similarity") == 0) {
            if (recsys_sim_parse(val) < 0) {
                return recsys_main_fail("--similarity: one of cosine, "
                                        "adjusted, pearson, jaccard%s%s",
                                        "", "");
            }
            o.similarity = val;

        } else if (strcmp(flag, "--shrink") == 0) {
            if (!recsys_main_decimal(flag, val, 0.0, 1e6, &f)) {
                return 1;
            }
            o.shrink = (float) f;

        } else if (strcmp(flag, "--min-support") == 0) {
            if (!recsys_main_number(flag, val, 1, 1000000, &v)) {
                return 1;
            }
            o.min_support = (uint32_t) v;

        } else if (strcmp(flag, "--sparse-user") == 0) {
            if (!recsys_main_number(flag, val, 0, 1000000, &v)) {
                return 1;
            }
            o.sparse_user = (uint32_t) v;

        } else if (strcmp(flag, "--trending-days") == 0) {
            if (!recsys_main_decimal(flag, val, 0.01, 1e5, &f)) {
                return 1;
            }
            o.trending_days = f;

        } else if (strcmp(flag, "--weights") == 0) {
            if (!recsys_main_weights(val, o.weights)) {
                return 1;
            }

        } else if (strcmp(flag, "--event-weights") == 0) {
            event_weights = val;

        } else if (strcmp(flag, "--decay-days") == 0) {
            if (!recsys_main_decimal(flag, val, 0.0, 1e6, &decay)) {
                return 1;
            }

        } else if (strcmp(flag, "--segments") == 0) {
            if (!recsys_main_number(flag, val, 0, 1000, &v)) {
                return 1;
            }
            o.k = (uint32_t) v;

        } else if (strcmp(flag, "--ease-lambda") == 0) {
            if (!recsys_main_decimal(flag, val, 0.001, 1e9, &f)) {
                return 1;
            }
            o.ease_lambda = f;

        } else if (strcmp(flag, "--ease-items") == 0) {
            if (!recsys_main_number(flag, val, 1, 46000, &v)) {
                return 1;
            }
            o.ease_items = (uint32_t) v;

        } else if (strcmp(flag, "--als-factors") == 0) {
            if (!recsys_main_number(flag, val, 1, 1024, &v)) {
                return 1;
            }
            o.als_factors = (uint32_t) v;

        } else if (strcmp(flag, "--eps") == 0) {
            if (!recsys_main_decimal(flag, val, 0.001, 2.0, &f)) {
                return 1;
            }
            o.eps = (float) f;

        } else if (strcmp(flag, "--rule-support") == 0
                   || strcmp(flag, "--rule-confidence") == 0
                   || strcmp(flag, "--rule-lift") == 0
                   || strcmp(flag, "--rule-min-value") == 0)
        {
            if (!recsys_main_decimal(flag, val, 0.0, 1e6, &f)) {
                return 1;
            }

            if (flag[7] == 's') {
                o.rule_support = f;
            } else if (flag[7] == 'c') {
                o.rule_confidence = f;
            } else if (flag[7] == 'l') {
                o.rule_lift = f;
            } else {
                o.rule_min_value = (float) f;
            }

        } else if (strcmp(flag, "--rule-gap") == 0) {
            if (!recsys_main_decimal(flag, val, 0.0, 1e9, &f)) {
                return 1;
            }
            o.rule_gap = f;

        } else if (strcmp(flag, "--hmm-states") == 0) {
            if (!recsys_main_number(flag, val, 2, 1000, &v)) {
                return 1;
            }
            o.hmm_states = (uint32_t) v;

        } else if (strcmp(flag, "--gru-epochs") == 0
                   || strcmp(flag, "--lstm-epochs") == 0)
        {
            if (!recsys_main_number(flag, val, 1, 1000, &v)) {
                return 1;
            }
            o.lstm_epochs = (uint32_t) v;

        } else if (strcmp(flag, "--gru-dim") == 0
                   || strcmp(flag, "--gru-hidden") == 0
                   || strcmp(flag, "--lstm-dim") == 0
                   || strcmp(flag, "--lstm-hidden") == 0)
        {
            if (!recsys_main_number(flag, val, 1, 256, &v)) {
                return 1;
            }

            if (strcmp(strchr(flag + 2, '-'), "-dim") == 0) {
                o.lstm_dim = (uint32_t) v;
            } else {
                o.lstm_hidden = (uint32_t) v;
            }

        } else if (strcmp(flag, "--tags") == 0) {
            o.tags = val;

        } else if (strcmp(flag, "--user-neighbors") == 0) {
            if (!recsys_main_number(flag, val, 0, 1000, &v)) {
                return 1;
            }
            o.user_neighbors = (uint32_t) v;

        } else if (strcmp(flag, "--user-top") == 0) {
            if (!recsys_main_number(flag, val, 1, 10000, &v)) {
                return 1;
            }
            o.user_top = (uint32_t) v;

        } else if (strcmp(flag, "--explain-top") == 0) {
            if (!recsys_main_number(flag, val, 0, 1000, &v)) {
                return 1;
            }
            o.explain_top = (uint32_t) v;

        } else if (strcmp(flag, "--explain-history") == 0) {
            if (!recsys_main_number(flag, val, 1, 1000, &v)) {
                return 1;
            }
            o.explain_history = (uint32_t) v;

        } else {
            return recsys_main_fail("unknown flag %s%s", flag, "");
        }
    }

    if (interactions == NULL || out == NULL) {
        fprintf(stderr, "recsys-build: build needs --interactions and --out"
                "\n%s", recsys_usage);
        return 2;
    }

    o.interactions = interactions;
    o.items = items;

    /* a path that cannot be published is found before any work */
    if (recsys_writer_check(out, err, sizeof(err)) != RECSYS_OK) {
        return recsys_main_fail("%s%s", err, "");
    }

    t0 = recsys_clock_now();

    if (recsys_data_init(&d) != RECSYS_OK) {
        return recsys_main_fail("out of memory%s%s", "", "");
    }

    d.event_weights = event_weights;
    d.decay_days = decay;

    rc = RECSYS_OK;

    if (items != NULL) {
        rc = recsys_ingest_catalog(&d, items, err, sizeof(err));
    }

    if (rc == RECSYS_OK) {
        rc = recsys_ingest_interactions(&d, interactions, err, sizeof(err));
    }

    if (rc == RECSYS_OK) {
        rc = recsys_ingest_finish(&d, err, sizeof(err));
    }

    t_ingest = recsys_clock_now() - t0;

    if (rc == RECSYS_OK) {
        rc = recsys_build_model(&d, &o, out, &stats, err, sizeof(err));
    }

    if (rc != RECSYS_OK) {
        recsys_data_free(&d);
        return recsys_main_fail("%s%s", err, "");
    }

    if (!o.quiet) {
        printf("model %s written to %s\n", stats.model_id, out);
        printf("  %u users, %u items (%u in the catalog), %zu rows, "
               "%llu user-item pairs\n",
               d.users.n, d.items.n, d.catalog_items, d.n_events,
               (unsigned long long) stats.pairs);
        printf("  seconds: ingest %.3f", t_ingest);
        for (s = 0; s < stats.n_stages; s++) {
            printf(", %s %.3f", stats.stages[s].name,
                   stats.stages[s].seconds);
        }
        printf(", total %.3f\n", recsys_clock_now() - t0);
        printf("  peak memory %.1f MiB\n", recsys_main_peak_mib());
    }

    recsys_data_free(&d);

    return 0;
}


static int
recsys_main_gen(int argc, char **argv)
{
    int                i, rc;
    char               err[1024];
    uint64_t           v;
    recsys_gen_opts_t  o;

    recsys_gen_defaults(&o);

    for (i = 0; i + 1 < argc; i += 2) {
        const char  *flag = argv[i], *val = argv[i + 1];

        if (strcmp(flag, "--out") == 0) {
            o.out_dir = val;
            continue;
        }

        if (!recsys_main_number(flag, val, 0, UINT32_MAX, &v)) {
            return 1;
        }

        if (strcmp(flag, "--users") == 0) {
            o.users = (uint32_t) v;

        } else if (strcmp(flag, "--items") == 0) {
            o.items = (uint32_t) v;

        } else if (strcmp(flag, "--events") == 0) {
            o.events = v;

        } else if (strcmp(flag, "--seed") == 0) {
            o.seed = v;

        } else if (strcmp(flag, "--segments") == 0) {
            o.segments = (uint32_t) v;

        } else if (strcmp(flag, "--series") == 0) {
            o.series = (uint32_t) v;

        } else if (strcmp(flag, "--bundles") == 0) {
            o.bundles = (uint32_t) v;

        } else if (strcmp(flag, "--noise-users") == 0) {
            o.noise_users = (uint32_t) v;

        } else {
            return recsys_main_fail("unknown flag %s%s", flag, "");
        }
    }

    if (i != argc || o.out_dir == NULL) {
        fprintf(stderr, "recsys-build: gen needs --out DIR and a value for "
                "every flag\n%s", recsys_usage);
        return 2;
    }

    rc = recsys_gen_run(&o, err, sizeof(err));
    if (rc != RECSYS_OK) {
        return recsys_main_fail("%s%s", err, "");
    }

    return 0;
}


int
main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0
        || strcmp(argv[1], "-h") == 0)
    {
        fputs(recsys_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }

    if (strcmp(argv[1], "--version") == 0) {
        printf("recsys-build %s (model format %d)\n", RECSYS_VERSION,
               RECSYS_FORMAT_VERSION);
        return 0;
    }

    if (strcmp(argv[1], "build") == 0) {
        return recsys_main_build(argc - 2, argv + 2);
    }

    if (strcmp(argv[1], "gen") == 0) {
        return recsys_main_gen(argc - 2, argv + 2);
    }

    if (strcmp(argv[1], "eval") == 0) {
        return recsys_eval_main(argc - 2, argv + 2);
    }

    if (strcmp(argv[1], "inspect") == 0) {
        return recsys_inspect_main(argc - 2, argv + 2);
    }

    fprintf(stderr, "recsys-build: unknown command \"%s\"\n%s", argv[1],
            recsys_usage);

    return 2;
}
