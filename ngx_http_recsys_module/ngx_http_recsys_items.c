/*
 * ngx_http_recsys_items.c: the /items content handler (recsys_items;).
 *
 *   q=TEXT        titles holding TEXT, case-insensitively (ASCII); word
 *                 starts first, each group in the catalogue order
 *                 (engine/serve/recsys_items.h)
 *   genre=G[,G]   only items with any of these genres
 *   n, offset     the page (as for /recommend)
 *   id=ID[,ID]    these items, in this order, each once (unknown and
 *                 hidden ids left out);
 *                 q, genre and offset do not apply
 *   meta=1        the model instead: counts, genres, algorithms
 *
 * Without q or id the catalogue is listed in its order.  Arguments follow
 * the input policy of /recommend (ngx_http_recsys_args.c): n, offset and
 * genre are read by the same parser; q is 1 to 256 bytes of valid UTF-8
 * after one percent-decoding, id a list of ids capped by recsys_max_list,
 * each at most once; errors are 400 JSON naming the argument.
 */

#include "ngx_http_recsys_module.h"

#include "recsys_items.h"
#include "recsys_itemset.h"
#include "recsys_text.h"


/* The items as a JSON array of {"id":..,<meta>}, into pool memory. */
static u_char *
ngx_http_recsys_items_render(ngx_http_request_t *r, recsys_model_t *model,
    const uint32_t *items, ngx_uint_t n, ngx_uint_t more, size_t *len)
{
    size_t          size;
    u_char         *body, *p;
    const char     *id;
    ngx_uint_t      k;
    recsys_item_t   it;

    id = recsys_model_id(model);
    size = sizeof("{\"model\":\"\",\"items\":[],\"more\":false}")
           + ngx_strlen(id);

    for (k = 0; k < n; k++) {
        recsys_model_item_get(model, items[k], &it);
        size += sizeof("{\"id\":,},") + it.id_json_len + it.meta_json_len;
    }

    body = ngx_pnalloc(r->pool, size);
    if (body == NULL) {
        return NULL;
    }

    p = ngx_sprintf(body, "{\"model\":\"%s\",\"items\":[", id);

    for (k = 0; k < n; k++) {
        recsys_model_item_get(model, items[k], &it);
        p = ngx_cpymem(p, k ? ",{\"id\":" : "{\"id\":", k ? 7 : 6);
        p = ngx_cpymem(p, it.id_json, it.id_json_len);
        *p++ = ',';
        p = ngx_cpymem(p, it.meta_json, it.meta_json_len);
        *p++ = '}';
    }

    p = ngx_sprintf(p, "],\"more\":%s}", more ? "true" : "false");
    *len = p - body;

    return body;
}


/*
 * meta=1: {"model","items","users","interactions","genres","algos",
 * "search"}; the genres are the model's "genres" meta text when it is a
 * plain JSON array.
 */
static u_char *
ngx_http_recsys_items_meta(ngx_http_request_t *r, recsys_model_t *model,
    size_t *len)
{
    int                     s;
    size_t                  glen;
    u_char                 *body, *p;
    const char             *genres;
    const recsys_header_t  *h;

    h = recsys_model_header(model);

    if (recsys_model_meta(model, RECSYS_META_GENRES, &genres, &glen)
        != RECSYS_OK
        || glen < 2 || genres[0] != '[' || genres[glen - 1] != ']'
        || !recsys_json_plain(genres, glen))
    {
        genres = "[]";
        glen = 2;
    }

    body = ngx_pnalloc(r->pool, 256 + RECSYS_MODEL_ID_MAX + glen
                                + RECSYS_NSRC * 16);
    if (body == NULL) {
        return NULL;
    }

    p = ngx_sprintf(body, "{\"model\":\"%s\",\"items\":%uD,\"users\":%uD,"
                    "\"interactions\":%uL,\"genres\":",
                    recsys_model_id(model), h->n_items, h->n_users,
                    (uint64_t) h->n_interactions);
    p = ngx_cpymem(p, genres, glen);
    p = ngx_cpymem(p, ",\"algos\":[\"hybrid\"", 18);

    for (s = 0; s < RECSYS_NSRC; s++) {
        if (h->sources & (1u << s)) {
            p = ngx_sprintf(p, ",\"%s\"", recsys_source_name(s));
        }
    }

    p = ngx_sprintf(p, "],\"search\":%s}",
                    recsys_model_search(model) != NULL ? "true" : "false");
    *len = p - body;

    return body;
}


/*
 * The items of id= that are shown, in place: each once (at its first
 * place), none that the overrides hide.  NGX_ERROR when out of memory.
 */
static ngx_int_t
ngx_http_recsys_items_shown(ngx_http_request_t *r, uint32_t *ids,
    uint32_t *n, const recsys_ovr_view_t *view)
{
    uint32_t          k, kept;
    recsys_alloc_t    alloc;
    recsys_itemset_t  listed;

    alloc.alloc = ngx_http_recsys_pool_alloc;
    alloc.ctx = r->pool;

    if (recsys_itemset_init(&listed, *n, &alloc) != RECSYS_OK) {
        return NGX_ERROR;
    }

    kept = 0;

    for (k = 0; k < *n; k++) {
        if (!recsys_ovr_hidden(view, ids[k])
            && !recsys_itemset_has(&listed, ids[k]))
        {
            recsys_itemset_add(&listed, ids[k]);
            ids[kept++] = ids[k];
        }
    }

    *n = kept;

    return NGX_OK;
}


/* The search or listing of q, genre, n and offset, without hidden items. */
static ngx_int_t
ngx_http_recsys_items_find(ngx_http_request_t *r, recsys_model_t *model,
    ngx_http_recsys_args_t *args, ngx_http_recsys_items_args_t *ia,
    const recsys_ovr_view_t *view, recsys_items_result_t *res)
{
    int                    rc;
    recsys_alloc_t         alloc;
    recsys_items_query_t   iq;

    static const uint32_t  no_genre = RECSYS_NO_INDEX;

    ngx_memzero(&iq, sizeof(recsys_items_query_t));

    if (ngx_http_recsys_map_list(r, model, &args->genre, 1, &iq.genres,
                                 &iq.n_genres)
        != NGX_OK)
    {
        return RECSYS_ENOMEM;
    }

    if (args->genre.len > 0 && iq.n_genres == 0) {
        iq.genres = &no_genre;
        iq.n_genres = 1;
    }

    iq.q = ia->has_q ? (const char *) ia->q.data : NULL;
    iq.q_len = ia->has_q ? ia->q.len : 0;
    iq.overrides = view;
    iq.n = (uint32_t) args->n;
    iq.offset = (uint32_t) args->offset;

    alloc.alloc = ngx_http_recsys_pool_alloc;
    alloc.ctx = r->pool;

    rc = recsys_items_search(model, &iq, &alloc, res);

    return rc;
}


ngx_int_t
ngx_http_recsys_items_handler(ngx_http_request_t *r)
{
    int                            rc;
    size_t                         len;
    u_char                        *body;
    uint32_t                       n_ids;
    const char                    *bad;
    const uint32_t                *ids;
    recsys_model_t                *model;
    const recsys_ovr_view_t       *view;
    recsys_items_result_t          res;
    ngx_http_recsys_args_t         args;
    ngx_http_recsys_loc_conf_t    *rlcf;
    ngx_http_recsys_items_args_t   ia;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_recsys_fail(r, RECSYS_EMETHOD, "use GET or HEAD");
    }

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_recsys_module);
    ngx_http_recsys_counters(r)->requests++;

    rc = ngx_http_recsys_parse_args(r, rlcf, 1, &args);
    bad = args.bad;

    if (rc == NGX_OK) {
        rc = ngx_http_recsys_items_args(r, rlcf, &ia, &bad);
    }

    if (rc == NGX_ERROR) {
        return ngx_http_recsys_fail(r, RECSYS_ENOMEM,
                                    recsys_strerror(RECSYS_ENOMEM));
    }

    if (rc != NGX_OK) {
        return ngx_http_recsys_bad_request(r, bad);
    }

    model = ngx_http_recsys_store_get(r, rlcf->store);
    if (model == NULL) {
        return ngx_http_recsys_fail(r, RECSYS_ENOMODEL,
                                    recsys_strerror(RECSYS_ENOMODEL));
    }

    /* a takedown holds here too: hidden items are neither found nor shown */
    if (ngx_http_recsys_overrides_view(r, rlcf->overrides, &view) != NGX_OK) {
        return ngx_http_recsys_fail(r, RECSYS_ENOMEM,
                                    recsys_strerror(RECSYS_ENOMEM));
    }

    if (ia.meta) {
        body = ngx_http_recsys_items_meta(r, model, &len);

    } else if (ia.has_id) {
        /* the pool's array, filtered in place */
        if (ngx_http_recsys_map_list(r, model, &ia.id, 0, &ids, &n_ids)
            != NGX_OK
            || ngx_http_recsys_items_shown(r, (uint32_t *) ids, &n_ids, view)
               != NGX_OK)
        {
            return ngx_http_recsys_fail(r, RECSYS_ENOMEM,
                                        recsys_strerror(RECSYS_ENOMEM));
        }

        body = ngx_http_recsys_items_render(r, model, ids, n_ids, 0, &len);

    } else {
        rc = ngx_http_recsys_items_find(r, model, &args, &ia, view, &res);

        if (rc == RECSYS_ENOTFOUND) {
            return ngx_http_recsys_fail(r, RECSYS_ENOTFOUND,
                                        "this model has no catalogue index");
        }

        if (rc != RECSYS_OK) {
            return ngx_http_recsys_fail(r, rc, recsys_strerror(rc));
        }

        body = ngx_http_recsys_items_render(r, model, res.items, res.n,
                                            res.more, &len);
    }

    if (body == NULL) {
        return ngx_http_recsys_fail(r, RECSYS_ENOMEM,
                                    recsys_strerror(RECSYS_ENOMEM));
    }

    ngx_http_recsys_counters(r)->ok++;

    r->headers_out.status = NGX_HTTP_OK;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_length_n = len;

    return ngx_http_recsys_send_buffer(r, body, len);
}

