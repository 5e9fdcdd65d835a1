/*
 * ngx_http_recsys_store.c: the model lifecycle in a worker.
 *
 * A store is one model path.  Each worker opens its models after fork and,
 * at most once per recsys_reload_interval, stat()s the path from the
 * request that comes along.  A new file (device, inode, size, mtime or
 * ctime differ) is verified (recsys_verify: the checksum seal, LMDB's meta
 * pages and every B-tree page, read with pread so that a short or damaged
 * file can neither crash nor hang the worker), then opened and validated
 * by the engine, and only then replaces the model in use, which is closed
 * at once; no request holds a pointer into a model past its handler.
 *
 * Verification reads the whole file.  While a worker serves a model, the
 * next one is verified in steps of NGX_HTTP_RECSYS_VERIFY_STEP bytes run
 * from a timer, so requests go on being answered in between; a worker with
 * no model yet verifies at once.  What one worker verified the others
 * (and the workers of the next configuration) open without reading it
 * again, and a file that killed a worker while it was being checked or
 * opened is quarantined for all of them: ngx_http_recsys_files.c.
 *
 * A refused file is logged once and ignored until it changes or
 * NGX_HTTP_RECSYS_RETRY passes (a permission fixed by chmod changes its
 * ctime, so it is retried at once); the old model goes on serving.  With
 * no usable model the handler answers 503.  These are the worker's events,
 * not a request's: they are logged on the cycle's log, without a request
 * line.
 */

#include "ngx_http_recsys_module.h"


#define NGX_HTTP_RECSYS_VERIFY_STEP  (4 * 1024 * 1024)
#define NGX_HTTP_RECSYS_RETRY        60000


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

    store->counters = &rmcf->counters;
    store->files = ngx_http_recsys_files_add(cf);
    if (store->files == NULL) {
        return NULL;
    }

#if (NGX_THREADS)
    store->thread_pool = ngx_thread_pool_add(cf, NULL);
    store->open_task = ngx_thread_task_alloc(cf->pool, 0);

    if (store->thread_pool == NULL || store->open_task == NULL) {
        return NULL;
    }
#endif

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


/* Calls fn on every store of the cycle's configuration. */
static void
ngx_http_recsys_store_each(ngx_cycle_t *cycle,
    void (*fn)(ngx_http_recsys_store_t *store, ngx_log_t *log))
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
        fn(stores[i], cycle->log);
    }
}


static void
ngx_http_recsys_store_close(ngx_http_recsys_store_t *store, ngx_log_t *log)
{
    if (store->verify_ev.timer_set) {
        ngx_del_timer(&store->verify_ev);
    }

    if (store->opening) {
        /*
         * the worker exits while a thread opens the next file: it leaves
         * the step alive, so the file is no suspect (the pid left behind
         * would have the next workers quarantine a good file); the thread's
         * model goes with the process
         */
        ngx_http_recsys_files_leave(store->files, &store->open_job.id, 0);
        store->opening = 0;
    }

    recsys_verify_close(store->verify);
    store->verify = NULL;
    recsys_model_close(store->model);
    store->model = NULL;
    recsys_scratch_destroy(store->scratch);
    store->scratch = NULL;
}


void
ngx_http_recsys_store_open_all(ngx_cycle_t *cycle)
{
    ngx_http_recsys_store_each(cycle, ngx_http_recsys_store_check);
}


void
ngx_http_recsys_store_close_all(ngx_cycle_t *cycle)
{
    ngx_http_recsys_store_each(cycle, ngx_http_recsys_store_close);
}


recsys_model_t *
ngx_http_recsys_store_get(ngx_http_request_t *r,
    ngx_http_recsys_store_t *store)
{
    if (!store->checked
        || (ngx_msec_int_t) (ngx_current_msec - store->next_check) >= 0)
    {
        ngx_http_recsys_store_check(store, ngx_cycle->log);
    }

    return store->model;
}


static const char *
ngx_http_recsys_store_meanwhile(ngx_http_recsys_store_t *store)
{
    return store->model ? ", serving the loaded model" : ", answering 503";
}


/* Remembers a refused file so it is not read again before it changes or
 * the retry time passes; why NULL: quarantined. */
static void
ngx_http_recsys_store_refuse(ngx_http_recsys_store_t *store,
    const recsys_verify_id_t *id, ngx_log_t *log, const char *why, int rc)
{
    store->bad = *id;
    store->has_bad = 1;
    store->bad_retry = ngx_current_msec + NGX_HTTP_RECSYS_RETRY;

    store->counters->refused++;

    if (why == NULL) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "recsys: model \"%V\" quarantined: a worker died "
                      "while checking or opening this file, it is not "
                      "opened again until it changes%s",
                      &store->path, ngx_http_recsys_store_meanwhile(store));
        return;
    }

    ngx_log_error(NGX_LOG_ERR, log, 0,
                  "recsys: model \"%V\" refused: %s (%s)%s",
                  &store->path, why, recsys_strerror(rc),
                  ngx_http_recsys_store_meanwhile(store));
}


/* The validated model replaces the one in use. */
static void
ngx_http_recsys_store_install(ngx_http_recsys_store_t *store,
    recsys_model_t *model, const recsys_verify_id_t *id, ngx_log_t *log)
{
    uint32_t  n_items;

    recsys_model_close(store->model);

    store->model = model;
    store->generation++;
    store->id = *id;
    store->has_bad = 0;

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

    store->loaded_at = ngx_time();
    store->counters->reloads++;

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "recsys: model \"%V\" loaded, id %s",
                  &store->path, recsys_model_id(model));
}


/*
 * Opening a verified file: LMDB is given the descriptor opened here and
 * checked to be that file (through /proc/self/fd, where there is one), so
 * a file renamed over the path in between is never taken for the verified
 * one.  The open validates every list of the model (a quarter of a second
 * for a 1.3 GB file), so while a model is served it runs in a thread of
 * nginx's default thread pool, where there are threads; the worker goes on
 * answering and installs the new model when the thread is done.
 */
static ngx_int_t
ngx_http_recsys_store_open_begin(ngx_http_recsys_store_open_t *job,
    ngx_http_recsys_store_t *store, const recsys_verify_id_t *id,
    ngx_log_t *log)
{
    ngx_uint_t          verified;
    ngx_file_info_t     fi;
    recsys_verify_id_t  now;

    job->store = store;
    job->id = *id;
    job->model = NULL;

    /* not blocking: the path may have become a FIFO since the check */
    job->fd = ngx_open_file(store->path.data,
                            NGX_FILE_RDONLY | NGX_FILE_NONBLOCK,
                            NGX_FILE_OPEN, 0);
    if (job->fd == NGX_INVALID_FILE) {
        ngx_http_recsys_store_refuse(store, id, log, strerror(ngx_errno),
                                     RECSYS_EIO);
        return NGX_DECLINED;
    }

    if (ngx_fd_info(job->fd, &fi) == NGX_FILE_ERROR) {
        ngx_close_file(job->fd);
        return NGX_DECLINED;
    }

    recsys_verify_stat_id(&fi, &now);

    if (!recsys_verify_same(&now, id)) {
        /* replaced since it was verified: the next check takes the new
         * file from the start */
        ngx_close_file(job->fd);
        return NGX_DECLINED;
    }

    snprintf(job->path, sizeof(job->path), "/proc/self/fd/%d", job->fd);

    if (access(job->path, R_OK) != 0) {
        snprintf(job->path, sizeof(job->path), "%s",
                 (const char *) store->path.data);
    }

    if (ngx_http_recsys_files_enter(store->files, id, &verified)
        == NGX_DECLINED)
    {
        ngx_close_file(job->fd);
        ngx_http_recsys_store_refuse(store, id, log, NULL, RECSYS_OK);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* The open itself: no nginx call, so it may run in a thread. */
static void
ngx_http_recsys_store_open_run(void *data, ngx_log_t *log)
{
    ngx_http_recsys_store_open_t  *job;

    job = data;
    job->rc = recsys_model_open(job->path, &job->model, job->err,
                                sizeof(job->err));
}


/* Back in the worker: the model installed, or the file refused. */
static void
ngx_http_recsys_store_open_end(ngx_http_recsys_store_open_t *job,
    ngx_log_t *log)
{
    ngx_http_recsys_files_leave(job->store->files, &job->id, 0);
    ngx_close_file(job->fd);
    job->store->opening = 0;

    if (job->rc != RECSYS_OK) {
        ngx_http_recsys_store_refuse(job->store, &job->id, log, job->err,
                                     job->rc);
        return;
    }

    ngx_http_recsys_store_install(job->store, job->model, &job->id, log);
}


#if (NGX_THREADS)

static void
ngx_http_recsys_store_open_done(ngx_event_t *ev)
{
    ngx_http_recsys_store_open_end(ev->data, ev->log);
}


/* Posts the open to the thread pool: NGX_OK, or NGX_DECLINED to run it
 * here. */
static ngx_int_t
ngx_http_recsys_store_open_post(ngx_http_recsys_store_t *store)
{
    ngx_thread_task_t  *task;

    task = store->open_task;

    if (store->thread_pool == NULL || store->model == NULL || task == NULL) {
        return NGX_DECLINED;
    }

    task->ctx = &store->open_job;
    task->handler = ngx_http_recsys_store_open_run;
    task->event.data = &store->open_job;
    task->event.handler = ngx_http_recsys_store_open_done;
    task->event.log = ngx_cycle->log;

    if (ngx_thread_task_post(store->thread_pool, task) != NGX_OK) {
        return NGX_DECLINED;
    }

    store->opening = 1;

    return NGX_OK;
}

#endif


/* Opens the verified file id as the model, in a thread when it can. */
static void
ngx_http_recsys_store_open(ngx_http_recsys_store_t *store,
    const recsys_verify_id_t *id, ngx_log_t *log)
{
    if (ngx_http_recsys_store_open_begin(&store->open_job, store, id, log)
        != NGX_OK)
    {
        return;
    }

#if (NGX_THREADS)
    if (ngx_http_recsys_store_open_post(store) == NGX_OK) {
        return;
    }
#endif

    ngx_http_recsys_store_open_run(&store->open_job, log);
    ngx_http_recsys_store_open_end(&store->open_job, log);
}


/*
 * One step of the verification in progress (at most about budget bytes):
 * NGX_AGAIN while work remains, NGX_OK once the file is opened or refused.
 */
static ngx_int_t
ngx_http_recsys_store_verify_step(ngx_http_recsys_store_t *store,
    ngx_log_t *log, size_t budget)
{
    int                 rc;
    char                why[512];
    ngx_uint_t          verified;
    recsys_verify_id_t  id;

    id = *recsys_verify_id(store->verify);

    if (ngx_http_recsys_files_enter(store->files, &id, &verified)
        == NGX_DECLINED)
    {
        recsys_verify_close(store->verify);
        store->verify = NULL;
        ngx_http_recsys_store_refuse(store, &id, log, NULL, RECSYS_OK);
        return NGX_OK;
    }

    /* another worker may have finished the same file meanwhile */
    rc = verified ? RECSYS_OK
                  : recsys_verify_step(store->verify, budget, why,
                                       sizeof(why));

    ngx_http_recsys_files_leave(store->files, &id, rc == RECSYS_OK);

    if (rc == 1) {
        return NGX_AGAIN;
    }

    recsys_verify_close(store->verify);
    store->verify = NULL;

    if (rc != RECSYS_OK) {
        ngx_http_recsys_store_refuse(store, &id, log, why, rc);
        return NGX_OK;
    }

    ngx_http_recsys_store_open(store, &id, log);

    return NGX_OK;
}


static void
ngx_http_recsys_store_verify_handler(ngx_event_t *ev)
{
    ngx_http_recsys_store_t  *store;

    store = ev->data;

    if (store->verify != NULL
        && ngx_http_recsys_store_verify_step(store, ev->log,
                                             NGX_HTTP_RECSYS_VERIFY_STEP)
           == NGX_AGAIN)
    {
        ngx_add_timer(ev, 1);
    }
}


/* Starts verifying the file id (or opens it, if a worker verified it). */
static void
ngx_http_recsys_store_start(ngx_http_recsys_store_t *store,
    const recsys_verify_id_t *id, ngx_log_t *log)
{
    int               rc;
    char              why[512];
    ngx_uint_t        verified;
    recsys_verify_t  *v;

    if (ngx_http_recsys_files_enter(store->files, id, &verified)
        == NGX_DECLINED)
    {
        ngx_http_recsys_store_refuse(store, id, log, NULL, RECSYS_OK);
        return;
    }

    if (verified) {
        ngx_http_recsys_files_leave(store->files, id, 0);
        ngx_http_recsys_store_open(store, id, log);
        return;
    }

    rc = recsys_verify_open((const char *) store->path.data, &v, why,
                            sizeof(why));

    ngx_http_recsys_files_leave(store->files, id, 0);

    if (rc != RECSYS_OK) {
        ngx_http_recsys_store_refuse(store, id, log, why, rc);
        return;
    }

    store->verify = v;

    if (store->model == NULL) {
        /* nothing to serve meanwhile: all at once */
        while (ngx_http_recsys_store_verify_step(store, log, (size_t) -1)
               == NGX_AGAIN)
        {
            /* void */
        }

        return;
    }

    store->verify_ev.handler = ngx_http_recsys_store_verify_handler;
    store->verify_ev.data = store;
    store->verify_ev.log = ngx_cycle->log;
    store->verify_ev.cancelable = 1;

    ngx_add_timer(&store->verify_ev, 1);
}


static void
ngx_http_recsys_store_check(ngx_http_recsys_store_t *store, ngx_log_t *log)
{
    ngx_err_t           e;
    ngx_uint_t          level;
    ngx_file_info_t     fi;
    recsys_verify_id_t  id;

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
                          ngx_http_recsys_store_meanwhile(store));
        }

        return;
    }

    store->missing_logged = 0;

    recsys_verify_stat_id(&fi, &id);

    if (store->model != NULL && recsys_verify_same(&id, &store->id))
    {
        return;
    }

    if (store->has_bad && recsys_verify_same(&id, &store->bad)
        && (ngx_msec_int_t) (ngx_current_msec - store->bad_retry) < 0)
    {
        return;
    }

    if (store->opening) {
        return;                 /* the next check sees what came since */
    }

    if (store->verify != NULL) {
        if (recsys_verify_same(&id, recsys_verify_id(store->verify)))
        {
            return;             /* in progress */
        }

        /* replaced while being verified: start over with the new one */
        if (store->verify_ev.timer_set) {
            ngx_del_timer(&store->verify_ev);
        }

        recsys_verify_close(store->verify);
        store->verify = NULL;
    }

    ngx_http_recsys_store_start(store, &id, log);
}
