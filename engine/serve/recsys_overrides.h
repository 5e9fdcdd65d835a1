/*
 * recsys_overrides.h: business rules applied at request time without a
 * rebuild, read from a small text file (recsys_overrides in the module).
 *
 * The file holds one command per line; blank lines and lines starting
 * with '#' are ignored; fields are separated by spaces or tabs:
 *
 *     hide  ITEM                 the item is never answered, nor item=ITEM
 *     erase USER                 the user is answered as an unknown user
 *     pin   ITEM POSITION        the item at that 1-based position (1..10000)
 *     pin   ITEM POSITION FILTER the same, for the requests whose filter
 *                                has every clause of FILTER
 *     boost ITEM FACTOR          the item's score times FACTOR (0..1000)
 *     boost FILTER FACTOR        the score of every item passing FILTER
 *                                times FACTOR
 *
 * A FILTER has the syntax of the filter= argument (recsys_attrfilter.h),
 * without spaces; a boost's first field is a filter when it holds one of
 * the operator characters = < > ~ (so an item whose id holds one cannot
 * be boosted by id).
 *
 * Two stages.  recsys_overrides_parse() checks the text and keeps its
 * rules with their external ids and filter texts (recsys_overrides_t): it
 * knows no model, so it checks a filter's form alone.
 * recsys_ovr_view_make() resolves those ids against one model into what
 * a request reads (recsys_ovr_view_t): the hidden items and the erased
 * users as bitmaps over the model's indexes (one bit each, an O(1) lookup
 * without probing: 100,000 hidden items of a million-item catalogue cost
 * 125 KB), the pins sorted by position and the boosts sorted by item
 * (a binary search per candidate of a re-ranked pool; the boosts of one
 * item multiply), and the filters compiled over the model's attributes.
 * Ids the model does not know, and filters naming a field it lacks or a
 * value that field's type does not take, are left out of the view (and
 * counted, the first one's line kept, so that it can be logged) and
 * resolved again against the next model.
 *
 * Filters.  A pin with a filter applies only to the requests whose own
 * filter (recsys_filter and filter= together) has each of its clauses,
 * compared compiled (recsys_attrfilter_within): `pin P 1 maturity<=12`
 * pins P in a location whose recsys_filter says maturity<=12.  A boost
 * with a filter multiplies the score of each pool item passing it
 * (availability aside: the request checked it); an item's factor is its
 * boosts by id times those of every filter it passes, in file order.
 */

#ifndef RECSYS_OVERRIDES_H
#define RECSYS_OVERRIDES_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_blocks.h"
#include "recsys_model.h"


#define RECSYS_OVR_MAX_BYTES     (64u * 1024 * 1024)
#define RECSYS_OVR_MAX_POSITION  10000
#define RECSYS_OVR_MAX_FACTOR    1000
/* an item's boosts multiply up to this, so that a score stays finite */
#define RECSYS_OVR_MAX_PRODUCT   1e9f

typedef enum {
    RECSYS_OVR_HIDE = 0,
    RECSYS_OVR_ERASE,
    RECSYS_OVR_PIN,
    RECSYS_OVR_BOOST,
    RECSYS_OVR_NKINDS
} recsys_ovr_kind_t;

typedef struct {
    recsys_ovr_kind_t  kind;
    uint32_t           line;        /* 1-based, in the file */
    const char        *id;          /* the item or user, not NUL-ended */
    uint32_t           id_len;
    uint32_t           position;    /* pin: 1-based */
    float              factor;      /* boost */
    const char        *filter;      /* pin, boost: its text, or NULL (a
                                       boost with a filter has no id) */
    uint32_t           filter_len;
} recsys_ovr_rule_t;

typedef struct {
    char               *text;       /* the file's bytes, ids point here */
    recsys_ovr_rule_t  *rules;      /* in file order */
    uint32_t            n_rules;
    uint32_t            n[RECSYS_OVR_NKINDS];
    uint64_t            version;    /* FNV-1a of the bytes, for ETags */
} recsys_overrides_t;

typedef struct {
    uint32_t           item;
    uint32_t           position;    /* 1-based */
    uint32_t           line;        /* ties between positions: file order */
    const struct recsys_attrfilter_s  *filter;  /* NULL: every request */
} recsys_ovr_pin_t;

typedef struct {
    const struct recsys_attrfilter_s  *filter;
    float              factor;
} recsys_ovr_fboost_t;

typedef struct {
    uint64_t            version;
    uint64_t           *hidden;     /* a bit per item of the model */
    uint64_t           *erased;     /* a bit per user of the model */
    uint64_t           *erased_ids; /* recsys_live_hash64 of every erased
                                       id, the model's users or not,
                                       increasing */
    uint32_t            n_erased_ids;
    uint32_t            n_items;
    uint32_t            n_users;
    uint32_t            n_hidden;   /* resolved, distinct */
    uint32_t            n_erased;
    recsys_ovr_pin_t   *pins;       /* by position, then line */
    uint64_t           *pin_keys;   /* item << 32 | index into pins, of
                                       every pin, increasing */
    uint32_t            n_pins;
    recsys_entry_t     *boost_entries;  /* (item, factor) by item */
    recsys_row_t        boosts;     /* the same, as a row to search */
    recsys_ovr_fboost_t *fboosts;   /* boosts by filter, in file order */
    uint32_t            n_fboosts;
    uint32_t            n_unresolved_filters;   /* left out: the model */
    uint32_t            unresolved_line;        /* lacks what they name */
    recsys_blocks_t     blocks;     /* the compiled filters' memory */
} recsys_ovr_view_t;


/*
 * Parses len bytes of an overrides file.  RECSYS_OK with *out (free with
 * recsys_overrides_free); otherwise RECSYS_EINVAL (or RECSYS_ELIMIT for a
 * file over RECSYS_OVR_MAX_BYTES, RECSYS_ENOMEM) with the 1-based line at
 * fault in *line (0: the file as a whole) and a fixed reason in err; the
 * reason never quotes the file.
 */
int recsys_overrides_parse(const char *data, size_t len,
    recsys_overrides_t **out, uint32_t *line, char *err, size_t errlen);
void recsys_overrides_free(recsys_overrides_t *o);

/* Resolves o against model m: RECSYS_OK with *out, or RECSYS_ENOMEM. */
int recsys_ovr_view_make(const recsys_overrides_t *o,
    const recsys_model_t *m, recsys_ovr_view_t **out);
void recsys_ovr_view_free(recsys_ovr_view_t *v);

/* A boost's factor for item (all its boosts' product), 1 when none. */
float recsys_ovr_boost(const recsys_ovr_view_t *v, uint32_t item);


/* 1 when the item is hidden (v may be NULL). */
static inline int
recsys_ovr_hidden(const recsys_ovr_view_t *v, uint32_t item)
{
    return v != NULL && item < v->n_items
           && (v->hidden[item >> 6] >> (item & 63)) & 1;
}


/* 1 when the user is erased (v may be NULL). */
static inline int
recsys_ovr_erased(const recsys_ovr_view_t *v, uint32_t user)
{
    return v != NULL && user < v->n_users
           && (v->erased[user >> 6] >> (user & 63)) & 1;
}


/*
 * 1 when the user id of that hash (recsys_live_hash64) is erased, whether
 * the model knows the user or not: their live events are not used either
 * (v may be NULL).
 */
int recsys_ovr_erased_id(const recsys_ovr_view_t *v, uint64_t hash);


/*
 * The pins of item: *first is where they start in v->pin_keys (each key's
 * low 32 bits index v->pins, in position order); returns how many.
 */
uint32_t recsys_ovr_item_pins(const recsys_ovr_view_t *v, uint32_t item,
    uint32_t *first);


/* Whether the view has boosts of either kind (v may be NULL). */
static inline int
recsys_ovr_boosts(const recsys_ovr_view_t *v)
{
    return v != NULL && (v->boosts.n > 0 || v->n_fboosts > 0);
}

#endif /* RECSYS_OVERRIDES_H */
