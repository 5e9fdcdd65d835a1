/*
 * ngx_http_recsys_args.c: the query string, decoded once and checked.
 *
 * Input policy (README, "HTTP API"): each known argument at most once; ids
 * are percent-decoded exactly once ('+' is a space) and must then be 1 to
 * 256 bytes of valid UTF-8 without NUL; n and offset are plain decimal
 * integers in range; lists are comma-separated, exclude capped by
 * recsys_max_list and genre by NGX_HTTP_RECSYS_GENRES_MAX names, while a
 * history longer than recsys_max_list keeps its newest (last) ids and
 * drops the older ones; weights w_<source> are decimals from 0 to 10 and
 * diversity one from 0 to 1; filter is at most 4096 bytes of UTF-8 (its
 * syntax is the engine's to check); strict is 0 or 1.  A violation names
 * the argument in args->bad and never echoes the input.
 * Unknown arguments are ignored; for /items, every one but n, offset and
 * genre (its own q, id and meta are ngx_http_recsys_items_args.c's).
 */

#include "ngx_http_recsys_module.h"

#include "recsys_text.h"


#define NGX_HTTP_RECSYS_GENRES_MAX  16


typedef enum {
    NGX_HTTP_RECSYS_ARG_USER = 0,
    NGX_HTTP_RECSYS_ARG_ITEM,
    NGX_HTTP_RECSYS_ARG_N,
    NGX_HTTP_RECSYS_ARG_OFFSET,
    NGX_HTTP_RECSYS_ARG_ALGO,
    NGX_HTTP_RECSYS_ARG_EXCLUDE,
    NGX_HTTP_RECSYS_ARG_HISTORY,
    NGX_HTTP_RECSYS_ARG_GENRE,
    NGX_HTTP_RECSYS_ARG_EXPLAIN,
    NGX_HTTP_RECSYS_ARG_PREDICT,
    NGX_HTTP_RECSYS_ARG_FILTER,
    NGX_HTTP_RECSYS_ARG_STRICT,
    NGX_HTTP_RECSYS_ARG_DIVERSITY,
    NGX_HTTP_RECSYS_ARG_WEIGHT,         /* w_<source>, one bit per source */
    NGX_HTTP_RECSYS_ARG_UNKNOWN = NGX_HTTP_RECSYS_ARG_WEIGHT + RECSYS_NSRC
} ngx_http_recsys_arg_e;


static ngx_str_t  ngx_http_recsys_arg_names[] = {
    ngx_string("user"),
    ngx_string("item"),
    ngx_string("n"),
    ngx_string("offset"),
    ngx_string("algo"),
    ngx_string("exclude"),
    ngx_string("history"),
    ngx_string("genre"),
    ngx_string("explain"),
    ngx_string("predict"),
    ngx_string("filter"),
    ngx_string("strict"),
    ngx_string("diversity")
};


static ngx_http_recsys_arg_e
ngx_http_recsys_arg_lookup(u_char *name, size_t len)
{
    int         s;
    ngx_uint_t  k;

    if (len > 2 && name[0] == 'w' && name[1] == '_') {
        s = recsys_source_parse((const char *) name + 2, len - 2);
        return s < 0 ? NGX_HTTP_RECSYS_ARG_UNKNOWN
                     : (ngx_http_recsys_arg_e) (NGX_HTTP_RECSYS_ARG_WEIGHT + s);
    }

    for (k = 0; k < NGX_HTTP_RECSYS_ARG_WEIGHT; k++) {
        if (ngx_http_recsys_arg_names[k].len == len
            && ngx_strncmp(ngx_http_recsys_arg_names[k].data, name, len) == 0)
        {
            return (ngx_http_recsys_arg_e) k;
        }
    }

    return NGX_HTTP_RECSYS_ARG_UNKNOWN;
}


/*
 * The argument's name for a 400 message: a weight is named as the request
 * typed it (w_lstm stays w_lstm), a copy in the pool; NULL when out of
 * memory.  A known weight's name is at most "w_" and a source name long.
 */
static const char *
ngx_http_recsys_arg_name(ngx_http_request_t *r, ngx_http_recsys_arg_e k,
    u_char *name, size_t len)
{
    u_char  *p;

    if (k < NGX_HTTP_RECSYS_ARG_WEIGHT) {
        return (const char *) ngx_http_recsys_arg_names[k].data;
    }

    p = ngx_pnalloc(r->pool, len + 1);
    if (p == NULL) {
        return NULL;
    }

    *ngx_cpymem(p, name, len) = '\0';

    return (const char *) p;
}


static ngx_int_t
ngx_http_recsys_hex(u_char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


/*
 * Percent-decodes src into pool memory.  NGX_DECLINED for a malformed
 * escape, NGX_ERROR when out of memory.
 */
ngx_int_t
ngx_http_recsys_unescape(ngx_pool_t *pool, ngx_str_t *src, ngx_str_t *dst)
{
    u_char     *p, *last, *d;
    ngx_int_t   hi, lo;

    if (ngx_strlchr(src->data, src->data + src->len, '%') == NULL
        && ngx_strlchr(src->data, src->data + src->len, '+') == NULL)
    {
        *dst = *src;
        return NGX_OK;
    }

    d = ngx_pnalloc(pool, src->len ? src->len : 1);
    if (d == NULL) {
        return NGX_ERROR;
    }

    dst->data = d;
    p = src->data;
    last = p + src->len;

    while (p < last) {
        if (*p == '+') {
            *d++ = ' ';
            p++;
            continue;
        }

        if (*p != '%') {
            *d++ = *p++;
            continue;
        }

        if (last - p < 3) {
            return NGX_DECLINED;
        }

        hi = ngx_http_recsys_hex(p[1]);
        lo = ngx_http_recsys_hex(p[2]);

        if (hi < 0 || lo < 0) {
            return NGX_DECLINED;
        }

        *d++ = (u_char) (hi * 16 + lo);
        p += 3;
    }

    dst->len = d - dst->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_recsys_decode_id(ngx_http_request_t *r, ngx_str_t *src,
    ngx_str_t *dst)
{
    ngx_int_t  rc;

    rc = ngx_http_recsys_unescape(r->pool, src, dst);
    if (rc != NGX_OK) {
        return rc;
    }

    if (!recsys_id_valid((const char *) dst->data, dst->len)) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_recsys_parse_uint(ngx_str_t *s, ngx_uint_t min, ngx_uint_t max,
    ngx_uint_t *out)
{
    size_t      i;
    ngx_uint_t  v;

    if (s->len == 0 || s->len > 6) {
        return NGX_DECLINED;
    }

    v = 0;

    for (i = 0; i < s->len; i++) {
        if (s->data[i] < '0' || s->data[i] > '9') {
            return NGX_DECLINED;
        }

        v = v * 10 + (s->data[i] - '0');
    }

    if (v < min || v > max) {
        return NGX_DECLINED;
    }

    *out = v;

    return NGX_OK;
}


/*
 * A blend weight: a plain decimal from 0 to NGX_HTTP_RECSYS_WEIGHT_MAX
 * with at most 4 decimals.
 */
ngx_int_t
ngx_http_recsys_parse_weight(u_char *p, size_t len, float *w)
{
    size_t      i, frac;
    ngx_uint_t  v, scale;
    ngx_int_t   dot;

    if (len == 0 || len > 8) {
        return NGX_DECLINED;
    }

    v = 0;
    scale = 1;
    frac = 0;
    dot = 0;

    for (i = 0; i < len; i++) {
        if (p[i] == '.' && !dot && i > 0) {
            dot = 1;
            continue;
        }

        if (p[i] < '0' || p[i] > '9' || (dot && ++frac > 4)) {
            return NGX_DECLINED;
        }

        v = v * 10 + (p[i] - '0');

        if (dot) {
            scale *= 10;
        }
    }

    if (v > NGX_HTTP_RECSYS_WEIGHT_MAX * scale) {
        return NGX_DECLINED;
    }

    *w = (float) v / (float) scale;

    return NGX_OK;
}


/* diversity: a decimal from 0 to 1 with at most 4 decimals. */
ngx_int_t
ngx_http_recsys_parse_diversity(u_char *p, size_t len, float *out)
{
    float  v;

    if (ngx_http_recsys_parse_weight(p, len, &v) != NGX_OK || v > 1.0f) {
        return NGX_DECLINED;
    }

    *out = v;

    return NGX_OK;
}


/* Every element of a comma-separated list must be a valid id. */
ngx_int_t
ngx_http_recsys_check_list(ngx_str_t *list, ngx_uint_t max)
{
    u_char      *p, *last, *comma;
    ngx_uint_t   count;

    p = list->data;
    last = p + list->len;
    count = 0;

    for ( ;; ) {
        comma = ngx_strlchr(p, last, ',');
        if (comma == NULL) {
            comma = last;
        }

        if (!recsys_id_valid((const char *) p, comma - p) || ++count > max) {
            return NGX_DECLINED;
        }

        if (comma == last) {
            return NGX_OK;
        }

        p = comma + 1;
    }
}


/*
 * history=, oldest first: every id must be valid (NGX_DECLINED); of more
 * than max ids, the newest max are kept in *list, the older ones dropped.
 */
static ngx_int_t
ngx_http_recsys_newest_list(ngx_str_t *list, ngx_uint_t max)
{
    u_char      *p;
    ngx_uint_t   commas;

    if (ngx_http_recsys_check_list(list, (ngx_uint_t) -1) != NGX_OK) {
        return NGX_DECLINED;
    }

    commas = 0;

    for (p = list->data + list->len; p > list->data; p--) {
        if (p[-1] == ',' && ++commas == max) {
            /* max ids after this comma */
            list->len -= p - list->data;
            list->data = p;
            break;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_recsys_set_arg(ngx_http_request_t *r,
    ngx_http_recsys_loc_conf_t *rlcf, ngx_http_recsys_args_t *args,
    ngx_http_recsys_arg_e k, ngx_str_t *raw)
{
    ngx_int_t  rc;
    ngx_str_t  value;

    rc = ngx_http_recsys_unescape(r->pool, raw, &value);
    if (rc != NGX_OK) {
        return rc;
    }

    switch (k) {

    case NGX_HTTP_RECSYS_ARG_USER:
        args->user = value;
        return recsys_id_valid((const char *) value.data, value.len)
               ? NGX_OK : NGX_DECLINED;

    case NGX_HTTP_RECSYS_ARG_ITEM:
        args->item = value;
        return recsys_id_valid((const char *) value.data, value.len)
               ? NGX_OK : NGX_DECLINED;

    case NGX_HTTP_RECSYS_ARG_N:
        return ngx_http_recsys_parse_uint(&value, 1, rlcf->max_n, &args->n);

    case NGX_HTTP_RECSYS_ARG_OFFSET:
        return ngx_http_recsys_parse_uint(&value, 0,
                                          NGX_HTTP_RECSYS_OFFSET_MAX,
                                          &args->offset);

    case NGX_HTTP_RECSYS_ARG_ALGO:
        args->algo = value;
        return value.len > 0 ? NGX_OK : NGX_DECLINED;

    case NGX_HTTP_RECSYS_ARG_EXCLUDE:
        args->exclude = value;
        return ngx_http_recsys_check_list(&value, rlcf->max_list);

    case NGX_HTTP_RECSYS_ARG_HISTORY:
        rc = ngx_http_recsys_newest_list(&value, rlcf->max_list);
        args->history = value;
        return rc;

    case NGX_HTTP_RECSYS_ARG_GENRE:
        args->genre = value;
        return ngx_http_recsys_check_list(&value,
                                          NGX_HTTP_RECSYS_GENRES_MAX);

    case NGX_HTTP_RECSYS_ARG_FILTER:
        args->filter = value;
        return value.len <= NGX_HTTP_RECSYS_FILTER_MAX
               && recsys_utf8_valid((const char *) value.data, value.len)
               ? NGX_OK : NGX_DECLINED;

    case NGX_HTTP_RECSYS_ARG_STRICT:
        args->strict = value.len == 1 && value.data[0] == '1';
        return value.len == 1 && (value.data[0] == '0' || value.data[0] == '1')
               ? NGX_OK : NGX_DECLINED;

    case NGX_HTTP_RECSYS_ARG_EXPLAIN:
    case NGX_HTTP_RECSYS_ARG_PREDICT:
        if (value.len == 1 && (value.data[0] == '0' || value.data[0] == '1'))
        {
            if (k == NGX_HTTP_RECSYS_ARG_EXPLAIN) {
                args->explain = value.data[0] == '1';

            } else {
                args->predict = value.data[0] == '1';
            }

            return NGX_OK;
        }

        return NGX_DECLINED;

    case NGX_HTTP_RECSYS_ARG_DIVERSITY:
        return ngx_http_recsys_parse_diversity(value.data, value.len,
                                               &args->diversity);

    default:
        if (k >= NGX_HTTP_RECSYS_ARG_WEIGHT
            && k < NGX_HTTP_RECSYS_ARG_UNKNOWN)
        {
            args->has_weights = 1;
            return ngx_http_recsys_parse_weight(value.data, value.len,
                       &args->weight[k - NGX_HTTP_RECSYS_ARG_WEIGHT]);
        }

        return NGX_OK;
    }
}


/*
 * Keeps w_<name>=value whose name is no registry source's but may be an
 * imported source's, for ngx_http_recsys_named_weights() to resolve with
 * the model: every one, so that names the model does not have (unknown
 * arguments, ignored) never crowd out one it has.  1 kept, 0 not such an
 * argument, NGX_ERROR out of memory.
 */
static ngx_int_t
ngx_http_recsys_keep_named(ngx_http_request_t *r,
    ngx_http_recsys_args_t *args, u_char *p, u_char *eq, u_char *amp)
{
    u_char      *q;
    ngx_str_t   *kept;
    ngx_uint_t   n;

    if (eq == NULL || eq - p < 3 || p[0] != 'w' || p[1] != '_'
        || !recsys_source_import_name_ok((const char *) p + 2, eq - p - 2))
    {
        return 0;
    }

    if (args->named == NULL) {
        /* room for every argument of the query: one '&' more than them */
        for (n = 1, q = r->args.data; q < r->args.data + r->args.len; q++) {
            n += *q == '&';
        }

        args->named = ngx_pnalloc(r->pool, n * 2 * sizeof(ngx_str_t));
        if (args->named == NULL) {
            return NGX_ERROR;
        }
    }

    kept = args->named + 2 * args->n_named++;
    kept[0].data = p;
    kept[0].len = eq - p;
    kept[1].data = eq + 1;
    kept[1].len = amp - eq - 1;

    return 1;
}


/*
 * The kept w_<name>= of imported sources this model has: a weight each,
 * or NGX_DECLINED with args->bad for a bad or repeated one (a source given
 * by its name and as w_importN is repeated too); the others are unknown
 * arguments, ignored.
 */
ngx_int_t
ngx_http_recsys_named_weights(ngx_http_request_t *r, recsys_model_t *model,
    ngx_http_recsys_args_t *args)
{
    int          s;
    ngx_int_t    rc;
    ngx_str_t   *kept, value;
    ngx_uint_t   i;

    for (i = 0; i < args->n_named; i++) {
        kept = args->named + 2 * i;
        s = recsys_model_source_parse(model, (const char *) kept[0].data + 2,
                                      kept[0].len - 2);
        if (s < RECSYS_SRC_IMPORT) {
            continue;
        }

        rc = ngx_http_recsys_unescape(r->pool, &kept[1], &value);
        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc != NGX_OK
            || args->weight[s] >= 0.0f
            || ngx_http_recsys_parse_weight(value.data, value.len,
                                            &args->weight[s])
               != NGX_OK)
        {
            args->bad = ngx_http_recsys_arg_name(r,
                            NGX_HTTP_RECSYS_ARG_WEIGHT + s, kept[0].data,
                            kept[0].len);
            return args->bad != NULL ? NGX_DECLINED : NGX_ERROR;
        }

        args->has_weights = 1;
    }

    return NGX_OK;
}


/* The arguments of /items among /recommend's: n, offset and genre. */
static ngx_uint_t
ngx_http_recsys_items_arg_known(ngx_http_recsys_arg_e k)
{
    return k == NGX_HTTP_RECSYS_ARG_N || k == NGX_HTTP_RECSYS_ARG_OFFSET
           || k == NGX_HTTP_RECSYS_ARG_GENRE;
}


ngx_int_t
ngx_http_recsys_parse_args(ngx_http_request_t *r,
    ngx_http_recsys_loc_conf_t *rlcf, ngx_uint_t items,
    ngx_http_recsys_args_t *args)
{
    u_char                 *p, *last, *amp, *eq;
    int                     s;
    ngx_int_t               rc;
    ngx_str_t               raw;
    uint64_t                seen;
    ngx_http_recsys_arg_e   k;

    ngx_memzero(args, sizeof(ngx_http_recsys_args_t));
    args->n = rlcf->default_n;
    args->diversity = -1.0f;

    for (s = 0; s < RECSYS_NSRC; s++) {
        args->weight[s] = -1.0f;
    }

    seen = 0;
    p = r->args.data;
    last = p + r->args.len;

    while (p < last) {
        amp = ngx_strlchr(p, last, '&');
        if (amp == NULL) {
            amp = last;
        }

        eq = ngx_strlchr(p, amp, '=');

        k = ngx_http_recsys_arg_lookup(p, (eq ? eq : amp) - p);

        /* with recsys_user the user is nginx's to say, not the client's:
         * user= is not an argument at all, however often it comes */
        if (k == NGX_HTTP_RECSYS_ARG_USER && rlcf->user != NULL) {
            k = NGX_HTTP_RECSYS_ARG_UNKNOWN;
        }

        /* /items: the arguments of /recommend it does not read are
         * unknown there, so ignored */
        if (items && !ngx_http_recsys_items_arg_known(k)) {
            p = amp + 1;
            continue;
        }

        if (k == NGX_HTTP_RECSYS_ARG_UNKNOWN) {
            rc = ngx_http_recsys_keep_named(r, args, p, eq, amp);

            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            if (rc == 1) {
                p = amp + 1;
                continue;
            }
        }

        if (k != NGX_HTTP_RECSYS_ARG_UNKNOWN) {
            if (seen & ((uint64_t) 1 << k)) {
                args->bad = ngx_http_recsys_arg_name(r, k, p,
                                                     (eq ? eq : amp) - p);
                return args->bad != NULL ? NGX_DECLINED : NGX_ERROR;
            }

            seen |= (uint64_t) 1 << k;

            raw.data = eq ? eq + 1 : amp;
            raw.len = amp - raw.data;

            rc = ngx_http_recsys_set_arg(r, rlcf, args, k, &raw);

            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            if (rc != NGX_OK) {
                args->bad = ngx_http_recsys_arg_name(r, k, p,
                                                     (eq ? eq : amp) - p);
                return args->bad != NULL ? NGX_DECLINED : NGX_ERROR;
            }
        }

        p = amp + 1;
    }

    args->has_user = (seen >> NGX_HTTP_RECSYS_ARG_USER) & 1;
    args->has_item = (seen >> NGX_HTTP_RECSYS_ARG_ITEM) & 1;
    args->has_algo = (seen >> NGX_HTTP_RECSYS_ARG_ALGO) & 1;
    args->has_n = (seen >> NGX_HTTP_RECSYS_ARG_N) & 1;

    return NGX_OK;
}
