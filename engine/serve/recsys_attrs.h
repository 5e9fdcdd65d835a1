/*
 * recsys_attrs.h: the catalog's item attributes, read in place from the
 * "item.attrs" and "item.series" blobs (layouts in recsys_schema.h).
 *
 * An attribute has a name and one of four types: a number, a date (Unix
 * seconds, UTC), a string, or a list of strings.  Numbers and dates are an
 * array of doubles, one per item, NaN where the item has none.  Strings and
 * lists share one form: a dictionary of the distinct values in byte order
 * and, per item, the indexes of its values in increasing order (a string
 * has at most one).  recsys_attrs_open() checks every offset and index
 * once, when the model opens; the getters then trust them.
 *
 * Two attribute names have a meaning of their own: available_from and
 * available_until (dates or numbers) bound the time an item may be
 * recommended; series, season and episode order a series' items, and the
 * "item.series" blob lists each series' items in that order.
 */

#ifndef RECSYS_ATTRS_H
#define RECSYS_ATTRS_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_schema.h"


#define RECSYS_ATTR_NUMBER   1
#define RECSYS_ATTR_STRING   2
#define RECSYS_ATTR_LIST     3
#define RECSYS_ATTR_DATE     4

#define RECSYS_ATTRS_MAX     64     /* attributes per model, most */
#define RECSYS_ATTR_NAME_MAX 64     /* bytes of a name, most */

typedef struct {
    const char           *name;
    uint32_t              name_len;
    uint32_t              type;
    uint32_t              n_dict;
    const unsigned char  *nums;         /* number, date: double[n_items] */
    const unsigned char  *dict_offs;    /* string, list: uint32[n_dict+1] */
    const unsigned char  *dict;
    const unsigned char  *item_offs;    /* uint32[n_items + 1] */
    const unsigned char  *vals;         /* uint32 dictionary indexes */
} recsys_attr_t;

typedef struct recsys_attrs_s {
    recsys_attr_t         attr[RECSYS_ATTRS_MAX];
    uint32_t              n_attrs;
    uint32_t              n_items;
    const unsigned char  *times;        /* double[n_times], increasing */
    uint32_t              n_times;
    int                   from;         /* available_from, or -1 */
    int                   until;        /* available_until, or -1 */
    int                   series;       /* the series attribute, or -1 */
    const unsigned char  *ep_offs;      /* uint32[n_series + 1] */
    const unsigned char  *ep_items;     /* uint32 items, series order */
    uint32_t              n_series;
} recsys_attrs_t;


/*
 * Checks the "item.attrs" blob (and "item.series", series may be NULL)
 * of a model of n_items items and sets a up to read them.  RECSYS_OK, or
 * RECSYS_ECORRUPT with the reason in why.
 */
int recsys_attrs_open(recsys_attrs_t *a, const void *blob, size_t size,
    const void *series, size_t series_size, uint32_t n_items,
    const char **why);

/* The attribute of that name, or -1. */
int recsys_attrs_find(const recsys_attrs_t *a, const char *name, size_t len);

/* A number or date attribute's value of item: NaN when it has none. */
double recsys_attrs_number(const recsys_attr_t *at, uint32_t item);

/* A string or list attribute's values of item: n indexes at *vals. */
static inline void
recsys_attrs_values(const recsys_attr_t *at, uint32_t item,
    const unsigned char **vals, uint32_t *n)
{
    uint32_t  from;

    from = recsys_get_u32(at->item_offs + (size_t) item * 4);
    *n = recsys_get_u32(at->item_offs + (size_t) item * 4 + 4) - from;
    *vals = at->vals + (size_t) from * 4;
}

/* A dictionary value: its bytes. */
const char *recsys_attrs_dict(const recsys_attr_t *at, uint32_t index,
    size_t *len);

/* The index of a dictionary value: RECSYS_OK or RECSYS_ENOTFOUND. */
int recsys_attrs_dict_find(const recsys_attr_t *at, const char *p,
    size_t len, uint32_t *index);

/* How many availability boundaries are at or before now. */
uint32_t recsys_attrs_epoch(const recsys_attrs_t *a, double now);

/*
 * The series of item (UINT32_MAX, RECSYS_NO_INDEX: none).  The model reads
 * it once per item when it opens (recsys_model_item_facts, where the
 * series slots find it).
 */
uint32_t recsys_attrs_series(const recsys_attrs_t *a, uint32_t item);

/* That series' items in episode order: n uint32 at *items. */
void recsys_attrs_episodes(const recsys_attrs_t *a, uint32_t series,
    const unsigned char **items, uint32_t *n);

/*
 * The one syntax of attribute values, in catalogs and in filters: a
 * number is an optional '-', digits and an optional fraction ("1994",
 * "-2.5"); a date is YYYY-MM-DD, optionally followed by THH:MM or
 * THH:MM:SS and an optional Z, always UTC (Unix seconds).  RECSYS_OK or
 * RECSYS_EINVAL.
 */
int recsys_attrs_parse_number(const char *p, size_t len, double *v);
int recsys_attrs_parse_date(const char *p, size_t len, double *v);

#endif /* RECSYS_ATTRS_H */
