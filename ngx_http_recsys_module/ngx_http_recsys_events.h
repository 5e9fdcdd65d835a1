/*
 * ngx_http_recsys_events.h: the live events of users, shared by all
 * workers (ngx_http_recsys_events.c: the zone; ngx_http_recsys_event.c:
 * the directives, the /event handler, the event log; and what /recommend
 * asks of them, ngx_http_recsys_live.c).
 *
 * A second module of this .so, ngx_http_recsys_events_module, owns these
 * directives and configurations, so that the /recommend module's own
 * structures stay as they are:
 *
 *   recsys_events zone=NAME:SIZE [per_user=N] [ttl=TIME];    http
 *   recsys_event;                  content handler: POST and DELETE
 *   recsys_max_events N;           events in one POST (100)
 *   recsys_event_log PATH | off;   one CSV line per accepted event
 *   recsys_impressions on | off;   on /recommend: count what is shown
 *   recsys_rotation N;             shown N times unclicked: moved down (3)
 *
 * An event in the zone is 8 bytes: the item id's 44-bit hash
 * (recsys_live.h), the event type's slot in the zone's table of type names
 * (4 bits, 1..15) and the minute it came (16 bits, modulo 2^16; the ttl is
 * at most 30 days so an age is never ambiguous).
 */

#ifndef _NGX_HTTP_RECSYS_EVENTS_H_INCLUDED_
#define _NGX_HTTP_RECSYS_EVENTS_H_INCLUDED_


#include "ngx_http_recsys_module.h"
#include "recsys_evjson.h"
#include "recsys_live.h"


#define NGX_HTTP_RECSYS_EV_TYPES      RECSYS_LIVE_TYPES_MAX
#define NGX_HTTP_RECSYS_EV_PER_USER   255
#define NGX_HTTP_RECSYS_EV_IMPR       32    /* impressions kept per user */
#define NGX_HTTP_RECSYS_EV_TTL_MAX    (30 * 86400)
#define NGX_HTTP_RECSYS_EV_TS_AHEAD   3600  /* a ts past the clock, at most */

#define ngx_http_recsys_ev_make(item, type, minute)                           \
    (((uint64_t) (item) << 20) | ((uint64_t) (type) << 16)                   \
     | ((uint64_t) (minute) & 0xffff))
#define ngx_http_recsys_ev_item(e)    ((e) >> 20)
#define ngx_http_recsys_ev_type(e)    ((ngx_uint_t) ((e) >> 16) & 0xf)
#define ngx_http_recsys_ev_minute(e)  ((ngx_uint_t) (e) & 0xffff)


/* The zone's counters, in shared memory, under its mutex. */
typedef struct {
    uint64_t                  users;
    uint64_t                  events;
    uint64_t                  evicted;      /* users dropped for room */
    uint64_t                  expired;      /* users dropped after ttl */
    uint64_t                  accepted;     /* events, all workers */
    uint64_t                  rejected;     /* refused requests */
    uint64_t                  erased;       /* users forgotten on demand */
} ngx_http_recsys_ev_counters_t;


typedef struct {
    ngx_queue_t               lru;          /* most recently active first */
    uint64_t                  clock;        /* the last version given */
    ngx_http_recsys_ev_counters_t  counters;
    ngx_uint_t                n_types;      /* slots named at least once */
    ngx_uint_t                types_gen;    /* changes when a slot that no
                                               event uses is freed */
    /*
     * the users by bucket of their hashes: per bucket the first node of
     * its chain, in 8-byte units from the zone's start (0: none); a zero,
     * read without the mutex, tells a user without live events apart at
     * the cost of one load
     */
    uint32_t                 *bucket;
    ngx_uint_t                bucket_mask;
    uint32_t                  bucket_key[2];    /* random, the zone's own */
    u_char                    type_len[NGX_HTTP_RECSYS_EV_TYPES + 1];
    u_char                    type[NGX_HTTP_RECSYS_EV_TYPES + 1]
                                  [RECSYS_EVJSON_TYPE_MAX];
} ngx_http_recsys_ev_shctx_t;


/* What a zone is, per cycle (shm_zone->data). */
typedef struct {
    ngx_http_recsys_ev_shctx_t  *sh;
    ngx_slab_pool_t          *shpool;
    ngx_uint_t                per_user;
    time_t                    ttl;
} ngx_http_recsys_ev_zone_t;


/* An event on its way in: the user's hash, the item's, the type's name. */
typedef struct {
    uint64_t                  user;
    uint64_t                  item;
    const u_char             *type;
    size_t                    type_len;
    float                     weight;
} ngx_http_recsys_ev_in_t;


/* A user's live events, copied out of the zone for one request. */
typedef struct {
    uint64_t                 *ev;           /* oldest first */
    ngx_uint_t                n;
    uint64_t                  version;
    uint64_t                 *shown;        /* impressions at rotation */
    ngx_uint_t                n_shown;
} ngx_http_recsys_ev_user_t;


typedef struct {
    ngx_shm_zone_t           *zone;
    ngx_uint_t                per_user;
    time_t                    ttl;
} ngx_http_recsys_ev_main_conf_t;


/*
 * A worker's table of item hashes and the event types of the model a
 * store serves, read again when the store serves another model (one per
 * store, so that locations of two models do not take turns rebuilding one)
 */
struct ngx_http_recsys_ev_model_s {
    uint64_t                  serial;       /* recsys_model_serial, 0 */
    recsys_live_items_t      *items;        /* NULL: none made yet */
    recsys_live_types_t       types;
    int                       types_rc;
    /* the zone's type slots as indexes into types (-1: none), resolved
     * on first sight (NGX_HTTP_RECSYS_EV_UNSEEN), as the slots were named
     * at the zone's types_gen slot_gen */
    int8_t                    slot_type[NGX_HTTP_RECSYS_EV_TYPES + 1];
    ngx_uint_t                slot_gen;
};

#define NGX_HTTP_RECSYS_EV_UNSEEN     (-2)


typedef struct {
    ngx_flag_t                enable;
    ngx_uint_t                max_events;
    ngx_open_file_t          *log;          /* NULL: off */
    ngx_flag_t                impressions;
    ngx_uint_t                rotation;
} ngx_http_recsys_ev_loc_conf_t;


extern ngx_module_t  ngx_http_recsys_events_module;


#define ngx_http_recsys_ev_main(r)                                            \
    ((ngx_http_recsys_ev_main_conf_t *)                                       \
     ngx_http_get_module_main_conf(r, ngx_http_recsys_events_module))


/* ngx_http_recsys_events.c */
char *ngx_http_recsys_events_zone(ngx_conf_t *cf,
    ngx_http_recsys_ev_main_conf_t *emcf, void *tag);
uint64_t ngx_http_recsys_events_user_hash(const u_char *id, size_t len);
/*
 * Stores n events (validated: this never refuses one).  A user's
 * newest per_user events are kept; a full zone drops its least recently
 * active users first.  Returns how many users were evicted for room.
 */
ngx_uint_t ngx_http_recsys_events_add(ngx_shm_zone_t *zone,
    ngx_http_recsys_ev_in_t *in, ngx_uint_t n);
/*
 * Copies a user's events into the pool: NGX_OK, NGX_DECLINED when the
 * user has none (or only expired ones), NGX_ERROR when out of memory.
 */
ngx_int_t ngx_http_recsys_events_get(ngx_shm_zone_t *zone, uint64_t user,
    ngx_pool_t *pool, ngx_uint_t rotation, ngx_http_recsys_ev_user_t *out);
/*
 * The type name of a slot (1..15) of the zone copied into name (room for
 * RECSYS_EVJSON_TYPE_MAX bytes): its length, 0: none.
 */
size_t ngx_http_recsys_events_type_name(ngx_shm_zone_t *zone,
    ngx_uint_t slot, u_char *name);
/* Changes when slots are freed (and may be named again). */
ngx_uint_t ngx_http_recsys_events_types_gen(ngx_shm_zone_t *zone);
/* Counts one showing of each item (hashes) for a user with events. */
void ngx_http_recsys_events_impress(ngx_shm_zone_t *zone, uint64_t user,
    const uint64_t *items, ngx_uint_t n, ngx_uint_t rotation);
void ngx_http_recsys_events_reject(ngx_shm_zone_t *zone);
void ngx_http_recsys_events_counters(ngx_shm_zone_t *zone,
    ngx_http_recsys_ev_counters_t *c, size_t *used, size_t *free);
/* Drops a user's node: NGX_OK, or NGX_DECLINED when there was none. */
ngx_int_t ngx_http_recsys_events_erase(ngx_shm_zone_t *zone, uint64_t user);

/* ngx_http_recsys_live.c */
/*
 * Before a /recommend query: the user's live events into q's history
 * (after the request's own history= items are mapped), and the request's
 * live state for the ETag.  NGX_OK (also when there are none), NGX_ERROR
 * when out of memory.
 */
ngx_int_t ngx_http_recsys_live_query(ngx_http_request_t *r,
    ngx_http_recsys_store_t *store, recsys_model_t *model, ngx_str_t *user,
    recsys_query_t *q);
/* After it: rotation of what was shown too often, and impressions. */
void ngx_http_recsys_live_result(ngx_http_request_t *r,
    recsys_model_t *model, recsys_result_t *res);
/* The request's live version (0: none), for the ETag. */
uint64_t ngx_http_recsys_live_version(ngx_http_request_t *r);
/* The events zone's name, or NULL without one. */
ngx_str_t *ngx_http_recsys_live_zone_name(ngx_http_request_t *r);
/*
 * The zone's figures for /recsys-status at p, at most 1024 bytes: the
 * Prometheus lines, or the JSON members after the zone's name (each
 * preceded by a comma).
 */
u_char *ngx_http_recsys_live_status(ngx_http_request_t *r, u_char *p,
    ngx_uint_t prometheus);

/* ngx_http_recsys_event.c */
/*
 * Forgets a user's live events (erasure): NGX_OK when there were some,
 * NGX_DECLINED when none, or no events zone is configured.  For any part
 * of the module: an erasure command, the DELETE of /event.
 */
ngx_int_t ngx_http_recsys_events_forget(ngx_cycle_t *cycle,
    const u_char *user, size_t len);
/*
 * What live events read of the model that the store serves (NULL when out
 * of memory): its event types (NULL when its table is malformed) and the
 * table from item hashes to its indexes (NULL when out of memory), both
 * read once per worker and model.
 */
ngx_http_recsys_ev_model_t *ngx_http_recsys_event_model(
    ngx_http_request_t *r, ngx_http_recsys_store_t *store,
    recsys_model_t *model);
const recsys_live_types_t *ngx_http_recsys_event_types(
    ngx_http_recsys_ev_model_t *em);
recsys_live_items_t *ngx_http_recsys_event_items(ngx_http_request_t *r,
    ngx_http_recsys_ev_model_t *em, recsys_model_t *model);


#endif /* _NGX_HTTP_RECSYS_EVENTS_H_INCLUDED_ */
