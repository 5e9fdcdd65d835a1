/*
 * fuzz_common.c: the input cursor, the red-zoned request allocator, the
 * temporary files, the seed model and the use of an accepted model file
 * that the harnesses of fuzz/ share (fuzz_common.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sanitizer/asan_interface.h>

#include "recsys_arena.h"
#include "recsys_attrfilter.h"
#include "recsys_attrs.h"
#include "recsys_gru.h"
#include "recsys_hmm.h"
#include "recsys_items.h"
#include "recsys_live.h"
#include "recsys_predict.h"
#include "recsys_rules_read.h"
#include "recsys_schema.h"
#include "recsys_status.h"
#include "recsys_text.h"

#include "fuzz_common.h"


#define RECSYS_FUZZ_REDZONE  16
#define RECSYS_FUZZ_TMPS     4


static recsys_arena_t  recsys_fuzz_arena;
static char            recsys_fuzz_tmps[RECSYS_FUZZ_TMPS][128];
static int             recsys_fuzz_n_tmps;


uint32_t
recsys_fuzz_u8(recsys_fuzz_in_t *in)
{
    uint32_t  v;

    if (in->n == 0) {
        return 0;
    }

    v = in->p[0];
    in->p++;
    in->n--;

    return v;
}


uint32_t
recsys_fuzz_u16(recsys_fuzz_in_t *in)
{
    uint32_t  lo;

    lo = recsys_fuzz_u8(in);

    return lo | recsys_fuzz_u8(in) << 8;
}


uint32_t
recsys_fuzz_u32(recsys_fuzz_in_t *in)
{
    uint32_t  lo;

    lo = recsys_fuzz_u16(in);

    return lo | recsys_fuzz_u16(in) << 16;
}


const uint8_t *
recsys_fuzz_bytes(recsys_fuzz_in_t *in, size_t n, size_t *got)
{
    const uint8_t  *p;

    if (n > in->n) {
        n = in->n;
    }

    p = in->p;
    in->p += n;
    in->n -= n;
    *got = n;

    return p;
}


/*
 * recsys_arena_alloc with a red zone: the bytes between the end of what
 * was asked and the next allocation stay poisoned, as does everything not
 * yet handed out.
 */
static void *
recsys_fuzz_alloc(void *ctx, size_t size)
{
    char  *p;

    if (size > SIZE_MAX - 2 * RECSYS_FUZZ_REDZONE) {
        return NULL;
    }

    p = recsys_arena_alloc(ctx, size + RECSYS_FUZZ_REDZONE);
    if (p != NULL) {
        ASAN_UNPOISON_MEMORY_REGION(p, size);
    }

    return p;
}


void
recsys_fuzz_alloc_init(recsys_alloc_t *a, size_t size)
{
    recsys_fuzz_arena.base = malloc(size);
    if (recsys_fuzz_arena.base == NULL) {
        fprintf(stderr, "fuzz: out of memory\n");
        exit(1);
    }

    recsys_fuzz_arena.size = size;
    recsys_fuzz_arena.used = size;
    a->alloc = recsys_fuzz_alloc;
    a->ctx = &recsys_fuzz_arena;

    recsys_fuzz_alloc_reset(a);
}


void
recsys_fuzz_alloc_reset(recsys_alloc_t *a)
{
    recsys_arena_t  *arena;

    arena = a->ctx;
    ASAN_POISON_MEMORY_REGION(arena->base, arena->used);
    arena->used = 0;
}


static void
recsys_fuzz_tmp_cleanup(void)
{
    int  k;

    for (k = 0; k < recsys_fuzz_n_tmps; k++) {
        (void) unlink(recsys_fuzz_tmps[k]);
    }
}


const char *
recsys_fuzz_tmp_path(const char *suffix)
{
    int          k;
    const char  *dir;
    char         path[128];

    dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(path, sizeof(path), "%s/recsys-fuzz-%ld%s", dir,
             (long) getpid(), suffix);

    for (k = 0; k < recsys_fuzz_n_tmps; k++) {
        if (strcmp(recsys_fuzz_tmps[k], path) == 0) {
            return recsys_fuzz_tmps[k];
        }
    }

    if (recsys_fuzz_n_tmps == RECSYS_FUZZ_TMPS) {
        fprintf(stderr, "fuzz: too many temporary files\n");
        exit(1);
    }

    if (recsys_fuzz_n_tmps == 0) {
        atexit(recsys_fuzz_tmp_cleanup);
    }

    memcpy(recsys_fuzz_tmps[recsys_fuzz_n_tmps], path, sizeof(path));

    return recsys_fuzz_tmps[recsys_fuzz_n_tmps++];
}


int
recsys_fuzz_write(const char *path, const void *p, size_t n)
{
    int    ok;
    FILE  *f;

    f = fopen(path, "wb");
    if (f == NULL) {
        return -1;
    }

    ok = n == 0 || fwrite(p, 1, n, f) == n;

    return fclose(f) == 0 && ok ? 0 : -1;
}


static const char *
recsys_fuzz_seed_path(void)
{
    const char  *path;

    path = getenv("RECSYS_FUZZ_MODEL");
    if (path == NULL || *path == '\0') {
        fprintf(stderr, "fuzz: RECSYS_FUZZ_MODEL must name a model file "
                "(./build.sh fuzz makes one in build/fuzz/seed/)\n");
        exit(1);
    }

    return path;
}


unsigned char *
recsys_fuzz_seed_bytes(size_t *n)
{
    long            len;
    FILE           *f;
    const char     *path;
    unsigned char  *p;

    path = recsys_fuzz_seed_path();
    f = fopen(path, "rb");
    p = NULL;

    if (f != NULL && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0) {
        rewind(f);
        p = malloc((size_t) len);

        if (p != NULL && fread(p, 1, (size_t) len, f) != (size_t) len) {
            free(p);
            p = NULL;
        }

        *n = (size_t) len;
    }

    if (f != NULL) {
        fclose(f);
    }

    if (p == NULL) {
        fprintf(stderr, "fuzz: cannot read %s\n", path);
        exit(1);
    }

    return p;
}


recsys_model_t *
recsys_fuzz_seed_model(void)
{
    char             err[512];
    const char      *path;
    recsys_model_t  *m;

    path = recsys_fuzz_seed_path();

    if (recsys_model_open(path, &m, err, sizeof(err)) != RECSYS_OK) {
        fprintf(stderr, "fuzz: %s: %s\n", path, err);
        exit(1);
    }

    return m;
}


void
recsys_fuzz_start(recsys_model_t **m, void (*write_seeds)(void),
    recsys_alloc_t *a, size_t size, int need_search)
{
    *m = recsys_fuzz_seed_model();

    if (need_search && recsys_model_search(*m) == NULL) {
        fprintf(stderr, "fuzz: the seed model has no search index\n");
        exit(1);
    }

    recsys_fuzz_seed_mode(write_seeds);
    recsys_fuzz_alloc_init(a, size);
}


static const char *
recsys_fuzz_seed_dir(void)
{
    const char  *dir;

    dir = getenv("RECSYS_FUZZ_SEED_DIR");

    return dir != NULL && *dir != '\0' ? dir : NULL;
}


void
recsys_fuzz_seed_mode(void (*write_seeds)(void))
{
    if (recsys_fuzz_seed_dir() != NULL) {
        write_seeds();
        exit(0);
    }
}


void
recsys_fuzz_seed_out(const char *name, const void *p, size_t n)
{
    char  path[1024];

    snprintf(path, sizeof(path), "%s/%s", recsys_fuzz_seed_dir(), name);

    if (recsys_fuzz_write(path, p, n) != 0) {
        fprintf(stderr, "fuzz: cannot write %s\n", path);
        exit(1);
    }
}


/* Every row of every list the model has, read to its last entry. */
static float
recsys_fuzz_walk_lists(const recsys_model_t *m)
{
    int                   id;
    float                 sum;
    uint32_t              r, i;
    recsys_row_t          row;
    const recsys_list_t  *list;

    sum = 0.0f;

    for (id = 0; id < RECSYS_L_COUNT; id++) {
        list = recsys_model_list(m, (recsys_list_id_t) id);
        if (list == NULL) {
            continue;
        }

        for (r = 0; r < list->n_rows; r++) {
            row = recsys_list_row(list, r);

            for (i = 0; i < row.n; i++) {
                sum += (float) recsys_row_item(row, i);
                sum += recsys_row_score(row, i);
            }
        }
    }

    return sum;
}


/* The allocator of the queries run on an accepted model, made once. */
static recsys_alloc_t *
recsys_fuzz_query_alloc(void)
{
    static int             inited;
    static recsys_alloc_t  alloc;

    if (!inited) {
        recsys_fuzz_alloc_init(&alloc, 64 << 20);
        inited = 1;
    }

    return &alloc;
}


static void
recsys_fuzz_queries(const recsys_model_t *m, uint32_t n_users,
    uint32_t n_items)
{
    int               algo;
    uint32_t          hist[3];
    recsys_query_t    q;
    recsys_alloc_t    a;
    recsys_result_t   res;

    a = *recsys_fuzz_query_alloc();

    for (algo = 0; algo < RECSYS_NALGOS; algo++) {
        memset(&q, 0, sizeof(recsys_query_t));
        q.algo = algo;
        q.user = n_users > 0 ? (uint32_t) algo % n_users : RECSYS_NO_INDEX;
        q.item = RECSYS_NO_INDEX;
        q.n = 10;
        q.explain = algo & 1;

        if (n_items > 0 && algo >= RECSYS_SRC_MARKOV) {
            hist[0] = 0;
            hist[1] = n_items / 2;
            hist[2] = n_items - 1;
            q.history = hist;
            q.n_history = 3;
            q.user = RECSYS_NO_INDEX;
        }

        recsys_fuzz_alloc_reset(&a);
        (void) recsys_query_run(m, &q, &a, &res);
    }
}


/*
 * The readers a request reaches besides the lists: the catalogue search
 * (a word and a genre), rating prediction, the attribute filters, their
 * series and availability, an overrides file resolved against the model,
 * one query under a filter and the overrides with diversity, the event
 * types and the genres' meta text.  A fixed amount of work per model.
 */
static void
recsys_fuzz_readers(const recsys_model_t *m, const recsys_header_t *h,
    recsys_alloc_t *a)
{
    size_t                  len;
    uint32_t                k, n, genre, hist[2];
    const char             *text;
    recsys_query_t          q;
    recsys_result_t         res;
    recsys_ovr_view_t      *v;
    recsys_attrfilter_t    *f;
    recsys_live_types_t     types;
    recsys_prediction_t     pred;
    recsys_items_query_t    iq;
    recsys_items_result_t   ir;
    const recsys_attrs_t   *attrs;
    const unsigned char    *episodes;
    static int                  parsed;
    static recsys_overrides_t  *ovr;

    static const char  rules[] =
        "pin v00003 2\nboost v00004 3.5\nhide v00005\nerase u00001\n"
        "pin v00006 1 year>=1990\nboost regions~US 0.25\n"
        "boost maturity!=18,year<2010 1.5\n";

    memset(&iq, 0, sizeof(iq));
    iq.n = 10;
    recsys_fuzz_alloc_reset(a);
    (void) recsys_items_search(m, &iq, a, &ir);

    iq.q = "the";
    iq.q_len = 3;
    iq.offset = 5;
    genre = 0;
    iq.genres = &genre;
    iq.n_genres = h->n_genres > 0;
    recsys_fuzz_alloc_reset(a);
    (void) recsys_items_search(m, &iq, a, &ir);

    for (k = 0; k < 8 && h->n_users > 0 && h->n_items > 0; k++) {
        (void) recsys_predict(m, k * 7 % h->n_users, k * 13 % h->n_items,
                              &pred);
    }

    (void) recsys_live_types_read(m, &types);

    /* what /items?meta=1 checks before it copies the text */
    if (recsys_model_meta(m, RECSYS_META_GENRES, &text, &len) == RECSYS_OK) {
        (void) recsys_json_plain(text, len);
    }

    if (!parsed) {
        char      err[128];
        uint32_t  line;

        parsed = 1;
        if (recsys_overrides_parse(rules, sizeof(rules) - 1, &ovr, &line,
                                   err, sizeof(err)) != RECSYS_OK)
        {
            ovr = NULL;
        }
    }

    v = NULL;
    if (ovr != NULL && recsys_ovr_view_make(ovr, m, &v) != RECSYS_OK) {
        v = NULL;
    }

    for (k = 0; v != NULL && k < h->n_items && k < 64; k++) {
        (void) recsys_ovr_boost(v, k);
        (void) recsys_ovr_hidden(v, k);
    }

    recsys_fuzz_alloc_reset(a);
    f = NULL;
    attrs = recsys_model_attrs(m);

    if (attrs != NULL) {
        for (k = 0; k < h->n_items && k < 64; k++) {
            n = recsys_attrs_series(attrs, k);
            if (n != RECSYS_NO_INDEX) {
                recsys_attrs_episodes(attrs, n, &episodes, &n);
            }
        }

        (void) recsys_attrs_epoch(attrs, 1.8e9);

        if (recsys_attrfilter_create(attrs, 1.8e9, a, &f) != RECSYS_OK
            || recsys_attrfilter_add(f, "year>=1990,regions~US|FR", 24)
               != RECSYS_OK
            || recsys_attrfilter_add(f, "series=Embervale,episode>2", 26)
               != RECSYS_OK)
        {
            f = NULL;
        }

        for (k = 0; f != NULL && k < h->n_items && k < 256; k++) {
            (void) recsys_attrfilter_pass(f, k);
        }
    }

    memset(&q, 0, sizeof(recsys_query_t));
    q.algo = 0;
    q.user = h->n_users > 0 ? 1 % h->n_users : RECSYS_NO_INDEX;
    q.item = RECSYS_NO_INDEX;
    q.n = 10;
    q.filter = f;
    q.overrides = v;
    q.diversity = 0.5f;

    if (h->n_items > 0) {
        hist[0] = 0;
        hist[1] = h->n_items - 1;
        q.history = hist;
        q.n_history = 2;
    }

    (void) recsys_query_run(m, &q, a, &res);

    recsys_ovr_view_free(v);
}


void
recsys_fuzz_use_model(const char *path)
{
    char                    err[512], id[16];
    uint32_t                k, index;
    recsys_item_t           it;
    recsys_model_t         *m;
    const recsys_header_t  *h;

    if (recsys_model_open(path, &m, err, sizeof(err)) != RECSYS_OK) {
        return;
    }

    h = recsys_model_header(m);

    for (k = 1; k <= 8; k++) {
        snprintf(id, sizeof(id), "u%05u", k);
        (void) recsys_model_user(m, id, strlen(id), &index);
        snprintf(id, sizeof(id), "v%05u", k);
        if (recsys_model_item(m, id, strlen(id), &index) == RECSYS_OK) {
            recsys_model_item_get(m, index, &it);
        }
    }

    (void) recsys_model_genre(m, "Drama", 5, &index);

    for (k = 0; k < h->n_items && k < 64; k++) {
        recsys_model_item_get(m, k, &it);
    }

    if (recsys_fuzz_walk_lists(m) == -1.0f) {
        fprintf(stderr, "fuzz: a sum nobody expects\n");
    }

    recsys_fuzz_queries(m, h->n_users, h->n_items);
    recsys_fuzz_readers(m, h, recsys_fuzz_query_alloc());

    recsys_model_close(m);
}


void
recsys_fuzz_check_result(const recsys_query_t *q, const recsys_result_t *res,
    uint32_t n_items)
{
    uint32_t     k, j, item;
    const char  *bad;

    if (res->n > q->n) {
        fprintf(stderr, "fuzz: %u results for n=%u\n", res->n, q->n);
        abort();
    }

    for (k = 0; k < res->n; k++) {
        item = res->items[k].item;
        bad = item >= n_items ? "out of range"
              : recsys_ovr_hidden(q->overrides, item) ? "hidden" : NULL;

        for (j = 0; bad == NULL && j < q->n_exclude; j++) {
            bad = item == q->exclude[j] ? "excluded" : NULL;
        }

        for (j = 0; bad == NULL && j < k; j++) {
            bad = item == res->items[j].item ? "twice" : NULL;
        }

        if (bad != NULL) {
            fprintf(stderr, "fuzz: item %u of %u returned: %s\n", item,
                    n_items, bad);
            abort();
        }
    }
}
