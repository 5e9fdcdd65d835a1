/*
 * recsys_shard_main.c: the command line of `recsys-build shard`.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_shard.h"
#include "recsys_shard_main.h"
#include "recsys_status.h"


static int
recsys_shard_main_usage(const char *why)
{
    fprintf(stderr, "recsys-build: shard: %s\n%s", why, RECSYS_SHARD_USAGE);
    return 2;
}


/* A whole number from min to max, or -1. */
static long
recsys_shard_main_number(const char *s, long min, long max)
{
    long   v;
    char  *end;

    v = strtol(s, &end, 10);

    return *s != '\0' && *end == '\0' && v >= min && v <= max ? v : -1;
}


int
recsys_shard_main(int argc, char **argv)
{
    int          i, rc, n;
    long         shards, shard;
    char         err[1024];
    const char  *dir, *step, *out;

    if (argc < 1) {
        return recsys_shard_main_usage("which step?");
    }

    step = argv[0];
    err[0] = '\0';
    dir = NULL;
    out = NULL;
    shards = -1;
    shard = -1;
    n = 0;

    for (i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0) {
            argv[1 + n++] = argv[i];
            continue;
        }

        if (i + 1 == argc) {
            return recsys_shard_main_usage("a flag without its value");
        }

        if (strcmp(argv[i], "--dir") == 0) {
            dir = argv[++i];

        } else if (strcmp(argv[i], "--out") == 0) {
            out = argv[++i];

        } else if (strcmp(argv[i], "--shards") == 0) {
            shards = recsys_shard_main_number(argv[++i], 1,
                                              RECSYS_SHARD_MAX);

        } else if (strcmp(argv[i], "--shard") == 0) {
            shard = recsys_shard_main_number(argv[++i], 0,
                                             RECSYS_SHARD_MAX - 1);

        } else {
            return recsys_shard_main_usage("unknown flag");
        }
    }

    if (dir == NULL || shards < 1) {
        return recsys_shard_main_usage("--dir and --shards (1 to 4096) are "
                                       "needed");
    }

    if (strcmp(step, "split") == 0 && n > 0) {
        rc = recsys_shard_split(dir, (uint32_t) shards, argv + 1, n, err,
                                sizeof(err));

    } else if (strcmp(step, "stats") == 0 && shard >= 0 && shard < shards) {
        rc = recsys_shard_stats(dir, (uint32_t) shard, (uint32_t) shards,
                                err, sizeof(err));

    } else if (strcmp(step, "merge") == 0) {
        rc = recsys_shard_merge(dir, (uint32_t) shards, err, sizeof(err));

    } else if (strcmp(step, "assemble") == 0 && out != NULL) {
        rc = recsys_shard_assemble(dir, (uint32_t) shards, out, err,
                                   sizeof(err));

    } else {
        return recsys_shard_main_usage("split LOG..., stats --shard K "
                                       "(0 to P - 1), merge or assemble "
                                       "--out MODEL");
    }

    if (rc != RECSYS_OK) {
        fprintf(stderr, "recsys-build: %s\n",
                err[0] ? err : recsys_strerror(rc));
        return 1;
    }

    return 0;
}
