/*
 * fuzz_args.c: the module's query-string parser
 * (ngx_http_recsys_module/ngx_http_recsys_args.c).
 *
 * Feeds: u8, u8: recsys_max_n and recsys_max_list (1..256 each), then the
 * rest as r->args, in a buffer of exactly its length, to
 * ngx_http_recsys_parse_args, as /recommend and as /items, and then to
 * ngx_http_recsys_items_args (the arguments only /items reads,
 * ngx_http_recsys_items_args.c).
 * Asserts: no crash, no sanitizer report; NGX_OK or NGX_DECLINED (a
 * shortage of memory never happens here); a decline names in args->bad
 * one of the module's argument names (what the 400 answer will print);
 * an accepted request has n within 1..max_n, an offset within 0..10000,
 * each weight -1 (not given) or within 0..10, the diversity -1 or within
 * 0..1, and each id decoded within its buffer; the same for /items' q, id
 * and meta.
 *
 * The parser is compiled against nginx's headers as configured in
 * build/nginx/src (./build.sh makes it), but Debian's nginx-dev carries
 * headers only, no sources, so nginx's pool code is not linked: this file
 * defines the one nginx function the parser calls, ngx_pnalloc, as an
 * exact-size malloc per call (AddressSanitizer then sees every overrun)
 * freed after each input.  ngx_strlchr, ngx_strncmp and ngx_memzero are
 * inline functions and macros of the headers.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_recsys_module.h"


#define RECSYS_FUZZ_ALLOCS  64


static void       *recsys_fuzz_allocs[RECSYS_FUZZ_ALLOCS];
static ngx_uint_t  recsys_fuzz_n_allocs;


void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    void  *p;

    (void) pool;

    if (recsys_fuzz_n_allocs == RECSYS_FUZZ_ALLOCS) {
        return NULL;
    }

    p = malloc(size);
    if (p != NULL) {
        recsys_fuzz_allocs[recsys_fuzz_n_allocs++] = p;
    }

    return p;
}


static void
recsys_fuzz_free_all(void)
{
    while (recsys_fuzz_n_allocs > 0) {
        free(recsys_fuzz_allocs[--recsys_fuzz_n_allocs]);
    }
}


static int
recsys_fuzz_known_name(const char *name)
{
    int                 s;
    ngx_uint_t          k;
    static const char  *names[] = {
        "user", "item", "n", "offset", "algo", "exclude", "history",
        "genre", "explain", "predict", "filter", "strict", "diversity"
    };

    for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        if (ngx_strcmp(name, names[k]) == 0) {
            return 1;
        }
    }

    if (name[0] == 'w' && name[1] == '_') {
        /* a registry source, or a name an imported source may have */
        s = recsys_source_parse(name + 2, ngx_strlen(name + 2));
        return s >= 0
               || recsys_source_import_name_ok(name + 2,
                                               ngx_strlen(name + 2));
    }

    return 0;
}


static void
recsys_fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz: %s\n", what);
    abort();
}


static void
recsys_fuzz_inside(ngx_str_t *s, const u_char *args, size_t len)
{
    ngx_uint_t  k;

    if (s->len == 0) {
        return;
    }

    for (k = 0; k < recsys_fuzz_n_allocs; k++) {
        if (s->data >= (u_char *) recsys_fuzz_allocs[k]
            && s->data + s->len
               <= (u_char *) recsys_fuzz_allocs[k] + len)
        {
            return;
        }
    }

    if (s->data < args || s->data + s->len > args + len) {
        recsys_fuzz_fail("a decoded value outside its buffer");
    }
}


static void
recsys_fuzz_accepted(ngx_http_recsys_args_t *args,
    ngx_http_recsys_loc_conf_t *rlcf, const u_char *q, size_t len)
{
    int  s;

    if (args->n < 1 || args->n > rlcf->max_n) {
        recsys_fuzz_fail("n out of range");
    }

    if (args->offset > NGX_HTTP_RECSYS_OFFSET_MAX) {
        recsys_fuzz_fail("offset out of range");
    }

    for (s = 0; s < RECSYS_NSRC; s++) {
        if (args->weight[s] != -1.0f
            && !(args->weight[s] >= 0.0f
                 && args->weight[s] <= NGX_HTTP_RECSYS_WEIGHT_MAX))
        {
            recsys_fuzz_fail("a weight out of range");
        }
    }

    if (args->diversity != -1.0f
        && !(args->diversity >= 0.0f && args->diversity <= 1.0f))
    {
        recsys_fuzz_fail("diversity out of range");
    }

    if (args->has_user && (args->user.len < 1 || args->user.len > 256)) {
        recsys_fuzz_fail("a user id of a bad length");
    }

    recsys_fuzz_inside(&args->user, q, len);
    recsys_fuzz_inside(&args->item, q, len);
    recsys_fuzz_inside(&args->algo, q, len);
    recsys_fuzz_inside(&args->exclude, q, len);
    recsys_fuzz_inside(&args->history, q, len);
    recsys_fuzz_inside(&args->genre, q, len);
}


/*
 * The arguments of /items on the same string: the shared parser in its
 * /items mode declines naming only n, offset or genre (every other
 * argument of /recommend is unknown there), and accepts whatever /recommend
 * accepts; then a decline names q, id or meta; an accepted q is 1 to 256
 * bytes, q and id within their buffers.
 */
static void
recsys_fuzz_items(ngx_http_request_t *r, ngx_http_recsys_loc_conf_t *rlcf,
    const u_char *q, size_t len, ngx_int_t recommend)
{
    ngx_int_t                      rc;
    const char                    *bad;
    ngx_http_recsys_args_t         args;
    ngx_http_recsys_items_args_t   ia;

    rc = ngx_http_recsys_parse_args(r, rlcf, 1, &args);

    if (rc == NGX_DECLINED) {
        if (args.bad == NULL || (ngx_strcmp(args.bad, "n") != 0
                                 && ngx_strcmp(args.bad, "offset") != 0
                                 && ngx_strcmp(args.bad, "genre") != 0))
        {
            recsys_fuzz_fail("/items: a 400 naming no argument of /items");
        }

        if (recommend == NGX_OK) {
            recsys_fuzz_fail("/items: a 400 for what /recommend accepts");
        }

    } else if (rc != NGX_OK) {
        recsys_fuzz_fail("/items: neither NGX_OK nor NGX_DECLINED");
    }

    bad = NULL;
    rc = ngx_http_recsys_items_args(r, rlcf, &ia, &bad);

    if (rc == NGX_DECLINED) {
        if (bad == NULL || (ngx_strcmp(bad, "q") != 0
                            && ngx_strcmp(bad, "id") != 0
                            && ngx_strcmp(bad, "meta") != 0))
        {
            recsys_fuzz_fail("/items: a 400 naming no argument of /items");
        }

        return;
    }

    if (rc != NGX_OK) {
        recsys_fuzz_fail("/items: neither NGX_OK nor NGX_DECLINED");
    }

    if (ia.has_q && (ia.q.len < 1 || ia.q.len > 256)) {
        recsys_fuzz_fail("/items: a q of a bad length");
    }

    recsys_fuzz_inside(&ia.q, q, len);
    recsys_fuzz_inside(&ia.id, q, len);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                      *q;
    ngx_int_t                    rc;
    ngx_http_request_t           r;
    ngx_http_recsys_args_t       args;
    ngx_http_recsys_loc_conf_t   rlcf;

    if (size < 2) {
        return 0;
    }

    ngx_memzero(&rlcf, sizeof(ngx_http_recsys_loc_conf_t));
    rlcf.max_n = (ngx_uint_t) data[0] + 1;
    rlcf.max_list = (ngx_uint_t) data[1] + 1;
    rlcf.default_n = rlcf.max_n < 10 ? rlcf.max_n : 10;

    q = malloc(size - 2 ? size - 2 : 1);
    if (q == NULL) {
        return 0;
    }

    ngx_memcpy(q, data + 2, size - 2);

    ngx_memzero(&r, sizeof(ngx_http_request_t));
    r.args.data = q;
    r.args.len = size - 2;

    rc = ngx_http_recsys_parse_args(&r, &rlcf, 0, &args);

    if (rc == NGX_DECLINED) {
        if (args.bad == NULL || !recsys_fuzz_known_name(args.bad)) {
            recsys_fuzz_fail("a 400 naming no known argument");
        }

    } else if (rc == NGX_OK) {
        recsys_fuzz_accepted(&args, &rlcf, q, size - 2);

    } else {
        recsys_fuzz_fail("neither NGX_OK nor NGX_DECLINED");
    }

    recsys_fuzz_items(&r, &rlcf, q, size - 2, rc);

    recsys_fuzz_free_all();
    free(q);

    return 0;
}
