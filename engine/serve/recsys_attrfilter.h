/*
 * recsys_attrfilter.h: filters on the item attributes (recsys_attrs.h),
 * compiled once per request and tested per candidate item.
 *
 * The syntax: clauses joined by ',' (all must hold), each `field OP value`:
 *   numbers and dates:  =  !=  <  <=  >  >=   (year>=2000, added<2024-01-01)
 *   strings:            =  !=  ~              (language=en)
 *   strings and lists:  ~ a|b|c: has any of a, b, c (regions~FR|BE)
 * A field is an attribute's name; a value runs to the next ',' and is
 * compared byte for byte (strings) or parsed as the attribute's type
 * (recsys_attrs_parse_number, recsys_attrs_parse_date).  An item without
 * a value for the field fails every clause on it.  Whatever the filters,
 * an item outside its availability window (available_from <= now <
 * available_until, each bound only when the item has it) never passes.
 */

#ifndef RECSYS_ATTRFILTER_H
#define RECSYS_ATTRFILTER_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_alloc.h"
#include "recsys_attrs.h"


#define RECSYS_ATTRFILTER_CLAUSES  32   /* clauses of one request, most */
#define RECSYS_ATTRFILTER_ANY      64   /* alternatives of one ~, most */

typedef struct recsys_attrfilter_s  recsys_attrfilter_t;


/*
 * A filter over attrs (a model's, recsys_model_attrs(); NULL: a model
 * without attributes) at time now (Unix seconds) with the availability
 * clauses alone, from a's memory: RECSYS_OK or RECSYS_ENOMEM.
 */
int recsys_attrfilter_create(const recsys_attrs_t *attrs, double now,
    recsys_alloc_t *a, recsys_attrfilter_t **f);

/*
 * Adds the clauses of text (len bytes, may be empty) to f: RECSYS_OK, or
 * RECSYS_EINVAL (bad syntax, unknown field, a value or an operator the
 * field's type does not take, too many clauses), or RECSYS_ENOMEM.
 */
int recsys_attrfilter_add(recsys_attrfilter_t *f, const char *text,
    size_t len);

/*
 * Whether text (len bytes) has the form of a filter, clauses of `field OP
 * value`, without a model to know its fields: RECSYS_OK or RECSYS_EINVAL
 * (an empty text too).  A filter of this form may still name a field a
 * given model lacks, or a value its type does not take.
 */
int recsys_attrfilter_syntax(const char *text, size_t len);

/*
 * A filter of rules written beside a model rather than asked by a request
 * (the overrides): like recsys_attrfilter_create(), but without the
 * availability clauses, so that it holds at any time.
 */
int recsys_attrfilter_create_rule(const recsys_attrs_t *attrs,
    recsys_alloc_t *a, recsys_attrfilter_t **f);

/*
 * Whether every clause of rule is also a clause of f (f may be NULL): the
 * same attribute, operator and value (the same set of values for ~, in
 * any order; values the model lacks do not count).  Both compiled over
 * one model's attributes.
 */
int recsys_attrfilter_within(const recsys_attrfilter_t *rule,
    const recsys_attrfilter_t *f);

/*
 * Whether the items of attrs (NULL: none) have availability windows: a
 * request without clauses needs a filter only then, and its answer
 * depends on the time (recsys_attrfilter_epoch) only then.
 */
int recsys_attrfilter_windows(const recsys_attrs_t *attrs);

/*
 * For a filter kept for many requests over one model: f remembers, per
 * item, whether it passes the clauses (2 bits an item, from f's
 * allocator), so that an item is tested once; the availability windows
 * are still checked at each request's time (recsys_attrfilter_set_time).
 * Clauses added later make it forget.  RECSYS_OK or RECSYS_ENOMEM.
 */
int recsys_attrfilter_memo(recsys_attrfilter_t *f);

/* The time (Unix seconds) at which f checks availability from now on. */
void recsys_attrfilter_set_time(recsys_attrfilter_t *f, double now);

/* Whether f has any clause (availability included) to test. */
int recsys_attrfilter_active(const recsys_attrfilter_t *f);

/* Whether item passes every clause of f (f may be NULL). */
int recsys_attrfilter_pass(const recsys_attrfilter_t *f, uint32_t item);

/*
 * What an answer under f depends on besides the request: 0 when nothing,
 * else the number of availability boundaries passed at f's time, plus 1.
 */
uint32_t recsys_attrfilter_epoch(const recsys_attrfilter_t *f);

#endif /* RECSYS_ATTRFILTER_H */
