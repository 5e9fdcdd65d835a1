/*
 * ngx_http_recsys_live.c: what /recommend takes from the events zone.
 *
 * Before the query, a user's live events become the newest part of the
 * request's history (recsys_live_merge: one entry per item, its events'
 * weights summed, newest last), after the request's own history= items
 * (newer than them), so the engine's one request-time path scores them as
 * it scores history=, with every live item seen and the negative ones
 * pushing their neighbours down; explain=1 credits them in "because" like
 * any history item.  A user without live events costs a hash and, mostly,
 * one load: the zone chains its users by bucket of user hashes, and an
 * empty bucket is read without its mutex (ngx_http_recsys_events_get).
 *
 * With recsys_impressions on, the items of each answer are counted per
 * user; an item shown recsys_rotation times since its last positive event
 * moves below the unshown ones: the query asks for the list from its
 * start to the page's end and as many more items as there are such items,
 * they go to the end of it (pins keep their places), and the page is cut
 * from it after the move.
 *
 * The request's live version (the zone's clock at the user's last change)
 * goes into the ETag, so a revalidating cache never keeps a stale answer.
 */

#include "ngx_http_recsys_events.h"


typedef struct {
    uint64_t                  user;
    uint64_t                  version;
    uint64_t                 *shown;        /* item hashes at rotation */
    ngx_uint_t                n_shown;
    uint32_t                  n;            /* what the client asked */
    uint32_t                  offset;
} ngx_http_recsys_live_ctx_t;


/*
 * The model's index of the zone's type slot, -1 for none: found by name
 * once per slot, model and naming of the zone's slots (a slot's name
 * changes only when no event uses it: the zone's types_gen then changes,
 * ngx_http_recsys_live_items).
 */
static int
ngx_http_recsys_live_type(ngx_http_recsys_ev_main_conf_t *emcf,
    ngx_http_recsys_ev_model_t *em, ngx_uint_t slot)
{
    int                         t;
    size_t                      len;
    u_char                      name[RECSYS_EVJSON_TYPE_MAX];
    const recsys_live_types_t  *types;

    if (slot <= NGX_HTTP_RECSYS_EV_TYPES
        && em->slot_type[slot] != NGX_HTTP_RECSYS_EV_UNSEEN)
    {
        return em->slot_type[slot];
    }

    /* without a table no weights: the live items are only seen */
    types = ngx_http_recsys_event_types(em);

    len = ngx_http_recsys_events_type_name(emcf->zone, slot, name);
    t = len && types != NULL
        ? recsys_live_type_find(types, (const char *) name, len) : -1;

    /* a free slot (len 0) may be named without a new types_gen: asked
     * again next time */
    if (slot <= NGX_HTTP_RECSYS_EV_TYPES && len > 0) {
        em->slot_type[slot] = (int8_t) t;
    }

    return t;
}


/*
 * The live items with known indexes and their weights, oldest first; item
 * and w hold u->n entries.
 */
static ngx_int_t
ngx_http_recsys_live_items(ngx_http_request_t *r,
    ngx_http_recsys_ev_model_t *em, recsys_model_t *model,
    ngx_http_recsys_ev_user_t *u, uint32_t *item, float *w, uint32_t *n)
{
    int                              t;
    uint64_t                        *hash;
    ngx_uint_t                       k, gen;
    recsys_live_items_t             *items;
    ngx_http_recsys_ev_main_conf_t  *emcf;

    emcf = ngx_http_get_module_main_conf(r, ngx_http_recsys_events_module);
    *n = 0;

    items = ngx_http_recsys_event_items(r, em, model);
    hash = ngx_palloc(r->pool, u->n * sizeof(uint64_t));

    if (items == NULL || hash == NULL) {
        return NGX_ERROR;
    }

    gen = ngx_http_recsys_events_types_gen(emcf->zone);
    if (gen != em->slot_gen) {
        ngx_memset(em->slot_type, NGX_HTTP_RECSYS_EV_UNSEEN,
                   sizeof(em->slot_type));
        em->slot_gen = gen;
    }

    for (k = 0; k < u->n; k++) {
        hash[k] = ngx_http_recsys_ev_item(u->ev[k]);
    }

    recsys_live_items_find(items, hash, (uint32_t) u->n, item);

    /* the known ones moved up in place (*n <= k) */
    for (k = 0; k < u->n; k++) {
        if (item[k] == RECSYS_NO_INDEX) {
            continue;
        }

        t = ngx_http_recsys_live_type(emcf, em,
                                      ngx_http_recsys_ev_type(u->ev[k]));

        item[*n] = item[k];
        w[(*n)++] = t >= 0 ? em->types.weight[t] : 0.0f;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_recsys_live_query(ngx_http_request_t *r,
    ngx_http_recsys_store_t *store, recsys_model_t *model, ngx_str_t *user,
    recsys_query_t *q)
{
    float                           *w, *hw;
    uint32_t                        *item, *hist, n, k, j, live;
    uint64_t                         hash;
    ngx_int_t                        rc;
    ngx_http_recsys_ev_user_t        u;
    ngx_http_recsys_live_ctx_t      *ctx;
    ngx_http_recsys_ev_model_t      *em;
    ngx_http_recsys_ev_loc_conf_t   *elcf;
    ngx_http_recsys_ev_main_conf_t  *emcf;

    emcf = ngx_http_get_module_main_conf(r, ngx_http_recsys_events_module);

    if (emcf->zone == NULL || user->len == 0) {
        return NGX_OK;
    }

    elcf = ngx_http_get_module_loc_conf(r, ngx_http_recsys_events_module);

    hash = ngx_http_recsys_events_user_hash(user->data, user->len);

    /* an erased user (the overrides file) is answered as a stranger, the
     * events they post after the file came included */
    if (recsys_ovr_erased_id(q->overrides, hash)) {
        return NGX_OK;
    }

    rc = ngx_http_recsys_events_get(emcf->zone, hash, r->pool,
                                    elcf->impressions ? elcf->rotation : 0,
                                    &u);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    /* no events and nothing to count: the answer is as without a zone */
    if (rc == NGX_DECLINED && !elcf->impressions) {
        return NGX_OK;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_recsys_live_ctx_t));
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ctx->user = hash;
    ctx->n = q->n;
    ngx_http_set_ctx(r, ctx, ngx_http_recsys_events_module);

    if (rc == NGX_DECLINED) {
        return NGX_OK;
    }

    ctx->version = u.version;
    ctx->shown = u.shown;
    ctx->n_shown = u.n_shown;

    if (u.n_shown > 0) {
        /*
         * rotating: the whole list up to the page's end and as many more
         * items as are to move down, so that an item above the page that
         * moves down is found below, and the page is cut from the list
         * after the move (ngx_http_recsys_live_rotate)
         */
        ctx->offset = q->offset;
        q->n += q->offset + (uint32_t) u.n_shown;
        q->offset = 0;
    }

    if (u.n == 0) {
        return NGX_OK;
    }

    item = ngx_palloc(r->pool, u.n * sizeof(uint32_t));
    w = ngx_palloc(r->pool, u.n * sizeof(float));
    hist = ngx_palloc(r->pool, (u.n + q->n_history) * sizeof(uint32_t));
    hw = ngx_palloc(r->pool, (u.n + q->n_history) * sizeof(float));

    em = ngx_http_recsys_event_model(r, store, model);

    if (item == NULL || w == NULL || hist == NULL || hw == NULL || em == NULL
        || ngx_http_recsys_live_items(r, em, model, &u, item, w, &n)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (n == 0) {
        return NGX_OK;
    }

    /*
     * newest last: the request's own history= items that are not live
     * already (one item is consumed once), then the live items, the newest
     * part of the history; the live ones are merged past room for the
     * others and moved down after them
     */
    live = recsys_live_merge(item, w, n, hist + q->n_history,
                             hw + q->n_history);
    n = 0;

    for (k = 0; k < q->n_history; k++) {
        for (j = 0; j < live && hist[q->n_history + j] != q->history[k]; j++)
        {
            /* void */
        }

        if (j == live) {
            hist[n] = q->history[k];
            hw[n++] = 1.0f;
        }
    }

    ngx_memmove(hist + n, hist + q->n_history, live * sizeof(uint32_t));
    ngx_memmove(hw + n, hw + q->n_history, live * sizeof(float));

    q->history = hist;
    q->history_weight = hw;
    q->n_history = n + live;

    return NGX_OK;
}


/* 1 if the hash of item is one of the shown ones. */
static ngx_uint_t
ngx_http_recsys_live_is_shown(ngx_http_recsys_live_ctx_t *ctx, uint64_t h)
{
    ngx_uint_t  k;

    for (k = 0; k < ctx->n_shown; k++) {
        if (ctx->shown[k] == h) {
            return 1;
        }
    }

    return 0;
}


/* 1 if a pin placed the result's item k (pins keep their places). */
static ngx_uint_t
ngx_http_recsys_live_pinned(const recsys_result_t *res, uint32_t k)
{
    return res->pinned != NULL && res->pinned[k];
}


/*
 * The shown items after the unshown ones (each group in its order) in the
 * places that no pin holds, over the list from its start.  hash[] follows
 * the items.
 */
static void
ngx_http_recsys_live_rotate(ngx_http_recsys_live_ctx_t *ctx,
    recsys_result_t *res, uint64_t *hash, uint64_t *tmp_hash,
    recsys_scored_t *tmp, recsys_why_t *tmp_why, uint32_t *order)
{
    uint32_t    k, j, m, pass, from;

    m = 0;

    for (pass = 0; pass < 2; pass++) {
        for (k = 0; k < res->n; k++) {
            if (!ngx_http_recsys_live_pinned(res, k)
                && ngx_http_recsys_live_is_shown(ctx, hash[k]) == pass)
            {
                order[m++] = k;
            }
        }
    }

    j = 0;

    for (k = 0; k < res->n; k++) {
        from = ngx_http_recsys_live_pinned(res, k) ? k : order[j++];

        tmp[k] = res->items[from];
        tmp_hash[k] = hash[from];

        if (res->why != NULL) {
            tmp_why[k] = res->why[from];
        }
    }

    ngx_memcpy(res->items, tmp, res->n * sizeof(recsys_scored_t));
    ngx_memcpy(hash, tmp_hash, res->n * sizeof(uint64_t));

    if (res->why != NULL) {
        ngx_memcpy(res->why, tmp_why, res->n * sizeof(recsys_why_t));
    }
}


/*
 * The page the client asked for (offset, n) cut from the list that a
 * rotating query answered from its start; hash[] (or NULL) follows.
 */
static void
ngx_http_recsys_live_page(ngx_http_recsys_live_ctx_t *ctx,
    recsys_result_t *res, uint64_t **hash)
{
    uint32_t  k;

    k = ngx_min(ctx->offset, res->n);

    res->items += k;

    if (hash != NULL) {
        *hash += k;
    }

    if (res->why != NULL) {
        res->why += k;
    }

    if (res->pinned != NULL) {
        res->pinned += k;
    }

    res->n = ngx_min(res->n - k, ctx->n);
}


void
ngx_http_recsys_live_result(ngx_http_request_t *r, recsys_model_t *model,
    recsys_result_t *res)
{
    uint32_t                         k, *order;
    uint64_t                        *hash, *tmp_hash;
    recsys_item_t                    it;
    recsys_why_t                    *tmp_why;
    recsys_scored_t                 *tmp;
    ngx_http_recsys_live_ctx_t      *ctx;
    ngx_http_recsys_ev_loc_conf_t   *elcf;
    ngx_http_recsys_ev_main_conf_t  *emcf;

    elcf = ngx_http_get_module_loc_conf(r, ngx_http_recsys_events_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_recsys_events_module);

    if (!elcf->impressions || ctx == NULL || res->n == 0) {
        return;
    }

    if (ctx->n_shown == 0) {
        order = NULL;       /* nothing moves: the query asked for the page */

    } else {
        order = ngx_palloc(r->pool, res->n * sizeof(uint32_t));
        if (order == NULL) {
            /* nothing moved, nothing counted: the page as it ranks */
            ngx_http_recsys_live_page(ctx, res, NULL);
            return;
        }
    }

    emcf = ngx_http_get_module_main_conf(r, ngx_http_recsys_events_module);

    hash = ngx_palloc(r->pool, 2 * res->n * sizeof(uint64_t));
    tmp = ngx_palloc(r->pool, res->n * sizeof(recsys_scored_t));
    tmp_why = ngx_palloc(r->pool, res->n * sizeof(recsys_why_t));

    if (hash == NULL || tmp == NULL || tmp_why == NULL) {
        /* nothing moved, nothing counted: the page as it ranks */
        if (order != NULL) {
            ngx_http_recsys_live_page(ctx, res, NULL);
        }

        return;
    }

    tmp_hash = hash + res->n;

    for (k = 0; k < res->n; k++) {
        recsys_model_item_get(model, res->items[k].item, &it);
        hash[k] = recsys_live_item_hash(it.ext, it.ext_len);
    }

    if (order != NULL) {
        ngx_http_recsys_live_rotate(ctx, res, hash, tmp_hash, tmp, tmp_why,
                                    order);
        ngx_http_recsys_live_page(ctx, res, &hash);
    }

    /* a HEAD shows nothing: its answer is the GET's, uncounted */
    if (r->method != NGX_HTTP_HEAD) {
        ngx_http_recsys_events_impress(emcf->zone, ctx->user, hash, res->n,
                                       elcf->rotation);
    }
}


uint64_t
ngx_http_recsys_live_version(ngx_http_request_t *r)
{
    ngx_http_recsys_live_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_recsys_events_module);

    return ctx != NULL ? ctx->version : 0;
}


/* what the zone holds now, and what only grows */
#define NGX_HTTP_RECSYS_LIVE_GAUGES(X)    X(users) X(events)
#define NGX_HTTP_RECSYS_LIVE_COUNTERS(X)                                      \
    X(evicted) X(expired) X(accepted) X(rejected) X(erased)


ngx_str_t *
ngx_http_recsys_live_zone_name(ngx_http_request_t *r)
{
    ngx_http_recsys_ev_main_conf_t  *emcf;

    emcf = ngx_http_get_module_main_conf(r, ngx_http_recsys_events_module);

    return emcf->zone != NULL ? &emcf->zone->shm.name : NULL;
}


u_char *
ngx_http_recsys_live_status(ngx_http_request_t *r, u_char *p,
    ngx_uint_t prometheus)
{
    size_t                           used, free;
    ngx_http_recsys_ev_counters_t    c;
    ngx_http_recsys_ev_main_conf_t  *emcf;

    emcf = ngx_http_get_module_main_conf(r, ngx_http_recsys_events_module);

    if (emcf->zone == NULL) {
        return p;
    }

    ngx_http_recsys_events_counters(emcf->zone, &c, &used, &free);

    if (prometheus) {

#define NGX_HTTP_RECSYS_LIVE_PROM_GAUGE(name)                                 \
        p = ngx_sprintf(p, "# TYPE recsys_events_" #name " gauge\n"          \
                        "recsys_events_" #name " %uL\n", c.name);
#define NGX_HTTP_RECSYS_LIVE_PROM_COUNTER(name)                               \
        p = ngx_sprintf(p, "# TYPE recsys_events_" #name "_total counter\n"  \
                        "recsys_events_" #name "_total %uL\n", c.name);

        NGX_HTTP_RECSYS_LIVE_GAUGES(NGX_HTTP_RECSYS_LIVE_PROM_GAUGE)
        NGX_HTTP_RECSYS_LIVE_COUNTERS(NGX_HTTP_RECSYS_LIVE_PROM_COUNTER)

        return ngx_sprintf(p, "# TYPE recsys_events_bytes gauge\n"
                           "recsys_events_bytes{state=\"used\"} %uz\n"
                           "recsys_events_bytes{state=\"free\"} %uz\n",
                           used, free);
    }

#define NGX_HTTP_RECSYS_LIVE_JSON(name)                                       \
    p = ngx_sprintf(p, ",\"" #name "\":%uL", c.name);

    NGX_HTTP_RECSYS_LIVE_GAUGES(NGX_HTTP_RECSYS_LIVE_JSON)
    NGX_HTTP_RECSYS_LIVE_COUNTERS(NGX_HTTP_RECSYS_LIVE_JSON)

    return ngx_sprintf(p, ",\"bytes_used\":%uz,\"bytes_free\":%uz", used,
                       free);
}
