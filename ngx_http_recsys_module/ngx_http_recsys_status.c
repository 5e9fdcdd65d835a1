/*
 * ngx_http_recsys_status.c: what a worker serves, for operators.
 *
 *   location = /recsys-status { recsys_status; }
 *
 * answers JSON (or Prometheus text with ?format=prometheus) describing the
 * answering worker: its models (path, id, users, items, when loaded) and
 * its request counters since it started.  Counters are per worker, not
 * summed across workers: each worker owns its models and reloads on its
 * own, so per-worker numbers are the ones that explain its answers.
 *
 * Also the variables $recsys_model, $recsys_algo, $recsys_fallback and
 * $recsys_count, for access logs and headers.
 */

#include "ngx_http_recsys_module.h"
#include "ngx_http_recsys_events.h"


static ngx_int_t ngx_http_recsys_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_variable_t  ngx_http_recsys_vars[] = {

    { ngx_string("recsys_model"), NULL, ngx_http_recsys_variable,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("recsys_algo"), NULL, ngx_http_recsys_variable,
      1, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("recsys_fallback"), NULL, ngx_http_recsys_variable,
      2, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("recsys_count"), NULL, ngx_http_recsys_variable,
      3, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_recsys_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_recsys_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_recsys_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    u_char                 *p;
    const char             *s;
    ngx_http_recsys_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_recsys_module);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (data == 3) {
        p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        v->len = ngx_sprintf(p, "%ui", ctx->count) - p;
        v->data = p;

    } else {
        s = data == 0 ? ctx->model : data == 1 ? ctx->algo : ctx->fallback;

        if (s == NULL) {
            v->not_found = 1;
            return NGX_OK;
        }

        v->len = ngx_strlen(s);
        v->data = (u_char *) s;
    }

    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


#define NGX_HTTP_RECSYS_COUNTERS(X)                                           \
    X(requests) X(ok) X(bad_request) X(not_found) X(unavailable)             \
    X(fallback) X(reloads) X(refused)


/* A model's id as a string (empty without a model). */
static ngx_str_t
ngx_http_recsys_status_id(ngx_http_recsys_store_t *store)
{
    ngx_str_t  id;

    id.data = (u_char *) (store->model != NULL
                          ? recsys_model_id(store->model) : "");
    id.len = ngx_strlen(id.data);

    return id;
}


/* s as a Prometheus label value's body: backslash, quote, newline escaped. */
static u_char *
ngx_http_recsys_status_label(u_char *p, ngx_str_t *s)
{
    size_t  i;

    for (i = 0; i < s->len; i++) {
        if (s->data[i] == '\\' || s->data[i] == '"') {
            *p++ = '\\';
            *p++ = s->data[i];

        } else if (s->data[i] == '\n') {
            *p++ = '\\';
            *p++ = 'n';

        } else {
            *p++ = s->data[i];
        }
    }

    return p;
}


static u_char *
ngx_http_recsys_status_json(u_char *p, ngx_http_recsys_main_conf_t *rmcf)
{
    ngx_str_t                  id;
    ngx_uint_t                 i;
    const recsys_header_t     *h;
    ngx_http_recsys_store_t  **stores;

    p = ngx_sprintf(p, "{\"pid\":%P,\"models\":[", ngx_pid);
    stores = rmcf->stores.elts;

    for (i = 0; i < rmcf->stores.nelts; i++) {
        if (i > 0) {
            *p++ = ',';
        }

        /* a path may hold any byte nginx's configuration lets through */
        p = ngx_sprintf(p, "{\"path\":\"");
        p = ngx_http_recsys_json_escape(p, &stores[i]->path);
        p = ngx_sprintf(p, "\",");

        if (stores[i]->model == NULL) {
            p = ngx_sprintf(p, "\"id\":null}");
            continue;
        }

        id = ngx_http_recsys_status_id(stores[i]);
        h = recsys_model_header(stores[i]->model);
        p = ngx_sprintf(p, "\"id\":\"");
        p = ngx_http_recsys_json_escape(p, &id);
        p = ngx_sprintf(p, "\",\"users\":%uD,\"items\":%uD,\"loaded_at\":%T}",
                        h->n_users, h->n_items, stores[i]->loaded_at);
    }

    p = ngx_sprintf(p, "],\"counters\":{");

#define NGX_HTTP_RECSYS_JSON_COUNTER(name)                                    \
    p = ngx_sprintf(p, "\"" #name "\":%uA,", rmcf->counters.name);

    NGX_HTTP_RECSYS_COUNTERS(NGX_HTTP_RECSYS_JSON_COUNTER)

    p[-1] = '}';
    *p++ = '}';

    return p;
}


static u_char *
ngx_http_recsys_status_prometheus(u_char *p,
    ngx_http_recsys_main_conf_t *rmcf)
{
    ngx_str_t                  id;
    ngx_uint_t                 i;
    ngx_http_recsys_store_t  **stores;

#define NGX_HTTP_RECSYS_PROM_COUNTER(name)                                    \
    p = ngx_sprintf(p, "# TYPE recsys_" #name "_total counter\n"             \
                    "recsys_" #name "_total{pid=\"%P\"} %uA\n",              \
                    ngx_pid, rmcf->counters.name);

    NGX_HTTP_RECSYS_COUNTERS(NGX_HTTP_RECSYS_PROM_COUNTER)

    p = ngx_sprintf(p, "# TYPE recsys_model_loaded gauge\n");
    stores = rmcf->stores.elts;

    for (i = 0; i < rmcf->stores.nelts; i++) {
        id = ngx_http_recsys_status_id(stores[i]);
        p = ngx_sprintf(p, "recsys_model_loaded{pid=\"%P\",path=\"", ngx_pid);
        p = ngx_http_recsys_status_label(p, &stores[i]->path);
        p = ngx_sprintf(p, "\",id=\"");
        p = ngx_http_recsys_status_label(p, &id);
        p = ngx_sprintf(p, "\"} %d\n", stores[i]->model ? 1 : 0);
    }

    return p;
}


ngx_int_t
ngx_http_recsys_status_handler(ngx_http_request_t *r)
{
    size_t                        len;
    u_char                       *body, *p;
    ngx_int_t                     rc;
    ngx_str_t                     format, id, *zone;
    ngx_uint_t                    i, prometheus;
    ngx_http_recsys_store_t     **stores;
    ngx_http_recsys_main_conf_t  *rmcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_recsys_send_error(r, RECSYS_EMETHOD,
                                          "use GET or HEAD");
    }

    rmcf = ngx_http_get_module_main_conf(r, ngx_http_recsys_module);

    prometheus = ngx_http_arg(r, (u_char *) "format", 6, &format) == NGX_OK
                 && format.len == 10
                 && ngx_strncmp(format.data, "prometheus", 10) == 0;

    /* touch every model so the answer reflects the files on disk now */
    stores = rmcf->stores.elts;
    zone = ngx_http_recsys_live_zone_name(r);
    len = 2048 + (zone != NULL ? ngx_http_recsys_json_escaped_len(zone) : 0);

    for (i = 0; i < rmcf->stores.nelts; i++) {
        (void) ngx_http_recsys_store_get(r, stores[i]);
        id = ngx_http_recsys_status_id(stores[i]);
        len += 512 + ngx_http_recsys_json_escaped_len(&stores[i]->path)
               + ngx_http_recsys_json_escaped_len(&id);
    }

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return ngx_http_recsys_send_error(r, RECSYS_ENOMEM,
                                          recsys_strerror(RECSYS_ENOMEM));
    }

    p = prometheus ? ngx_http_recsys_status_prometheus(body, rmcf)
                   : ngx_http_recsys_status_json(body, rmcf);

    if (zone != NULL && prometheus) {
        p = ngx_http_recsys_live_status(r, p, 1);

    } else if (zone != NULL) {
        /* p ends the status object: the zone goes in as its last member */
        p = ngx_sprintf(p - 1, ",\"events\":{\"zone\":\"");
        p = ngx_http_recsys_json_escape(p, zone);
        *p++ = '"';
        p = ngx_http_recsys_live_status(r, p, 0);
        p = ngx_sprintf(p, "}}");
    }

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = p - body;

    if (prometheus) {
        ngx_str_set(&r->headers_out.content_type,
                    "text/plain; version=0.0.4; charset=utf-8");

    } else {
        ngx_str_set(&r->headers_out.content_type, "application/json");
    }

    r->headers_out.content_type_len = r->headers_out.content_type.len;

    return ngx_http_recsys_send_buffer(r, body, p - body);
}
