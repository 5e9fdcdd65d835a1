/*
 * ngx_http_recsys_json.c: writing responses.
 *
 * A result body is mostly copies of fragments the builder pre-rendered
 * (each item's id and its "title"/"genres" members); only scores and the
 * echoed user id are formatted here.  The buffer is sized from an upper
 * bound computed first, written once, and checked against that bound.
 * ETag is the model id and a CRC of what the answer depends on (query,
 * user, overrides, diversity), so nginx's not-modified filter answers
 * If-None-Match with 304.
 */

#include "ngx_http_recsys_module.h"
#include "ngx_http_recsys_events.h"


#define NGX_HTTP_RECSYS_SCORE_MAX  32
#define NGX_HTTP_RECSYS_LOCAL_ITEMS  128


static ngx_str_t  ngx_http_recsys_json_type = ngx_string("application/json");


size_t
ngx_http_recsys_json_escaped_len(ngx_str_t *s)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < s->len; i++) {
        if (s->data[i] == '"' || s->data[i] == '\\') {
            n += 2;

        } else if (s->data[i] < 0x20 || s->data[i] == 0x7f) {
            n += 6;

        } else {
            n++;
        }
    }

    return n;
}


u_char *
ngx_http_recsys_json_escape(u_char *p, ngx_str_t *s)
{
    size_t  i;

    for (i = 0; i < s->len; i++) {
        if (s->data[i] == '"' || s->data[i] == '\\') {
            *p++ = '\\';
            *p++ = s->data[i];

        } else if (s->data[i] < 0x20 || s->data[i] == 0x7f) {
            p = ngx_sprintf(p, "\\u%04xd", (ngx_uint_t) s->data[i]);

        } else {
            *p++ = s->data[i];
        }
    }

    return p;
}


/* "00" .. "99": two decimal digits per lookup */
static const u_char  ngx_http_recsys_digits2[] =
    "0001020304050607080910111213141516171819"
    "2021222324252627282930313233343536373839"
    "4041424344454647484950515253545556575859"
    "6061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";


/*
 * A score with at most 6 decimals, trailing zeros dropped: fixed point by
 * hand, the six decimals as three two-digit lookups, a few dozen
 * instructions where a printf-style call costs hundreds.  The digits kept
 * are counted from the last non-zero pair, without a loop over the zeros.
 */
static u_char *
ngx_http_recsys_json_score(u_char *p, float score)
{
    u_char      digits[24], *d;
    double      v;
    uint64_t    whole;
    uint32_t    frac, hi, mid, lo, rest, last, n;

    v = score;

    if (!(v > -1e12 && v < 1e12)) {
        v = 0.0;    /* NaN or absurd: never break the JSON */
    }

    /* the sign without a branch, so one code path follows */
    *p = '-';
    p += v < 0;
    v = v < 0 ? -v : v;

    /*
     * The whole part and the millionths rounded, without a 64-bit
     * division: a float times 1e6 is exact in a double (24 + 14
     * significant bits), and so is its fraction times 1e6.
     */
    whole = (uint64_t) (int64_t) v;
    frac = (uint32_t) ((v - (double) whole) * 1e6 + 0.5);

    if (frac == 1000000) {
        whole++;
        frac = 0;
    }

    if (whole < 10) {
        *p++ = (u_char) ('0' + whole);

    } else {
        d = digits + sizeof(digits);

        do {
            *--d = (u_char) ('0' + whole % 10);
            whole /= 10;
        } while (whole);

        p = ngx_cpymem(p, d, digits + sizeof(digits) - d);
    }

    if (frac == 0) {
        return p;
    }

    hi = frac / 10000;
    rest = frac - hi * 10000;
    mid = rest / 100;
    lo = rest - mid * 100;

    /* all six digits in place; those after the last non-zero one dropped */
    *p++ = '.';
    ngx_memcpy(p, &ngx_http_recsys_digits2[2 * hi], 2);
    ngx_memcpy(p + 2, &ngx_http_recsys_digits2[2 * mid], 2);
    ngx_memcpy(p + 4, &ngx_http_recsys_digits2[2 * lo], 2);

    n = lo ? 6 : (mid ? 4 : 2);
    last = lo ? lo : (mid ? mid : hi);      /* frac != 0: not zero */

    return p + n - (last % 10 == 0);
}


/*
 * Answer buffers, reused.  The request pool has some 700 bytes left when
 * the handler runs, so an answer written there takes a new pool block: a
 * malloc and a free per request.  Instead a buffer comes from the worker's
 * free list and goes back to it when the request's pool is destroyed,
 * after nginx has sent it; at most NGX_HTTP_RECSYS_BODY_KEEP wait there.
 */
#define NGX_HTTP_RECSYS_BODY_SIZE  16384
#define NGX_HTTP_RECSYS_BODY_KEEP  128

typedef struct ngx_http_recsys_body_s  ngx_http_recsys_body_t;

struct ngx_http_recsys_body_s {
    ngx_http_recsys_body_t  *next;
    u_char                   data[NGX_HTTP_RECSYS_BODY_SIZE];
};

static ngx_http_recsys_body_t  *ngx_http_recsys_free_bodies;
static ngx_uint_t               ngx_http_recsys_n_free_bodies;


static void
ngx_http_recsys_body_release(void *data)
{
    ngx_http_recsys_body_t  *b;

    b = data;

    if (ngx_http_recsys_n_free_bodies >= NGX_HTTP_RECSYS_BODY_KEEP) {
        ngx_free(b);
        return;
    }

    b->next = ngx_http_recsys_free_bodies;
    ngx_http_recsys_free_bodies = b;
    ngx_http_recsys_n_free_bodies++;
}


/* Frees the buffers waiting in the free list: the worker exits. */
void
ngx_http_recsys_json_exit(void)
{
    ngx_http_recsys_body_t  *b;

    while (ngx_http_recsys_free_bodies != NULL) {
        b = ngx_http_recsys_free_bodies;
        ngx_http_recsys_free_bodies = b->next;
        ngx_free(b);
    }

    ngx_http_recsys_n_free_bodies = 0;
}


static u_char *
ngx_http_recsys_body_alloc(ngx_http_request_t *r, size_t len)
{
    ngx_pool_cleanup_t      *cln;
    ngx_http_recsys_body_t  *b;

    if (len > NGX_HTTP_RECSYS_BODY_SIZE) {
        return ngx_pnalloc(r->pool, len);
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    b = ngx_http_recsys_free_bodies;

    if (b != NULL) {
        ngx_http_recsys_free_bodies = b->next;
        ngx_http_recsys_n_free_bodies--;

    } else {
        b = ngx_alloc(sizeof(ngx_http_recsys_body_t), r->connection->log);
        if (b == NULL) {
            return NULL;
        }
    }

    cln->handler = ngx_http_recsys_body_release;
    cln->data = b;

    return b->data;
}


/*
 * Adds a response header named key (a static string) with an empty value
 * for the caller to set.  NULL when the pool is exhausted.
 */
static ngx_table_elt_t *
ngx_http_recsys_push_header(ngx_http_request_t *r, char *key)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    h->key.len = ngx_strlen(key);
    h->key.data = (u_char *) key;
    ngx_str_null(&h->value);

    return h;
}


ngx_int_t
ngx_http_recsys_send_buffer(ngx_http_request_t *r, u_char *body, size_t len)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    if (r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = body;
    b->last = body + len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/*
 * Sends the answer; ttl > 0 adds Cache-Control.  An answer for a user is
 * that user's ("private", which shared caches do not keep): a user from
 * recsys_user (a cookie, a header) is not in the URL a cache keys on, and
 * no user's list belongs in a shared cache even when it is.
 */
static ngx_int_t
ngx_http_recsys_send_body(ngx_http_request_t *r, ngx_uint_t status,
    u_char *body, size_t len, ngx_str_t *etag, time_t ttl,
    ngx_uint_t personal)
{
    ngx_table_elt_t  *cc;

    r->headers_out.status = status;
    r->headers_out.content_type = ngx_http_recsys_json_type;
    r->headers_out.content_type_len = ngx_http_recsys_json_type.len;
    r->headers_out.content_length_n = len;

    if (etag != NULL) {
        r->headers_out.etag = ngx_http_recsys_push_header(r, "ETag");
        if (r->headers_out.etag == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        r->headers_out.etag->value = *etag;
    }

    if (ttl > 0) {
        cc = ngx_http_recsys_push_header(r, "Cache-Control");
        if (cc == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        cc->value.data = ngx_pnalloc(r->pool, sizeof("private, max-age=")
                                              + NGX_TIME_T_LEN);
        if (cc->value.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        cc->value.len = ngx_sprintf(cc->value.data, "%smax-age=%T",
                                    personal ? "private, " : "", ttl)
                        - cc->value.data;
    }

    return ngx_http_recsys_send_buffer(r, body, len);
}


ngx_int_t
ngx_http_recsys_send_error(ngx_http_request_t *r, int status,
    const char *message)
{
    size_t                  len;
    u_char                 *body, *p;
    ngx_table_elt_t        *allow;
    const recsys_status_t  *st;

    st = recsys_status_get(status);

    len = sizeof("{\"error\":\"\",\"message\":\"\"}") - 1
          + ngx_strlen(st->error) + ngx_strlen(message);

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* error and message are fixed texts of this module: no escaping */
    p = ngx_sprintf(body, "{\"error\":\"%s\",\"message\":\"%s\"}",
                    st->error, message);

    if (st->http == NGX_HTTP_NOT_ALLOWED) {
        allow = ngx_http_recsys_push_header(r, "Allow");
        if (allow == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_set(&allow->value, "GET, HEAD");
    }

    return ngx_http_recsys_send_body(r, st->http, body, p - body, NULL, 0,
                                     0);
}


/* The sources' names as JSON keys ("itemcf":), measured once. */
static ngx_str_t *
ngx_http_recsys_source_keys(void)
{
    int          s;
    u_char      *p;
    const char  *name;

    static u_char     buf[RECSYS_NSRC][32];
    static ngx_str_t  keys[RECSYS_NSRC];

    if (keys[0].len != 0) {
        return keys;
    }

    for (s = 0; s < RECSYS_NSRC; s++) {
        name = recsys_source_name(s);
        p = buf[s];
        *p++ = '"';
        p = ngx_cpymem(p, name, ngx_min(ngx_strlen(name), 28));
        *p++ = '"';
        *p++ = ':';
        keys[s].data = buf[s];
        keys[s].len = p - buf[s];
    }

    return keys;
}


/* Writes source s's key as this model names it ("itemcf":, "als_spark":). */
static u_char *
ngx_http_recsys_source_key(u_char *p, recsys_model_t *model, int s)
{
    ngx_str_t   *keys;
    const char  *name;

    if (s < RECSYS_SRC_IMPORT) {
        keys = ngx_http_recsys_source_keys();
        return ngx_cpymem(p, keys[s].data, keys[s].len);
    }

    name = recsys_model_source_name(model, s);
    *p++ = '"';
    p = ngx_cpymem(p, name, ngx_strlen(name));
    *p++ = '"';
    *p++ = ':';

    return p;
}


/* Bytes the explanation of one item may take. */
static size_t
ngx_http_recsys_why_len(recsys_model_t *model, recsys_why_t *why)
{
    int            s;
    size_t         len;
    uint32_t       k;
    ngx_str_t     *keys;
    recsys_rule_t  rule;
    recsys_item_t  it;

    keys = ngx_http_recsys_source_keys();
    len = sizeof(",\"sources\":{},\"because\":[]");

    for (s = 0; s < RECSYS_NSRC; s++) {
        if (why->contrib[s] != 0.0f) {
            len += sizeof("\"\":") + RECSYS_IMPORT_NAME_MAX + keys[s].len
                   + 1 + NGX_HTTP_RECSYS_SCORE_MAX;
        }
    }

    for (k = 0; k < why->n_because; k++) {
        recsys_model_item_get(model, why->because[k], &it);
        len += it.id_json_len + 1;
    }

    if (why->rule != RECSYS_NO_INDEX) {
        recsys_rules_get(recsys_model_rules(model), why->rule, &rule);

        len += sizeof(",\"rule\":{\"if\":[],\"then\":,\"support\":,"
                      "\"confidence\":,\"lift\":}")
               + 3 * NGX_HTTP_RECSYS_SCORE_MAX;

        for (k = 0; k < rule.n_ante; k++) {
            recsys_model_item_get(model, rule.ante[k], &it);
            len += it.id_json_len + 1;
        }

        recsys_model_item_get(model, rule.cons, &it);
        len += it.id_json_len;
    }

    return len;
}


static u_char *
ngx_http_recsys_why_write(u_char *p, recsys_model_t *model, recsys_why_t *why)
{
    int            s, first;
    uint32_t       k;
    recsys_rule_t  rule;
    recsys_item_t  it;

    p = ngx_cpymem(p, ",\"sources\":{", sizeof(",\"sources\":{") - 1);
    first = 1;

    for (s = 0; s < RECSYS_NSRC; s++) {
        if (why->contrib[s] == 0.0f) {
            continue;
        }

        if (!first) {
            *p++ = ',';
        }

        first = 0;
        p = ngx_http_recsys_source_key(p, model, s);
        p = ngx_http_recsys_json_score(p, why->contrib[s]);
    }

    p = ngx_cpymem(p, "},\"because\":[", sizeof("},\"because\":[") - 1);

    for (k = 0; k < why->n_because; k++) {
        recsys_model_item_get(model, why->because[k], &it);

        if (k > 0) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, it.id_json, it.id_json_len);
    }

    *p++ = ']';

    if (why->rule == RECSYS_NO_INDEX) {
        return p;
    }

    recsys_rules_get(recsys_model_rules(model), why->rule, &rule);
    p = ngx_cpymem(p, ",\"rule\":{\"if\":[", sizeof(",\"rule\":{\"if\":[") - 1);

    for (k = 0; k < rule.n_ante; k++) {
        recsys_model_item_get(model, rule.ante[k], &it);

        if (k > 0) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, it.id_json, it.id_json_len);
    }

    recsys_model_item_get(model, rule.cons, &it);
    p = ngx_cpymem(p, "],\"then\":", sizeof("],\"then\":") - 1);
    p = ngx_cpymem(p, it.id_json, it.id_json_len);
    p = ngx_cpymem(p, ",\"support\":", sizeof(",\"support\":") - 1);
    p = ngx_http_recsys_json_score(p, rule.support);
    p = ngx_cpymem(p, ",\"confidence\":", sizeof(",\"confidence\":") - 1);
    p = ngx_http_recsys_json_score(p, rule.confidence);
    p = ngx_cpymem(p, ",\"lift\":", sizeof(",\"lift\":") - 1);
    p = ngx_http_recsys_json_score(p, rule.lift);
    *p++ = '}';

    return p;
}


/*
 * The answer is a function of the model, the query string, the user
 * (who may come from a cookie or a header), the location's settings, the
 * overrides and the diversity: that is the ETag, cheaper to hash than the
 * body.  NGX_ERROR when out of memory.
 */
static ngx_int_t
ngx_http_recsys_etag(ngx_http_request_t *r, const char *id, size_t id_len,
    ngx_str_t *user, const char *algo_name, uint32_t depends,
    ngx_str_t *etag)
{
    u_char                      *e;
    uint32_t                     k, crc;
    uint64_t                     live;
    ngx_http_recsys_ctx_t       *ctx;
    ngx_http_recsys_loc_conf_t  *rlcf;

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_recsys_module);

    ngx_crc32_init(crc);
    ngx_crc32_update(&crc, r->args.data, r->args.len);
    ngx_crc32_update(&crc, (u_char *) &rlcf->settings_crc,
                     sizeof(rlcf->settings_crc));
    ngx_crc32_update(&crc, (u_char *) "\n", 1);
    if (user != NULL) {
        ngx_crc32_update(&crc, user->data, user->len);
    }

    /* the overrides' version and the location's diversity, when set */
    ctx = ngx_http_get_module_ctx(r, ngx_http_recsys_module);
    if (ctx != NULL && (ctx->overrides != 0 || ctx->diversity > 0.0f)) {
        ngx_crc32_update(&crc, (u_char *) &ctx->overrides,
                         sizeof(ctx->overrides));
        ngx_crc32_update(&crc, (u_char *) &ctx->diversity,
                         sizeof(ctx->diversity));
    }
    ngx_crc32_update(&crc, (u_char *) algo_name, ngx_strlen(algo_name));
    live = ngx_http_recsys_live_version(r);
    if (live != 0) {
        /* the user's live events changed: so did the answer */
        ngx_crc32_update(&crc, (u_char *) &live, sizeof(live));
    }
    if (depends != 0) {
        /* the location's filter, the time window of availability */
        ngx_crc32_update(&crc, (u_char *) &depends, sizeof(depends));
    }
    ngx_crc32_final(crc);

    etag->data = ngx_pnalloc(r->pool, id_len + 12);
    if (etag->data == NULL) {
        return NGX_ERROR;
    }

    /* "<model id>-<crc as 8 hex digits>", without a printf per request */
    e = etag->data;
    *e++ = '"';
    e = ngx_cpymem(e, id, id_len);
    *e++ = '-';

    for (k = 0; k < 8; k++) {
        *e++ = "0123456789abcdef"[(crc >> (28 - 4 * k)) & 0xf];
    }

    *e++ = '"';
    etag->len = e - etag->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_recsys_send_result(ngx_http_request_t *r,
    ngx_http_recsys_loc_conf_t *rlcf, recsys_model_t *model,
    ngx_str_t *user, ngx_str_t *item, recsys_result_t *res)
{
    size_t          len, id_len;
    u_char         *body, *p;
    uint32_t        k;
    ngx_str_t       etag;
    const char     *id, *algo_name, *fallback;
    recsys_item_t  *its;

    /* the items' parts of up to n=128 answers: no pool block for them */
    recsys_item_t   local[NGX_HTTP_RECSYS_LOCAL_ITEMS];

    id = recsys_model_id(model);
    id_len = ngx_strlen(id);
    algo_name = recsys_query_algo_model_name(model, res->algo);
    fallback = recsys_query_fallback_name(res->fallback);

    /* measure: an upper bound, checked after writing */

    len = sizeof("{\"model\":\"\",\"algo\":\"\",\"user\":null,"
                 "\"item\":\"\",\"fallback\":\"\",\"items\":[]}")
          + ngx_strlen(id) + ngx_strlen(algo_name)
          + (fallback ? ngx_strlen(fallback) : 4);

    if (user != NULL) {
        len += 2 + ngx_http_recsys_json_escaped_len(user);
    }

    if (item != NULL) {
        len += ngx_http_recsys_json_escaped_len(item);
    }

    its = local;

    if (res->n > NGX_HTTP_RECSYS_LOCAL_ITEMS) {
        its = ngx_palloc(r->pool, res->n * sizeof(recsys_item_t));
        if (its == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    recsys_model_items_prefetch(model, res->items, res->n);

    for (k = 0; k < res->n; k++) {
        recsys_model_item_get(model, res->items[k].item, &its[k]);
        len += sizeof("{\"id\":,\"score\":,},") + its[k].id_json_len
               + its[k].meta_json_len + NGX_HTTP_RECSYS_SCORE_MAX;

        if (res->why != NULL) {
            len += ngx_http_recsys_why_len(model, &res->why[k]);
        }
    }

    body = ngx_http_recsys_body_alloc(r, len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* write */

    p = ngx_cpymem(body, "{\"model\":\"", sizeof("{\"model\":\"") - 1);
    p = ngx_cpymem(p, id, id_len);
    p = ngx_cpymem(p, "\",\"algo\":\"", sizeof("\",\"algo\":\"") - 1);
    p = ngx_cpymem(p, algo_name, ngx_strlen(algo_name));
    p = ngx_cpymem(p, "\",\"user\":", sizeof("\",\"user\":") - 1);

    if (user != NULL) {
        *p++ = '"';
        p = ngx_http_recsys_json_escape(p, user);
        *p++ = '"';

    } else {
        p = ngx_cpymem(p, "null", 4);
    }

    if (item != NULL) {
        p = ngx_cpymem(p, ",\"item\":\"", sizeof(",\"item\":\"") - 1);
        p = ngx_http_recsys_json_escape(p, item);
        *p++ = '"';
    }

    if (fallback != NULL) {
        p = ngx_cpymem(p, ",\"fallback\":\"", sizeof(",\"fallback\":\"") - 1);
        p = ngx_cpymem(p, fallback, ngx_strlen(fallback));
        p = ngx_cpymem(p, "\",\"items\":[", sizeof("\",\"items\":[") - 1);

    } else {
        p = ngx_cpymem(p, ",\"fallback\":null,\"items\":[",
                       sizeof(",\"fallback\":null,\"items\":[") - 1);
    }

    for (k = 0; k < res->n; k++) {
        if (k > 0) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, "{\"id\":", sizeof("{\"id\":") - 1);
        p = ngx_cpymem(p, its[k].id_json, its[k].id_json_len);
        p = ngx_cpymem(p, ",\"score\":", sizeof(",\"score\":") - 1);
        p = ngx_http_recsys_json_score(p, res->items[k].score);
        *p++ = ',';
        p = ngx_cpymem(p, its[k].meta_json, its[k].meta_json_len);

        if (res->why != NULL) {
            p = ngx_http_recsys_why_write(p, model, &res->why[k]);
        }

        *p++ = '}';
    }

    *p++ = ']';
    *p++ = '}';

    if ((size_t) (p - body) > len) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "recsys: response overran its buffer");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_recsys_etag(r, id, id_len, user, algo_name, res->depends,
                             &etag)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_recsys_send_body(r, NGX_HTTP_OK, body, p - body, &etag,
                                     rlcf->cache_ttl,
                                     user != NULL || rlcf->private_answers);
}


ngx_int_t
ngx_http_recsys_send_prediction(ngx_http_request_t *r, recsys_model_t *model,
    ngx_str_t *user, ngx_str_t *item, recsys_prediction_t *pr)
{
    size_t                       len;
    u_char                      *body, *p;
    ngx_str_t                    etag;
    const char                  *id;
    ngx_http_recsys_loc_conf_t  *rlcf;

    id = recsys_model_id(model);

    len = sizeof("{\"model\":\"\",\"user\":\"\",\"item\":\"\","
                 "\"prediction\":{\"user_knn\":,\"item_knn\":,"
                 "\"user_mean\":,\"item_mean\":,\"user_support\":,"
                 "\"item_support\":}}")
          + ngx_strlen(id) + ngx_http_recsys_json_escaped_len(user)
          + ngx_http_recsys_json_escaped_len(item)
          + 4 * NGX_HTTP_RECSYS_SCORE_MAX + 2 * NGX_INT_T_LEN;

    body = ngx_pnalloc(r->pool, len);
    if (body == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_sprintf(body, "{\"model\":\"%s\",\"user\":\"", id);
    p = ngx_http_recsys_json_escape(p, user);
    p = ngx_cpymem(p, "\",\"item\":\"", sizeof("\",\"item\":\"") - 1);
    p = ngx_http_recsys_json_escape(p, item);
    p = ngx_cpymem(p, "\",\"prediction\":{\"user_knn\":",
                   sizeof("\",\"prediction\":{\"user_knn\":") - 1);
    p = ngx_http_recsys_json_score(p, (float) pr->user_knn);
    p = ngx_cpymem(p, ",\"item_knn\":", sizeof(",\"item_knn\":") - 1);
    p = ngx_http_recsys_json_score(p, (float) pr->item_knn);
    p = ngx_cpymem(p, ",\"user_mean\":", sizeof(",\"user_mean\":") - 1);
    p = ngx_http_recsys_json_score(p, (float) pr->user_mean);
    p = ngx_cpymem(p, ",\"item_mean\":", sizeof(",\"item_mean\":") - 1);
    p = ngx_http_recsys_json_score(p, (float) pr->item_mean);
    p = ngx_sprintf(p, ",\"user_support\":%d,\"item_support\":%d}}",
                    pr->user_support, pr->item_support);

    /* a user's prediction: an ETag and Cache-Control as for an answer */
    if (ngx_http_recsys_etag(r, id, ngx_strlen(id), user, "predict", 0,
                             &etag)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rlcf = ngx_http_get_module_loc_conf(r, ngx_http_recsys_module);

    return ngx_http_recsys_send_body(r, NGX_HTTP_OK, body, p - body, &etag,
                                     rlcf->cache_ttl, 1);
}
