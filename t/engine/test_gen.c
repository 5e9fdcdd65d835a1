/*
 * test_gen.c: unit test of the synthetic data generator (recsys_gen.c).
 *
 * Generates small data sets into a temporary directory, reads the files
 * back and checks the contracts: determinism, headers, counts, the
 * uniqueness and minimum of rows, and the planted structure (segments,
 * series watched in order, bundles watched together, Zipf popularity).
 * Prints TAP.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recsys_gen.h"
#include "recsys_status.h"
#include "file_fixture.h"


#define T_PLAN        22
#define T_USERS       1000
#define T_ITEMS       600
#define T_EVENTS      20000
#define T_SEGMENTS    6
#define T_SERIES      8
#define T_SERIES_LEN  8
#define T_BUNDLES     6
#define T_BUNDLE_SIZE 3
#define T_NOISE       (T_USERS / 50)
#define T_T0          1704067200LL
#define T_T1          1767225599LL
#define T_NGENRES     12


typedef struct {
    int          n;
    int          failed;
} t_tap_t;

typedef struct {
    uint32_t     user;          /* 0-based */
    uint32_t     item;          /* 0-based */
    uint32_t     rating;
    long long    ts;
} t_row_t;

typedef struct {
    t_row_t     *rows;
    size_t       nrows;
    uint32_t    *first;         /* T_USERS + 1 row offsets, file order */
    int          seg[T_USERS];
    uint16_t     genres[T_ITEMS];
    uint32_t     series[T_SERIES][T_SERIES_LEN];
    uint32_t     bundles[T_BUNDLES][T_BUNDLE_SIZE];
    int          parse_ok;
} t_data_t;


static const char  *t_genres[T_NGENRES] = {
    "Action", "Adventure", "Comedy", "Crime", "Thriller", "Romance",
    "Sci-Fi", "Fantasy", "Horror", "Drama", "Documentary", "Animation"
};

static const char  *t_files[] = {
    "items.csv", "interactions.csv", "tags.csv", "truth/segments.csv",
    "truth/bundles.csv", "truth/series.csv"
};

static const char  *t_headers[] = {
    "itemId,title,genres", "userId,itemId,rating,timestamp",
    "userId,itemId,tag,timestamp", "userId,segment", "bundle,items",
    "series,position,itemId"
};


static void
t_ok(t_tap_t *t, int cond, const char *fmt, ...)
{
    va_list  ap;

    t->n++;
    if (!cond) {
        t->failed++;
    }

    printf("%sok %d - ", cond ? "" : "not ", t->n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}


static void
t_diag(const char *fmt, ...)
{
    va_list  ap;

    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}


/* dir/name read whole (t_read_file), or NULL. */
static char *
t_slurp(const char *dir, const char *name, size_t *len)
{
    char  path[4096];

    snprintf(path, sizeof(path), "%s/%s", dir, name);

    return t_read_file(path, len);
}


static int
t_same_file(const char *a, const char *b, const char *name)
{
    char    *x, *y;
    size_t   nx, ny;
    int      same;

    x = t_slurp(a, name, &nx);
    y = t_slurp(b, name, &ny);
    same = (x != NULL && y != NULL && nx == ny && memcmp(x, y, nx) == 0);
    free(x);
    free(y);

    return same;
}


/*
 * Splits one RFC 4180 record in place (no embedded line breaks): returns
 * the field count, or -1 for a malformed quoted field.
 */
static int
t_split(char *line, char **f, int max)
{
    char  *r, *w;
    int    n;

    n = 0;
    r = line;

    for ( ;; ) {
        if (n == max) {
            return -1;
        }

        if (*r == '"') {
            f[n++] = w = ++r;
            for ( ;; ) {
                if (*r == '\0') {
                    return -1;
                }
                if (*r == '"') {
                    if (r[1] != '"') {
                        break;
                    }
                    r++;
                }
                *w++ = *r++;
            }
            r++;
            if (*r != ',' && *r != '\0') {
                return -1;
            }
            *w = '\0';

        } else {
            f[n++] = r;
            while (*r != ',' && *r != '\0') {
                r++;
            }
        }

        if (*r == '\0') {
            return n;
        }

        *r++ = '\0';
    }
}


/* Parses an id like v00042 with the given prefix; returns number or 0. */
/*
 * The next row of buf, a slurped CSV file without embedded line breaks,
 * NUL-terminated in place: *pos is NULL at first (the header is skipped)
 * and is moved on by each call.  NULL at the end, and also when buf is
 * NULL or the last row lacks its newline, which clears *ok.
 */
static char *
t_line(char *buf, char **pos, int *ok)
{
    char  *line, *next;

    line = *pos != NULL ? *pos : (buf != NULL ? strchr(buf, '\n') : NULL);

    if (line == NULL || *++line == '\0') {
        return NULL;
    }

    next = strchr(line, '\n');
    if (next == NULL) {
        *ok = 0;
        return NULL;
    }

    *next = '\0';
    *pos = next;

    return line;
}


static unsigned long
t_id(const char *s, char prefix)
{
    char  *end;

    if (s[0] != prefix || strlen(s) < 6) {
        return 0;
    }

    return strtoul(s + 1, &end, 10) * (*end == '\0');
}


static int
t_genre(const char *s)
{
    int  g;

    for (g = 0; g < T_NGENRES; g++) {
        if (strcmp(s, t_genres[g]) == 0) {
            return g;
        }
    }

    return -1;
}


static void
t_opts(recsys_gen_opts_t *o, const char *dir, uint64_t seed)
{
    *o = recsys_gen_default;
    o->out_dir = dir;
    o->users = T_USERS;
    o->items = T_ITEMS;
    o->events = T_EVENTS;
    o->seed = seed;
    o->segments = T_SEGMENTS;
    o->series = T_SERIES;
    o->series_len = T_SERIES_LEN;
    o->bundles = T_BUNDLES;
    o->bundle_size = T_BUNDLE_SIZE;
}


/* Reads items, truth and interactions of dir into d; d->parse_ok says. */
static void
t_load(const char *dir, t_data_t *d, int *quoted)
{
    char          *buf, *line, *at, *f[8], *g, *gend;
    int            n, k, ok, q;
    unsigned long  id, u, it, s, pos, b;
    size_t         cap;
    uint32_t       row, j;

    memset(d, 0, sizeof(t_data_t));
    ok = 1;
    *quoted = 0;

    /* items.csv */

    buf = t_slurp(dir, "items.csv", NULL);
    ok = ok && buf != NULL;
    n = 0;
    at = NULL;

    while ((line = t_line(buf, &at, &ok)) != NULL) {

        q = (line[7] == '"' && strstr(line, "\"\"") != NULL);

        k = t_split(line, f, 8);
        id = (k == 3) ? t_id(f[0], 'v') : 0;
        if (id != (unsigned long) n + 1 || f[1][0] == '\0') {
            ok = 0;
            break;
        }

        if (q) {
            (*quoted)++;
            if (strchr(f[1], ',') == NULL || strchr(f[1], '"') == NULL) {
                ok = 0;
            }
        }

        k = 0;
        for (g = f[2]; g != NULL; g = gend) {
            gend = strchr(g, '|');
            if (gend != NULL) {
                *gend++ = '\0';
            }
            if (t_genre(g) < 0) {
                ok = 0;
            } else {
                d->genres[n] |= (uint16_t) (1u << t_genre(g));
            }
            k++;
        }

        if (k < 1 || k > 3) {
            ok = 0;
        }

        n++;
    }

    ok = ok && n == T_ITEMS;
    free(buf);

    /* truth/segments.csv */

    buf = t_slurp(dir, "truth/segments.csv", NULL);
    ok = ok && buf != NULL;
    n = 0;
    at = NULL;

    while ((line = t_line(buf, &at, &ok)) != NULL) {
        k = t_split(line, f, 8);
        if (k != 2 || t_id(f[0], 'u') != (unsigned long) n + 1
            || n >= T_USERS)
        {
            ok = 0;
            break;
        }
        d->seg[n++] = atoi(f[1]);
    }

    ok = ok && n == T_USERS;
    free(buf);

    /* truth/series.csv */

    buf = t_slurp(dir, "truth/series.csv", NULL);
    ok = ok && buf != NULL;
    n = 0;
    at = NULL;

    while ((line = t_line(buf, &at, &ok)) != NULL) {
        k = t_split(line, f, 8);
        s = strtoul(f[0], NULL, 10);
        pos = (k == 3) ? strtoul(f[1], NULL, 10) : 0;
        it = (k == 3) ? t_id(f[2], 'v') : 0;
        if (s >= T_SERIES || pos < 1 || pos > T_SERIES_LEN || it < 1
            || it > T_ITEMS)
        {
            ok = 0;
            break;
        }
        d->series[s][pos - 1] = (uint32_t) it - 1;
        n++;
    }

    ok = ok && n == T_SERIES * T_SERIES_LEN;
    free(buf);

    /* truth/bundles.csv */

    buf = t_slurp(dir, "truth/bundles.csv", NULL);
    ok = ok && buf != NULL;
    n = 0;
    at = NULL;

    while ((line = t_line(buf, &at, &ok)) != NULL) {
        k = t_split(line, f, 8);
        b = strtoul(f[0], NULL, 10);
        if (k != 2 || b >= T_BUNDLES) {
            ok = 0;
            break;
        }
        j = 0;
        for (g = f[1]; g != NULL && j < T_BUNDLE_SIZE; g = gend) {
            gend = strchr(g, '|');
            if (gend != NULL) {
                *gend++ = '\0';
            }
            it = t_id(g, 'v');
            if (it < 1 || it > T_ITEMS) {
                ok = 0;
            }
            d->bundles[b][j++] = (uint32_t) it - 1;
        }
        ok = ok && j == T_BUNDLE_SIZE && g == NULL;
        n++;
    }

    ok = ok && n == T_BUNDLES;
    free(buf);

    /* interactions.csv */

    d->first = calloc(T_USERS + 1, sizeof(uint32_t));
    cap = 1024;
    d->rows = malloc(cap * sizeof(t_row_t));
    ok = ok && d->first != NULL && d->rows != NULL;

    buf = ok ? t_slurp(dir, "interactions.csv", NULL) : NULL;
    ok = ok && buf != NULL;
    at = NULL;

    while (ok && (line = t_line(buf, &at, &ok)) != NULL) {
        k = t_split(line, f, 8);
        u = (k == 4) ? t_id(f[0], 'u') : 0;
        it = (k == 4) ? t_id(f[1], 'v') : 0;
        if (u < 1 || u > T_USERS || it < 1 || it > T_ITEMS) {
            ok = 0;
            break;
        }

        if (d->nrows == cap) {
            cap *= 2;
            d->rows = realloc(d->rows, cap * sizeof(t_row_t));
            if (d->rows == NULL) {
                ok = 0;
                break;
            }
        }

        row = (uint32_t) d->nrows++;
        d->rows[row].user = (uint32_t) u - 1;
        d->rows[row].item = (uint32_t) it - 1;
        d->rows[row].rating = (uint32_t) atoi(f[2]);
        d->rows[row].ts = atoll(f[3]);
    }

    free(buf);

    /* file is grouped by user in id order: offsets per user */

    for (row = 0; ok && row < d->nrows; row++) {
        if (row > 0 && d->rows[row].user < d->rows[row - 1].user) {
            ok = 0;
        }
    }

    if (ok) {
        u = 0;
        for (row = 0; row <= d->nrows; row++) {
            while (u <= T_USERS
                   && (row == d->nrows || u <= d->rows[row].user))
            {
                d->first[u++] = row;
            }
        }
    }

    d->parse_ok = ok;
}


static void
t_unload(t_data_t *d)
{
    free(d->rows);
    free(d->first);
}


/* Every non-noise user's episodes: a prefix >= 3, consecutive, in order. */
static int
t_check_series(t_data_t *d, int *watched)
{
    uint32_t  u, r, s, p, k, at, len;
    int       good, pos[T_ITEMS];

    for (r = 0; r < T_ITEMS; r++) {
        pos[r] = -1;
    }

    for (s = 0; s < T_SERIES; s++) {
        watched[s] = 0;
        for (p = 0; p < T_SERIES_LEN; p++) {
            pos[d->series[s][p]] = (int) (s * T_SERIES_LEN + p);
        }
    }

    good = 1;

    for (u = 0; u < T_USERS; u++) {
        if (d->seg[u] < 0) {
            continue;
        }

        for (s = 0; s < T_SERIES; s++) {
            len = 0;
            at = 0;
            for (r = d->first[u]; r < d->first[u + 1]; r++) {
                k = (uint32_t) pos[d->rows[r].item];
                if (pos[d->rows[r].item] < 0 || k / T_SERIES_LEN != s) {
                    continue;
                }
                if (len == 0) {
                    at = r;
                }
                if (k % T_SERIES_LEN != len || r != at + len) {
                    good = 0;
                }
                len++;
            }

            if (len > 0) {
                watched[s]++;
                if (len < 3) {
                    good = 0;
                }
            }
        }
    }

    return good;
}


int
main(void)
{
    char               tmpl[] = "/tmp/test_gen.XXXXXX", a[64], b[64], c[64];
    char               bad[128], err[512], *tags, *line, *at, *f[8];
    int                rc, ok, quoted, i, k, same, watched[T_SERIES];
    int                top[T_SEGMENTS], used[T_NGENRES];
    uint32_t           u, r, j, s, g, cnt, all, any, min_rows, noise, *pop;
    uint32_t           maxpop, median, have[T_BUNDLE_SIZE];
    unsigned long      tu, ti;
    long long          ts;
    size_t             nt;
    double             share, worst;
    unsigned char     *seen;
    uint64_t           segrows[T_SEGMENTS][T_NGENRES], segtotal[T_SEGMENTS];
    recsys_gen_opts_t  o;
    t_data_t          *d;
    t_tap_t            t;
    FILE              *fp;

    memset(&t, 0, sizeof(t_tap_t));
    printf("1..%d\n", T_PLAN);

    if (mkdtemp(tmpl) == NULL) {
        printf("Bail out! mkdtemp failed\n");
        return 1;
    }

    snprintf(a, sizeof(a), "%s/a", tmpl);
    snprintf(b, sizeof(b), "%s/b", tmpl);
    snprintf(c, sizeof(c), "%s/c", tmpl);

    /* determinism */

    t_opts(&o, a, 7);
    rc = recsys_gen_run(&o, err, sizeof(err));
    t_ok(&t, rc == RECSYS_OK, "run into a new directory (%s)",
         rc == RECSYS_OK ? "ok" : err);

    t_opts(&o, b, 7);
    rc = recsys_gen_run(&o, err, sizeof(err));
    t_ok(&t, rc == RECSYS_OK, "second run with the same seed");

    same = 1;
    for (i = 0; i < 6; i++) {
        if (!t_same_file(a, b, t_files[i])) {
            t_diag("%s differs", t_files[i]);
            same = 0;
        }
    }
    t_ok(&t, same, "same seed gives byte-identical files");

    t_opts(&o, c, 8);
    rc = recsys_gen_run(&o, err, sizeof(err));
    t_ok(&t, rc == RECSYS_OK && !t_same_file(a, c, "interactions.csv")
         && !t_same_file(a, c, "items.csv"),
         "another seed gives other items and interactions");

    /* headers */

    ok = 1;
    for (i = 0; i < 6; i++) {
        line = t_slurp(a, t_files[i], NULL);
        k = (int) strlen(t_headers[i]);
        if (line == NULL || strncmp(line, t_headers[i], k) != 0
            || line[k] != '\n' || strchr(line, '\r') != NULL)
        {
            t_diag("%s: bad header or CR", t_files[i]);
            ok = 0;
        }
        free(line);
    }
    t_ok(&t, ok, "header lines, LF line ends");

    /* read back */

    d = malloc(sizeof(t_data_t));
    if (d == NULL) {
        printf("Bail out! out of memory\n");
        return 1;
    }

    t_load(a, d, &quoted);
    t_ok(&t, d->parse_ok, "files parse: %d items with 1-3 known genres, "
         "%d users, series and bundles truth", T_ITEMS, T_USERS);
    t_ok(&t, quoted > 0, "%d titles need RFC 4180 quoting and read back",
         quoted);

    if (!d->parse_ok) {
        printf("Bail out! cannot read the generated files\n");
        return 1;
    }

    noise = 0;
    ok = 1;
    for (u = 0; u < T_USERS; u++) {
        noise += (d->seg[u] == -1);
        ok = ok && d->seg[u] >= -1 && d->seg[u] < T_SEGMENTS;
    }
    t_ok(&t, ok && noise == T_NOISE, "segments truth: %u noise users, "
         "segments in range", noise);

    /* counts and uniqueness */

    t_ok(&t, d->nrows >= T_EVENTS * 95 / 100
         && d->nrows <= T_EVENTS * 105 / 100,
         "%lu interactions for a target of %d", (unsigned long) d->nrows,
         T_EVENTS);

    ok = 1;
    for (r = 0; r < d->nrows; r++) {
        if (d->rows[r].rating < 1 || d->rows[r].rating > 5
            || d->rows[r].ts < T_T0 || d->rows[r].ts > T_T1)
        {
            ok = 0;
        }
    }
    t_ok(&t, ok, "ratings in 1..5, timestamps in 2024..2025");

    seen = calloc((size_t) T_USERS * T_ITEMS, 1);
    ok = (seen != NULL);
    for (r = 0; ok && r < d->nrows; r++) {
        j = d->rows[r].user * T_ITEMS + d->rows[r].item;
        if (seen[j]) {
            ok = 0;
        }
        seen[j] = 1;
    }
    t_ok(&t, ok, "no user has two rows for one item");

    min_rows = (uint32_t) -1;
    for (u = 0; u < T_USERS; u++) {
        cnt = d->first[u + 1] - d->first[u];
        if (cnt < min_rows) {
            min_rows = cnt;
        }
    }
    t_ok(&t, min_rows >= 5, "every user has at least 5 rows (least %u)",
         min_rows);

    ok = 1;
    for (u = 0; u < T_USERS; u++) {
        for (r = d->first[u] + 1; r < d->first[u + 1]; r++) {
            if (d->rows[r].ts <= d->rows[r - 1].ts) {
                ok = 0;
            }
        }
    }
    t_ok(&t, ok, "rows grouped by user, each user's timestamps increase");

    /* series */

    ok = t_check_series(d, watched);
    t_ok(&t, ok, "series: every watcher sees episodes 1..k (k >= 3) in "
         "order with nothing in between");

    ok = 1;
    for (s = 0; s < T_SERIES; s++) {
        if (watched[s] < 5) {
            t_diag("series %u watched by %d users", s, watched[s]);
            ok = 0;
        }
    }
    t_ok(&t, ok, "every series has at least 5 watchers");

    /* bundles */

    ok = 1;
    worst = 1.0;
    for (s = 0; s < T_BUNDLES; s++) {
        all = 0;
        any = 0;
        for (u = 0; u < T_USERS; u++) {
            cnt = 0;
            for (j = 0; j < T_BUNDLE_SIZE; j++) {
                have[j] = seen[u * T_ITEMS + d->bundles[s][j]];
                cnt += have[j];
            }
            if (cnt == T_BUNDLE_SIZE) {
                all++;
            }
            if (cnt > 0) {
                any++;
            }
            if (d->seg[u] >= 0 && cnt != 0 && cnt != T_BUNDLE_SIZE) {
                ok = 0;
            }
        }

        share = (any > 0) ? (double) all / any : 0.0;
        if (share < worst) {
            worst = share;
        }
        if (all < T_USERS / 100) {
            t_diag("bundle %u watched by %u users", s, all);
            worst = 0.0;
        }
    }
    t_ok(&t, ok, "bundles: non-noise users watch all or none of a bundle");
    t_ok(&t, worst >= 0.8, "every bundle watched by >= 1%% of users, "
         "confidence >= 0.8 (worst %.2f)", worst);

    /* segments: distinct favourite genres, most rows on them */

    memset(segrows, 0, sizeof(segrows));
    memset(segtotal, 0, sizeof(segtotal));
    for (r = 0; r < d->nrows; r++) {
        k = d->seg[d->rows[r].user];
        if (k < 0) {
            continue;
        }
        segtotal[k]++;
        for (g = 0; g < T_NGENRES; g++) {
            if ((d->genres[d->rows[r].item] >> g) & 1) {
                segrows[k][g]++;
            }
        }
    }

    memset(used, 0, sizeof(used));
    ok = 1;
    worst = 1.0;
    for (k = 0; k < T_SEGMENTS; k++) {
        top[k] = 0;
        for (g = 1; g < T_NGENRES; g++) {
            if (segrows[k][g] > segrows[k][top[k]]) {
                top[k] = (int) g;
            }
        }
        if (used[top[k]]++) {
            ok = 0;
        }
        share = (double) segrows[k][top[k]] / (double) segtotal[k];
        if (share < worst) {
            worst = share;
        }
    }
    t_ok(&t, ok && worst >= 0.45, "segments have distinct top genres, "
         "each on >= 45%% of its rows (least %.2f)", worst);

    /* popularity */

    pop = calloc(T_ITEMS, sizeof(uint32_t));
    for (r = 0; pop != NULL && r < d->nrows; r++) {
        pop[d->rows[r].item]++;
    }
    maxpop = 0;
    for (j = 0; pop != NULL && j < T_ITEMS; j++) {
        if (pop[j] > maxpop) {
            maxpop = pop[j];
        }
    }
    median = 0;
    for (cnt = 0; pop != NULL && cnt <= maxpop; cnt++) {
        k = 0;
        for (j = 0; j < T_ITEMS; j++) {
            k += (pop[j] <= cnt);
        }
        if (k >= T_ITEMS / 2) {
            median = cnt;
            break;
        }
    }
    t_ok(&t, pop != NULL && maxpop >= 5 * (median + 1),
         "power law: top item %u rows, median item %u", maxpop, median);
    free(pop);

    /* tags */

    tags = t_slurp(a, "tags.csv", NULL);
    nt = 0;
    ok = (tags != NULL);
    at = NULL;
    while (ok && (line = t_line(tags, &at, &ok)) != NULL) {
        k = t_split(line, f, 8);
        tu = (k == 4) ? t_id(f[0], 'u') : 0;
        ti = (k == 4) ? t_id(f[1], 'v') : 0;
        ts = (k == 4) ? atoll(f[3]) : 0;
        if (tu < 1 || tu > T_USERS || ti < 1 || ti > T_ITEMS
            || f[2][0] == '\0' || ts < T_T0 || ts > T_T1
            || !seen[(tu - 1) * T_ITEMS + ti - 1])
        {
            ok = 0;
        }
        nt++;
    }
    free(tags);
    t_ok(&t, ok && nt >= d->nrows / 100 && nt <= d->nrows * 6 / 100,
         "%lu tags on watched items, about 3%% of rows", (unsigned long) nt);

    free(seen);
    t_unload(d);
    free(d);

    /* errors */

    t_opts(&o, c, 1);
    o.segments = 0;
    rc = recsys_gen_run(&o, err, sizeof(err));
    ok = (rc == RECSYS_EINVAL && strncmp(err, "segments: ", 10) == 0);
    o.segments = 6;
    o.items = 100;
    rc = recsys_gen_run(&o, err, sizeof(err));
    ok = ok && rc == RECSYS_EINVAL && strncmp(err, "items: ", 7) == 0;
    t_ok(&t, ok, "bad options refused with EINVAL (%s)", err);

    snprintf(bad, sizeof(bad), "%s/file", tmpl);
    fp = fopen(bad, "w");
    if (fp != NULL) {
        fclose(fp);
    }
    snprintf(bad, sizeof(bad), "%s/file/sub", tmpl);
    t_opts(&o, bad, 1);
    rc = recsys_gen_run(&o, err, sizeof(err));
    t_ok(&t, rc == RECSYS_EIO && strncmp(err, bad, strlen(bad)) == 0,
         "unwritable out_dir gives EIO naming the path (%s)", err);

    /* cleanup */

    for (i = 0; i < 6; i++) {
        snprintf(bad, sizeof(bad), "%s/a/%s", tmpl, t_files[i]);
        unlink(bad);
        snprintf(bad, sizeof(bad), "%s/b/%s", tmpl, t_files[i]);
        unlink(bad);
        snprintf(bad, sizeof(bad), "%s/c/%s", tmpl, t_files[i]);
        unlink(bad);
    }
    for (i = 0; i < 3; i++) {
        snprintf(bad, sizeof(bad), "%s/%c/truth", tmpl, "abc"[i]);
        rmdir(bad);
        snprintf(bad, sizeof(bad), "%s/%c", tmpl, "abc"[i]);
        rmdir(bad);
    }
    snprintf(bad, sizeof(bad), "%s/file", tmpl);
    unlink(bad);
    rmdir(tmpl);

    if (t.n != T_PLAN) {
        printf("# planned %d tests but ran %d\n", T_PLAN, t.n);
        return 1;
    }

    return t.failed == 0 ? 0 : 1;
}
