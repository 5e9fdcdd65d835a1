/*
 * recsys_train.h: the training data every builder algorithm reads.
 *
 * After ingest the builder reduces the log to one value per (user, item)
 * pair (the latest row wins) and lays it out three ways, all with dense
 * uint32 indexes in natural id order (so "the smaller index" is "the
 * smaller id" for numeric ids):
 *
 *   by_user   row per user: (item, value) sorted by item index
 *   by_item   row per item: (user, value) sorted by user index
 *   seq       row per user: (item, value) oldest first (timestamp, then
 *             file order); seq_time holds the matching timestamps
 *
 * item_genres is a row per item of genre indexes (score 1), genre_names the
 * catalog's genre names in index order.  An algorithm reads this and
 * writes its own results; it never changes the training data.
 */

#ifndef RECSYS_TRAIN_H
#define RECSYS_TRAIN_H

#include <stdint.h>

#include "recsys_csr.h"
#include "recsys_ingest.h"


typedef struct {
    uint32_t          n_users;
    uint32_t          n_items;
    recsys_csr_t      by_user;
    recsys_csr_t      by_item;
    recsys_csr_t      seq;
    int64_t          *seq_time;     /* parallel to seq.entries; or NULL */
    recsys_csr_t      item_genres;  /* may have n_rows == 0: no catalog */
    uint32_t          n_genres;
    char            **genre_names;
    int               explicit_ratings;
    const recsys_data_t  *data;     /* the ingested rows it came from */
} recsys_train_t;


/*
 * Lays out ingested data (after recsys_ingest_finish) as training data.
 * The events are read, not changed.  RECSYS_OK or RECSYS_ENOMEM (also for
 * a log of more than 2^32 rows).
 */
int recsys_train_build(const recsys_data_t *d, recsys_train_t *t);

/*
 * As recsys_train_build, laying d's rows out in their own array (which
 * becomes seq's entries) instead of a copy: the peak is the rows and
 * by_user, or the layouts, never the rows twice.  Whatever the result,
 * d->events is gone (n_events still counts the rows).
 */
int recsys_train_build_release(recsys_data_t *d, recsys_train_t *t);
void recsys_train_free(recsys_train_t *t);

/* An item and how often it occurs, for ranking items by popularity. */
typedef struct {
    uint32_t  item;
    uint32_t  count;
} recsys_train_pop_t;

/*
 * qsort() comparator of recsys_train_pop_t: the most frequent first, ties
 * to the smaller item index.
 */
int recsys_train_cmp_pop(const void *a, const void *b);

#endif /* RECSYS_TRAIN_H */
