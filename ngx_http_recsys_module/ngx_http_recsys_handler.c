/*
 * ngx_http_recsys_handler.c: the /recommend content handler.
 *
 * Method check, arguments, the worker's current model, id lookups, one
 * engine query with request-pool memory, then the JSON writer.  Every
 * error is an engine status answered through the table of recsys_status.h
 * (ngx_http_recsys_fail): 405 for a method other than GET/HEAD, 400 for a
 * bad argument, 404 for an unknown item= id, 503 when no model is loaded,
 * 500 when memory runs out, never a different answer with 200.  Client
 * mistakes are logged at INFO, since they are not the server's fault.
 */

#include "ngx_http_recsys_module.h"
#include "ngx_http_recsys_events.h"




void *
ngx_http_recsys_pool_alloc(void *ctx, size_t size)
{
    return ngx_palloc(ctx, size);
}


/*
 * Answers an engine status as a JSON error (recsys_status.h gives the HTTP
 * status and the error name), counts it and logs it: client mistakes at
 * INFO, a server failure (500) at ERR.  message is a fixed text.
 */
ngx_int_t
ngx_http_recsys_fail(ngx_http_request_t *r, int status, const char *message)
{
    const recsys_status_t  *st;

    st = recsys_status_get(status);

    switch (st->http) {
    case NGX_HTTP_BAD_REQUEST:
        ngx_http_recsys_counters(r)->bad_request++;
        break;
    case NGX_HTTP_NOT_FOUND:
        ngx_http_recsys_counters(r)->not_found++;
        break;
    case NGX_HTTP_SERVICE_UNAVAILABLE:
        ngx_http_recsys_counters(r)->unavailable++;
        break;
    }

    if (st->http == NGX_HTTP_INTERNAL_SERVER_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "recsys: %s",
                      message);

    } else if (st->http != NGX_HTTP_NOT_ALLOWED
               && st->http != NGX_HTTP_SERVICE_UNAVAILABLE)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0, "recsys: %s",
                      message);
    }

    return ngx_http_recsys_send_error(r, status, message);
}


/* Out of memory while answering: a 500 JSON error. */
static ngx_int_t
ngx_http_recsys_no_memory(ngx_http_request_t *r)
{
    return ngx_http_recsys_fail(r, RECSYS_ENOMEM,
                                recsys_strerror(RECSYS_ENOMEM));
}


/*
 * What a writer returned: its 500 before any header went out (the body or
 * a header could not be allocated, or the body overran its measure)
 * becomes the JSON 500 of the table.
 */
static ngx_int_t
ngx_http_recsys_sent(ngx_http_request_t *r, ngx_int_t rc)
{
    if (rc == NGX_HTTP_INTERNAL_SERVER_ERROR && !r->header_sent) {
        return ngx_http_recsys_fail(r, RECSYS_ENOMEM,
                                    "the answer could not be written");
    }

    return rc;
}


ngx_int_t
ngx_http_recsys_bad_request(ngx_http_request_t *r, const char *name)
{
    size_t   len;
    u_char  *msg, *last;

    /* the name is the module's (w_ and an imported source's name, too) */
    len = sizeof("invalid argument: ") + ngx_strlen(name);

    msg = ngx_pnalloc(r->pool, len);
    if (msg == NULL) {
        return ngx_http_recsys_no_memory(r);
    }

    last = ngx_snprintf(msg, len - 1, "invalid argument: %s", name);
    *last = '\0';

    return ngx_http_recsys_fail(r, RECSYS_EINVAL, (const char *) msg);
}


/* The user id: from recsys_user when set, else the user argument. */
ngx_int_t
ngx_http_recsys_user(ngx_http_request_t *r, ngx_http_recsys_loc_conf_t *rlcf,
    ngx_http_recsys_args_t *args, ngx_str_t *user)
{
    ngx_str_t  raw;

    if (rlcf->user == NULL) {
        *user = args->has_user ? args->user : (ngx_str_t) ngx_null_string;
        return NGX_OK;
    }

    if (ngx_http_complex_value(r, rlcf->user, &raw) != NGX_OK) {
        return NGX_ERROR;
    }

    if (raw.len == 0) {
        /* no cookie, no header: an anonymous visitor */
        *user = raw;
        return NGX_OK;
    }

    return ngx_http_recsys_decode_id(r, &raw, user);
}


static ngx_int_t
ngx_http_recsys_algo(ngx_http_request_t *r, ngx_http_recsys_loc_conf_t *rlcf,
    ngx_http_recsys_args_t *args, int *algo, ngx_str_t *unknown)
{
    ngx_str_t  name;

    if (args->has_algo) {
        name = args->algo;

    } else if (rlcf->algo != NULL) {
        if (ngx_http_complex_value(r, rlcf->algo, &name) != NGX_OK) {
            return NGX_ERROR;
        }

        if (name.len == 0) {
            /* no cookie, no variant: the default, as an unset recsys_algo */
            *algo = RECSYS_ALGO_HYBRID;
            return NGX_OK;
        }

    } else {
        *algo = RECSYS_ALGO_HYBRID;
        return NGX_OK;
    }

    *algo = recsys_query_algo_parse((const char *) name.data, name.len);
    *unknown = name;

    return NGX_OK;
}


/*
 * What only the model can name: an algo= or recsys_algo value that is no
 * registry name (an imported source's name, else 400, and recsys_algo's
 * value logged at ERR as the configuration's fault), w_<name>= of
 * imported sources.
 * 0 to go on, or 1 after answering (400, 503, 500) with *rc the status.
 */
static ngx_int_t
ngx_http_recsys_imported(ngx_http_request_t *r, recsys_model_t *model,
    ngx_http_recsys_args_t *args, int *algo, ngx_str_t *name, ngx_int_t *rc)
{
    if (*algo < 0) {
        *algo = recsys_model_source_parse(model, (const char *) name->data,
                                          name->len);
        if (*algo < 0) {
            if (!args->has_algo) {
                /* recsys_algo's value: the configuration is at fault */
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "recsys: the value of recsys_algo is no "
                              "algorithm of model \"%s\"",
                              model != NULL ? recsys_model_id(model)
                                            : "(none loaded)");
            }

            *rc = ngx_http_recsys_bad_request(r, "algo");
            return 1;
        }
    }

    if (model == NULL) {
        *rc = ngx_http_recsys_fail(r, RECSYS_ENOMODEL,
                                   recsys_strerror(RECSYS_ENOMODEL));
        return 1;
    }

    *rc = ngx_http_recsys_named_weights(r, model, args);

    if (*rc == NGX_ERROR) {
        *rc = ngx_http_recsys_no_memory(r);
        return 1;
    }

    if (*rc == NGX_DECLINED) {
        *rc = ngx_http_recsys_bad_request(r, args->bad);
        return 1;
    }

    return 0;
}


/*
 * Maps a comma-separated list of ids (or genre names) to indexes; ids the
 * model does not know are left out.
 */
ngx_int_t
ngx_http_recsys_map_list(ngx_http_request_t *r, recsys_model_t *model,
    ngx_str_t *list, int genres, const uint32_t **out, uint32_t *n)
{
    int        rc;
    u_char    *p, *last, *comma;
    uint32_t  *items, index;

    *out = NULL;
    *n = 0;

    if (list->len == 0) {
        return NGX_OK;
    }

    items = ngx_palloc(r->pool, (list->len / 2 + 1) * sizeof(uint32_t));
    if (items == NULL) {
        return NGX_ERROR;
    }

    p = list->data;
    last = p + list->len;

    for ( ;; ) {
        comma = ngx_strlchr(p, last, ',');
        if (comma == NULL) {
            comma = last;
        }

        rc = genres ? recsys_model_genre(model, (const char *) p, comma - p,
                                         &index)
                    : recsys_model_item(model, (const char *) p, comma - p,
                                        &index);
        if (rc == RECSYS_OK) {
            items[(*n)++] = index;
        }

        if (comma == last) {
            break;
        }

        p = comma + 1;
    }

    *out = items;

    return NGX_OK;
}


/*
 * The blend weights: the model's, then the location's, then the request's;
 * *weights NULL when neither the location nor the request sets one (the
 * model's own blend).  NGX_ERROR when out of memory: never the model's
 * blend in place of the asked one.
 */
static ngx_int_t
ngx_http_recsys_weights(ngx_http_request_t *r, recsys_model_t *model,
    ngx_http_recsys_loc_conf_t *rlcf, ngx_http_recsys_args_t *args,
    const float **weights)
{
    int     s;
    float  *w;

    *weights = NULL;

    if (!rlcf->has_weights && !args->has_weights) {
        return NGX_OK;
    }

    w = ngx_palloc(r->pool, RECSYS_NSRC * sizeof(float));
    if (w == NULL) {
        return NGX_ERROR;
    }

    recsys_blend_default_weights(model, w);

    for (s = 0; s < RECSYS_NSRC; s++) {
        if (rlcf->weight[s] >= 0.0f) {
            w[s] = rlcf->weight[s];
        }

        if (args->weight[s] >= 0.0f) {
            w[s] = args->weight[s];
        }
    }

    *weights = w;

    return NGX_OK;
}


/* predict=1: a known user and an item= give two predicted ratings. */
static ngx_int_t
ngx_http_recsys_prediction(ngx_http_request_t *r, recsys_model_t *model,
    recsys_query_t *q, ngx_str_t *user, ngx_str_t *item)
{
    recsys_prediction_t  p;

    if (item == NULL) {
        return ngx_http_recsys_bad_request(r, "item");
    }

    if (q->user == RECSYS_NO_INDEX) {
        return ngx_http_recsys_fail(r, RECSYS_ENOTFOUND, "unknown user");
    }

    if (recsys_predict(model, q->user, q->item, &p) != RECSYS_OK) {
        return ngx_http_recsys_bad_request(r, "predict");
    }

    ngx_http_recsys_counters(r)->ok++;

    return ngx_http_recsys_sent(r,
               ngx_http_recsys_send_prediction(r, model, user, item, &p));
}


/* A copy of a NUL-terminated name in the pool, or NULL. */
static const char *
ngx_http_recsys_pool_name(ngx_pool_t *pool, const char *name)
{
    size_t   len;
    u_char  *copy;

    len = ngx_strlen(name);

    copy = ngx_pnalloc(pool, len + 1);
    if (copy == NULL) {
        return NULL;
    }

    ngx_memcpy(copy, name, len + 1);

    return (const char *) copy;
}


/*
 * Sends a query's result, with what the $recsys_* variables and the
 * counters need to know of it.
 */
static ngx_int_t
ngx_http_recsys_answer(ngx_http_request_t *r,
    ngx_http_recsys_loc_conf_t *rlcf, recsys_model_t *model, ngx_str_t *user,
    ngx_str_t *item, const recsys_query_t *q, recsys_result_t *res)
{
    ngx_http_recsys_ctx_t  *ctx;

    ctx = ngx_palloc(r->pool, sizeof(ngx_http_recsys_ctx_t));
    if (ctx == NULL) {
        return ngx_http_recsys_no_memory(r);
    }

    /*
     * the model may be replaced before the log phase reads these: its id
     * and the algorithm's name (an imported source's is in the model's
     * map) are copied
     */
    ctx->model = ngx_http_recsys_pool_name(r->pool, recsys_model_id(model));
    ctx->algo = ngx_http_recsys_pool_name(r->pool,
                    recsys_query_algo_model_name(model, res->algo));

    if (ctx->model == NULL || ctx->algo == NULL) {
        return ngx_http_recsys_no_memory(r);
    }

    ctx->fallback = recsys_query_fallback_name(res->fallback);
    ctx->count = res->n;
    ctx->overrides = q->overrides != NULL ? q->overrides->version : 0;
    ctx->diversity = q->diversity;
    ngx_http_set_ctx(r, ctx, ngx_http_recsys_module);

    ngx_http_recsys_counters(r)->ok++;
    ngx_http_recsys_counters(r)->fallback += res->fallback != RECSYS_FALLBACK_NONE;

    return ngx_http_recsys_sent(r, ngx_http_recsys_send_result(r, rlcf,
                                       model, user, item, res));
}


/*
 * The query's settings (but the algorithm) from the location and the
 * arguments, the rules of the overrides file resolved against model, and
 * the user's index (none for an unknown or erased user).  NGX_ERROR: the
 * rules could not be resolved (out of memory).
 */
static ngx_int_t
ngx_http_recsys_query_init(ngx_http_request_t *r,
    ngx_http_recsys_loc_conf_t *rlcf, ngx_http_recsys_args_t *args,
    recsys_model_t *model, ngx_str_t *user, recsys_query_t *q)
{
    ngx_memzero(q, sizeof(recsys_query_t));
    q->n = (uint32_t) args->n;
    q->offset = (uint32_t) args->offset;
    q->user = RECSYS_NO_INDEX;
    q->item = RECSYS_NO_INDEX;
    q->explain = args->explain;
    q->max_history = (uint32_t) rlcf->max_history;
    q->max_nbrs = (uint32_t) rlcf->max_nbrs;
    q->session_nbrs = (uint32_t) rlcf->session_nbrs;
    q->explain_history = (uint32_t) rlcf->explain_history;
    q->scratch = rlcf->store->scratch;
    q->diversity = args->diversity >= 0.0f ? args->diversity
                                           : rlcf->diversity;

    if (ngx_http_recsys_overrides_view(r, rlcf->overrides, &q->overrides)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (user->len > 0
        && recsys_model_user(model, (const char *) user->data, user->len,
                             &q->user)
           != RECSYS_OK)
    {
        q->user = RECSYS_NO_INDEX;
    }

    if (recsys_ovr_erased(q->overrides, q->user)) {
        /* answered as a user the model never saw */
        q->user = RECSYS_NO_INDEX;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_recsys_handler(ngx_http_request_t *r)
{
    int                          algo;
    uint32_t                     depends;
    ngx_int_t                    rc;
    ngx_str_t                    user, *item, name;
    recsys_alloc_t               alloc;
    recsys_query_t               q;
    recsys_model_t              *model;
    recsys_result_t              res;
    ngx_http_recsys_args_t       args;
    ngx_http_recsys_loc_conf_t  *rlcf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_recsys_fail(r, RECSYS_EMETHOD, "use GET or HEAD");
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_recsys_module);
    ngx_http_recsys_counters(r)->requests++;

    rc = ngx_http_recsys_parse_args(r, rlcf, 0, &args);
    if (rc == NGX_ERROR) {
        return ngx_http_recsys_no_memory(r);
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_recsys_bad_request(r, args.bad);
    }

    rc = ngx_http_recsys_user(r, rlcf, &args, &user);
    if (rc == NGX_ERROR) {
        return ngx_http_recsys_no_memory(r);
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_recsys_bad_request(r, "user");
    }

    rc = ngx_http_recsys_algo(r, rlcf, &args, &algo, &name);
    if (rc == NGX_ERROR) {
        return ngx_http_recsys_no_memory(r);
    }

    model = ngx_http_recsys_store_get(r, rlcf->store);

    if (ngx_http_recsys_imported(r, model, &args, &algo, &name, &rc)) {
        return rc;
    }

    if (ngx_http_recsys_query_init(r, rlcf, &args, model, &user, &q)
        != NGX_OK)
    {
        return ngx_http_recsys_no_memory(r);
    }

    q.algo = algo;
    item = NULL;

    if (args.has_item) {
        if (recsys_model_item(model, (const char *) args.item.data,
                              args.item.len, &q.item)
            != RECSYS_OK
            || recsys_ovr_hidden(q.overrides, q.item))
        {
            return ngx_http_recsys_fail(r, RECSYS_ENOTFOUND, "unknown item");
        }

        item = &args.item;
    }

    if (args.predict) {
        return ngx_http_recsys_prediction(r, model, &q, &user, item);
    }

    if (ngx_http_recsys_map_list(r, model, &args.exclude, 0, &q.exclude,
                                 &q.n_exclude)
        != NGX_OK
        || ngx_http_recsys_map_list(r, model, &args.history, 0, &q.history,
                                    &q.n_history)
           != NGX_OK
        || ngx_http_recsys_map_list(r, model, &args.genre, 1, &q.genres,
                                    &q.n_genres)
           != NGX_OK
        || ngx_http_recsys_weights(r, model, rlcf, &args, &q.weights)
           != NGX_OK)
    {
        return ngx_http_recsys_no_memory(r);
    }

    /* the user's live events: the newest part of the history */
    if (ngx_http_recsys_live_query(r, rlcf->store, model, &user, &q) != NGX_OK) {
        return ngx_http_recsys_no_memory(r);
    }

    alloc.alloc = ngx_http_recsys_pool_alloc;
    alloc.ctx = r->pool;
    q.strict = args.strict;

    rc = ngx_http_recsys_filter(r, rlcf, model, &args, &q, &depends);
    if (rc == NGX_ERROR) {
        return ngx_http_recsys_no_memory(r);
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_recsys_bad_request(r, "filter");
    }

    rc = recsys_query_run(model, &q, &alloc, &res);
    res.depends = res.depends * 2654435761u + depends;

    if (rc == RECSYS_ENOTFOUND) {
        return ngx_http_recsys_bad_request(r, "algo");
    }

    if (rc != RECSYS_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "recsys: query failed on model \"%s\": %s",
                      recsys_model_id(model), recsys_strerror(rc));
        return ngx_http_recsys_send_error(r, rc, recsys_strerror(rc));
    }

    ngx_http_recsys_live_result(r, model, &res);

    return ngx_http_recsys_answer(r, rlcf, model, user.len ? &user : NULL,
                                  item, &q, &res);
}
