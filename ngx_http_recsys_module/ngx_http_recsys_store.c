/*
 * ngx_http_recsys_store.c: the model lifecycle in a worker.
 *
 * A store is one model path.  Each worker opens its models after fork and,
 * at most once per recsys_reload_interval, stat()s the path from the
 * request that comes along: a new file (device, inode, mtime or size
 * differ) is opened and validated first, and only then replaces the model
 * in use, which is closed at once; no request holds a pointer into a model
 * past its handler, since responses are copied into the request's pool.
 * A file that fails validation is logged once and ignored; the old model
 * goes on serving.  With no usable model the handler answers 503.
 */

#include "ngx_http_recsys_module.h"


static void ngx_http_recsys_store_check(ngx_http_recsys_store_t *store,
    ngx_log_t *log);


ngx_http_recsys_store_t *
ngx_http_recsys_store_add(ngx_conf_t *cf, ngx_str_t *path,
    ngx_msec_t interval)
{
    ngx_uint_t                    i;
    ngx_http_recsys_store_t      *store, **stores, **slot;
    ngx_http_recsys_main_conf_t  *rmcf;

    rmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_recsys_module);

    stores = rmcf->stores.elts;

    for (i = 0; i < rmcf->stores.nelts; i++) {
        if (stores[i]->path.len == path->len
            && ngx_strncmp(stores[i]->path.data, path->data, path->len) == 0)
        {
            if (interval < stores[i]->interval) {
                stores[i]->interval = interval;
            }

            return stores[i];
        }
    }

    store = ngx_pcalloc(cf->pool, sizeof(ngx_http_recsys_store_t));
    if (store == NULL) {
        return NULL;
    }

    store->path.data = ngx_pnalloc(cf->pool, path->len + 1);
    if (store->path.data == NULL) {
        return NULL;
    }

    ngx_memcpy(store->path.data, path->data, path->len);
    store->path.data[path->len] = '\0';
    store->path.len = path->len;
    store->interval = interval;

    slot = ngx_array_push(&rmcf->stores);
    if (slot == NULL) {
        return NULL;
    }

    *slot = store;

    return store;
}


static ngx_http_recsys_main_conf_t *
ngx_http_recsys_store_conf(ngx_cycle_t *cycle)
{
    if (ngx_http_cycle_get_module_main_conf(cycle, ngx_http_module) == NULL)
    {
        return NULL;
    }

    return ngx_http_cycle_get_module_main_conf(cycle, ngx_http_recsys_module);
}


void
ngx_http_recsys_store_open_all(ngx_cycle_t *cycle)
{
    ngx_uint_t                    i;
    ngx_http_recsys_store_t     **stores;
    ngx_http_recsys_main_conf_t  *rmcf;

    rmcf = ngx_http_recsys_store_conf(cycle);
    if (rmcf == NULL) {
        return;
    }

    stores = rmcf->stores.elts;

    for (i = 0; i < rmcf->stores.nelts; i++) {
        ngx_http_recsys_store_check(stores[i], cycle->log);
    }
}


void
ngx_http_recsys_store_close_all(ngx_cycle_t *cycle)
{
    ngx_uint_t                    i;
    ngx_http_recsys_store_t     **stores;
    ngx_http_recsys_main_conf_t  *rmcf;

    rmcf = ngx_http_recsys_store_conf(cycle);
    if (rmcf == NULL) {
        return;
    }

    stores = rmcf->stores.elts;

    for (i = 0; i < rmcf->stores.nelts; i++) {
        recsys_model_close(stores[i]->model);
        stores[i]->model = NULL;
        recsys_scratch_destroy(stores[i]->scratch);
        stores[i]->scratch = NULL;
    }
}


recsys_model_t *
ngx_http_recsys_store_get(ngx_http_request_t *r,
    ngx_http_recsys_store_t *store)
{
    if (!store->checked
        || (ngx_msec_int_t) (ngx_current_msec - store->next_check) >= 0)
    {
        ngx_http_recsys_store_check(store, r->connection->log);
    }

    return store->model;
}


static void
ngx_http_recsys_store_check(ngx_http_recsys_store_t *store, ngx_log_t *log)
{
    int              rc;
    char             err[512];
    ngx_err_t        e;
    ngx_uint_t       level;
    uint32_t         n_items;
    ngx_file_info_t  fi;
    recsys_model_t  *model;

    store->checked = 1;
    store->next_check = ngx_current_msec + store->interval;

    if (ngx_file_info(store->path.data, &fi) == NGX_FILE_ERROR) {
        e = ngx_errno;

        if (!store->missing_logged) {
            store->missing_logged = 1;

            level = store->model ? NGX_LOG_WARN : NGX_LOG_ERR;

            ngx_log_error(level, log, e,
                          "recsys: model \"%V\" cannot be read%s",
                          &store->path,
                          store->model ? ", serving the loaded model"
                                       : ", answering 503");
        }

        return;
    }

    store->missing_logged = 0;

    if (store->model != NULL
        && fi.st_dev == store->dev && fi.st_ino == store->ino
        && fi.st_mtime == store->mtime && fi.st_size == store->size)
    {
        return;
    }

    if (fi.st_dev == store->bad_dev && fi.st_ino == store->bad_ino
        && fi.st_mtime == store->bad_mtime && fi.st_size == store->bad_size)
    {
        return;
    }

    rc = recsys_model_open((const char *) store->path.data, &model, err,
                           sizeof(err));
    if (rc != RECSYS_OK) {
        store->bad_dev = fi.st_dev;
        store->bad_ino = fi.st_ino;
        store->bad_mtime = fi.st_mtime;
        store->bad_size = fi.st_size;

        ngx_http_recsys_counters.refused++;

        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "recsys: model \"%V\" refused: %s (%s)%s",
                      &store->path, err, recsys_strerror(rc),
                      store->model ? ", serving the loaded model"
                                   : ", answering 503");
        return;
    }

    recsys_model_close(store->model);

    store->model = model;

    /* a session's scores, one double per item, per worker */
    n_items = recsys_model_header(model)->n_items;

    if (store->scratch == NULL
        || recsys_scratch_items(store->scratch) != n_items)
    {
        recsys_scratch_destroy(store->scratch);
        store->scratch = recsys_scratch_create(n_items);

        if (store->scratch == NULL) {
            ngx_log_error(NGX_LOG_WARN, log, 0,
                          "recsys: no memory for the session scores of "
                          "\"%V\", sessions use the request pool",
                          &store->path);
        }
    }

    store->dev = fi.st_dev;
    store->ino = fi.st_ino;
    store->mtime = fi.st_mtime;
    store->size = fi.st_size;
    store->loaded_at = ngx_time();
    ngx_http_recsys_counters.reloads++;

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "recsys: model \"%V\" loaded, id %s",
                  &store->path, recsys_model_id(model));
}
