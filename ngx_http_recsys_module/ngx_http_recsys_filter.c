/*
 * ngx_http_recsys_filter.c: what the request filters on besides seen and
 * excluded items: genre= names no genre of the model (nothing matches),
 * and the attribute filter, compiled once per request (recsys_attrfilter.h)
 * from the model's availability windows at the current time, the
 * recsys_filter directive's value and the filter= argument, all of which
 * an item must pass.
 */

#include "ngx_http_recsys_module.h"

#include "recsys_attrfilter.h"


static const uint32_t  ngx_http_recsys_no_genre = RECSYS_NO_INDEX;


ngx_int_t
ngx_http_recsys_filter(ngx_http_request_t *r,
    ngx_http_recsys_loc_conf_t *rlcf, recsys_model_t *model,
    ngx_http_recsys_args_t *args, recsys_alloc_t *alloc, recsys_query_t *q,
    uint32_t *depends)
{
    int                   rc;
    ngx_str_t             conf;
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

    if (conf.len == 0 && args->filter.len == 0
        && recsys_model_attrs(model) == NULL)
    {
        return NGX_OK;
    }

    if (recsys_attrfilter_create(recsys_model_attrs(model),
                                 (double) ngx_time(), alloc, &f)
        != RECSYS_OK)
    {
        return NGX_ERROR;
    }

    rc = recsys_attrfilter_add(f, (const char *) conf.data, conf.len);

    if (rc == RECSYS_EINVAL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "recsys: the value of recsys_filter is not a filter "
                      "of model \"%s\"", recsys_model_id(model));
        return NGX_DECLINED;
    }

    if (rc == RECSYS_OK) {
        rc = recsys_attrfilter_add(f, (const char *) args->filter.data,
                                   args->filter.len);
    }

    if (rc != RECSYS_OK) {
        return rc == RECSYS_ENOMEM ? NGX_ERROR : NGX_DECLINED;
    }

    q->filter = f;

    return NGX_OK;
}
