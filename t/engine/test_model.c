/*
 * test_model.c: end-to-end test of the builder and the read side
 * (recsys_ingest.c, recsys_build.c, recsys_itemcf.c, recsys_writer.c,
 * recsys_model.c, recsys_query.c).
 *
 * A tiny data set (6 users, 8 watched items and one catalog-only item,
 * ratings with timestamps, duplicate (user, item) rows) goes through the
 * real pipeline into model files, built twice with different neighbour,
 * history and top-list caps and hybrid weights.  Every list in the files
 * and every answer of recsys_query_run() (itemcf, hybrid, popular, unknown
 * users, item=, pages, exclusions, request-time rescoring) is compared
 * with a brute-force reference computed here from the raw rows: a dense
 * user-item matrix of the latest values, an O(n^2) cosine, the
 * history-weighted item-CF sum, a popularity count, the weighted blend and
 * the query rules applied to those plain arrays.
 *
 * Then the file format's defences: files that are not models, a newer
 * format version, corrupted blobs (patched copies of a real model, made
 * with the LMDB API), and atomic publication: a failed build leaves the
 * published file byte-identical and no temporary file behind.  Prints TAP.
 */

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lmdb.h>

#include "recsys_build.h"
#include "recsys_ingest.h"
#include "recsys_model.h"
#include "recsys_query.h"
#include "recsys_schema.h"
#include "recsys_sorted.h"
#include "recsys_status.h"
#include "tap.h"
#include "file_fixture.h"


#define T_NU        6
#define T_NI        9
#define T_NROWS     (sizeof(t_rows) / sizeof(t_rows[0]))
#define T_TOL       1e-6


typedef struct {
    const char  *user;
    const char  *item;
    float        value;
    int64_t      ts;
} t_row_t;

/* the ids in natural order, by hand: numeric ids by value first */
static const char  *t_users[T_NU] = {
    "42", "alice", "bob", "carol", "dave", "eve"
};
static const char  *t_items[T_NI] = {
    "2", "4", "5", "7", "8", "10", "33", "60", "x\"y"
};

/*
 * The log, in file order.  Duplicates: alice/10 at 150 beats the later row
 * at 120; alice/4 at 110 beats the later row at 90; 42/33 twice at 520:
 * the later row in the file (4) wins.  dave's -5 on 60 makes the dot
 * product of items 60 and 5 negative (carol 4 * 2, dave -5 * 3) and that
 * of 60 and 7 exactly zero (carol 4 * 5, dave -5 * 4): co-rated, yet no
 * neighbours.  Item 8 has exactly item 4's ratings (alice 3, carol 4,
 * eve 1), so every similarity to 4 ties with the one to 8: the ranking's
 * tie-break (smaller index first) decides, sometimes right at a cap.
 */
static const t_row_t  t_rows[] = {
    { "alice", "2", 5, 100 },
    { "bob", "2", 4, 200 },
    { "alice", "10", 2, 150 },
    { "carol", "4", 4, 300 },
    { "alice", "4", 3, 110 },
    { "dave", "2", 2, 400 },
    { "42", "5", 3, 500 },
    { "alice", "10", 4, 120 },
    { "bob", "5", 5, 210 },
    { "carol", "5", 2, 310 },
    { "alice", "33", 1, 130 },
    { "42", "10", 5, 510 },
    { "bob", "7", 2, 220 },
    { "carol", "7", 5, 320 },
    { "dave", "60", -5, 410 },
    { "alice", "60", 2, 140 },
    { "42", "33", 2, 520 },
    { "carol", "33", 3, 330 },
    { "bob", "10", 3, 230 },
    { "carol", "60", 4, 340 },
    { "dave", "7", 4, 420 },
    { "alice", "4", 1, 90 },
    { "carol", "2", 1, 350 },
    { "42", "33", 4, 520 },
    { "dave", "5", 3, 430 },
    { "eve", "4", 1, 600 },
    { "eve", "10", 2, 610 },
    { "alice", "8", 3, 105 },
    { "carol", "8", 4, 305 },
    { "eve", "8", 1, 590 },
};

static const char  t_catalog[] =
    "itemId,title,genres\n"
    "2,Two,Drama|Comedy\n"
    "10,\"Ten, the movie\",Action\n"
    "\"x\"\"y\",Nobody Watched,(no genres listed)\n";

/* per item (natural order): id JSON and meta fragment, by hand */
static const char  *t_id_json[T_NI] = {
    "\"2\"", "\"4\"", "\"5\"", "\"7\"", "\"8\"", "\"10\"", "\"33\"",
    "\"60\"", "\"x\\\"y\""
};

static const char  *t_meta_json[T_NI] = {
    "\"title\":\"Two\",\"genres\":[\"Drama\",\"Comedy\"]",
    "\"title\":null,\"genres\":[]",
    "\"title\":null,\"genres\":[]",
    "\"title\":null,\"genres\":[]",
    "\"title\":null,\"genres\":[]",
    "\"title\":\"Ten, the movie\",\"genres\":[\"Action\"]",
    "\"title\":null,\"genres\":[]",
    "\"title\":null,\"genres\":[]",
    "\"title\":\"Nobody Watched\",\"genres\":[]",
};


/* The brute-force reference for one set of build parameters. */
typedef struct {
    uint32_t          k;            /* neighbours */
    uint32_t          h;            /* history */
    uint32_t          top;          /* user_top */

    int               has[T_NU][T_NI];
    float             r[T_NU][T_NI];
    int64_t           ts[T_NU][T_NI];
    size_t            pos[T_NU][T_NI];

    recsys_scored_t   seen[T_NU][T_NI];
    uint32_t          n_seen[T_NU];
    recsys_scored_t   hist[T_NU][T_NI];
    uint32_t          n_hist[T_NU];
    recsys_scored_t   nbrs[T_NI][T_NI];
    uint32_t          n_nbrs[T_NI];
    uint32_t          n_corated[T_NI];
    uint32_t          n_nonpos;             /* co-rated, dot <= 0 */
    recsys_scored_t   full[T_NU][T_NI];     /* item-CF, uncapped */
    uint32_t          n_full[T_NU];
    recsys_scored_t   pop[T_NI];
    uint32_t          n_pop;

    float             w_itemcf;             /* hybrid weights */
    float             w_pop;
    recsys_scored_t   hyb[T_NU][2 * T_NI];  /* the blend, uncapped */
    uint32_t          n_hyb[T_NU];
} t_ref_t;

/* A malloc-based recsys_alloc_t that remembers its blocks. */
typedef struct {
    void      *blocks[64];
    uint32_t   n;
} t_pool_t;


static char  t_dir[] = "/tmp/recsys-test-model-XXXXXX";


/* The index of id in ids[0..n-1]; RECSYS_NO_INDEX when absent. */
static uint32_t
t_id_index(const char **ids, uint32_t n, const char *id)
{
    uint32_t  k;

    for (k = 0; k < n; k++) {
        if (strcmp(ids[k], id) == 0) {
            return k;
        }
    }

    return RECSYS_NO_INDEX;
}


/* The ranking rule, written here: score desc, then item asc. */
RECSYS_SORTED_CMP2_DESC(t_cmp_rank, recsys_scored_t, score, item)


/* The entry of item in l[0..n-1]; NULL when it is not listed. */
static const recsys_scored_t *
t_entry(const recsys_scored_t *l, uint32_t n, uint32_t item)
{
    uint32_t  k;

    for (k = 0; k < n; k++) {
        if (l[k].item == item) {
            return &l[k];
        }
    }

    return NULL;
}


typedef struct {
    uint32_t  item;
    int64_t   ts;
    size_t    pos;
    float     value;
} t_hist_t;


static int
t_cmp_newest(const void *a, const void *b)
{
    const t_hist_t  *x = a, *y = b;

    if (x->ts != y->ts) {
        return x->ts > y->ts ? -1 : 1;
    }

    return x->pos > y->pos ? -1 : (x->pos < y->pos);
}


/*
 * The hybrid blend of a known user without a session: score(i) = sum over
 * the weighted sources of weight / best * score, over the user's item-CF
 * list (the first `top` of the ranking) and the first `top` popular
 * items; a source whose best score is not positive is left out; seen
 * items are not candidates.
 */
static void
t_ref_hybrid(t_ref_t *ref)
{
    int                     in1, in2, listed;
    double                  acc, scale1, scale2;
    uint32_t                u, c, n1, n2, n;
    const recsys_scored_t  *e;

    n2 = ref->n_pop < ref->top ? ref->n_pop : ref->top;
    in2 = ref->w_pop > 0.0f && n2 > 0 && ref->pop[0].score > 0.0f;
    scale2 = in2 ? (double) ref->w_pop / (double) ref->pop[0].score : 0.0;

    for (u = 0; u < T_NU; u++) {
        n1 = ref->n_full[u] < ref->top ? ref->n_full[u] : ref->top;
        in1 = ref->w_itemcf > 0.0f && n1 > 0
              && ref->full[u][0].score > 0.0f;
        scale1 = in1 ? (double) ref->w_itemcf / (double) ref->full[u][0].score
                     : 0.0;
        n = 0;

        for (c = 0; c < T_NI; c++) {
            if (ref->has[u][c]) {
                continue;
            }

            acc = 0.0;
            listed = 0;

            e = in1 ? t_entry(ref->full[u], n1, c) : NULL;
            if (e != NULL) {
                acc += scale1 * e->score;
                listed = 1;
            }

            e = in2 ? t_entry(ref->pop, n2, c) : NULL;
            if (e != NULL) {
                acc += scale2 * e->score;
                listed = 1;
            }

            if (listed) {
                ref->hyb[u][n].item = c;
                ref->hyb[u][n].score = (float) acc;
                n++;
            }
        }

        qsort(ref->hyb[u], n, sizeof(recsys_scored_t), t_cmp_rank);
        ref->n_hyb[u] = n;
    }
}


static void
t_ref_init(t_ref_t *ref, uint32_t k, uint32_t h, uint32_t top,
    float w_itemcf, float w_pop)
{
    size_t     p;
    double     dot, norm[T_NI], acc[T_NI];
    uint32_t   u, i, j, n, c, cnt[T_NI];
    int        cand[T_NI];
    t_hist_t   hs[T_NI];

    memset(ref, 0, sizeof(t_ref_t));
    ref->k = k;
    ref->h = h;
    ref->top = top;
    ref->w_itemcf = w_itemcf;
    ref->w_pop = w_pop;

    /* the latest row per (user, item): timestamp, then file position */

    for (p = 0; p < T_NROWS; p++) {
        u = t_id_index(t_users, T_NU, t_rows[p].user);
        i = t_id_index(t_items, T_NI, t_rows[p].item);

        if (!ref->has[u][i] || t_rows[p].ts > ref->ts[u][i]
            || (t_rows[p].ts == ref->ts[u][i] && p > ref->pos[u][i]))
        {
            ref->has[u][i] = 1;
            ref->r[u][i] = t_rows[p].value;
            ref->ts[u][i] = t_rows[p].ts;
            ref->pos[u][i] = p;
        }
    }

    /* seen: by item; history: newest first, the first h */

    for (u = 0; u < T_NU; u++) {
        n = 0;
        for (i = 0; i < T_NI; i++) {
            if (ref->has[u][i]) {
                ref->seen[u][ref->n_seen[u]].item = i;
                ref->seen[u][ref->n_seen[u]].score = ref->r[u][i];
                ref->n_seen[u]++;

                hs[n].item = i;
                hs[n].ts = ref->ts[u][i];
                hs[n].pos = ref->pos[u][i];
                hs[n].value = ref->r[u][i];
                n++;
            }
        }

        qsort(hs, n, sizeof(t_hist_t), t_cmp_newest);

        for (j = 0; j < n && j < h; j++) {
            ref->hist[u][j].item = hs[j].item;
            ref->hist[u][j].score = hs[j].value;
        }

        ref->n_hist[u] = j;
    }

    /* cosine over the whole matrix, positive only, top k */

    for (i = 0; i < T_NI; i++) {
        norm[i] = 0.0;
        for (u = 0; u < T_NU; u++) {
            norm[i] += (double) ref->r[u][i] * ref->r[u][i];
        }
        norm[i] = sqrt(norm[i]);
    }

    for (i = 0; i < T_NI; i++) {
        n = 0;

        for (j = 0; j < T_NI; j++) {
            if (j == i) {
                continue;
            }

            dot = 0.0;
            c = 0;
            for (u = 0; u < T_NU; u++) {
                if (ref->has[u][i] && ref->has[u][j]) {
                    dot += (double) ref->r[u][i] * ref->r[u][j];
                    c = 1;
                }
            }

            ref->n_corated[i] += c;
            ref->n_nonpos += c && dot <= 0.0;

            if (dot > 0.0) {
                ref->nbrs[i][n].item = j;
                ref->nbrs[i][n].score = (float) (dot / (norm[i] * norm[j]));
                n++;
            }
        }

        qsort(ref->nbrs[i], n, sizeof(recsys_scored_t), t_cmp_rank);
        ref->n_nbrs[i] = n < k ? n : k;
    }

    /*
     * item-CF per user: score(c) = sum over the newest h items of
     * value(h) * sim(h, c), sim from h's top-k row only, seen excluded
     */

    for (u = 0; u < T_NU; u++) {
        for (c = 0; c < T_NI; c++) {
            acc[c] = 0.0;
            cand[c] = 0;
        }

        for (j = 0; j < ref->n_hist[u]; j++) {
            i = ref->hist[u][j].item;

            for (n = 0; n < ref->n_nbrs[i]; n++) {
                c = ref->nbrs[i][n].item;
                acc[c] += (double) ref->hist[u][j].score
                          * (double) ref->nbrs[i][n].score;
                cand[c] = 1;
            }
        }

        n = 0;
        for (c = 0; c < T_NI; c++) {
            if (cand[c] && !ref->has[u][c]) {
                ref->full[u][n].item = c;
                ref->full[u][n].score = (float) acc[c];
                n++;
            }
        }

        qsort(ref->full[u], n, sizeof(recsys_scored_t), t_cmp_rank);
        ref->n_full[u] = n;
    }

    /* popularity: distinct users, count desc then index asc */

    for (i = 0; i < T_NI; i++) {
        cnt[i] = 0;
        for (u = 0; u < T_NU; u++) {
            cnt[i] += ref->has[u][i];
        }
    }

    ref->n_pop = 0;
    for (n = T_NU; n > 0; n--) {
        for (i = 0; i < T_NI; i++) {
            if (cnt[i] == n) {
                ref->pop[ref->n_pop].item = i;
                ref->pop[ref->n_pop].score = (float) n / (float) T_NU;
                ref->n_pop++;
            }
        }
    }

    t_ref_hybrid(ref);
}


static int
t_in(const uint32_t *set, uint32_t n, uint32_t item)
{
    uint32_t  k;

    for (k = 0; k < n; k++) {
        if (set[k] == item) {
            return 1;
        }
    }

    return 0;
}


/*
 * The query rules on the reference: the answer to (algo, user, item,
 * exclusions, offset, n) as the engine's contract states it.  itemcf: the
 * whole item-CF ranking; hybrid: the blend, then popular items to fill
 * up; popular: popular items; all without seen and excluded items.  An
 * unknown user gets popular items; item= the item's neighbours.
 */
static uint32_t
t_ref_query(const t_ref_t *ref, int algo, uint32_t user,
    uint32_t item, const uint32_t *ex, uint32_t n_ex, uint32_t offset,
    uint32_t n, recsys_scored_t *out, int *fallback)
{
    uint32_t          need, have, k, c;
    recsys_scored_t   all[2 * T_NI];

    need = offset + n;
    have = 0;
    *fallback = RECSYS_FALLBACK_NONE;

    if (item != RECSYS_NO_INDEX) {
        for (k = 0; k < ref->n_nbrs[item] && have < need; k++) {
            c = ref->nbrs[item][k].item;
            if (t_in(ex, n_ex, c)
                || (user != RECSYS_NO_INDEX && ref->has[user][c]))
            {
                continue;
            }
            all[have++] = ref->nbrs[item][k];
        }

    } else if (user == RECSYS_NO_INDEX) {
        *fallback = RECSYS_FALLBACK_POPULAR;

        for (k = 0; k < ref->n_pop && have < need; k++) {
            if (!t_in(ex, n_ex, ref->pop[k].item)) {
                all[have++] = ref->pop[k];
            }
        }

    } else {
        if (algo == RECSYS_SRC_ITEMCF) {
            for (k = 0; k < ref->n_full[user] && have < need; k++) {
                if (!t_in(ex, n_ex, ref->full[user][k].item)) {
                    all[have++] = ref->full[user][k];
                }
            }
        }

        if (algo == RECSYS_ALGO_HYBRID) {
            for (k = 0; k < ref->n_hyb[user] && have < need; k++) {
                if (!t_in(ex, n_ex, ref->hyb[user][k].item)) {
                    all[have++] = ref->hyb[user][k];
                }
            }
        }

        if (algo == RECSYS_ALGO_HYBRID || algo == RECSYS_SRC_POPULAR) {
            for (k = 0; k < ref->n_pop && have < need; k++) {
                c = ref->pop[k].item;
                if (t_in(ex, n_ex, c) || ref->has[user][c]
                    || t_entry(all, have, c) != NULL)
                {
                    continue;
                }
                all[have++] = ref->pop[k];
            }
        }
    }

    if (have <= offset) {
        return 0;
    }

    memcpy(out, all + offset, (have - offset) * sizeof(recsys_scored_t));

    return have - offset;
}


static void *
t_alloc(void *ctx, size_t size)
{
    void      *p;
    t_pool_t  *pool;

    pool = ctx;

    if (pool->n == sizeof(pool->blocks) / sizeof(pool->blocks[0])) {
        return NULL;
    }

    p = malloc(size);
    if (p != NULL) {
        pool->blocks[pool->n++] = p;
    }

    return p;
}


static void
t_pool_free(t_pool_t *pool)
{
    while (pool->n > 0) {
        free(pool->blocks[--pool->n]);
    }
}


/* Runs a query; copies the answer to out (capacity T_NI * 2). */
static int
t_query(const recsys_model_t *m, int algo, uint32_t user,
    uint32_t item, const uint32_t *ex, uint32_t n_ex, uint32_t offset,
    uint32_t n, recsys_scored_t *out, uint32_t *n_out, int *fallback)
{
    int              rc;
    t_pool_t         pool;
    recsys_alloc_t   a;
    recsys_query_t   q;
    recsys_result_t  res;

    pool.n = 0;
    a.alloc = t_alloc;
    a.ctx = &pool;

    memset(&q, 0, sizeof(q));
    q.algo = algo;
    q.user = user;
    q.item = item;
    q.n = n;
    q.offset = offset;
    q.exclude = ex;
    q.n_exclude = n_ex;
    q.strict = 1;       /* the references' empty answers stay empty */

    rc = recsys_query_run(m, &q, &a, &res);

    *n_out = 0;
    *fallback = -1;

    if (rc == RECSYS_OK) {
        *n_out = res.n <= 2 * T_NI ? res.n : 2 * T_NI;
        if (res.n > 0) {
            memcpy(out, res.items, *n_out * sizeof(recsys_scored_t));
        }
        *fallback = res.fallback;
    }

    t_pool_free(&pool);

    return rc;
}


static int
t_same(const recsys_scored_t *got, uint32_t n_got,
    const recsys_scored_t *want, uint32_t n_want)
{
    uint32_t  k;

    if (n_got != n_want) {
        return 0;
    }

    for (k = 0; k < n_got; k++) {
        if (got[k].item != want[k].item
            || fabs((double) got[k].score - want[k].score) > T_TOL)
        {
            return 0;
        }
    }

    return 1;
}


static void
t_show(const char *label, const recsys_scored_t *l, uint32_t n)
{
    uint32_t  k;

    printf("#     %s:", label);
    for (k = 0; k < n; k++) {
        printf(" %s(%.6g)", l[k].item < T_NI ? t_items[l[k].item] : "?",
               l[k].score);
    }
    printf("\n");
}


/* Whether a model row equals a reference list; diagnostics if not. */
static int
t_row_is(const char *what, uint32_t row, recsys_row_t r,
    const recsys_scored_t *want, uint32_t n_want)
{
    uint32_t         k;
    recsys_scored_t  got[2 * T_NI];

    if (r.n > 2 * T_NI) {
        printf("#   %s row %u: %u entries\n", what, row, r.n);
        return 0;
    }

    for (k = 0; k < r.n; k++) {
        got[k].item = recsys_row_item(r, k);
        got[k].score = recsys_row_score(r, k);
    }

    if (t_same(got, r.n, want, n_want)) {
        return 1;
    }

    printf("#   %s row %u differs\n", what, row);
    t_show("got ", got, r.n);
    t_show("want", want, n_want);

    return 0;
}


/* ---- files ---- */


static int
t_write_file(const char *path, const char *data, size_t len)
{
    FILE  *fp;

    fp = fopen(path, "wb");
    if (fp == NULL) {
        return -1;
    }

    if (fwrite(data, 1, len, fp) != len) {
        fclose(fp);
        return -1;
    }

    return fclose(fp) == 0 ? 0 : -1;
}


static int
t_write_str(const char *path, const char *s)
{
    return t_write_file(path, s, strlen(s));
}


static int
t_copy_file(const char *from, const char *to)
{
    int     rc;
    char   *buf;
    size_t  len;

    buf = t_read_file(from, &len);
    if (buf == NULL) {
        return -1;
    }

    rc = t_write_file(to, buf, len);
    free(buf);

    return rc;
}


/* Number of entries in t_dir whose name holds ".tmp.". */
static int
t_tmp_files(void)
{
    int             n;
    DIR            *dir;
    struct dirent  *de;

    dir = opendir(t_dir);
    if (dir == NULL) {
        return -1;
    }

    n = 0;
    while ((de = readdir(dir)) != NULL) {
        if (strstr(de->d_name, ".tmp.") != NULL) {
            printf("#   left behind: %s\n", de->d_name);
            n++;
        }
    }

    closedir(dir);

    return n;
}


static void
t_path(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", t_dir, name);
}


/* The log as a ratings.csv-style file. */
static int
t_write_log(const char *path)
{
    int     rc;
    char   *buf, *p;
    size_t  k;

    buf = malloc(64 + T_NROWS * 64);
    if (buf == NULL) {
        return -1;
    }

    p = buf + sprintf(buf, "userId,itemId,rating,timestamp\n");
    for (k = 0; k < T_NROWS; k++) {
        p += sprintf(p, "%s,%s,%g,%lld\n", t_rows[k].user, t_rows[k].item,
                     (double) t_rows[k].value, (long long) t_rows[k].ts);
    }

    rc = t_write_file(path, buf, (size_t) (p - buf));
    free(buf);

    return rc;
}


/*
 * The builder's pipeline, as recsys-build runs it: catalog (optional),
 * interactions, renumbering, build and publish.
 */
static int
t_build(const char *log, const char *catalog, uint32_t k, uint32_t h,
    uint32_t top, float w_itemcf, float w_pop, const char *out, char *err,
    size_t errlen)
{
    int                   s;
    int                   rc;
    recsys_data_t         d;
    recsys_build_opts_t   o;
    recsys_build_stats_t  stats;

    err[0] = '\0';

    recsys_build_defaults(&o);
    o.neighbors = k;
    o.history = h;
    o.user_top = top;
    o.model_id = "test-model-1";

    /* this reference covers item-CF and popularity: no other sources */
    o.user_neighbors = 0;
    o.content = 0;

    /* only item-CF and popular in the blend, with these weights */
    for (s = 0; s < RECSYS_NSRC; s++) {
        o.weights[s] = 0.0f;
    }
    o.weights[RECSYS_SRC_ITEMCF] = w_itemcf;
    o.weights[RECSYS_SRC_POPULAR] = w_pop;
    o.interactions = log;
    o.items = catalog;
    o.quiet = 1;

    if (recsys_data_init(&d) != RECSYS_OK) {
        snprintf(err, errlen, "out of memory");
        return RECSYS_ENOMEM;
    }

    rc = RECSYS_OK;

    if (catalog != NULL) {
        rc = recsys_ingest_catalog(&d, catalog, err, errlen);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_ingest_interactions(&d, log, err, errlen);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_ingest_finish(&d, err, errlen);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_model(&d, &o, out, &stats, err, errlen);
    }

    recsys_data_free(&d);

    return rc;
}


/* ---- the model against the reference ---- */


/* the model's id lookups: recsys_model_user(), recsys_model_item() */
typedef int (*t_lookup_pt)(const recsys_model_t *model, const char *id,
    size_t len, uint32_t *index);


/* 1 when ids[k] maps to index k for every k < n; the misses are printed. */
static int
t_ids_in_order(const recsys_model_t *m, t_lookup_pt lookup,
    const char **ids, uint32_t n, const char *what)
{
    int       ok;
    uint32_t  k, idx;

    ok = 1;

    for (k = 0; k < n; k++) {
        if (lookup(m, ids[k], strlen(ids[k]), &idx) != RECSYS_OK
            || idx != k)
        {
            printf("#   %s %s: index %u, want %u\n", what, ids[k], idx, k);
            ok = 0;
        }
    }

    return ok;
}


static void
t_check_maps(const recsys_model_t *m)
{
    int                     ok;
    uint32_t                i, idx;
    recsys_item_t           it;
    const recsys_header_t  *hd;

    hd = recsys_model_header(m);

    tap_ok(hd->n_users == T_NU && hd->n_items == T_NI
           && hd->n_interactions == T_NROWS
           && hd->format_version == RECSYS_FORMAT_VERSION,
           "header: %u users, %u items, %u rows, format %u", T_NU, T_NI,
           (unsigned) T_NROWS, RECSYS_FORMAT_VERSION);
    tap_ok(strcmp(recsys_model_id(m), "test-model-1") == 0,
           "header: the model id given to the builder");

    tap_ok(t_ids_in_order(m, recsys_model_user, t_users, T_NU, "user"),
           "users: every id maps to its natural-order index");
    tap_ok(t_ids_in_order(m, recsys_model_item, t_items, T_NI, "item"),
           "items: every id maps to its natural-order index");

    tap_ok(recsys_model_user(m, "zed", 3, &idx) == RECSYS_ENOTFOUND
           && recsys_model_user(m, "", 0, &idx) == RECSYS_ENOTFOUND
           && recsys_model_user(m, "4", 1, &idx) == RECSYS_ENOTFOUND
           && recsys_model_item(m, "alice", 5, &idx) == RECSYS_ENOTFOUND
           && recsys_model_item(m, "02", 2, &idx) == RECSYS_ENOTFOUND,
           "unknown ids are RECSYS_ENOTFOUND (ids are bytes: \"02\" is not "
           "\"2\")");

    ok = 1;
    for (i = 0; i < T_NI; i++) {
        recsys_model_item_get(m, i, &it);

        if (it.ext_len != strlen(t_items[i])
            || memcmp(it.ext, t_items[i], it.ext_len) != 0
            || it.id_json_len != strlen(t_id_json[i])
            || memcmp(it.id_json, t_id_json[i], it.id_json_len) != 0
            || it.meta_json_len != strlen(t_meta_json[i])
            || memcmp(it.meta_json, t_meta_json[i], it.meta_json_len) != 0)
        {
            printf("#   item %u: %.*s | %.*s | %.*s\n", i, (int) it.ext_len,
                   it.ext, (int) it.id_json_len, it.id_json,
                   (int) it.meta_json_len, it.meta_json);
            ok = 0;
        }
    }
    tap_ok(ok, "item records: external id, id JSON and meta JSON");
}


static void
t_check_lists(const recsys_model_t *m, const t_ref_t *ref, const char *tag)
{
    int                   ok;
    uint32_t              u, i, n;
    recsys_scored_t       want[2];
    const recsys_list_t  *l;

    l = recsys_model_list(m, RECSYS_L_USER_SEEN);
    ok = l != NULL;
    for (u = 0; ok && u < T_NU; u++) {
        ok = t_row_is("user.seen", u, recsys_list_row(l, u), ref->seen[u],
                      ref->n_seen[u]);
    }
    tap_ok(ok, "%s: user.seen = latest value per item, by item", tag);

    l = recsys_model_list(m, RECSYS_L_USER_HIST);
    ok = l != NULL;
    for (u = 0; ok && u < T_NU; u++) {
        ok = t_row_is("user.hist", u, recsys_list_row(l, u), ref->hist[u],
                      ref->n_hist[u]);
    }
    tap_ok(ok, "%s: user.hist = newest %u items, newest first", tag,
           ref->h);

    l = recsys_model_source_list(m, RECSYS_L_ITEM_NBRS, RECSYS_SRC_ITEMCF);
    ok = l != NULL;
    for (i = 0; ok && i < T_NI; i++) {
        ok = t_row_is("item.nbrs", i, recsys_list_row(l, i), ref->nbrs[i],
                      ref->n_nbrs[i]);
    }
    tap_ok(ok, "%s: item.nbrs = top %u positive cosines", tag, ref->k);

    l = recsys_model_source_list(m, RECSYS_L_USER_RECS, RECSYS_SRC_ITEMCF);
    ok = l != NULL;
    for (u = 0; ok && u < T_NU; u++) {
        n = ref->n_full[u] < ref->top ? ref->n_full[u] : ref->top;
        ok = t_row_is("user.recs.itemcf", u, recsys_list_row(l, u),
                      ref->full[u], n);
    }
    tap_ok(ok, "%s: user.recs.itemcf = top %u of the history-weighted "
           "sum, seen excluded", tag, ref->top);

    l = recsys_model_list(m, RECSYS_L_POPULAR);
    ok = l != NULL && l->n_rows == 1
         && t_row_is("popular", 0, recsys_list_row(l, 0), ref->pop,
                     ref->n_pop);
    tap_ok(ok, "%s: popular = distinct users / users, count desc", tag);

    l = recsys_model_list(m, RECSYS_L_WEIGHTS);
    n = 0;
    if (ref->w_itemcf > 0.0f) {
        want[n].item = RECSYS_SRC_ITEMCF;
        want[n++].score = ref->w_itemcf;
    }
    if (ref->w_pop > 0.0f) {
        want[n].item = RECSYS_SRC_POPULAR;
        want[n++].score = ref->w_pop;
    }
    ok = l != NULL && t_row_is("hybrid.weights", 0, recsys_list_row(l, 0),
                               want, n);
    tap_ok(ok, "%s: hybrid.weights = itemcf %g, popular %g", tag,
           ref->w_itemcf, ref->w_pop);

    l = recsys_model_list(m, RECSYS_L_HYBRID);
    ok = l != NULL;
    for (u = 0; ok && u < T_NU; u++) {
        n = ref->n_hyb[u] < ref->top ? ref->n_hyb[u] : ref->top;
        ok = t_row_is("user.recs.hybrid", u, recsys_list_row(l, u),
                      ref->hyb[u], n);
    }
    tap_ok(ok, "%s: user.recs.hybrid = top %u of the weighted blend", tag,
           ref->top);
}


/*
 * Runs every combination of algorithm, user, exclusions and page against
 * the reference; one check per algorithm and kind of request.
 */
static void
t_check_queries(const recsys_model_t *m, const t_ref_t *ref, const char *tag)
{
    int              rc, fb, want_fb, ok;
    uint32_t         a, u, e, p, n_got, n_want, item, n_ex, ex[3];
    recsys_scored_t  got[2 * T_NI], want[2 * T_NI];

    static const uint32_t  pages[][2] = {
        { 0, 1 }, { 0, 2 }, { 0, 3 }, { 1, 1 }, { 1, 2 }, { 2, 3 },
        { 0, 10 }, { 3, 10 }, { 9, 5 }, { 0, 0 }
    };
    static const int  algos[] = {
        RECSYS_SRC_ITEMCF, RECSYS_ALGO_HYBRID, RECSYS_SRC_POPULAR
    };
    static const char  *names[] = { "itemcf", "hybrid", "popular" };

    for (a = 0; a < 3; a++) {
        ok = 1;

        for (u = 0; u < T_NU; u++) {
            for (e = 0; e < 7; e++) {
                /* no exclusion; the best of each list; several */
                n_ex = 0;
                if (e == 1 && ref->n_full[u] > 0) {
                    ex[n_ex++] = ref->full[u][0].item;
                }
                if (e == 2 && ref->n_full[u] > 1) {
                    ex[n_ex++] = ref->full[u][1].item;
                }
                if (e == 3) {
                    ex[n_ex++] = ref->pop[0].item;
                    ex[n_ex++] = ref->pop[2].item;
                }
                if (e == 4) {
                    ex[n_ex++] = 7;
                    ex[n_ex++] = 0;
                    ex[n_ex++] = 4;
                }
                if (e == 5 && ref->n_hyb[u] > 0) {
                    ex[n_ex++] = ref->hyb[u][0].item;
                }
                if (e == 6 && ref->n_hyb[u] > 1) {
                    ex[n_ex++] = ref->hyb[u][1].item;
                }

                for (p = 0; p < sizeof(pages) / sizeof(pages[0]); p++) {
                    rc = t_query(m, algos[a], u, RECSYS_NO_INDEX, ex, n_ex,
                                 pages[p][0], pages[p][1], got, &n_got,
                                 &fb);
                    n_want = t_ref_query(ref, algos[a], u, RECSYS_NO_INDEX,
                                         ex, n_ex, pages[p][0], pages[p][1],
                                         want, &want_fb);

                    if (rc != RECSYS_OK || fb != want_fb
                        || !t_same(got, n_got, want, n_want))
                    {
                        if (ok) {
                            printf("#   %s user %s, %u exclusions, offset "
                                   "%u n %u: status %d\n", names[a],
                                   t_users[u], n_ex, pages[p][0],
                                   pages[p][1], rc);
                            t_show("got ", got, n_got);
                            t_show("want", want, n_want);
                        }
                        ok = 0;
                    }
                }
            }
        }

        tap_ok(ok, "%s: algo=%s for every user, exclusion set and page "
               "equals the reference", tag, names[a]);
    }

    /* unknown user: popular, marked as a fallback */

    ok = 1;
    for (a = 0; a < 3; a++) {
        for (e = 0; e < 2; e++) {
            n_ex = 0;
            if (e == 1) {
                ex[n_ex++] = ref->pop[1].item;
            }

            for (p = 0; p < sizeof(pages) / sizeof(pages[0]); p++) {
                rc = t_query(m, algos[a], RECSYS_NO_INDEX, RECSYS_NO_INDEX,
                             ex, n_ex, pages[p][0], pages[p][1], got, &n_got,
                             &fb);
                n_want = t_ref_query(ref, algos[a], RECSYS_NO_INDEX,
                                     RECSYS_NO_INDEX, ex, n_ex, pages[p][0],
                                     pages[p][1], want, &want_fb);

                if (rc != RECSYS_OK || fb != RECSYS_FALLBACK_POPULAR
                    || !t_same(got, n_got, want, n_want))
                {
                    ok = 0;
                }
            }
        }
    }
    tap_ok(ok, "%s: unknown user gets popular items, fallback \"popular\"",
           tag);

    /* item= with and without a user */

    ok = 1;
    for (item = 0; item < T_NI; item++) {
        for (u = 0; u <= T_NU; u++) {
            for (e = 0; e < 2; e++) {
                n_ex = 0;
                if (e == 1 && ref->n_nbrs[item] > 0) {
                    ex[n_ex++] = ref->nbrs[item][0].item;
                }

                for (p = 0; p < sizeof(pages) / sizeof(pages[0]); p++) {
                    rc = t_query(m, RECSYS_ALGO_HYBRID,
                                 u < T_NU ? u : RECSYS_NO_INDEX, item, ex,
                                 n_ex, pages[p][0], pages[p][1], got,
                                 &n_got, &fb);
                    n_want = t_ref_query(ref, RECSYS_ALGO_HYBRID,
                                         u < T_NU ? u : RECSYS_NO_INDEX,
                                         item, ex, n_ex, pages[p][0],
                                         pages[p][1], want, &want_fb);

                    if (rc != RECSYS_OK || fb != RECSYS_FALLBACK_NONE
                        || !t_same(got, n_got, want, n_want))
                    {
                        if (ok) {
                            printf("#   item %s user %u: status %d\n",
                                   t_items[item], u, rc);
                            t_show("got ", got, n_got);
                            t_show("want", want, n_want);
                        }
                        ok = 0;
                    }
                }
            }
        }
    }
    tap_ok(ok, "%s: item= gives its neighbours, minus exclusions and what "
           "the user has seen", tag);
}


/*
 * With user_top 2, excluding one of a user's two precomputed items leaves
 * the list one short: the engine must rescore from the stored history
 * and answer exactly the reference ranking without the excluded item.
 */
static void
t_check_rescoring(const recsys_model_t *m, const t_ref_t *ref)
{
    int              fb, ok, tried;
    uint32_t         u, k, j, n_got, n_want, ex;
    recsys_row_t     recs;
    recsys_scored_t  got[2 * T_NI], want[2 * T_NI];

    ok = 1;
    tried = 0;

    for (u = 0; u < T_NU; u++) {
        recs = recsys_list_row(recsys_model_source_list(m, RECSYS_L_USER_RECS,
                                                        RECSYS_SRC_ITEMCF),
                               u);

        if (recs.n != 2 || ref->n_full[u] < 3) {
            continue;
        }

        for (k = 0; k < 2; k++) {
            ex = recsys_row_item(recs, k);

            if (t_query(m, RECSYS_SRC_ITEMCF, u, RECSYS_NO_INDEX, &ex, 1, 0, 2,
                        got, &n_got, &fb) != RECSYS_OK)
            {
                ok = 0;
                continue;
            }

            /* from the full ranking: drop ex, keep the first 2 */
            n_want = 0;
            for (j = 0; j < ref->n_full[u] && n_want < 2; j++) {
                if (ref->full[u][j].item != ex) {
                    want[n_want++] = ref->full[u][j];
                }
            }

            if (!t_same(got, n_got, want, n_want)) {
                printf("#   user %s without %s\n", t_users[u],
                       t_items[ex]);
                t_show("got ", got, n_got);
                t_show("want", want, n_want);
                ok = 0;
            }

            tried++;
        }
    }

    tap_ok(tried >= 2,
           "rescoring: %d (user, excluded item) cases whose precomputed "
           "list of 2 runs out", tried);
    tap_ok(ok, "rescoring: the answer equals the reference ranking without "
           "the excluded item");
}


/* Preconditions: the data set exercises what the caps and filters do. */
static void
t_check_reference(const t_ref_t *ref, int cut)
{
    int       trunc_nbrs, trunc_hist, trunc_top;
    uint32_t  i, u;

    trunc_nbrs = 0;
    for (i = 0; i < T_NI; i++) {
        if (ref->n_corated[i] > ref->k) {
            trunc_nbrs++;
        }
    }

    trunc_hist = 0;
    trunc_top = 0;
    for (u = 0; u < T_NU; u++) {
        trunc_hist += ref->n_seen[u] > ref->h;
        trunc_top += ref->n_full[u] > ref->top;
    }

    printf("# reference k %u h %u top %u: %d items with more than k "
           "co-rated items, %d users with more than h items, %d with more "
           "than top candidates, %u co-rated ordered pairs with a dot "
           "product <= 0\n", ref->k, ref->h, ref->top, trunc_nbrs,
           trunc_hist, trunc_top, ref->n_nonpos);

    if (cut) {
        tap_ok(trunc_nbrs >= 3 && trunc_hist >= 3 && trunc_top >= 1,
               "the data set makes the k, h and top caps cut (k %u, h %u, "
               "top %u)", ref->k, ref->h, ref->top);

    } else {
        tap_ok(trunc_nbrs == 0 && ref->n_nonpos >= 4,
               "k %u keeps every co-rated item: only the positive filter "
               "shortens item.nbrs", ref->k);
    }
}


/* ---- format defences ---- */


typedef void (*t_patch_pt)(unsigned char *v, size_t *size, void *ctx);


/*
 * Copies the model at from to to, then rewrites key in database db of the
 * copy through patch (which may shrink the value), or deletes the key when
 * patch is NULL.  Returns 0 on success.
 */
static int
t_patch_copy(const char *from, const char *to, const char *db,
    const char *key, t_patch_pt patch, void *ctx)
{
    int             rc;
    size_t          size;
    MDB_env        *env;
    MDB_txn        *txn;
    MDB_dbi         dbi;
    MDB_val         k, v;
    unsigned char  *buf;

    if (t_copy_file(from, to) != 0) {
        return -1;
    }

    if (mdb_env_create(&env) != 0) {
        return -1;
    }

    mdb_env_set_maxdbs(env, 8);
    buf = NULL;

    rc = mdb_env_open(env, to, MDB_NOSUBDIR | MDB_NOLOCK, 0644);
    if (rc == 0) {
        rc = mdb_txn_begin(env, NULL, 0, &txn);
    }

    if (rc != 0) {
        mdb_env_close(env);
        return -1;
    }

    rc = mdb_dbi_open(txn, db, 0, &dbi);

    k.mv_data = (void *) key;
    k.mv_size = strlen(key);

    if (rc == 0 && patch == NULL) {
        rc = mdb_del(txn, dbi, &k, NULL);

    } else if (rc == 0) {
        rc = mdb_get(txn, dbi, &k, &v);

        if (rc == 0) {
            size = v.mv_size;
            buf = malloc(size);
            if (buf == NULL) {
                rc = ENOMEM;
            }
        }

        if (rc == 0) {
            memcpy(buf, v.mv_data, size);
            patch(buf, &size, ctx);
            v.mv_data = buf;
            v.mv_size = size;
            rc = mdb_put(txn, dbi, &k, &v, 0);
        }
    }

    if (rc == 0) {
        rc = mdb_txn_commit(txn);

    } else {
        mdb_txn_abort(txn);
    }

    free(buf);
    mdb_env_close(env);

    return rc == 0 ? 0 : -1;
}


/* The header with one 32-bit field set (ctx: a t_head_field_t). */
typedef struct {
    size_t    offset;
    uint32_t  value;
} t_head_field_t;


static void
t_patch_header(unsigned char *v, size_t *size, void *ctx)
{
    const t_head_field_t  *f = ctx;

    if (*size >= sizeof(recsys_header_t)) {
        memcpy(v + f->offset, &f->value, sizeof(uint32_t));
    }
}


static void
t_patch_magic(unsigned char *v, size_t *size, void *ctx)
{
    (void) size;
    (void) ctx;

    memcpy(v, "NOTOURS!", 8);
}


/* A list: sets offsets[row] (ctx: {row, value}). */
static void
t_patch_offset(unsigned char *v, size_t *size, void *ctx)
{
    uint32_t  *rv;

    rv = ctx;

    if (*size >= sizeof(recsys_list_head_t) + (rv[0] + 1) * 4) {
        memcpy(v + sizeof(recsys_list_head_t) + rv[0] * 4, &rv[1], 4);
    }
}


/* A list: sets the item of its first entry (ctx: the item). */
static void
t_patch_entry(unsigned char *v, size_t *size, void *ctx)
{
    uint32_t            *item;
    recsys_list_head_t   head;

    item = ctx;

    memcpy(&head, v, sizeof(head));
    if (head.n_entries > 0) {
        memcpy(v + sizeof(head) + ((size_t) head.n_rows + 1) * 4, item, 4);
    }

    (void) size;
}


static void
t_patch_truncate(unsigned char *v, size_t *size, void *ctx)
{
    (void) v;
    (void) ctx;

    *size -= 8;
}


/* The item table: the first record's ext_len (ctx: the length). */
static void
t_patch_record(unsigned char *v, size_t *size, void *ctx)
{
    uint16_t             len;
    recsys_table_head_t  head;

    (void) size;

    memcpy(&head, v, sizeof(head));
    len = (uint16_t) *(uint32_t *) ctx;
    memcpy(v + sizeof(head) + ((size_t) head.n_rows + 1) * 4, &len, 2);
}


/*
 * user.explain: in the first record, the item (ctx 0: past the items) or
 * the count of because items (1: one more than a record may hold); or the
 * head's explain_history (2: zero).
 */
static void
t_patch_explain(unsigned char *v, size_t *size, void *ctx)
{
    uint16_t             n;
    uint32_t             item;
    unsigned char       *rec;
    recsys_table_head_t  head;

    (void) size;

    memcpy(&head, v, sizeof(head));
    rec = v + sizeof(head) + ((size_t) head.n_rows + 1) * 4;

    switch (*(int *) ctx) {
    case 0:
        item = T_NI;
        memcpy(rec, &item, 4);
        break;
    case 1:
        n = RECSYS_EXPLAIN_BECAUSE_MAX + 1;
        memcpy(rec + 6, &n, 2);
        break;
    default:
        head.reserved = 0;
        memcpy(v, &head, sizeof(head));
    }
}


/* An id hash: its first slot names an index past the ids. */
static void
t_patch_hash_slot(unsigned char *v, size_t *size, void *ctx)
{
    uint32_t  n;

    (void) size;
    (void) ctx;

    memcpy(&n, v + 8, 4);
    memcpy(v + 12, &n, 4);
}


/* An id hash: every slot taken (index 0), so no probe would stop. */
static void
t_patch_hash_full(unsigned char *v, size_t *size, void *ctx)
{
    uint32_t  s, n_slots, zero;

    (void) size;
    (void) ctx;

    zero = 0;
    memcpy(&n_slots, v + 4, 4);

    for (s = 0; s < n_slots; s++) {
        memcpy(v + 12 + (size_t) s * 4, &zero, 4);
    }
}


static void t_expect_open(const char *path, int want, const char *why_part,
    const char *what);


/* A patched copy of model named file, opened expecting want; one check. */
static void
t_patch_expect(const char *model, const char *file, const char *db,
    const char *key, t_patch_pt patch, void *ctx, int want,
    const char *why_part, const char *what)
{
    char  path[512];

    t_path(path, sizeof(path), file);
    t_patch_copy(model, path, db, key, patch, ctx);
    t_expect_open(path, want, why_part, what);
}


/* Opens path, expecting status want and a reason; one check. */
static void
t_expect_open(const char *path, int want, const char *why_part,
    const char *what)
{
    int              rc;
    char             err[256];
    recsys_model_t  *m;

    strcpy(err, "");

    /* any non-NULL value: a failed open must reset it */
    m = (recsys_model_t *) err;

    rc = recsys_model_open(path, &m, err, sizeof(err));

    tap_ok(rc == want && m == NULL && err[0] != '\0'
           && (why_part == NULL || strstr(err, why_part) != NULL),
           "%s: %s (%s)", what, recsys_strerror(want), err);
    if (rc != want) {
        printf("#   got %d (%s)\n", rc, recsys_strerror(rc));
    }

    if (rc == RECSYS_OK) {
        recsys_model_close(m);
    }
}


static int
t_make_lmdb(const char *path, const char *const *dbs)
{
    int       rc;
    MDB_env  *env;
    MDB_txn  *txn;
    MDB_dbi   dbi;
    MDB_val   k, v;

    if (mdb_env_create(&env) != 0) {
        return -1;
    }

    mdb_env_set_maxdbs(env, 8);

    rc = mdb_env_open(env, path, MDB_NOSUBDIR | MDB_NOLOCK, 0644);
    if (rc == 0) {
        rc = mdb_txn_begin(env, NULL, 0, &txn);
    }

    for ( /* void */ ; rc == 0 && *dbs != NULL; dbs++) {
        k.mv_data = "header";
        k.mv_size = 6;
        v.mv_data = "some value";
        v.mv_size = 10;

        if (**dbs == '\0') {
            /* a plain key "meta" in the main database */
            rc = mdb_dbi_open(txn, NULL, 0, &dbi);
            k.mv_data = "meta";
            k.mv_size = 4;

        } else {
            rc = mdb_dbi_open(txn, *dbs, MDB_CREATE, &dbi);
        }

        if (rc == 0) {
            rc = mdb_put(txn, dbi, &k, &v, 0);
        }
    }

    if (rc == 0) {
        rc = mdb_txn_commit(txn);
    }

    mdb_env_close(env);

    return rc == 0 ? 0 : -1;
}


static void
t_check_foreign(const char *model)
{
    int              rc;
    char             path[512], path2[512], err[256], *junk;
    size_t           k;
    uint32_t         rv[2], item, len;
    uint64_t         state;
    recsys_model_t  *m;

    static const char *const  other_dbs[] = { "foo", "bar", NULL };
    static const char *const  main_only[] = { "", NULL };

    t_head_field_t            next_version = {
        offsetof(recsys_header_t, format_version), RECSYS_FORMAT_VERSION + 1
    };
    t_head_field_t            other_endian = {
        offsetof(recsys_header_t, endian), 0x04030201u
    };
    static const char *const  no_header[] = {
        "meta2", "users", "items", "blobs", NULL
    };
    static const char *const  ours_empty[] = {
        "users", "items", "blobs", "meta", NULL
    };

    /* LMDB files that are not ours: the file, its databases, the answer */
    static const struct {
        const char         *file;
        const char *const  *dbs;
        const char         *why;
        const char         *what;
    } lmdbs[] = {
        { "other.mdb", other_dbs, NULL,
          "an LMDB file with other named databases" },
        { "main.mdb", main_only, NULL,
          "an LMDB file whose main database has a key \"meta\"" },
        { "nohdr.mdb", no_header, NULL,
          "an LMDB file with users, items, blobs but no meta" },
        { "empty-dbs.mdb", ours_empty, "header",
          "our database names but a foreign header" },
    };

    t_path(path, sizeof(path), "random.mdb");
    junk = malloc(16384);
    if (junk != NULL) {
        state = 99;
        for (k = 0; k < 16384; k++) {
            state = state * 6364136223846793005ULL + 1;
            junk[k] = (char) (state >> 56);
        }
        t_write_file(path, junk, 16384);
        free(junk);
    }
    t_expect_open(path, RECSYS_EFORMAT, NULL, "16 KiB of random bytes");

    /* a zero-byte file, as a truncated copy or a bare touch leaves */
    t_path(path, sizeof(path), "empty.mdb");
    t_write_str(path, "");
    m = NULL;
    rc = recsys_model_open(path, &m, err, sizeof(err));
    tap_ok(rc == RECSYS_EFORMAT && m == NULL,
           "an empty file: not a recsys model file (%d: %s)", rc, err);
    if (rc == RECSYS_OK) {
        recsys_model_close(m);
    }

    t_path(path, sizeof(path), "text.mdb");
    t_write_str(path, "hello, world\n");
    t_expect_open(path, RECSYS_EFORMAT, NULL, "a short text file");

    for (k = 0; k < sizeof(lmdbs) / sizeof(lmdbs[0]); k++) {
        t_path(path, sizeof(path), lmdbs[k].file);
        if (t_make_lmdb(path, lmdbs[k].dbs) != 0) {
            tap_ok(0, "%s: made", lmdbs[k].file);
        }
        t_expect_open(path, RECSYS_EFORMAT, lmdbs[k].why, lmdbs[k].what);
    }

    t_expect_open("/nonexistent/dir/model.mdb", RECSYS_EIO, NULL,
                  "a missing file");

    /* patched copies of a real model */

    t_path(path, sizeof(path), "v-next.mdb");
    if (t_patch_copy(model, path, RECSYS_DB_META, RECSYS_META_HEADER,
                     t_patch_header, &next_version) != 0)
    {
        tap_ok(0, "version-bumped copy made");
    }
    t_expect_open(path, RECSYS_EVERSION, "version",
                  "header format_version + 1");

    t_path(path, sizeof(path), "magic.mdb");
    t_patch_copy(model, path, RECSYS_DB_META, RECSYS_META_HEADER,
                 t_patch_magic, NULL);
    t_expect_open(path, RECSYS_EFORMAT, "magic", "header with another magic");

    t_patch_expect(model, "endian.mdb", RECSYS_DB_META, RECSYS_META_HEADER, t_patch_header, &other_endian,
                   RECSYS_EFORMAT, "byte order", "header from the other byte order");

    t_path(path, sizeof(path), "noid.mdb");
    t_patch_copy(model, path, RECSYS_DB_META, RECSYS_META_MODEL_ID, NULL,
                 NULL);
    t_expect_open(path, RECSYS_ECORRUPT, NULL, "no model id");

    /* offsets: a row start past the end of the entries */
    rv[0] = 1;
    rv[1] = 1000;
    t_patch_expect(model, "offset.mdb", RECSYS_DB_BLOBS, RECSYS_BLOB_USER_SEEN, t_patch_offset, rv,
                   RECSYS_ECORRUPT, RECSYS_BLOB_USER_SEEN, "user.seen with a row offset out of range");

    rv[0] = T_NU;
    rv[1] = 0xffffffffu;
    t_patch_expect(model, "offset2.mdb", RECSYS_DB_BLOBS, RECSYS_BLOB_USER_RECS "itemcf", t_patch_offset, rv,
                   RECSYS_ECORRUPT, RECSYS_BLOB_USER_RECS "itemcf", "user.recs.itemcf whose last offset is past the entries");

    item = T_NI;
    t_patch_expect(model, "entry.mdb", RECSYS_DB_BLOBS, RECSYS_BLOB_ITEM_NBRS "itemcf", t_patch_entry, &item,
                   RECSYS_ECORRUPT, RECSYS_BLOB_ITEM_NBRS "itemcf", "item.nbrs with an item index out of range");

    t_patch_expect(model, "trunc.mdb", RECSYS_DB_BLOBS, RECSYS_BLOB_POPULAR, t_patch_truncate, NULL,
                   RECSYS_ECORRUPT, RECSYS_BLOB_POPULAR, "popular cut short by one entry");

    t_path(path, sizeof(path), "nopop.mdb");
    t_patch_copy(model, path, RECSYS_DB_BLOBS, RECSYS_BLOB_POPULAR, NULL,
                 NULL);
    t_expect_open(path, RECSYS_ECORRUPT, RECSYS_BLOB_POPULAR,
                  "popular missing");

    len = 60000;
    t_patch_expect(model, "record.mdb", RECSYS_DB_BLOBS, RECSYS_BLOB_ITEM_RECORDS, t_patch_record, &len,
                   RECSYS_ECORRUPT, RECSYS_BLOB_ITEM_RECORDS, "an item record whose id runs past the record");

    /* the id hashes: a slot naming no item, every slot taken, none */
    t_patch_expect(model, "hslot.mdb", RECSYS_DB_BLOBS, RECSYS_BLOB_ITEM_HASH, t_patch_hash_slot, NULL,
                   RECSYS_ECORRUPT, RECSYS_BLOB_ITEM_HASH, "item.hash with a slot past the items");

    t_patch_expect(model, "hfull.mdb", RECSYS_DB_BLOBS, RECSYS_BLOB_USER_HASH, t_patch_hash_full, NULL,
                   RECSYS_ECORRUPT, RECSYS_BLOB_USER_HASH, "user.hash with no empty slot (a probe would not end)");

    /* the stored explanations: a record naming no item, too many
     * because items, no explain_history */
    {
        int              what;
        char             err[256];
        recsys_model_t  *m;
        const unsigned char  *p;
        size_t           len;
        uint32_t         u, n;

        /* the model has some: every user with a hybrid list has records */
        n = 0;
        if (recsys_model_open(model, &m, err, sizeof(err)) == RECSYS_OK) {
            for (u = 0; u < T_NU; u++) {
                if (recsys_model_explain(m, u, 20, &p, &len) == RECSYS_OK
                    && len > 0)
                {
                    n++;
                }
            }

            tap_ok(n > 0 && recsys_model_explain(m, 0, 19, &p, &len)
                            == RECSYS_ENOTFOUND,
                   "user.explain: %u users have records; another "
                   "explain_history finds none", n);
            recsys_model_close(m);
        }

        what = 0;
        t_patch_expect(model, "ex-item.mdb", RECSYS_DB_BLOBS, RECSYS_BLOB_USER_EXPLAIN, t_patch_explain, &what,
                       RECSYS_ECORRUPT, RECSYS_BLOB_USER_EXPLAIN, "user.explain with a record past the items");
        what = 1;
        t_patch_expect(model, "ex-because.mdb", RECSYS_DB_BLOBS, RECSYS_BLOB_USER_EXPLAIN, t_patch_explain, &what,
                       RECSYS_ECORRUPT, RECSYS_BLOB_USER_EXPLAIN, "user.explain with too many because items");
        what = 2;
        t_patch_expect(model, "ex-history.mdb", RECSYS_DB_BLOBS, RECSYS_BLOB_USER_EXPLAIN, t_patch_explain, &what,
                       RECSYS_ECORRUPT, RECSYS_BLOB_USER_EXPLAIN, "user.explain without its explain_history");
    }

    t_path(path, sizeof(path), "hnone.mdb");
    t_patch_copy(model, path, RECSYS_DB_BLOBS, RECSYS_BLOB_USER_HASH, NULL,
                 NULL);
    t_path(path2, sizeof(path2), "hnone2.mdb");
    t_patch_copy(path, path2, RECSYS_DB_BLOBS, RECSYS_BLOB_ITEM_HASH, NULL,
                 NULL);
    {
        int              ok;
        char             err[256];
        uint32_t         i, u, idx;
        recsys_model_t  *m;

        ok = recsys_model_open(path2, &m, err, sizeof(err)) == RECSYS_OK;

        for (u = 0; ok && u < T_NU; u++) {
            ok = recsys_model_user(m, t_users[u], strlen(t_users[u]), &idx)
                 == RECSYS_OK && idx == u;
        }

        for (i = 0; ok && i < T_NI; i++) {
            ok = recsys_model_item(m, t_items[i], strlen(t_items[i]), &idx)
                 == RECSYS_OK && idx == i;
        }

        ok = ok && recsys_model_item(m, "alice", 5, &idx) == RECSYS_ENOTFOUND;

        tap_ok(ok, "without the id hashes (an older file) ids are found "
               "through the databases");

        if (m != NULL) {
            recsys_model_close(m);
        }
    }
}


/* ---- atomic publication ---- */


static int
t_same_bytes(const char *path, const char *bytes, size_t len)
{
    int     same;
    char   *now;
    size_t  now_len;

    now = t_read_file(path, &now_len);
    same = now != NULL && now_len == len && memcmp(now, bytes, len) == 0;
    free(now);

    return same;
}


static void
t_check_publish(const char *log, const char *catalog)
{
    int              rc, fb;
    char             out[512], bad[512], log2[512], err[1024], *before;
    size_t           before_len;
    uint32_t         n1, n2, idx;
    struct stat      st1, st2;
    struct rlimit    rl, low;
    recsys_model_t  *old, *m;
    recsys_scored_t  r1[2 * T_NI], r2[2 * T_NI];

    t_path(out, sizeof(out), "published.mdb");

    rc = t_build(log, catalog, 2, 2, 2, 1.0f, 0.5f, out, err, sizeof(err));
    before = t_read_file(out, &before_len);

    if (rc != RECSYS_OK || before == NULL || stat(out, &st1) != 0) {
        tap_ok(0, "publish: first model built (%s)", err);
        free(before);
        return;
    }

    /* bad input: the pipeline stops at ingest, the file stays */

    t_path(bad, sizeof(bad), "bad.csv");
    t_write_str(bad, "user,item,rating\n1,2,5\n1,3,five\n");

    rc = t_build(bad, NULL, 2, 2, 2, 1.0f, 0.5f, out, err, sizeof(err));
    tap_ok(rc == RECSYS_EINVAL && strstr(err, ":3: ") != NULL,
           "publish: a bad row fails the build (%s)", err);
    tap_ok(t_same_bytes(out, before, before_len),
           "publish: after a bad-input build the file is byte-identical");
    tap_is_int(t_tmp_files(), 0, "publish: no *.tmp.* file left");

    /*
     * a failure inside recsys_build_model, after the temporary file
     * exists: under a 12 KiB file size limit its writes fail (EFBIG)
     */

    if (getrlimit(RLIMIT_FSIZE, &rl) == 0) {
        signal(SIGXFSZ, SIG_IGN);
        low = rl;
        low.rlim_cur = 3 * 4096;

        if (setrlimit(RLIMIT_FSIZE, &low) == 0) {
            rc = t_build(log, catalog, 3, 3, 10, 1.0f, 0.5f, out, err,
                         sizeof(err));
            setrlimit(RLIMIT_FSIZE, &rl);

            tap_ok(rc != RECSYS_OK && err[0] != '\0',
                   "publish: a build that cannot write fails (%s)", err);
            tap_ok(t_same_bytes(out, before, before_len),
                   "publish: after a failed write the file is "
                   "byte-identical");
            tap_is_int(t_tmp_files(), 0,
                       "publish: the temporary file is removed");
        }

        signal(SIGXFSZ, SIG_DFL);
    }

    /*
     * a good rebuild replaces the file by rename: a reader that has the
     * old one open keeps its snapshot
     */

    rc = recsys_model_open(out, &old, err, sizeof(err));
    if (rc != RECSYS_OK) {
        tap_ok(0, "publish: old model opened (%s)", err);
        free(before);
        return;
    }

    rc = t_query(old, RECSYS_ALGO_HYBRID, 1, RECSYS_NO_INDEX, NULL, 0, 0, 5,
                 r1, &n1, &fb);

    t_path(log2, sizeof(log2), "log2.csv");
    t_write_str(log2, "user,item\nnew1,a\nnew1,b\nnew2,a\n");

    rc = t_build(log2, NULL, 2, 2, 2, 1.0f, 0.5f, out, err, sizeof(err));
    tap_is_int(rc, RECSYS_OK, "publish: a good rebuild succeeds");
    if (rc != RECSYS_OK) {
        printf("#   %s\n", err);
    }

    tap_ok(stat(out, &st2) == 0 && st2.st_ino != st1.st_ino
           && !t_same_bytes(out, before, before_len),
           "publish: the path now names a new file (a new inode)");
    tap_is_int(t_tmp_files(), 0, "publish: no *.tmp.* file left");

    rc = t_query(old, RECSYS_ALGO_HYBRID, 1, RECSYS_NO_INDEX, NULL, 0, 0, 5,
                 r2, &n2, &fb);
    tap_ok(rc == RECSYS_OK && n1 > 0 && t_same(r1, n1, r2, n2)
           && recsys_model_header(old)->n_users == T_NU,
           "publish: the old snapshot still answers as before");

    rc = recsys_model_open(out, &m, err, sizeof(err));
    tap_ok(rc == RECSYS_OK && recsys_model_header(m)->n_users == 2
           && recsys_model_user(m, "new2", 4, &idx) == RECSYS_OK
           && recsys_model_user(m, "alice", 5, &idx) == RECSYS_ENOTFOUND,
           "publish: opening the path again gives the new model");
    if (rc == RECSYS_OK) {
        recsys_model_close(m);
    }

    recsys_model_close(old);
    free(before);
}


/* Removes every file in t_dir, then t_dir. */
static void
t_cleanup(void)
{
    char            path[1024];
    DIR            *dir;
    struct dirent  *de;

    dir = opendir(t_dir);
    if (dir == NULL) {
        return;
    }

    while ((de = readdir(dir)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            snprintf(path, sizeof(path), "%s/%s", t_dir, de->d_name);
            unlink(path);
        }
    }

    closedir(dir);
    rmdir(t_dir);
}


int
main(void)
{
    int              rc;
    char             log[512], catalog[512], model_a[512], model_b[512];
    char             err[1024];
    t_ref_t         *ref_a, *ref_b;
    recsys_model_t  *m;

    if (mkdtemp(t_dir) == NULL) {
        tap_ok(0, "temporary directory");
        return tap_done();
    }

    ref_a = malloc(sizeof(t_ref_t));
    ref_b = malloc(sizeof(t_ref_t));
    if (ref_a == NULL || ref_b == NULL) {
        tap_ok(0, "memory");
        return tap_done();
    }

    t_path(log, sizeof(log), "ratings.csv");
    t_path(catalog, sizeof(catalog), "items.csv");
    t_path(model_a, sizeof(model_a), "a.mdb");
    t_path(model_b, sizeof(model_b), "b.mdb");

    if (t_write_log(log) != 0
        || t_write_file(catalog, t_catalog, sizeof(t_catalog) - 1) != 0)
    {
        tap_ok(0, "input files written");
        return tap_done();
    }

    /*
     * model A: 2 neighbours, 2 history items, lists of 2; the hybrid
     * blends item-CF (weight 1) with popularity (weight 0.5)
     */

    t_ref_init(ref_a, 2, 2, 2, 1.0f, 0.5f);
    t_check_reference(ref_a, 1);

    rc = t_build(log, catalog, 2, 2, 2, 1.0f, 0.5f, model_a, err, sizeof(err));
    tap_is_int(rc, RECSYS_OK, "model A (k 2, h 2, top 2) built");
    if (rc != RECSYS_OK) {
        printf("#   %s\n", err);
    }

    rc = recsys_model_open(model_a, &m, err, sizeof(err));
    tap_is_int(rc, RECSYS_OK, "model A opened");

    if (rc == RECSYS_OK) {
        t_check_maps(m);
        t_check_lists(m, ref_a, "A");
        t_check_queries(m, ref_a, "A");
        t_check_rescoring(m, ref_a);
        recsys_model_close(m);

    } else {
        printf("#   %s\n", err);
    }

    /*
     * model B: every neighbour, 3 history items, lists of 10; the hybrid
     * is item-CF alone (weight 2), filled up with popular items
     */

    t_ref_init(ref_b, 10, 3, 10, 2.0f, 0.0f);
    t_check_reference(ref_b, 0);

    rc = t_build(log, catalog, 10, 3, 10, 2.0f, 0.0f, model_b, err,
                 sizeof(err));
    tap_is_int(rc, RECSYS_OK, "model B (k 10, h 3, top 10) built");

    rc = recsys_model_open(model_b, &m, err, sizeof(err));
    tap_is_int(rc, RECSYS_OK, "model B opened");

    if (rc == RECSYS_OK) {
        t_check_lists(m, ref_b, "B");
        t_check_queries(m, ref_b, "B");
        recsys_model_close(m);
    }

    t_check_foreign(model_a);
    t_check_publish(log, catalog);

    t_cleanup();
    free(ref_a);
    free(ref_b);

    return tap_done();
}
