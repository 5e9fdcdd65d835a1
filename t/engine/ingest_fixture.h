/*
 * ingest_fixture.h: train data through the real ingest path for the
 * engine's unit tests: CSV files read by recsys_ingest_*, laid out by
 * recsys_train_build(), and the generator's default data set in a
 * temporary directory (made, read and removed).  Header-only, its helpers
 * static inline: a test program includes it once and uses what it needs.
 */

#ifndef INGEST_FIXTURE_H
#define INGEST_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recsys_dict.h"
#include "recsys_gen.h"
#include "recsys_ingest.h"
#include "recsys_status.h"
#include "recsys_train.h"
#include "tap.h"


/*
 * Reads the catalog (unless NULL) and the interactions into d, a fresh
 * recsys_data_t, and lays them out as t.  RECSYS_OK or the first failing
 * step's status with its message in err.
 */
static inline int
t_ingest_train(const char *catalog, const char *interactions,
    recsys_data_t *d, recsys_train_t *t, char *err, size_t len)
{
    int  rc;

    err[0] = '\0';
    rc = recsys_data_init(d);

    if (rc == RECSYS_OK && catalog != NULL) {
        rc = recsys_ingest_catalog(d, catalog, err, len);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_ingest_interactions(d, interactions, err, len);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_ingest_finish(d, err, len);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_train_build(d, t);
    }

    return rc;
}


/*
 * Opens dir/name (its path written into path) for a test's interaction
 * log and writes the header userId,itemId,rating,timestamp; bails out
 * when the file cannot be created.
 */
static inline FILE *
t_log_open(char *path, size_t len, const char *dir, const char *name)
{
    FILE  *fp;

    snprintf(path, len, "%s/%s", dir, name);
    fp = fopen(path, "w");
    if (fp == NULL) {
        printf("Bail out! cannot write %s\n", path);
        exit(1);
    }

    fprintf(fp, "userId,itemId,rating,timestamp\n");

    return fp;
}


/*
 * Closes fp, the log at path from t_log_open(), reads it (no catalogue)
 * into d and t and removes the file.  1 when it was read.
 */
static inline int
t_log_train(FILE *fp, const char *path, recsys_data_t *d, recsys_train_t *t)
{
    char  err[512];

    fclose(fp);

    if (t_ingest_train(NULL, path, d, t, err, sizeof(err)) != RECSYS_OK) {
        printf("# load failed: %s\n", err);
        return 0;
    }

    unlink(path);

    return 1;
}


/*
 * The generator's default data set (events rows, 0: the default count)
 * written into the existing directory dir, then read into d and t: two
 * tests, one a step.  1 when both passed.
 */
static inline int
t_gen_train(const char *dir, uint64_t events, recsys_data_t *d,
    recsys_train_t *t)
{
    int                rc;
    char               err[512], items[512], log[512];
    recsys_gen_opts_t  o;

    o = recsys_gen_default;
    o.out_dir = dir;
    o.events = events != 0 ? events : o.events;

    rc = recsys_gen_run(&o, err, sizeof(err));
    tap_ok(rc == RECSYS_OK, "generate the default data set, %llu rows (%s)",
           (unsigned long long) o.events, rc == RECSYS_OK ? "ok" : err);
    if (rc != RECSYS_OK) {
        return 0;
    }

    snprintf(items, sizeof(items), "%s/items.csv", dir);
    snprintf(log, sizeof(log), "%s/interactions.csv", dir);
    rc = t_ingest_train(items, log, d, t, err, sizeof(err));
    tap_ok(rc == RECSYS_OK, "ingest and train (%s)",
           rc == RECSYS_OK ? "ok" : err);

    return rc == RECSYS_OK;
}


/* The index of item id in d; UINT32_MAX when unknown. */
static inline uint32_t
t_item(const recsys_data_t *d, const char *id)
{
    uint32_t  i;

    if (recsys_dict_find(&d->items, id, strlen(id), &i) != RECSYS_OK) {
        return UINT32_MAX;
    }

    return i;
}


/* Removes what recsys_gen_run() wrote into dir, and dir. */
static inline void
t_rm_gen(const char *dir)
{
    char                path[512];
    unsigned            i;
    static const char  *files[] = {
        "items.csv", "interactions.csv", "tags.csv", "truth/segments.csv",
        "truth/bundles.csv", "truth/series.csv", "truth", ""
    };

    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        remove(path);
    }
}

#endif /* INGEST_FIXTURE_H */
