/*
 * recsys_clock: the monotonic clock the builder, the evaluator and the
 * command line time their stages with, in seconds.
 */

#ifndef RECSYS_CLOCK_H
#define RECSYS_CLOCK_H

#include <time.h>


static inline double
recsys_clock_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* RECSYS_CLOCK_H */
