/*
 * fuzz_overrides.c: the overrides file (recsys_overrides_parse), and the
 * rules it gives applied to queries over a real model.
 *
 * Feeds: the seed model (RECSYS_FUZZ_MODEL, opened once) and
 *     u8 flags: 1 a user, 2 an item=, 4 explain, 8 the request filter
 *     RECSYS_FUZZ_FILTER (so that pins with its clauses apply), the
 *     bits above: the source;  u8 user, u8 item (modulo the model's
 *     counts);  u8 n (1..256);  u8 offset;  u8 diversity (/ 255: 0..1);
 *     then the rest of the input as the file.
 * A file the parser accepts is resolved against the model
 * (recsys_ovr_view_make: ids, and filters compiled over the model's
 * attributes) and a query runs with it, with the diversity, for hybrid
 * and for one source.  Asserts: no crash, no sanitizer report, no
 * hang; a refused file names a line within the file; RECSYS_OK or
 * RECSYS_ENOTFOUND; at most n results, each an item of the model, none
 * hidden, none twice.  With RECSYS_FUZZ_SEED_DIR set it writes files
 * over the model's own ids there and exits.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_attrfilter.h"
#include "recsys_overrides.h"
#include "recsys_status.h"

#include "fuzz_common.h"


#define RECSYS_FUZZ_FILTER  "year>=1990,regions~US|FR"

static recsys_model_t             *recsys_fuzz_m;
static recsys_alloc_t              recsys_fuzz_a;
static const recsys_attrfilter_t  *recsys_fuzz_filter;


/* The request filter's memory, apart from the runs' arena: malloc. */
static void *
recsys_fuzz_filter_alloc(void *ctx, size_t size)
{
    (void) ctx;

    return malloc(size);
}


/* "CMD <id of item k> ARG\n" into p; the bytes written. */
static size_t
recsys_fuzz_rule(char *p, size_t room, const char *cmd, uint32_t item,
    const char *arg)
{
    int            len;
    recsys_item_t  it;

    recsys_model_item_get(recsys_fuzz_m, item, &it);
    len = snprintf(p, room, "%s %.*s%s%s\n", cmd, (int) it.ext_len, it.ext,
                   arg[0] ? " " : "", arg);

    return len > 0 && (size_t) len < room ? (size_t) len : 0;
}


static void
recsys_fuzz_seeds(void)
{
    size_t    n;
    uint32_t  k, items;
    uint8_t   in[2048];
    char     *p;

    items = recsys_model_header(recsys_fuzz_m)->n_items;
    memset(in, 0, sizeof(in));
    in[0] = 1 | 4;
    in[3] = 10;
    in[5] = 128;
    p = (char *) in + 6;
    n = 0;

    for (k = 0; k < 8 && k < items; k++) {
        n += recsys_fuzz_rule(p + n, sizeof(in) - 6 - n,
                              k % 4 == 0 ? "pin" : k % 4 == 1 ? "boost"
                                                              : "hide",
                              k * 3, k % 4 == 0 ? "2"
                                     : k % 4 == 1 ? "3.5" : "");
    }

    n += (size_t) snprintf(p + n, sizeof(in) - 6 - n,
                           "# a comment\nerase u00001\n\n");
    recsys_fuzz_seed_out("rules", in, 6 + n);

    /* the filtered forms, under the request filter and without it */
    in[0] = 1 | 8;
    n = 0;
    n += recsys_fuzz_rule(p + n, sizeof(in) - 6 - n, "pin", 5,
                          "1 year>=1990");
    n += recsys_fuzz_rule(p + n, sizeof(in) - 6 - n, "pin", 7,
                          "3 regions~FR|US,year>=1990");
    n += recsys_fuzz_rule(p + n, sizeof(in) - 6 - n, "pin", 9,
                          "2 maturity<=12");
    n += recsys_fuzz_rule(p + n, sizeof(in) - 6 - n, "boost", 11, "0.5");
    n += (size_t) snprintf(p + n, sizeof(in) - 6 - n,
                           "boost year>=2000 2.5\nboost regions~US 0.25\n"
                           "boost nofield=x 3\nboost year<=abc 3\n"
                           "boost maturity!=18,year<2010 1.5\n");
    recsys_fuzz_seed_out("filters", in, 6 + n);
    in[0] = 2 | 4 | (3 << 4);
    recsys_fuzz_seed_out("filters-item", in, 6 + n);

    memcpy(p, "pin x 0\n", 8);
    recsys_fuzz_seed_out("bad", in, 6 + 8);

    memcpy(p, "boost =1 2\n", 11);
    recsys_fuzz_seed_out("bad-filter", in, 6 + 11);
}


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    recsys_alloc_t        fa;
    recsys_attrfilter_t  *f;

    (void) argc;
    (void) argv;

    recsys_fuzz_start(&recsys_fuzz_m, recsys_fuzz_seeds, &recsys_fuzz_a,
                      64 << 20, 0);

    /* compiled once, kept for the process's life */
    fa.alloc = recsys_fuzz_filter_alloc;
    fa.ctx = NULL;

    if (recsys_attrfilter_create(recsys_model_attrs(recsys_fuzz_m), 0.0,
                                 &fa, &f)
        == RECSYS_OK
        && recsys_attrfilter_add(f, RECSYS_FUZZ_FILTER,
                                 strlen(RECSYS_FUZZ_FILTER))
           == RECSYS_OK)
    {
        recsys_fuzz_filter = f;
    }

    return 0;
}


static void
recsys_fuzz_run(recsys_query_t *q, uint32_t n_items)
{
    int              rc;
    recsys_result_t  res;

    recsys_fuzz_alloc_reset(&recsys_fuzz_a);
    memset(&res, 0, sizeof(recsys_result_t));

    rc = recsys_query_run(recsys_fuzz_m, q, &recsys_fuzz_a, &res);

    if (rc == RECSYS_OK) {
        recsys_fuzz_check_result(q, &res, n_items);

    } else if (rc != RECSYS_ENOTFOUND) {
        fprintf(stderr, "fuzz: query status %d\n", rc);
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                     rc;
    char                    err[128];
    uint32_t                flags, line, user, item;
    recsys_query_t          q;
    recsys_fuzz_in_t        in;
    recsys_ovr_view_t      *v;
    recsys_overrides_t     *o;
    const recsys_header_t  *h;

    in.p = data;
    in.n = size;
    h = recsys_model_header(recsys_fuzz_m);

    memset(&q, 0, sizeof(recsys_query_t));
    flags = recsys_fuzz_u8(&in);
    user = recsys_fuzz_u8(&in);
    item = recsys_fuzz_u8(&in);
    q.user = RECSYS_NO_INDEX;
    q.item = RECSYS_NO_INDEX;

    if ((flags & 1) && h->n_users > 0) {
        q.user = user % h->n_users;
    }

    if ((flags & 2) && h->n_items > 0) {
        q.item = item % h->n_items;
    }

    q.explain = (flags & 4) != 0;
    q.filter = (flags & 8) ? recsys_fuzz_filter : NULL;
    q.n = recsys_fuzz_u8(&in) + 1;
    q.offset = recsys_fuzz_u8(&in);
    q.diversity = (float) recsys_fuzz_u8(&in) / 255.0f;

    rc = recsys_overrides_parse((const char *) in.p, in.n, &o, &line, err,
                                sizeof(err));
    if (rc != RECSYS_OK) {
        if (o != NULL || (rc == RECSYS_EINVAL && line == 0)) {
            fprintf(stderr, "fuzz: refused without a line\n");
            abort();
        }

        return 0;
    }

    if (recsys_ovr_view_make(o, recsys_fuzz_m, &v) != RECSYS_OK) {
        abort();
    }

    q.overrides = v;
    q.algo = RECSYS_ALGO_HYBRID;
    recsys_fuzz_run(&q, h->n_items);
    q.algo = (int) (flags >> 4) % RECSYS_NSRC;
    recsys_fuzz_run(&q, h->n_items);

    recsys_ovr_view_free(v);
    recsys_overrides_free(o);

    return 0;
}
