/*
 * fuzz_filter.c: the attribute filter's parser and evaluator over a real
 * model (recsys_attrfilter.h).
 *
 * Feeds: the seed model (RECSYS_FUZZ_MODEL, made by recsys-build from the
 * generator's sample, whose catalog has numbers, lists and series) and:
 *     u8 split (the first split bytes of the text are the location's
 *     filter, the rest the request's);  u32 now (Unix seconds);  u8 flags:
 *     1 a user, 2 a history, 4 strict;  11 bytes of request: u8 algo,
 *     u16 user, 4 x u16 history items;  then the filter text, the rest of
 *     the input.
 * Both parts are compiled into one filter; a part that fails stops there.
 * Asserts: no crash, no sanitizer report, no hang; compiling answers
 * RECSYS_OK, RECSYS_EINVAL or RECSYS_ENOMEM; with a compiled filter, every
 * item is tested, and a query under it answers RECSYS_OK or
 * RECSYS_ENOTFOUND with at most n items, each of which passes the filter.
 * With RECSYS_FUZZ_SEED_DIR set it writes a few filters there and exits.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_attrfilter.h"
#include "recsys_status.h"

#include "fuzz_common.h"


static recsys_model_t  *recsys_fuzz_m;
static recsys_alloc_t   recsys_fuzz_a;


static void
recsys_fuzz_seeds(void)
{
    char         name[32];
    size_t       k, len;
    uint8_t      in[128];

    static const char  *seeds[] = {
        "year>=2000,maturity<=12,regions~FR",
        "regions~US|GB|XX,year!=1999",
        "series=Embervale,episode>2",
        "maturity<6,year<2010.5",
        "season=1,regions~JP"
    };

    for (k = 0; k < sizeof(seeds) / sizeof(seeds[0]); k++) {
        len = strlen(seeds[k]);
        memset(in, 0, 17);
        in[0] = (uint8_t) (k == 0 ? 0 : 9);     /* split */
        in[3] = 0x6e;                           /* now, about 2028 */
        in[5] = (uint8_t) (k & 7);              /* flags */
        in[6] = (uint8_t) k;                    /* algo */
        in[7] = (uint8_t) (k * 3);              /* user */
        memcpy(in + 17, seeds[k], len);
        snprintf(name, sizeof(name), "filter-%u", (unsigned) k);
        recsys_fuzz_seed_out(name, in, 17 + len);
    }
}


RECSYS_FUZZ_QUERY_INIT(0)


static void
recsys_fuzz_query(recsys_fuzz_in_t *in, const recsys_attrfilter_t *f,
    uint32_t flags)
{
    int                     rc;
    uint32_t                k, hist[4];
    recsys_query_t          q;
    recsys_result_t         res;
    const recsys_header_t  *h;

    h = recsys_model_header(recsys_fuzz_m);

    memset(&q, 0, sizeof(recsys_query_t));
    q.algo = (int) (recsys_fuzz_u8(in) % RECSYS_NALGOS);
    q.user = recsys_fuzz_u16(in);
    q.user = (flags & 1) && h->n_users ? q.user % h->n_users
                                       : RECSYS_NO_INDEX;
    q.item = RECSYS_NO_INDEX;
    q.n = 10;
    q.strict = (flags & 4) != 0;
    q.filter = f;

    for (k = 0; k < 4; k++) {
        hist[k] = h->n_items ? recsys_fuzz_u16(in) % h->n_items : 0;
    }

    if ((flags & 2) && h->n_items) {
        q.history = hist;
        q.n_history = 4;
    }

    rc = recsys_query_run(recsys_fuzz_m, &q, &recsys_fuzz_a, &res);

    if (rc != RECSYS_OK && rc != RECSYS_ENOTFOUND) {
        fprintf(stderr, "fuzz: query: %s\n", recsys_strerror(rc));
        abort();
    }

    if (rc != RECSYS_OK) {
        return;
    }

    if (res.n > q.n) {
        fprintf(stderr, "fuzz: %u results for n=%u\n", res.n, q.n);
        abort();
    }

    for (k = 0; k < res.n; k++) {
        if (!recsys_attrfilter_pass(f, res.items[k].item)) {
            fprintf(stderr, "fuzz: item %u fails the filter\n",
                    res.items[k].item);
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                   rc;
    size_t                split, len, got;
    uint32_t              k, flags, n_items;
    const char           *text;
    recsys_fuzz_in_t      in, qin;
    recsys_attrfilter_t  *f;

    in.p = data;
    in.n = size;
    split = recsys_fuzz_u8(&in);
    k = recsys_fuzz_u32(&in);
    flags = recsys_fuzz_u8(&in);
    qin.p = in.p;
    qin.n = in.n < 11 ? in.n : 11;
    (void) recsys_fuzz_bytes(&in, 11, &got);
    len = in.n;
    text = (const char *) recsys_fuzz_bytes(&in, len, &got);
    split = split < len ? split : len;

    recsys_fuzz_alloc_reset(&recsys_fuzz_a);

    rc = recsys_attrfilter_create(recsys_model_attrs(recsys_fuzz_m),
                                  (double) k, &recsys_fuzz_a, &f);
    if (rc == RECSYS_OK) {
        rc = recsys_attrfilter_add(f, text, split);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_attrfilter_add(f, text + split, len - split);
    }

    if (rc != RECSYS_OK && rc != RECSYS_EINVAL && rc != RECSYS_ENOMEM) {
        fprintf(stderr, "fuzz: compile: %s\n", recsys_strerror(rc));
        abort();
    }

    if (rc != RECSYS_OK) {
        return 0;
    }

    n_items = recsys_model_header(recsys_fuzz_m)->n_items;

    for (k = 0; k < n_items; k++) {
        (void) recsys_attrfilter_pass(f, k);
    }

    (void) recsys_attrfilter_epoch(f);
    recsys_fuzz_query(&qin, f, flags);

    return 0;
}
