/*
 * recsys_split.h: dividing an interaction log into train and test rows.
 *
 * Every split reads the events in file order and writes one byte per row
 * (RECSYS_SPLIT_TRAIN or RECSYS_SPLIT_TEST), or for k-fold the fold of each
 * row; nothing else is kept, so the caller can run any number of protocols
 * over one ingested log.  Seeded protocols draw from MT19937 exactly as
 * numpy.random does (recsys_mt19937.h), so a split equals its Python
 * reference row for row:
 *
 *   stratified  Microsoft Recommenders' python_stratified_split(ratio,
 *               seed, filter_by): one random_sample() per row in file
 *               order; rows grouped by item (P1) or by user (P2); inside a
 *               group sorted by the draw and numbered 1..n; row number r is
 *               train iff r <= round-half-even(ratio * n).  A group of one
 *               row keeps it in train (round(0.75) = 1).
 *   loo         leave the last out: each user's newest row (timestamp, ties
 *               to the later file line; file order alone without
 *               timestamps) is test; users with fewer than 2 rows stay in
 *               train.
 *   kfold       scikit-learn's KFold(folds, shuffle=True, random_state=
 *               seed) over rows: the row indexes shuffled by
 *               numpy.random.shuffle, then cut into folds of n / folds rows,
 *               the first n % folds folds one row longer.
 *   time        a global temporal split at a cutoff time (below).
 *
 * Ratings and duplicates are not looked at: a row is a row.
 */

#ifndef RECSYS_SPLIT_H
#define RECSYS_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_ingest.h"

#define RECSYS_SPLIT_TRAIN  0
#define RECSYS_SPLIT_TEST   1

#define RECSYS_SPLIT_BY_ITEM  0
#define RECSYS_SPLIT_BY_USER  1

#define RECSYS_SPLIT_MAX_FOLDS  100


/*
 * Stratified random split.  by is RECSYS_SPLIT_BY_ITEM or _BY_USER; ratio
 * in (0, 1) is the train share of each group; n_groups is the number of
 * items (or users): every ev[].item (or .user) is below it.  Writes
 * test[0 .. n).  RECSYS_OK, RECSYS_EINVAL (ratio, n) or RECSYS_ENOMEM.
 */
int recsys_split_stratified(const recsys_event_t *ev, size_t n,
    uint32_t n_groups, int by, double ratio, uint32_t seed, uint8_t *test);

/* P1: stratified by item, ratio 0.75.  P2: the same by user. */
int recsys_split_p1(const recsys_event_t *ev, size_t n, uint32_t n_items,
    uint32_t seed, uint8_t *test);
int recsys_split_p2(const recsys_event_t *ev, size_t n, uint32_t n_users,
    uint32_t seed, uint8_t *test);

/* Leave-last-out by time.  RECSYS_OK or RECSYS_ENOMEM. */
int recsys_split_loo(const recsys_event_t *ev, size_t n, uint32_t n_users,
    uint8_t *test);

/*
 * K-fold assignment: fold[row] in 0 .. folds-1.  folds from 2 to
 * RECSYS_SPLIT_MAX_FOLDS and at most n; n below 2^32.  RECSYS_OK,
 * RECSYS_EINVAL or RECSYS_ENOMEM.
 */
int recsys_split_kfold(size_t n, uint32_t folds, uint32_t seed,
    uint8_t *fold);

/*
 * Global temporal split (recsys_split_time.c): rows at or after a cutoff
 * time are test, the others train.  cutoff > 0 is that time (Unix
 * seconds); cutoff 0 takes it from share in (0, 1): with the timestamps
 * sorted ascending and m = round-half-even(share * n) >= 1, the cutoff is
 * the m-th newest, so at least m rows are test (more when the cutoff
 * time is shared by older rows: a time never lands on both sides).  The
 * cutoff applied goes to *applied.  RECSYS_OK, RECSYS_EINVAL (a row
 * without a timestamp, share out of range) or RECSYS_ENOMEM.
 */
int recsys_split_time(const recsys_event_t *ev, size_t n, uint64_t cutoff,
    double share, uint8_t *test, int64_t *applied);

/* round-half-even(ratio * n), the train size of a stratified group. */
uint32_t recsys_split_train_size(double ratio, uint32_t n);

#endif /* RECSYS_SPLIT_H */
