/*
 * recsys_progress.c: the progress lines of recsys_progress.h.  Whether
 * they are on, and after how long a step shows one, is process-wide and
 * set once by recsys_progress_setup(); writing a line is serialised so
 * that threads of one step never interleave their lines.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recsys_clock.h"
#include "recsys_number.h"
#include "recsys_progress.h"
#include "recsys_status.h"


static int     recsys_progress_on;
static double  recsys_progress_after = 2.0;


void
recsys_progress_setup(int quiet)
{
    double       after;
    const char  *s;

    recsys_progress_on = !quiet && isatty(STDERR_FILENO);

    s = getenv("RECSYS_PROGRESS_AFTER");

    if (s != NULL
        && recsys_number_double(s, strlen(s), 0.0, 1e6, &after) == RECSYS_OK)
    {
        recsys_progress_after = after;
    }
}


void
recsys_progress_begin(recsys_progress_t *p, const char *what,
    const char *unit, uint64_t total)
{
    p->what = what;
    p->unit = unit;
    p->total = total;
    p->start = recsys_clock_now();
    p->last = 0.0;
    p->shown = 0;
}


/* The line: what, done (of total), the rate; "\r" first, EL after. */
static void
recsys_progress_write(const recsys_progress_t *p, uint64_t done, double now,
    const char *end)
{
    double  secs;

    secs = now - p->start > 1e-9 ? now - p->start : 1e-9;

    if (p->total > 0) {
        fprintf(stderr, "\rrecsys-build: %s: %llu of %llu %s (%.0f%%), "
                "%.0f %s/s, %.1f s\033[K%s", p->what,
                (unsigned long long) done, (unsigned long long) p->total,
                p->unit, 100.0 * (double) done / (double) p->total,
                (double) done / secs, p->unit, secs, end);

    } else {
        fprintf(stderr, "\rrecsys-build: %s: %llu %s, %.0f %s/s, "
                "%.1f s\033[K%s", p->what, (unsigned long long) done,
                p->unit, (double) done / secs, p->unit, secs, end);
    }

    fflush(stderr);
}


void
recsys_progress_tick(recsys_progress_t *p, uint64_t done)
{
    double  now;

    if (!recsys_progress_on) {
        return;
    }

#ifdef _OPENMP
#pragma omp critical (recsys_progress)
#endif
    {
        now = recsys_clock_now();

        if (now - p->start >= recsys_progress_after && now - p->last >= 0.5)
        {
            recsys_progress_write(p, done, now, "");
            p->last = now;
            p->shown = 1;
        }
    }
}


void
recsys_progress_end(recsys_progress_t *p, uint64_t done)
{
    if (recsys_progress_on) {
        recsys_progress_tick(p, done);
    }

    if (p->shown) {
        recsys_progress_write(p, done, recsys_clock_now(), "\n");
    }
}
