/*
 * ngx_http_recsys_items_args.c: the arguments only /items reads (q, id,
 * meta), under the input policy of ngx_http_recsys_args.c, whose decoding
 * and list checks they use; n, offset and genre are read by that file's
 * parser.
 */

#include "ngx_http_recsys_module.h"

#include "recsys_text.h"


static ngx_str_t  ngx_http_recsys_items_names[] = {
    ngx_string("q"),
    ngx_string("id"),
    ngx_string("meta")
};


/*
 * One of the arguments only /items reads: decoded and checked into ia;
 * NGX_DECLINED when its value breaks the policy.
 */
static ngx_int_t
ngx_http_recsys_items_arg(ngx_http_request_t *r,
    ngx_http_recsys_loc_conf_t *rlcf, ngx_uint_t k, ngx_str_t *raw,
    ngx_http_recsys_items_args_t *ia)
{
    ngx_int_t  rc;
    ngx_str_t  v;

    if (k == 0) {
        return ngx_http_recsys_decode_id(r, raw, &ia->q);
    }

    rc = ngx_http_recsys_unescape(r->pool, raw, &v);
    if (rc != NGX_OK) {
        return rc;
    }

    if (k == 1) {
        ia->id = v;
        return ngx_http_recsys_check_list(&v, rlcf->max_list);
    }

    ia->meta = v.len == 1 && v.data[0] == '1';

    return (v.len == 1 && (ia->meta || v.data[0] == '0')) ? NGX_OK
                                                           : NGX_DECLINED;
}


ngx_int_t
ngx_http_recsys_items_args(ngx_http_request_t *r,
    ngx_http_recsys_loc_conf_t *rlcf, ngx_http_recsys_items_args_t *ia,
    const char **bad)
{
    u_char      *p, *end, *sep, *val;
    size_t       name_len;
    ngx_int_t    rc;
    ngx_str_t    raw;
    ngx_uint_t   k, seen;

    ngx_memzero(ia, sizeof(ngx_http_recsys_items_args_t));
    seen = 0;

    for (p = r->args.data, end = p + r->args.len; p < end; p = sep + 1) {
        sep = ngx_strlchr(p, end, '&');
        sep = sep != NULL ? sep : end;
        val = ngx_strlchr(p, sep, '=');
        name_len = (val != NULL ? val : sep) - p;

        for (k = 0; k < 3; k++) {
            if (ngx_http_recsys_items_names[k].len == name_len
                && ngx_strncmp(ngx_http_recsys_items_names[k].data, p,
                               name_len) == 0)
            {
                break;
            }
        }

        if (k == 3) {
            continue;
        }

        *bad = (const char *) ngx_http_recsys_items_names[k].data;

        if (seen & (1 << k)) {
            return NGX_DECLINED;
        }

        seen |= 1 << k;
        raw.data = val != NULL ? val + 1 : sep;
        raw.len = sep - raw.data;

        rc = ngx_http_recsys_items_arg(r, rlcf, k, &raw, ia);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    ia->has_q = seen & 1;
    ia->has_id = (seen >> 1) & 1;

    return NGX_OK;
}
