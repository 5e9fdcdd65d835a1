/*
 * recsys_progress.h: progress lines on stderr for the builder's and the
 * evaluator's long steps.
 *
 * Off unless recsys_progress_setup() found stderr to be a terminal and
 * was not told to be quiet; then a step that has run for more than two
 * seconds (RECSYS_PROGRESS_AFTER=SECONDS in the environment says how
 * long instead) rewrites one line, at most twice a second, with what it
 * has done and its rate, and ends it when the step ends.  A pipe or a
 * file gets nothing.  recsys_progress_tick() may be called from several
 * threads at once; call it every few hundred units, not on every one.
 */

#ifndef RECSYS_PROGRESS_H
#define RECSYS_PROGRESS_H

#include <stdint.h>


typedef struct {
    const char  *what;          /* "ingest", "eval itemcf", ... */
    const char  *unit;          /* "rows", "users" */
    uint64_t     total;         /* 0: not known */
    double       start;
    double       last;          /* when the line was last written */
    int          shown;
} recsys_progress_t;


/* Once per process, before any step: quiet is the command's --quiet. */
void recsys_progress_setup(int quiet);

/* A step starts; what and unit must live as long as the step. */
void recsys_progress_begin(recsys_progress_t *p, const char *what,
    const char *unit, uint64_t total);

/* done units so far: writes the line when it is due. */
void recsys_progress_tick(recsys_progress_t *p, uint64_t done);

/* The step is over: its line, if any was written, ends with the total. */
void recsys_progress_end(recsys_progress_t *p, uint64_t done);

#endif /* RECSYS_PROGRESS_H */
