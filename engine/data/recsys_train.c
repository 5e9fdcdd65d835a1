/*
 * recsys_train.c: from the ingested log to training data.
 *
 * The rows are grouped by user in place (each row's file position goes
 * into its pad first, so the order inside a user is restored by sorting);
 * each user's rows are then sorted by item and only the latest row of each
 * item is kept (timestamp, then file order); with an event column the
 * rows' values add up instead (a sum past a float's range is held at the
 * largest float of its sign), and with a decay each value halves every
 * decay_days before the newest row of the log.  Those kept rows, by item
 * index, are by_user; by timestamp, seq; transposed, by_item.  The rows'
 * own array becomes seq's entries, squeezed in place, so the rows are
 * never held twice.  Users are independent, so the per-user sorts run on
 * all threads.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_float.h"
#include "recsys_sorted.h"
#include "recsys_status.h"
#include "recsys_train.h"


/* a kept row once its user and file position are no longer needed */
typedef struct {
    uint32_t  item;
    float     value;
    int64_t   ts;
} recsys_train_timed_t;


/* in time order, ties in file order (pad holds the row's file position) */
RECSYS_SORTED_CMP2(recsys_train_cmp_time, recsys_event_t, ts, pad)


/* by item, then in time order */
static int
recsys_train_cmp_item(const void *a, const void *b)
{
    const recsys_event_t  *x = a, *y = b;

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
 * Groups the rows by user in place: user u's go to start[u] ..
 * start[u + 1] (counted by the caller); next is scratch for n_users
 * cursors.  Each swap puts one row in its user's range for good.  The
 * order inside a user is not kept: the file position in pad restores it.
 */
static void
recsys_train_group(recsys_event_t *ev, const uint64_t *start, uint64_t *next,
    uint32_t n_users)
{
    uint32_t        u, v;
    recsys_event_t  row;

    memcpy(next, start, (size_t) n_users * sizeof(uint64_t));

    for (u = 0; u < n_users; u++) {
        while (next[u] < start[u + 1]) {
            v = ev[next[u]].user;

            if (v == u) {
                next[u]++;
                continue;
            }

            row = ev[next[v]];
            ev[next[v]++] = ev[next[u]];
            ev[next[u]] = row;
        }
    }
}


/*
 * Each user's rows sorted by item, one kept per item (the latest; with an
 * event column their values add up; with a decay each fades with its
 * age): kept[u] of them, at the start of the user's range.
 */
static void
recsys_train_reduce(const recsys_data_t *d, recsys_event_t *ev,
    const uint64_t *start, uint64_t *kept, uint32_t n_users, int64_t t_max)
{
    long    u;
    double  decay;

    /* time decay: a value halves every decay_days before the newest row */
    decay = d->decay_days > 0.0 ? log(2.0) / (d->decay_days * 86400.0) : 0.0;

#pragma omp parallel for schedule(dynamic, 256)
    for (u = 0; u < (long) n_users; u++) {
        double           sum;
        uint64_t         j, w, n;
        recsys_event_t  *seg;

        seg = ev + start[u];
        n = start[u + 1] - start[u];

        qsort(seg, n, sizeof(recsys_event_t), recsys_train_cmp_item);

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

            /*
             * The latest row stands; with events, the rows add up.  Each
             * row fits a float (the ingest refuses others), their sum may
             * not: it is held at the largest float of its sign, never inf.
             */
            seg[w] = seg[j];
            if (d->has_events) {
                seg[w].value = recsys_float_clamp(sum);
            }

            w++;
            sum = 0.0;
        }

        kept[u] = w;
    }
}


/* Gives back what lies past size bytes of p (a failed shrink keeps all). */
static void *
recsys_train_shrink(void *p, size_t size)
{
    void  *q;

    q = realloc(p, size ? size : 1);

    return q != NULL ? q : p;
}


/*
 * seq and seq_time from the kept rows, each user's sorted by time: the
 * rows (24 bytes each) are squeezed in place to (item, value, time), then
 * to seq's entries, the times going out to seq_time.  A row is read before
 * anything is written over it, as the squeezed rows start no later.
 */
static int
recsys_train_seq(recsys_train_t *t, void *rows, uint64_t total)
{
    uint64_t              j;
    recsys_entry_t        e;
    recsys_event_t        r;
    recsys_train_timed_t  x;

    for (j = 0; j < total; j++) {
        memcpy(&r, (char *) rows + j * sizeof(r), sizeof(r));
        x.item = r.item;
        x.value = r.value;
        x.ts = r.ts;
        memcpy((char *) rows + j * sizeof(x), &x, sizeof(x));
    }

    rows = recsys_train_shrink(rows, total * sizeof(x));

    t->seq_time = malloc((total ? total : 1) * sizeof(int64_t));
    if (t->seq_time == NULL) {
        free(rows);
        return RECSYS_ENOMEM;
    }

    for (j = 0; j < total; j++) {
        memcpy(&x, (char *) rows + j * sizeof(x), sizeof(x));
        t->seq_time[j] = x.ts;
        e.item = x.item;
        e.score = x.value;
        memcpy((char *) rows + j * sizeof(e), &e, sizeof(e));
    }

    t->seq.entries = recsys_train_shrink(rows, total * sizeof(e));

    return RECSYS_OK;
}


/*
 * by_user, seq and seq_time from d's rows, laid out in place in one array
 * of them: d's own with release (d itself; d->events is then gone), else
 * a copy.  The peak is the rows and by_user, or the squeezed rows and
 * the layouts, not the rows twice.
 *
 * The rows' pad holds their file position here: at most 2^32 rows.
 */
static int
recsys_train_users(const recsys_data_t *d, recsys_train_t *t,
    recsys_data_t *release)
{
    uint64_t        *start, *kept, total;
    recsys_event_t  *ev;
    long             u;
    size_t           i;
    int64_t          t_max;
    uint32_t         n_users;

    n_users = t->n_users;

    if (d->n_events > UINT32_MAX) {
        return RECSYS_ENOMEM;
    }

    /* (a log without rows, allowed for a shard, may have no array) */
    if (release != NULL && release->events != NULL) {
        ev = release->events;
        release->events = NULL;
        release->cap_events = 0;

    } else {
        ev = malloc((d->n_events ? d->n_events : 1) * sizeof(recsys_event_t));
        if (ev != NULL && d->n_events > 0) {
            memcpy(ev, d->events, d->n_events * sizeof(recsys_event_t));
        }
    }

    start = calloc((size_t) n_users + 1, sizeof(uint64_t));
    kept = calloc((size_t) n_users + 1, sizeof(uint64_t));

    if (ev == NULL || start == NULL || kept == NULL) {
        goto nomem;
    }

    /* the newest row, for the time decay */
    t_max = INT64_MIN;

    for (i = 0; i < d->n_events; i++) {
        ev[i].pad = (uint32_t) i;
        start[ev[i].user + 1]++;

        if (ev[i].ts > t_max) {
            t_max = ev[i].ts;
        }
    }

    for (u = 0; u < (long) n_users; u++) {
        start[u + 1] += start[u];
    }

    recsys_train_group(ev, start, kept, n_users);
    recsys_train_reduce(d, ev, start, kept, n_users, t_max);

    /* the kept rows to the front, start[] then their offsets */
    total = 0;
    for (u = 0; u < (long) n_users; u++) {
        memmove(ev + total, ev + start[u], kept[u] * sizeof(recsys_event_t));
        start[u] = total;
        total += kept[u];
    }

    start[n_users] = total;
    ev = recsys_train_shrink(ev, total * sizeof(recsys_event_t));

    if (recsys_csr_alloc(&t->by_user, n_users, total) != 0) {
        goto nomem;
    }

    t->seq.n_rows = n_users;
    t->seq.n_entries = (uint32_t) total;
    t->seq.offsets = malloc(((size_t) n_users + 1) * sizeof(uint32_t));
    if (t->seq.offsets == NULL) {
        goto nomem;
    }

    for (u = 0; u <= (long) n_users; u++) {
        t->by_user.offsets[u] = (uint32_t) start[u];
        t->seq.offsets[u] = (uint32_t) start[u];
    }

#pragma omp parallel for schedule(dynamic, 256)
    for (u = 0; u < (long) n_users; u++) {
        uint64_t         j;
        recsys_event_t  *seg;
        recsys_entry_t  *out;

        seg = ev + start[u];
        out = t->by_user.entries + start[u];

        for (j = 0; j < start[u + 1] - start[u]; j++) {
            out[j].item = seg[j].item;
            out[j].score = seg[j].value;
        }

        qsort(seg, start[u + 1] - start[u], sizeof(recsys_event_t),
              recsys_train_cmp_time);
    }

    free(start);
    free(kept);

    return recsys_train_seq(t, ev, total);

nomem:

    free(ev);
    free(start);
    free(kept);

    return RECSYS_ENOMEM;
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
