/*
 * fuzz_query.c: the query engine over a real model.
 *
 * Feeds: the seed model (RECSYS_FUZZ_MODEL, a small model recsys-build
 * made, opened once) and a request read from the fuzzer's bytes:
 *     u8 algo (modulo RECSYS_NALGOS);  u8 flags: 1 a user, 2 an item,
 *     4 explain, 8 request weights, 16 the shared scratch array, 32 a
 *     rating prediction (recsys_predict) when there are a user and an item;
 *     u16 user, u16 item (modulo the model's counts);  u16 n (1..1000);
 *     u16 offset (0..10000);  u16 max_history, u16 max_nbrs,
 *     u16 explain_history (each 0..1000);  u8 count and u16 items of the
 *     history, then of the exclusions (modulo n_items);  u8 count and u8
 *     genres (modulo n_genres);  RECSYS_NSRC x u8 weights (/ 25.5: 0..10);
 *     u16 session_nbrs (0..2000; 0, no bound, when the input has ended).
 * Indexes are always in range, as the module's lookups make them; the
 * rest is anything the module lets through.  recsys_query_run runs with
 * a bump allocator whose unused bytes and red zones are poisoned.
 * Asserts: no crash, no sanitizer report, no hang; RECSYS_OK or
 * RECSYS_ENOTFOUND (RECSYS_ENOMEM only if the 256 MiB arena is spent);
 * at most n results, each an item index of the model, none excluded,
 * none twice (recsys_fuzz_check_result).
 * With RECSYS_FUZZ_SEED_DIR set it writes one request per algorithm
 * there and exits.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_predict.h"
#include "recsys_status.h"

#include "fuzz_common.h"


#define RECSYS_FUZZ_MAXQ  256


static recsys_model_t    *recsys_fuzz_m;
static recsys_scratch_t  *recsys_fuzz_scratch;
static recsys_alloc_t     recsys_fuzz_a;


static void
recsys_fuzz_seeds(void)
{
    int      algo;
    char     name[32];
    uint8_t  in[64];

    for (algo = 0; algo < RECSYS_NALGOS; algo++) {
        memset(in, 0, sizeof(in));
        in[0] = (uint8_t) algo;
        in[1] = algo & 1 ? 1 | 4 : 2 | 16;  /* a user, or an item */
        in[2] = (uint8_t) (algo * 7);       /* user */
        in[4] = (uint8_t) (algo * 5);       /* item */
        in[6] = 10;                         /* n */
        in[16] = 3;                         /* history 1, 2, 3 */
        in[17] = 1;
        in[19] = 2;
        in[21] = 3;
        in[23] = 1;                         /* exclude 4 */
        in[24] = 4;
        in[26] = 0;                         /* no genres */
        snprintf(name, sizeof(name), "algo-%d", algo);
        recsys_fuzz_seed_out(name, in, 27 + RECSYS_NSRC);
    }
}


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;

    recsys_fuzz_seed_mode(recsys_fuzz_seeds);

    recsys_fuzz_m = recsys_fuzz_seed_model();
    recsys_fuzz_scratch = recsys_scratch_create(
                              recsys_model_header(recsys_fuzz_m)->n_items);
    recsys_fuzz_alloc_init(&recsys_fuzz_a, 256 << 20);

    if (recsys_fuzz_scratch == NULL) {
        exit(1);
    }

    return 0;
}


static uint32_t
recsys_fuzz_indexes(recsys_fuzz_in_t *in, uint32_t *out, uint32_t limit,
    int wide)
{
    uint32_t  n, k;

    n = recsys_fuzz_u8(in);

    for (k = 0; k < n; k++) {
        out[k] = wide ? recsys_fuzz_u16(in) : recsys_fuzz_u8(in);
        out[k] = limit ? out[k] % limit : 0;
    }

    return limit ? n : 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                     rc, s;
    uint32_t                flags, hist[RECSYS_FUZZ_MAXQ];
    uint32_t                excl[RECSYS_FUZZ_MAXQ], genres[RECSYS_FUZZ_MAXQ];
    float                   w[RECSYS_NSRC];
    recsys_query_t          q;
    recsys_prediction_t     pred;
    recsys_result_t         res;
    recsys_fuzz_in_t        in;
    const recsys_header_t  *h;

    in.p = data;
    in.n = size;
    h = recsys_model_header(recsys_fuzz_m);

    memset(&q, 0, sizeof(recsys_query_t));
    q.algo = (int) (recsys_fuzz_u8(&in) % RECSYS_NALGOS);
    flags = recsys_fuzz_u8(&in);
    q.user = recsys_fuzz_u16(&in);
    q.item = recsys_fuzz_u16(&in);
    q.user = (flags & 1) && h->n_users ? q.user % h->n_users
                                       : RECSYS_NO_INDEX;
    q.item = (flags & 2) && h->n_items ? q.item % h->n_items
                                       : RECSYS_NO_INDEX;
    q.explain = (flags & 4) != 0;
    q.scratch = (flags & 16) ? recsys_fuzz_scratch : NULL;
    q.n = recsys_fuzz_u16(&in) % 1000 + 1;
    q.offset = recsys_fuzz_u16(&in) % 10001;
    q.max_history = recsys_fuzz_u16(&in) % 1001;
    q.max_nbrs = recsys_fuzz_u16(&in) % 1001;
    q.explain_history = recsys_fuzz_u16(&in) % 1001;

    q.history = hist;
    q.n_history = recsys_fuzz_indexes(&in, hist, h->n_items, 1);
    q.exclude = excl;
    q.n_exclude = recsys_fuzz_indexes(&in, excl, h->n_items, 1);
    q.genres = genres;
    q.n_genres = recsys_fuzz_indexes(&in, genres, h->n_genres, 0);

    for (s = 0; s < RECSYS_NSRC; s++) {
        w[s] = (float) recsys_fuzz_u8(&in) / 25.5f;
    }

    q.weights = (flags & 8) ? w : NULL;
    q.session_nbrs = recsys_fuzz_u16(&in) % 2001;

    if ((flags & 32) && q.user != RECSYS_NO_INDEX
        && q.item != RECSYS_NO_INDEX)
    {
        (void) recsys_predict(recsys_fuzz_m, q.user, q.item, &pred);
    }

    recsys_fuzz_alloc_reset(&recsys_fuzz_a);
    memset(&res, 0, sizeof(recsys_result_t));

    rc = recsys_query_run(recsys_fuzz_m, &q, &recsys_fuzz_a, &res);

    if (rc == RECSYS_OK) {
        recsys_fuzz_check_result(&q, &res, h->n_items);

    } else if (rc != RECSYS_ENOTFOUND && rc != RECSYS_ENOMEM) {
        fprintf(stderr, "fuzz: recsys_query_run: %d\n", rc);
        abort();
    }

    return 0;
}
