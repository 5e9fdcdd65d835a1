/*
 * ngx_http_recsys_module.h: what the module's files share.
 *
 * The module is glue around the engine (engine/): directives and
 * configuration (ngx_http_recsys_module.c), query arguments
 * (ngx_http_recsys_args.c), the per-worker model lifecycle
 * (ngx_http_recsys_store.c) and what the workers share of model files
 * (ngx_http_recsys_files.c), the content handler
 * (ngx_http_recsys_handler.c) and the JSON writer (ngx_http_recsys_json.c).
 */

#ifndef _NGX_HTTP_RECSYS_MODULE_H_INCLUDED_
#define _NGX_HTTP_RECSYS_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#if (NGX_THREADS)
#include <ngx_thread_pool.h>
#endif

#include "recsys_model.h"
#include "recsys_predict.h"
#include "recsys_query.h"
#include "recsys_rules_read.h"
#include "recsys_source.h"
#include "recsys_status.h"
#include "recsys_verify.h"


#define NGX_HTTP_RECSYS_OFFSET_MAX  10000


/*
 * This worker's counters, shown by recsys_status: a field of the main
 * configuration, of which each worker has its own copy after fork.
 */
typedef struct {
    ngx_atomic_uint_t         requests;
    ngx_atomic_uint_t         ok;
    ngx_atomic_uint_t         bad_request;
    ngx_atomic_uint_t         not_found;
    ngx_atomic_uint_t         unavailable;
    ngx_atomic_uint_t         fallback;
    ngx_atomic_uint_t         reloads;
    ngx_atomic_uint_t         refused;
} ngx_http_recsys_counters_t;


typedef struct ngx_http_recsys_store_s  ngx_http_recsys_store_t;
typedef struct ngx_http_recsys_ev_model_s  ngx_http_recsys_ev_model_t;

/* An open of a verified model file, perhaps in a thread. */
typedef struct {
    ngx_http_recsys_store_t  *store;
    recsys_verify_id_t        id;
    ngx_fd_t                  fd;
    char                      path[4096];
    recsys_model_t           *model;
    int                       rc;
    char                      err[512];
} ngx_http_recsys_store_open_t;


/* One model path, shared by the locations that name it; per worker. */
struct ngx_http_recsys_store_s {
    ngx_str_t                 path;         /* NUL-terminated */
    ngx_msec_t                interval;
    recsys_model_t           *model;
    recsys_scratch_t         *scratch;      /* a session's scores, one
                                               double per item of the
                                               model; NULL: none */
    ngx_msec_t                next_check;
    ngx_uint_t                checked;      /* stat()ed at least once */
    recsys_verify_id_t        id;           /* the file now served */
    recsys_verify_id_t        bad;          /* the last file refused */
    ngx_uint_t                has_bad;
    ngx_msec_t                bad_retry;    /* read it again after this */
    recsys_verify_t          *verify;       /* a file being verified */
    ngx_event_t               verify_ev;    /* its next step */
    ngx_shm_zone_t           *files;        /* ngx_http_recsys_files.c */
    ngx_http_recsys_counters_t  *counters;  /* the main conf's */
    ngx_uint_t                missing_logged;
    time_t                    loaded_at;
    ngx_uint_t                opening;      /* an open runs in a thread */
    ngx_http_recsys_store_open_t  open_job;
    ngx_uint_t                generation;   /* models installed so far */
    ngx_http_recsys_ev_model_t  *live;      /* what live events read of the
                                               model (ngx_http_recsys_event.c),
                                               NULL: nothing yet */
#if (NGX_THREADS)
    ngx_thread_pool_t        *thread_pool;
    ngx_thread_task_t        *open_task;
#endif
};


typedef struct ngx_http_recsys_overrides_s  ngx_http_recsys_overrides_t;

typedef struct {
    ngx_array_t               stores;       /* ngx_http_recsys_store_t * */
    ngx_http_recsys_counters_t  counters;
    ngx_array_t               overrides;    /* ngx_http_recsys_overrides_t *;
                                               elts NULL: none */
} ngx_http_recsys_main_conf_t;


#define ngx_http_recsys_counters(r)                                           \
    (&((ngx_http_recsys_main_conf_t *)                                        \
       ngx_http_get_module_main_conf(r, ngx_http_recsys_module))->counters)


/* What a request answered with, for the $recsys_* variables. */
typedef struct {
    const char               *model;
    const char               *algo;
    const char               *fallback;
    ngx_uint_t                count;
    uint64_t                  overrides;    /* the rules' version, 0: none */
    float                     diversity;
} ngx_http_recsys_ctx_t;




typedef struct {
    ngx_flag_t                enable;
    ngx_http_handler_pt       handler;      /* the content handler one of
                                               this .so's directives set
                                               here, NULL: none */
    ngx_str_t                 model_path;
    ngx_http_recsys_store_t  *store;
    ngx_http_complex_value_t *user;
    ngx_http_complex_value_t *algo;
    ngx_uint_t                default_n;
    ngx_uint_t                max_n;
    ngx_uint_t                max_list;
    ngx_uint_t                max_history;
    ngx_uint_t                max_nbrs;
    ngx_uint_t                session_nbrs;
    ngx_uint_t                explain_history;
    ngx_msec_t                reload_interval;
    time_t                    cache_ttl;
    ngx_array_t              *weights;      /* "source=weight" strings */
    ngx_http_complex_value_t *filter;       /* recsys_filter, or NULL */
    float                     weight[RECSYS_NSRC];  /* < 0: the model's */
    unsigned                  has_weights:1;
    ngx_str_t                 overrides_path;
    ngx_http_recsys_overrides_t  *overrides;
    float                     diversity;    /* < 0: unset */
    uint32_t                  settings_crc; /* of the settings that shape
                                               an answer, for its ETag */
    ngx_uint_t                private_answers;  /* the answer may hang on
                                               more than the URL: a user
                                               from recsys_user, an algo
                                               or filter with variables */
} ngx_http_recsys_loc_conf_t;


/* The request's arguments after decoding and validation. */
typedef struct {
    ngx_str_t                 user;
    ngx_str_t                 item;
    ngx_str_t                 algo;
    ngx_str_t                 exclude;
    ngx_str_t                 history;
    ngx_str_t                 genre;
    ngx_str_t                 filter;
    ngx_uint_t                n;
    ngx_uint_t                offset;
    float                     weight[RECSYS_NSRC];  /* < 0: not given */
    ngx_str_t                *named;    /* w_<name>=v of no registry
                                           source: name, value pairs for
                                           the model, or NULL */
    ngx_uint_t                n_named;
    float                     diversity;    /* < 0: not given */
    unsigned                  has_user:1;
    unsigned                  has_item:1;
    unsigned                  has_algo:1;
    unsigned                  has_n:1;
    unsigned                  has_weights:1;
    unsigned                  explain:1;
    unsigned                  predict:1;
    unsigned                  strict:1;
    const char               *bad;          /* name of a bad argument */
} ngx_http_recsys_args_t;

#define NGX_HTTP_RECSYS_WEIGHT_MAX  10
#define NGX_HTTP_RECSYS_FILTER_MAX  4096


extern ngx_module_t  ngx_http_recsys_module;


/* ngx_http_recsys_module.c */
/*
 * The location's content handler, for a directive of recsys, recsys_items,
 * recsys_status or recsys_event: NGX_CONF_OK, or an error message when the
 * location has one of them already (one a location).
 */
char *ngx_http_recsys_set_handler(ngx_conf_t *cf,
    ngx_http_handler_pt handler);

/* ngx_http_recsys_args.c */
ngx_int_t ngx_http_recsys_parse_args(ngx_http_request_t *r,
    ngx_http_recsys_loc_conf_t *rlcf, ngx_uint_t items,
    ngx_http_recsys_args_t *args);
ngx_int_t ngx_http_recsys_named_weights(ngx_http_request_t *r,
    recsys_model_t *model, ngx_http_recsys_args_t *args);
ngx_int_t ngx_http_recsys_decode_id(ngx_http_request_t *r, ngx_str_t *src,
    ngx_str_t *dst);
ngx_int_t ngx_http_recsys_parse_weight(u_char *p, size_t len, float *w);
/* Percent-decodes src once: NGX_DECLINED for a bad escape, NGX_ERROR. */
ngx_int_t ngx_http_recsys_unescape(ngx_pool_t *pool, ngx_str_t *src,
    ngx_str_t *dst);
/* A comma-separated list of at most max valid ids, or NGX_DECLINED. */
ngx_int_t ngx_http_recsys_check_list(ngx_str_t *list, ngx_uint_t max);
/* A decimal from 0 to 1 with at most 4 decimals: NGX_OK or NGX_DECLINED. */
ngx_int_t ngx_http_recsys_parse_diversity(u_char *p, size_t len, float *out);

/* ngx_http_recsys_files.c */
ngx_shm_zone_t *ngx_http_recsys_files_add(ngx_conf_t *cf);
ngx_int_t ngx_http_recsys_files_enter(ngx_shm_zone_t *zone,
    const recsys_verify_id_t *id, ngx_uint_t *verified);
void ngx_http_recsys_files_leave(ngx_shm_zone_t *zone,
    const recsys_verify_id_t *id, ngx_uint_t verified);

/* ngx_http_recsys_store.c */
ngx_http_recsys_store_t *ngx_http_recsys_store_add(ngx_conf_t *cf,
    ngx_str_t *path, ngx_msec_t interval);
void ngx_http_recsys_store_open_all(ngx_cycle_t *cycle);
void ngx_http_recsys_store_close_all(ngx_cycle_t *cycle);
recsys_model_t *ngx_http_recsys_store_get(ngx_http_request_t *r,
    ngx_http_recsys_store_t *store);

/* ngx_http_recsys_json.c */
void ngx_http_recsys_json_exit(void);
/* Bytes s takes as a JSON string's body (without quotes): at most 6 a byte. */
size_t ngx_http_recsys_json_escaped_len(ngx_str_t *s);
/* s as a JSON string's body at p (without quotes); returns the end. */
u_char *ngx_http_recsys_json_escape(u_char *p, ngx_str_t *s);
/*
 * Sends the headers already set in r->headers_out, then body (len bytes
 * that live as long as the request); a HEAD request gets the headers alone.
 */
ngx_int_t ngx_http_recsys_send_buffer(ngx_http_request_t *r, u_char *body,
    size_t len);
/*
 * A JSON error for an engine status (recsys_status.h): its table row gives
 * the HTTP status and the "error" name; message is a fixed text.
 */
ngx_int_t ngx_http_recsys_send_error(ngx_http_request_t *r, int status,
    const char *message);
ngx_int_t ngx_http_recsys_send_prediction(ngx_http_request_t *r,
    recsys_model_t *model, ngx_str_t *user, ngx_str_t *item,
    recsys_prediction_t *p);
ngx_int_t ngx_http_recsys_send_result(ngx_http_request_t *r,
    ngx_http_recsys_loc_conf_t *rlcf, recsys_model_t *model,
    ngx_str_t *user, ngx_str_t *item, recsys_result_t *res);

/* ngx_http_recsys_filter.c */
/*
 * Compiles the request's attribute filter into q->filter, or finds it
 * among those the worker keeps (in memory of their own): NGX_OK,
 * NGX_DECLINED for a bad filter, NGX_ERROR when out of memory; *depends
 * is what the ETag must cover besides the query (0: nothing).
 */
ngx_int_t ngx_http_recsys_filter(ngx_http_request_t *r,
    ngx_http_recsys_loc_conf_t *rlcf, recsys_model_t *model,
    ngx_http_recsys_args_t *args, recsys_query_t *q, uint32_t *depends);
/* Frees the filters a worker keeps (at its exit). */
void ngx_http_recsys_filter_cache_free(void);
/* ngx_http_recsys_overrides.c */
ngx_http_recsys_overrides_t *ngx_http_recsys_overrides_add(ngx_conf_t *cf,
    ngx_str_t *path, ngx_msec_t interval, ngx_http_recsys_store_t *store);
void ngx_http_recsys_overrides_open_all(ngx_cycle_t *cycle);
void ngx_http_recsys_overrides_close_all(ngx_cycle_t *cycle);
/*
 * The rules resolved against the current model of the store they were
 * configured with, in *view (NULL: none).  NGX_ERROR when they could not
 * be resolved (out of memory): the request must not be answered without
 * them.
 */
ngx_int_t ngx_http_recsys_overrides_view(ngx_http_request_t *r,
    ngx_http_recsys_overrides_t *o, const recsys_ovr_view_t **view);
char *ngx_http_recsys_diversity_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* ngx_http_recsys_handler.c */
ngx_int_t ngx_http_recsys_handler(ngx_http_request_t *r);
void *ngx_http_recsys_pool_alloc(void *ctx, size_t size);
/* A JSON error for an engine status, counted and logged. */
ngx_int_t ngx_http_recsys_fail(ngx_http_request_t *r, int status,
    const char *message);
ngx_int_t ngx_http_recsys_bad_request(ngx_http_request_t *r,
    const char *name);
/* Ids (genres: genre names) of a list to indexes; unknown ones left out. */
ngx_int_t ngx_http_recsys_map_list(ngx_http_request_t *r,
    recsys_model_t *model, ngx_str_t *list, int genres, const uint32_t **out,
    uint32_t *n);

/* ngx_http_recsys_items.c */
ngx_int_t ngx_http_recsys_items_handler(ngx_http_request_t *r);
/*
 * The user: recsys_user's value when set (len 0: empty for this request),
 * else args' user; NGX_DECLINED for an invalid id, NGX_ERROR.
 */
ngx_int_t ngx_http_recsys_user(ngx_http_request_t *r,
    ngx_http_recsys_loc_conf_t *rlcf, ngx_http_recsys_args_t *args,
    ngx_str_t *user);

/* ngx_http_recsys_items_args.c: q, id and meta of /items */
typedef struct {
    ngx_str_t                 q;
    ngx_str_t                 id;
    unsigned                  has_q:1;
    unsigned                  has_id:1;
    unsigned                  meta:1;
} ngx_http_recsys_items_args_t;

/*
 * NGX_OK, NGX_DECLINED with *bad naming the argument that breaks the
 * policy, or NGX_ERROR when out of memory.
 */
ngx_int_t ngx_http_recsys_items_args(ngx_http_request_t *r,
    ngx_http_recsys_loc_conf_t *rlcf, ngx_http_recsys_items_args_t *ia,
    const char **bad);

/* ngx_http_recsys_status.c */
ngx_int_t ngx_http_recsys_status_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_recsys_add_variables(ngx_conf_t *cf);


#endif /* _NGX_HTTP_RECSYS_MODULE_H_INCLUDED_ */
