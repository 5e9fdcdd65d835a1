/*
 * ngx_http_recsys_events.c: the events zone, each user's recent events in
 * shared memory (the pattern of limit_req_zone).
 *
 * The zone is a slab pool holding one node per user: the 64-bit hash of
 * the user id (the id itself is never stored), the link to the next node
 * of its bucket, an LRU queue link, the time of the user's last event, a
 * version (from the zone's clock, which starts from the time, so that no
 * two states of any user share one, across restarts too: the ETag of
 * /recommend carries it) and a ring of per_user events of 8 bytes
 * (ngx_http_recsys_events.h), with 20 events a node of 216 bytes, one
 * 256-byte slab chunk.  Impressions (recsys_impressions) take a second
 * chunk of their own, at least the node's size, only for the users who
 * were shown answers.
 *
 * The nodes are found by hash chains: a bucket of 4 bytes for every 256
 * bytes of zone, so a chain holds about one node when the zone is full,
 * and finding a user reads its bucket and its node (a tree of 100,000
 * users read 17 nodes on the way, most of them not cached).  A user's
 * bucket comes from its hash and the zone's random key, so that clients
 * cannot choose ids that pile up in one chain.  Links are 8-byte units
 * from the zone's start, so a zone holds at most 32 GiB.
 *
 * Every write takes the zone's mutex once per request.  A write never
 * fails: before it, up to two users whose last event is older than the ttl
 * are dropped from the LRU tail; when the slab pool has no room, the least
 * recently active users are dropped until the node fits.  A read drops an
 * expired user it finds.  The zone survives nginx -s reload when its name
 * and size are unchanged (nginx keeps the segment and init_zone adopts the
 * old tree); a different per_user then refuses the new configuration.
 */

#include "ngx_http_recsys_events.h"
#include "recsys_hash.h"
#include "recsys_row.h"


typedef struct {
    uint32_t                  chain;        /* the bucket's next node */
    uint32_t                  last;         /* seconds, the last event */
    u_char                    n;            /* events held */
    u_char                    next;         /* the ring slot written next */
    u_char                    n_shown;      /* entries of shown[] */
    ngx_queue_t               queue;
    uint64_t                  user;
    uint64_t                  version;
    uint64_t                 *shown;        /* item << 20 | times, or NULL */
    uint64_t                  ev[1];
} ngx_http_recsys_ev_node_t;


#define ngx_http_recsys_ev_node_size(per_user)                                \
    (offsetof(ngx_http_recsys_ev_node_t, ev) + (per_user) * sizeof(uint64_t))

#define NGX_HTTP_RECSYS_EV_SHOWN_MAX  0xfffff
#define NGX_HTTP_RECSYS_EV_ZONE_MAX   ((uint64_t) 32 << 30)

/* the most users dropped to make room for one user's impressions */
#define NGX_HTTP_RECSYS_EV_IMPR_EVICT  8


static ngx_int_t ngx_http_recsys_ev_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static void ngx_http_recsys_ev_random(uint32_t *key, size_t n, ngx_log_t *log);


/* A node's place in the zone, in 8-byte units from its start (never 0). */
static uint32_t
ngx_http_recsys_ev_off(ngx_http_recsys_ev_zone_t *ctx,
    ngx_http_recsys_ev_node_t *en)
{
    return (uint32_t) (((u_char *) en - (u_char *) ctx->shpool) >> 3);
}


static ngx_http_recsys_ev_node_t *
ngx_http_recsys_ev_at(ngx_http_recsys_ev_zone_t *ctx, uint32_t off)
{
    return (ngx_http_recsys_ev_node_t *) ((u_char *) ctx->shpool
                                          + ((size_t) off << 3));
}


/*
 * The head of user's chain.  A user's hash is a function of the id that
 * anyone can compute, so a client could choose ids whose hashes share
 * bits; the bucket is the hash mixed with the zone's random key, so no
 * client can choose ids that fill one chain.
 */
static uint32_t *
ngx_http_recsys_ev_bucket(ngx_http_recsys_ev_shctx_t *sh, uint64_t user)
{
    uint32_t  h;

    h = recsys_hash_u32((uint32_t) (user >> 32) ^ sh->bucket_key[0]);
    h = recsys_hash_u32(h ^ (uint32_t) user ^ sh->bucket_key[1]);

    return &sh->bucket[h & sh->bucket_mask];
}


/* The node of user in the chain that starts at bucket (its own), or NULL. */
static ngx_http_recsys_ev_node_t *
ngx_http_recsys_ev_lookup(ngx_http_recsys_ev_zone_t *ctx, uint32_t *bucket,
    uint64_t user)
{
    uint32_t                    off;
    ngx_http_recsys_ev_node_t  *en;

    for (off = *bucket; off != 0; off = en->chain) {
        en = ngx_http_recsys_ev_at(ctx, off);

        if (en->user == user) {
            return en;
        }
    }

    return NULL;
}


/* en out of its bucket's chain. */
static void
ngx_http_recsys_ev_unchain(ngx_http_recsys_ev_zone_t *ctx,
    ngx_http_recsys_ev_node_t *en)
{
    uint32_t  off, *link;

    off = ngx_http_recsys_ev_off(ctx, en);
    link = ngx_http_recsys_ev_bucket(ctx->sh, en->user);

    while (*link != off) {
        link = &ngx_http_recsys_ev_at(ctx, *link)->chain;
    }

    *link = en->chain;
}


static void
ngx_http_recsys_ev_delete(ngx_http_recsys_ev_zone_t *ctx,
    ngx_http_recsys_ev_node_t *en)
{
    ngx_queue_remove(&en->queue);
    ngx_http_recsys_ev_unchain(ctx, en);

    ctx->sh->counters.users--;
    ctx->sh->counters.events -= en->n;

    if (en->shown != NULL) {
        ngx_slab_free_locked(ctx->shpool, en->shown);
    }

    ngx_slab_free_locked(ctx->shpool, en);
}


static ngx_http_recsys_ev_node_t *
ngx_http_recsys_ev_tail(ngx_http_recsys_ev_zone_t *ctx)
{
    ngx_queue_t  *q;

    if (ngx_queue_empty(&ctx->sh->lru)) {
        return NULL;
    }

    q = ngx_queue_last(&ctx->sh->lru);

    return ngx_queue_data(q, ngx_http_recsys_ev_node_t, queue);
}


static ngx_uint_t
ngx_http_recsys_ev_expired(ngx_http_recsys_ev_zone_t *ctx,
    ngx_http_recsys_ev_node_t *en, time_t now)
{
    return now - (time_t) en->last > ctx->ttl;
}


/* Drops at most two users whose last event is older than the ttl. */
static void
ngx_http_recsys_ev_expire(ngx_http_recsys_ev_zone_t *ctx, time_t now)
{
    ngx_uint_t                  k;
    ngx_http_recsys_ev_node_t  *en;

    for (k = 0; k < 2; k++) {
        en = ngx_http_recsys_ev_tail(ctx);

        if (en == NULL || !ngx_http_recsys_ev_expired(ctx, en, now)) {
            return;
        }

        ngx_http_recsys_ev_delete(ctx, en);
        ctx->sh->counters.expired++;
    }
}


/*
 * size bytes of the slab pool, making room by dropping the least recently
 * active users, at most max of them and never keep; NULL when there is
 * still no room.
 */
static void *
ngx_http_recsys_ev_alloc(ngx_http_recsys_ev_zone_t *ctx, size_t size,
    ngx_uint_t max, ngx_http_recsys_ev_node_t *keep, ngx_uint_t *evicted)
{
    void                       *p;
    ngx_http_recsys_ev_node_t  *en;

    for ( ;; ) {
        p = ngx_slab_alloc_locked(ctx->shpool, size);
        if (p != NULL) {
            return p;
        }

        en = ngx_http_recsys_ev_tail(ctx);
        if (en == NULL || en == keep || max-- == 0) {
            return NULL;
        }

        ngx_http_recsys_ev_delete(ctx, en);
        ctx->sh->counters.evicted++;
        (*evicted)++;
    }
}


/*
 * Frees the type slots that no event of the zone uses (a walk over every
 * user's events, made only when all slots are named and a new name comes,
 * that is after model swaps brought more than 15 names in the zone's
 * life): their names go, and the zone's types_gen changes, so that each
 * worker resolves the slots by name again.  Returns how many were freed.
 */
static ngx_uint_t
ngx_http_recsys_ev_type_reclaim(ngx_http_recsys_ev_zone_t *ctx)
{
    u_char                      used[NGX_HTTP_RECSYS_EV_TYPES + 1];
    ngx_uint_t                  k, freed;
    ngx_queue_t                *q;
    ngx_http_recsys_ev_node_t  *en;

    ngx_memzero(used, sizeof(used));

    for (q = ngx_queue_head(&ctx->sh->lru);
         q != ngx_queue_sentinel(&ctx->sh->lru);
         q = ngx_queue_next(q))
    {
        en = ngx_queue_data(q, ngx_http_recsys_ev_node_t, queue);

        /* the ring's slots in use are n of per_user; the others are not
         * read (a ring not yet full has them unwritten) */
        for (k = 0; k < en->n; k++) {
            used[ngx_http_recsys_ev_type(
                     en->ev[(en->next + ctx->per_user - 1 - k)
                            % ctx->per_user])] = 1;
        }
    }

    freed = 0;

    for (k = 1; k <= ctx->sh->n_types; k++) {
        if (!used[k] && ctx->sh->type_len[k] != 0) {
            ctx->sh->type_len[k] = 0;
            freed++;
        }
    }

    if (freed) {
        ctx->sh->types_gen++;
    }

    return freed;
}


/*
 * The zone's slot of a type name, interned on first sight in a free slot;
 * 0 when every slot is named and used by events (the event is then kept
 * as seen, without a weight, and said in the error log).
 */
static ngx_uint_t
ngx_http_recsys_ev_type_slot(ngx_http_recsys_ev_zone_t *ctx,
    const u_char *name, size_t len)
{
    ngx_uint_t                   k, pass;
    ngx_http_recsys_ev_shctx_t  *sh;

    sh = ctx->sh;

    for (k = 1; k <= sh->n_types; k++) {
        if (sh->type_len[k] == len && ngx_memcmp(sh->type[k], name, len) == 0)
        {
            return k;
        }
    }

    if (len == 0 || len > RECSYS_EVJSON_TYPE_MAX) {
        return 0;
    }

    for (pass = 0; pass < 2; pass++) {
        for (k = 1; k <= sh->n_types && sh->type_len[k] != 0; k++) {
            /* void */
        }

        if (k > NGX_HTTP_RECSYS_EV_TYPES) {
            if (pass == 0 && ngx_http_recsys_ev_type_reclaim(ctx)) {
                continue;
            }

            ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                          "recsys: the events zone's %d type names are all "
                          "in use; events of type \"%*s\" are kept as seen, "
                          "without a weight", NGX_HTTP_RECSYS_EV_TYPES,
                          len, name);
            return 0;
        }

        if (k > sh->n_types) {
            sh->n_types = k;
        }

        ngx_memcpy(sh->type[k], name, len);
        sh->type_len[k] = (u_char) len;

        return k;
    }

    return 0;
}


/* A positive event: the item's impressions start again. */
static void
ngx_http_recsys_ev_unshow(ngx_http_recsys_ev_node_t *en, uint64_t item)
{
    ngx_uint_t  k;

    for (k = 0; en->shown != NULL && k < en->n_shown; k++) {
        if ((en->shown[k] >> 20) == item) {
            /* the others keep their order (ngx_http_recsys_ev_show) */
            ngx_memmove(&en->shown[k], &en->shown[k + 1],
                        (en->n_shown - k - 1) * sizeof(uint64_t));
            en->n_shown--;
            return;
        }
    }
}


/*
 * The user's node, made (with room) when there is none or when theirs has
 * expired: the ttl's clean-up drops only the least recently active users,
 * and an expired user's old events must not come back with a new one.
 */
static ngx_http_recsys_ev_node_t *
ngx_http_recsys_ev_user(ngx_http_recsys_ev_zone_t *ctx, uint64_t user,
    time_t now, ngx_uint_t *evicted)
{
    uint32_t                   *head;
    ngx_http_recsys_ev_node_t  *en;

    head = ngx_http_recsys_ev_bucket(ctx->sh, user);
    en = ngx_http_recsys_ev_lookup(ctx, head, user);

    if (en != NULL && ngx_http_recsys_ev_expired(ctx, en, now)) {
        ngx_http_recsys_ev_delete(ctx, en);
        ctx->sh->counters.expired++;
        en = NULL;
    }

    if (en != NULL) {
        ngx_queue_remove(&en->queue);
        ngx_queue_insert_head(&ctx->sh->lru, &en->queue);
        return en;
    }

    en = ngx_http_recsys_ev_alloc(ctx,
             ngx_http_recsys_ev_node_size(ctx->per_user),
             (ngx_uint_t) -1, NULL, evicted);     /* no bound */
    if (en == NULL) {
        return NULL;
    }

    en->n = 0;
    en->next = 0;
    en->n_shown = 0;
    en->user = user;
    en->shown = NULL;
    en->version = 0;
    en->last = (uint32_t) now;

    en->chain = *head;
    *head = ngx_http_recsys_ev_off(ctx, en);

    ngx_queue_insert_head(&ctx->sh->lru, &en->queue);
    ctx->sh->counters.users++;

    return en;
}


ngx_uint_t
ngx_http_recsys_events_add(ngx_shm_zone_t *zone, ngx_http_recsys_ev_in_t *in,
    ngx_uint_t n)
{
    time_t                      now;
    ngx_uint_t                  k, slot, evicted;
    ngx_http_recsys_ev_node_t  *en;
    ngx_http_recsys_ev_zone_t  *ctx;

    ctx = zone->data;
    now = ngx_time();
    evicted = 0;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    ngx_http_recsys_ev_expire(ctx, now);

    for (k = 0; k < n; k++) {
        en = ngx_http_recsys_ev_user(ctx, in[k].user, now, &evicted);
        if (en == NULL) {
            continue;
        }

        slot = ngx_http_recsys_ev_type_slot(ctx, in[k].type,
                                            in[k].type_len);

        en->ev[en->next] = ngx_http_recsys_ev_make(in[k].item, slot,
                                                   now / 60);
        en->next = (u_char) ((en->next + 1) % ctx->per_user);

        if (en->n < ctx->per_user) {
            en->n++;
            ctx->sh->counters.events++;
        }

        if (in[k].weight > 0.0f) {
            ngx_http_recsys_ev_unshow(en, in[k].item);
        }

        en->last = (uint32_t) now;
        en->version = ++ctx->sh->clock;
        ctx->sh->counters.accepted++;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return evicted;
}


/* The items shown at least rotation times, copied into the pool. */
static ngx_int_t
ngx_http_recsys_ev_copy_shown(ngx_http_recsys_ev_node_t *en,
    ngx_pool_t *pool, ngx_uint_t rotation, ngx_http_recsys_ev_user_t *out)
{
    ngx_uint_t  k;

    out->shown = NULL;
    out->n_shown = 0;

    if (en->shown == NULL || rotation == 0) {
        return NGX_OK;
    }

    out->shown = ngx_palloc(pool, en->n_shown * sizeof(uint64_t) + 1);
    if (out->shown == NULL) {
        return NGX_ERROR;
    }

    for (k = 0; k < en->n_shown; k++) {
        if ((en->shown[k] & NGX_HTTP_RECSYS_EV_SHOWN_MAX) >= rotation) {
            out->shown[out->n_shown++] = en->shown[k] >> 20;
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_recsys_events_get(ngx_shm_zone_t *zone, uint64_t user,
    ngx_pool_t *pool, ngx_uint_t rotation, ngx_http_recsys_ev_user_t *out)
{
    time_t                      now;
    ngx_int_t                   rc;
    uint32_t                    off, *bucket;
    ngx_uint_t                  k, first;
    ngx_http_recsys_ev_node_t  *en;
    ngx_http_recsys_ev_zone_t  *ctx;

    ctx = zone->data;

    /*
     * nobody in the user's bucket: no events, no lock (a user coming in
     * meanwhile is as if the request had been a moment earlier)
     */
    bucket = ngx_http_recsys_ev_bucket(ctx->sh, user);
    off = *(volatile uint32_t *) bucket;
    if (off == 0) {
        return NGX_DECLINED;
    }

    /* the chain's first node, most often the user's, on its way meanwhile */
    recsys_row_prefetch_bytes((u_char *) ngx_http_recsys_ev_at(ctx, off),
                              ngx_http_recsys_ev_node_size(ctx->per_user));

    now = ngx_time();
    rc = NGX_DECLINED;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    en = ngx_http_recsys_ev_lookup(ctx, bucket, user);
    if (en == NULL) {
        goto done;
    }

    if (ngx_http_recsys_ev_expired(ctx, en, now)) {
        ngx_http_recsys_ev_delete(ctx, en);
        ctx->sh->counters.expired++;
        goto done;
    }

    if (en->n == 0 && en->shown == NULL) {
        goto done;
    }

    rc = NGX_ERROR;

    out->ev = ngx_palloc(pool, (en->n + 1) * sizeof(uint64_t));
    if (out->ev == NULL) {
        goto done;
    }

    /* the ring oldest first: from first to its end, then from its start */
    first = (en->next + ctx->per_user - en->n) % ctx->per_user;
    k = ngx_min(en->n, ctx->per_user - first);

    ngx_memcpy(out->ev, &en->ev[first], k * sizeof(uint64_t));
    ngx_memcpy(out->ev + k, en->ev, (en->n - k) * sizeof(uint64_t));

    out->n = en->n;
    out->version = en->version;

    if (ngx_http_recsys_ev_copy_shown(en, pool, rotation, out) == NGX_OK) {
        rc = NGX_OK;
    }

done:

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return rc;
}


size_t
ngx_http_recsys_events_type_name(ngx_shm_zone_t *zone, ngx_uint_t slot,
    u_char *name)
{
    size_t                      len;
    ngx_http_recsys_ev_zone_t  *ctx;

    ctx = zone->data;

    if (slot == 0 || slot > NGX_HTTP_RECSYS_EV_TYPES) {
        return 0;
    }

    /* a slot that no event uses may be named again meanwhile */
    ngx_shmtx_lock(&ctx->shpool->mutex);

    len = ctx->sh->type_len[slot];
    ngx_memcpy(name, ctx->sh->type[slot], len);

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return len;
}


ngx_uint_t
ngx_http_recsys_events_types_gen(ngx_shm_zone_t *zone)
{
    ngx_http_recsys_ev_zone_t  *ctx;

    ctx = zone->data;

    return *(volatile ngx_uint_t *) &ctx->sh->types_gen;
}


/*
 * One showing of item.  The entries are kept in the order they were last
 * shown, oldest first: a shown item moves to the end, and when all are
 * taken the least recently shown gives way.  An item of the same answer
 * is never the one (it was shown just now), so an answer of up to
 * NGX_HTTP_RECSYS_EV_IMPR items is counted whole; and an item moved down
 * long ago is forgotten before one shown lately, and comes back up (the
 * answer changes then, and with it the user's version: *changed).
 */
static void
ngx_http_recsys_ev_show(ngx_http_recsys_ev_node_t *en, uint64_t item,
    ngx_uint_t rotation, ngx_uint_t *changed)
{
    uint64_t    e;
    ngx_uint_t  k;

    for (k = 0; k < en->n_shown; k++) {
        if ((en->shown[k] >> 20) == item) {
            break;
        }
    }

    if (k < en->n_shown) {
        e = en->shown[k];

    } else {
        e = item << 20;

        if (en->n_shown < NGX_HTTP_RECSYS_EV_IMPR) {
            en->shown[en->n_shown++] = e;

        } else {
            k = 0;
            *changed |= rotation > 0
                        && (en->shown[0] & NGX_HTTP_RECSYS_EV_SHOWN_MAX)
                           >= rotation;
        }
    }

    /* k's entry to the end, the later ones one place up */
    ngx_memmove(&en->shown[k], &en->shown[k + 1],
                (en->n_shown - k - 1) * sizeof(uint64_t));

    if ((e & NGX_HTTP_RECSYS_EV_SHOWN_MAX) < NGX_HTTP_RECSYS_EV_SHOWN_MAX) {
        e++;
    }

    *changed |= (e & NGX_HTTP_RECSYS_EV_SHOWN_MAX) == rotation;
    en->shown[en->n_shown - 1] = e;
}


void
ngx_http_recsys_events_impress(ngx_shm_zone_t *zone, uint64_t user,
    const uint64_t *items, ngx_uint_t n, ngx_uint_t rotation)
{
    time_t                      now;
    ngx_uint_t                  k, evicted, changed;
    ngx_http_recsys_ev_node_t  *en;
    ngx_http_recsys_ev_zone_t  *ctx;

    ctx = zone->data;
    now = ngx_time();
    evicted = 0;
    changed = 0;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    en = ngx_http_recsys_ev_user(ctx, user, now, &evicted);

    /*
     * the impressions are a chunk as large as a user's node when that is
     * larger, so that the slab's size class is the node's and the first
     * user dropped makes room; with smaller nodes (per_user under 10) a
     * dropped node may free no chunk of this size, and after a few drops
     * the impressions are not counted this time rather than emptying the
     * zone for them
     */
    if (en != NULL && en->shown == NULL) {
        en->shown = ngx_http_recsys_ev_alloc(ctx,
                        ngx_max(NGX_HTTP_RECSYS_EV_IMPR * sizeof(uint64_t),
                                ngx_http_recsys_ev_node_size(ctx->per_user)),
                        NGX_HTTP_RECSYS_EV_IMPR_EVICT, en, &evicted);
    }

    if (en != NULL) {
        en->last = (uint32_t) now;
    }

    if (en != NULL && en->shown != NULL) {
        for (k = 0; k < n; k++) {
            ngx_http_recsys_ev_show(en, items[k], rotation, &changed);
        }

        if (changed) {
            /* the next answer differs: so does its ETag */
            en->version = ++ctx->sh->clock;
        }
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);
}


void
ngx_http_recsys_events_reject(ngx_shm_zone_t *zone)
{
    ngx_http_recsys_ev_zone_t  *ctx;

    ctx = zone->data;

    ngx_shmtx_lock(&ctx->shpool->mutex);
    ctx->sh->counters.rejected++;
    ngx_shmtx_unlock(&ctx->shpool->mutex);
}


void
ngx_http_recsys_events_counters(ngx_shm_zone_t *zone,
    ngx_http_recsys_ev_counters_t *c, size_t *used, size_t *free)
{
    ngx_http_recsys_ev_zone_t  *ctx;

    ctx = zone->data;

    ngx_shmtx_lock(&ctx->shpool->mutex);
    *c = ctx->sh->counters;
    *free = ctx->shpool->pfree * ngx_pagesize;
    *used = (size_t) (ctx->shpool->end - ctx->shpool->start) - *free;
    ngx_shmtx_unlock(&ctx->shpool->mutex);
}


uint64_t
ngx_http_recsys_events_user_hash(const u_char *id, size_t len)
{
    return recsys_live_hash64((const char *) id, len);
}


ngx_int_t
ngx_http_recsys_events_erase(ngx_shm_zone_t *zone, uint64_t user)
{
    ngx_http_recsys_ev_node_t  *en;
    ngx_http_recsys_ev_zone_t  *ctx;

    ctx = zone->data;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    en = ngx_http_recsys_ev_lookup(ctx,
                                   ngx_http_recsys_ev_bucket(ctx->sh, user),
                                   user);
    if (en != NULL) {
        ngx_http_recsys_ev_delete(ctx, en);
        ctx->sh->counters.erased++;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return en != NULL ? NGX_OK : NGX_DECLINED;
}


static ngx_int_t
ngx_http_recsys_ev_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_recsys_ev_zone_t  *octx = data;

    size_t                      len, n;
    ngx_http_recsys_ev_zone_t  *ctx;

    ctx = shm_zone->data;

    if (octx != NULL) {
        if (octx->per_user != ctx->per_user) {
            ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                          "recsys_events zone \"%V\" holds per_user=%ui "
                          "events, not %ui: give the zone a new name or "
                          "size to change it", &shm_zone->shm.name,
                          octx->per_user, ctx->per_user);
            return NGX_ERROR;
        }

        ctx->sh = octx->sh;
        ctx->shpool = octx->shpool;

        return NGX_OK;
    }

    ctx->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        ctx->sh = ctx->shpool->data;
        return NGX_OK;
    }

    ctx->sh = ngx_slab_alloc(ctx->shpool, sizeof(ngx_http_recsys_ev_shctx_t));
    if (ctx->sh == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(ctx->sh, sizeof(ngx_http_recsys_ev_shctx_t));
    ctx->shpool->data = ctx->sh;

    /*
     * the versions of a new zone (a restart, a resize) start past those
     * of the one before, whose ETags clients may still hold: from the
     * time, 2^20 versions a second
     */
    ctx->sh->clock = (uint64_t) ngx_time() << 20;

    ngx_queue_init(&ctx->sh->lru);

    /*
     * a bucket of 4 bytes per 256 bytes of zone, the smallest node's
     * chunk: a chain holds about one node in a full zone
     */
    for (n = 4096; n < shm_zone->shm.size / 256 && n < (1 << 24); n *= 2) {
        /* void */
    }

    ctx->sh->bucket = ngx_slab_calloc(ctx->shpool, n * sizeof(uint32_t));
    if (ctx->sh->bucket == NULL) {
        return NGX_ERROR;
    }

    ctx->sh->bucket_mask = n - 1;
    ngx_http_recsys_ev_random(ctx->sh->bucket_key, 2, shm_zone->shm.log);

    len = sizeof(" in recsys_events zone \"\"") + shm_zone->shm.name.len;

    ctx->shpool->log_ctx = ngx_slab_alloc(ctx->shpool, len);
    if (ctx->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(ctx->shpool->log_ctx, " in recsys_events zone \"%V\"%Z",
                &shm_zone->shm.name);

    /* a full zone is normal: it makes room, nothing to log */
    ctx->shpool->log_nomem = 0;

    return NGX_OK;
}


/* n random words from the kernel; without them, from random(3). */
static void
ngx_http_recsys_ev_random(uint32_t *key, size_t n, ngx_log_t *log)
{
    size_t    k;
    ssize_t   got;
    ngx_fd_t  fd;

    got = -1;
    fd = ngx_open_file("/dev/urandom", NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd != NGX_INVALID_FILE) {
        got = read(fd, key, n * sizeof(uint32_t));
        (void) ngx_close_file(fd);
    }

    if (got != (ssize_t) (n * sizeof(uint32_t))) {
        ngx_log_error(NGX_LOG_WARN, log, ngx_errno,
                      "recsys_events: no /dev/urandom, the zone's buckets "
                      "are keyed by random(3)");

        for (k = 0; k < n; k++) {
            key[k] = (uint32_t) ngx_random() ^ (uint32_t) ngx_time();
        }
    }
}


/*
 * recsys_events zone=NAME:SIZE [per_user=N] [ttl=TIME]: one zone per http
 * block; tag is the module's, for nginx to tell the zone's owner.
 */
char *
ngx_http_recsys_events_zone(ngx_conf_t *cf,
    ngx_http_recsys_ev_main_conf_t *emcf, void *tag)
{
    u_char                     *p;
    ssize_t                     size;
    ngx_str_t                  *value, name, s;
    ngx_int_t                   n;
    ngx_uint_t                  i;
    ngx_http_recsys_ev_zone_t  *ctx;

    if (emcf->zone != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;
    size = 0;
    name.len = 0;
    emcf->per_user = 20;
    emcf->ttl = 3600;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {
            name.data = value[i].data + 5;
            p = (u_char *) ngx_strchr(name.data, ':');
            if (p == NULL) {
                goto invalid;
            }

            name.len = p - name.data;
            s.data = p + 1;
            s.len = value[i].data + value[i].len - s.data;

            size = ngx_parse_size(&s);
            if (name.len == 0 || size == NGX_ERROR) {
                goto invalid;
            }

            if (size < (ssize_t) (64 * ngx_pagesize)) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "recsys_events zone \"%V\" is too small: "
                                   "at least %uz bytes", &value[i],
                                   64 * ngx_pagesize);
                return NGX_CONF_ERROR;
            }

            /* a node's place is 32 bits of 8-byte units */
            if ((uint64_t) size > NGX_HTTP_RECSYS_EV_ZONE_MAX) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "recsys_events zone \"%V\" is too large: "
                                   "at most 32768m", &value[i]);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "per_user=", 9) == 0) {
            n = ngx_atoi(value[i].data + 9, value[i].len - 9);
            if (n < 1 || n > NGX_HTTP_RECSYS_EV_PER_USER) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "recsys_events: per_user must be from 1 "
                                   "to %d", NGX_HTTP_RECSYS_EV_PER_USER);
                return NGX_CONF_ERROR;
            }

            emcf->per_user = (ngx_uint_t) n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "ttl=", 4) == 0) {
            s.data = value[i].data + 4;
            s.len = value[i].len - 4;

            emcf->ttl = ngx_parse_time(&s, 1);
            if (emcf->ttl == (time_t) NGX_ERROR || emcf->ttl < 1
                || emcf->ttl > NGX_HTTP_RECSYS_EV_TTL_MAX)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "recsys_events: ttl must be from 1s to "
                                   "30d");
                return NGX_CONF_ERROR;
            }

            continue;
        }

        goto invalid;
    }

    if (name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "recsys_events needs zone=NAME:SIZE");
        return NGX_CONF_ERROR;
    }

    ctx = ngx_pcalloc(cf->pool, sizeof(ngx_http_recsys_ev_zone_t));
    if (ctx == NULL) {
        return NGX_CONF_ERROR;
    }

    ctx->per_user = emcf->per_user;
    ctx->ttl = emcf->ttl;

    emcf->zone = ngx_shared_memory_add(cf, &name, size, tag);
    if (emcf->zone == NULL) {
        return NGX_CONF_ERROR;
    }

    if (emcf->zone->data != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "recsys_events zone \"%V\" is already used",
                           &name);
        return NGX_CONF_ERROR;
    }

    emcf->zone->init = ngx_http_recsys_ev_init_zone;
    emcf->zone->data = ctx;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "recsys_events: invalid parameter \"%V\"", &value[i]);

    return NGX_CONF_ERROR;
}
