/*
 * recsys_content.c: item features, TF-IDF vectors, content neighbours and
 * content top lists.
 *
 * Building: the tags file is streamed into (item, tag) pairs, sorted and
 * counted; every item's raw (feature, tf) row is gathered from its genres,
 * tags and title words, sorted and merged; then df, idf, the weights and
 * the unit norm follow, and the transpose sorted by weight is the
 * inverted index.  Feature names live in one dict, each name after a kind
 * byte ('g', 't', 'w'), so the three kinds never collide.
 *
 * Scoring (neighbours of an item, top list of a user) is one routine: a
 * query vector q walks the posting lists of its features into a dense
 * per-thread accumulator over items.  A feature whose posting list is
 * longer than max_posting is walked only over its first max_posting items
 * and only to find candidates; its contribution to every candidate is
 * added afterwards from the candidate's own row through a dense copy of
 * q's capped weights, so that scores stay exact.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_csv.h"
#include "recsys_row.h"
#include "recsys_schema.h"
#include "recsys_sorted.h"
#include "recsys_status.h"
#include "recsys_text.h"
#include "recsys_topk.h"
#include "recsys_content.h"


#define RECSYS_CONTENT_NO_GENRE  "(no genres listed)"


typedef struct {
    uint32_t  item;
    uint32_t  tag;
} recsys_content_pair_t;

/* One thread's scratch for recsys_content_score(). */
typedef struct {
    double           *acc;          /* n_items */
    double           *dense;        /* n_features, zero between queries */
    uint32_t         *touched;      /* n_items */
    unsigned char    *flag;         /* n_items: 1 touched, 2 excluded */
    recsys_scored_t  *heap;
} recsys_content_scratch_t;

/* A growing byte buffer for prefixed names. */
typedef struct {
    char    *p;
    size_t   cap;
} recsys_content_buf_t;


const recsys_content_opts_t  recsys_content_default = {
    .genre_weight = 0.5f, .tag_weight = 1.0f, .title_weight = 1.0f,
    .max_posting = 1000, .neighbors = 50, .top = 100, .profile_features = 0,
    .recency_half_life = 0.0f, .center = 1
};


/* The tags file */


static int
recsys_content_fail(char *err, size_t errlen, const char *path,
    uint64_t line, const char *why)
{
    snprintf(err, errlen, "%s:%llu: %s", path, (unsigned long long) line,
             why);
    return RECSYS_EINVAL;
}


static int
recsys_content_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v'
           || ch == '\f';
}


static int
recsys_content_digit(unsigned char ch)
{
    return ch >= '0' && ch <= '9';
}


/* A word byte: an ASCII letter or digit, or any non-ASCII byte. */
static int
recsys_content_wordch(unsigned char ch)
{
    return recsys_content_digit(ch) || (ch >= 'a' && ch <= 'z')
           || (ch >= 'A' && ch <= 'Z') || ch >= 0x80;
}


static int
recsys_content_integer(const char *p, size_t len)
{
    size_t  i;

    i = (len > 0 && (p[0] == '-' || p[0] == '+')) ? 1 : 0;

    if (i == len) {
        return 0;
    }

    for ( /* void */ ; i < len; i++) {
        if (!recsys_content_digit((unsigned char) p[i])) {
            return 0;
        }
    }

    return 1;
}


RECSYS_SORTED_CMP2(recsys_content_cmp_pair, recsys_content_pair_t, item, tag)


/* Sorts the pairs and counts them into tags->by_item. */
static int
recsys_content_tags_count(recsys_content_tags_t *tags, uint32_t n_items,
    recsys_content_pair_t *pairs, size_t n)
{
    size_t    k, w;

    if (n > 0) {
        qsort(pairs, n, sizeof(recsys_content_pair_t),
              recsys_content_cmp_pair);
    }

    w = 0;
    for (k = 0; k < n; k++) {
        if (k == 0 || pairs[k].item != pairs[k - 1].item
            || pairs[k].tag != pairs[k - 1].tag)
        {
            w++;
        }
    }

    if (w > UINT32_MAX
        || recsys_csr_alloc(&tags->by_item, n_items, w) != 0)
    {
        return RECSYS_ENOMEM;
    }

    w = 0;
    for (k = 0; k < n; k++) {
        if (k > 0 && pairs[k].item == pairs[k - 1].item
            && pairs[k].tag == pairs[k - 1].tag)
        {
            tags->by_item.entries[w - 1].score += 1.0f;
            continue;
        }

        tags->by_item.offsets[pairs[k].item + 1]++;
        tags->by_item.entries[w].item = pairs[k].tag;
        tags->by_item.entries[w].score = 1.0f;
        w++;
    }

    for (k = 0; k < n_items; k++) {
        tags->by_item.offsets[k + 1] += tags->by_item.offsets[k];
    }

    return RECSYS_OK;
}


/*
 * Checks a tags row (user, item, tag[, timestamp]): NULL and the tag
 * without surrounding space in (*tag, *len), or why the row is refused.
 */
static const char *
recsys_content_tag_row(const recsys_field_t *f, size_t n_fields,
    const char **tag, size_t *len)
{
    size_t       n;
    const char  *p;

    if (!recsys_id_valid(f[0].p, f[0].len)) {
        return "user id must be 1 to 256 bytes of UTF-8";
    }

    if (!recsys_id_valid(f[1].p, f[1].len)) {
        return "item id must be 1 to 256 bytes of UTF-8";
    }

    p = f[2].p;
    n = f[2].len;

    while (n > 0 && recsys_content_space(p[0])) {
        p++;
        n--;
    }

    while (n > 0 && recsys_content_space(p[n - 1])) {
        n--;
    }

    if (n == 0) {
        return "empty tag";
    }

    if (n > RECSYS_ID_MAX) {
        return "tag longer than 256 bytes";
    }

    if (!recsys_utf8_valid(p, n)) {
        return "tag is not valid UTF-8";
    }

    if (n_fields == 4 && !recsys_content_integer(f[3].p, f[3].len)) {
        return "timestamp is not an integer";
    }

    *tag = p;
    *len = n;

    return NULL;
}


int
recsys_content_tags_read(recsys_content_tags_t *tags,
    const recsys_dict_t *items, const char *path, char *err, size_t errlen)
{
    int                     rc, first;
    char                    tag[RECSYS_ID_MAX];
    size_t                  n, cap, len, k;
    uint32_t                item, index;
    const char             *p, *why;
    recsys_csv_t            csv;
    recsys_field_t         *f;
    recsys_content_pair_t  *pairs, *np;

    memset(tags, 0, sizeof(recsys_content_tags_t));

    if (recsys_dict_init(&tags->names, 1024) != RECSYS_OK) {
        snprintf(err, errlen, "%s: out of memory", path);
        return RECSYS_ENOMEM;
    }

    rc = recsys_csv_open_err(&csv, path, 0, err, errlen);
    if (rc != RECSYS_OK) {
        return rc;
    }

    pairs = NULL;
    n = 0;
    cap = 0;
    first = 1;

    for ( ;; ) {
        rc = recsys_csv_next(&csv);

        if (rc == 0) {
            break;
        }

        if (rc < 0) {
            snprintf(err, errlen, "%s:%llu: %s", path,
                     (unsigned long long) csv.line, csv.err);
            goto failed;
        }

        f = csv.fields;

        if (csv.n_fields < 3 || csv.n_fields > 4) {
            rc = recsys_content_fail(err, errlen, path, csv.line,
                                     "expected user,item,tag[,timestamp]");
            goto failed;
        }

        if (first) {
            first = 0;

            if (recsys_dict_find(items, f[1].p, f[1].len, &item)
                != RECSYS_OK)
            {
                /* a header, or an unknown item: skipped either way */
                continue;
            }
        }

        why = recsys_content_tag_row(f, csv.n_fields, &p, &len);
        if (why != NULL) {
            rc = recsys_content_fail(err, errlen, path, csv.line, why);
            goto failed;
        }

        tags->rows++;

        if (recsys_dict_find(items, f[1].p, f[1].len, &item) != RECSYS_OK) {
            tags->unknown++;
            continue;
        }

        for (k = 0; k < len; k++) {
            tag[k] = (p[k] >= 'A' && p[k] <= 'Z') ? p[k] - 'A' + 'a' : p[k];
        }

        if (recsys_dict_intern(&tags->names, tag, len, &index) != RECSYS_OK)
        {
            recsys_content_fail(err, errlen, path, csv.line,
                                "out of memory");
            rc = RECSYS_ENOMEM;
            goto failed;
        }

        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            np = realloc(pairs, cap * sizeof(recsys_content_pair_t));

            if (np == NULL) {
                recsys_content_fail(err, errlen, path, csv.line,
                                    "out of memory");
                rc = RECSYS_ENOMEM;
                goto failed;
            }

            pairs = np;
        }

        pairs[n].item = item;
        pairs[n].tag = index;
        n++;
    }

    recsys_csv_close(&csv);

    rc = recsys_content_tags_count(tags, items->n, pairs, n);
    free(pairs);

    if (rc != RECSYS_OK) {
        snprintf(err, errlen, "%s: out of memory", path);
    }

    return rc;

failed:

    recsys_csv_close(&csv);
    free(pairs);

    return rc;
}


void
recsys_content_tags_free(recsys_content_tags_t *tags)
{
    recsys_dict_free(&tags->names);
    recsys_csr_free(&tags->by_item);
    memset(tags, 0, sizeof(recsys_content_tags_t));
}


/* Features and vectors */


static int
recsys_content_intern(recsys_content_t *c, recsys_content_buf_t *buf,
    char kind, const char *name, size_t len, uint32_t *f)
{
    char    *np;
    size_t   cap;

    if (len + 1 > buf->cap) {
        cap = buf->cap ? buf->cap : 256;
        while (cap < len + 1) {
            cap *= 2;
        }

        np = realloc(buf->p, cap);
        if (np == NULL) {
            return RECSYS_ENOMEM;
        }

        buf->p = np;
        buf->cap = cap;
    }

    buf->p[0] = kind;
    memcpy(buf->p + 1, name, len);

    return recsys_dict_intern(&c->names, buf->p, len + 1, f);
}


int
recsys_content_feature_find(const recsys_content_t *c,
    recsys_content_kind_t kind, const char *name, size_t len, uint32_t *f)
{
    int    rc;
    char  *key;

    static const char  kinds[] = { 'g', 't', 'w' };

    key = malloc(len + 1);
    if (key == NULL) {
        return RECSYS_ENOMEM;
    }

    key[0] = kinds[kind];
    memcpy(key + 1, name, len);

    rc = recsys_dict_find(&c->names, key, len + 1, f);
    free(key);

    return rc;
}


/*
 * Splits a title into words (see recsys_content.h) written lowercased
 * into out (title_len bytes); starts[]/lens[] receive at most max words.
 */
static size_t
recsys_content_words(const char *title, size_t len, char *out,
    size_t *starts, size_t *lens, size_t max)
{
    int     year;
    size_t  i, n, s, end;

    end = len;
    while (end > 0 && recsys_content_space(title[end - 1])) {
        end--;
    }

    year = end >= 6 && title[end - 1] == ')' && title[end - 6] == '('
           && recsys_content_digit((unsigned char) title[end - 5])
           && recsys_content_digit((unsigned char) title[end - 4])
           && recsys_content_digit((unsigned char) title[end - 3])
           && recsys_content_digit((unsigned char) title[end - 2]);

    if (year) {
        end -= 6;
    }

    for (i = 0; i < end; i++) {
        unsigned char  ch = (unsigned char) title[i];

        out[i] = (ch >= 'A' && ch <= 'Z') ? (char) (ch - 'A' + 'a')
                                          : (char) ch;
    }

    n = 0;
    i = 0;

    while (i < end && n < max) {
        while (i < end && !recsys_content_wordch((unsigned char) out[i])) {
            i++;
        }

        s = i;

        while (i < end && recsys_content_wordch((unsigned char) out[i])) {
            i++;
        }

        if (i - s >= 2) {
            starts[n] = s;
            lens[n] = i - s;
            n++;
        }
    }

    return n;
}


/* Appends e to a growing entry array. */
static int
recsys_content_push(recsys_entry_t **a, size_t *n, size_t *cap,
    uint32_t feature, float tf)
{
    size_t           ncap;
    recsys_entry_t  *na;

    if (*n == *cap) {
        ncap = *cap ? *cap * 2 : 4096;
        na = realloc(*a, ncap * sizeof(recsys_entry_t));
        if (na == NULL) {
            return RECSYS_ENOMEM;
        }

        *a = na;
        *cap = ncap;
    }

    (*a)[*n].item = feature;
    (*a)[*n].score = tf;
    (*n)++;

    return RECSYS_OK;
}


/*
 * Gathers every item's raw (feature, tf) row, sorted by feature with
 * duplicates merged, into raw (row per item).
 */
static int
recsys_content_raw(recsys_content_t *c, const recsys_data_t *d,
    const recsys_train_t *t, const recsys_content_tags_t *tags,
    const recsys_content_opts_t *o, recsys_csr_t *raw)
{
    int                    rc;
    char                  *low;
    size_t                 n, cap, from, k, w, n_words, tlen, *starts, *lens;
    uint32_t               i, e, g, f, no_genre;
    const char            *title;
    recsys_entry_t        *a;
    recsys_content_buf_t   buf;

    a = NULL;
    n = 0;
    cap = 0;
    low = NULL;
    starts = NULL;
    lens = NULL;
    buf.p = NULL;
    buf.cap = 0;
    rc = RECSYS_OK;

    raw->offsets = calloc((size_t) c->n_items + 1, sizeof(uint32_t));
    if (raw->offsets == NULL) {
        return RECSYS_ENOMEM;
    }

    raw->n_rows = c->n_items;

    no_genre = UINT32_MAX;
    for (g = 0; g < t->n_genres; g++) {
        if (strcmp(t->genre_names[g], RECSYS_CONTENT_NO_GENRE) == 0) {
            no_genre = g;
        }
    }

    for (i = 0; i < c->n_items; i++) {
        raw->offsets[i] = (uint32_t) n;
        from = n;

        if (o->genre_weight > 0.0f && i < t->item_genres.n_rows) {
            for (e = t->item_genres.offsets[i];
                 e < t->item_genres.offsets[i + 1]; e++)
            {
                g = t->item_genres.entries[e].item;

                if (g != no_genre) {
                    rc = recsys_content_push(&a, &n, &cap, g, 1.0f);
                    if (rc != RECSYS_OK) {
                        goto done;
                    }
                }
            }
        }

        if (o->tag_weight > 0.0f && tags != NULL
            && i < tags->by_item.n_rows)
        {
            for (e = tags->by_item.offsets[i];
                 e < tags->by_item.offsets[i + 1]; e++)
            {
                rc = recsys_content_push(&a, &n, &cap,
                                         c->first_tag
                                         + tags->by_item.entries[e].item,
                                         tags->by_item.entries[e].score);
                if (rc != RECSYS_OK) {
                    goto done;
                }
            }
        }

        title = (o->title_weight > 0.0f && d->item_title != NULL
                 && i < d->items.n) ? d->item_title[i] : NULL;

        if (title != NULL) {
            tlen = strlen(title);

            free(low);
            free(starts);
            free(lens);
            low = malloc(tlen + 1);
            starts = malloc((tlen / 2 + 1) * sizeof(size_t));
            lens = malloc((tlen / 2 + 1) * sizeof(size_t));

            if (low == NULL || starts == NULL || lens == NULL) {
                rc = RECSYS_ENOMEM;
                goto done;
            }

            n_words = recsys_content_words(title, tlen, low, starts, lens,
                                           tlen / 2 + 1);

            for (k = 0; k < n_words; k++) {
                rc = recsys_content_intern(c, &buf, 'w', low + starts[k],
                                           lens[k], &f);
                if (rc == RECSYS_OK) {
                    rc = recsys_content_push(&a, &n, &cap, f, 1.0f);
                }

                if (rc != RECSYS_OK) {
                    goto done;
                }
            }
        }

        /* sort the row by feature and merge repeats */

        if (n - from > 1) {
            qsort(a + from, n - from, sizeof(recsys_entry_t),
                  recsys_row_cmp_item);
        }

        w = from;
        for (k = from; k < n; k++) {
            if (w > from && a[w - 1].item == a[k].item) {
                if (a[k].item >= c->first_tag) {
                    a[w - 1].score += a[k].score;
                }

                continue;
            }

            a[w++] = a[k];
        }

        n = w;

        if (n > UINT32_MAX) {
            rc = RECSYS_ELIMIT;
            goto done;
        }
    }

    raw->offsets[c->n_items] = (uint32_t) n;
    raw->n_entries = (uint32_t) n;
    raw->entries = a;
    a = NULL;

done:

    free(a);
    free(low);
    free(starts);
    free(lens);
    free(buf.p);

    return rc;
}


/*
 * Turns raw counts into TF-IDF weights by kind (genre, tag, title word),
 * drops the zero ones and scales each item's row to unit norm, in place.
 */
static void
recsys_content_weigh(const recsys_content_t *c,
    const recsys_content_opts_t *o, recsys_csr_t *raw)
{
    float     kw;
    double    norm, v;
    uint32_t  i, e, f, n, from, to;

    n = 0;
    for (i = 0; i < c->n_items; i++) {
        from = raw->offsets[i];
        to = raw->offsets[i + 1];
        raw->offsets[i] = n;
        norm = 0.0;

        for (e = from; e < to; e++) {
            f = raw->entries[e].item;
            kw = f < c->first_tag ? o->genre_weight
                 : f < c->first_word ? o->tag_weight : o->title_weight;
            v = kw * (double) raw->entries[e].score * c->idf[f];

            if (v > 0.0 && (float) v > 0.0f) {
                raw->entries[n].item = f;
                raw->entries[n].score = (float) v;
                norm += v * v;
                n++;
            }
        }

        norm = sqrt(norm);

        for (e = raw->offsets[i]; e < n; e++) {
            raw->entries[e].score = (float) (raw->entries[e].score / norm);
        }
    }

    raw->offsets[c->n_items] = n;
    raw->n_entries = n;
}


int
recsys_content_build(recsys_content_t *c, const recsys_data_t *d,
    const recsys_train_t *t, const recsys_content_tags_t *tags,
    const recsys_content_opts_t *o)
{
    int                   rc;
    size_t                len;
    uint32_t              g, i, e, f, *fill;
    const char           *name;
    recsys_csr_t          raw;
    recsys_content_buf_t  buf;

    memset(c, 0, sizeof(recsys_content_t));
    memset(&raw, 0, sizeof(recsys_csr_t));
    buf.p = NULL;
    buf.cap = 0;
    fill = NULL;

    c->n_items = t->n_items;

    rc = recsys_dict_init(&c->names, 4096);
    if (rc != RECSYS_OK) {
        return rc;
    }

    for (g = 0; g < t->n_genres; g++) {
        rc = recsys_content_intern(c, &buf, 'g', t->genre_names[g],
                                   strlen(t->genre_names[g]), &f);
        if (rc != RECSYS_OK) {
            goto done;
        }
    }

    c->first_tag = c->names.n;

    if (tags != NULL) {
        for (g = 0; g < tags->names.n; g++) {
            name = recsys_dict_key(&tags->names, g, &len);
            rc = recsys_content_intern(c, &buf, 't', name, len, &f);
            if (rc != RECSYS_OK) {
                goto done;
            }
        }
    }

    c->first_word = c->names.n;

    rc = recsys_content_raw(c, d, t, tags, o, &raw);
    if (rc != RECSYS_OK) {
        goto done;
    }

    c->n_features = c->names.n;
    c->df = calloc((size_t) c->n_features + 1, sizeof(uint32_t));
    c->idf = calloc((size_t) c->n_features + 1, sizeof(double));

    if (c->df == NULL || c->idf == NULL) {
        rc = RECSYS_ENOMEM;
        goto done;
    }

    for (e = 0; e < raw.n_entries; e++) {
        c->df[raw.entries[e].item]++;
    }

    for (f = 0; f < c->n_features; f++) {
        if (c->df[f] > 0) {
            c->idf[f] = log((double) c->n_items / c->df[f]);
        }
    }

    recsys_content_weigh(c, o, &raw);
    c->items = raw;
    memset(&raw, 0, sizeof(recsys_csr_t));

    /* df counts the items that keep the feature */

    memset(c->df, 0, (size_t) c->n_features * sizeof(uint32_t));
    for (e = 0; e < c->items.n_entries; e++) {
        c->df[c->items.entries[e].item]++;
    }

    if (recsys_csr_alloc(&c->postings, c->n_features, c->items.n_entries)
        != 0)
    {
        rc = RECSYS_ENOMEM;
        goto done;
    }

    fill = calloc((size_t) c->n_features + 1, sizeof(uint32_t));
    if (fill == NULL) {
        rc = RECSYS_ENOMEM;
        goto done;
    }

    for (f = 0; f < c->n_features; f++) {
        c->postings.offsets[f + 1] = c->postings.offsets[f] + c->df[f];
    }

    for (i = 0; i < c->n_items; i++) {
        for (e = c->items.offsets[i]; e < c->items.offsets[i + 1]; e++) {
            f = c->items.entries[e].item;
            c->postings.entries[c->postings.offsets[f] + fill[f]].item = i;
            c->postings.entries[c->postings.offsets[f] + fill[f]].score =
                c->items.entries[e].score;
            fill[f]++;
        }
    }

    for (f = 0; f < c->n_features; f++) {
        qsort(c->postings.entries + c->postings.offsets[f], c->df[f],
              sizeof(recsys_entry_t), recsys_row_cmp_rank);
    }

done:

    free(fill);
    free(buf.p);
    recsys_csr_free(&raw);

    return rc;
}


void
recsys_content_free(recsys_content_t *c)
{
    recsys_dict_free(&c->names);
    free(c->df);
    free(c->idf);
    recsys_csr_free(&c->items);
    recsys_csr_free(&c->postings);
    memset(c, 0, sizeof(recsys_content_t));
}


/* Scoring */


static int
recsys_content_scratch_init(recsys_content_scratch_t *s,
    const recsys_content_t *c, uint32_t k)
{
    s->acc = calloc((size_t) c->n_items + 1, sizeof(double));
    s->dense = calloc((size_t) c->n_features + 1, sizeof(double));
    s->touched = malloc(((size_t) c->n_items + 1) * sizeof(uint32_t));
    s->flag = calloc((size_t) c->n_items + 1, 1);
    s->heap = malloc(((size_t) k + 1) * sizeof(recsys_scored_t));

    return (s->acc == NULL || s->dense == NULL || s->touched == NULL
            || s->flag == NULL || s->heap == NULL) ? -1 : 0;
}


static void
recsys_content_scratch_free(recsys_content_scratch_t *s)
{
    free(s->acc);
    free(s->dense);
    free(s->touched);
    free(s->flag);
    free(s->heap);
}


/*
 * Pushes every candidate j of the query q (not flagged excluded) with
 * score scale * (q . x_j) > 0 into top.  Leaves acc, dense and the
 * "touched" flags clear; excluded flags (2) the caller clears.
 */
static void
recsys_content_score(const recsys_content_t *c, uint32_t cap,
    recsys_content_scratch_t *s, const recsys_entry_t *q, uint32_t nq,
    double scale, recsys_topk_t *top)
{
    int                    capped;
    double                 score, wq;
    uint32_t               a, e, f, j, n, len, n_touched, x;
    const recsys_entry_t  *p, *row;

    n_touched = 0;
    capped = 0;

    for (a = 0; a < nq; a++) {
        f = q[a].item;
        wq = q[a].score;
        p = c->postings.entries + c->postings.offsets[f];
        len = c->df[f];

        if (cap == 0 || len <= cap) {
            for (e = 0; e < len; e++) {
                j = p[e].item;

                if (!(s->flag[j] & 1)) {
                    s->flag[j] |= 1;
                    s->touched[n_touched++] = j;
                }

                s->acc[j] += wq * p[e].score;
            }

            continue;
        }

        capped = 1;
        s->dense[f] = wq;

        for (e = 0; e < cap; e++) {
            j = p[e].item;

            if (!(s->flag[j] & 1)) {
                s->flag[j] |= 1;
                s->touched[n_touched++] = j;
            }
        }
    }

    for (x = 0; x < n_touched; x++) {
        j = s->touched[x];

        if (!(s->flag[j] & 2)) {
            score = s->acc[j];

            if (capped) {
                row = c->items.entries + c->items.offsets[j];
                n = c->items.offsets[j + 1] - c->items.offsets[j];

                for (e = 0; e < n; e++) {
                    score += s->dense[row[e].item] * row[e].score;
                }
            }

            score *= scale;

            if (score > 0.0 && (float) score > 0.0f) {
                recsys_topk_push(top, j, (float) score);
            }
        }

        s->acc[j] = 0.0;
        s->flag[j] &= (unsigned char) ~1;
    }

    if (capped) {
        for (a = 0; a < nq; a++) {
            s->dense[q[a].item] = 0.0;
        }
    }
}


int
recsys_content_neighbors(const recsys_content_t *c,
    const recsys_content_opts_t *o, recsys_csr_t *nbrs)
{
    int              rc, failed;
    uint32_t         n_items, i, k, *count;
    recsys_entry_t  *slots;

    n_items = c->n_items;
    k = o->neighbors;
    failed = 0;

    memset(nbrs, 0, sizeof(recsys_csr_t));

    if (recsys_slots_alloc(n_items, k, &count, &slots) != RECSYS_OK) {
        return RECSYS_ENOMEM;
    }

#pragma omp parallel
    {
        int                       ok;
        recsys_topk_t             top;
        recsys_content_scratch_t  s;

        ok = recsys_content_scratch_init(&s, c, k) == 0;
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }

#pragma omp for schedule(dynamic, 64)
        for (i = 0; i < n_items; i++) {
            if (!ok || k == 0) {
                continue;
            }

            recsys_topk_init(&top, s.heap, k);

            s.flag[i] = 2;
            recsys_content_score(c, o->max_posting, &s,
                                 c->items.entries + c->items.offsets[i],
                                 c->items.offsets[i + 1]
                                 - c->items.offsets[i],
                                 1.0, &top);
            s.flag[i] = 0;

            recsys_slots_put(count, slots, k, i, s.heap, recsys_topk_sort(&top));
        }

        recsys_content_scratch_free(&s);
    }

    rc = recsys_slots_pack(failed, n_items, k, count, slots, nbrs);

    return rc;
}

