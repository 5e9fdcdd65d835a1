/*
 * ngx_http_recsys_module.c: directives, configuration and process hooks.
 *
 *   recsys;                          content handler for this location
 *   recsys_model PATH;               the published model file
 *   recsys_user VALUE;               complex value; default: the user arg
 *   recsys_algo VALUE;               complex value; default (and empty):
 *                                    hybrid
 *   recsys_filter VALUE;             complex value: an attribute filter
 *                                    ANDed with the request's filter=
 *   recsys_default_n N;  recsys_max_n N;  recsys_max_list N;
 *   recsys_max_history N;            history items scored per request
 *   recsys_explain_history N;        newest history items explain=1 credits
 *   recsys_max_neighbors N;          neighbours walked per history item
 *   recsys_weights SRC=W ...;        hybrid weights over the model's
 *   recsys_reload_interval TIME;     how often a worker stats the path
 *   recsys_cache_ttl TIME;           Cache-Control max-age, 0: none
 *   recsys_overrides PATH;           hide, erase, pin, boost (a text file)
 *   recsys_diversity 0..1;           default of the diversity argument
 *   recsys_status;                   in another location: JSON status
 *   recsys_items;                    the catalogue (ngx_http_recsys_items.c)
 *
 * Every default is written once, in merge_loc_conf.  Models are opened in
 * each worker after fork (init_process) and closed at exit.
 */

#include "ngx_http_recsys_module.h"


static void *ngx_http_recsys_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_recsys_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_recsys_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_recsys(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_recsys_status(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_recsys_preconfiguration(ngx_conf_t *cf);
static char *ngx_http_recsys_merge_weights(ngx_conf_t *cf,
    ngx_http_recsys_loc_conf_t *conf);
static char *ngx_http_recsys_weights_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_recsys_algo_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_recsys_init_process(ngx_cycle_t *cycle);
static void ngx_http_recsys_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_recsys_commands[] = {

    { ngx_string("recsys"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_recsys,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("recsys_items"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_recsys,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      ngx_http_recsys_items_handler },

    { ngx_string("recsys_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_recsys_status,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("recsys_model"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_recsys_loc_conf_t, model_path),
      NULL },

    { ngx_string("recsys_user"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_recsys_loc_conf_t, user),
      NULL },

    { ngx_string("recsys_algo"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_recsys_algo_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_recsys_loc_conf_t, algo),
      NULL },

    { ngx_string("recsys_filter"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_recsys_loc_conf_t, filter),
      NULL },

    { ngx_string("recsys_default_n"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_recsys_loc_conf_t, default_n),
      NULL },

    { ngx_string("recsys_max_n"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_recsys_loc_conf_t, max_n),
      NULL },

    { ngx_string("recsys_max_list"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_recsys_loc_conf_t, max_list),
      NULL },

    { ngx_string("recsys_max_history"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_recsys_loc_conf_t, max_history),
      NULL },

    { ngx_string("recsys_explain_history"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_recsys_loc_conf_t, explain_history),
      NULL },

    { ngx_string("recsys_max_neighbors"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_recsys_loc_conf_t, max_nbrs),
      NULL },

    { ngx_string("recsys_session_neighbors"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_recsys_loc_conf_t, session_nbrs),
      NULL },

    { ngx_string("recsys_weights"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_recsys_weights_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_recsys_loc_conf_t, weights),
      NULL },

    { ngx_string("recsys_reload_interval"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_recsys_loc_conf_t, reload_interval),
      NULL },

    { ngx_string("recsys_cache_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_recsys_loc_conf_t, cache_ttl),
      NULL },

    { ngx_string("recsys_overrides"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_recsys_loc_conf_t, overrides_path),
      NULL },

    { ngx_string("recsys_diversity"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_recsys_diversity_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_recsys_module_ctx = {
    ngx_http_recsys_preconfiguration,      /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_recsys_create_main_conf,      /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_recsys_create_loc_conf,       /* create location configuration */
    ngx_http_recsys_merge_loc_conf         /* merge location configuration */
};


ngx_module_t  ngx_http_recsys_module = {
    NGX_MODULE_V1,
    &ngx_http_recsys_module_ctx,           /* module context */
    ngx_http_recsys_commands,              /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_recsys_init_process,          /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_recsys_exit_process,          /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_recsys_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_recsys_main_conf_t  *rmcf;

    rmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_recsys_main_conf_t));
    if (rmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&rmcf->stores, cf->pool, 4,
                       sizeof(ngx_http_recsys_store_t *))
        != NGX_OK)
    {
        return NULL;
    }

    return rmcf;
}


static void *
ngx_http_recsys_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_recsys_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_recsys_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->model_path = { 0, NULL };
     *     conf->store = NULL;
     *     conf->enable = 0;
     */

    conf->user = NGX_CONF_UNSET_PTR;
    conf->algo = NGX_CONF_UNSET_PTR;
    conf->filter = NGX_CONF_UNSET_PTR;
    conf->default_n = NGX_CONF_UNSET_UINT;
    conf->max_n = NGX_CONF_UNSET_UINT;
    conf->max_list = NGX_CONF_UNSET_UINT;
    conf->max_history = NGX_CONF_UNSET_UINT;
    conf->max_nbrs = NGX_CONF_UNSET_UINT;
    conf->session_nbrs = NGX_CONF_UNSET_UINT;
    conf->explain_history = NGX_CONF_UNSET_UINT;
    conf->weights = NGX_CONF_UNSET_PTR;
    conf->reload_interval = NGX_CONF_UNSET_MSEC;
    conf->cache_ttl = NGX_CONF_UNSET;
    conf->diversity = -1.0f;

    return conf;
}


/*
 * A CRC of the location's settings that shape an answer beyond its query
 * (the default n, the history and neighbour bounds, the blend's weights):
 * part of the ETag, so that a reload that changes them does not leave
 * clients revalidating an answer of the settings before.  The diversity,
 * the filter and the overrides go into the ETag on their own.
 */
static uint32_t
ngx_http_recsys_settings_crc(ngx_http_recsys_loc_conf_t *conf)
{
    uint32_t     crc;
    ngx_str_t   *w;
    ngx_uint_t   k, v[5];

    v[0] = conf->default_n;
    v[1] = conf->max_history;
    v[2] = conf->max_nbrs;
    v[3] = conf->session_nbrs;
    v[4] = conf->explain_history;

    ngx_crc32_init(crc);
    ngx_crc32_update(&crc, (u_char *) v, sizeof(v));

    for (k = 0; conf->weights != NULL && k < conf->weights->nelts; k++) {
        w = (ngx_str_t *) conf->weights->elts + k;
        ngx_crc32_update(&crc, w->data, w->len);
        ngx_crc32_update(&crc, (u_char *) " ", 1);
    }

    ngx_crc32_final(crc);

    return crc;
}


static char *
ngx_http_recsys_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_recsys_loc_conf_t *prev = parent;
    ngx_http_recsys_loc_conf_t *conf = child;

    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->lmt_excpt) {
        /*
         * a limit_except block, where no directive of this module can be:
         * the methods it lets through get the location's handler, as
         * nginx's proxy module does, and everything else is inherited
         */
        conf->enable = prev->enable;
        conf->handler = prev->handler;

        if (clcf->handler == NULL) {
            clcf->handler = conf->handler;
        }
    }

    ngx_conf_merge_str_value(conf->model_path, prev->model_path, "");
    ngx_conf_merge_ptr_value(conf->user, prev->user, NULL);
    ngx_conf_merge_ptr_value(conf->algo, prev->algo, NULL);
    ngx_conf_merge_ptr_value(conf->filter, prev->filter, NULL);
    ngx_conf_merge_uint_value(conf->default_n, prev->default_n, 10);
    ngx_conf_merge_uint_value(conf->max_n, prev->max_n, 100);
    ngx_conf_merge_uint_value(conf->max_list, prev->max_list, 100);
    ngx_conf_merge_uint_value(conf->max_history, prev->max_history, 50);
    ngx_conf_merge_uint_value(conf->max_nbrs, prev->max_nbrs, 50);
    ngx_conf_merge_uint_value(conf->session_nbrs, prev->session_nbrs, 300);
    ngx_conf_merge_uint_value(conf->explain_history, prev->explain_history,
                              20);
    ngx_conf_merge_ptr_value(conf->weights, prev->weights, NULL);
    ngx_conf_merge_str_value(conf->overrides_path, prev->overrides_path, "");

    if (conf->diversity < 0.0f) {
        conf->diversity = prev->diversity < 0.0f ? 0.0f : prev->diversity;
    }

    if (ngx_http_recsys_merge_weights(cf, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    if (conf->max_history < 1 || conf->max_history > 1000
        || conf->max_nbrs < 1 || conf->max_nbrs > 1000
        || conf->explain_history < 1 || conf->explain_history > 1000)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "recsys_max_history, recsys_max_neighbors and "
                           "recsys_explain_history must be from 1 to 1000");
        return NGX_CONF_ERROR;
    }

    if (conf->session_nbrs > 1000000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "recsys_session_neighbors must be from 0 (no "
                           "bound) to 1000000, not %ui", conf->session_nbrs);
        return NGX_CONF_ERROR;
    }

    ngx_conf_merge_msec_value(conf->reload_interval, prev->reload_interval,
                              1000);
    ngx_conf_merge_sec_value(conf->cache_ttl, prev->cache_ttl, 0);

    if (conf->max_n < 1 || conf->max_n > 10000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "recsys_max_n must be from 1 to 10000, not %ui",
                           conf->max_n);
        return NGX_CONF_ERROR;
    }

    if (conf->default_n < 1 || conf->default_n > conf->max_n) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "recsys_default_n must be from 1 to "
                           "recsys_max_n (%ui), not %ui",
                           conf->max_n, conf->default_n);
        return NGX_CONF_ERROR;
    }

    if (conf->max_list < 1 || conf->max_list > 10000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "recsys_max_list must be from 1 to 10000, "
                           "not %ui", conf->max_list);
        return NGX_CONF_ERROR;
    }

    if (!conf->enable) {
        return NGX_CONF_OK;
    }

    if (conf->model_path.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"recsys\" needs \"recsys_model\" in the same "
                           "location or above it");
        return NGX_CONF_ERROR;
    }

    if (ngx_conf_full_name(cf->cycle, &conf->model_path, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    conf->store = ngx_http_recsys_store_add(cf, &conf->model_path,
                                            conf->reload_interval);
    if (conf->store == NULL) {
        return NGX_CONF_ERROR;
    }

    conf->settings_crc = ngx_http_recsys_settings_crc(conf);

    /* a shared cache keys on the URL: an answer for a user, or one that
     * a variable shapes (a cookie, a header, GeoIP), is private */
    conf->private_answers = conf->user != NULL
                            || (conf->algo != NULL
                                && conf->algo->lengths != NULL)
                            || (conf->filter != NULL
                                && conf->filter->lengths != NULL);

    if (conf->overrides_path.len > 0
        && (ngx_conf_full_name(cf->cycle, &conf->overrides_path, 0) != NGX_OK
            || (conf->overrides = ngx_http_recsys_overrides_add(cf,
                                      &conf->overrides_path,
                                      conf->reload_interval, conf->store))
               == NULL))
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * recsys_algo VALUE: a complex value.  A constant one must be a name that
 * can be an algorithm: the registry's, or one an imported source may have
 * (only the model says whether it has it); an empty one is the default.
 */
static char *
ngx_http_recsys_algo_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_recsys_loc_conf_t *rlcf = conf;

    char       *rv;
    ngx_str_t  *name;

    rv = ngx_http_set_complex_value_slot(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    name = &rlcf->algo->value;

    if (rlcf->algo->lengths == NULL
        && name->len > 0
        && recsys_query_algo_parse((const char *) name->data, name->len) < 0
        && !recsys_source_import_name_ok((const char *) name->data,
                                         name->len))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "recsys_algo \"%V\" is no algorithm: hybrid, "
                           "next, a source's name or an imported source's "
                           "([a-z0-9_])", name);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* recsys_weights SRC=W ...: every argument kept, checked at merge. */
static char *
ngx_http_recsys_weights_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_recsys_loc_conf_t *rlcf = conf;

    ngx_str_t   *value, *w;
    ngx_uint_t   i;

    if (rlcf->weights != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    rlcf->weights = ngx_array_create(cf->pool, cf->args->nelts,
                                     sizeof(ngx_str_t));
    if (rlcf->weights == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        w = ngx_array_push(rlcf->weights);
        if (w == NULL) {
            return NGX_CONF_ERROR;
        }

        *w = value[i];
    }

    return NGX_CONF_OK;
}


/* recsys_weights itemcf=0.5 content=0.3 ...: parsed once, here. */
static char *
ngx_http_recsys_merge_weights(ngx_conf_t *cf,
    ngx_http_recsys_loc_conf_t *conf)
{
    int          s;
    u_char      *eq;
    ngx_str_t   *value;
    ngx_uint_t   i;

    for (s = 0; s < RECSYS_NSRC; s++) {
        conf->weight[s] = -1.0f;
    }

    conf->has_weights = 0;

    if (conf->weights == NULL) {
        return NGX_CONF_OK;
    }

    value = conf->weights->elts;

    for (i = 0; i < conf->weights->nelts; i++) {
        eq = ngx_strlchr(value[i].data, value[i].data + value[i].len, '=');
        s = eq ? recsys_source_parse((const char *) value[i].data,
                                     eq - value[i].data)
               : -1;

        if (s < 0
            || ngx_http_recsys_parse_weight(eq + 1,
                                            value[i].data + value[i].len
                                            - eq - 1,
                                            &conf->weight[s])
               != NGX_OK)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "recsys_weights: \"%V\" is not "
                               "SOURCE=WEIGHT with a known source and a "
                               "weight from 0 to %d", &value[i],
                               NGX_HTTP_RECSYS_WEIGHT_MAX);
            return NGX_CONF_ERROR;
        }
    }

    conf->has_weights = 1;

    return NGX_CONF_OK;
}


static char *
ngx_http_recsys(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_recsys_loc_conf_t *rlcf = conf;

    rlcf->enable = 1;

    /* recsys_items: the same model store, the catalogue's handler */
    return ngx_http_recsys_set_handler(cf, cmd->post != NULL
                                           ? (ngx_http_handler_pt) cmd->post
                                           : ngx_http_recsys_handler);
}


static char *
ngx_http_recsys_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_http_recsys_set_handler(cf, ngx_http_recsys_status_handler);
}


char *
ngx_http_recsys_set_handler(ngx_conf_t *cf, ngx_http_handler_pt handler)
{
    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_recsys_loc_conf_t  *rlcf;

    rlcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_recsys_module);

    if (rlcf->handler == handler) {
        return "is duplicate";
    }

    if (rlcf->handler != NULL) {
        return "conflicts with recsys, recsys_items, recsys_status or "
               "recsys_event already in this location";
    }

    rlcf->handler = handler;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_recsys_preconfiguration(ngx_conf_t *cf)
{
    return ngx_http_recsys_add_variables(cf);
}


static ngx_int_t
ngx_http_recsys_init_process(ngx_cycle_t *cycle)
{
    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    ngx_http_recsys_store_open_all(cycle);
    ngx_http_recsys_overrides_open_all(cycle);

    return NGX_OK;
}


static void
ngx_http_recsys_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_recsys_store_close_all(cycle);
    ngx_http_recsys_overrides_close_all(cycle);
    ngx_http_recsys_json_exit();
    ngx_http_recsys_filter_cache_free();
}
