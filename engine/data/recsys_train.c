/*
 * recsys_train.c: from the ingested log to training data.
 *
 * A counting sort groups the events by user (stable, so file order is kept
 * inside a user); each user's rows are then sorted by item and only the
 * latest row of each item is kept (timestamp, then file order); with an
 * event column the rows' values add up instead, and with a decay each value
 * halves every decay_days before the newest row of the log.  Those kept
 * rows, by item index, are by_user; by timestamp, seq; transposed, by_item.
 * Users are independent, so the per-user sorts run on all threads.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_sorted.h"
#include "recsys_status.h"
#include "recsys_train.h"


typedef struct {
    uint32_t  item;
    float     value;
    int64_t   ts;
    uint64_t  seq;
} recsys_train_row_t;


/* in time order, ties in the order of the events */
RECSYS_SORTED_CMP2(recsys_train_cmp_time, recsys_train_row_t, ts, seq)


/* by item, then in time order */
static int
recsys_train_cmp_item(const void *a, const void *b)
{
    const recsys_train_row_t  *x = a, *y = b;

    if (x->item != y->item) {
        return x->item < y->item ? -1 : 1;
    }

    return recsys_train_cmp_time(a, b);
}


int
recsys_train_cmp_pop(const void *a, const void *b)
{
    const recsys_train_pop_t  *x = a, *y = b;

    return recsys_sorted_then(recsys_sorted_order(y->count, x->count),
                              recsys_sorted_order(x->item, y->item));
}


/*
 * by_user, seq and seq_time from d's rows; with release (d itself), the
 * rows are freed as soon as they are copied out, before the layouts are
 * allocated.
 */
static int
recsys_train_users(const recsys_data_t *d, recsys_train_t *t,
    recsys_data_t *release)
{
    size_t               i;
    double               decay;
    int64_t              t_max;
    uint32_t             n_users, u;
    uint64_t            *start, *kept, total;
    recsys_train_row_t  *rows;

    n_users = t->n_users;

    start = calloc((size_t) n_users + 1, sizeof(uint64_t));
    kept = calloc((size_t) n_users + 1, sizeof(uint64_t));
    rows = malloc((d->n_events ? d->n_events : 1)
                  * sizeof(recsys_train_row_t));

    if (start == NULL || kept == NULL || rows == NULL) {
        free(start);
        free(kept);
        free(rows);
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < d->n_events; i++) {
        start[d->events[i].user + 1]++;
    }

    for (u = 0; u < n_users; u++) {
        start[u + 1] += start[u];
    }

    /* the newest row, for the time decay */
    t_max = INT64_MIN;

    for (i = 0; i < d->n_events; i++) {
        recsys_train_row_t  *r;

        u = d->events[i].user;
        r = &rows[start[u] + kept[u]++];
        r->item = d->events[i].item;
        r->value = d->events[i].value;
        r->ts = d->events[i].ts;
        r->seq = i;

        if (d->events[i].ts > t_max) {
            t_max = d->events[i].ts;
        }
    }

    if (release != NULL) {
        recsys_data_release_events(release);
    }

    /* time decay: a value halves every decay_days before the newest row */
    decay = d->decay_days > 0.0 ? log(2.0) / (d->decay_days * 86400.0) : 0.0;

#pragma omp parallel for schedule(dynamic, 256)
    for (u = 0; u < n_users; u++) {
        double               sum;
        uint64_t             j, w, n;
        recsys_train_row_t  *seg;

        seg = rows + start[u];
        n = start[u + 1] - start[u];

        qsort(seg, n, sizeof(recsys_train_row_t), recsys_train_cmp_item);

        w = 0;
        sum = 0.0;
        for (j = 0; j < n; j++) {
            /* each row fades with its own age */
            if (decay > 0.0 && seg[j].ts != RECSYS_NO_TIME) {
                seg[j].value *= (float) exp(-decay
                                            * (double) (t_max - seg[j].ts));
            }

            sum += seg[j].value;

            if (j + 1 < n && seg[j + 1].item == seg[j].item) {
                continue;
            }

            /* the latest row stands; with events, the rows add up */
            seg[w] = seg[j];
            if (d->has_events) {
                seg[w].value = (float) sum;
            }

            w++;
            sum = 0.0;
        }

        kept[u] = w;
    }

    total = 0;
    for (u = 0; u < n_users; u++) {
        total += kept[u];
    }

    if (recsys_csr_alloc(&t->by_user, n_users, total) != 0
        || recsys_csr_alloc(&t->seq, n_users, total) != 0
        || (t->seq_time = malloc((total ? total : 1) * sizeof(int64_t)))
           == NULL)
    {
        free(start);
        free(kept);
        free(rows);
        return RECSYS_ENOMEM;
    }

    total = 0;
    for (u = 0; u < n_users; u++) {
        t->by_user.offsets[u] = (uint32_t) total;
        t->seq.offsets[u] = (uint32_t) total;
        total += kept[u];
    }

    t->by_user.offsets[n_users] = (uint32_t) total;
    t->seq.offsets[n_users] = (uint32_t) total;

#pragma omp parallel for schedule(dynamic, 256)
    for (u = 0; u < n_users; u++) {
        uint64_t             j, n, o;
        recsys_train_row_t  *seg;

        seg = rows + start[u];
        n = kept[u];
        o = t->by_user.offsets[u];

        for (j = 0; j < n; j++) {
            t->by_user.entries[o + j].item = seg[j].item;
            t->by_user.entries[o + j].score = seg[j].value;
        }

        qsort(seg, n, sizeof(recsys_train_row_t), recsys_train_cmp_time);

        for (j = 0; j < n; j++) {
            t->seq.entries[o + j].item = seg[j].item;
            t->seq.entries[o + j].score = seg[j].value;
            t->seq_time[o + j] = seg[j].ts;
        }
    }

    free(start);
    free(kept);
    free(rows);

    return RECSYS_OK;
}


static int
recsys_train_by_item(recsys_train_t *t)
{
    uint32_t       u, e, i, *fill;
    recsys_csr_t  *s, *x;

    s = &t->by_user;
    x = &t->by_item;

    if (recsys_csr_alloc(x, t->n_items, s->n_entries) != 0) {
        return RECSYS_ENOMEM;
    }

    fill = calloc((size_t) t->n_items + 1, sizeof(uint32_t));
    if (fill == NULL) {
        return RECSYS_ENOMEM;
    }

    for (e = 0; e < s->n_entries; e++) {
        x->offsets[s->entries[e].item + 1]++;
    }

    for (i = 0; i < t->n_items; i++) {
        x->offsets[i + 1] += x->offsets[i];
    }

    for (u = 0; u < s->n_rows; u++) {
        for (e = s->offsets[u]; e < s->offsets[u + 1]; e++) {
            i = s->entries[e].item;
            x->entries[x->offsets[i] + fill[i]].item = u;
            x->entries[x->offsets[i] + fill[i]].score = s->entries[e].score;
            fill[i]++;
        }
    }

    free(fill);

    return RECSYS_OK;
}


static int
recsys_train_genres(const recsys_data_t *d, recsys_train_t *t)
{
    size_t        len;
    uint32_t      i, g, total;
    const char   *name;
    const uint32_t  *ids;

    t->n_genres = d->genres.n;

    total = 0;
    for (i = 0; i < t->n_items; i++) {
        if (i < d->cap_meta && d->item_genres[i] != NULL) {
            total += d->item_genres[i][0];
        }
    }

    if (recsys_csr_alloc(&t->item_genres, t->n_items, total) != 0) {
        return RECSYS_ENOMEM;
    }

    total = 0;
    for (i = 0; i < t->n_items; i++) {
        t->item_genres.offsets[i] = total;

        ids = i < d->cap_meta ? d->item_genres[i] : NULL;
        if (ids == NULL) {
            continue;
        }

        for (g = 0; g < ids[0]; g++) {
            t->item_genres.entries[total].item = ids[1 + g];
            t->item_genres.entries[total].score = 1.0f;
            total++;
        }
    }

    t->item_genres.offsets[t->n_items] = total;

    t->genre_names = calloc((size_t) t->n_genres + 1, sizeof(char *));
    if (t->genre_names == NULL) {
        return RECSYS_ENOMEM;
    }

    for (g = 0; g < t->n_genres; g++) {
        name = recsys_dict_key(&d->genres, g, &len);

        t->genre_names[g] = malloc(len + 1);
        if (t->genre_names[g] == NULL) {
            return RECSYS_ENOMEM;
        }

        memcpy(t->genre_names[g], name, len);
        t->genre_names[g][len] = '\0';
    }

    return RECSYS_OK;
}


static int
recsys_train_layout(const recsys_data_t *d, recsys_train_t *t,
    recsys_data_t *release)
{
    int  rc;

    memset(t, 0, sizeof(recsys_train_t));

    t->n_users = d->users.n;
    t->n_items = d->items.n;
    t->explicit_ratings = d->has_rating;
    t->data = d;

    rc = recsys_train_users(d, t, release);

    if (rc == RECSYS_OK) {
        rc = recsys_train_by_item(t);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_train_genres(d, t);
    }

    if (rc != RECSYS_OK) {
        recsys_train_free(t);
    }

    return rc;
}


int
recsys_train_build(const recsys_data_t *d, recsys_train_t *t)
{
    return recsys_train_layout(d, t, NULL);
}


int
recsys_train_build_release(recsys_data_t *d, recsys_train_t *t)
{
    int  rc;

    rc = recsys_train_layout(d, t, d);
    recsys_data_release_events(d);

    return rc;
}


void
recsys_train_free(recsys_train_t *t)
{
    uint32_t  g;

    recsys_csr_free(&t->by_user);
    recsys_csr_free(&t->by_item);
    recsys_csr_free(&t->seq);
    recsys_csr_free(&t->item_genres);
    free(t->seq_time);

    if (t->genre_names != NULL) {
        for (g = 0; g < t->n_genres; g++) {
            free(t->genre_names[g]);
        }

        free(t->genre_names);
    }

    memset(t, 0, sizeof(recsys_train_t));
}
