/*
 * recsys_split.c: train/test protocols over the rows of a log.
 *
 * The stratified split lays the rows out by group with a counting sort
 * (stable: file order inside a group), pairs each with its draw and sorts
 * each group's segment by (draw, row); the draws come from one generator in
 * file order, before any grouping, which is what numpy does when it fills a
 * column with rand(n).  Memory: 16 bytes per row plus 4 per group.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_mt19937.h"
#include "recsys_sorted.h"
#include "recsys_split.h"
#include "recsys_status.h"


typedef struct {
    double    draw;
    uint32_t  row;
} recsys_split_draw_t;


RECSYS_SORTED_CMP2(recsys_split_cmp_draw, recsys_split_draw_t, draw, row)


uint32_t
recsys_split_train_size(double ratio, uint32_t n)
{
    /* rint() rounds half to even in the default rounding mode, as numpy */
    return (uint32_t) rint(ratio * (double) n);
}


int
recsys_split_stratified(const recsys_event_t *ev, size_t n,
    uint32_t n_groups, int by, double ratio, uint32_t seed, uint8_t *test)
{
    size_t                i;
    uint32_t              g, *start, *fill, m, t, r;
    recsys_mt_t           mt;
    recsys_split_draw_t  *rows;

    if (!(ratio > 0.0 && ratio < 1.0) || n > UINT32_MAX) {
        return RECSYS_EINVAL;
    }

    start = calloc((size_t) n_groups + 1, sizeof(uint32_t));
    fill = calloc((size_t) n_groups + 1, sizeof(uint32_t));
    rows = malloc((n ? n : 1) * sizeof(recsys_split_draw_t));

    if (start == NULL || fill == NULL || rows == NULL) {
        free(start);
        free(fill);
        free(rows);
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < n; i++) {
        g = by == RECSYS_SPLIT_BY_USER ? ev[i].user : ev[i].item;
        start[g + 1]++;
    }

    for (g = 0; g < n_groups; g++) {
        start[g + 1] += start[g];
    }

    recsys_mt_seed(&mt, seed);

    for (i = 0; i < n; i++) {
        recsys_split_draw_t  *d;

        g = by == RECSYS_SPLIT_BY_USER ? ev[i].user : ev[i].item;
        d = &rows[start[g] + fill[g]++];
        d->draw = recsys_mt_double(&mt);
        d->row = (uint32_t) i;
    }

    for (g = 0; g < n_groups; g++) {
        m = start[g + 1] - start[g];
        t = recsys_split_train_size(ratio, m);

        qsort(rows + start[g], m, sizeof(recsys_split_draw_t),
              recsys_split_cmp_draw);

        for (r = 0; r < m; r++) {
            test[rows[start[g] + r].row] = r < t ? RECSYS_SPLIT_TRAIN
                                                 : RECSYS_SPLIT_TEST;
        }
    }

    free(start);
    free(fill);
    free(rows);

    return RECSYS_OK;
}


int
recsys_split_p1(const recsys_event_t *ev, size_t n, uint32_t n_items,
    uint32_t seed, uint8_t *test)
{
    return recsys_split_stratified(ev, n, n_items, RECSYS_SPLIT_BY_ITEM, 0.75,
                                   seed, test);
}


int
recsys_split_p2(const recsys_event_t *ev, size_t n, uint32_t n_users,
    uint32_t seed, uint8_t *test)
{
    return recsys_split_stratified(ev, n, n_users, RECSYS_SPLIT_BY_USER, 0.75,
                                   seed, test);
}


int
recsys_split_loo(const recsys_event_t *ev, size_t n, uint32_t n_users,
    uint8_t *test)
{
    size_t     i, *last;
    uint32_t   u, *count;

    last = malloc(((size_t) n_users + 1) * sizeof(size_t));
    count = calloc((size_t) n_users + 1, sizeof(uint32_t));

    if (last == NULL || count == NULL) {
        free(last);
        free(count);
        return RECSYS_ENOMEM;
    }

    /* a later line wins a tie, so ">=" against the newest so far */
    for (i = 0; i < n; i++) {
        u = ev[i].user;
        test[i] = RECSYS_SPLIT_TRAIN;

        if (count[u]++ == 0 || ev[i].ts >= ev[last[u]].ts) {
            last[u] = i;
        }
    }

    for (u = 0; u < n_users; u++) {
        if (count[u] >= 2) {
            test[last[u]] = RECSYS_SPLIT_TEST;
        }
    }

    free(last);
    free(count);

    return RECSYS_OK;
}


int
recsys_split_kfold(size_t n, uint32_t folds, uint32_t seed, uint8_t *fold)
{
    size_t        i, pos, size;
    uint32_t      f, *perm;
    recsys_mt_t   mt;

    if (folds < 2 || folds > RECSYS_SPLIT_MAX_FOLDS || folds > n
        || n > UINT32_MAX)
    {
        return RECSYS_EINVAL;
    }

    perm = malloc(n * sizeof(uint32_t));
    if (perm == NULL) {
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < n; i++) {
        perm[i] = (uint32_t) i;
    }

    recsys_mt_seed(&mt, seed);
    recsys_mt_shuffle(&mt, perm, n);

    pos = 0;
    for (f = 0; f < folds; f++) {
        size = n / folds + (f < n % folds ? 1 : 0);

        for (i = 0; i < size; i++) {
            fold[perm[pos++]] = (uint8_t) f;
        }
    }

    free(perm);

    return RECSYS_OK;
}
