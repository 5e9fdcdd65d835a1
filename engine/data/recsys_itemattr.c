/*
 * recsys_itemattr.c: collecting, typing and packing the catalog's other
 * columns (recsys_itemattr.h).  Each value is kept as it came, packed in
 * one allocation: a kind byte, a uint32 count of parts, then each part as
 * a uint32 length and its bytes; the type of a column is decided only when
 * every value is in, and the dictionaries of string and list columns are
 * sorted then, so the reader can binary-search them.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_attrs.h"
#include "recsys_itemattr.h"
#include "recsys_schema.h"
#include "recsys_status.h"


typedef struct {
    const char  *p;
    uint32_t     len;
} recsys_itemattr_str_t;

/* A packed value's parts, walked in order. */
typedef struct {
    const char  *at;
    uint32_t     left;
    int          kind;
} recsys_itemattr_it_t;


void
recsys_itemattr_free(recsys_itemattr_t *t)
{
    uint32_t  k, i;

    for (k = 0; k < t->n; k++) {
        for (i = 0; i < t->col[k].cap; i++) {
            free(t->col[k].val[i]);
        }

        free(t->col[k].val);
        free(t->col[k].name);
    }

    free(t->col);
    t->col = NULL;
    t->n = 0;
}


int
recsys_itemattr_name_ok(const char *name, size_t len)
{
    size_t  k;

    if (len == 0 || len > RECSYS_ATTR_NAME_MAX) {
        return 0;
    }

    for (k = 0; k < len; k++) {
        if ((unsigned char) name[k] <= ' ' || (unsigned char) name[k] >= 0x7f
            || strchr("=!<>~,\"\\", name[k]) != NULL)
        {
            return 0;
        }
    }

    return 1;
}


/* The column of that name, added when new; NULL when out of room. */
static recsys_itemattr_col_t *
recsys_itemattr_col(recsys_itemattr_t *t, const char *name, size_t len)
{
    uint32_t                k;
    recsys_itemattr_col_t  *col;

    for (k = 0; k < t->n; k++) {
        if (t->col[k].name_len == len
            && memcmp(t->col[k].name, name, len) == 0)
        {
            return &t->col[k];
        }
    }

    if (t->n == RECSYS_ATTRS_MAX) {
        return NULL;
    }

    col = realloc(t->col, (t->n + 1) * sizeof(recsys_itemattr_col_t));
    if (col == NULL) {
        return NULL;
    }

    t->col = col;
    col = &t->col[t->n];
    memset(col, 0, sizeof(recsys_itemattr_col_t));

    col->name = malloc(len + 1);
    if (col->name == NULL) {
        return NULL;
    }

    memcpy(col->name, name, len);
    col->name[len] = '\0';
    col->name_len = len;
    t->n++;

    return col;
}


/* Makes room for item in col's values. */
static int
recsys_itemattr_room(recsys_itemattr_col_t *col, uint32_t item)
{
    char      **val;
    uint32_t    cap;

    if (item < col->cap) {
        return RECSYS_OK;
    }

    cap = col->cap ? col->cap : 64;
    while (cap <= item) {
        cap *= 2;
    }

    val = realloc(col->val, (size_t) cap * sizeof(char *));
    if (val == NULL) {
        return RECSYS_ENOMEM;
    }

    memset(val + col->cap, 0, (size_t) (cap - col->cap) * sizeof(char *));
    col->val = val;
    col->cap = cap;

    return RECSYS_OK;
}


int
recsys_itemattr_set(recsys_itemattr_t *t, const char *name,
    size_t name_len, uint32_t item, recsys_itemattr_kind_t kind,
    const char *const *parts, const size_t *lens, uint32_t n)
{
    char                   *v, *w;
    size_t                  size;
    uint32_t                k, len;
    recsys_itemattr_col_t  *col;

    if (n == 0 || (n == 1 && lens[0] == 0)) {
        return RECSYS_OK;
    }

    col = recsys_itemattr_col(t, name, name_len);
    if (col == NULL) {
        return t->n == RECSYS_ATTRS_MAX ? RECSYS_ELIMIT : RECSYS_ENOMEM;
    }

    if (recsys_itemattr_room(col, item) != RECSYS_OK) {
        return RECSYS_ENOMEM;
    }

    size = 5;
    for (k = 0; k < n; k++) {
        size += 4 + lens[k];
    }

    v = malloc(size);
    if (v == NULL) {
        return RECSYS_ENOMEM;
    }

    v[0] = (char) kind;
    memcpy(v + 1, &n, 4);
    w = v + 5;

    for (k = 0; k < n; k++) {
        len = (uint32_t) lens[k];
        memcpy(w, &len, 4);
        memcpy(w + 4, parts[k], len);
        w += 4 + len;
    }

    free(col->val[item]);
    col->val[item] = v;
    col->json_number |= kind == RECSYS_ITEMATTR_JSON_NUMBER;
    col->json_list |= kind == RECSYS_ITEMATTR_JSON_LIST;

    return RECSYS_OK;
}


int
recsys_itemattr_renumber(recsys_itemattr_t *t, const uint32_t *map,
    uint32_t n_old, uint32_t n_items)
{
    char      **val;
    uint32_t    k, i;

    for (k = 0; k < t->n; k++) {
        val = calloc(n_items ? n_items : 1, sizeof(char *));
        if (val == NULL) {
            return RECSYS_ENOMEM;
        }

        for (i = 0; i < t->col[k].cap && i < n_old; i++) {
            val[map[i]] = t->col[k].val[i];
        }

        free(t->col[k].val);
        t->col[k].val = val;
        t->col[k].cap = n_items;
    }

    return RECSYS_OK;
}


/* The parts of a packed value: a TEXT value's '|'-separated pieces
 * when split, else its parts as they came. */
static void
recsys_itemattr_iter(recsys_itemattr_it_t *it, const char *v)
{
    it->kind = v[0];
    memcpy(&it->left, v + 1, 4);
    it->at = v + 5;
}


static int
recsys_itemattr_next(recsys_itemattr_it_t *it, recsys_itemattr_str_t *s)
{
    if (it->left == 0) {
        return 0;
    }

    memcpy(&s->len, it->at, 4);
    s->p = it->at + 4;
    it->at += 4 + s->len;
    it->left--;

    return 1;
}


/* The number a value holds, or NaN. */
static double
recsys_itemattr_number(const char *v, int type)
{
    char                   buf[64];
    double                 d;
    recsys_itemattr_it_t   it;
    recsys_itemattr_str_t  s;

    recsys_itemattr_iter(&it, v);

    if (!recsys_itemattr_next(&it, &s)) {
        return NAN;
    }

    if (it.kind == RECSYS_ITEMATTR_JSON_NUMBER && s.len < sizeof(buf)) {
        memcpy(buf, s.p, s.len);
        buf[s.len] = '\0';
        return strtod(buf, NULL);
    }

    if ((type == RECSYS_ATTR_NUMBER
         ? recsys_attrs_parse_number(s.p, s.len, &d)
         : recsys_attrs_parse_date(s.p, s.len, &d))
        != RECSYS_OK)
    {
        return NAN;
    }

    return d;
}


/* The type of a column from all its values. */
static uint32_t
recsys_itemattr_type(const recsys_itemattr_col_t *col, uint32_t n_items)
{
    int                    num, date, list;
    uint32_t               i;
    recsys_itemattr_it_t   it;
    recsys_itemattr_str_t  s;

    if (col->name_len == 6 && memcmp(col->name, "series", 6) == 0) {
        return RECSYS_ATTR_STRING;
    }

    num = !col->json_list;
    date = !col->json_list && !col->json_number;
    list = col->json_list;

    for (i = 0; i < n_items && i < col->cap; i++) {
        if (col->val[i] == NULL) {
            continue;
        }

        num = num && !isnan(recsys_itemattr_number(col->val[i],
                                                   RECSYS_ATTR_NUMBER));
        date = date && !isnan(recsys_itemattr_number(col->val[i],
                                                     RECSYS_ATTR_DATE));
        recsys_itemattr_iter(&it, col->val[i]);

        if (it.kind == RECSYS_ITEMATTR_TEXT && recsys_itemattr_next(&it, &s)
            && memchr(s.p, '|', s.len) != NULL)
        {
            list = 1;
        }
    }

    return num ? RECSYS_ATTR_NUMBER
               : date ? RECSYS_ATTR_DATE
               : list ? RECSYS_ATTR_LIST : RECSYS_ATTR_STRING;
}


static int
recsys_itemattr_cmp_str(const void *a, const void *b)
{
    int                           c;
    const recsys_itemattr_str_t  *x = a, *y = b;

    c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);

    return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}


/*
 * The distinct strings of value v in a column of type, sorted, into out
 * (at most max): a list's TEXT values split at '|', every other value's
 * parts whole (a string keeps its first).  Returns how many.
 */
static uint32_t
recsys_itemattr_strings(const char *v, uint32_t type,
    recsys_itemattr_str_t *out, uint32_t max)
{
    uint32_t               n, k, j;
    const char            *p, *end, *bar;
    recsys_itemattr_it_t   it;
    recsys_itemattr_str_t  s;

    n = 0;
    recsys_itemattr_iter(&it, v);

    while (recsys_itemattr_next(&it, &s) && n < max) {
        if (type == RECSYS_ATTR_STRING) {
            out[n++] = s;
            break;
        }

        p = s.p;
        end = s.p + s.len;

        while (it.kind == RECSYS_ITEMATTR_TEXT && p <= end && n < max) {
            bar = memchr(p, '|', end - p);
            if (bar == NULL) {
                bar = end;
            }

            if (bar > p) {
                out[n].p = p;
                out[n++].len = (uint32_t) (bar - p);
            }

            p = bar + 1;
        }

        if (it.kind != RECSYS_ITEMATTR_TEXT && s.len > 0) {
            out[n++] = s;
        }
    }

    qsort(out, n, sizeof(*out), recsys_itemattr_cmp_str);

    for (k = 0, j = 0; k < n; k++) {
        if (j == 0 || recsys_itemattr_cmp_str(&out[j - 1], &out[k]) != 0) {
            out[j++] = out[k];
        }
    }

    return j;
}


/* A growing output buffer. */
typedef struct {
    unsigned char  *p;
    size_t          len;
    size_t          cap;
} recsys_itemattr_buf_t;


static int
recsys_itemattr_put(recsys_itemattr_buf_t *b, const void *p, size_t len)
{
    size_t          cap;
    unsigned char  *np;

    if (len == 0) {
        return RECSYS_OK;
    }

    if (b->len + len > b->cap) {
        cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len) {
            cap *= 2;
        }

        np = realloc(b->p, cap);
        if (np == NULL) {
            return RECSYS_ENOMEM;
        }

        b->p = np;
        b->cap = cap;
    }

    memcpy(b->p + b->len, p, len);
    b->len += len;

    return RECSYS_OK;
}


static int
recsys_itemattr_put_u32(recsys_itemattr_buf_t *b, uint32_t v)
{
    return recsys_itemattr_put(b, &v, 4);
}


/* The sorted distinct strings of a column (*dict, *n_dict, malloc()ed). */
static int
recsys_itemattr_dict(const recsys_itemattr_col_t *col, uint32_t type,
    uint32_t n_items, recsys_itemattr_str_t **dict, uint32_t *n_dict)
{
    uint32_t                i, n, k, cap;
    recsys_itemattr_str_t  *all, *na, one[RECSYS_ATTRS_MAX];

    all = NULL;
    n = 0;
    cap = 0;

    for (i = 0; i < n_items && i < col->cap; i++) {
        if (col->val[i] == NULL) {
            continue;
        }

        k = recsys_itemattr_strings(col->val[i], type, one, RECSYS_ATTRS_MAX);

        if (n + k > cap) {
            cap = (n + k) * 2 + 64;
            na = realloc(all, (size_t) cap * sizeof(*all));
            if (na == NULL) {
                free(all);
                return RECSYS_ENOMEM;
            }

            all = na;
        }

        if (k > 0) {
            memcpy(all + n, one, (size_t) k * sizeof(*all));
            n += k;
        }
    }

    if (n > 0) {
        qsort(all, n, sizeof(*all), recsys_itemattr_cmp_str);
    }

    for (i = 0, k = 0; i < n; i++) {
        if (k == 0 || recsys_itemattr_cmp_str(&all[k - 1], &all[i]) != 0) {
            all[k++] = all[i];
        }
    }

    *dict = all;
    *n_dict = k;

    return RECSYS_OK;
}


/* A string or list column's data, in the layout of recsys_schema.h. */
static int
recsys_itemattr_pack_strings(const recsys_itemattr_col_t *col,
    uint32_t type, uint32_t n_items, recsys_itemattr_buf_t *b,
    uint32_t *n_dict_out, uint32_t **item_val)
{
    int                     rc;
    uint32_t                i, k, n, n_dict, off, idx[RECSYS_ATTRS_MAX];
    recsys_itemattr_str_t  *dict, *hit, one[RECSYS_ATTRS_MAX];

    rc = recsys_itemattr_dict(col, type, n_items, &dict, &n_dict);
    if (rc != RECSYS_OK) {
        return rc;
    }

    *n_dict_out = n_dict;

    for (k = 0, off = 0; k <= n_dict && rc == RECSYS_OK; k++) {
        rc = recsys_itemattr_put_u32(b, off);
        off += k < n_dict ? dict[k].len : 0;
    }

    /* each item's indexes: counted, then written */
    off = 0;
    for (i = 0; i <= n_items && rc == RECSYS_OK; i++) {
        rc = recsys_itemattr_put_u32(b, off);

        if (i < n_items && i < col->cap && col->val[i] != NULL) {
            off += recsys_itemattr_strings(col->val[i], type, one,
                                           RECSYS_ATTRS_MAX);
        }
    }

    for (i = 0; i < n_items && i < col->cap && rc == RECSYS_OK; i++) {
        if (col->val[i] == NULL) {
            continue;
        }

        n = recsys_itemattr_strings(col->val[i], type, one, RECSYS_ATTRS_MAX);

        for (k = 0; k < n; k++) {
            hit = bsearch(&one[k], dict, n_dict, sizeof(*dict),
                          recsys_itemattr_cmp_str);
            idx[k] = (uint32_t) (hit - dict);
        }

        /* distinct and sorted as the dictionary is: increasing */
        if (item_val != NULL) {
            (*item_val)[i] = n > 0 ? idx[0] : UINT32_MAX;
        }

        for (k = 0; k < n && rc == RECSYS_OK; k++) {
            rc = recsys_itemattr_put_u32(b, idx[k]);
        }
    }

    for (k = 0; k < n_dict && rc == RECSYS_OK; k++) {
        rc = recsys_itemattr_put(b, dict[k].p, dict[k].len);
    }

    free(dict);

    return rc;
}


/* A number or date column's data: a double per item, NaN for none. */
static int
recsys_itemattr_pack_numbers(const recsys_itemattr_col_t *col,
    uint32_t type, uint32_t n_items, recsys_itemattr_buf_t *b, double *out)
{
    int       rc;
    double    v;
    uint32_t  i;

    rc = RECSYS_OK;

    for (i = 0; i < n_items && rc == RECSYS_OK; i++) {
        v = i < col->cap && col->val[i] != NULL
            ? recsys_itemattr_number(col->val[i], type) : NAN;

        if (out != NULL) {
            out[i] = v;
        }

        rc = recsys_itemattr_put(b, &v, 8);
    }

    return rc;
}


/* An item's place in the series order: series, season, episode, item. */
typedef struct {
    double    key[4];
} recsys_itemattr_ep_t;


static int
recsys_itemattr_cmp_ep(const void *a, const void *b)
{
    int                          k;
    const recsys_itemattr_ep_t  *x = a, *y = b;

    for (k = 0; k < 4 && x->key[k] == y->key[k]; k++) {
        /* the first key that differs decides */
    }

    return k == 4 ? 0 : x->key[k] < y->key[k] ? -1 : 1;
}


/* The "item.series" blob from each item's series, season and episode. */
static int
recsys_itemattr_pack_series(const uint32_t *series, uint32_t n_series,
    const double *season, const double *episode, uint32_t n_items,
    recsys_itemattr_buf_t *b)
{
    int                    rc;
    uint32_t               i, n, s;
    recsys_itemattr_ep_t  *ep;

    ep = malloc((size_t) (n_items ? n_items : 1) * sizeof(*ep));
    if (ep == NULL) {
        return RECSYS_ENOMEM;
    }

    for (i = 0, n = 0; i < n_items; i++) {
        if (series[i] != UINT32_MAX) {
            ep[n].key[0] = series[i];
            ep[n].key[1] = season != NULL && !isnan(season[i]) ? season[i]
                                                                : 0.0;
            ep[n].key[2] = episode != NULL && !isnan(episode[i])
                           ? episode[i] : 0.0;
            ep[n].key[3] = i;
            n++;
        }
    }

    qsort(ep, n, sizeof(*ep), recsys_itemattr_cmp_ep);

    rc = recsys_itemattr_put_u32(b, RECSYS_SERIES_MAGIC);
    rc |= recsys_itemattr_put_u32(b, n_series);
    rc |= recsys_itemattr_put_u32(b, n);
    rc |= recsys_itemattr_put_u32(b, 0);

    for (s = 0, i = 0; s <= n_series && rc == RECSYS_OK; s++) {
        while (i < n && ep[i].key[0] < s) {
            i++;
        }

        rc = recsys_itemattr_put_u32(b, i);
    }

    for (i = 0; i < n && rc == RECSYS_OK; i++) {
        rc = recsys_itemattr_put_u32(b, (uint32_t) ep[i].key[3]);
    }

    free(ep);

    return rc == RECSYS_OK ? RECSYS_OK : RECSYS_ENOMEM;
}


static int
recsys_itemattr_cmp_f64(const void *a, const void *b)
{
    double  x = *(const double *) a, y = *(const double *) b;

    return (x > y) - (x < y);
}


/* Whether a column is named name. */
static int
recsys_itemattr_is(const recsys_itemattr_col_t *col, const char *name)
{
    return col->name_len == strlen(name)
           && memcmp(col->name, name, col->name_len) == 0;
}


/* Per column: its data, and what the series and the times need. */
typedef struct {
    recsys_itemattr_buf_t  data;
    recsys_itemattr_buf_t  times;
    uint32_t               desc[RECSYS_ATTRS_MAX][6];
    uint32_t               col[RECSYS_ATTRS_MAX];  /* the column of each */
    uint32_t               n;
    uint32_t              *series;
    uint32_t               n_series;
    double                *season;
    double                *episode;
} recsys_itemattr_pk_t;


static int
recsys_itemattr_pack_col(recsys_itemattr_pk_t *pk,
    const recsys_itemattr_col_t *col, uint32_t index, uint32_t n_items)
{
    int        rc, time;
    double    *nums;
    uint32_t   type, i, *d;

    type = recsys_itemattr_type(col, n_items);
    time = recsys_itemattr_is(col, "available_from")
           || recsys_itemattr_is(col, "available_until");

    if (time && (type == RECSYS_ATTR_STRING || type == RECSYS_ATTR_LIST)) {
        return RECSYS_OK;   /* bounds that are no dates bound nothing */
    }

    pk->col[pk->n] = index;
    d = pk->desc[pk->n++];
    d[0] = type;
    d[3] = (uint32_t) pk->data.len;
    d[5] = 0;

    if (type == RECSYS_ATTR_STRING || type == RECSYS_ATTR_LIST) {
        rc = recsys_itemattr_pack_strings(col, type, n_items, &pk->data,
                                          &d[5],
                                          recsys_itemattr_is(col, "series")
                                          ? &pk->series : NULL);
        if (recsys_itemattr_is(col, "series")) {
            pk->n_series = d[5];
        }

    } else {
        nums = malloc((size_t) (n_items ? n_items : 1) * sizeof(double));
        if (nums == NULL) {
            return RECSYS_ENOMEM;
        }

        rc = recsys_itemattr_pack_numbers(col, type, n_items, &pk->data,
                                          nums);

        for (i = 0; i < n_items && time && rc == RECSYS_OK; i++) {
            if (!isnan(nums[i])) {
                rc = recsys_itemattr_put(&pk->times, &nums[i], 8);
            }
        }

        if (type == RECSYS_ATTR_NUMBER && recsys_itemattr_is(col, "season")) {
            pk->season = nums;

        } else if (type == RECSYS_ATTR_NUMBER
                   && recsys_itemattr_is(col, "episode"))
        {
            pk->episode = nums;

        } else {
            free(nums);
        }
    }

    d[4] = (uint32_t) (pk->data.len - d[3]);

    return rc;
}


int
recsys_itemattr_pack(const recsys_itemattr_t *t, uint32_t n_items,
    unsigned char **attrs, size_t *attrs_size, unsigned char **series,
    size_t *series_size)
{
    int                    rc;
    size_t                 base, names;
    uint32_t               k, i, n_times;
    recsys_itemattr_pk_t   pk;
    recsys_itemattr_buf_t  out, sb;

    *attrs = NULL;
    *series = NULL;
    *attrs_size = 0;
    *series_size = 0;

    if (t->n == 0) {
        return RECSYS_OK;
    }

    memset(&pk, 0, sizeof(pk));
    memset(&out, 0, sizeof(out));
    memset(&sb, 0, sizeof(sb));
    rc = RECSYS_OK;

    pk.series = malloc((size_t) (n_items ? n_items : 1) * sizeof(uint32_t));
    if (pk.series == NULL) {
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < n_items; i++) {
        pk.series[i] = UINT32_MAX;
    }

    for (k = 0; k < t->n && rc == RECSYS_OK; k++) {
        rc = recsys_itemattr_pack_col(&pk, &t->col[k], k, n_items);
    }

    n_times = (uint32_t) (pk.times.len / 8);
    if (n_times > 0) {
        qsort(pk.times.p, n_times, 8, recsys_itemattr_cmp_f64);
    }

    /* head, descriptors, times, names, data */
    names = 16 + (size_t) pk.n * 24 + (size_t) n_times * 8;
    base = names;
    for (i = 0; i < pk.n; i++) {
        base += t->col[pk.col[i]].name_len;
    }

    rc |= recsys_itemattr_put_u32(&out, RECSYS_ATTRS_MAGIC);
    rc |= recsys_itemattr_put_u32(&out, pk.n);
    rc |= recsys_itemattr_put_u32(&out, n_items);
    rc |= recsys_itemattr_put_u32(&out, n_times);

    for (i = 0; i < pk.n && rc == RECSYS_OK; i++) {
        pk.desc[i][1] = (uint32_t) names;
        pk.desc[i][2] = (uint32_t) t->col[pk.col[i]].name_len;
        pk.desc[i][3] += (uint32_t) base;
        names += t->col[pk.col[i]].name_len;
        rc = recsys_itemattr_put(&out, pk.desc[i], 24);
    }

    rc |= recsys_itemattr_put(&out, pk.times.p, pk.times.len);

    for (i = 0; i < pk.n && rc == RECSYS_OK; i++) {
        rc = recsys_itemattr_put(&out, t->col[pk.col[i]].name,
                                 t->col[pk.col[i]].name_len);
    }

    rc |= recsys_itemattr_put(&out, pk.data.p, pk.data.len);

    if (rc == RECSYS_OK && pk.n_series > 0) {
        rc = recsys_itemattr_pack_series(pk.series, pk.n_series, pk.season,
                                         pk.episode, n_items, &sb);
    }

    free(pk.series);
    free(pk.season);
    free(pk.episode);
    free(pk.data.p);
    free(pk.times.p);

    if (rc != RECSYS_OK) {
        free(out.p);
        free(sb.p);
        return RECSYS_ENOMEM;
    }

    *attrs = out.p;
    *attrs_size = out.len;
    *series = sb.p;
    *series_size = sb.len;

    return RECSYS_OK;
}


size_t
recsys_itemattr_size_hint(const recsys_itemattr_t *t, uint32_t n_items)
{
    size_t                 size;
    uint32_t               k, i;
    recsys_itemattr_it_t   it;
    recsys_itemattr_str_t  s;

    size = 4096 + (size_t) n_items * 24;

    for (k = 0; k < t->n; k++) {
        size += 64 + t->col[k].name_len + (size_t) n_items * 16;

        for (i = 0; i < t->col[k].cap; i++) {
            if (t->col[k].val[i] == NULL) {
                continue;
            }

            recsys_itemattr_iter(&it, t->col[k].val[i]);

            while (recsys_itemattr_next(&it, &s)) {
                size += 16 + 2 * (size_t) s.len;
            }
        }
    }

    return size;
}
