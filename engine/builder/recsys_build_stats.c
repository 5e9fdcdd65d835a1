/*
 * recsys_build_stats.c: timing a build's stages.
 */

#include <string.h>

#include "recsys_build_stats.h"
#include "recsys_clock.h"


double
recsys_build_stage(recsys_build_stats_t *stats, const char *name, double t0)
{
    double     now;
    uint32_t   i;

    now = recsys_clock_now();

    for (i = 0; i < stats->n_stages; i++) {
        if (strcmp(stats->stages[i].name, name) == 0) {
            break;
        }
    }

    if (i == stats->n_stages) {
        if (i == RECSYS_BUILD_MAX_STAGES) {
            return now;
        }

        stats->stages[i].name = name;
        stats->stages[i].seconds = 0.0;
        stats->n_stages++;
    }

    stats->stages[i].seconds += now - t0;

    return now;
}
