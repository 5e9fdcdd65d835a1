/*
 * recsys_ingest.c: interaction logs and catalogs into recsys_data_t.
 *
 * Rows stream through recsys_csv one at a time; only the interned ids and a
 * 24-byte event per row are kept, never the text of the log.  Numbers are
 * parsed by hand (plain decimals, no locale) because strtod dominates a
 * multi-million-row ingest.
 */

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "recsys_attrs.h"
#include "recsys_csv.h"
#include "recsys_ingest.h"
#include "recsys_number.h"
#include "recsys_progress.h"
#include "recsys_schema.h"
#include "recsys_status.h"
#include "recsys_text.h"


typedef struct {
    int  user;
    int  item;
    int  rating;
    int  ts;
    int  event;
    int  needed;        /* fields a row must have */
} recsys_columns_t;


static int recsys_ingest_fail(char *err, size_t errlen, const char *path,
    uint64_t line, const char *why);


int
recsys_data_init(recsys_data_t *d)
{
    memset(d, 0, sizeof(recsys_data_t));

    if (recsys_dict_init(&d->users, 1024) != RECSYS_OK
        || recsys_dict_init(&d->items, 1024) != RECSYS_OK
        || recsys_dict_init(&d->genres, 64) != RECSYS_OK)
    {
        recsys_data_free(d);
        return RECSYS_ENOMEM;
    }

    return RECSYS_OK;
}


void
recsys_data_release_events(recsys_data_t *d)
{
    free(d->events);
    d->events = NULL;
    d->cap_events = 0;
}


void
recsys_data_free(recsys_data_t *d)
{
    size_t  i;

    recsys_dict_free(&d->users);
    recsys_dict_free(&d->items);
    recsys_dict_free(&d->genres);
    recsys_itemattr_free(&d->attrs);
    free(d->events);

    for (i = 0; i < d->cap_meta; i++) {
        free(d->item_meta[i]);
        free(d->item_title[i]);
        free(d->item_genres[i]);
    }

    free(d->item_meta);
    free(d->item_title);
    free(d->item_genres);

    memset(d, 0, sizeof(recsys_data_t));
}


static int
recsys_ingest_fail(char *err, size_t errlen, const char *path, uint64_t line,
    const char *why)
{
    snprintf(err, errlen, "%s:%llu: %s", path, (unsigned long long) line,
             why);
    return RECSYS_EINVAL;
}


/* Plain decimal: [-+]digits[.digits]; no exponent, no locale. */
static int
recsys_parse_number(const char *p, size_t len, double *out)
{
    int      neg, digits;
    double   v, scale;
    size_t   i;

    i = 0;
    neg = 0;

    if (i < len && (p[i] == '-' || p[i] == '+')) {
        neg = p[i] == '-';
        i++;
    }

    v = 0.0;
    digits = 0;

    for ( /* void */ ; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
        v = v * 10.0 + (p[i] - '0');
        digits++;
    }

    if (i < len && p[i] == '.') {
        scale = 0.1;

        for (i++; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
            v += (p[i] - '0') * scale;
            scale *= 0.1;
            digits++;
        }
    }

    if (i != len || digits == 0 || !isfinite(v)) {
        return 0;
    }

    *out = neg ? -v : v;

    return 1;
}


static int
recsys_parse_int64(const char *p, size_t len, int64_t *out)
{
    size_t    i;
    uint64_t  v;

    if (len == 0 || len > 18) {
        return 0;
    }

    v = 0;

    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return 0;
        }

        v = v * 10 + (uint64_t) (p[i] - '0');
    }

    *out = (int64_t) v;

    return 1;
}


/*
 * Whether the field is one of names, ignoring case; with whole 0, whether
 * it starts with one of them.
 */
static int
recsys_name_match(const recsys_field_t *f, const char *const *names,
    int whole)
{
    size_t  n;

    for ( /* void */ ; *names != NULL; names++) {
        n = strlen(*names);

        if ((whole ? f->len == n : f->len >= n)
            && strncasecmp(f->p, *names, n) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* Whether the field holds a decimal digit. */
static int
recsys_has_digit(const recsys_field_t *f)
{
    size_t  i;

    for (i = 0; i < f->len; i++) {
        if (f->p[i] >= '0' && f->p[i] <= '9') {
            return 1;
        }
    }

    return 0;
}


static const char *const  recsys_user_prefixes[] = {
    "user", "uid", "visitor", "customer", "account", "member", "viewer",
    "listener", "player", NULL
};

static const char *const  recsys_item_prefixes[] = {
    "item", "iid", "movie", "track", "song", "video", "game", "product",
    "content", "show", "episode", NULL
};

static const char *const  recsys_rating_names[] = {
    "rating", "score", "value", "weight", "stars", NULL
};

static const char *const  recsys_event_names[] = {
    "event", "action", "type", "kind", "event_type", NULL
};

static const char *const  recsys_ts_prefixes[] = {
    "timestamp", "time", "ts", "epoch", "date", NULL
};


/*
 * Decides whether the first record is a header and where the columns are.
 * Returns 1 for a header, 0 for data, or a negative status.
 */
static int
recsys_ingest_columns(recsys_csv_t *csv, recsys_columns_t *cols, char *err,
    size_t errlen)
{
    int              header, named, k, r;
    double           v;
    int64_t          ts;
    recsys_field_t  *f;

    /* a column's role, by the names its header may give (whole or start) */
    struct {
        int                *col;
        const char *const  *names;
        int                 whole;
    }  roles[5] = {
        { &cols->user, recsys_user_prefixes, 0 },
        { &cols->item, recsys_item_prefixes, 0 },
        { &cols->rating, recsys_rating_names, 1 },
        { &cols->event, recsys_event_names, 1 },
        { &cols->ts, recsys_ts_prefixes, 0 }
    };

    cols->user = -1;
    cols->item = -1;
    cols->rating = -1;
    cols->ts = -1;
    cols->event = -1;

    /*
     * A header: a field that cannot be data where it stands (a rating or
     * a timestamp that is not a number), or a row made only of column
     * names: each one of a role's names, or begins with one of its
     * prefixes and holds no digit ("customer_id", "listener").
     * "user1,item1" is data.
     */
    header = 1;

    for (k = 0; k < (int) csv->n_fields; k++) {
        f = &csv->fields[k];
        named = 0;

        for (r = 0; r < 5 && !named; r++) {
            named = recsys_name_match(f, roles[r].names, roles[r].whole)
                    && (roles[r].whole || !recsys_has_digit(f));
        }

        header = header && named;
    }

    if ((csv->n_fields >= 3
         && !recsys_parse_number(csv->fields[2].p, csv->fields[2].len, &v))
        || (csv->n_fields >= 4
            && !recsys_parse_int64(csv->fields[3].p, csv->fields[3].len,
                                   &ts)))
    {
        header = 1;
    }

    if (!header) {
        if (csv->n_fields < 2) {
            return recsys_ingest_fail(err, errlen, csv->path, csv->line,
                                      "expected user and item fields");
        }

        cols->user = 0;
        cols->item = 1;
        cols->rating = csv->n_fields >= 3 ? 2 : -1;
        cols->ts = csv->n_fields >= 4 ? 3 : -1;
        cols->needed = csv->n_fields >= 4 ? 4 : (int) csv->n_fields;

        return 0;
    }

    for (k = 0; k < (int) csv->n_fields; k++) {
        f = &csv->fields[k];

        /* the first role still open that the name fits */
        for (r = 0; r < 5; r++) {
            if (*roles[r].col < 0
                && recsys_name_match(f, roles[r].names, roles[r].whole))
            {
                *roles[r].col = k;
                break;
            }
        }
    }

    if (cols->user < 0 || cols->item < 0) {
        return recsys_ingest_fail(err, errlen, csv->path, csv->line,
                                  "the header names no user or no item "
                                  "column");
    }

    cols->needed = 0;
    for (k = 0; k < 5; k++) {
        int c = k == 0 ? cols->user : k == 1 ? cols->item
                : k == 2 ? cols->rating : k == 3 ? cols->ts : cols->event;

        if (c + 1 > cols->needed) {
            cols->needed = c + 1;
        }
    }

    return 1;
}


static int
recsys_ingest_meta_slot(recsys_data_t *d, uint32_t item)
{
    size_t     cap;
    char     **meta, **title;
    uint32_t **genres;

    if (item < d->cap_meta) {
        return RECSYS_OK;
    }

    cap = d->cap_meta ? d->cap_meta : 1024;
    while (cap <= item) {
        cap *= 2;
    }

    meta = realloc(d->item_meta, cap * sizeof(char *));
    if (meta == NULL) {
        return RECSYS_ENOMEM;
    }

    d->item_meta = meta;

    title = realloc(d->item_title, cap * sizeof(char *));
    if (title == NULL) {
        return RECSYS_ENOMEM;
    }

    d->item_title = title;

    genres = realloc(d->item_genres, cap * sizeof(uint32_t *));
    if (genres == NULL) {
        return RECSYS_ENOMEM;
    }

    d->item_genres = genres;

    memset(meta + d->cap_meta, 0, (cap - d->cap_meta) * sizeof(char *));
    memset(title + d->cap_meta, 0, (cap - d->cap_meta) * sizeof(char *));
    memset(genres + d->cap_meta, 0,
           (cap - d->cap_meta) * sizeof(uint32_t *));
    d->cap_meta = cap;

    return RECSYS_OK;
}


static int
recsys_ingest_event(recsys_data_t *d, recsys_csv_t *csv,
    const recsys_columns_t *cols, char *err, size_t errlen)
{
    char             why[96];
    float            w;
    double           v;
    int64_t          ts;
    uint32_t         erased;
    recsys_event_t  *e, *events;
    recsys_field_t  *uf, *itf, *f;

    if ((int) csv->n_fields < cols->needed) {
        snprintf(why, sizeof(why), "expected %d fields, found %u",
                 cols->needed, csv->n_fields);
        return recsys_ingest_fail(err, errlen, csv->path, csv->line, why);
    }

    uf = &csv->fields[cols->user];
    itf = &csv->fields[cols->item];

    if (!recsys_id_valid(uf->p, uf->len)) {
        return recsys_ingest_fail(err, errlen, csv->path, csv->line,
                                  "user id must be 1 to 256 bytes of UTF-8");
    }

    if (!recsys_id_valid(itf->p, itf->len)) {
        return recsys_ingest_fail(err, errlen, csv->path, csv->line,
                                  "item id must be 1 to 256 bytes of UTF-8");
    }

    v = 1.0;
    if (cols->rating >= 0
        && !recsys_parse_number(csv->fields[cols->rating].p,
                                csv->fields[cols->rating].len, &v))
    {
        return recsys_ingest_fail(err, errlen, csv->path, csv->line,
                                  "rating is not a number");
    }

    /* values are stored as floats: one past their range is no rating */
    if (fabs(v) > FLT_MAX) {
        return recsys_ingest_fail(err, errlen, csv->path, csv->line,
                                  "rating is out of range (at most "
                                  "3.4e38 in size)");
    }

    if (cols->event >= 0) {
        f = &csv->fields[cols->event];

        if (!recsys_ingest_event_weight(d, f->p, f->len, &w)) {
            snprintf(why, sizeof(why), "unknown event \"%.*s\" (give it a "
                     "weight with --event-weights)",
                     (int) (f->len < 40 ? f->len : 40), f->p);
            return recsys_ingest_fail(err, errlen, csv->path, csv->line,
                                      why);
        }

        v *= w;

        if (fabs(v) > FLT_MAX) {
            return recsys_ingest_fail(err, errlen, csv->path, csv->line,
                                      "rating times the event's weight is "
                                      "out of range (at most 3.4e38 in "
                                      "size)");
        }
    }

    ts = RECSYS_NO_TIME;
    if (cols->ts >= 0
        && !recsys_parse_int64(csv->fields[cols->ts].p,
                               csv->fields[cols->ts].len, &ts))
    {
        return recsys_ingest_fail(err, errlen, csv->path, csv->line,
                                  "timestamp is not a whole number of "
                                  "Unix seconds");
    }

    if (d->erase != NULL
        && recsys_dict_find(d->erase, uf->p, uf->len, &erased) == RECSYS_OK)
    {
        return RECSYS_OK;       /* an erased user: the row never was */
    }

    if (d->n_events == d->cap_events) {
        d->cap_events = d->cap_events ? d->cap_events * 2 : 1 << 16;
        events = realloc(d->events, d->cap_events * sizeof(recsys_event_t));
        if (events == NULL) {
            return recsys_ingest_fail(err, errlen, csv->path, csv->line,
                                      "out of memory");
        }

        d->events = events;
    }

    e = &d->events[d->n_events];

    if (recsys_dict_intern(&d->users, uf->p, uf->len, &e->user) != RECSYS_OK
        || recsys_dict_intern(&d->items, itf->p, itf->len, &e->item)
           != RECSYS_OK)
    {
        return recsys_ingest_fail(err, errlen, csv->path, csv->line,
                                  "out of memory");
    }

    e->value = (float) v;
    e->pad = 0;
    e->ts = ts;
    d->n_events++;

    return RECSYS_OK;
}


int
recsys_ingest_interactions(recsys_data_t *d, const char *path, char *err,
    size_t errlen)
{
    int                rc, first;
    recsys_csv_t       csv;
    recsys_columns_t   cols;
    recsys_progress_t  pg;

    rc = recsys_csv_open_err(&csv, path, 0, err, errlen);
    if (rc != RECSYS_OK) {
        return rc;
    }

    first = 1;
    recsys_progress_begin(&pg, "ingest", "rows", 0);

    while ((rc = recsys_csv_next(&csv)) == 1) {
        if ((d->n_events & 0xffff) == 0) {
            recsys_progress_tick(&pg, d->n_events);
        }

        if (first) {
            first = 0;

            rc = recsys_ingest_columns(&csv, &cols, err, errlen);
            if (rc < 0) {
                goto done;
            }

            /* several logs: what one of them has, the data has */
            d->has_rating |= cols.rating >= 0;
            d->has_events |= cols.event >= 0;

            if (rc == 1) {
                continue;
            }
        }

        rc = recsys_ingest_event(d, &csv, &cols, err, errlen);
        if (rc != RECSYS_OK) {
            goto done;
        }
    }

    if (rc < 0) {
        recsys_ingest_fail(err, errlen, path, csv.line, csv.err);
        goto done;
    }

    rc = RECSYS_OK;

done:

    recsys_progress_end(&pg, d->n_events);
    recsys_csv_close(&csv);
    return rc;
}


const char *
recsys_ingest_event_spec(const recsys_data_t *d)
{
    return d->event_weights != NULL ? d->event_weights
                                    : RECSYS_EVENT_WEIGHTS_DEFAULT;
}


int
recsys_ingest_event_weight(const recsys_data_t *d, const char *name,
    size_t len, float *weight)
{
    double        v;
    size_t        n;
    const char   *p, *eq, *comma, *spec;

    spec = recsys_ingest_event_spec(d);

    for (p = spec; *p != '\0'; p = *comma ? comma + 1 : comma) {
        comma = strchr(p, ',');
        if (comma == NULL) {
            comma = p + strlen(p);
        }

        eq = memchr(p, '=', comma - p);
        if (eq == NULL) {
            continue;
        }

        n = eq - p;

        if (n == len && strncasecmp(p, name, len) == 0) {
            if (recsys_number_double(eq + 1, (size_t) (comma - eq - 1),
                                     -FLT_MAX, FLT_MAX, &v)
                != RECSYS_OK)
            {
                return 0;
            }

            *weight = (float) v;
            return 1;
        }
    }

    return 0;
}


char *
recsys_ingest_render_meta(const char *title, size_t title_len,
    const char **genres, const size_t *genre_lens, size_t n_genres)
{
    char    *s, *frag;
    size_t   i, len, kept;
    json_t  *obj, *arr, *str;

    obj = json_object();
    arr = json_array();

    if (obj == NULL || arr == NULL) {
        json_decref(obj);
        json_decref(arr);
        return NULL;
    }

    str = title_len > 0 ? json_stringn(title, title_len) : json_null();

    kept = 0;
    for (i = 0; i < n_genres; i++) {
        if (genre_lens[i] > 0) {
            json_array_append_new(arr, json_stringn(genres[i],
                                                    genre_lens[i]));
            kept++;
        }
    }

    if (str == NULL || json_array_size(arr) != kept) {
        json_decref(str);
        json_decref(obj);
        json_decref(arr);
        return NULL;
    }

    json_object_set_new(obj, "title", str);
    json_object_set_new(obj, "genres", arr);

    s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);

    if (s == NULL) {
        return NULL;
    }

    /* strip the braces: the fragment is spliced into a larger object */

    len = strlen(s);
    frag = malloc(len - 1);
    if (frag != NULL) {
        memcpy(frag, s + 1, len - 2);
        frag[len - 2] = '\0';
    }

    free(s);

    return frag;
}


/* Splits a '|'-separated genre list; "(no genres listed)" is none. */
static size_t
recsys_split_genres(const char *p, size_t len, const char **out,
    size_t *lens, size_t max)
{
    size_t       n;
    const char  *end, *bar;

    if (len == 0 || (len == 18 && memcmp(p, "(no genres listed)", 18) == 0))
    {
        return 0;
    }

    n = 0;
    end = p + len;

    while (p <= end && n < max) {
        bar = memchr(p, '|', end - p);
        if (bar == NULL) {
            bar = end;
        }

        if (bar > p) {
            out[n] = p;
            lens[n] = bar - p;
            n++;
        }

        p = bar + 1;
    }

    return n;
}


static int
recsys_ingest_item_meta(recsys_data_t *d, const char *path, uint64_t line,
    const char *id, size_t id_len, const char *title, size_t title_len,
    const char **genres, const size_t *genre_lens, size_t n_genres,
    char *err, size_t errlen)
{
    size_t     i;
    uint32_t   item, *ids;

    if (!recsys_id_valid(id, id_len)) {
        return recsys_ingest_fail(err, errlen, path, line,
                                  "item id must be 1 to 256 bytes of UTF-8");
    }

    if (recsys_dict_intern(&d->items, id, id_len, &item) != RECSYS_OK
        || recsys_ingest_meta_slot(d, item) != RECSYS_OK)
    {
        return recsys_ingest_fail(err, errlen, path, line, "out of memory");
    }

    if (d->item_meta[item] != NULL) {
        return recsys_ingest_fail(err, errlen, path, line,
                                  "duplicate item id");
    }

    d->item_meta[item] = recsys_ingest_render_meta(title, title_len, genres,
                                                   genre_lens, n_genres);
    if (d->item_meta[item] == NULL) {
        return recsys_ingest_fail(err, errlen, path, line,
                                  "title or genres are not valid UTF-8");
    }

    d->item_title[item] = malloc(title_len + 1);
    d->item_genres[item] = malloc((n_genres + 1) * sizeof(uint32_t));

    if (d->item_title[item] == NULL || d->item_genres[item] == NULL) {
        return recsys_ingest_fail(err, errlen, path, line, "out of memory");
    }

    if (title_len > 0) {
        memcpy(d->item_title[item], title, title_len);
    }

    d->item_title[item][title_len] = '\0';
    d->item_genres[item][0] = 0;

    for (i = 0; i < n_genres; i++) {
        ids = d->item_genres[item];

        if (recsys_dict_intern(&d->genres, genres[i], genre_lens[i],
                               &ids[1 + ids[0]])
            != RECSYS_OK)
        {
            return recsys_ingest_fail(err, errlen, path, line,
                                      "out of memory");
        }

        ids[0]++;
    }

    d->catalog_items++;

    return RECSYS_OK;
}


/* The attribute columns of a CSV catalog's header: their names. */
typedef struct {
    char      name[RECSYS_CSV_MAX_FIELDS][RECSYS_ATTR_NAME_MAX];
    size_t    len[RECSYS_CSV_MAX_FIELDS];
    uint32_t  n;
} recsys_ingest_attr_cols_t;


static void
recsys_ingest_attr_header(recsys_ingest_attr_cols_t *h, const recsys_csv_t *csv,
    int c_title, int c_genres)
{
    uint32_t               k;
    const recsys_field_t  *f;

    h->n = csv->n_fields;

    for (k = 0; k < csv->n_fields; k++) {
        f = &csv->fields[k];
        h->len[k] = 0;

        if (k != 0 && (int) k != c_title && (int) k != c_genres
            && recsys_itemattr_name_ok(f->p, f->len))
        {
            memcpy(h->name[k], f->p, f->len);
            h->len[k] = f->len;
        }
    }
}


/* A catalog row's attribute fields, for the item of id. */
static int
recsys_ingest_attr_row(recsys_data_t *d, const recsys_ingest_attr_cols_t *h,
    const recsys_csv_t *csv, char *err, size_t errlen, const char *path)
{
    int       rc;
    uint32_t  k, item;

    if (recsys_dict_find(&d->items, csv->fields[0].p, csv->fields[0].len,
                         &item)
        != RECSYS_OK)
    {
        return RECSYS_OK;
    }

    for (k = 1; k < h->n && k < csv->n_fields; k++) {
        if (h->len[k] == 0) {
            continue;
        }

        rc = recsys_itemattr_set(&d->attrs, h->name[k], h->len[k], item,
                                 RECSYS_ITEMATTR_TEXT, &csv->fields[k].p,
                                 &csv->fields[k].len, 1);
        if (rc != RECSYS_OK) {
            return recsys_ingest_fail(err, errlen, path, csv->line,
                                      rc == RECSYS_ELIMIT
                                      ? "too many attribute columns"
                                      : "out of memory");
        }
    }

    return RECSYS_OK;
}


static int
recsys_ingest_catalog_csv(recsys_data_t *d, const char *path, char *err,
    size_t errlen)
{
    int               rc, first, k, c_id, c_title, c_genres, needed;
    size_t            n_genres, lens[64];
    const char       *genres[64];
    recsys_csv_t      csv;
    recsys_field_t   *f;
    recsys_ingest_attr_cols_t  *attr_cols;

    static const char *const  id_names[] = {
        "id", "itemid", "item_id", "item", "movieid", "movie_id", NULL
    };
    static const char *const  title_names[] = { "title", "name", NULL };
    static const char *const  genre_names[] = {
        "genres", "genre", "categories", "category", NULL
    };

    rc = recsys_csv_open_err(&csv, path, ',', err, errlen);
    if (rc != RECSYS_OK) {
        return rc;
    }

    first = 1;
    c_id = 0;
    c_title = 1;
    c_genres = 2;

    attr_cols = calloc(1, sizeof(recsys_ingest_attr_cols_t));
    if (attr_cols == NULL) {
        recsys_csv_close(&csv);
        snprintf(err, errlen, "%s: out of memory", path);
        return RECSYS_ENOMEM;
    }

    while ((rc = recsys_csv_next(&csv)) == 1) {
        if (first) {
            first = 0;

            if (recsys_name_match(&csv.fields[0], id_names, 1)) {
                c_title = -1;
                c_genres = -1;

                for (k = 1; k < (int) csv.n_fields; k++) {
                    f = &csv.fields[k];

                    if (c_title < 0 && recsys_name_match(f, title_names, 1)) {
                        c_title = k;

                    } else if (c_genres < 0
                               && recsys_name_match(f, genre_names, 1))
                    {
                        c_genres = k;
                    }
                }

                recsys_ingest_attr_header(attr_cols, &csv, c_title,
                                          c_genres);
                continue;
            }
        }

        needed = 1;
        if (c_title + 1 > needed) {
            needed = c_title + 1;
        }
        if (c_genres + 1 > needed) {
            needed = c_genres + 1;
        }

        if ((int) csv.n_fields < needed) {
            rc = recsys_ingest_fail(err, errlen, path, csv.line,
                                    "too few fields for id,title,genres");
            goto done;
        }

        n_genres = 0;
        if (c_genres >= 0) {
            n_genres = recsys_split_genres(csv.fields[c_genres].p,
                                           csv.fields[c_genres].len,
                                           genres, lens, 64);
        }

        rc = recsys_ingest_item_meta(d, path, csv.line,
                                     csv.fields[c_id].p, csv.fields[c_id].len,
                                     c_title >= 0 ? csv.fields[c_title].p
                                                  : NULL,
                                     c_title >= 0 ? csv.fields[c_title].len
                                                  : 0,
                                     genres, lens, n_genres, err, errlen);
        if (rc == RECSYS_OK && attr_cols->n > 0) {
            rc = recsys_ingest_attr_row(d, attr_cols, &csv, err, errlen,
                                        path);
        }

        if (rc != RECSYS_OK) {
            goto done;
        }
    }

    if (rc < 0) {
        recsys_ingest_fail(err, errlen, path, csv.line, csv.err);
        goto done;
    }

    rc = RECSYS_OK;

done:

    free(attr_cols);
    recsys_csv_close(&csv);
    return rc;
}


/* A JSON catalog line's other fields: numbers, strings, string arrays. */
static int
recsys_ingest_attr_json(recsys_data_t *d, json_t *obj, const char *id,
    size_t id_len, char *err, size_t errlen, const char *path,
    uint64_t line)
{
    int                     rc;
    char                    num[64];
    size_t                  k, n, lens[RECSYS_ATTRS_MAX];
    json_t                 *v, *e;
    uint32_t                item;
    const char             *key, *parts[RECSYS_ATTRS_MAX];
    recsys_itemattr_kind_t  kind;

    if (recsys_dict_find(&d->items, id, id_len, &item) != RECSYS_OK) {
        return RECSYS_OK;
    }

    json_object_foreach(obj, key, v) {
        if (strcmp(key, "id") == 0 || strcmp(key, "title") == 0
            || strcmp(key, "genres") == 0
            || !recsys_itemattr_name_ok(key, strlen(key)))
        {
            continue;
        }

        n = 0;
        kind = RECSYS_ITEMATTR_JSON_STRING;

        if (json_is_number(v)) {
            kind = RECSYS_ITEMATTR_JSON_NUMBER;
            snprintf(num, sizeof(num), "%.17g", json_number_value(v));
            parts[0] = num;
            lens[n++] = strlen(num);

        } else if (json_is_string(v)) {
            parts[0] = json_string_value(v);
            lens[n++] = json_string_length(v);

        } else if (json_is_array(v)) {
            kind = RECSYS_ITEMATTR_JSON_LIST;

            json_array_foreach(v, k, e) {
                if (json_is_string(e) && n < RECSYS_ATTRS_MAX) {
                    parts[n] = json_string_value(e);
                    lens[n++] = json_string_length(e);
                }
            }
        }

        rc = recsys_itemattr_set(&d->attrs, key, strlen(key), item, kind,
                                 parts, lens, (uint32_t) n);
        if (rc != RECSYS_OK) {
            return recsys_ingest_fail(err, errlen, path, line,
                                      rc == RECSYS_ELIMIT
                                      ? "too many attribute fields"
                                      : "out of memory");
        }
    }

    return RECSYS_OK;
}


static int
recsys_ingest_catalog_jsonl(recsys_data_t *d, const char *path, char *err,
    size_t errlen)
{
    int            rc;
    FILE          *fp;
    char          *line, idbuf[32], why[300];
    size_t         cap, n_genres, k, lens[64];
    ssize_t        len;
    uint64_t       lineno;
    json_t        *obj, *id, *title, *g, *e;
    const char    *genres[64], *idp;
    size_t         id_len;
    json_error_t   jerr;

    fp = fopen(path, "rb");
    if (fp == NULL) {
        snprintf(err, errlen, "%s: cannot open", path);
        return RECSYS_EIO;
    }

    line = NULL;
    cap = 0;
    lineno = 0;
    rc = RECSYS_OK;

    while ((len = getline(&line, &cap, fp)) >= 0) {
        lineno++;

        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'
                           || line[len - 1] == ' '))
        {
            len--;
        }

        if (len == 0) {
            continue;
        }

        obj = json_loadb(line, len, 0, &jerr);
        if (obj == NULL || !json_is_object(obj)) {
            snprintf(why, sizeof(why), "not a JSON object: %s",
                     obj == NULL ? jerr.text : "another JSON value");
            json_decref(obj);
            rc = recsys_ingest_fail(err, errlen, path, lineno, why);
            break;
        }

        id = json_object_get(obj, "id");
        title = json_object_get(obj, "title");
        g = json_object_get(obj, "genres");

        if (json_is_integer(id)) {
            snprintf(idbuf, sizeof(idbuf), "%" JSON_INTEGER_FORMAT,
                     json_integer_value(id));
            idp = idbuf;
            id_len = strlen(idbuf);

        } else if (json_is_string(id)) {
            idp = json_string_value(id);
            id_len = json_string_length(id);

        } else {
            json_decref(obj);
            rc = recsys_ingest_fail(err, errlen, path, lineno,
                                    "\"id\" must be a string or an integer");
            break;
        }

        n_genres = 0;

        if (json_is_string(g)) {
            n_genres = recsys_split_genres(json_string_value(g),
                                           json_string_length(g),
                                           genres, lens, 64);

        } else if (json_is_array(g)) {
            json_array_foreach(g, k, e) {
                if (!json_is_string(e) || n_genres == 64) {
                    continue;
                }

                genres[n_genres] = json_string_value(e);
                lens[n_genres] = json_string_length(e);
                n_genres++;
            }
        }

        rc = recsys_ingest_item_meta(d, path, lineno, idp, id_len,
                                     json_is_string(title)
                                         ? json_string_value(title) : NULL,
                                     json_is_string(title)
                                         ? json_string_length(title) : 0,
                                     genres, lens, n_genres, err, errlen);
        if (rc == RECSYS_OK) {
            rc = recsys_ingest_attr_json(d, obj, idp, id_len, err, errlen,
                                         path, lineno);
        }

        json_decref(obj);

        if (rc != RECSYS_OK) {
            break;
        }
    }

    free(line);
    fclose(fp);

    return rc;
}


int
recsys_ingest_catalog(recsys_data_t *d, const char *path, char *err,
    size_t errlen)
{
    int          c;
    FILE        *fp;
    size_t       len;

    len = strlen(path);

    if ((len > 6 && strcmp(path + len - 6, ".jsonl") == 0)
        || (len > 7 && strcmp(path + len - 7, ".ndjson") == 0)
        || (len > 5 && strcmp(path + len - 5, ".json") == 0))
    {
        return recsys_ingest_catalog_jsonl(d, path, err, errlen);
    }

    fp = fopen(path, "rb");
    if (fp == NULL) {
        snprintf(err, errlen, "%s: cannot open", path);
        return RECSYS_EIO;
    }

    do {
        c = fgetc(fp);
    } while (c == ' ' || c == '\n' || c == '\r' || c == '\t');

    fclose(fp);

    if (c == '{') {
        return recsys_ingest_catalog_jsonl(d, path, err, errlen);
    }

    return recsys_ingest_catalog_csv(d, path, err, errlen);
}


/* The natural order of a dict's ids, as a permutation. */

static const recsys_dict_t  *recsys_sort_dict;

static int
recsys_ingest_cmp_ids(const void *a, const void *b)
{
    size_t       alen, blen;
    const char  *ap, *bp;

    ap = recsys_dict_key(recsys_sort_dict, *(const uint32_t *) a, &alen);
    bp = recsys_dict_key(recsys_sort_dict, *(const uint32_t *) b, &blen);

    return recsys_id_cmp(ap, alen, bp, blen);
}


/* Rebuilds dict d in natural order; map[old] = new. */
static int
recsys_ingest_renumber(recsys_dict_t *d, uint32_t **map_out)
{
    int             rc;
    size_t          len;
    uint32_t        i, n, *order, *map, index;
    const char     *key;
    recsys_dict_t   nd;

    n = d->n;
    order = malloc((size_t) (n ? n : 1) * sizeof(uint32_t));
    map = malloc((size_t) (n ? n : 1) * sizeof(uint32_t));

    if (order == NULL || map == NULL
        || recsys_dict_init(&nd, n) != RECSYS_OK)
    {
        free(order);
        free(map);
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < n; i++) {
        order[i] = i;
    }

    recsys_sort_dict = d;
    qsort(order, n, sizeof(uint32_t), recsys_ingest_cmp_ids);
    recsys_sort_dict = NULL;

    for (i = 0; i < n; i++) {
        key = recsys_dict_key(d, order[i], &len);

        rc = recsys_dict_intern(&nd, key, len, &index);
        if (rc != RECSYS_OK) {
            recsys_dict_free(&nd);
            free(order);
            free(map);
            return rc;
        }

        map[order[i]] = index;
    }

    free(order);
    recsys_dict_free(d);
    *d = nd;
    *map_out = map;

    return RECSYS_OK;
}


int
recsys_ingest_finish(recsys_data_t *d, char *err, size_t errlen)
{
    size_t      i;
    char      **meta, **title;
    uint32_t   *umap, *imap, **genres;

    if (recsys_ingest_renumber(&d->users, &umap) != RECSYS_OK) {
        snprintf(err, errlen, "renumbering users: out of memory");
        return RECSYS_ENOMEM;
    }

    if (recsys_ingest_renumber(&d->items, &imap) != RECSYS_OK) {
        free(umap);
        snprintf(err, errlen, "renumbering items: out of memory");
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < d->n_events; i++) {
        d->events[i].user = umap[d->events[i].user];
        d->events[i].item = imap[d->events[i].item];
    }

    meta = calloc(d->items.n ? d->items.n : 1, sizeof(char *));
    title = calloc(d->items.n ? d->items.n : 1, sizeof(char *));
    genres = calloc(d->items.n ? d->items.n : 1, sizeof(uint32_t *));

    if (meta == NULL || title == NULL || genres == NULL) {
        free(meta);
        free(title);
        free(genres);
        free(umap);
        free(imap);
        snprintf(err, errlen, "renumbering items: out of memory");
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < d->cap_meta && i < d->items.n; i++) {
        meta[imap[i]] = d->item_meta[i];
        title[imap[i]] = d->item_title[i];
        genres[imap[i]] = d->item_genres[i];
    }

    free(d->item_meta);
    free(d->item_title);
    free(d->item_genres);
    d->item_meta = meta;
    d->item_title = title;
    d->item_genres = genres;
    d->cap_meta = d->items.n;

    free(umap);

    if (recsys_itemattr_renumber(&d->attrs, imap, d->items.n, d->items.n)
        != RECSYS_OK)
    {
        free(imap);
        snprintf(err, errlen, "renumbering items: out of memory");
        return RECSYS_ENOMEM;
    }

    free(imap);

    return RECSYS_OK;
}


int
recsys_ingest_log_head(recsys_csv_t *csv, int *user, char *err,
    size_t errlen)
{
    int               rc;
    recsys_columns_t  cols;

    rc = recsys_ingest_columns(csv, &cols, err, errlen);
    *user = cols.user;

    return rc;
}
