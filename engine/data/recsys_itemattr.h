/*
 * recsys_itemattr.h: the catalog's other columns, collected while the
 * catalog is read and typed and packed into the "item.attrs" and
 * "item.series" blobs (recsys_schema.h, recsys_attrs.h) when the model is
 * written.
 *
 * Values arrive as text with a hint of where they came from: a CSV field
 * (typed by what all of the column's values look like), a JSON number, a
 * JSON string or a JSON array of strings.  A column is a number when every
 * value is one (recsys_attrs_parse_number), else a date when every value
 * is one (recsys_attrs_parse_date), else a list when a CSV value holds a
 * '|' or a JSON value is an array, else a string.  "series" is always a
 * string; "season" and "episode" order a series' items when they are
 * numbers.  An empty value is no value.
 */

#ifndef RECSYS_ITEMATTR_H
#define RECSYS_ITEMATTR_H

#include <stddef.h>
#include <stdint.h>


typedef enum {
    RECSYS_ITEMATTR_TEXT = 0,       /* a CSV field: '|' separates a list */
    RECSYS_ITEMATTR_JSON_NUMBER,
    RECSYS_ITEMATTR_JSON_STRING,
    RECSYS_ITEMATTR_JSON_LIST       /* parts: the array's strings */
} recsys_itemattr_kind_t;

typedef struct {
    char        *name;
    size_t       name_len;
    char       **val;           /* per item: packed parts, or NULL */
    uint32_t     cap;
    unsigned     json_number:1;
    unsigned     json_list:1;
} recsys_itemattr_col_t;

typedef struct {
    recsys_itemattr_col_t  *col;
    uint32_t                n;
} recsys_itemattr_t;


void recsys_itemattr_free(recsys_itemattr_t *t);

/* Whether name (a catalog column or field) may be an attribute. */
int recsys_itemattr_name_ok(const char *name, size_t len);

/*
 * Sets attribute name of item to n parts (one unless kind is a JSON
 * list).  RECSYS_OK, RECSYS_ELIMIT (too many attributes) or
 * RECSYS_ENOMEM.
 */
int recsys_itemattr_set(recsys_itemattr_t *t, const char *name,
    size_t name_len, uint32_t item, recsys_itemattr_kind_t kind,
    const char *const *parts, const size_t *lens, uint32_t n);

/* Moves every value of item i to map[i] (n_old items before). */
int recsys_itemattr_renumber(recsys_itemattr_t *t, const uint32_t *map,
    uint32_t n_old, uint32_t n_items);

/*
 * Packs the attributes of n_items items: *attrs (NULL when there are
 * none) and *series (NULL without a series attribute), malloc()ed, with
 * their sizes.  RECSYS_OK or RECSYS_ENOMEM.
 */
int recsys_itemattr_pack(const recsys_itemattr_t *t, uint32_t n_items,
    unsigned char **attrs, size_t *attrs_size, unsigned char **series,
    size_t *series_size);

/* An upper bound of the packed size, for the writer's map. */
size_t recsys_itemattr_size_hint(const recsys_itemattr_t *t,
    uint32_t n_items);

#endif /* RECSYS_ITEMATTR_H */
