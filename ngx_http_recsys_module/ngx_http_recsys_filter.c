/*
 * ngx_http_recsys_filter.c: what the request filters on besides seen and
 * excluded items: genre= names no genre of the model (nothing matches),
 * and the attribute filter (recsys_attrfilter.h) from the model's
 * availability windows at the current time, the recsys_filter directive's
 * value and the filter= argument, all of which an item must pass.
 *
 * A worker keeps the last NGX_HTTP_RECSYS_FILTERS filters it compiled,
 * keyed by the store, its model's generation and the two texts, in
 * memory of their own (malloc): a filter asked again (a location's
 * constant recsys_filter, the facets a site offers) is neither compiled
 * again nor tested twice on one item (recsys_attrfilter_memo); only its
 * time is set.  The least recently used one makes room; a filter that
 * does not compile is not kept.
 */

#include "ngx_http_recsys_module.h"

#include "recsys_attrfilter.h"
#include "recsys_blocks.h"


#define NGX_HTTP_RECSYS_FILTERS  16

typedef struct {
    ngx_http_recsys_store_t  *store;        /* NULL: an empty entry */
    ngx_uint_t                generation;
    uint32_t                  hash;
    size_t                    conf_len;
    size_t                    arg_len;
    u_char                   *text;         /* conf, then arg */
    recsys_attrfilter_t      *filter;
    recsys_blocks_t           blocks;       /* all of the above */
    recsys_alloc_t            alloc;        /* from blocks */
    ngx_uint_t                used;         /* the last use's tick */
} ngx_http_recsys_filter_entry_t;

static ngx_http_recsys_filter_entry_t
    ngx_http_recsys_filters[NGX_HTTP_RECSYS_FILTERS];
static ngx_uint_t  ngx_http_recsys_filters_tick;


static const uint32_t  ngx_http_recsys_no_genre = RECSYS_NO_INDEX;


static uint32_t
ngx_http_recsys_filter_hash(ngx_str_t *conf, ngx_str_t *arg)
{
    uint32_t  crc;

    ngx_crc32_init(crc);
    ngx_crc32_update(&crc, conf->data, conf->len);
    ngx_crc32_update(&crc, (u_char *) "\n", 1);
    ngx_crc32_update(&crc, arg->data, arg->len);
    ngx_crc32_final(crc);

    return crc;
}


static void
ngx_http_recsys_filter_drop(ngx_http_recsys_filter_entry_t *e)
{
    recsys_blocks_free(&e->blocks);
    ngx_memzero(e, sizeof(ngx_http_recsys_filter_entry_t));
}


/*
 * Compiles conf and arg over model into e (emptied first, left empty on
 * failure): RECSYS_OK, or the status of recsys_attrfilter_add
 * (RECSYS_EINVAL, with *conf_bad set when conf is at fault;
 * RECSYS_ENOMEM).
 */
static int
ngx_http_recsys_filter_compile(ngx_http_recsys_filter_entry_t *e,
    recsys_model_t *model, ngx_str_t *conf, ngx_str_t *arg,
    ngx_uint_t *conf_bad)
{
    int  rc;

    ngx_http_recsys_filter_drop(e);
    recsys_blocks_alloc(&e->blocks, &e->alloc);

    e->text = e->alloc.alloc(e->alloc.ctx, conf->len + arg->len + 1);
    rc = e->text != NULL
         ? recsys_attrfilter_create(recsys_model_attrs(model), 0.0,
                                    &e->alloc, &e->filter)
         : RECSYS_ENOMEM;

    if (rc == RECSYS_OK) {
        rc = recsys_attrfilter_add(e->filter, (const char *) conf->data,
                                   conf->len);
        *conf_bad = rc == RECSYS_EINVAL;
    }

    if (rc == RECSYS_OK) {
        rc = recsys_attrfilter_add(e->filter, (const char *) arg->data,
                                   arg->len);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_attrfilter_memo(e->filter);
    }

    if (rc != RECSYS_OK) {
        ngx_http_recsys_filter_drop(e);
        return rc;
    }

    /* an absent text may have no data: no copy of nothing from NULL */
    if (conf->len > 0) {
        ngx_memcpy(e->text, conf->data, conf->len);
    }

    if (arg->len > 0) {
        ngx_memcpy(e->text + conf->len, arg->data, arg->len);
    }

    e->conf_len = conf->len;
    e->arg_len = arg->len;

    return RECSYS_OK;
}


/*
 * The filter of conf and arg over the store's model, kept or compiled:
 * RECSYS_OK with *out, or as ngx_http_recsys_filter_compile().
 */
static int
ngx_http_recsys_filter_get(ngx_http_recsys_store_t *store,
    recsys_model_t *model, ngx_str_t *conf, ngx_str_t *arg,
    recsys_attrfilter_t **out, ngx_uint_t *conf_bad)
{
    int                              rc;
    uint32_t                         hash;
    ngx_uint_t                       i;
    ngx_http_recsys_filter_entry_t  *e, *lru;

    hash = ngx_http_recsys_filter_hash(conf, arg);
    lru = &ngx_http_recsys_filters[0];

    for (i = 0; i < NGX_HTTP_RECSYS_FILTERS; i++) {
        e = &ngx_http_recsys_filters[i];

        if (e->store == store && e->generation == store->generation
            && e->hash == hash && e->conf_len == conf->len
            && e->arg_len == arg->len
            && (conf->len == 0
                || ngx_memcmp(e->text, conf->data, conf->len) == 0)
            && (arg->len == 0
                || ngx_memcmp(e->text + conf->len, arg->data, arg->len)
                   == 0))
        {
            e->used = ++ngx_http_recsys_filters_tick;
            *out = e->filter;
            return RECSYS_OK;
        }

        if (e->used < lru->used) {
            lru = e;
        }
    }

    rc = ngx_http_recsys_filter_compile(lru, model, conf, arg, conf_bad);
    if (rc != RECSYS_OK) {
        return rc;
    }

    lru->store = store;
    lru->generation = store->generation;
    lru->hash = hash;
    lru->used = ++ngx_http_recsys_filters_tick;
    *out = lru->filter;

    return RECSYS_OK;
}


void
ngx_http_recsys_filter_cache_free(void)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_RECSYS_FILTERS; i++) {
        ngx_http_recsys_filter_drop(&ngx_http_recsys_filters[i]);
    }
}


ngx_int_t
ngx_http_recsys_filter(ngx_http_request_t *r,
    ngx_http_recsys_loc_conf_t *rlcf, recsys_model_t *model,
    ngx_http_recsys_args_t *args, recsys_query_t *q, uint32_t *depends)
{
    int                   rc;
    ngx_str_t             conf;
    ngx_uint_t            conf_bad;
    recsys_attrfilter_t  *f;

    *depends = 0;
    ngx_str_null(&conf);

    if (args->genre.len > 0 && q->n_genres == 0) {
        /* no genre of the request exists in this model: nothing matches */
        q->genres = &ngx_http_recsys_no_genre;
        q->n_genres = 1;
    }

    if (rlcf->filter != NULL) {
        if (ngx_http_complex_value(r, rlcf->filter, &conf) != NGX_OK) {
            return NGX_ERROR;
        }

        /* the location's filter is part of what the answer depends on */
        if (conf.len > 0) {
            *depends = ngx_crc32_short(conf.data, conf.len) | 1;
        }
    }

    /* nothing to test: no clauses, no availability windows */
    if (conf.len == 0 && args->filter.len == 0
        && !recsys_attrfilter_windows(recsys_model_attrs(model)))
    {
        return NGX_OK;
    }

    conf_bad = 0;
    rc = ngx_http_recsys_filter_get(rlcf->store, model, &conf, &args->filter,
                                    &f, &conf_bad);

    if (rc == RECSYS_EINVAL && conf_bad) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "recsys: the value of recsys_filter is not a filter "
                      "of model \"%s\"", recsys_model_id(model));
        return NGX_DECLINED;
    }

    if (rc != RECSYS_OK) {
        return rc == RECSYS_ENOMEM ? NGX_ERROR : NGX_DECLINED;
    }

    recsys_attrfilter_set_time(f, (double) ngx_time());
    q->filter = f;

    return NGX_OK;
}
