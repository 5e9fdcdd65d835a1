/*
 * recsys_build_stats.c: timing a build's stages and the memory after each.
 */

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

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
    recsys_build_memory(&stats->stages[i].peak_kib,
                        &stats->stages[i].rss_kib);

    return now;
}


void
recsys_build_memory(uint64_t *peak_kib, uint64_t *rss_kib)
{
    long            page;
    FILE           *f;
    struct rusage   ru;
    unsigned long   size, resident;

    getrusage(RUSAGE_SELF, &ru);
    *peak_kib = (uint64_t) ru.ru_maxrss;
    *rss_kib = 0;

    f = fopen("/proc/self/statm", "r");
    if (f == NULL) {
        return;
    }

    page = sysconf(_SC_PAGESIZE);

    if (fscanf(f, "%lu %lu", &size, &resident) == 2 && page > 0) {
        *rss_kib = (uint64_t) resident * (uint64_t) page / 1024;
    }

    fclose(f);
}
