/*
 * fuzz_items.c: the catalogue search of /items over a real model.
 *
 * Feeds: the seed model (RECSYS_FUZZ_MODEL, opened once) and a query read
 * from the fuzzer's bytes:
 *     u16 n (1..1000);  u16 offset (0..10000);  u8 count and u8 genres
 *     (modulo n_genres, 255: a genre no item has);  the rest: q, any
 *     bytes (none: the whole catalogue).
 * q is not checked as the module checks it (UTF-8, no NUL): the engine
 * must survive any bytes.  recsys_items_search runs with a bump allocator
 * whose unused bytes and red zones are poisoned.
 * Asserts: no crash, no sanitizer report, no hang; RECSYS_OK; at most n
 * results, each an item of the model, none twice, each title holding q
 * (ASCII letters lowercased on both sides).
 * With RECSYS_FUZZ_SEED_DIR set it writes a few queries there and exits.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_items.h"
#include "recsys_status.h"

#include "fuzz_common.h"


static recsys_model_t  *recsys_fuzz_m;
static recsys_alloc_t   recsys_fuzz_a;


static void
recsys_fuzz_seeds(void)
{
    static const char  *qs[] = { "", "the", "S", "ow", "shadow of", "(19" };
    size_t              k, len;
    char                name[32];
    uint8_t             in[64];

    for (k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
        memset(in, 0, sizeof(in));
        in[0] = (uint8_t) (5 + k);          /* n */
        in[2] = (uint8_t) k;                /* offset */
        in[4] = k & 1;                      /* one genre, or none */
        in[5] = (uint8_t) k;
        len = strlen(qs[k]);
        memcpy(in + 5 + in[4], qs[k], len);
        snprintf(name, sizeof(name), "q-%zu", k);
        recsys_fuzz_seed_out(name, in, 5 + in[4] + len);
    }
}


/* The seed model must have the search index. */
RECSYS_FUZZ_QUERY_INIT(1)


/* Whether the item's (lowercased) title holds q lowercased. */
static int
recsys_fuzz_holds(const recsys_items_index_t *ix, uint32_t item,
    const uint8_t *q, size_t q_len)
{
    size_t                k, j, len;
    uint32_t              from;
    const unsigned char  *t;

    from = recsys_get_u32(ix->title_offsets + (size_t) item * 4);
    len = recsys_get_u32(ix->title_offsets + (size_t) item * 4 + 4) - from;
    t = ix->titles + from;

    for (k = 0; k + q_len <= len; k++) {
        for (j = 0; j < q_len && t[k + j] == recsys_items_lower(q[j]); j++) {
            /* compare */
        }

        if (j == q_len) {
            return 1;
        }
    }

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                          rc;
    size_t                       q_len;
    uint32_t                     k, j, n_genres, genres[256];
    uint32_t                     n_items;
    recsys_fuzz_in_t             in;
    recsys_items_query_t         iq;
    recsys_items_result_t        res;
    const uint8_t               *q;
    const recsys_items_index_t  *ix;

    in.p = data;
    in.n = size;
    ix = recsys_model_search(recsys_fuzz_m);
    n_items = recsys_model_header(recsys_fuzz_m)->n_items;
    n_genres = recsys_model_header(recsys_fuzz_m)->n_genres;

    memset(&iq, 0, sizeof(recsys_items_query_t));
    iq.n = recsys_fuzz_u16(&in) % 1000 + 1;
    iq.offset = recsys_fuzz_u16(&in) % 10001;
    iq.n_genres = recsys_fuzz_u8(&in);

    for (k = 0; k < iq.n_genres; k++) {
        genres[k] = recsys_fuzz_u8(&in);
        genres[k] = genres[k] == 255 || n_genres == 0 ? RECSYS_NO_INDEX
                                                      : genres[k] % n_genres;
    }

    iq.genres = genres;
    q = recsys_fuzz_bytes(&in, in.n, &q_len);
    iq.q = (const char *) q;
    iq.q_len = q_len;

    recsys_fuzz_alloc_reset(&recsys_fuzz_a);

    rc = recsys_items_search(recsys_fuzz_m, &iq, &recsys_fuzz_a, &res);
    if (rc != RECSYS_OK) {
        fprintf(stderr, "fuzz: recsys_items_search: %d\n", rc);
        abort();
    }

    if (res.n > iq.n) {
        fprintf(stderr, "fuzz: %u results for n=%u\n", res.n, iq.n);
        abort();
    }

    for (k = 0; k < res.n; k++) {
        if (res.items[k] >= n_items
            || !recsys_fuzz_holds(ix, res.items[k], q, q_len))
        {
            fprintf(stderr, "fuzz: result %u does not hold q\n",
                    res.items[k]);
            abort();
        }

        for (j = 0; j < k; j++) {
            if (res.items[j] == res.items[k]) {
                fprintf(stderr, "fuzz: item %u twice\n", res.items[k]);
                abort();
            }
        }
    }

    return 0;
}
