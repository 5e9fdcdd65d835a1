/*
 * recsys_attrfilter.c: compiling and testing attribute filters
 * (recsys_attrfilter.h).  A compiled clause holds the attribute it reads,
 * its operator and either a number or the sorted dictionary indexes of its
 * values, so that testing an item is a read of a double or a merge of two
 * short sorted arrays, with no string compared per item.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_attrfilter.h"
#include "recsys_schema.h"
#include "recsys_sorted.h"
#include "recsys_status.h"


typedef enum {
    RECSYS_AF_EQ = 0,
    RECSYS_AF_NE,
    RECSYS_AF_LT,
    RECSYS_AF_LE,
    RECSYS_AF_GT,
    RECSYS_AF_GE,
    RECSYS_AF_ANY
} recsys_af_op_t;

typedef struct {
    const recsys_attr_t  *at;
    recsys_af_op_t        op;
    double                num;
    uint32_t             *vals;     /* sorted dictionary indexes */
    uint32_t              n_vals;
    unsigned char        *bits;     /* the same as a bitmap over the
                                       dictionary, when it is small */
} recsys_af_clause_t;

#define RECSYS_AF_BITMAP_MAX  4096  /* dictionary sizes with a bitmap */

struct recsys_attrfilter_s {
    const recsys_attrs_t  *attrs;       /* NULL: the model has none */
    recsys_alloc_t        *a;
    double                 now;
    int                    syntax;      /* the syntax alone is checked */
    unsigned char         *memo;        /* 2 bits an item: 0 not known,
                                           1 fails, 2 passes the clauses */
    const recsys_attr_t   *from;        /* availability bounds, or NULL */
    const recsys_attr_t   *until;
    uint32_t               n;
    recsys_af_clause_t     clause[RECSYS_ATTRFILTER_CLAUSES];
};


int
recsys_attrfilter_create(const recsys_attrs_t *attrs, double now,
    recsys_alloc_t *a, recsys_attrfilter_t **out)
{
    recsys_attrfilter_t  *f;

    f = a->alloc(a->ctx, sizeof(recsys_attrfilter_t));
    if (f == NULL) {
        return RECSYS_ENOMEM;
    }

    memset(f, 0, sizeof(recsys_attrfilter_t));
    f->attrs = attrs;
    f->a = a;
    f->now = now;

    if (f->attrs != NULL) {
        f->from = f->attrs->from >= 0 ? &f->attrs->attr[f->attrs->from]
                                      : NULL;
        f->until = f->attrs->until >= 0 ? &f->attrs->attr[f->attrs->until]
                                        : NULL;
    }

    *out = f;

    return RECSYS_OK;
}


/* The operator at p (its length in *len), or -1. */
static int
recsys_af_op(const char *p, const char *end, size_t *len)
{
    char  next;

    next = p + 1 < end ? p[1] : '\0';
    *len = next == '=' ? 2 : 1;

    switch (p[0]) {
    case '=':
        *len = 1;
        return RECSYS_AF_EQ;
    case '!':
        return next == '=' ? RECSYS_AF_NE : -1;
    case '<':
        return next == '=' ? RECSYS_AF_LE : RECSYS_AF_LT;
    case '>':
        return next == '=' ? RECSYS_AF_GE : RECSYS_AF_GT;
    case '~':
        *len = 1;
        return RECSYS_AF_ANY;
    default:
        return -1;
    }
}


/* How many '|'-separated alternatives v .. end has; 0 when one is empty. */
static uint32_t
recsys_af_alternatives(const char *v, const char *end)
{
    uint32_t     n;
    const char  *p;

    n = 1;

    for (p = v; p < end; p++) {
        if (*p == '|') {
            if (p == v || p + 1 == end || p[-1] == '|') {
                return 0;
            }

            n++;
        }
    }

    return n;
}


/* The values of a string clause: the dictionary indexes of v's parts. */
static int
recsys_af_values(recsys_attrfilter_t *f, recsys_af_clause_t *c,
    const char *v, const char *end)
{
    uint32_t     n, k, j, x, index;
    const char  *bar;

    n = c->op == RECSYS_AF_ANY ? recsys_af_alternatives(v, end) : 1;

    if (n == 0 || n > RECSYS_ATTRFILTER_ANY) {
        return RECSYS_EINVAL;
    }

    c->vals = f->a->alloc(f->a->ctx, n * sizeof(uint32_t));
    if (c->vals == NULL) {
        return RECSYS_ENOMEM;
    }

    c->n_vals = 0;

    while (v <= end) {
        bar = c->op == RECSYS_AF_ANY ? memchr(v, '|', end - v) : NULL;
        if (bar == NULL) {
            bar = end;
        }

        if (bar == v) {
            return RECSYS_EINVAL;
        }

        /* a value no item has matches nothing: not an error */
        if (recsys_attrs_dict_find(c->at, v, bar - v, &index) == RECSYS_OK) {
            c->vals[c->n_vals++] = index;
        }

        v = bar + 1;
    }

    qsort(c->vals, c->n_vals, sizeof(uint32_t), recsys_sorted_cmp_u32);

    for (k = 0, j = 0; k < c->n_vals; k++) {
        if (j == 0 || c->vals[k] != c->vals[j - 1]) {
            c->vals[j++] = c->vals[k];
        }
    }

    c->n_vals = j;
    c->bits = NULL;

    if (c->at->n_dict <= RECSYS_AF_BITMAP_MAX) {
        c->bits = f->a->alloc(f->a->ctx, c->at->n_dict / 8 + 1);
        if (c->bits == NULL) {
            return RECSYS_ENOMEM;
        }

        memset(c->bits, 0, c->at->n_dict / 8 + 1);

        for (k = 0; k < c->n_vals; k++) {
            x = c->vals[k];
            c->bits[x >> 3] |= (unsigned char) (1u << (x & 7));
        }
    }

    return RECSYS_OK;
}


/*
 * The parts of one clause, p .. end: the field ends at *o, the value
 * starts at *v; the operator, or -1 when the clause is not `field OP
 * value` with a field and a value.
 */
static int
recsys_af_split(const char *p, const char *end, const char **o,
    const char **v)
{
    int     op;
    size_t  oplen;

    for (*o = p; *o < end && strchr("=!<>~", **o) == NULL; (*o)++) {
        /* the field runs to the operator */
    }

    if (*o == p || *o == end) {
        return -1;
    }

    op = recsys_af_op(*o, end, &oplen);
    *v = *o + oplen;

    return *v < end ? op : -1;
}


/* One clause, p .. end, into f->clause[f->n]. */
static int
recsys_af_clause(recsys_attrfilter_t *f, const char *p, const char *end)
{
    int                  k, op;
    const char          *o, *v;
    recsys_af_clause_t  *c;

    op = recsys_af_split(p, end, &o, &v);
    if (op < 0 || f->n == RECSYS_ATTRFILTER_CLAUSES) {
        return RECSYS_EINVAL;
    }

    if (f->syntax) {
        k = op == RECSYS_AF_ANY ? recsys_af_alternatives(v, end) : 1;
        if (k == 0 || k > RECSYS_ATTRFILTER_ANY) {
            return RECSYS_EINVAL;
        }

        f->n++;
        return RECSYS_OK;
    }

    k = f->attrs != NULL ? recsys_attrs_find(f->attrs, p, o - p) : -1;
    if (k < 0) {
        return RECSYS_EINVAL;
    }

    c = &f->clause[f->n];
    c->at = &f->attrs->attr[k];
    c->op = op;

    switch (c->at->type) {
    case RECSYS_ATTR_NUMBER:
    case RECSYS_ATTR_DATE:
        if (op == RECSYS_AF_ANY
            || (c->at->type == RECSYS_ATTR_NUMBER
                ? recsys_attrs_parse_number(v, end - v, &c->num)
                : recsys_attrs_parse_date(v, end - v, &c->num))
               != RECSYS_OK)
        {
            return RECSYS_EINVAL;
        }

        break;

    default:
        if (op != RECSYS_AF_ANY
            && (c->at->type == RECSYS_ATTR_LIST
                || (op != RECSYS_AF_EQ && op != RECSYS_AF_NE)))
        {
            return RECSYS_EINVAL;
        }

        k = recsys_af_values(f, c, v, end);
        if (k != RECSYS_OK) {
            return k;
        }
    }

    f->n++;

    return RECSYS_OK;
}


int
recsys_attrfilter_add(recsys_attrfilter_t *f, const char *text, size_t len)
{
    int          rc;
    const char  *p, *end, *comma;

    p = text;
    end = text + len;
    f->memo = NULL;                     /* what it knew no longer holds */

    while (len > 0 && p <= end) {
        comma = memchr(p, ',', end - p);
        if (comma == NULL) {
            comma = end;
        }

        rc = recsys_af_clause(f, p, comma);
        if (rc != RECSYS_OK) {
            return rc;
        }

        p = comma + 1;
    }

    return RECSYS_OK;
}


int
recsys_attrfilter_active(const recsys_attrfilter_t *f)
{
    return f != NULL && (f->n > 0 || f->from != NULL || f->until != NULL);
}


/* Whether the sorted item values and the clause's share one. */
static int
recsys_af_any(const recsys_af_clause_t *c, const unsigned char *vals,
    uint32_t n)
{
    uint32_t  k, v;

    for (k = 0; k < n; k++) {
        v = recsys_get_u32(vals + (size_t) k * 4);

        if (c->bits != NULL ? (c->bits[v >> 3] >> (v & 7)) & 1
                            : recsys_sorted_has(c->vals, c->n_vals, v))
        {
            return 1;
        }
    }

    return 0;
}


static int
recsys_af_test(const recsys_af_clause_t *c, uint32_t item)
{
    double                v;
    uint32_t              n;
    const unsigned char  *vals;

    if (c->at->nums != NULL) {
        v = recsys_attrs_number(c->at, item);

        if (isnan(v)) {
            return 0;
        }

        switch (c->op) {
        case RECSYS_AF_EQ:
            return v == c->num;
        case RECSYS_AF_NE:
            return v != c->num;
        case RECSYS_AF_LT:
            return v < c->num;
        case RECSYS_AF_LE:
            return v <= c->num;
        case RECSYS_AF_GT:
            return v > c->num;
        default:
            return v >= c->num;
        }
    }

    recsys_attrs_values(c->at, item, &vals, &n);

    if (n == 0) {
        return 0;
    }

    if (c->op == RECSYS_AF_NE) {
        return !recsys_af_any(c, vals, n);
    }

    return recsys_af_any(c, vals, n);
}


int
recsys_attrfilter_pass(const recsys_attrfilter_t *f, uint32_t item)
{
    double    v;
    uint32_t  k, shift, known;

    if (f == NULL || f->attrs == NULL || item >= f->attrs->n_items) {
        return 1;
    }

    if (f->from != NULL) {
        v = recsys_attrs_number(f->from, item);
        if (!isnan(v) && v > f->now) {
            return 0;
        }
    }

    if (f->until != NULL) {
        v = recsys_attrs_number(f->until, item);
        if (!isnan(v) && v <= f->now) {
            return 0;
        }
    }

    shift = (item & 3) * 2;

    if (f->memo != NULL) {
        known = (f->memo[item >> 2] >> shift) & 3;

        if (known != 0) {
            return known == 2;
        }
    }

    for (k = 0; k < f->n; k++) {
        if (!recsys_af_test(&f->clause[k], item)) {
            break;
        }
    }

    if (f->memo != NULL) {
        f->memo[item >> 2] |= (unsigned char) ((k == f->n ? 2 : 1) << shift);
    }

    return k == f->n;
}


uint32_t
recsys_attrfilter_epoch(const recsys_attrfilter_t *f)
{
    if (f == NULL || f->attrs == NULL || f->attrs->n_times == 0) {
        return 0;
    }

    return recsys_attrs_epoch(f->attrs, f->now) + 1;
}


int
recsys_attrfilter_syntax(const char *text, size_t len)
{
    recsys_attrfilter_t  f;

    memset(&f, 0, sizeof(recsys_attrfilter_t));
    f.syntax = 1;

    return len > 0 ? recsys_attrfilter_add(&f, text, len) : RECSYS_EINVAL;
}


int
recsys_attrfilter_create_rule(const recsys_attrs_t *attrs,
    recsys_alloc_t *a, recsys_attrfilter_t **f)
{
    int  rc;

    rc = recsys_attrfilter_create(attrs, 0.0, a, f);
    if (rc == RECSYS_OK) {
        (*f)->from = NULL;
        (*f)->until = NULL;
    }

    return rc;
}


/* Whether two compiled clauses over one model say the same. */
static int
recsys_af_same(const recsys_af_clause_t *x, const recsys_af_clause_t *y)
{
    if (x->at != y->at || x->op != y->op) {
        return 0;
    }

    if (x->at->nums != NULL) {
        return x->num == y->num;
    }

    return x->n_vals == y->n_vals
           && (x->n_vals == 0
               || memcmp(x->vals, y->vals, x->n_vals * sizeof(uint32_t))
                  == 0);
}


int
recsys_attrfilter_within(const recsys_attrfilter_t *rule,
    const recsys_attrfilter_t *f)
{
    uint32_t  k, j;

    if (f == NULL) {
        return rule->n == 0;
    }

    for (k = 0; k < rule->n; k++) {
        for (j = 0; j < f->n; j++) {
            if (recsys_af_same(&rule->clause[k], &f->clause[j])) {
                break;
            }
        }

        if (j == f->n) {
            return 0;
        }
    }

    return 1;
}


int
recsys_attrfilter_windows(const recsys_attrs_t *attrs)
{
    return attrs != NULL
           && (attrs->from >= 0 || attrs->until >= 0 || attrs->n_times > 0);
}


int
recsys_attrfilter_memo(recsys_attrfilter_t *f)
{
    size_t  size;

    if (f->attrs == NULL || f->n == 0) {
        return RECSYS_OK;               /* no clause to remember */
    }

    size = (size_t) f->attrs->n_items / 4 + 1;

    f->memo = f->a->alloc(f->a->ctx, size);
    if (f->memo == NULL) {
        return RECSYS_ENOMEM;
    }

    memset(f->memo, 0, size);

    return RECSYS_OK;
}


void
recsys_attrfilter_set_time(recsys_attrfilter_t *f, double now)
{
    f->now = now;
}
