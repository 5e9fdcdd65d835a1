/*
 * recsys_split_time.c: the global temporal split (recsys_split.h): one
 * cutoff time for the whole log, as production sees it: a model trained
 * on everything before a day answers the traffic after it.  A share is
 * turned into a cutoff by sorting a copy of the timestamps (8 bytes per
 * row, freed before returning).
 */

#include <math.h>
#include <stdlib.h>

#include "recsys_split.h"
#include "recsys_status.h"


static int
recsys_split_cmp_time(const void *a, const void *b)
{
    int64_t  x = *(const int64_t *) a, y = *(const int64_t *) b;

    return x < y ? -1 : (x > y);
}


int
recsys_split_time(const recsys_event_t *ev, size_t n, uint64_t cutoff,
    double share, uint8_t *test, int64_t *applied)
{
    size_t    i, m;
    int64_t   at, *ts;

    for (i = 0; i < n; i++) {
        if (ev[i].ts == RECSYS_NO_TIME) {
            return RECSYS_EINVAL;
        }
    }

    if (cutoff > 0) {
        at = cutoff > INT64_MAX ? INT64_MAX : (int64_t) cutoff;

    } else {
        if (!(share > 0.0 && share < 1.0)) {
            return RECSYS_EINVAL;
        }

        /* the m-th newest timestamp, m = round-half-even(share n) >= 1 */
        m = (size_t) rint(share * (double) n);
        m = m < 1 ? 1 : m;

        ts = malloc((n ? n : 1) * sizeof(int64_t));
        if (ts == NULL) {
            return RECSYS_ENOMEM;
        }

        for (i = 0; i < n; i++) {
            ts[i] = ev[i].ts;
        }

        qsort(ts, n, sizeof(int64_t), recsys_split_cmp_time);
        at = n > 0 ? ts[n - (m < n ? m : n)] : 0;
        free(ts);
    }

    for (i = 0; i < n; i++) {
        test[i] = ev[i].ts >= at ? RECSYS_SPLIT_TEST : RECSYS_SPLIT_TRAIN;
    }

    *applied = at;

    return RECSYS_OK;
}
