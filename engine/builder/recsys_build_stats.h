/*
 * recsys_build_stats.h: what a build reports: the seconds of each stage,
 * the pairs it saw, the file it wrote.
 */

#ifndef RECSYS_BUILD_STATS_H
#define RECSYS_BUILD_STATS_H

#include <stdint.h>


#define RECSYS_BUILD_MAX_STAGES  24

/* the wall seconds of one stage of a build ("itemcf", "write", ...) */
typedef struct {
    const char  *name;
    double       seconds;
} recsys_build_stage_t;

typedef struct {
    recsys_build_stage_t  stages[RECSYS_BUILD_MAX_STAGES];  /* in order */
    uint32_t     n_stages;
    uint64_t     pairs;             /* distinct (user, item) pairs */
    uint64_t     file_size;
    char         model_id[64];
} recsys_build_stats_t;


/*
 * Adds the seconds since t0 to the stage called name (a new stage at the
 * end, or one already there) and returns the time now.
 */
double recsys_build_stage(recsys_build_stats_t *stats, const char *name,
    double t0);

#endif /* RECSYS_BUILD_STATS_H */
