/*
 * recsys_evjson.c: the event body reader (recsys_evjson.h).
 *
 * A hand-written recursive-descent reader of the one shape an event body
 * may have, no general JSON tree: a cursor over the body, the output
 * cursor into the caller's buffer, and the first refusal's message.  Each
 * string is unescaped as it is read and checked whole afterwards (valid
 * UTF-8, no NUL, length), so an escaped surrogate pair and raw UTF-8 come
 * out alike.  The work is linear in the body.
 */

#include <string.h>

#include "recsys_evjson.h"
#include "recsys_status.h"
#include "recsys_text.h"


typedef struct {
    const char   *p;
    const char   *end;
    char         *out;          /* where the next string is unescaped */
    const char   *why;
} recsys_evjson_t;


static int
recsys_evjson_fail(recsys_evjson_t *j, const char *why)
{
    if (j->why == NULL) {
        j->why = why;
    }

    return RECSYS_EINVAL;
}


static void
recsys_evjson_space(recsys_evjson_t *j)
{
    while (j->p < j->end
           && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n'
               || *j->p == '\r'))
    {
        j->p++;
    }
}


/* 1 if the next character (after white space) is c, which is consumed. */
static int
recsys_evjson_eat(recsys_evjson_t *j, char c)
{
    recsys_evjson_space(j);

    if (j->p < j->end && *j->p == c) {
        j->p++;
        return 1;
    }

    return 0;
}


static int
recsys_evjson_hex4(recsys_evjson_t *j, uint32_t *v)
{
    int   k;
    char  c;

    if (j->end - j->p < 4) {
        return 0;
    }

    *v = 0;

    for (k = 0; k < 4; k++) {
        c = *j->p++;
        *v <<= 4;

        if (c >= '0' && c <= '9') {
            *v |= (uint32_t) (c - '0');

        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
            *v |= (uint32_t) ((c | 0x20) - 'a' + 10);

        } else {
            return 0;
        }
    }

    return 1;
}


/* Writes code point cp as UTF-8 at j->out. */
static void
recsys_evjson_utf8(recsys_evjson_t *j, uint32_t cp)
{
    unsigned char  *o;

    o = (unsigned char *) j->out;

    if (cp < 0x80) {
        *o++ = (unsigned char) cp;

    } else if (cp < 0x800) {
        *o++ = (unsigned char) (0xc0 | (cp >> 6));
        *o++ = (unsigned char) (0x80 | (cp & 0x3f));

    } else if (cp < 0x10000) {
        *o++ = (unsigned char) (0xe0 | (cp >> 12));
        *o++ = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
        *o++ = (unsigned char) (0x80 | (cp & 0x3f));

    } else {
        *o++ = (unsigned char) (0xf0 | (cp >> 18));
        *o++ = (unsigned char) (0x80 | ((cp >> 12) & 0x3f));
        *o++ = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
        *o++ = (unsigned char) (0x80 | (cp & 0x3f));
    }

    j->out = (char *) o;
}


/* \uXXXX, with the low half of a surrogate pair when one is needed. */
static int
recsys_evjson_unicode(recsys_evjson_t *j)
{
    uint32_t  hi, lo;

    if (!recsys_evjson_hex4(j, &hi)) {
        return 0;
    }

    if (hi >= 0xdc00 && hi <= 0xdfff) {
        return 0;
    }

    if (hi >= 0xd800 && hi <= 0xdbff) {
        if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u') {
            return 0;
        }

        j->p += 2;

        if (!recsys_evjson_hex4(j, &lo) || lo < 0xdc00 || lo > 0xdfff) {
            return 0;
        }

        hi = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
    }

    recsys_evjson_utf8(j, hi);

    return 1;
}


/*
 * A string (the opening quote next), unescaped to j->out: *s and *len
 * say where.  Raw control characters are refused, as JSON wants.
 */
static int
recsys_evjson_string(recsys_evjson_t *j, const char **s, size_t *len)
{
    char         c;
    const char  *start, *run;

    if (!recsys_evjson_eat(j, '"')) {
        return recsys_evjson_fail(j, "a string was expected");
    }

    start = j->out;

    for ( ;; ) {
        /* a run of plain bytes in one copy */
        for (run = j->p;
             run < j->end && *run != '"' && *run != '\\'
             && (unsigned char) *run >= 0x20;
             run++)
        {
            /* void */
        }

        memcpy(j->out, j->p, (size_t) (run - j->p));
        j->out += run - j->p;
        j->p = run;

        if (j->p == j->end) {
            return recsys_evjson_fail(j, "a string is not closed");
        }

        c = *j->p++;

        if (c == '"') {
            break;
        }

        if (c != '\\') {
            return recsys_evjson_fail(j, "a control character in a string");
        }

        if (j->p == j->end) {
            return recsys_evjson_fail(j, "a bad escape in a string");
        }

        c = *j->p++;

        switch (c) {
        case '"': case '\\': case '/':
            *j->out++ = c;
            break;
        case 'b':
            *j->out++ = '\b';
            break;
        case 'f':
            *j->out++ = '\f';
            break;
        case 'n':
            *j->out++ = '\n';
            break;
        case 'r':
            *j->out++ = '\r';
            break;
        case 't':
            *j->out++ = '\t';
            break;
        case 'u':
            if (recsys_evjson_unicode(j)) {
                break;
            }

            /* fall through */
        default:
            return recsys_evjson_fail(j, "a bad escape in a string");
        }
    }

    *s = start;
    *len = (size_t) (j->out - start);

    return RECSYS_OK;
}


/* ts: a plain non-negative integer up to RECSYS_EVJSON_TS_MAX. */
static int
recsys_evjson_ts(recsys_evjson_t *j, int64_t *ts)
{
    int64_t  v;
    size_t   digits;

    recsys_evjson_space(j);

    v = 0;
    digits = 0;

    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
        v = v * 10 + (*j->p++ - '0');
        digits++;

        if (v > RECSYS_EVJSON_TS_MAX) {
            return recsys_evjson_fail(j, "ts is out of range");
        }
    }

    if (digits == 0 || (digits > 1 && j->p[-(ptrdiff_t) digits] == '0')
        || (j->p < j->end
            && (*j->p == '.' || *j->p == 'e' || *j->p == 'E')))
    {
        return recsys_evjson_fail(j, "ts must be a whole number of "
                                     "Unix seconds");
    }

    *ts = v;

    return RECSYS_OK;
}


/*
 * The user member: a string of any content, or null.  Whether it is an id
 * is the caller's to ask (ev->user_valid): a location with a trusted user
 * ignores it, whatever it holds, as /recommend ignores a user argument.
 */
static int
recsys_evjson_user(recsys_evjson_t *j, recsys_evjson_event_t *ev)
{
    if (ev->user_seen) {
        return recsys_evjson_fail(j, "a member is repeated");
    }

    ev->user_seen = 1;
    recsys_evjson_space(j);

    if (j->end - j->p >= 4 && memcmp(j->p, "null", 4) == 0) {
        j->p += 4;
        return RECSYS_OK;
    }

    if (recsys_evjson_string(j, &ev->user, &ev->user_len) != RECSYS_OK) {
        return RECSYS_EINVAL;
    }

    ev->user_valid = recsys_id_valid(ev->user, ev->user_len);

    return RECSYS_OK;
}


/* A member's value by its name; each name at most once. */
static int
recsys_evjson_member(recsys_evjson_t *j, const char *name, size_t name_len,
    recsys_evjson_event_t *ev)
{
    const char  **s;
    size_t       *len;

    if (name_len == 2 && memcmp(name, "ts", 2) == 0) {
        if (ev->ts >= 0) {
            return recsys_evjson_fail(j, "a member is repeated");
        }

        return recsys_evjson_ts(j, &ev->ts);
    }

    if (name_len == 4 && memcmp(name, "user", 4) == 0) {
        return recsys_evjson_user(j, ev);
    }

    if (name_len == 4 && memcmp(name, "item", 4) == 0) {
        s = &ev->item;
        len = &ev->item_len;

    } else if (name_len == 4 && memcmp(name, "type", 4) == 0) {
        s = &ev->type;
        len = &ev->type_len;

    } else {
        return recsys_evjson_fail(j, "an event has only user, item, type "
                                     "and ts");
    }

    if (*s != NULL) {
        return recsys_evjson_fail(j, "a member is repeated");
    }

    if (recsys_evjson_string(j, s, len) != RECSYS_OK) {
        return RECSYS_EINVAL;
    }

    if (s == &ev->type) {
        return *len >= 1 && *len <= RECSYS_EVJSON_TYPE_MAX
               && recsys_utf8_valid(*s, *len)
               ? RECSYS_OK : recsys_evjson_fail(j, "type is not a valid "
                                                   "event name");
    }

    return recsys_id_valid(*s, *len)
           ? RECSYS_OK : recsys_evjson_fail(j, RECSYS_EVJSON_BAD_ID);
}


static int
recsys_evjson_object(recsys_evjson_t *j, recsys_evjson_event_t *ev)
{
    size_t       name_len;
    const char  *name;

    memset(ev, 0, sizeof(recsys_evjson_event_t));
    ev->ts = -1;

    if (!recsys_evjson_eat(j, '{')) {
        return recsys_evjson_fail(j, "an event must be a JSON object");
    }

    if (!recsys_evjson_eat(j, '}')) {
        do {
            if (recsys_evjson_string(j, &name, &name_len) != RECSYS_OK
                || !recsys_evjson_eat(j, ':'))
            {
                return recsys_evjson_fail(j, "a member name and a colon "
                                             "were expected");
            }

            /* the name is not kept: its bytes are written over */
            j->out -= name_len;

            if (recsys_evjson_member(j, name, name_len, ev) != RECSYS_OK) {
                return RECSYS_EINVAL;
            }

        } while (recsys_evjson_eat(j, ','));

        if (!recsys_evjson_eat(j, '}')) {
            return recsys_evjson_fail(j, "a comma or a closing brace was "
                                         "expected");
        }
    }

    if (ev->item == NULL || ev->type == NULL) {
        return recsys_evjson_fail(j, "an event needs an item and a type");
    }

    return RECSYS_OK;
}


int
recsys_evjson_parse(const char *body, size_t len, char *buf,
    recsys_evjson_event_t *ev, size_t max, size_t *n, const char **why)
{
    int              rc;
    recsys_evjson_t  j;

    j.p = body;
    j.end = body + len;
    j.out = buf;
    j.why = NULL;
    *n = 0;

    if (recsys_evjson_eat(&j, '[')) {
        do {
            if (*n == max) {
                rc = recsys_evjson_fail(&j, "too many events");
                goto done;
            }

            rc = recsys_evjson_object(&j, &ev[*n]);
            if (rc != RECSYS_OK) {
                goto done;
            }

            (*n)++;

        } while (recsys_evjson_eat(&j, ','));

        if (!recsys_evjson_eat(&j, ']')) {
            rc = recsys_evjson_fail(&j, "a comma or a closing bracket was "
                                        "expected");
            goto done;
        }

    } else if (max == 0) {
        rc = recsys_evjson_fail(&j, "too many events");
        goto done;

    } else {
        rc = recsys_evjson_object(&j, &ev[0]);
        if (rc != RECSYS_OK) {
            goto done;
        }

        *n = 1;
    }

    recsys_evjson_space(&j);

    rc = j.p == j.end ? RECSYS_OK
                      : recsys_evjson_fail(&j, "text after the events");

done:

    if (rc != RECSYS_OK) {
        *n = 0;
        *why = j.why;
    }

    return rc;
}
