/*
 * recsys_main.c: the recsys-build command line.
 *
 *   recsys-build build   --interactions FILE [--items FILE] --out MODEL ...
 *   recsys-build gen     --out DIR [--users N] [--items N] [--events N] ...
 *   recsys-build eval    --interactions FILE [--protocol P] [--algos ...]
 *   recsys-build inspect MODEL [stats | user ID | item ID]
 *   recsys-build help    [COMMAND]
 *
 * Parses flags by each command's option table (recsys_opt.h), runs one
 * command and turns its status into the exit code; `help COMMAND` and
 * `COMMAND --help` print the same table with the defaults the command
 * applies.  Every error is one line on stderr, "recsys-build: FILE:LINE:
 * why" for bad input, and a failed build never touches the published
 * model.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "recsys_build.h"
#include "recsys_clock.h"
#include "recsys_erase.h"
#include "recsys_eval.h"
#include "recsys_fetch.h"
#include "recsys_gen.h"
#include "recsys_ingest.h"
#include "recsys_import_main.h"
#include "recsys_inspect.h"
#include "recsys_shard_items.h"
#include "recsys_shard_main.h"
#include "recsys_opt.h"
#include "recsys_progress.h"
#include "recsys_schema.h"
#include "recsys_source.h"
#include "recsys_status.h"
#include "recsys_writer.h"

/* the VERSION file, through the Makefile */
#ifndef RECSYS_VERSION
#define RECSYS_VERSION  "0"
#endif


/* whose options a command's help lists */
#define RECSYS_MAIN_OPTS_NONE   0
#define RECSYS_MAIN_OPTS_BUILD  1
#define RECSYS_MAIN_OPTS_GEN    2
#define RECSYS_MAIN_OPTS_EVAL   3
#define RECSYS_MAIN_OPTS_FETCH  4

typedef struct {
    const char  *name;
    const char  *synopsis;      /* "usage: ..." lines */
    const char  *summary;       /* one line for the list of commands */
    int        (*run)(int argc, char **argv);
    int          options;       /* RECSYS_MAIN_OPTS_* */
} recsys_main_command_t;


static int recsys_main_build(int argc, char **argv);
static int recsys_main_gen(int argc, char **argv);
static int recsys_main_inspect(int argc, char **argv);
static void recsys_main_sources(FILE *f);
static void recsys_main_gen_show_scaled(const void *field, char *buf,
    size_t size);
static void recsys_main_gen_show_noise(const void *field, char *buf,
    size_t size);


#define recsys_go(field)  offsetof(recsys_gen_opts_t, field)

/* the options of `recsys-build gen` */
static const recsys_opt_t  recsys_main_gen_options[] = {
    recsys_opt_required("out", recsys_go(out_dir), "DIR",
                        "where to write the data set"),
    recsys_opt_row("users", NULL, RECSYS_OPT_U32, recsys_go(users), 1,
                   RECSYS_GEN_MAX_USERS, "N", "users"),
    recsys_opt_row("items", NULL, RECSYS_OPT_U32, recsys_go(items), 0,
                   RECSYS_GEN_MAX_ITEMS, "N", "catalog items"),
    recsys_opt_row("events", NULL, RECSYS_OPT_U64, recsys_go(events), 0,
                   UINT32_MAX, "N", "interaction rows wanted"),
    recsys_opt_row("seed", NULL, RECSYS_OPT_U64, recsys_go(seed), 0,
                   UINT32_MAX, "S", "random seed"),
    recsys_opt_row("segments", NULL, RECSYS_OPT_U32, recsys_go(segments), 1,
                   RECSYS_GEN_MAX_SEGMENTS, "N", "planted taste segments"),
    { "series", NULL, RECSYS_OPT_U32, recsys_go(series), 0, UINT32_MAX - 1,
      "N", "planted series", NULL, NULL, recsys_main_gen_show_scaled, NULL,
      0 },
    recsys_opt_row("series-len", NULL, RECSYS_OPT_U32, recsys_go(series_len),
                   1, 1000, "N", "episodes per series"),
    { "bundles", NULL, RECSYS_OPT_U32, recsys_go(bundles), 0,
      UINT32_MAX - 1, "N", "planted bundles", NULL, NULL,
      recsys_main_gen_show_scaled, NULL, 0 },
    recsys_opt_row("bundle-size", NULL, RECSYS_OPT_U32,
                   recsys_go(bundle_size), 2, 100, "N", "items per bundle"),
    { "noise-users", NULL, RECSYS_OPT_U32, recsys_go(noise_users), 0,
      UINT32_MAX - 1, "N", "users with random behaviour", NULL, NULL,
      recsys_main_gen_show_noise, NULL, 0 },
    recsys_opt_null
};


static const recsys_main_command_t  recsys_main_commands[] = {

    { "build",
      "usage: recsys-build build --interactions FILE [--items FILE]\n"
      "        [--tags FILE] --out MODEL [options]\n"
      "  --interactions may be given several times: the logs are read in "
      "turn\n",
      "build and publish a model file",
      recsys_main_build, RECSYS_MAIN_OPTS_BUILD },

    { "gen",
      "usage: recsys-build gen --out DIR [--users N] [--items N]\n"
      "        [--events N] [--seed S] [options]\n",
      "write the synthetic sample data set",
      recsys_main_gen, RECSYS_MAIN_OPTS_GEN },

    { "eval",
      "usage: recsys-build eval --interactions FILE [--items FILE]\n"
      "        [--protocol p1|p2|loo|kfold|time] [--algos mostpop,sar]"
      " [options]\n"
      "  settings may list alternatives for a grid: "
      "itemcf:shrink=0|10|50,neighbors=50|100\n",
      "score algorithms offline on a split of a log",
      recsys_eval_main, RECSYS_MAIN_OPTS_EVAL },

    { "inspect",
      "usage: recsys-build inspect MODEL [stats | user ID | item ID |\n"
      "        segments | rules | sequences] [--json]\n",
      "print what a model holds",
      recsys_main_inspect, RECSYS_MAIN_OPTS_NONE },

    { "fetch",
      "usage: recsys-build fetch URL --out PATH [options]\n",
      "copy a published model from an origin, verified",
      recsys_fetch_main, RECSYS_MAIN_OPTS_FETCH },
    { "import", RECSYS_IMPORT_USAGE,
      "add lists trained by Spark to a model as named sources",
      recsys_import_main, RECSYS_MAIN_OPTS_NONE },

    { "shard", RECSYS_SHARD_USAGE,
      "the sharded build's steps: split, stats, merge (contrib/dask)",
      recsys_shard_main, RECSYS_MAIN_OPTS_NONE },

    { NULL, NULL, NULL, NULL, 0 }
};


static int
recsys_main_fail(const char *why)
{
    fprintf(stderr, "recsys-build: %s\n", why);

    return 1;
}


/* Refuses a command line: 2 after saying why and how c is used. */
static int
recsys_main_refuse(const recsys_main_command_t *c, const char *why)
{
    fprintf(stderr, "recsys-build: %s\n%s(recsys-build help %s lists the "
            "options)\n", why, c->synopsis, c->name);

    return 2;
}


/*
 * Parses a command's flags into conf by its table: 0, or 2 after saying
 * why and how the command is used.
 */
static int
recsys_main_parse(const recsys_main_command_t *c, const recsys_opt_t *table,
    void *conf, int argc, char **argv)
{
    char  err[1024];

    if (recsys_opt_argv(table, conf, argc, argv, err, sizeof(err))
        != RECSYS_OK)
    {
        return recsys_main_refuse(c, err);
    }

    return 0;
}


static double
recsys_main_peak_mib(void)
{
    struct rusage  ru;

    getrusage(RUSAGE_SELF, &ru);

    return ru.ru_maxrss / 1024.0;
}


/*
 * Every --interactions file in the order given (a base log and the event
 * logs rotated since, say): the option table keeps one value, so the
 * command line is read again for all of them.  One of them may be empty
 * (a log rotated before any event); all of them together may hold no row
 * only when allow_empty (a shard's users, who may have none).
 */
static int
recsys_main_interactions(recsys_data_t *d, int allow_empty, int argc,
    char **argv, char *err, size_t errlen)
{
    int     i, rc;
    size_t  n;

    rc = RECSYS_OK;

    for (i = 0; i + 1 < argc && rc == RECSYS_OK; i++) {
        if (strcmp(argv[i], "--interactions") == 0) {
            rc = recsys_ingest_interactions(d, argv[++i], err, errlen);
        }
    }

    if (rc != RECSYS_OK || d->n_events > 0 || allow_empty) {
        return rc;
    }

    /* "A: no interactions", "A, B: no interactions" */
    err[0] = '\0';

    for (i = 0; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--interactions") == 0) {
            n = strlen(err);
            snprintf(err + n, errlen - n, "%s%s", n > 0 ? ", " : "",
                     argv[++i]);
        }
    }

    n = strlen(err);
    snprintf(err + n, errlen - n, ": no interactions");

    return RECSYS_EINVAL;
}


/* --erase FILE: the users whose rows the ingest leaves out. */
static int
recsys_main_erase(const recsys_build_opts_t *o, recsys_data_t *d,
    recsys_dict_t *erase, char *err, size_t errlen)
{
    if (o->erase == NULL) {
        return RECSYS_OK;
    }

    memset(erase, 0, sizeof(recsys_dict_t));

    if (recsys_dict_init(erase, 1024) != RECSYS_OK) {
        snprintf(err, errlen, "out of memory");
        return RECSYS_ENOMEM;
    }

    d->erase = erase;

    return recsys_erase_read(erase, o->erase, err, errlen);
}


static int
recsys_main_build(int argc, char **argv)
{
    int                   rc;
    uint32_t              s;
    char                  err[1024];
    double                t0, t_ingest;
    uint64_t              ingest_peak, ingest_rss;
    recsys_dict_t         erase;
    recsys_data_t         d;
    recsys_build_opts_t   o;
    recsys_build_stats_t  stats;

    recsys_build_defaults(&o);

    rc = recsys_main_parse(&recsys_main_commands[0], recsys_build_options, &o,
                           argc, argv);
    if (rc != 0) {
        return rc;
    }

    if (recsys_build_check(&o, 0, err, sizeof(err)) != RECSYS_OK) {
        return recsys_main_refuse(&recsys_main_commands[0], err);
    }

    recsys_progress_setup(o.quiet);

    /* a path that cannot be published is found before any work */
    if (recsys_writer_check(o.out, err, sizeof(err)) != RECSYS_OK) {
        return recsys_main_fail(err);
    }

    t0 = recsys_clock_now();

    if (recsys_data_init(&d) != RECSYS_OK) {
        return recsys_main_fail("out of memory");
    }

    d.event_weights = o.event_weights;
    d.decay_days = o.decay_days;

    rc = recsys_main_erase(&o, &d, &erase, err, sizeof(err));

    if (rc == RECSYS_OK && o.items != NULL) {
        rc = recsys_ingest_catalog(&d, o.items, err, sizeof(err));
    }

    if (rc == RECSYS_OK) {
        rc = recsys_main_interactions(&d, o.from_items != NULL, argc, argv,
                                      err, sizeof(err));
    }

    if (rc == RECSYS_OK && o.shard_ids != NULL) {
        rc = recsys_shard_ids_seed(&d.users, &d.items, o.shard_ids, err,
                                   sizeof(err));
    }

    if (rc == RECSYS_OK) {
        rc = recsys_ingest_finish(&d, err, sizeof(err));
    }

    t_ingest = recsys_clock_now() - t0;
    recsys_build_memory(&ingest_peak, &ingest_rss);

    if (rc == RECSYS_OK) {
        rc = recsys_build_model(&d, &o, o.out, &stats, err, sizeof(err));
    }

    if (o.erase != NULL) {
        recsys_dict_free(&erase);
    }

    if (rc != RECSYS_OK) {
        recsys_data_free(&d);
        return recsys_main_fail(err);
    }

    if (!o.quiet) {
        printf("model %s written to %s\n", stats.model_id, o.out);
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
        printf("  MiB after each stage (peak so far / resident): "
               "ingest %.0f/%.0f", ingest_peak / 1024.0,
               ingest_rss / 1024.0);
        for (s = 0; s < stats.n_stages; s++) {
            printf(", %s %.0f/%.0f", stats.stages[s].name,
                   stats.stages[s].peak_kib / 1024.0,
                   stats.stages[s].rss_kib / 1024.0);
        }
        printf("\n");
    }

    recsys_data_free(&d);

    return 0;
}


static int
recsys_main_gen(int argc, char **argv)
{
    int                rc;
    char               err[1024];
    recsys_gen_opts_t  o;

    o = recsys_gen_default;

    rc = recsys_main_parse(&recsys_main_commands[1], recsys_main_gen_options,
                           &o, argc, argv);
    if (rc != 0) {
        return rc;
    }

    rc = recsys_gen_run(&o, err, sizeof(err));
    if (rc != RECSYS_OK) {
        return recsys_main_fail(err);
    }

    return 0;
}


/* series, bundles: "scaled" unless set (20 and 15 per 1,500 items) */
static void
recsys_main_gen_show_scaled(const void *field, char *buf, size_t size)
{
    if (*(const uint32_t *) field == RECSYS_GEN_SCALED) {
        snprintf(buf, size, "scaled: 20 series, 15 bundles per 1500 items, "
                 "fewer in a smaller catalogue");
        return;
    }

    snprintf(buf, size, "%u", *(const uint32_t *) field);
}


static void
recsys_main_gen_show_noise(const void *field, char *buf, size_t size)
{
    uint32_t  v;

    v = *(const uint32_t *) field;

    if (v == RECSYS_GEN_NOISE_AUTO) {
        snprintf(buf, size, "auto: 2%% of users");

    } else {
        snprintf(buf, size, "%u", v);
    }
}


static int
recsys_main_inspect(int argc, char **argv)
{
    int  rc;

    rc = recsys_inspect_main(argc, argv);

    if (rc == 2) {
        fputs(recsys_main_commands[3].synopsis, stderr);
    }

    return rc;
}


/* The list of commands, to f. */
static void
recsys_main_usage(FILE *f)
{
    const recsys_main_command_t  *c;

    fprintf(f, "usage: recsys-build COMMAND [options]\n\ncommands:\n");

    for (c = recsys_main_commands; c->name != NULL; c++) {
        fprintf(f, "  %-10s %s\n", c->name, c->summary);
    }

    fprintf(f, "  %-10s %s\n", "help", "this list, or a command's options: "
            "help COMMAND");
    fprintf(f, "  %-10s %s\n", "--version", "the version and model format");
}


/*
 * The options of a command with the defaults it applies (read from its
 * options struct after its defaults function ran), to f.
 */
static void
recsys_main_options(FILE *f, int options)
{
    union {
        recsys_build_opts_t  build;
        recsys_gen_opts_t    gen;
    } conf;

    if (options != RECSYS_MAIN_OPTS_NONE) {
        fprintf(f, "\noptions:\n");
    }

    switch (options) {

    case RECSYS_MAIN_OPTS_BUILD:
        recsys_build_defaults(&conf.build);
        recsys_opt_help(f, recsys_build_options, &conf.build);
        recsys_main_sources(f);
        break;

    case RECSYS_MAIN_OPTS_GEN:
        conf.gen = recsys_gen_default;
        recsys_opt_help(f, recsys_main_gen_options, &conf.gen);
        break;

    case RECSYS_MAIN_OPTS_EVAL:
        recsys_eval_help(f);
        break;

    case RECSYS_MAIN_OPTS_FETCH:
        recsys_fetch_help(f);
        break;
    }
}


/* The source names --weights takes, from the registry. */
static void
recsys_main_sources(FILE *f)
{
    int                     s;
    const recsys_source_t  *src;

    fprintf(f, "\nsources (--weights SOURCE=W, algo=SOURCE):");

    for (s = 0; s < RECSYS_SRC_IMPORT; s++) {
        src = recsys_source_get(s);
        fprintf(f, "%s %s", s > 0 ? "," : "", src->name);

        if (src->alias != NULL) {
            fprintf(f, " (or %s)", src->alias);
        }
    }

    fprintf(f, "\n");
}


/* `help [COMMAND]`: the synopsis and the options of a command, to f. */
static int
recsys_main_help(FILE *f, const char *name)
{
    const recsys_main_command_t  *c;

    if (name == NULL) {
        recsys_main_usage(f);
        return 0;
    }

    for (c = recsys_main_commands; c->name != NULL; c++) {
        if (strcmp(c->name, name) == 0) {
            fputs(c->synopsis, f);
            recsys_main_options(f, c->options);

            return 0;
        }
    }

    fprintf(stderr, "recsys-build: no command \"%s\"\n", name);
    recsys_main_usage(stderr);

    return 2;
}


int
main(int argc, char **argv)
{
    int                           i;
    const recsys_main_command_t  *c;

    if (argc < 2) {
        recsys_main_usage(stderr);
        return 2;
    }

    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        recsys_main_usage(stdout);
        return 0;
    }

    if (strcmp(argv[1], "help") == 0) {
        return recsys_main_help(stdout, argc > 2 ? argv[2] : NULL);
    }

    if (strcmp(argv[1], "--version") == 0) {
        printf("recsys-build %s (model format %d)\n", RECSYS_VERSION,
               RECSYS_FORMAT_VERSION);
        return 0;
    }

    for (c = recsys_main_commands; c->name != NULL; c++) {
        if (strcmp(c->name, argv[1]) != 0) {
            continue;
        }

        for (i = 2; i < argc; i++) {
            if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            {
                return recsys_main_help(stdout, c->name);
            }
        }

        return c->run(argc - 2, argv + 2);
    }

    fprintf(stderr, "recsys-build: unknown command \"%s\"\n", argv[1]);
    recsys_main_usage(stderr);

    return 2;
}
