/*
 * test_markov.c: unit test of the Markov chain (recsys_markov_train.c,
 * recsys_markov.c), and the planted-series check of every sequence model.
 *
 * 1. A tiny hand-made log whose transition rows are worked out below by
 *    hand from the formula in recsys_markov.h: probabilities, order,
 *    truncation, alpha 0, history mixing, exclusions, per-user lists.
 * 2. The generator's default data set through the real ingest path: for
 *    every planted series and every position p < series_len, a user who
 *    watched episodes 1..p in order must get episode p + 1 first (seen
 *    items excluded), for at least 90% of the (series, position) pairs with
 *    the Markov chain and with the GRU; the HMM's figure is reported.
 * Prints TAP.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "recsys_arena.h"
#include "recsys_gen.h"
#include "recsys_gru_train.h"
#include "recsys_hmm_train.h"
#include "recsys_ingest.h"
#include "recsys_markov.h"
#include "recsys_markov_train.h"
#include "recsys_status.h"
#include "recsys_train.h"
#include "tap.h"
#include "file_fixture.h"
#include "ingest_fixture.h"


#define T_MAX_SERIES  64
#define T_MAX_LEN     16


typedef struct {
    uint32_t  n_series;
    uint32_t  len;
    uint32_t  ep[T_MAX_SERIES][T_MAX_LEN];     /* item indexes */
} t_series_t;

/* a scorer under test, in the shape of the packed models' scorers */
typedef int (*t_scorer_pt)(const void *model, size_t size,
    const uint32_t *hist, uint32_t n_hist, recsys_row_t seen,
    const uint32_t *exclude, uint32_t n_exclude, uint32_t need,
    recsys_alloc_t *a, recsys_scored_t *out, uint32_t *n_out);


static char      t_dir[64];
static uint64_t        t_mem[1 << 15];  /* the scoring arena, 256 KiB */
static recsys_arena_t  t_ar = { (char *) t_mem, sizeof(t_mem), 0 };
static recsys_alloc_t  t_arena = { recsys_arena_alloc, &t_ar };


static double
t_now(void)
{
    struct timeval  tv;

    gettimeofday(&tv, NULL);
    return tv.tv_sec + tv.tv_usec / 1e6;
}


static recsys_row_t
t_no_row(void)
{
    recsys_row_t  r;

    r.p = NULL;
    r.n = 0;
    return r;
}


static int
t_ingest(const char *items, const char *log, recsys_data_t *d,
    recsys_train_t *t)
{
    char  err[512];

    if (t_ingest_train(items, log, d, t, err, sizeof(err)) != RECSYS_OK) {
        printf("# ingest failed: %s\n", err);
        return 0;
    }

    return 1;
}


/* The entry of item j in row i, or -1. */
static double
t_prob(const recsys_csr_t *c, uint32_t i, uint32_t j)
{
    uint32_t  e;

    for (e = c->offsets[i]; e < c->offsets[i + 1]; e++) {
        if (c->entries[e].item == j) {
            return c->entries[e].score;
        }
    }

    return -1.0;
}


/*
 * The tiny log, items 1..4 (indexes 0..3), each user's rows in time order:
 *
 *   u1: 1 2 3      u2: 1 2 4      u3: 1 3      u4: 2 3
 *
 * Positions n = 10: n(1) = 3, n(2) = 3, n(3) = 3, n(4) = 1.
 * Transitions: 1->2 twice, 1->3 once, 2->3 twice, 2->4 once; c(1) = 3,
 * c(2) = 3, c(3) = c(4) = 0.  With alpha = 1:
 *
 *   row 1: pop_1(j) = n(j) / 7:  P(2|1) = (2 + 3/7) / 4 = 17/28 = 0.607143
 *                                P(3|1) = (1 + 3/7) / 4 = 10/28 = 0.357143
 *                                P(4|1) = (0 + 1/7) / 4 =  1/28 = 0.035714
 *   row 2:                       P(3|2) = (2 + 3/7) / 4 = 17/28
 *                                P(4|2) = (1 + 1/7) / 4 =  8/28 = 0.285714
 *                                P(1|2) = (0 + 3/7) / 4 =  3/28 = 0.107143
 *   row 3 (never followed: popularity): P(1|3) = P(2|3) = 3/7, P(4|3) = 1/7
 *   row 4: pop_4(j) = n(j) / 9:  P(1|4) = P(2|4) = P(3|4) = 3/9
 *
 * Equal scores go to the smaller index: row 3 is 1, 2, 4.
 */
static void
t_tiny(void)
{
    char                  path[128];
    FILE                 *fp;
    uint32_t              n, hist[2], excl[1];
    recsys_csr_t          next, top;
    recsys_list_t         list;
    recsys_data_t         d;
    recsys_train_t        t;
    recsys_scored_t       out[8];
    recsys_markov_opts_t  o;

    static const char  *rows =
        "userId,itemId,rating,timestamp\n"
        "1,1,5,100\n" "1,2,5,200\n" "1,3,5,300\n"
        "2,1,5,100\n" "2,2,5,200\n" "2,4,5,300\n"
        "3,1,5,100\n" "3,3,5,200\n"
        "4,2,5,100\n" "4,3,5,200\n";

    snprintf(path, sizeof(path), "%s/tiny.csv", t_dir);
    fp = fopen(path, "w");
    if (fp == NULL || fputs(rows, fp) < 0 || fclose(fp) != 0) {
        tap_ok(0, "write the tiny log");
        return;
    }

    if (!t_ingest(NULL, path, &d, &t) || t.n_items != 4) {
        tap_ok(0, "ingest the tiny log");
        return;
    }

    unlink(path);

    o = recsys_markov_default;
    o.alpha = 1.0f;

    tap_is_int(recsys_markov_build(&t, &o, &next), RECSYS_OK, "build");
    tap_is_int(next.n_rows, 4, "a row per item");

    tap_is_num(t_prob(&next, 0, 1), 17.0 / 28, 1e-6, "P(2|1) = 17/28");
    tap_is_num(t_prob(&next, 0, 2), 10.0 / 28, 1e-6, "P(3|1) = 10/28");
    tap_is_num(t_prob(&next, 0, 3), 1.0 / 28, 1e-6, "P(4|1) = 1/28");
    tap_is_num(t_prob(&next, 0, 0), -1.0, 0, "no self transition");
    tap_is_num(t_prob(&next, 1, 2), 17.0 / 28, 1e-6, "P(3|2) = 17/28");
    tap_is_num(t_prob(&next, 1, 3), 8.0 / 28, 1e-6, "P(4|2) = 8/28");
    tap_is_num(t_prob(&next, 1, 0), 3.0 / 28, 1e-6, "P(1|2) = 3/28");
    tap_is_num(t_prob(&next, 2, 0), 3.0 / 7, 1e-6, "P(1|3) = 3/7 (backoff)");
    tap_is_num(t_prob(&next, 2, 3), 1.0 / 7, 1e-6, "P(4|3) = 1/7 (backoff)");
    tap_is_num(t_prob(&next, 3, 2), 1.0 / 3, 1e-6, "P(3|4) = 1/3 (backoff)");

    tap_ok(next.entries[next.offsets[0]].item == 1
           && next.entries[next.offsets[0] + 1].item == 2
           && next.entries[next.offsets[0] + 2].item == 3,
           "row 1 best first: 2, 3, 4");
    tap_ok(next.entries[next.offsets[2]].item == 0
           && next.entries[next.offsets[2] + 1].item == 1
           && next.entries[next.offsets[2] + 2].item == 3,
           "row 3 ties to the smaller index: 1, 2, 4");

    /*
     * history 1, 2 (2 most recent), window 2, decay 0.5, history excluded:
     *   score(3) = 17/28 + 0.5 * 10/28 = 22/28 = 0.785714
     *   score(4) =  8/28 + 0.5 *  1/28 = 8.5/28 = 0.303571
     */
    list = recsys_csr_view(&next);
    hist[0] = 0;
    hist[1] = 1;
    t_ar.used = 0;
    tap_is_int(recsys_markov_score(&list, hist, 2, 2, 0.5f, t_no_row(), hist,
                                   2, 8, &t_arena, out, &n),
               RECSYS_OK, "score a history");
    tap_is_int(n, 2, "two items left after excluding the history");
    tap_ok(n == 2 && out[0].item == 2 && out[1].item == 3,
           "history 1,2 -> 3, 4");
    tap_is_num(out[0].score, 22.0 / 28, 1e-6, "mixed score of 3 = 22/28");
    tap_is_num(out[1].score, 8.5 / 28, 1e-6, "mixed score of 4 = 8.5/28");

    /* window 1 and an explicit exclusion of item 3 */
    excl[0] = 2;
    t_ar.used = 0;
    recsys_markov_score(&list, hist, 2, 1, 0.5f, t_no_row(), excl, 1, 8,
                        &t_arena, out, &n);
    tap_ok(n == 2 && out[0].item == 3 && out[1].item == 0,
           "window 1, item 3 excluded: 4 then 1 (row 2 alone)");

    /* per-user lists: u1's newest item is 3 */
    tap_is_int(recsys_markov_user_top(&next, &t, 1, 0.5f, 5, 1, &top),
               RECSYS_OK, "user top lists");
    tap_ok(top.offsets[1] - top.offsets[0] == 1
           && top.entries[top.offsets[0]].item == 3,
           "u1 (saw 1, 2, 3) gets only 4 when seen items are excluded");
    recsys_csr_free(&top);

    recsys_markov_user_top(&next, &t, 1, 0.5f, 5, 0, &top);
    tap_is_int(top.offsets[1] - top.offsets[0], 3,
               "re-watches allowed: u1 gets 1, 2 and 4");
    recsys_csr_free(&top);
    recsys_csr_free(&next);

    /* truncation and alpha 0 */
    o.top_k = 2;
    recsys_markov_build(&t, &o, &next);
    tap_is_int(next.offsets[1] - next.offsets[0], 2, "top_k 2 keeps 2");
    recsys_csr_free(&next);

    o.top_k = 10;
    o.alpha = 0.0f;
    recsys_markov_build(&t, &o, &next);
    tap_is_num(t_prob(&next, 0, 1), 2.0 / 3, 1e-6, "alpha 0: P(2|1) = 2/3");
    tap_is_int(next.offsets[3] - next.offsets[2], 0,
               "alpha 0: an item never followed has an empty row");
    recsys_csr_free(&next);

    o.alpha = -1.0f;
    tap_is_int(recsys_markov_build(&t, &o, &next), RECSYS_EINVAL,
               "negative alpha refused");

    recsys_train_free(&t);
    recsys_data_free(&d);
}


static int
t_read_series(const char *dir, const recsys_data_t *d, t_series_t *s)
{
    char      path[256], line[256], *id;
    FILE     *fp;
    uint32_t  series, pos, item;

    snprintf(path, sizeof(path), "%s/truth/series.csv", dir);
    fp = fopen(path, "r");
    if (fp == NULL || fgets(line, sizeof(line), fp) == NULL) {
        return 0;
    }

    memset(s, 0, sizeof(t_series_t));

    while (fgets(line, sizeof(line), fp) != NULL) {
        if (sscanf(line, "%u,%u,", &series, &pos) != 2
            || series >= T_MAX_SERIES || pos < 1 || pos > T_MAX_LEN)
        {
            fclose(fp);
            return 0;
        }

        id = strrchr(line, ',') + 1;
        id[strcspn(id, "\r\n")] = '\0';

        if (recsys_dict_find(&d->items, id, strlen(id), &item)
            != RECSYS_OK)
        {
            fclose(fp);
            return 0;
        }

        s->ep[series][pos - 1] = item;
        s->n_series = series + 1 > s->n_series ? series + 1 : s->n_series;
        s->len = pos > s->len ? pos : s->len;
    }

    fclose(fp);

    return s->n_series > 0;
}


/* Share of (series, p) pairs whose top answer after episodes 1..p is p+1. */
static double
t_series_hits(const t_series_t *s, t_scorer_pt score, const void *model,
    size_t size)
{
    uint32_t         k, p, got, hits, total;
    recsys_scored_t  best[1];

    hits = 0;
    total = 0;

    for (k = 0; k < s->n_series; k++) {
        for (p = 1; p < s->len; p++) {
            total++;
            t_ar.used = 0;

            /* the best item after the history, the history excluded */
            if (score(model, size, s->ep[k], p, t_no_row(), s->ep[k], p, 1,
                      &t_arena, best, &got)
                == RECSYS_OK
                && got == 1 && best[0].item == s->ep[k][p])
            {
                hits++;
            }
        }
    }

    return total ? (double) hits / total : 0.0;
}


/* recsys_markov_score() in the scorers' shape: model is the list */
static int
t_score_markov(const void *model, size_t size, const uint32_t *hist,
    uint32_t n_hist, recsys_row_t seen, const uint32_t *exclude,
    uint32_t n_exclude, uint32_t need, recsys_alloc_t *a,
    recsys_scored_t *out, uint32_t *n_out)
{
    (void) size;

    return recsys_markov_score(model, hist, n_hist, 5, 0.6f, seen, exclude,
                               n_exclude, need, a, out, n_out);
}


static void
t_gen_series(void)
{
    int                   rc;
    char                  gdir[128], items[192], log[192], err[256];
    void                 *buf;
    size_t                size;
    double                t0, share;
    t_series_t            s;
    recsys_csr_t          next;
    recsys_list_t         list;
    recsys_data_t         d;
    recsys_train_t        t;
    recsys_gru_t          gru;
    recsys_hmm_t          hmm;
    recsys_gen_opts_t     go;
    recsys_gru_opts_t     gopt;
    recsys_hmm_opts_t     hopt;
    recsys_markov_opts_t  mopt;

    snprintf(gdir, sizeof(gdir), "%s/gen", t_dir);
    go = recsys_gen_default;
    go.out_dir = gdir;

    rc = recsys_gen_run(&go, err, sizeof(err));
    tap_is_int(rc, RECSYS_OK, "generate the default data set");
    if (rc != RECSYS_OK) {
        printf("# %s\n", err);
        return;
    }

    snprintf(items, sizeof(items), "%s/items.csv", gdir);
    snprintf(log, sizeof(log), "%s/interactions.csv", gdir);

    if (!t_ingest(items, log, &d, &t) || !t_read_series(gdir, &d, &s)) {
        tap_ok(0, "ingest the generated data and its series truth");
        return;
    }

    printf("# %u users, %u items, %u rows; %u series of %u episodes\n",
           t.n_users, t.n_items, t.seq.n_entries, s.n_series, s.len);

    /* Markov, default options */

    t0 = t_now();
    mopt = recsys_markov_default;
    tap_is_int(recsys_markov_build(&t, &mopt, &next), RECSYS_OK,
               "markov: build (%.2f s)", t_now() - t0);
    list = recsys_csr_view(&next);
    share = t_series_hits(&s, t_score_markov, &list, 0);
    tap_ok(share >= 0.9, "markov: next episode first for %.1f%% of "
           "(series, position) pairs", 100 * share);
    recsys_csr_free(&next);

    /*
     * GRU: a smaller and faster-learning configuration than the defaults
     * (d = h = 32, 3 epochs at a larger step), to stay within the time
     * budget of a unit test
     */

    t0 = t_now();
    gopt = recsys_gru_default;
    gopt.dim = 32;
    gopt.hidden = 32;
    gopt.epochs = 3;
    gopt.lr = 0.01f;
    tap_is_int(recsys_gru_train(&t, &gopt, &gru), RECSYS_OK,
               "gru: train d %u h %u, %u epochs (%.2f s)", gopt.dim,
               gopt.hidden, gopt.epochs, t_now() - t0);
    recsys_gru_pack(&gru, gopt.max_len, &buf, &size);
    share = t_series_hits(&s, recsys_gru_score, buf, size);
    tap_ok(share >= 0.9, "gru: next episode first for %.1f%% of pairs",
           100 * share);
    free(buf);
    recsys_gru_free(&gru);

    /* HMM, default options: reported, not required */

    t0 = t_now();
    hopt = recsys_hmm_default;
    tap_is_int(recsys_hmm_train(&t, &hopt, &hmm), RECSYS_OK,
               "hmm: train %u states, %u iterations (%.2f s)", hopt.n_states,
               hopt.iterations, t_now() - t0);
    recsys_hmm_pack(&hmm, 100, hopt.max_len, &buf, &size);
    share = t_series_hits(&s, recsys_hmm_score, buf, size);
    printf("# hmm: next episode first for %.1f%% of pairs (no threshold)\n",
           100 * share);
    free(buf);
    recsys_hmm_free(&hmm);

    recsys_train_free(&t);
    recsys_data_free(&d);
}


/* Removes the generator's files (a fixed, known set) and directories. */
static void
t_cleanup(void)
{
    char         path[256];
    size_t       k;
    static const char  *files[] = {
        "gen/items.csv", "gen/interactions.csv", "gen/tags.csv",
        "gen/truth/segments.csv", "gen/truth/bundles.csv",
        "gen/truth/series.csv", "gen/truth", "gen"
    };

    for (k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
        snprintf(path, sizeof(path), "%s/%s", t_dir, files[k]);

        if (unlink(path) != 0) {
            rmdir(path);
        }
    }

    rmdir(t_dir);
}


int
main(void)
{
    t_mkdtemp(t_dir, sizeof(t_dir), "test_markov");

    t_tiny();
    t_gen_series();
    t_cleanup();

    return tap_done();
}
