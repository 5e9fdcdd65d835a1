/*
 * recsys_overrides.c: the overrides file (recsys_overrides.h): parsing
 * its text into rules, and resolving the rules against a model.
 *
 * The parser copies the bytes once and cuts them into lines and fields in
 * place; a rule points at its id inside that copy.  Every check names the
 * line: an unknown command, a missing or extra field, an id that is not
 * 1 to 256 bytes of UTF-8, a position or factor out of range, a NUL byte.
 * Nothing of a file is kept unless all of it is valid.
 */

#include <stdlib.h>
#include <string.h>

#include "recsys_attrfilter.h"
#include "recsys_live.h"
#include "recsys_overrides.h"
#include "recsys_row.h"
#include "recsys_sorted.h"
#include "recsys_text.h"


#define RECSYS_OVR_FIELDS  4


typedef struct {
    const char  *p[RECSYS_OVR_FIELDS];
    size_t       len[RECSYS_OVR_FIELDS];
    uint32_t     n;
} recsys_ovr_fields_t;


static const struct {
    const char  *name;
    uint32_t     fields;
    uint32_t     max_fields;
} recsys_ovr_commands[RECSYS_OVR_NKINDS] = {
    { "hide", 2, 2 },
    { "erase", 2, 2 },
    { "pin", 3, 4 },
    { "boost", 3, 3 }
};


/* Splits a line at spaces and tabs; 0 when it has too many fields. */
static int
recsys_ovr_split(const char *p, size_t len, recsys_ovr_fields_t *f)
{
    size_t  i, start;

    f->n = 0;
    i = 0;

    for ( ;; ) {
        while (i < len && (p[i] == ' ' || p[i] == '\t')) {
            i++;
        }

        if (i == len) {
            return 1;
        }

        if (f->n == RECSYS_OVR_FIELDS) {
            return 0;
        }

        start = i;
        while (i < len && p[i] != ' ' && p[i] != '\t') {
            i++;
        }

        f->p[f->n] = p + start;
        f->len[f->n] = i - start;
        f->n++;
    }
}


/*
 * A field as a number from lo to max: digits, and when point allows it one
 * decimal point with digits on both sides and at most 6 after it.
 * RECSYS_OK with *out, or RECSYS_EINVAL.
 */
static int
recsys_ovr_number(const char *p, size_t len, int point, double lo,
    double max, double *out)
{
    char        buf[24], *end;
    const char  *dot;

    if (len == 0 || len >= sizeof(buf)) {
        return RECSYS_EINVAL;
    }

    memcpy(buf, p, len);
    buf[len] = '\0';

    if (strspn(buf, point ? "0123456789." : "0123456789") != len) {
        return RECSYS_EINVAL;
    }

    dot = strchr(buf, '.');

    if (dot != NULL
        && (dot == buf || dot[1] == '\0' || strchr(dot + 1, '.') != NULL
            || strlen(dot + 1) > 6))
    {
        return RECSYS_EINVAL;
    }

    *out = strtod(buf, &end);

    return *end == '\0' && *out >= lo && *out <= max ? RECSYS_OK
                                                     : RECSYS_EINVAL;
}


/* Whether a boost's first field is a filter: it has an operator. */
static int
recsys_ovr_is_filter(const char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (p[i] == '=' || p[i] == '<' || p[i] == '>' || p[i] == '~') {
            return 1;
        }
    }

    return 0;
}


/* One non-empty line into r: NULL, or the fixed reason it is refused. */
static const char *
recsys_ovr_line(const char *p, size_t len, recsys_ovr_rule_t *r)
{
    int                  k;
    double               v;
    uint32_t             j;
    recsys_ovr_fields_t  f;

    if (!recsys_ovr_split(p, len, &f)) {
        return "too many fields";
    }

    for (k = 0; k < RECSYS_OVR_NKINDS; k++) {
        if (f.len[0] == strlen(recsys_ovr_commands[k].name)
            && memcmp(f.p[0], recsys_ovr_commands[k].name, f.len[0]) == 0)
        {
            break;
        }
    }

    if (k == RECSYS_OVR_NKINDS) {
        return "unknown command (hide, erase, pin or boost)";
    }

    if (f.n < recsys_ovr_commands[k].fields) {
        return "missing field";
    }

    if (f.n > recsys_ovr_commands[k].max_fields) {
        return "too many fields";
    }

    memset(r, 0, sizeof(recsys_ovr_rule_t));
    r->kind = (recsys_ovr_kind_t) k;
    r->factor = 1.0f;

    /* a boost of every item passing a filter, or a pin's filter */
    if ((k == RECSYS_OVR_BOOST && recsys_ovr_is_filter(f.p[1], f.len[1]))
        || f.n == 4)
    {
        j = f.n == 4 ? 3 : 1;

        if (recsys_attrfilter_syntax(f.p[j], f.len[j]) != RECSYS_OK) {
            return "bad filter (clauses field OP value joined by commas)";
        }

        r->filter = f.p[j];
        r->filter_len = (uint32_t) f.len[j];
    }

    if (r->filter == NULL || k == RECSYS_OVR_PIN) {
        if (!recsys_id_valid(f.p[1], f.len[1])) {
            return "bad id (1 to 256 bytes of UTF-8)";
        }

        r->id = f.p[1];
        r->id_len = (uint32_t) f.len[1];
    }

    if (k == RECSYS_OVR_PIN) {
        if (recsys_ovr_number(f.p[2], f.len[2], 0, 1,
                              RECSYS_OVR_MAX_POSITION, &v)
            != RECSYS_OK)
        {
            return "bad position (an integer from 1 to 10000)";
        }

        r->position = (uint32_t) v;

    } else if (k == RECSYS_OVR_BOOST) {
        if (recsys_ovr_number(f.p[2], f.len[2], 1, 0, RECSYS_OVR_MAX_FACTOR,
                              &v)
            != RECSYS_OK)
        {
            return "bad factor (a decimal from 0 to 1000)";
        }

        r->factor = (float) v;
    }

    return NULL;
}


static void
recsys_ovr_error(char *err, size_t errlen, const char *why)
{
    if (errlen > 0) {
        strncpy(err, why, errlen - 1);
        err[errlen - 1] = '\0';
    }
}


/* Cuts o->text into lines and parses each; RECSYS_OK or RECSYS_EINVAL. */
static int
recsys_ovr_lines(recsys_overrides_t *o, size_t len, uint32_t *line,
    char *err, size_t errlen)
{
    char        *p, *end, *nl;
    size_t       n;
    uint32_t     at;
    const char  *why;

    p = o->text;
    end = p + len;
    at = 0;

    while (p < end) {
        at++;
        nl = memchr(p, '\n', (size_t) (end - p));
        n = (nl != NULL ? nl : end) - p;

        if (n > 0 && p[n - 1] == '\r') {
            n--;
        }

        while (n > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            n--;
        }

        if (n > 0 && *p != '#') {
            why = memchr(p, '\0', n) != NULL
                  ? "NUL byte"
                  : recsys_ovr_line(p, n, &o->rules[o->n_rules]);

            if (why != NULL) {
                *line = at;
                recsys_ovr_error(err, errlen, why);
                return RECSYS_EINVAL;
            }

            o->rules[o->n_rules].line = at;
            o->n[o->rules[o->n_rules].kind]++;
            o->n_rules++;
        }

        if (nl == NULL) {
            break;
        }

        p = nl + 1;
    }

    return RECSYS_OK;
}


int
recsys_overrides_parse(const char *data, size_t len,
    recsys_overrides_t **out, uint32_t *line, char *err, size_t errlen)
{
    int                  rc;
    size_t               i, lines;
    uint64_t             h;
    recsys_overrides_t  *o;

    *out = NULL;
    *line = 0;

    if (len > RECSYS_OVR_MAX_BYTES) {
        recsys_ovr_error(err, errlen, "file larger than 64 MB");
        return RECSYS_ELIMIT;
    }

    lines = 1;
    h = 0xcbf29ce484222325ULL;

    for (i = 0; i < len; i++) {
        lines += data[i] == '\n';
        h = (h ^ (unsigned char) data[i]) * 0x100000001b3ULL;
    }

    o = calloc(1, sizeof(recsys_overrides_t));
    if (o == NULL) {
        return RECSYS_ENOMEM;
    }

    o->version = h;
    o->text = malloc(len ? len : 1);
    o->rules = malloc(lines * sizeof(recsys_ovr_rule_t));

    if (o->text == NULL || o->rules == NULL) {
        recsys_overrides_free(o);
        recsys_ovr_error(err, errlen, "out of memory");
        return RECSYS_ENOMEM;
    }

    if (len > 0) {
        memcpy(o->text, data, len);
    }

    rc = recsys_ovr_lines(o, len, line, err, errlen);
    if (rc != RECSYS_OK) {
        recsys_overrides_free(o);
        return rc;
    }

    *out = o;

    return RECSYS_OK;
}


void
recsys_overrides_free(recsys_overrides_t *o)
{
    if (o == NULL) {
        return;
    }

    free(o->text);
    free(o->rules);
    free(o);
}


static int
recsys_ovr_pin_cmp(const void *a, const void *b)
{
    const recsys_ovr_pin_t  *x = a, *y = b;

    if (x->position != y->position) {
        return x->position < y->position ? -1 : 1;
    }

    return x->line < y->line ? -1 : x->line > y->line;
}


/* Sets a bit; 1 when it was not set before. */
static int
recsys_ovr_bit_set(uint64_t *bits, uint32_t i)
{
    uint64_t  mask;

    mask = (uint64_t) 1 << (i & 63);
    if (bits[i >> 6] & mask) {
        return 0;
    }

    bits[i >> 6] |= mask;

    return 1;
}


/*
 * Two factors multiplied, at most RECSYS_OVR_MAX_PRODUCT: fourteen boosts
 * of 1000 would make an infinite score, and a boost of 0 then NaN.
 */
static float
recsys_ovr_product(float a, float b)
{
    float  p;

    p = a * b;

    return p < RECSYS_OVR_MAX_PRODUCT ? p : RECSYS_OVR_MAX_PRODUCT;
}


float
recsys_ovr_boost(const recsys_ovr_view_t *v, uint32_t item)
{
    float     factor;
    uint32_t  k;

    if (v == NULL) {
        return 1.0f;
    }

    factor = 1.0f;

    if (v->boosts.n > 0) {
        k = recsys_row_find(v->boosts, item);
        if (k < v->boosts.n) {
            factor = recsys_row_score(v->boosts, k);
        }
    }

    for (k = 0; k < v->n_fboosts; k++) {
        if (recsys_attrfilter_pass(v->fboosts[k].filter, item)) {
            factor = recsys_ovr_product(factor, v->fboosts[k].factor);
        }
    }

    return factor;
}


/*
 * The view in one block: the two bitmaps, the erased ids' hashes, the
 * pins' keys by item and the pins, the boosts (entries of recsys_schema.h,
 * so that a row's binary search finds them).
 */
static recsys_ovr_view_t *
recsys_ovr_view_alloc(const recsys_overrides_t *o, uint32_t n_items,
    uint32_t n_users)
{
    size_t              hid, era, ids, pins, boosts, size;
    recsys_ovr_view_t  *v;

    hid = ((size_t) n_items / 64 + 1) * sizeof(uint64_t);
    era = ((size_t) n_users / 64 + 1) * sizeof(uint64_t);
    ids = (size_t) o->n[RECSYS_OVR_ERASE] * sizeof(uint64_t);
    pins = (size_t) o->n[RECSYS_OVR_PIN]
           * (sizeof(recsys_ovr_pin_t) + sizeof(uint64_t));
    boosts = (size_t) o->n[RECSYS_OVR_BOOST] * sizeof(recsys_entry_t);
    size = sizeof(recsys_ovr_view_t) + hid + era + ids + pins + boosts
           + (size_t) o->n[RECSYS_OVR_BOOST] * sizeof(recsys_ovr_fboost_t);

    v = calloc(1, size);
    if (v == NULL) {
        return NULL;
    }

    v->hidden = (uint64_t *) (v + 1);
    v->erased = (uint64_t *) ((char *) v->hidden + hid);
    v->erased_ids = (uint64_t *) ((char *) v->erased + era);
    v->pin_keys = (uint64_t *) ((char *) v->erased_ids + ids);
    v->pins = (recsys_ovr_pin_t *) (v->pin_keys + o->n[RECSYS_OVR_PIN]);
    v->boost_entries = (recsys_entry_t *) ((char *) v->pin_keys + pins);
    v->fboosts = (recsys_ovr_fboost_t *) ((char *) v->boost_entries
                                          + boosts);
    v->n_items = n_items;
    v->n_users = n_users;
    v->version = o->version;

    return v;
}


/* Sorts the boosts by item; the factors of one item multiply. */
static void
recsys_ovr_boosts_merge(recsys_ovr_view_t *v, uint32_t n)
{
    uint32_t         k, j;
    recsys_entry_t  *e;

    e = v->boost_entries;
    qsort(e, n, sizeof(recsys_entry_t), recsys_row_cmp_item);

    for (k = 0, j = 0; k < n; k++) {
        if (j > 0 && e[j - 1].item == e[k].item) {
            e[j - 1].score = recsys_ovr_product(e[j - 1].score, e[k].score);

        } else {
            e[j++] = e[k];
        }
    }

    v->boosts.p = (const unsigned char *) e;
    v->boosts.n = j;
}


/*
 * The filter of rule r compiled over m's attributes into *f: RECSYS_OK,
 * RECSYS_EINVAL when m lacks what it names (counted in the view), or
 * RECSYS_ENOMEM.
 */
static int
recsys_ovr_compile(recsys_ovr_view_t *v, const recsys_ovr_rule_t *r,
    const recsys_model_t *m, const recsys_attrfilter_t **f)
{
    int                   rc;
    recsys_alloc_t        a;
    recsys_attrfilter_t  *c;

    recsys_blocks_alloc(&v->blocks, &a);

    rc = recsys_attrfilter_create_rule(recsys_model_attrs(m), &a, &c);
    if (rc == RECSYS_OK) {
        rc = recsys_attrfilter_add(c, r->filter, r->filter_len);
    }

    if (rc == RECSYS_EINVAL) {
        if (v->n_unresolved_filters++ == 0) {
            v->unresolved_line = r->line;
        }
    }

    *f = c;

    return rc;
}


/*
 * One rule of o into v, when the model knows its id and what its filter
 * names: RECSYS_OK (added or left out) or RECSYS_ENOMEM.
 */
static int
recsys_ovr_view_add(recsys_ovr_view_t *v, const recsys_ovr_rule_t *r,
    const recsys_model_t *m, uint32_t *n_boosts)
{
    int                         rc;
    uint32_t                    index;
    const recsys_attrfilter_t  *f;

    if (r->kind == RECSYS_OVR_ERASE) {
        v->erased_ids[v->n_erased_ids++] = recsys_live_hash64(r->id,
                                                              r->id_len);

        if (recsys_model_user(m, r->id, r->id_len, &index) == RECSYS_OK) {
            v->n_erased += recsys_ovr_bit_set(v->erased, index);
        }

        return RECSYS_OK;
    }

    index = 0;

    if (r->id != NULL
        && recsys_model_item(m, r->id, r->id_len, &index) != RECSYS_OK)
    {
        return RECSYS_OK;
    }

    f = NULL;

    if (r->filter != NULL) {
        rc = recsys_ovr_compile(v, r, m, &f);
        if (rc != RECSYS_OK) {
            return rc == RECSYS_ENOMEM ? rc : RECSYS_OK;
        }
    }

    if (r->kind == RECSYS_OVR_HIDE) {
        v->n_hidden += recsys_ovr_bit_set(v->hidden, index);

    } else if (r->kind == RECSYS_OVR_PIN) {
        v->pins[v->n_pins].item = index;
        v->pins[v->n_pins].position = r->position;
        v->pins[v->n_pins].line = r->line;
        v->pins[v->n_pins].filter = f;
        v->n_pins++;

    } else if (f != NULL) {
        v->fboosts[v->n_fboosts].filter = f;
        v->fboosts[v->n_fboosts].factor = r->factor;
        v->n_fboosts++;

    } else {
        v->boost_entries[*n_boosts].item = index;
        v->boost_entries[*n_boosts].score = r->factor;
        (*n_boosts)++;
    }

    return RECSYS_OK;
}


int
recsys_ovr_erased_id(const recsys_ovr_view_t *v, uint64_t hash)
{
    return v != NULL
           && recsys_sorted_has_u64(v->erased_ids, v->n_erased_ids, hash);
}


int
recsys_ovr_view_make(const recsys_overrides_t *o, const recsys_model_t *m,
    recsys_ovr_view_t **out)
{
    uint32_t            k, n_boosts;
    recsys_ovr_view_t  *v;

    *out = NULL;

    v = recsys_ovr_view_alloc(o, recsys_model_header(m)->n_items,
                              recsys_model_header(m)->n_users);
    if (v == NULL) {
        return RECSYS_ENOMEM;
    }

    n_boosts = 0;

    for (k = 0; k < o->n_rules; k++) {
        if (recsys_ovr_view_add(v, &o->rules[k], m, &n_boosts) != RECSYS_OK)
        {
            recsys_ovr_view_free(v);
            return RECSYS_ENOMEM;
        }
    }

    qsort(v->pins, v->n_pins, sizeof(recsys_ovr_pin_t), recsys_ovr_pin_cmp);

    for (k = 0; k < v->n_pins; k++) {
        v->pin_keys[k] = (uint64_t) v->pins[k].item << 32 | k;
    }

    qsort(v->pin_keys, v->n_pins, sizeof(uint64_t), recsys_sorted_cmp_u64);
    qsort(v->erased_ids, v->n_erased_ids, sizeof(uint64_t),
          recsys_sorted_cmp_u64);
    recsys_ovr_boosts_merge(v, n_boosts);

    *out = v;

    return RECSYS_OK;
}


uint32_t
recsys_ovr_item_pins(const recsys_ovr_view_t *v, uint32_t item,
    uint32_t *first)
{
    size_t  end;

    /* the keys of item are those from item << 32 up to (item + 1) << 32 */
    *first = (uint32_t) recsys_sorted_lower_u64(v->pin_keys, v->n_pins,
                                                (uint64_t) item << 32);
    end = recsys_sorted_lower_u64(v->pin_keys, v->n_pins,
                                  ((uint64_t) item + 1) << 32);

    return (uint32_t) end - *first;
}


void
recsys_ovr_view_free(recsys_ovr_view_t *v)
{
    if (v != NULL) {
        recsys_blocks_free(&v->blocks);
        free(v);
    }
}
