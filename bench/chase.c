/*
 * bench/chase.c: how long one dependent read at random takes, over a few
 * working-set sizes, on the CPU it runs on; a benchmark prints it beside
 * each scenario as a sample of the state of the host's caches and memory
 * in that scenario's minutes (on a shared host they slow under other
 * tenants' load, and code that waits on scattered reads slows with them,
 * far more than code that stays in its own cache).  A sample taken before
 * a run, not a measure of what the run met.
 *
 *   chase MIB...        one figure per size: nanoseconds per read
 *
 * Each size is one buffer of 64-byte lines linked in a single random
 * cycle; the reads follow the links, so none can start before the one
 * before it ends.  About 50 ms of reads per size.
 */

#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHASE_LINE        (64 / sizeof(size_t))   /* size_t slots a line */
#define CHASE_WARM_LINES  (16 * 1024 * 1024 / 64) /* at most 16 MiB warmed */


static double
chase_now(void)
{
    struct timespec  t;

    clock_gettime(CLOCK_MONOTONIC, &t);

    return (double) t.tv_sec + (double) t.tv_nsec * 1e-9;
}


/* A xorshift64 step: the shuffle needs no quality, only no pattern. */
static uint64_t
chase_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;

    return *s;
}


/* Nanoseconds per read over n lines; negative when out of memory. */
static double
chase_ns(size_t n)
{
    size_t    i, j, t, p, *line, *order;
    long      k, reads;
    double    t0, t1;
    uint64_t  seed;

    line = malloc(n * CHASE_LINE * sizeof(size_t));
    order = malloc(n * sizeof(size_t));
    if (line == NULL || order == NULL) {
        free(line);
        free(order);
        return -1.0;
    }

    memset(line, 0, n * CHASE_LINE * sizeof(size_t));
    seed = 0x9e3779b97f4a7c15ULL;

    for (i = 0; i < n; i++) {
        order[i] = i;
    }

    for (i = n - 1; i > 0; i--) {
        j = (size_t) (chase_rand(&seed) % (i + 1));
        t = order[i];
        order[i] = order[j];
        order[j] = t;
    }

    for (i = 0; i < n; i++) {
        line[order[i] * CHASE_LINE] = order[(i + 1) % n] * CHASE_LINE;
    }

    /* a lap to warm a set that may fit a cache, then the timed reads */
    p = 0;
    for (i = 0; n <= CHASE_WARM_LINES && i < n; i++) {
        p = line[p];
    }

    reads = 0;
    t0 = chase_now();

    do {
        for (k = 0; k < 100000; k++) {
            p = line[p];
        }
        reads += k;
        t1 = chase_now();
    } while (t1 - t0 < 0.05);

    /* p is printed nowhere but must not be optimized away */
    if (p == (size_t) -1) {
        puts("");
    }

    free(line);
    free(order);

    return (t1 - t0) * 1e9 / (double) reads;
}


int
main(int argc, char **argv)
{
    int     a;
    long    mib;
    char   *end;

    if (argc < 2) {
        fprintf(stderr, "usage: chase MIB...\n");
        return 2;
    }

    for (a = 1; a < argc; a++) {
        mib = strtol(argv[a], &end, 10);
        if (*end != '\0' || mib < 1 || mib > 4096) {
            fprintf(stderr, "chase: %s: not a size in MiB (1 to 4096)\n",
                    argv[a]);
            return 2;
        }

        printf("%s%.1f", a > 1 ? " " : "",
               chase_ns((size_t) mib * 1024 * 1024 / 64));
    }

    printf("\n");

    return 0;
}
