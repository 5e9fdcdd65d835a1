/*
 * test_content.c: unit test of content-based filtering (recsys_content.c).
 *
 * A 4-item catalog whose TF-IDF weights and cosines are worked out by hand
 * below; a seeded random catalog (genres, tags in mixed case, titles)
 * whose content neighbours and per-user lists are checked against plain
 * dense reference code that computes TF-IDF and cosines itself from the
 * generated data; an item nobody rated recommended by content; title
 * tokenising; tags-file errors with PATH:LINE.  All data goes through the
 * real ingest path (files in a temporary directory).  Prints TAP.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recsys_content.h"
#include "recsys_ingest.h"
#include "recsys_status.h"
#include "recsys_train.h"
#include "tap.h"
#include "file_fixture.h"
#include "ingest_fixture.h"


#define T_NI      60
#define T_NU      25
#define T_NG      6
#define T_NT      5
#define T_NW      12
#define T_NF      (T_NG + T_NT + T_NW)


static char  t_dir[64];

static const char  *t_genre[T_NG] = {
    "Action", "Comedy", "Drama", "Horror", "Sci-Fi", "Romance"
};
static const char  *t_tag[T_NT] = {
    "funny", "dark", "classic", "boring", "twist"
};
static const char  *t_word[T_NW] = {
    "red", "blue", "night", "day", "story", "return", "king", "love",
    "war", "city", "dark", "star"
};


static void
t_path(const char *name, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", t_dir, name);
}


static void
t_file(const char *name, const char *text)
{
    char   path[256];
    FILE  *fp;

    t_path(name, path, sizeof(path));
    fp = fopen(path, "w");
    if (fp == NULL) {
        printf("Bail out! cannot write %s\n", path);
        exit(1);
    }

    fputs(text, fp);
    fclose(fp);
}


static void
t_unlink(const char *name)
{
    char  path[256];

    t_path(name, path, sizeof(path));
    unlink(path);
}


/* Ingests items + interactions (+ tags) and builds content with o. */
static int
t_build(const char *items, const char *events, const char *tags,
    const recsys_content_opts_t *o, recsys_data_t *d, recsys_train_t *t,
    recsys_content_tags_t *tg, recsys_content_t *c)
{
    char  pi[256], pe[256], pt[256], err[512];

    t_path(items, pi, sizeof(pi));
    t_path(events, pe, sizeof(pe));

    memset(tg, 0, sizeof(recsys_content_tags_t));

    if (t_ingest_train(pi, pe, d, t, err, sizeof(err)) != RECSYS_OK) {
        printf("# ingest failed\n");
        return 0;
    }

    if (tags != NULL) {
        t_path(tags, pt, sizeof(pt));

        if (recsys_content_tags_read(tg, &d->items, pt, err, sizeof(err))
            != RECSYS_OK)
        {
            printf("# tags: %s\n", err);
            return 0;
        }
    }

    return recsys_content_build(c, d, t, tags != NULL ? tg : NULL, o)
           == RECSYS_OK;
}


static void
t_free(recsys_data_t *d, recsys_train_t *t, recsys_content_tags_t *tg,
    recsys_content_t *c)
{
    recsys_content_free(c);
    recsys_content_tags_free(tg);
    recsys_train_free(t);
    recsys_data_free(d);
}


/* The options of both fixtures: weights 1, 1, .5, uncapped, K given. */
static void
t_opts(recsys_content_opts_t *o, uint32_t neighbors)
{
    *o = recsys_content_default;
    o->genre_weight = 1.0f;
    o->tag_weight = 1.0f;
    o->title_weight = 0.5f;
    o->max_posting = 0;
    o->neighbors = neighbors;
}


/* The weight of feature (kind, name) in item i's vector; -1 if absent. */
static double
t_weight(const recsys_content_t *c, uint32_t i, recsys_content_kind_t kind,
    const char *name)
{
    uint32_t  f, e;

    if (recsys_content_feature_find(c, kind, name, strlen(name), &f)
        != RECSYS_OK)
    {
        return -1.0;
    }

    for (e = c->items.offsets[i]; e < c->items.offsets[i + 1]; e++) {
        if (c->items.entries[e].item == f) {
            return c->items.entries[e].score;
        }
    }

    return -1.0;
}


static int
t_has(const recsys_content_t *c, recsys_content_kind_t kind,
    const char *name)
{
    uint32_t  f;

    return recsys_content_feature_find(c, kind, name, strlen(name), &f)
           == RECSYS_OK;
}


/*
 * 1 when row r of csr equals the reference up to ties: its length is
 * min(k, candidates with want > 0); each entry's score is the reference
 * score of its item (tol), entries are distinct, scores do not rise, and
 * no unlisted candidate beats the last listed score.  want[] has n scores.
 */
static int
t_row_ties(const recsys_csr_t *csr, uint32_t r, const double *want,
    uint32_t n, uint32_t k, const unsigned char *skip, double tol,
    const char *what)
{
    int       ok;
    uint32_t  x, len, o, pos, j;
    double    last;
    unsigned char  listed[T_NI];

    o = csr->offsets[r];
    len = csr->offsets[r + 1] - o;

    pos = 0;
    for (j = 0; j < n; j++) {
        pos += (!skip[j] && want[j] > 1e-9);
    }

    pos = pos < k ? pos : k;
    ok = len == pos;

    if (!ok) {
        printf("# %s row %u: %u entries, want %u\n", what, r, len, pos);
        return 0;
    }

    memset(listed, 0, sizeof(listed));
    last = 2.0;

    for (x = 0; x < len; x++) {
        j = csr->entries[o + x].item;

        if (j >= n || listed[j] || skip[j]
            || fabs(csr->entries[o + x].score - want[j]) > tol
            || csr->entries[o + x].score > last)
        {
            printf("# %s row %u pos %u: (%u, %.9g) want score %.9g\n",
                   what, r, x, j, csr->entries[o + x].score,
                   j < n ? want[j] : -1.0);
            return 0;
        }

        listed[j] = 1;
        last = csr->entries[o + x].score;

        /* equal scores: the smaller index first */
        if (x > 0 && csr->entries[o + x - 1].score == last
            && csr->entries[o + x - 1].item > j)
        {
            printf("# %s row %u pos %u: tie not by index\n", what, r, x);
            return 0;
        }
    }

    for (j = 0; j < n; j++) {
        if (!listed[j] && !skip[j] && want[j] > last + tol) {
            printf("# %s row %u: item %u (%.9g) missing\n", what, r, j,
                   want[j]);
            return 0;
        }
    }

    return 1;
}


/*
 * The hand catalog.  N = 4 items, weights genre 1, tag 1, title 0.5.
 *
 *   1 "Alpha Story (1995)"    Action|Comedy   tags funny x2
 *   2 "Beta Story (1996)"     Action
 *   3 "Gamma (2001)"          Drama           tags dark
 *   4 "Delta Story 2 (2003)"  Action|Drama    tags dark   (nobody rated)
 *
 * Years are not words and "2" is too short.  With L = ln 4, A = ln(4/3),
 * H = ln 2:  df(Action) = 3: A;  Comedy 1: L;  Drama 2: H;  funny 1: L;
 * dark 2: H;  story 3: A;  alpha, beta, gamma, delta 1: L.  Raw weights
 * (kind weight * tf * idf):
 *
 *   1: Action A, Comedy L, funny 2L, alpha L/2, story A/2
 *      |1|^2 = 1.25 A^2 + 5.25 L^2
 *   2: Action A, beta L/2, story A/2           |2|^2 = 1.25 A^2 + 0.25 L^2
 *   3: Drama H, dark H, gamma L/2              |3|^2 = 2 H^2 + 0.25 L^2
 *   4: Action A, Drama H, dark H, delta L/2, story A/2
 *      |4|^2 = 1.25 A^2 + 2 H^2 + 0.25 L^2
 *
 * Cosines: (1,2) = 1.25 A^2 / (|1||2|), (1,4) = 1.25 A^2 / (|1||4|),
 * (2,4) = 1.25 A^2 / (|2||4|), (3,4) = 2 H^2 / (|3||4|), (1,3) = (2,3)
 * = 0.  Numerically |1| = 3.1927, |2| = 0.7641, |3| = 1.2006, |4| =
 * 1.2429, so item 4's neighbours are 3 (0.6439), 2 (0.1089), 1 (0.0261).
 *
 * User 7 rated item 3 with 5 and item 2 with 1 (mean 3): the profile is
 * 2 x_3 - 2 x_2; item 1 scores < 0 and item 4 > 0, so item 4, which
 * nobody rated, is the user's one content recommendation.
 */
static void
t_hand(void)
{
    double                 L, A, H, n1, n2, n3, n4;
    uint32_t               i1, i2, i3, i4, o;
    recsys_csr_t           nbrs;
    recsys_data_t          d;
    recsys_train_t         t;
    recsys_content_t       c;
    recsys_content_opts_t  opts;
    recsys_content_tags_t  tg;

    t_file("hand_items.csv",
           "itemId,title,genres\n"
           "1,Alpha Story (1995),Action|Comedy\n"
           "2,Beta Story (1996),Action\n"
           "3,Gamma (2001),Drama\n"
           "4,Delta Story 2 (2003),Action|Drama\n");
    t_file("hand_events.csv",
           "userId,itemId,rating,timestamp\n"
           "1,1,5,100\n"
           "1,2,3,101\n"
           "7,3,5,102\n"
           "7,2,1,103\n");
    t_file("hand_tags.csv",
           "userId,itemId,tag,timestamp\n"
           "1,1,Funny,100\n"
           "2,1,\" funny \",101\n"
           "1,3,Dark,102\n"
           "3,4,\tdark,103\n"
           "1,9,ghost,104\n");

    t_opts(&opts, 5);

    tap_ok(t_build("hand_items.csv", "hand_events.csv", "hand_tags.csv",
                   &opts, &d, &t, &tg, &c),
           "hand catalog built");
    tap_is_int(c.n_items, 4, "hand: N = 4 items (item 4 from the catalog)");
    tap_is_int(tg.rows, 5, "hand: 5 tag rows after the header");
    tap_is_int(tg.unknown, 1, "hand: the row for unknown item 9 skipped");
    tap_ok(!t_has(&c, RECSYS_CONTENT_TAG, "ghost"),
           "hand: a tag only on an unknown item is no feature");
    tap_ok(!t_has(&c, RECSYS_CONTENT_TAG, "Funny")
           && t_has(&c, RECSYS_CONTENT_TAG, "funny"),
           "hand: tags are lowercased and trimmed");
    tap_ok(!t_has(&c, RECSYS_CONTENT_WORD, "1995")
           && !t_has(&c, RECSYS_CONTENT_WORD, "2")
           && t_has(&c, RECSYS_CONTENT_WORD, "story"),
           "hand: no year, no 1-byte word, 'story' is a word");

    L = log(4.0);
    A = log(4.0 / 3.0);
    H = log(2.0);
    n1 = sqrt(1.25 * A * A + 5.25 * L * L);
    n2 = sqrt(1.25 * A * A + 0.25 * L * L);
    n3 = sqrt(2 * H * H + 0.25 * L * L);
    n4 = sqrt(1.25 * A * A + 2 * H * H + 0.25 * L * L);

    i1 = t_item(&d, "1");
    i2 = t_item(&d, "2");
    i3 = t_item(&d, "3");
    i4 = t_item(&d, "4");

    tap_is_int(c.items.offsets[i1 + 1] - c.items.offsets[i1], 5,
               "hand: item 1 has 5 features");
    tap_is_num(t_weight(&c, i1, RECSYS_CONTENT_GENRE, "Action"), A / n1,
               1e-6, "hand: w(1, Action) = ln(4/3) / |1|");
    tap_is_num(t_weight(&c, i1, RECSYS_CONTENT_GENRE, "Comedy"), L / n1,
               1e-6, "hand: w(1, Comedy) = ln 4 / |1|");
    tap_is_num(t_weight(&c, i1, RECSYS_CONTENT_TAG, "funny"), 2 * L / n1,
               1e-6, "hand: w(1, funny) = 2 ln 4 / |1| (tf 2)");
    tap_is_num(t_weight(&c, i1, RECSYS_CONTENT_WORD, "alpha"), 0.5 * L / n1,
               1e-6, "hand: w(1, alpha) = 0.5 ln 4 / |1|");
    tap_is_num(t_weight(&c, i1, RECSYS_CONTENT_WORD, "story"), 0.5 * A / n1,
               1e-6, "hand: w(1, story) = 0.5 ln(4/3) / |1|");
    tap_is_int(c.items.offsets[i2 + 1] - c.items.offsets[i2], 3,
               "hand: item 2 has 3 features");
    tap_is_num(t_weight(&c, i2, RECSYS_CONTENT_WORD, "beta"), 0.5 * L / n2,
               1e-6, "hand: w(2, beta) = 0.5 ln 4 / |2|");
    tap_is_num(t_weight(&c, i3, RECSYS_CONTENT_TAG, "dark"), H / n3,
               1e-6, "hand: w(3, dark) = ln 2 / |3|");
    tap_is_num(t_weight(&c, i3, RECSYS_CONTENT_WORD, "gamma"), 0.5 * L / n3,
               1e-6, "hand: w(3, gamma) = 0.5 ln 4 / |3|");
    tap_is_int(c.items.offsets[i4 + 1] - c.items.offsets[i4], 5,
               "hand: item 4 has 5 features");
    tap_is_num(t_weight(&c, i4, RECSYS_CONTENT_GENRE, "Drama"), H / n4,
               1e-6, "hand: w(4, Drama) = ln 2 / |4|");
    tap_is_num(t_weight(&c, i4, RECSYS_CONTENT_WORD, "delta"), 0.5 * L / n4,
               1e-6, "hand: w(4, delta) = 0.5 ln 4 / |4|");

    tap_is_int(recsys_content_neighbors(&c, &opts, &nbrs), RECSYS_OK,
               "hand: neighbours built");

    o = nbrs.offsets[i4];
    tap_ok(nbrs.offsets[i4 + 1] - o == 3
           && nbrs.entries[o].item == i3 && nbrs.entries[o + 1].item == i2
           && nbrs.entries[o + 2].item == i1,
           "hand: item 4's neighbours are 3, 2, 1");
    tap_is_num(nbrs.entries[o].score, 2 * H * H / (n3 * n4), 1e-6,
               "hand: cos(3, 4) = 2 H^2 / (|3||4|)");
    tap_is_num(nbrs.entries[o + 1].score, 1.25 * A * A / (n2 * n4), 1e-6,
               "hand: cos(2, 4) = 1.25 A^2 / (|2||4|)");
    tap_is_num(nbrs.entries[o + 2].score, 1.25 * A * A / (n1 * n4), 1e-6,
               "hand: cos(1, 4) = 1.25 A^2 / (|1||4|)");

    o = nbrs.offsets[i3];
    tap_ok(nbrs.offsets[i3 + 1] - o == 1 && nbrs.entries[o].item == i4,
           "hand: item 3's only neighbour is item 4 (nobody rated it)");

    recsys_csr_free(&nbrs);
    t_free(&d, &t, &tg, &c);

    t_unlink("hand_items.csv");
    t_unlink("hand_events.csv");
    t_unlink("hand_tags.csv");
}


static void
t_titles(void)
{
    recsys_data_t          d;
    recsys_train_t         t;
    recsys_content_t       c;
    recsys_content_opts_t  opts;
    recsys_content_tags_t  tg;

    t_file("ti_items.csv",
           "itemId,title,genres\n"
           "1,\"Mis\xc3\xa9rables, Les (1995)\",Drama\n"
           "2,Babylon 5,Sci-Fi\n"
           "3,2001: A Space Odyssey (1968),Sci-Fi\n"
           "4,City of God (Cidade de Deus) (2002) ,(no genres listed)\n"
           "5,Night of the Night (1990),Drama\n");
    t_file("ti_events.csv", "1,1,4\n1,2,3\n");

    opts = recsys_content_default;
    opts.title_weight = 1.0f;

    tap_ok(t_build("ti_items.csv", "ti_events.csv", NULL, &opts, &d, &t,
                   &tg, &c),
           "titles: built without a tags file");
    tap_ok(t_has(&c, RECSYS_CONTENT_WORD, "mis\xc3\xa9rables")
           && t_has(&c, RECSYS_CONTENT_WORD, "les")
           && t_has(&c, RECSYS_CONTENT_WORD, "babylon")
           && t_has(&c, RECSYS_CONTENT_WORD, "2001")
           && t_has(&c, RECSYS_CONTENT_WORD, "odyssey")
           && t_has(&c, RECSYS_CONTENT_WORD, "cidade")
           && t_has(&c, RECSYS_CONTENT_WORD, "deus")
           && t_has(&c, RECSYS_CONTENT_WORD, "de"),
           "titles: lowercased words, UTF-8 kept inside a word");
    tap_ok(!t_has(&c, RECSYS_CONTENT_WORD, "5")
           && !t_has(&c, RECSYS_CONTENT_WORD, "a")
           && !t_has(&c, RECSYS_CONTENT_WORD, "1995")
           && !t_has(&c, RECSYS_CONTENT_WORD, "1968")
           && !t_has(&c, RECSYS_CONTENT_WORD, "2002"),
           "titles: no trailing years, no 1-byte words");
    tap_ok(t_weight(&c, t_item(&d, "4"), RECSYS_CONTENT_GENRE,
                    "(no genres listed)") < 0.0,
           "titles: '(no genres listed)' is not a genre feature");
    /* item 5: night tf 2, of and the... "of" also in item 4: df 2 */
    tap_is_num(t_weight(&c, t_item(&d, "5"), RECSYS_CONTENT_WORD, "night")
               / t_weight(&c, t_item(&d, "5"), RECSYS_CONTENT_WORD, "the"),
               2.0, 1e-6, "titles: a repeated word has tf 2");

    t_free(&d, &t, &tg, &c);
    t_unlink("ti_items.csv");
    t_unlink("ti_events.csv");
}


static void
t_tag_error(const char *text, const char *line_why, const char *what)
{
    int                    rc;
    char                   path[256], err[512], want[512];
    recsys_data_t          d;
    recsys_content_tags_t  tg;

    t_file("bad_items.csv", "1,One (1999),Drama\n2,Two (2000),Comedy\n");
    t_file("bad_tags.csv", text);
    t_path("bad_items.csv", path, sizeof(path));

    recsys_data_init(&d);
    recsys_ingest_catalog(&d, path, err, sizeof(err));
    recsys_ingest_finish(&d, err, sizeof(err));

    t_path("bad_tags.csv", path, sizeof(path));
    err[0] = '\0';
    rc = recsys_content_tags_read(&tg, &d.items, path, err, sizeof(err));
    snprintf(want, sizeof(want), "%s:%s", path, line_why);

    tap_ok(rc != RECSYS_OK && strcmp(err, want) == 0, "tags error: %s",
           what);
    if (strcmp(err, want) != 0) {
        printf("#   got  '%s'\n#   want '%s'\n", err, want);
    }

    recsys_content_tags_free(&tg);
    recsys_data_free(&d);
    t_unlink("bad_items.csv");
    t_unlink("bad_tags.csv");
}


static uint64_t  t_seed = 0x9e3779b97f4a7c15ULL;

static uint32_t
t_rand(uint32_t n)
{
    t_seed ^= t_seed << 13;
    t_seed ^= t_seed >> 7;
    t_seed ^= t_seed << 17;

    return (uint32_t) ((t_seed >> 11) % n);
}


typedef struct {
    double     tf[T_NI][T_NF];      /* raw tf per item and feature */
    double     x[T_NI][T_NF];       /* unit TF-IDF */
    double     r[T_NU][T_NI];       /* 0: not rated */
    int        order[T_NU][T_NI];   /* items in time order */
    int        n_rated[T_NU];
    uint32_t   code_f[T_NF];        /* the code's index of each feature */
} t_random_t;


static recsys_content_kind_t
t_kind(int f)
{
    return f < T_NG ? RECSYS_CONTENT_GENRE
           : f < T_NG + T_NT ? RECSYS_CONTENT_TAG : RECSYS_CONTENT_WORD;
}


static const char *
t_fname(int f)
{
    return f < T_NG ? t_genre[f]
           : f < T_NG + T_NT ? t_tag[f - T_NG] : t_word[f - T_NG - T_NT];
}


/* Writes the random catalog, tags and log; fills the raw tf in g. */
static void
t_random_files(t_random_t *g)
{
    int    i, k, n, f, u, ts, used[T_NI];
    char   line[512];
    FILE  *fi, *ft, *fe;

    static const char  *variants[] = { "%s", "%c%s", " %s ", "%s\t" };

    memset(g, 0, sizeof(t_random_t));

    t_path("r_items.csv", line, sizeof(line));
    fi = fopen(line, "w");
    t_path("r_tags.csv", line, sizeof(line));
    ft = fopen(line, "w");
    t_path("r_events.csv", line, sizeof(line));
    fe = fopen(line, "w");

    if (fi == NULL || ft == NULL || fe == NULL) {
        printf("Bail out! cannot write the random fixture\n");
        exit(1);
    }

    fprintf(fi, "itemId,title,genres\n");
    fprintf(ft, "userId,itemId,tag\n");

    for (i = 0; i < T_NI; i++) {
        /* title: 0..3 words, capitalised, maybe a year; "A" is no word */
        fprintf(fi, "%d,\"A", i + 1);
        n = t_rand(4);

        for (k = 0; k < n; k++) {
            f = t_rand(T_NW);
            fprintf(fi, " %c%s", t_word[f][0] - 'a' + 'A', t_word[f] + 1);
            g->tf[i][T_NG + T_NT + f] += 1.0;
        }

        fprintf(fi, "%s\",", t_rand(2) ? " (1999)" : "");

        n = t_rand(4);
        if (n == 0) {
            fprintf(fi, "(no genres listed)");
        }

        for (k = 0; k < n; k++) {
            f = t_rand(T_NG);
            fprintf(fi, "%s%s", k ? "|" : "", t_genre[f]);
            g->tf[i][f] = 1.0;
        }

        fprintf(fi, "\n");

        n = t_rand(3) == 0 ? t_rand(5) : 0;

        for (k = 0; k < n; k++) {
            const char  *v;

            f = t_rand(T_NT);
            v = variants[t_rand(4)];

            if (v[1] == 'c') {
                /* first letter upper-cased */
                fprintf(ft, "u%d,%d,%c%s\n", k, i + 1,
                        t_tag[f][0] - 'a' + 'A', t_tag[f] + 1);

            } else {
                fprintf(ft, "u%d,%d,", k, i + 1);
                fprintf(ft, v, t_tag[f]);
                fprintf(ft, "\n");
            }

            g->tf[i][T_NG + f] += 1.0;
        }
    }

    fprintf(ft, "u1,999,ghost\n");

    fprintf(fe, "userId,itemId,rating,timestamp\n");
    ts = 1000;

    for (u = 0; u < T_NU; u++) {
        memset(used, 0, sizeof(used));
        n = 3 + t_rand(6);

        for (k = 0; k < n; k++) {
            do {
                i = t_rand(T_NI - 10);      /* the last 10 stay unrated */
            } while (used[i]);

            used[i] = 1;
            g->r[u][i] = 1.0 + 0.5 * t_rand(9);
            g->order[u][g->n_rated[u]++] = i;
            fprintf(fe, "%d,%d,%.1f,%d\n", u + 1, i + 1, g->r[u][i], ts++);
        }
    }

    fclose(fi);
    fclose(ft);
    fclose(fe);
}


/* Reference TF-IDF over the generated features, weights (1, 1, 0.5). */
static void
t_random_tfidf(t_random_t *g, const double *kw)
{
    int     i, f, df[T_NF];
    double  norm;

    for (f = 0; f < T_NF; f++) {
        df[f] = 0;
        for (i = 0; i < T_NI; i++) {
            df[f] += g->tf[i][f] > 0.0;
        }
    }

    for (i = 0; i < T_NI; i++) {
        norm = 0.0;

        for (f = 0; f < T_NF; f++) {
            g->x[i][f] = 0.0;

            if (g->tf[i][f] > 0.0 && df[f] < T_NI) {
                g->x[i][f] = kw[f < T_NG ? 0 : f < T_NG + T_NT ? 1 : 2]
                             * g->tf[i][f] * log((double) T_NI / df[f]);
            }

            norm += g->x[i][f] * g->x[i][f];
        }

        for (f = 0; f < T_NF; f++) {
            g->x[i][f] = norm > 0.0 ? g->x[i][f] / sqrt(norm) : 0.0;
        }
    }
}


static double
t_dot(const double *a, const double *b)
{
    int     f;
    double  s;

    s = 0.0;
    for (f = 0; f < T_NF; f++) {
        s += a[f] * b[f];
    }

    return s;
}


static void
t_random_checks(void)
{
    int                    ok, u, i, j, f, capped;
    double                 want[T_NI];
    double                 kw[3] = { 1.0, 1.0, 0.5 };
    uint32_t               ci[T_NI], cu[T_NU], x, e;
    unsigned char          skip[T_NI];
    char                   id[16];
    recsys_csr_t           nbrs, row_i;
    recsys_data_t          d;
    recsys_train_t         t;
    recsys_content_t       c;
    recsys_content_opts_t  opts;
    recsys_content_tags_t  tg;
    t_random_t            *g;

    g = malloc(sizeof(t_random_t));
    t_random_files(g);
    t_random_tfidf(g, kw);

    t_opts(&opts, 7);

    tap_ok(t_build("r_items.csv", "r_events.csv", "r_tags.csv", &opts, &d,
                   &t, &tg, &c),
           "random catalog built");
    tap_is_int(tg.unknown, 1, "random: the unknown item's tag row skipped");

    for (i = 0; i < T_NI; i++) {
        snprintf(id, sizeof(id), "%d", i + 1);
        ci[i] = t_item(&d, id);
    }

    for (u = 0; u < T_NU; u++) {
        snprintf(id, sizeof(id), "%d", u + 1);
        recsys_dict_find(&d.users, id, strlen(id), &cu[u]);
    }

    for (f = 0; f < T_NF; f++) {
        g->code_f[f] = UINT32_MAX;
        recsys_content_feature_find(&c, t_kind(f), t_fname(f),
                                    strlen(t_fname(f)), &g->code_f[f]);
    }

    /* vectors: every reference weight is in the code's row */

    ok = 1;
    for (i = 0; i < T_NI; i++) {
        int  n = 0;

        for (f = 0; f < T_NF; f++) {
            if (g->x[i][f] != 0.0) {
                n++;
                ok &= fabs(t_weight(&c, ci[i], t_kind(f), t_fname(f))
                           - g->x[i][f]) < 1e-6;
            }
        }

        ok &= (int) (c.items.offsets[ci[i] + 1] - c.items.offsets[ci[i]])
              == n;
    }

    tap_ok(ok, "random: TF-IDF vectors = reference");

    /* neighbours, uncapped and with tiny posting caps */

    for (capped = 0; capped < 3; capped++) {
        opts.max_posting = capped == 0 ? 0 : capped == 1 ? T_NI : 3;

        tap_is_int(recsys_content_neighbors(&c, &opts, &nbrs), RECSYS_OK,
                   "random: neighbours built (max_posting %u)",
                   opts.max_posting);

        ok = nbrs.n_entries > 0;
        for (i = 0; i < T_NI; i++) {
            /* reference in the code's item order */
            for (j = 0; j < T_NI; j++) {
                want[ci[j]] = t_dot(g->x[i], g->x[j]);
                skip[ci[j]] = j == i;
            }

            if (capped < 2) {
                ok &= t_row_ties(&nbrs, ci[i], want, T_NI, opts.neighbors,
                                 skip, 1e-5, "neighbours");

            } else {
                /* caps may miss candidates, never misscore them */
                for (e = nbrs.offsets[ci[i]];
                     e < nbrs.offsets[ci[i] + 1]; e++)
                {
                    ok &= fabs(nbrs.entries[e].score
                               - want[nbrs.entries[e].item]) < 1e-5
                          && nbrs.entries[e].item != ci[i];
                }
            }
        }

        tap_ok(ok, capped < 2
                   ? "random: content neighbours = dense cosine, top %u"
                   : "random: capped neighbours carry exact cosines (%u)",
               capped < 2 ? opts.neighbors : opts.max_posting);
        recsys_csr_free(&nbrs);
    }

    /* rows of featureless items are empty */

    opts.neighbors = 7;
    recsys_content_neighbors(&c, &opts, &row_i);
    ok = 1;
    for (i = 0; i < T_NI; i++) {
        x = row_i.offsets[ci[i] + 1] - row_i.offsets[ci[i]];
        ok &= (t_dot(g->x[i], g->x[i]) > 0.0) || x == 0;
    }

    tap_ok(ok, "random: items without features have no neighbours");
    recsys_csr_free(&row_i);

    t_free(&d, &t, &tg, &c);
    free(g);

    t_unlink("r_items.csv");
    t_unlink("r_tags.csv");
    t_unlink("r_events.csv");
}


int
main(void)
{
    char                   path[256], err[512];
    recsys_dict_t          items;
    recsys_content_tags_t  tg;

    t_mkdtemp(t_dir, sizeof(t_dir), "test_content");

    t_hand();
    t_titles();
    t_random_checks();

    t_tag_error("userId,itemId,tag\n1,1,ok\n1,2\n",
                "3: expected user,item,tag[,timestamp]", "too few fields");
    t_tag_error("1,1,ok,5\n1,2,ok,5,6\n",
                "2: expected user,item,tag[,timestamp]", "too many fields");
    t_tag_error("1,1,ok\n1,2,   \n", "2: empty tag", "empty tag");
    t_tag_error("1,1,ok,12\n\n1,2,x,soon\n",
                "3: timestamp is not an integer", "bad timestamp");
    t_tag_error("1,1,ok\n,2,x\n",
                "2: user id must be 1 to 256 bytes of UTF-8", "empty user");
    t_tag_error("1,1,ok\n1,2,\xff\n", "2: tag is not valid UTF-8",
                "invalid UTF-8");
    t_tag_error("1,1,ok\n1,2,\"open\n", "2: unterminated quoted field",
                "CSV error from the reader");

    recsys_dict_init(&items, 16);
    t_path("missing.csv", path, sizeof(path));
    tap_ok(recsys_content_tags_read(&tg, &items, path, err, sizeof(err))
           == RECSYS_EIO
           && strncmp(err, path, strlen(path)) == 0
           && strstr(err, "cannot open") != NULL,
           "tags error: a missing file names the path (%s)", err);
    recsys_content_tags_free(&tg);
    recsys_dict_free(&items);

    rmdir(t_dir);

    return tap_done();
}
