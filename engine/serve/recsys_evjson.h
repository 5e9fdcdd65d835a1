/*
 * recsys_evjson.h: the strict JSON reader of an event body (POST /event).
 *
 * A body is one event object or an array of 1 to max of them, with
 * optional white space around tokens and nothing after the value.  An
 * event has exactly these members, each at most once:
 *
 *   "user": string   optional; any string, or null (as if absent): whether
 *                    it is an id (recsys_id_valid) is said in user_valid,
 *                    and only a location without a trusted user needs one
 *   "item": string   1 to RECSYS_ID_MAX bytes; required
 *   "type": string   1 to RECSYS_EVJSON_TYPE_MAX bytes; required
 *   "ts":   integer  Unix seconds, 0 to 2^40; optional
 *
 * Any other member, a value of another JSON type, a bad escape, invalid
 * UTF-8 or a NUL (also as \u0000), a fraction or exponent in ts, nesting
 * deeper than an array of objects: the whole body is refused, and nothing
 * of it is kept.  Strings are unescaped into the caller's buffer (an
 * escape is never shorter than what it stands for, so len bytes suffice).
 */

#ifndef RECSYS_EVJSON_H
#define RECSYS_EVJSON_H

#include <stddef.h>
#include <stdint.h>


#define RECSYS_EVJSON_TYPE_MAX  32
#define RECSYS_EVJSON_TS_MAX    ((int64_t) 1 << 40)

/* the refusal of an id that recsys_id_valid does not accept */
#define RECSYS_EVJSON_BAD_ID    "an id must be 1 to 256 bytes of UTF-8"


typedef struct {
    const char  *user;          /* NULL: no user member, or null */
    const char  *item;
    const char  *type;
    size_t       user_len;
    size_t       item_len;
    size_t       type_len;
    int64_t      ts;            /* -1: no ts member */
    int          user_seen;     /* a user member was read (null too) */
    int          user_valid;    /* user is an id (recsys_id_valid) */
} recsys_evjson_event_t;


/*
 * Reads body[0..len) into ev[0..*n), at most max events, the strings
 * unescaped into buf (len bytes, owned by the caller; the events point
 * into it).  RECSYS_OK, or RECSYS_EINVAL with *why a fixed message that
 * never quotes the input.
 */
int recsys_evjson_parse(const char *body, size_t len, char *buf,
    recsys_evjson_event_t *ev, size_t max, size_t *n, const char **why);

#endif /* RECSYS_EVJSON_H */
