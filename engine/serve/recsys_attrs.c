/*
 * recsys_attrs.c: reading the item attributes (recsys_attrs.h): the
 * checks made once when a model opens, the getters, and the one parser
 * of attribute numbers and dates that the builder and the filters share.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_attrs.h"
#include "recsys_schema.h"
#include "recsys_status.h"


#define RECSYS_ATTRS_DESC  24       /* bytes of one attribute descriptor */


static int
recsys_attrs_bad(const char **why, const char *what)
{
    *why = what;
    return RECSYS_ECORRUPT;
}


/* Whether offs[0..n] start at 0, never go back and end at most at limit. */
static int
recsys_attrs_offsets_ok(const unsigned char *offs, uint32_t n,
    uint32_t limit)
{
    uint32_t  k, prev, cur;

    prev = 0;

    for (k = 0; k <= n; k++) {
        cur = recsys_get_u32(offs + (size_t) k * 4);

        if (cur < prev || cur > limit || (k == 0 && cur != 0)) {
            return 0;
        }

        prev = cur;
    }

    return 1;
}


/*
 * A string or list attribute's data (size bytes at p): the dictionary's
 * and the items' offsets, every index in the dictionary, each item's
 * indexes increasing, the dictionary's values distinct and in byte order.
 */
static int
recsys_attrs_open_strings(recsys_attr_t *at, const unsigned char *p,
    uint64_t size, uint32_t n_items, const char **why)
{
    uint32_t  k, j, n_vals, from, to, v, prev, plen, clen;
    uint64_t  need;
    int       c;

    need = ((uint64_t) at->n_dict + 1 + n_items + 1) * 4;
    if (size < need) {
        return recsys_attrs_bad(why, "truncated values");
    }

    at->dict_offs = p;
    at->item_offs = p + ((size_t) at->n_dict + 1) * 4;
    n_vals = recsys_get_u32(at->item_offs + (size_t) n_items * 4);
    need += (uint64_t) n_vals * 4;

    if (size < need) {
        return recsys_attrs_bad(why, "truncated values");
    }

    at->vals = at->item_offs + ((size_t) n_items + 1) * 4;
    at->dict = at->vals + (size_t) n_vals * 4;

    if (!recsys_attrs_offsets_ok(at->dict_offs, at->n_dict,
                                 (uint32_t) (size - need))
        || recsys_get_u32(at->dict_offs + (size_t) at->n_dict * 4)
           != size - need
        || !recsys_attrs_offsets_ok(at->item_offs, n_items, n_vals))
    {
        return recsys_attrs_bad(why, "bad offsets");
    }

    for (k = 0; k < n_items; k++) {
        from = recsys_get_u32(at->item_offs + (size_t) k * 4);
        to = recsys_get_u32(at->item_offs + (size_t) k * 4 + 4);

        if (at->type == RECSYS_ATTR_STRING && to - from > 1) {
            return recsys_attrs_bad(why, "a string with many values");
        }

        for (j = from; j < to; j++) {
            v = recsys_get_u32(at->vals + (size_t) j * 4);

            if (v >= at->n_dict
                || (j > from
                    && v <= recsys_get_u32(at->vals + (size_t) j * 4 - 4)))
            {
                return recsys_attrs_bad(why, "bad value index");
            }
        }
    }

    for (k = 1; k < at->n_dict; k++) {
        prev = recsys_get_u32(at->dict_offs + (size_t) k * 4 - 4);
        from = recsys_get_u32(at->dict_offs + (size_t) k * 4);
        to = recsys_get_u32(at->dict_offs + (size_t) k * 4 + 4);
        plen = from - prev;
        clen = to - from;
        c = memcmp(at->dict + prev, at->dict + from,
                   plen < clen ? plen : clen);

        if (c > 0 || (c == 0 && plen >= clen)) {
            return recsys_attrs_bad(why, "dictionary out of order");
        }
    }

    return RECSYS_OK;
}


/* The "item.series" blob: one row of items per value of "series". */
static int
recsys_attrs_open_series(recsys_attrs_t *a, const unsigned char *p,
    size_t size, const char **why)
{
    uint32_t  k, n_series, n_entries;

    if (p == NULL || a->series < 0) {
        return p == NULL ? RECSYS_OK
                         : recsys_attrs_bad(why, "series without a series "
                                                 "attribute");
    }

    if (size < 16 || recsys_get_u32(p) != RECSYS_SERIES_MAGIC) {
        return recsys_attrs_bad(why, "bad series head");
    }

    n_series = recsys_get_u32(p + 4);
    n_entries = recsys_get_u32(p + 8);

    if (n_series != a->attr[a->series].n_dict
        || size != 16 + ((uint64_t) n_series + 1) * 4
                   + (uint64_t) n_entries * 4
        || !recsys_attrs_offsets_ok(p + 16, n_series, n_entries)
        || recsys_get_u32(p + 16 + (size_t) n_series * 4) != n_entries)
    {
        return recsys_attrs_bad(why, "bad series size");
    }

    a->ep_offs = p + 16;
    a->ep_items = a->ep_offs + ((size_t) n_series + 1) * 4;
    a->n_series = n_series;

    for (k = 0; k < n_entries; k++) {
        if (recsys_get_u32(a->ep_items + (size_t) k * 4) >= a->n_items) {
            return recsys_attrs_bad(why, "series item out of range");
        }
    }

    return RECSYS_OK;
}


/* One descriptor: its name and data inside the blob, its type's data. */
static int
recsys_attrs_open_one(recsys_attrs_t *a, recsys_attr_t *at,
    const unsigned char *base, size_t size, const unsigned char *d,
    const char **why)
{
    uint32_t  name_off, data_off, data_len, k;

    at->type = recsys_get_u32(d);
    name_off = recsys_get_u32(d + 4);
    at->name_len = recsys_get_u32(d + 8);
    data_off = recsys_get_u32(d + 12);
    data_len = recsys_get_u32(d + 16);
    at->n_dict = recsys_get_u32(d + 20);

    if ((uint64_t) name_off + at->name_len > size
        || (uint64_t) data_off + data_len > size
        || at->name_len == 0 || at->name_len > RECSYS_ATTR_NAME_MAX)
    {
        return recsys_attrs_bad(why, "bad descriptor");
    }

    at->name = (const char *) base + name_off;

    for (k = 0; k < at->name_len; k++) {
        if (strchr("=!<>~,\"\\", at->name[k]) != NULL
            || (unsigned char) at->name[k] <= ' '
            || (unsigned char) at->name[k] >= 0x7f)
        {
            return recsys_attrs_bad(why, "bad attribute name");
        }
    }

    switch (at->type) {
    case RECSYS_ATTR_NUMBER:
    case RECSYS_ATTR_DATE:
        if (data_len != (uint64_t) a->n_items * 8) {
            return recsys_attrs_bad(why, "bad number array");
        }

        at->nums = base + data_off;
        return RECSYS_OK;

    case RECSYS_ATTR_STRING:
    case RECSYS_ATTR_LIST:
        return recsys_attrs_open_strings(at, base + data_off, data_len,
                                         a->n_items, why);

    default:
        return recsys_attrs_bad(why, "unknown attribute type");
    }
}


int
recsys_attrs_open(recsys_attrs_t *a, const void *blob, size_t size,
    const void *series, size_t series_size, uint32_t n_items,
    const char **why)
{
    int                   rc;
    uint32_t              k;
    uint64_t              need;
    const unsigned char  *p;

    memset(a, 0, sizeof(recsys_attrs_t));
    a->from = a->until = a->series = -1;
    p = blob;

    if (size < 16 || recsys_get_u32(p) != RECSYS_ATTRS_MAGIC) {
        return recsys_attrs_bad(why, "bad head");
    }

    a->n_attrs = recsys_get_u32(p + 4);
    a->n_items = recsys_get_u32(p + 8);
    a->n_times = recsys_get_u32(p + 12);

    need = 16 + (uint64_t) a->n_attrs * RECSYS_ATTRS_DESC
           + (uint64_t) a->n_times * 8;

    if (a->n_attrs > RECSYS_ATTRS_MAX || a->n_items != n_items
        || need > size)
    {
        return recsys_attrs_bad(why, "bad size");
    }

    a->times = p + 16 + (size_t) a->n_attrs * RECSYS_ATTRS_DESC;

    for (k = 1; k < a->n_times; k++) {
        if (!(recsys_get_f64(a->times + (size_t) k * 8 - 8)
              <= recsys_get_f64(a->times + (size_t) k * 8)))
        {
            return recsys_attrs_bad(why, "times out of order");
        }
    }

    for (k = 0; k < a->n_attrs; k++) {
        rc = recsys_attrs_open_one(a, &a->attr[k], p, size,
                                   p + 16 + (size_t) k * RECSYS_ATTRS_DESC,
                                   why);
        if (rc != RECSYS_OK) {
            return rc;
        }

        if (recsys_attrs_find(a, a->attr[k].name, a->attr[k].name_len)
            != (int) k)
        {
            return recsys_attrs_bad(why, "duplicate attribute");
        }
    }

    a->from = recsys_attrs_find(a, "available_from", 14);
    a->until = recsys_attrs_find(a, "available_until", 15);
    a->series = recsys_attrs_find(a, "series", 6);

    if ((a->from >= 0 && a->attr[a->from].nums == NULL)
        || (a->until >= 0 && a->attr[a->until].nums == NULL)
        || (a->series >= 0 && a->attr[a->series].type != RECSYS_ATTR_STRING))
    {
        return recsys_attrs_bad(why, "an attribute of the wrong type");
    }

    return recsys_attrs_open_series(a, series, series_size, why);
}


int
recsys_attrs_find(const recsys_attrs_t *a, const char *name, size_t len)
{
    uint32_t  k;

    for (k = 0; k < a->n_attrs; k++) {
        if (a->attr[k].name_len == len
            && memcmp(a->attr[k].name, name, len) == 0)
        {
            return (int) k;
        }
    }

    return -1;
}


double
recsys_attrs_number(const recsys_attr_t *at, uint32_t item)
{
    return recsys_get_f64(at->nums + (size_t) item * 8);
}


const char *
recsys_attrs_dict(const recsys_attr_t *at, uint32_t index, size_t *len)
{
    uint32_t  from;

    from = recsys_get_u32(at->dict_offs + (size_t) index * 4);
    *len = recsys_get_u32(at->dict_offs + (size_t) index * 4 + 4) - from;

    return (const char *) at->dict + from;
}


int
recsys_attrs_dict_find(const recsys_attr_t *at, const char *p, size_t len,
    uint32_t *index)
{
    int          c;
    size_t       vlen;
    uint32_t     lo, hi, mid;
    const char  *v;

    lo = 0;
    hi = at->n_dict;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        v = recsys_attrs_dict(at, mid, &vlen);
        c = memcmp(v, p, vlen < len ? vlen : len);

        if (c == 0 && vlen == len) {
            *index = mid;
            return RECSYS_OK;
        }

        if (c < 0 || (c == 0 && vlen < len)) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return RECSYS_ENOTFOUND;
}


uint32_t
recsys_attrs_epoch(const recsys_attrs_t *a, double now)
{
    uint32_t  base, n, half;

    /* the first time after now, by halving the span that holds it */
    base = 0;
    n = a->n_times;

    while (n > 1) {
        half = n / 2;
        base += recsys_get_f64(a->times + (size_t) (base + half) * 8) <= now
                ? half : 0;
        n -= half;
    }

    return n == 0 ? 0
                  : base + (recsys_get_f64(a->times + (size_t) base * 8)
                            <= now);
}


uint32_t
recsys_attrs_series(const recsys_attrs_t *a, uint32_t item)
{
    uint32_t              n;
    const unsigned char  *vals;

    if (a->series < 0 || a->ep_offs == NULL) {
        return UINT32_MAX;
    }

    recsys_attrs_values(&a->attr[a->series], item, &vals, &n);

    return n > 0 ? recsys_get_u32(vals) : UINT32_MAX;
}


void
recsys_attrs_episodes(const recsys_attrs_t *a, uint32_t series,
    const unsigned char **items, uint32_t *n)
{
    uint32_t  from;

    from = recsys_get_u32(a->ep_offs + (size_t) series * 4);
    *n = recsys_get_u32(a->ep_offs + (size_t) series * 4 + 4) - from;
    *items = a->ep_items + (size_t) from * 4;
}


/* Reads exactly n decimal digits at p into *v. */
static int
recsys_attrs_digits(const char *p, size_t n, int *v)
{
    size_t  k;

    *v = 0;

    for (k = 0; k < n; k++) {
        if (p[k] < '0' || p[k] > '9') {
            return 0;
        }

        *v = *v * 10 + (p[k] - '0');
    }

    return 1;
}


int
recsys_attrs_parse_number(const char *p, size_t len, double *v)
{
    char    buf[64];
    size_t  k, digits, frac;

    k = (len > 0 && p[0] == '-') ? 1 : 0;
    digits = 0;
    frac = 0;

    while (k < len && p[k] >= '0' && p[k] <= '9') {
        k++;
        digits++;
    }

    if (k < len && p[k] == '.') {
        k++;

        while (k < len && p[k] >= '0' && p[k] <= '9') {
            k++;
            frac++;
        }

        if (frac == 0) {
            return RECSYS_EINVAL;
        }
    }

    if (digits == 0 || k != len || len >= sizeof(buf)) {
        return RECSYS_EINVAL;
    }

    memcpy(buf, p, len);
    buf[len] = '\0';
    *v = strtod(buf, NULL);

    return isfinite(*v) ? RECSYS_OK : RECSYS_EINVAL;
}


int
recsys_attrs_parse_date(const char *p, size_t len, double *v)
{
    int      y, mo, d, h, mi, s, era, yoe, doy, doe;
    int64_t  days;

    static const int  mdays[] = {
        31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    if (len > 0 && p[len - 1] == 'Z' && len > 10) {
        len--;
    }

    h = mi = s = 0;

    if ((len != 10 && len != 16 && len != 19)
        || p[4] != '-' || p[7] != '-'
        || !recsys_attrs_digits(p, 4, &y)
        || !recsys_attrs_digits(p + 5, 2, &mo)
        || !recsys_attrs_digits(p + 8, 2, &d)
        || (len > 10 && (p[10] != 'T' || p[13] != ':'
                         || !recsys_attrs_digits(p + 11, 2, &h)
                         || !recsys_attrs_digits(p + 14, 2, &mi)))
        || (len == 19 && (p[16] != ':'
                          || !recsys_attrs_digits(p + 17, 2, &s))))
    {
        return RECSYS_EINVAL;
    }

    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1]
        || (mo == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0
                                                  && y % 400 != 0)))
        || h > 23 || mi > 59 || s > 59)
    {
        return RECSYS_EINVAL;
    }

    /* days since 1970-01-01 of a proleptic Gregorian date */
    y -= mo <= 2;
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    days = (int64_t) era * 146097 + doe - 719468;

    *v = (double) days * 86400.0 + h * 3600 + mi * 60 + s;

    return RECSYS_OK;
}
