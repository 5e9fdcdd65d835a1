/*
 * recsys_ingest.h: reading interaction logs and item catalogs.
 *
 * Interactions: CSV or TSV, header optional.  With a header, columns are
 * found by name (a user... column, an item..., movie..., track... or
 * similar column, rating/score/value/weight, timestamp/time/ts); without one they are user, item, [rating],
 * [timestamp].  Catalog: CSV (id,title,genres with '|'-separated genres,
 * header optional) or JSON Lines ({"id":..,"title":..,"genres":[..]});
 * a CSV header's other columns and a JSON line's other fields are the
 * items' attributes (recsys_itemattr.h).
 * An event column (event/action/type) names what happened; each name has a
 * weight (recsys_ingest_event_weight: defaults below, or --event-weights)
 * and a user's rows for one item then add up, negative events included.
 * Every row is checked; the first bad one stops the ingest with
 * "FILE:LINE: why" in err.  Ids are interned in order of first sight;
 * recsys_ingest_finish() renumbers them into the natural id order.
 */

#ifndef RECSYS_INGEST_H
#define RECSYS_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_csv.h"
#include "recsys_dict.h"
#include "recsys_itemattr.h"

#define RECSYS_NO_TIME  INT64_MIN


typedef struct {
    uint32_t  user;
    uint32_t  item;
    float     value;        /* the rating, or 1 for implicit rows */
    uint32_t  pad;
    int64_t   ts;           /* Unix seconds, or RECSYS_NO_TIME */
} recsys_event_t;

typedef struct {
    recsys_dict_t     users;
    recsys_dict_t     items;
    recsys_event_t   *events;       /* in file order */
    size_t            n_events;
    size_t            cap_events;
    int               has_rating;
    int               has_events;   /* an event column: values are summed */
    const char       *event_weights;    /* "view=1,like=3,..." or NULL */
    double            decay_days;   /* > 0: values halve every this long */
    char            **item_meta;    /* per item: JSON fragment or NULL */
    char            **item_title;   /* per item: raw title or NULL */
    uint32_t        **item_genres;  /* per item: {n, genre...} or NULL */
    size_t            cap_meta;
    recsys_dict_t     genres;       /* genre names, first-seen order */
    uint32_t          catalog_items;
    recsys_itemattr_t attrs;        /* the catalog's other columns */
    const recsys_dict_t  *erase;    /* users whose rows are left out (as if
                                       never logged), or NULL */
} recsys_data_t;


int recsys_data_init(recsys_data_t *d);
void recsys_data_free(recsys_data_t *d);

/*
 * Frees the rows (events) once they are laid out as training data;
 * n_events still counts them.  Nothing may read events afterwards.
 */
void recsys_data_release_events(recsys_data_t *d);

int recsys_ingest_catalog(recsys_data_t *d, const char *path, char *err,
    size_t errlen);

/*
 * Adds the rows of one log to d (the logs of a build are read one after
 * another into the same d).  A log without rows (empty, or a header only)
 * is no error: whether all of them together may hold none is the caller's
 * to decide.  RECSYS_OK, or a status with "FILE[:LINE]: why" in err.
 */
int recsys_ingest_interactions(recsys_data_t *d, const char *path,
    char *err, size_t errlen);

/* Renumbers users and items in natural id order (events and meta follow). */
int recsys_ingest_finish(recsys_data_t *d, char *err, size_t errlen);

/*
 * The weight of an event name under d->event_weights, else the defaults:
 * view, play, watch, listen, click, rate = 1; like, share = 3; favorite,
 * purchase = 5; skip = -1; dislike = -3.  0 when the name is unknown.
 */
int recsys_ingest_event_weight(const recsys_data_t *d, const char *name,
    size_t len, float *weight);

/*
 * With the first record of a log in csv: 1 when it is a header, 0 when it
 * is data, or a negative status with "FILE:LINE: why" in err; *user is
 * the user column either way (the sharded build splits by it).
 */
int recsys_ingest_log_head(recsys_csv_t *csv, int *user, char *err,
    size_t errlen);
/* The effective event table: --event-weights, or the defaults. */
const char *recsys_ingest_event_spec(const recsys_data_t *d);

/* Renders the meta JSON fragment of an item: "title":..,"genres":[..]. */
char *recsys_ingest_render_meta(const char *title, size_t title_len,
    const char **genres, const size_t *genre_lens, size_t n_genres);

#endif /* RECSYS_INGEST_H */
