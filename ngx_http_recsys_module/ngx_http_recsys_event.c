/*
 * ngx_http_recsys_event.c: the events module (ngx_http_recsys_events.h):
 * its directives and configurations, the /event content handler and the
 * event log.
 *
 *   POST /event      application/json, one event or an array of up to
 *                    recsys_max_events (recsys_evjson.h); 204 when every
 *                    event was stored, a JSON 400 (nothing stored, nothing
 *                    logged) when any is bad: malformed, wrong types, too
 *                    many, an unknown type, an over-long id, no user and
 *                    no recsys_user
 *   DELETE /event?user=U   forgets the user's live events; 204
 *
 * With recsys_user set (in this location or above), the user is that
 * trusted value and a "user" member or argument is ignored, as for
 * /recommend.  Event types are the model's (the builder's effective
 * --event-weights table): the model named by recsys_model is opened for
 * this location as for /recommend.
 *
 * The event log (recsys_event_log PATH) is one of nginx's open files, so
 * nginx -s reopen (USR1) reopens it as it does access logs.  A request's
 * accepted events go out in one write(2) of whole lines on an O_APPEND
 * descriptor, which the kernel never interleaves with another worker's;
 * the header line "user,item,event,timestamp" is written by the first
 * writer of an empty file under a fcntl(2) lock.  The lines are in the page
 * cache when 204 is sent: a crash of nginx loses nothing, a crash of the
 * machine loses what the kernel had not written back yet (up to about
 * 30 s with Linux's default dirty_expire_centisecs), and what could not be
 * written at all is logged at CRIT.  recsys-build build --interactions
 * reads the file as it is.
 */

#include "ngx_http_recsys_events.h"


#define NGX_HTTP_RECSYS_EV_BODY_PER_EVENT  2048
#define NGX_HTTP_RECSYS_EV_LOG_HEADER      "user,item,event,timestamp\n"


static void *ngx_http_recsys_ev_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_recsys_ev_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_recsys_ev_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_recsys_ev_zone_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_recsys_ev_enable(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_recsys_ev_log_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_recsys_ev_handler(ngx_http_request_t *r);
static void ngx_http_recsys_ev_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_recsys_ev_commands[] = {

    { ngx_string("recsys_events"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_recsys_ev_zone_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("recsys_event"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_recsys_ev_enable,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("recsys_max_events"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_recsys_ev_loc_conf_t, max_events),
      NULL },

    { ngx_string("recsys_event_log"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_recsys_ev_log_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("recsys_impressions"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_recsys_ev_loc_conf_t, impressions),
      NULL },

    { ngx_string("recsys_rotation"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_recsys_ev_loc_conf_t, rotation),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_recsys_events_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_recsys_ev_create_main_conf,   /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_recsys_ev_create_loc_conf,    /* create location configuration */
    ngx_http_recsys_ev_merge_loc_conf      /* merge location configuration */
};


ngx_module_t  ngx_http_recsys_events_module = {
    NGX_MODULE_V1,
    &ngx_http_recsys_events_module_ctx,    /* module context */
    ngx_http_recsys_ev_commands,           /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_recsys_ev_exit_process,       /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_recsys_ev_create_main_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool, sizeof(ngx_http_recsys_ev_main_conf_t));
}


static void *
ngx_http_recsys_ev_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_recsys_ev_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_recsys_ev_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->enable = 0;
     */

    conf->max_events = NGX_CONF_UNSET_UINT;
    conf->log = NGX_CONF_UNSET_PTR;
    conf->impressions = NGX_CONF_UNSET;
    conf->rotation = NGX_CONF_UNSET_UINT;

    return conf;
}


/*
 * The /recommend module merges first (it comes first in the .so), so its
 * configuration of this location is final here: an /event location takes
 * its model and its recsys_user from it.
 */
static char *
ngx_http_recsys_ev_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_recsys_ev_loc_conf_t *prev = parent;
    ngx_http_recsys_ev_loc_conf_t *conf = child;

    ngx_http_core_loc_conf_t        *clcf;
    ngx_http_recsys_loc_conf_t      *rlcf;
    ngx_http_recsys_ev_main_conf_t  *emcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->lmt_excpt) {
        /* a limit_except block: the handler is the location's (set in
         * the /recommend module's merge), so is the switch */
        conf->enable = prev->enable;
    }

    ngx_conf_merge_uint_value(conf->max_events, prev->max_events, 100);
    ngx_conf_merge_ptr_value(conf->log, prev->log, NULL);
    ngx_conf_merge_value(conf->impressions, prev->impressions, 0);
    ngx_conf_merge_uint_value(conf->rotation, prev->rotation, 3);

    if (conf->max_events < 1 || conf->max_events > 10000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "recsys_max_events must be from 1 to 10000");
        return NGX_CONF_ERROR;
    }

    if (conf->rotation < 1 || conf->rotation > 1000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "recsys_rotation must be from 1 to 1000");
        return NGX_CONF_ERROR;
    }

    emcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_recsys_events_module);

    if ((conf->enable || conf->impressions) && emcf->zone == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"recsys_event\" and \"recsys_impressions\" "
                           "need \"recsys_events zone=...\" in http");
        return NGX_CONF_ERROR;
    }

    if (!conf->enable) {
        return NGX_CONF_OK;
    }

    rlcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_recsys_module);

    if (rlcf->store != NULL) {
        return NGX_CONF_OK;
    }

    if (rlcf->model_path.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"recsys_event\" needs \"recsys_model\" in the "
                           "same location or above it");
        return NGX_CONF_ERROR;
    }

    if (ngx_conf_full_name(cf->cycle, &rlcf->model_path, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    rlcf->store = ngx_http_recsys_store_add(cf, &rlcf->model_path,
                                            rlcf->reload_interval);

    return rlcf->store != NULL ? NGX_CONF_OK : NGX_CONF_ERROR;
}


static char *
ngx_http_recsys_ev_zone_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_http_recsys_events_zone(cf, conf,
                                       &ngx_http_recsys_events_module);
}


static char *
ngx_http_recsys_ev_enable(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_recsys_ev_loc_conf_t *elcf = conf;

    elcf->enable = 1;

    return ngx_http_recsys_set_handler(cf, ngx_http_recsys_ev_handler);
}


/* recsys_event_log PATH | off: one of the cycle's open files. */
static char *
ngx_http_recsys_ev_log_slot(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_recsys_ev_loc_conf_t *elcf = conf;

    ngx_str_t  *value;

    if (elcf->log != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        elcf->log = NULL;
        return NGX_CONF_OK;
    }

    elcf->log = ngx_conf_open_file(cf->cycle, &value[1]);

    return elcf->log != NULL ? NGX_CONF_OK : NGX_CONF_ERROR;
}


static void
ngx_http_recsys_ev_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                    k;
    ngx_http_recsys_store_t     **store;
    ngx_http_recsys_main_conf_t  *rmcf;

    /* NULL without an http block */
    rmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_recsys_module);
    if (rmcf == NULL) {
        return;
    }

    store = rmcf->stores.elts;

    for (k = 0; k < rmcf->stores.nelts; k++) {
        if (store[k]->live != NULL) {
            recsys_live_items_free(store[k]->live->items);
            ngx_free(store[k]->live);
            store[k]->live = NULL;
        }
    }
}


ngx_int_t
ngx_http_recsys_events_forget(ngx_cycle_t *cycle, const u_char *user,
    size_t len)
{
    ngx_http_recsys_ev_main_conf_t  *emcf;

    emcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_recsys_events_module);
    if (emcf == NULL || emcf->zone == NULL) {
        return NGX_DECLINED;
    }

    return ngx_http_recsys_events_erase(emcf->zone,
               ngx_http_recsys_events_user_hash(user, len));
}


/*
 * What the worker read of the model that a store serves, for live
 * events: read again when the store serves another model (by its serial:
 * a model opened at the address of the one before, with the same id, is
 * another model with other item indexes).  The item table is made on the
 * first request that needs it.
 */
ngx_http_recsys_ev_model_t *
ngx_http_recsys_event_model(ngx_http_request_t *r,
    ngx_http_recsys_store_t *store, recsys_model_t *model)
{
    ngx_http_recsys_ev_model_t  *em;

    em = store->live;

    if (em != NULL && em->serial == recsys_model_serial(model)) {
        return em;
    }

    if (em == NULL) {
        em = ngx_calloc(sizeof(ngx_http_recsys_ev_model_t),
                        r->connection->log);
        if (em == NULL) {
            return NULL;
        }

        store->live = em;
    }

    recsys_live_items_free(em->items);
    em->items = NULL;
    em->serial = recsys_model_serial(model);

    em->types_rc = recsys_live_types_read(model, &em->types);
    ngx_memset(em->slot_type, NGX_HTTP_RECSYS_EV_UNSEEN,
               sizeof(em->slot_type));
    if (em->types_rc != RECSYS_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "recsys: model \"%s\" has a malformed event table",
                      recsys_model_id(model));
    }

    return em;
}


const recsys_live_types_t *
ngx_http_recsys_event_types(ngx_http_recsys_ev_model_t *em)
{
    return em->types_rc == RECSYS_OK ? &em->types : NULL;
}


recsys_live_items_t *
ngx_http_recsys_event_items(ngx_http_request_t *r,
    ngx_http_recsys_ev_model_t *em, recsys_model_t *model)
{
    if (em->items != NULL) {
        return em->items;
    }

    em->items = recsys_live_items_build(model);

    if (em->items == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "recsys: no memory for the item table of live events");

    } else {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "recsys: the item table of live events made for "
                      "model \"%s\"", recsys_model_id(model));
    }

    return em->items;
}


/*
 * A JSON error; a 4xx of a POST counts as a rejected request (events were
 * offered and refused; another method offers none).
 */
static ngx_int_t
ngx_http_recsys_ev_fail(ngx_http_request_t *r, int status,
    const char *message)
{
    ngx_table_elt_t                 *allow;
    ngx_http_recsys_ev_main_conf_t  *emcf;

    emcf = ngx_http_get_module_main_conf(r, ngx_http_recsys_events_module);

    if (recsys_status_get(status)->http / 100 == 4) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0, "recsys: %s",
                      message);
    }

    if (recsys_status_get(status)->http / 100 == 4
        && r->method == NGX_HTTP_POST)
    {
        ngx_http_recsys_events_reject(emcf->zone);
    }

    if (status != RECSYS_EMETHOD) {
        return ngx_http_recsys_send_error(r, status, message);
    }

    /* the error writer's Allow names /recommend's methods: set ours */
    allow = ngx_list_push(&r->headers_out.headers);
    if (allow == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    allow->hash = 1;
    ngx_str_set(&allow->key, "Allow");
    ngx_str_set(&allow->value, "POST, DELETE");
    r->headers_out.status = NGX_HTTP_NOT_ALLOWED;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_length_n =
        sizeof("{\"error\":\"method_not_allowed\",\"message\":"
               "\"use POST or DELETE\"}") - 1;

    return ngx_http_recsys_send_buffer(r, (u_char *)
               "{\"error\":\"method_not_allowed\",\"message\":"
               "\"use POST or DELETE\"}",
               r->headers_out.content_length_n);
}


/* Out of memory: the JSON 500 of the table, not nginx's own page. */
static ngx_int_t
ngx_http_recsys_ev_no_memory(ngx_http_request_t *r)
{
    return ngx_http_recsys_ev_fail(r, RECSYS_ENOMEM,
                                   recsys_strerror(RECSYS_ENOMEM));
}


static ngx_int_t
ngx_http_recsys_ev_no_content(ngx_http_request_t *r)
{
    r->headers_out.status = NGX_HTTP_NO_CONTENT;
    r->headers_out.content_length_n = 0;
    r->header_only = 1;

    return ngx_http_send_header(r);
}


/*
 * The trusted user of recsys_user: NGX_OK with the decoded id (len 0: the
 * variable is empty), NGX_DECLINED when recsys_user is not set,
 * NGX_ABORT when its value is not a valid id, NGX_ERROR.
 */
static ngx_int_t
ngx_http_recsys_ev_trusted(ngx_http_request_t *r, ngx_str_t *user)
{
    ngx_http_recsys_args_t       none;
    ngx_http_recsys_loc_conf_t  *rlcf;

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_recsys_module);

    if (rlcf->user == NULL) {
        return NGX_DECLINED;
    }

    ngx_memzero(&none, sizeof(ngx_http_recsys_args_t));

    switch (ngx_http_recsys_user(r, rlcf, &none, user)) {
    case NGX_OK:
        return NGX_OK;
    case NGX_DECLINED:
        return NGX_ABORT;
    default:
        return NGX_ERROR;
    }
}


/* DELETE /event?user=U (or the trusted user): the user is forgotten. */
static ngx_int_t
ngx_http_recsys_ev_delete(ngx_http_request_t *r)
{
    ngx_int_t  rc;
    ngx_str_t  raw, user;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_recsys_ev_trusted(r, &user);

    if (rc == NGX_DECLINED) {
        rc = ngx_http_arg(r, (u_char *) "user", 4, &raw) == NGX_OK
             ? ngx_http_recsys_decode_id(r, &raw, &user) : NGX_ABORT;
    }

    if (rc == NGX_ERROR) {
        return ngx_http_recsys_ev_no_memory(r);
    }

    if (rc != NGX_OK || user.len == 0) {
        return ngx_http_recsys_ev_fail(r, RECSYS_EINVAL,
                                       "invalid argument: user");
    }

    (void) ngx_http_recsys_events_forget((ngx_cycle_t *) ngx_cycle,
                                         user.data, user.len);

    return ngx_http_recsys_ev_no_content(r);
}


/*
 * The body in one buffer of the pool (a large one may sit in a temporary
 * file): NGX_OK, NGX_DECLINED when larger than max, NGX_ERROR.
 */
static ngx_int_t
ngx_http_recsys_ev_body(ngx_http_request_t *r, size_t max, ngx_str_t *body)
{
    size_t        len;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    len = 0;

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        b = cl->buf;
        len += b->in_file ? (size_t) (b->file_last - b->file_pos)
                          : (size_t) (b->last - b->pos);
    }

    if (len > max) {
        return NGX_DECLINED;
    }

    body->data = ngx_pnalloc(r->pool, len + 1);
    if (body->data == NULL) {
        return NGX_ERROR;
    }

    body->len = 0;

    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next)
    {
        b = cl->buf;

        if (!b->in_file) {
            body->len = ngx_cpymem(body->data + body->len, b->pos,
                                   b->last - b->pos) - body->data;
            continue;
        }

        n = ngx_read_file(b->file, body->data + body->len,
                          (size_t) (b->file_last - b->file_pos),
                          b->file_pos);
        if (n != b->file_last - b->file_pos) {
            return NGX_ERROR;
        }

        body->len += n;
    }

    return NGX_OK;
}


/* An id as one CSV field: quoted (quotes doubled) when it needs to be. */
static u_char *
ngx_http_recsys_ev_csv(u_char *p, const u_char *s, size_t len)
{
    size_t  k;

    for (k = 0; k < len; k++) {
        if (s[k] == ',' || s[k] == '"' || s[k] == '\n' || s[k] == '\r'
            || s[k] == '\t' || (k == 0 && s[k] == ' ')
            || (k == len - 1 && s[k] == ' '))
        {
            break;
        }
    }

    if (k == len) {
        return ngx_cpymem(p, s, len);
    }

    *p++ = '"';

    for (k = 0; k < len; k++) {
        if (s[k] == '"') {
            *p++ = '"';
        }

        *p++ = s[k];
    }

    *p++ = '"';

    return p;
}


/*
 * Appends the lines to the log in one write; the first writer of an empty
 * file puts the header line in front, under an exclusive fcntl() lock: the
 * workers write to the descriptor that the master opened (until their
 * first reopen), and a flock() belongs to that one open file, shared by
 * them all, where a fcntl() lock belongs to the process.
 */
static void
ngx_http_recsys_ev_log(ngx_http_request_t *r, ngx_open_file_t *file,
    u_char *lines, size_t len)
{
    ssize_t          n;
    ngx_uint_t       locked;
    ngx_file_info_t  fi;

    locked = 0;

    if (ngx_fd_info(file->fd, &fi) != NGX_FILE_ERROR
        && ngx_file_size(&fi) == 0
        && ngx_lock_fd(file->fd) == 0)
    {
        locked = 1;

        if (ngx_fd_info(file->fd, &fi) != NGX_FILE_ERROR
            && ngx_file_size(&fi) == 0)
        {
            /* lines has room for the header in front of it */
            lines -= sizeof(NGX_HTTP_RECSYS_EV_LOG_HEADER) - 1;
            len += sizeof(NGX_HTTP_RECSYS_EV_LOG_HEADER) - 1;
            ngx_memcpy(lines, NGX_HTTP_RECSYS_EV_LOG_HEADER,
                       sizeof(NGX_HTTP_RECSYS_EV_LOG_HEADER) - 1);
        }
    }

    n = ngx_write_fd(file->fd, lines, len);

    if (locked) {
        (void) ngx_unlock_fd(file->fd);
    }

    if (n != (ssize_t) len) {
        ngx_log_error(NGX_LOG_CRIT, r->connection->log, ngx_errno,
                      "recsys: writing %uz bytes of events to \"%V\" "
                      "failed (%z written)", len, &file->name, n);
    }
}


/* The events of a parsed body checked against the model and the user. */
static ngx_int_t
ngx_http_recsys_ev_check(ngx_http_request_t *r,
    const recsys_live_types_t *types,
    recsys_evjson_event_t *ev, ngx_uint_t n, ngx_str_t *trusted,
    ngx_http_recsys_ev_in_t *in, const char **why)
{
    int         t;
    ngx_uint_t  k;

    for (k = 0; k < n; k++) {
        if (trusted != NULL) {
            ev[k].user = (const char *) trusted->data;
            ev[k].user_len = trusted->len;

        } else if (ev[k].user == NULL) {
            *why = "an event needs a user";
            return NGX_DECLINED;

        } else if (!ev[k].user_valid) {
            *why = RECSYS_EVJSON_BAD_ID;
            return NGX_DECLINED;
        }

        t = recsys_live_type_find(types, ev[k].type, ev[k].type_len);
        if (t < 0) {
            *why = "unknown event type";
            return NGX_DECLINED;
        }

        /*
         * the next build takes the log's newest row for its "now" (the
         * decay, trending): one far-future ts would age every other row
         */
        if (ev[k].ts > (int64_t) ngx_time() + NGX_HTTP_RECSYS_EV_TS_AHEAD) {
            *why = "ts is more than an hour ahead of the server's clock";
            return NGX_DECLINED;
        }

        in[k].user = ngx_http_recsys_events_user_hash(
                         (const u_char *) ev[k].user, ev[k].user_len);
        in[k].item = recsys_live_item_hash(ev[k].item, ev[k].item_len);
        in[k].type = (const u_char *) types->name[t];
        in[k].type_len = types->len[t];
        in[k].weight = types->weight[t];
    }

    return NGX_OK;
}


/* The log lines of the events, with room for the header in front. */
static u_char *
ngx_http_recsys_ev_lines(ngx_http_request_t *r, recsys_evjson_event_t *ev,
    ngx_http_recsys_ev_in_t *in, ngx_uint_t n, size_t *len)
{
    u_char      *buf, *p;
    size_t       size;
    ngx_uint_t   k;

    size = sizeof(NGX_HTTP_RECSYS_EV_LOG_HEADER);

    for (k = 0; k < n; k++) {
        size += 2 * (ev[k].user_len + ev[k].item_len) + in[k].type_len
                + NGX_INT64_LEN + 8;
    }

    buf = ngx_pnalloc(r->pool, size);
    if (buf == NULL) {
        return NULL;
    }

    buf += sizeof(NGX_HTTP_RECSYS_EV_LOG_HEADER) - 1;
    p = buf;

    for (k = 0; k < n; k++) {
        p = ngx_http_recsys_ev_csv(p, (const u_char *) ev[k].user,
                                   ev[k].user_len);
        *p++ = ',';
        p = ngx_http_recsys_ev_csv(p, (const u_char *) ev[k].item,
                                   ev[k].item_len);
        p = ngx_sprintf(p, ",%*s,%L\n", in[k].type_len, in[k].type,
                        ev[k].ts >= 0 ? ev[k].ts : (int64_t) ngx_time());
    }

    *len = p - buf;

    return buf;
}


/* POST with the body read: parse, check, store, log, 204. */
/*
 * Whether the body is application/json: that media type, in any case,
 * alone or with parameters ("; charset=utf-8"), not one that only begins
 * with its name (application/json-seq).
 */
static ngx_uint_t
ngx_http_recsys_ev_json_type(ngx_http_request_t *r)
{
    u_char     c;
    ngx_str_t  *t;

    if (r->headers_in.content_type == NULL) {
        return 0;
    }

    t = &r->headers_in.content_type->value;

    if (t->len < 16
        || ngx_strncasecmp(t->data, (u_char *) "application/json", 16) != 0)
    {
        return 0;
    }

    c = t->len > 16 ? t->data[16] : ';';

    return c == ';' || c == ' ' || c == '\t';
}


static ngx_int_t
ngx_http_recsys_ev_accept(ngx_http_request_t *r)
{
    char                            *buf;
    u_char                          *lines;
    size_t                           len;
    ngx_int_t                        rc;
    ngx_str_t                        body, trusted;
    ngx_uint_t                       n;
    const char                      *why;
    recsys_model_t                  *model;
    const recsys_live_types_t       *types;
    recsys_evjson_event_t           *ev;
    ngx_http_recsys_ev_in_t         *in;
    ngx_http_recsys_ev_model_t      *em;
    ngx_http_recsys_loc_conf_t      *rlcf;
    ngx_http_recsys_ev_loc_conf_t   *elcf;

    elcf = ngx_http_get_module_loc_conf(r, ngx_http_recsys_events_module);

    if (!ngx_http_recsys_ev_json_type(r)) {
        return ngx_http_recsys_ev_fail(r, RECSYS_EMEDIA,
                                       "the body must be application/json");
    }

    rc = ngx_http_recsys_ev_body(r, elcf->max_events
                                    * NGX_HTTP_RECSYS_EV_BODY_PER_EVENT,
                                 &body);
    if (rc == NGX_DECLINED) {
        return ngx_http_recsys_ev_fail(r, RECSYS_ELIMIT,
                                       "the body is too large");
    }

    buf = rc == NGX_OK ? ngx_pnalloc(r->pool, body.len + 1) : NULL;
    ev = ngx_palloc(r->pool, elcf->max_events
                             * sizeof(recsys_evjson_event_t));
    in = ngx_palloc(r->pool, elcf->max_events
                             * sizeof(ngx_http_recsys_ev_in_t));

    if (buf == NULL || ev == NULL || in == NULL) {
        return ngx_http_recsys_ev_no_memory(r);
    }

    if (recsys_evjson_parse((const char *) body.data, body.len, buf, ev,
                            elcf->max_events, &n, &why)
        != RECSYS_OK)
    {
        return ngx_http_recsys_ev_fail(r, RECSYS_EINVAL, why);
    }

    rc = ngx_http_recsys_ev_trusted(r, &trusted);
    if (rc == NGX_ERROR) {
        return ngx_http_recsys_ev_no_memory(r);
    }

    if (rc == NGX_ABORT || (rc == NGX_OK && trusted.len == 0)) {
        return ngx_http_recsys_ev_fail(r, RECSYS_EINVAL,
                                       "invalid argument: user");
    }

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_recsys_module);

    model = ngx_http_recsys_store_get(r, rlcf->store);
    if (model == NULL) {
        return ngx_http_recsys_send_error(r, RECSYS_ENOMODEL,
                                          recsys_strerror(RECSYS_ENOMODEL));
    }

    em = ngx_http_recsys_event_model(r, rlcf->store, model);
    if (em == NULL) {
        return ngx_http_recsys_ev_no_memory(r);
    }

    types = ngx_http_recsys_event_types(em);
    if (types == NULL) {
        return ngx_http_recsys_send_error(r, RECSYS_ECORRUPT,
                                          recsys_strerror(RECSYS_ECORRUPT));
    }

    if (ngx_http_recsys_ev_check(r, types, ev, n,
                                 rc == NGX_OK ? &trusted : NULL, in, &why)
        != NGX_OK)
    {
        return ngx_http_recsys_ev_fail(r, RECSYS_EINVAL, why);
    }

    lines = NULL;
    len = 0;

    if (elcf->log != NULL) {
        lines = ngx_http_recsys_ev_lines(r, ev, in, n, &len);
        if (lines == NULL) {
            return ngx_http_recsys_ev_no_memory(r);
        }
    }

    (void) ngx_http_recsys_events_add(ngx_http_recsys_ev_main(r)->zone, in,
                                      n);

    if (lines != NULL) {
        ngx_http_recsys_ev_log(r, elcf->log, lines, len);
    }

    return ngx_http_recsys_ev_no_content(r);
}


static void
ngx_http_recsys_ev_body_read(ngx_http_request_t *r)
{
    ngx_http_finalize_request(r, ngx_http_recsys_ev_accept(r));
}


static ngx_int_t
ngx_http_recsys_ev_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    if (r->method == NGX_HTTP_DELETE) {
        return ngx_http_recsys_ev_delete(r);
    }

    if (r->method != NGX_HTTP_POST) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_recsys_ev_fail(r, RECSYS_EMETHOD,
                                       "use POST or DELETE");
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_recsys_ev_body_read);
    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}
