/*
 * recsys_import_main.c: the command line of `recsys-build import`.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_import.h"
#include "recsys_import_main.h"
#include "recsys_status.h"


/* Splits "a,b,c,d" (in place) into the four column names. */
static int
recsys_import_main_cols(char *s, recsys_spark_cols_t *c)
{
    char  *f[4];
    int    k;

    for (k = 0; k < 4; k++) {
        f[k] = s;
        s = strchr(s, ',');

        if ((s == NULL) != (k == 3) || f[k][0] == ',' || f[k][0] == '\0') {
            return -1;
        }

        if (s != NULL) {
            *s++ = '\0';
        }
    }

    c->row = f[0];
    c->list = f[1];
    c->id = f[2];
    c->score = f[3];

    return 0;
}


static int
recsys_import_main_usage(const char *why, const char *arg)
{
    fprintf(stderr, "recsys-build: import: %s%s%s\n%s", why,
            arg ? ": " : "", arg ? arg : "", RECSYS_IMPORT_USAGE);
    return 2;
}


int
recsys_import_main(int argc, char **argv)
{
    int                     i, rc;
    char                   *eq, err[1024];
    recsys_spark_cols_t     users, items;
    recsys_import_opts_t    o;
    recsys_import_input_t  *in;
    recsys_import_stats_t   st;

    static const char  *kinds[] = { "--users", "--items", "--rules" };

    memset(&o, 0, sizeof(o));
    users = (recsys_spark_cols_t) { "user", "recommendations", "item",
                                    "rating" };
    items = (recsys_spark_cols_t) { "item", "similar", "item", "score" };

    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--skip-unknown") == 0) {
            o.skip_unknown = 1;
            continue;
        }

        if (i + 1 == argc || strncmp(argv[i], "--", 2) != 0) {
            return recsys_import_main_usage("expected a flag and its value",
                                            argv[i]);
        }

        if (strcmp(argv[i], "--model") == 0) {
            o.model = argv[++i];

        } else if (strcmp(argv[i], "--out") == 0) {
            o.out = argv[++i];

        } else if (strcmp(argv[i], "--model-id") == 0) {
            o.model_id = argv[++i];

        } else if (strcmp(argv[i], "--cols") == 0) {
            if (recsys_import_main_cols(argv[++i], &users) != 0) {
                return recsys_import_main_usage("--cols takes four "
                                                "column names", NULL);
            }

            items = users;

        } else {
            for (rc = 0; rc < 3 && strcmp(argv[i], kinds[rc]) != 0; rc++) {
                /* void */
            }

            eq = rc < 3 ? strchr(argv[i + 1], '=') : NULL;

            if (rc == 3 || eq == NULL || eq[1] == '\0'
                || o.n_inputs == RECSYS_IMPORT_MAX_INPUTS)
            {
                return recsys_import_main_usage(rc == 3 ? "unknown flag"
                                                : "expected NAME=DIR",
                                                argv[i]);
            }

            in = &o.inputs[o.n_inputs++];
            in->kind = (recsys_import_kind_t) rc;
            in->cols = rc == RECSYS_IMPORT_USERS ? users : items;
            *eq = '\0';
            in->name = argv[++i];
            in->dir = eq + 1;
        }
    }

    if (o.model == NULL || o.out == NULL || o.n_inputs == 0) {
        return recsys_import_main_usage("--model, --out and an input are "
                                        "needed", NULL);
    }

    rc = recsys_import_run(&o, &st, err, sizeof(err));
    if (rc != RECSYS_OK) {
        fprintf(stderr, "recsys-build: %s\n", err);
        return 1;
    }

    printf("imported %llu lines, %llu entries (%llu unknown ids and %llu "
           "seen items left out) into %s, model %s\n",
           (unsigned long long) st.lines, (unsigned long long) st.entries,
           (unsigned long long) st.unknown, (unsigned long long) st.seen,
           o.out, st.model_id);

    return 0;
}
