/*
 * ngx_http_recsys_overrides.c: the overrides file in a worker, and the
 * recsys_overrides and recsys_diversity directives.
 *
 *   recsys_overrides PATH;     hide, erase, pin, boost (recsys_overrides.h)
 *   recsys_diversity 0..1;     the default of the diversity argument
 *
 * An overrides file is watched like the model: each worker reads it after
 * fork and, at most once per recsys_reload_interval, stat()s the path from
 * the request that comes along.  A new file (device, inode, size, mtime or
 * ctime differ) is read and parsed whole; only a valid one replaces the
 * rules in use.  A refused file is logged once, naming the file and the
 * line, and the previous rules go on applying (none, if there were none).
 * A missing file means no rules: removing it lifts them all.
 *
 * The rules name external ids; what a request reads is their view
 * resolved against the worker's current model (engine: recsys_ovr_view),
 * made when the rules are loaded and again by the first request after the
 * model changed.  A file is shared by the locations that name it with the
 * same model, per worker, in memory of its own (malloc), freed at exit.
 */

#include "ngx_http_recsys_events.h"
#include "ngx_http_recsys_module.h"


static ngx_int_t ngx_http_recsys_overrides_resolve(
    ngx_http_recsys_overrides_t *o, ngx_log_t *log);


struct ngx_http_recsys_overrides_s {
    ngx_str_t                 path;         /* NUL-terminated */
    ngx_msec_t                interval;
    ngx_msec_t                next_check;
    ngx_uint_t                checked;
    recsys_verify_id_t        id;           /* the file in use */
    ngx_uint_t                has_id;
    recsys_verify_id_t        bad;          /* the last file refused */
    ngx_uint_t                has_bad;
    ngx_uint_t                missing_logged;
    recsys_overrides_t       *rules;        /* NULL: none */
    ngx_http_recsys_store_t  *store;        /* the model they apply to */
    recsys_ovr_view_t        *view;         /* rules against its model */
    ngx_uint_t                view_generation;
};


/*
 * The one place where erasing a user reaches beyond the model: the user's
 * recent events in the live events zone, when one is configured, are
 * forgotten (each worker does it when it loads the file; forgetting twice
 * is harmless).  The id is not logged: the line is.
 */
static void
ngx_http_recsys_overrides_forget_events(const recsys_ovr_rule_t *erase,
    ngx_log_t *log)
{
    if (ngx_http_recsys_events_forget((ngx_cycle_t *) ngx_cycle,
                                      (const u_char *) erase->id,
                                      erase->id_len)
        == NGX_OK)
    {
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "recsys: overrides: the live events of the user "
                      "erased on line %uD were forgotten", erase->line);
    }
}


/* The overrides of this path and model already configured, or NULL. */
static ngx_http_recsys_overrides_t *
ngx_http_recsys_overrides_find(ngx_array_t *all, ngx_str_t *path,
    ngx_http_recsys_store_t *store)
{
    ngx_uint_t                     i;
    ngx_http_recsys_overrides_t  **o;

    o = all->elts;

    for (i = 0; i < all->nelts; i++) {
        if (o[i]->store == store
            && ngx_strcmp(o[i]->path.data, path->data) == 0)
        {
            return o[i];
        }
    }

    return NULL;
}


/*
 * path: a full name, NUL-terminated (ngx_conf_full_name made it).  One
 * object per file and model, so that each keeps its rules resolved.
 */
ngx_http_recsys_overrides_t *
ngx_http_recsys_overrides_add(ngx_conf_t *cf, ngx_str_t *path,
    ngx_msec_t interval, ngx_http_recsys_store_t *store)
{
    ngx_http_recsys_overrides_t   *o, **slot;
    ngx_http_recsys_main_conf_t   *rmcf;

    rmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_recsys_module);

    if (rmcf->overrides.elts == NULL
        && ngx_array_init(&rmcf->overrides, cf->pool, 2,
                          sizeof(ngx_http_recsys_overrides_t *))
           != NGX_OK)
    {
        return NULL;
    }

    o = ngx_http_recsys_overrides_find(&rmcf->overrides, path, store);

    if (o == NULL) {
        slot = ngx_array_push(&rmcf->overrides);
        o = ngx_pcalloc(cf->pool, sizeof(ngx_http_recsys_overrides_t));

        if (slot == NULL || o == NULL) {
            return NULL;
        }

        *slot = o;
        o->path = *path;
        o->interval = interval;
        o->store = store;
    }

    o->interval = ngx_min(o->interval, interval);

    return o;
}


/*
 * Reads the whole file into malloc()ed memory; NULL with errno set, and
 * *why set too when the path is no regular file.  The open does not block
 * (a FIFO at the path would hold the worker); a regular file, the only
 * kind read, ignores O_NONBLOCK.
 */
static u_char *
ngx_http_recsys_overrides_read(ngx_http_recsys_overrides_t *o, size_t *len,
    const char **why)
{
    u_char           *buf;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_err_t         e;
    ngx_file_info_t   fi;

    *why = NULL;

    fd = ngx_open_file(o->path.data, NGX_FILE_RDONLY | NGX_FILE_NONBLOCK,
                       NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        return NULL;
    }

    buf = NULL;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        goto failed;
    }

    if (!ngx_is_file(&fi)) {
        *why = "not a regular file";
        ngx_set_errno(NGX_EINVAL);
        goto failed;
    }

    if (ngx_file_size(&fi) > RECSYS_OVR_MAX_BYTES) {
        ngx_set_errno(EFBIG);
        goto failed;
    }

    *len = (size_t) ngx_file_size(&fi);
    buf = malloc(*len + 1);
    if (buf == NULL) {
        goto failed;
    }

    n = *len > 0 ? read(fd, buf, *len) : 0;
    if (n < 0 || (size_t) n != *len) {
        if (n >= 0) {
            ngx_set_errno(NGX_EAGAIN);      /* changed while read */
        }

        goto failed;
    }

    ngx_close_file(fd);

    return buf;

failed:

    e = ngx_errno;
    free(buf);
    ngx_close_file(fd);
    ngx_set_errno(e);

    return NULL;
}


/* The rules of a valid file replace those in use. */
static void
ngx_http_recsys_overrides_install(ngx_http_recsys_overrides_t *o,
    recsys_overrides_t *rules, ngx_log_t *log)
{
    uint32_t  k;

    recsys_ovr_view_free(o->view);
    o->view = NULL;
    recsys_overrides_free(o->rules);
    o->rules = rules;

    for (k = 0; rules != NULL && k < rules->n_rules; k++) {
        if (rules->rules[k].kind == RECSYS_OVR_ERASE) {
            ngx_http_recsys_overrides_forget_events(&rules->rules[k], log);
        }
    }

    if (rules == NULL) {
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "recsys: overrides \"%V\" removed, no rules apply",
                      &o->path);
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "recsys: overrides \"%V\" loaded: %uD hide, %uD erase, "
                  "%uD pin, %uD boost",
                  &o->path, rules->n[RECSYS_OVR_HIDE],
                  rules->n[RECSYS_OVR_ERASE], rules->n[RECSYS_OVR_PIN],
                  rules->n[RECSYS_OVR_BOOST]);
}


/* Reads and parses the file id; only a valid one is installed. */
static void
ngx_http_recsys_overrides_load(ngx_http_recsys_overrides_t *o,
    const recsys_verify_id_t *id, ngx_log_t *log)
{
    int                  rc;
    char                 err[128];
    size_t               len;
    u_char              *buf;
    uint32_t             line;
    const char          *why;
    recsys_overrides_t  *rules;

    buf = ngx_http_recsys_overrides_read(o, &len, &why);
    if (buf == NULL) {
        if (why != NULL) {
            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "recsys: overrides \"%V\" refused: %s, "
                          "the previous rules still apply", &o->path, why);
        } else {
            ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                          "recsys: overrides \"%V\" refused: cannot be "
                          "read, the previous rules still apply", &o->path);
        }

        o->bad = *id;
        o->has_bad = 1;
        return;
    }

    rc = recsys_overrides_parse((const char *) buf, len, &rules, &line, err,
                                sizeof(err));
    free(buf);

    if (rc != RECSYS_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "recsys: overrides \"%V\" refused: line %uD: %s, "
                      "the previous rules still apply",
                      &o->path, line, err);
        o->bad = *id;
        o->has_bad = 1;
        return;
    }

    o->id = *id;
    o->has_id = 1;
    o->has_bad = 0;
    ngx_http_recsys_overrides_install(o, rules, log);

    /* resolved now rather than by the next request (a request that finds
     * it undone, out of memory here, tries again) */
    (void) ngx_http_recsys_overrides_resolve(o, log);
}


static void
ngx_http_recsys_overrides_check(ngx_http_recsys_overrides_t *o,
    ngx_log_t *log)
{
    ngx_file_info_t     fi;
    recsys_verify_id_t  id;

    o->checked = 1;
    o->next_check = ngx_current_msec + o->interval;

    if (ngx_file_info(o->path.data, &fi) == NGX_FILE_ERROR) {
        if (!o->missing_logged) {
            o->missing_logged = 1;
            ngx_log_error(NGX_LOG_WARN, log, ngx_errno,
                          "recsys: overrides \"%V\" cannot be read, no "
                          "rules apply", &o->path);
        }

        if (o->rules != NULL) {
            ngx_http_recsys_overrides_install(o, NULL, log);
        }

        o->has_id = 0;
        return;
    }

    o->missing_logged = 0;
    recsys_verify_stat_id(&fi, &id);

    if ((o->has_id && recsys_verify_same(&id, &o->id))
        || (o->has_bad && recsys_verify_same(&id, &o->bad)))
    {
        return;
    }

    ngx_http_recsys_overrides_load(o, &id, log);
}


/*
 * The rules resolved against the store's model, made again when either
 * changed: NGX_OK (o->view NULL: no rules or no model), or NGX_ERROR when
 * out of memory.
 */
static ngx_int_t
ngx_http_recsys_overrides_resolve(ngx_http_recsys_overrides_t *o,
    ngx_log_t *log)
{
    if (o->rules == NULL || o->store->model == NULL) {
        recsys_ovr_view_free(o->view);
        o->view = NULL;
        return NGX_OK;
    }

    if (o->view != NULL && o->view_generation == o->store->generation) {
        return NGX_OK;
    }

    recsys_ovr_view_free(o->view);
    o->view = NULL;

    if (recsys_ovr_view_make(o->rules, o->store->model, &o->view)
        != RECSYS_OK)
    {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "recsys: no memory for the overrides \"%V\"",
                      &o->path);
        return NGX_ERROR;
    }

    o->view_generation = o->store->generation;

    if (o->view->n_unresolved_filters > 0) {
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "recsys: overrides \"%V\": %uD filter(s) name a "
                      "field or a value model \"%s\" does not take (the "
                      "first on line %uD), their rules are left out",
                      &o->path, o->view->n_unresolved_filters,
                      recsys_model_id(o->store->model),
                      o->view->unresolved_line);
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_recsys_overrides_view(ngx_http_request_t *r,
    ngx_http_recsys_overrides_t *o, const recsys_ovr_view_t **view)
{
    *view = NULL;

    if (o == NULL) {
        return NGX_OK;
    }

    if (!o->checked
        || (ngx_msec_int_t) (ngx_current_msec - o->next_check) >= 0)
    {
        ngx_http_recsys_overrides_check(o, ngx_cycle->log);
    }

    /* never an answer without the takedowns: a 500 instead */
    if (ngx_http_recsys_overrides_resolve(o, r->connection->log) != NGX_OK) {
        return NGX_ERROR;
    }

    *view = o->view;

    return NGX_OK;
}


static void
ngx_http_recsys_overrides_free(ngx_http_recsys_overrides_t *o,
    ngx_log_t *log)
{
    recsys_ovr_view_free(o->view);
    o->view = NULL;
    recsys_overrides_free(o->rules);
    o->rules = NULL;
}


/* Calls fn on every overrides file of the cycle's configuration. */
static void
ngx_http_recsys_overrides_each(ngx_cycle_t *cycle,
    void (*fn)(ngx_http_recsys_overrides_t *o, ngx_log_t *log))
{
    ngx_uint_t                     i;
    ngx_http_recsys_overrides_t  **all;
    ngx_http_recsys_main_conf_t   *rmcf;

    if (ngx_http_cycle_get_module_main_conf(cycle, ngx_http_module) == NULL)
    {
        return;
    }

    rmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_recsys_module);
    if (rmcf == NULL || rmcf->overrides.elts == NULL) {
        return;
    }

    all = rmcf->overrides.elts;

    for (i = 0; i < rmcf->overrides.nelts; i++) {
        fn(all[i], cycle->log);
    }
}


void
ngx_http_recsys_overrides_open_all(ngx_cycle_t *cycle)
{
    ngx_http_recsys_overrides_each(cycle, ngx_http_recsys_overrides_check);
}


void
ngx_http_recsys_overrides_close_all(ngx_cycle_t *cycle)
{
    ngx_http_recsys_overrides_each(cycle, ngx_http_recsys_overrides_free);
}


/* recsys_diversity 0..1: a decimal with at most 4 decimals. */
char *
ngx_http_recsys_diversity_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_recsys_loc_conf_t *rlcf = conf;

    ngx_str_t  *value;

    if (rlcf->diversity >= 0.0f) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_recsys_parse_diversity(value[1].data, value[1].len,
                                        &rlcf->diversity)
        != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "recsys_diversity: \"%V\" is not a decimal "
                           "from 0 to 1", &value[1]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}

