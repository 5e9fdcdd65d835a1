/*
 * recsys_build_stats.h: what a build reports: the seconds of each stage,
 * the pairs it saw, the file it wrote.
 */

#ifndef RECSYS_BUILD_STATS_H
#define RECSYS_BUILD_STATS_H

#include <stdint.h>


#define RECSYS_BUILD_MAX_STAGES  24

/*
 * the wall seconds of one stage of a build ("itemcf", "write", ...), the
 * process's peak resident memory when it last ended (the high-water mark
 * so far) and its resident memory then, in KiB
 */
typedef struct {
    const char  *name;
    double       seconds;
    uint64_t     peak_kib;
    uint64_t     rss_kib;
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

/*
 * The process's peak resident memory so far (getrusage) and its resident
 * memory now (/proc/self/statm; 0 where there is none), in KiB.
 */
void recsys_build_memory(uint64_t *peak_kib, uint64_t *rss_kib);

#endif /* RECSYS_BUILD_STATS_H */
