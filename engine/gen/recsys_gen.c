/*
 * recsys_gen.c: the synthetic entertainment data set behind
 * `recsys-build gen`.
 *
 * The generator plants structure that the tests later look for and writes
 * the plan next to the data as ground truth.  It works in three steps.
 *
 * Catalogue.  Items 1..N are regular items, series blocks (series_len
 * consecutive items, episodes in order) and bundle blocks (bundle_size
 * consecutive items); the blocks are spread evenly through the id space.
 * The 12 genres are dealt out to the segments, 1 or 2 each and disjoint;
 * genres left over are "free".  A regular item is homed at one segment and
 * takes only that segment's genres, plus maybe one free genre, so the items
 * carrying a segment's favourite genres are exactly its home items (a few
 * "general" items carry free genres only).  Each segment ranks its home
 * items in a random order for a Zipf(1) popularity law; a second ranking
 * over all regular items is the "popular overall" law.
 *
 * Users.  A seeded permutation makes noise_users users noise and deals the
 * rest to segments round-robin.  Activity follows a truncated Pareto(1) law
 * scaled so that the rows add up to max(events, 5 * users); a user never
 * gets more than half the regular items.
 *
 * Rows.  For each user in id order: the bundles it was picked for
 * (selection sampling gives each bundle an exact number of watchers among
 * non-noise users), maybe a prefix (length >= 3) of some series of its
 * segment, then single items, 85% from its segment's law and 15% from the
 * overall law, never an item twice.  Noise users draw uniformly from the
 * whole catalogue.  Series and bundle items are in no law, so only their
 * watchers and noise users see them.  The units are shuffled and laid out
 * on a timeline inside 2024-01-01..2025-12-30: episodes and bundle items
 * follow each other within hours with nothing in between.  About 3% of
 * rows also get a tag row.
 *
 * Determinism: every random choice comes from an xoshiro256** stream seeded
 * through splitmix64 from (seed, stream), with one stream per concern and
 * one per user.  Floating point is limited to single products, quotients
 * and sums, which IEEE 754 fixes exactly.  No state outlives a call.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "recsys_gen.h"
#include "recsys_rng.h"
#include "recsys_status.h"


#define RECSYS_GEN_NGENRES      12
#define RECSYS_GEN_T0           1704067200      /* 2024-01-01T00:00:00Z */
#define RECSYS_GEN_T1           1767225599      /* 2025-12-31T23:59:59Z */
#define RECSYS_GEN_DAY          86400
#define RECSYS_GEN_RANGE        (RECSYS_GEN_T1 - RECSYS_GEN_DAY \
                                 - RECSYS_GEN_T0)
#define RECSYS_GEN_MIN_ROWS     5
#define RECSYS_GEN_BUFSIZE      (1024 * 1024)
#define RECSYS_GEN_PATH_MAX     4096
#define RECSYS_GEN_TITLE_MAX    160
#define RECSYS_GEN_TRIES        64

#define RECSYS_GEN_SEGMENT_P    0.85            /* single from own segment */
#define RECSYS_GEN_SERIES_P     0.15            /* starts a given series */
#define RECSYS_GEN_EPISODE_P    0.8             /* watches one more */
#define RECSYS_GEN_TAG_P        0.03            /* row gets a tag */
#define RECSYS_GEN_GENRE_TAG_P  0.85            /* tag from item's genre */

#define RECSYS_GEN_S_CATALOG    1
#define RECSYS_GEN_S_USERS      2
#define RECSYS_GEN_S_ACTIVITY   3
#define RECSYS_GEN_S_TITLES     4
#define RECSYS_GEN_S_USER0      16

#define RECSYS_GEN_REGULAR      0
#define RECSYS_GEN_EPISODE      1
#define RECSYS_GEN_BUNDLED      2

#define RECSYS_GEN_NELTS(a)     (sizeof(a) / sizeof((a)[0]))


typedef struct {
    uint64_t     s[4];
} recsys_gen_rng_t;

typedef struct {
    FILE        *fp;
    char         path[RECSYS_GEN_PATH_MAX];
    char        *buf;
    size_t       len;
    int          errnum;        /* errno of the first failed write */
} recsys_gen_file_t;

typedef struct {
    uint32_t     item;          /* the item, or the block's first item */
    uint32_t     count;         /* rows in the unit */
    uint8_t      kind;
    uint8_t      rating;        /* for a single item */
} recsys_gen_unit_t;

typedef struct {
    uint32_t     item;
    uint32_t     rating;
    uint64_t     gap;           /* seconds after the previous row */
} recsys_gen_row_t;

typedef struct {
    recsys_gen_opts_t   o;              /* noise_users resolved */
    char               *err;
    size_t              errlen;

    uint32_t            nregular;
    uint32_t            cap;            /* most single rows per user */
    uint16_t            seg_genres[RECSYS_GEN_MAX_SEGMENTS];
    uint16_t            free_genres;

    uint8_t            *item_kind;
    int32_t            *item_home;      /* segment, -1 for general */
    uint16_t           *item_genres;    /* bit g: genre g */
    uint32_t           *item_group;     /* series or bundle number */
    uint32_t           *series_first;
    uint32_t           *bundle_first;
    uint32_t           *bundle_need;    /* watchers still to pick */
    uint32_t            nonnoise_left;  /* non-noise users still to go */

    /* pool p < segments: segment p's law; pool segments: overall law */
    uint32_t           *pool;
    double             *cdf;
    uint32_t            pool_off[RECSYS_GEN_MAX_SEGMENTS + 1];
    uint32_t            pool_len[RECSYS_GEN_MAX_SEGMENTS + 1];

    int32_t            *user_seg;       /* segment, -1 for noise */
    uint32_t           *user_rows;

    uint32_t           *seen;           /* user stamp per item */
    uint32_t           *scratch;        /* max(items, users) entries */
    recsys_gen_unit_t  *units;
    recsys_gen_row_t   *rows;
    size_t              rows_cap;
} recsys_gen_ctx_t;


static const char  *recsys_gen_genres[RECSYS_GEN_NGENRES] = {
    "Action", "Adventure", "Comedy", "Crime", "Thriller", "Romance",
    "Sci-Fi", "Fantasy", "Horror", "Drama", "Documentary", "Animation"
};

static const char  *recsys_gen_genre_tags[RECSYS_GEN_NGENRES][3] = {
    { "explosive", "fast-paced", "action-packed" },
    { "epic", "journey", "treasure" },
    { "funny", "hilarious", "witty" },
    { "heist", "gritty", "detective" },
    { "suspense", "twist ending", "tense" },
    { "romantic", "love story", "heartwarming" },
    { "space", "futuristic", "time travel" },
    { "magic", "dragons", "mythical" },
    { "scary", "creepy", "gore" },
    { "moving", "tearjerker", "family" },
    { "true story", "educational", "nature" },
    { "animated", "colorful", "kids" }
};

static const char  *recsys_gen_other_tags[] = {
    "must-see", "rewatch", "boring", "overrated", "classic", "favorite",
    "slow", "masterpiece"
};

static const char  *recsys_gen_adjs[] = {
    "Silent", "Crimson", "Broken", "Golden", "Hidden", "Last", "Lost",
    "Midnight", "Burning", "Frozen", "Wild", "Distant", "Secret", "Iron",
    "Hollow", "Electric", "Quiet", "Savage", "Velvet", "Shattered",
    "Northern", "Forgotten", "Endless", "Scarlet", "Restless", "Bitter",
    "Fallen", "Silver", "Wandering", "Invisible", "Little", "Final"
};

static const char  *recsys_gen_nouns[] = {
    "Harbor", "Empire", "Garden", "River", "Kingdom", "Signal", "Echo",
    "Horizon", "Tide", "Crown", "Forest", "Letter", "Island", "Mirror",
    "Storm", "Road", "Shadow", "Promise", "Station", "Winter", "Summer",
    "Machine", "Voyage", "Orchard", "Frontier", "Lighthouse", "Circus",
    "Heart", "Fortress", "Desert", "Planet", "City"
};

static const char  *recsys_gen_plurals[] = {
    "Love", "Death", "Robots", "Ghosts", "Lies", "Money", "Dreams",
    "Monsters", "Kings", "Thieves", "Angels", "Wolves", "Strangers",
    "Secrets", "Rivals", "Heroes"
};

static const char  *recsys_gen_greetings[] = {
    "Goodbye", "Hello", "Farewell", "Welcome Home"
};

static const char  *recsys_gen_series_pre[16] = {
    "Star", "Iron", "Black", "Night", "Sky", "Red", "Glass", "Wild",
    "Storm", "Moon", "Frost", "Gold", "Shadow", "Ember", "Silver", "Thunder"
};

static const char  *recsys_gen_series_suf[16] = {
    "fall", "wood", "water", "watch", "bound", "shore", "house", "fire",
    "gate", "field", "crest", "haven", "spire", "vale", "reach", "light"
};


static int recsys_gen_check(recsys_gen_ctx_t *c);
static int recsys_gen_alloc(recsys_gen_ctx_t *c);
static void recsys_gen_free(recsys_gen_ctx_t *c);
static void recsys_gen_catalogue(recsys_gen_ctx_t *c);
static void recsys_gen_users(recsys_gen_ctx_t *c);
static int recsys_gen_write_items(recsys_gen_ctx_t *c);
static int recsys_gen_write_truth(recsys_gen_ctx_t *c);
static int recsys_gen_write_rows(recsys_gen_ctx_t *c);
static void recsys_gen_user(recsys_gen_ctx_t *c, uint32_t u,
    recsys_gen_file_t *fi, recsys_gen_file_t *ft);


/* randomness */

static void
recsys_gen_seed(recsys_gen_rng_t *r, uint64_t seed, uint64_t stream)
{
    uint64_t  x;
    int       i;

    x = seed ^ (stream * 0xd1342543de82ef95ULL);

    for (i = 0; i < 4; i++) {
        r->s[i] = recsys_rng_next(&x);
    }
}


static uint64_t
recsys_gen_next(recsys_gen_rng_t *r)
{
    uint64_t  *s, v, t;

    s = r->s;
    v = s[1] * 5;
    v = ((v << 7) | (v >> 57)) * 9;
    t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);

    return v;
}


/* A number in [0, n), n >= 1, by multiply-shift (bias below 2^-32 * n). */
static uint32_t
recsys_gen_below(recsys_gen_rng_t *r, uint32_t n)
{
    return (uint32_t) (((recsys_gen_next(r) >> 32) * (uint64_t) n) >> 32);
}


/* A double in [0, 1) with 53 random bits. */
static double
recsys_gen_unit(recsys_gen_rng_t *r)
{
    return (double) (recsys_gen_next(r) >> 11)
           * (1.0 / 9007199254740992.0);
}


static void
recsys_gen_shuffle(recsys_gen_rng_t *r, uint32_t *a, uint32_t n)
{
    uint32_t  i, j, t;

    for (i = n; i > 1; i--) {
        j = recsys_gen_below(r, i);
        t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}


/* Draws an item from pool p's Zipf law: binary search of the CDF. */
static uint32_t
recsys_gen_zipf(recsys_gen_ctx_t *c, recsys_gen_rng_t *r, uint32_t p)
{
    uint32_t       lo, hi, mid;
    double         x;
    const double  *cdf;

    cdf = c->cdf + c->pool_off[p];
    lo = 0;
    hi = c->pool_len[p] - 1;
    x = recsys_gen_unit(r) * cdf[hi];

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (cdf[mid] > x) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }

    return c->pool[c->pool_off[p] + lo];
}


/* output */

static char *
recsys_gen_put_u64(char *p, uint64_t v)
{
    char  tmp[20];
    int   n;

    n = 0;
    do {
        tmp[n++] = (char) ('0' + v % 10);
        v /= 10;
    } while (v != 0);

    while (n > 0) {
        *p++ = tmp[--n];
    }

    return p;
}


/* Writes an external id: prefix and the 1-based number, at least 5 digits */
static char *
recsys_gen_put_id(char *p, char prefix, uint64_t n)
{
    uint64_t  lim;

    *p++ = prefix;

    for (lim = 10000; lim > 1 && n < lim; lim /= 10) {
        *p++ = '0';
    }

    return recsys_gen_put_u64(p, n);
}


static char *
recsys_gen_put_str(char *p, const char *s)
{
    size_t  n;

    n = strlen(s);
    memcpy(p, s, n);

    return p + n;
}


/* Writes s as one CSV field, quoted per RFC 4180 when it needs to be. */
static char *
recsys_gen_put_csv(char *p, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        return recsys_gen_put_str(p, s);
    }

    *p++ = '"';

    for ( /* void */ ; *s != '\0'; s++) {
        if (*s == '"') {
            *p++ = '"';
        }
        *p++ = *s;
    }

    *p++ = '"';

    return p;
}


static int
recsys_gen_error(recsys_gen_ctx_t *c, int rc, const char *what,
    const char *why)
{
    if (c->err != NULL && c->errlen > 0) {
        snprintf(c->err, c->errlen, "%s: %s", what, why);
    }

    return rc;
}


static int
recsys_gen_path(recsys_gen_ctx_t *c, char *buf, const char *name)
{
    int  n;

    n = snprintf(buf, RECSYS_GEN_PATH_MAX, "%s/%s", c->o.out_dir, name);
    if (n < 0 || n >= RECSYS_GEN_PATH_MAX) {
        return recsys_gen_error(c, RECSYS_EINVAL, "out_dir",
                                "path too long");
    }

    return RECSYS_OK;
}


static int
recsys_gen_mkdir(recsys_gen_ctx_t *c, const char *name)
{
    char  path[RECSYS_GEN_PATH_MAX];
    int   rc;

    if (name == NULL) {
        if (strlen(c->o.out_dir) >= RECSYS_GEN_PATH_MAX) {
            return recsys_gen_error(c, RECSYS_EINVAL, "out_dir",
                                    "path too long");
        }
        strcpy(path, c->o.out_dir);

    } else {
        rc = recsys_gen_path(c, path, name);
        if (rc != RECSYS_OK) {
            return rc;
        }
    }

    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        return recsys_gen_error(c, RECSYS_EIO, path, strerror(errno));
    }

    return RECSYS_OK;
}


/* Opens out_dir/name for writing and writes the header line. */
static int
recsys_gen_open(recsys_gen_ctx_t *c, recsys_gen_file_t *f, const char *name,
    const char *header)
{
    int  rc;

    memset(f, 0, sizeof(recsys_gen_file_t));

    rc = recsys_gen_path(c, f->path, name);
    if (rc != RECSYS_OK) {
        return rc;
    }

    f->buf = malloc(RECSYS_GEN_BUFSIZE);
    if (f->buf == NULL) {
        return recsys_gen_error(c, RECSYS_ENOMEM, f->path, "out of memory");
    }

    f->fp = fopen(f->path, "wb");
    if (f->fp == NULL) {
        rc = recsys_gen_error(c, RECSYS_EIO, f->path, strerror(errno));
        free(f->buf);
        f->buf = NULL;
        return rc;
    }

    f->len = strlen(header);
    memcpy(f->buf, header, f->len);
    f->buf[f->len++] = '\n';

    return RECSYS_OK;
}


static void
recsys_gen_flush(recsys_gen_file_t *f)
{
    if (f->len > 0 && f->errnum == 0) {
        if (fwrite(f->buf, 1, f->len, f->fp) != f->len) {
            f->errnum = (errno != 0) ? errno : EIO;
        }
    }

    f->len = 0;
}


/*
 * Returns where the next line goes, with room for need bytes (need is at
 * most RECSYS_GEN_BUFSIZE); the caller sets f->len past what it wrote.
 */
static char *
recsys_gen_line(recsys_gen_file_t *f, size_t need)
{
    if (f->len + need > RECSYS_GEN_BUFSIZE) {
        recsys_gen_flush(f);
    }

    return f->buf + f->len;
}


static void
recsys_gen_end(recsys_gen_file_t *f, char *p)
{
    *p++ = '\n';
    f->len = (size_t) (p - f->buf);
}


/* Flushes and closes f; returns RECSYS_EIO naming the file on a failure. */
static int
recsys_gen_close(recsys_gen_ctx_t *c, recsys_gen_file_t *f)
{
    int  rc;

    if (f->fp == NULL) {
        return RECSYS_OK;
    }

    recsys_gen_flush(f);

    errno = 0;
    if (fclose(f->fp) != 0 && f->errnum == 0) {
        f->errnum = (errno != 0) ? errno : EIO;
    }

    f->fp = NULL;
    free(f->buf);
    f->buf = NULL;

    if (f->errnum != 0) {
        rc = recsys_gen_error(c, RECSYS_EIO, f->path, strerror(f->errnum));
        return rc;
    }

    return RECSYS_OK;
}


/* Closes f on an error path, keeping the first error's message. */
static void
recsys_gen_abandon(recsys_gen_file_t *f)
{
    if (f->fp != NULL) {
        fclose(f->fp);
        f->fp = NULL;
    }

    free(f->buf);
    f->buf = NULL;
}


/* public interface */

const recsys_gen_opts_t  recsys_gen_default = {
    .out_dir = NULL, .users = 2000, .items = 1500, .events = 60000, .seed = 42,
    .segments = 6, .series = RECSYS_GEN_SCALED, .series_len = 8,
    .bundles = RECSYS_GEN_SCALED, .bundle_size = 3,
    .noise_users = RECSYS_GEN_NOISE_AUTO
};


int
recsys_gen_run(const recsys_gen_opts_t *o, char *err, size_t errlen)
{
    int               rc;
    recsys_gen_ctx_t  c;

    memset(&c, 0, sizeof(recsys_gen_ctx_t));
    c.err = err;
    c.errlen = errlen;

    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }

    if (o == NULL) {
        return recsys_gen_error(&c, RECSYS_EINVAL, "options", "missing");
    }

    c.o = *o;

    rc = recsys_gen_check(&c);
    if (rc != RECSYS_OK) {
        return rc;
    }

    rc = recsys_gen_alloc(&c);
    if (rc != RECSYS_OK) {
        recsys_gen_free(&c);
        return recsys_gen_error(&c, rc, "recsys_gen", "out of memory");
    }

    recsys_gen_catalogue(&c);
    recsys_gen_users(&c);

    rc = recsys_gen_mkdir(&c, NULL);

    if (rc == RECSYS_OK) {
        rc = recsys_gen_mkdir(&c, "truth");
    }

    if (rc == RECSYS_OK) {
        rc = recsys_gen_write_items(&c);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_gen_write_truth(&c);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_gen_write_rows(&c);
    }

    recsys_gen_free(&c);

    return rc;
}


/*
 * A count left to scale (RECSYS_GEN_SCALED): full in a catalogue of
 * RECSYS_GEN_SCALE_ITEMS items or more, as many per item below (rounded
 * down); any other v as it is.
 */
static uint32_t
recsys_gen_scaled(uint32_t v, uint32_t full, uint32_t items)
{
    if (v != RECSYS_GEN_SCALED) {
        return v;
    }

    if (items >= RECSYS_GEN_SCALE_ITEMS) {
        return full;
    }

    return (uint32_t) ((uint64_t) full * items / RECSYS_GEN_SCALE_ITEMS);
}


/*
 * Validates the options and resolves noise_users, series, bundles,
 * nregular and cap.
 */
static int
recsys_gen_check(recsys_gen_ctx_t *c)
{
    uint64_t            dedicated, need;
    recsys_gen_opts_t  *o;

    o = &c->o;

    if (o->out_dir == NULL || o->out_dir[0] == '\0') {
        return recsys_gen_error(c, RECSYS_EINVAL, "out_dir", "missing");
    }

    if (o->users < 1 || o->users > RECSYS_GEN_MAX_USERS) {
        return recsys_gen_error(c, RECSYS_EINVAL, "users",
                                "must be 1..100000000");
    }

    if (o->segments < 1 || o->segments > RECSYS_GEN_MAX_SEGMENTS) {
        return recsys_gen_error(c, RECSYS_EINVAL, "segments",
                                "must be 1..12");
    }

    if (o->series > 0 && (o->series_len < 1 || o->series_len > 1000)) {
        return recsys_gen_error(c, RECSYS_EINVAL, "series_len",
                                "must be 1..1000");
    }

    if (o->bundles > 0 && (o->bundle_size < 2 || o->bundle_size > 100)) {
        return recsys_gen_error(c, RECSYS_EINVAL, "bundle_size",
                                "must be 2..100");
    }

    if (o->noise_users == RECSYS_GEN_NOISE_AUTO) {
        o->noise_users = o->users / 50;
    }

    if (o->noise_users > o->users) {
        return recsys_gen_error(c, RECSYS_EINVAL, "noise_users",
                                "more than users");
    }

    if (o->items > RECSYS_GEN_MAX_ITEMS) {
        return recsys_gen_error(c, RECSYS_EINVAL, "items",
                                "must be at most 10000000");
    }

    o->series = recsys_gen_scaled(o->series, 20, o->items);
    o->bundles = recsys_gen_scaled(o->bundles, 15, o->items);

    dedicated = (uint64_t) o->series * o->series_len
                + (uint64_t) o->bundles * o->bundle_size;
    need = 4 * (uint64_t) o->segments;
    if (need < 20) {
        need = 20;
    }

    if (dedicated + need > o->items) {
        return recsys_gen_error(c, RECSYS_EINVAL, "items",
                                "too few for the series and bundles and "
                                "the 20 (or 4 per segment) other items "
                                "they need: raise --items or lower "
                                "--series, --bundles or --segments");
    }

    c->nregular = (uint32_t) (o->items - dedicated);
    c->cap = c->nregular / 2;

    return RECSYS_OK;
}


static int
recsys_gen_alloc(recsys_gen_ctx_t *c)
{
    size_t              n, u, s, b;
    recsys_gen_opts_t  *o;

    o = &c->o;
    n = o->items;
    u = o->users;
    s = o->series;
    b = o->bundles;

    c->rows_cap = (size_t) c->cap + b * o->bundle_size
                  + s * o->series_len + 1;

    c->item_kind = malloc(n);
    c->item_home = malloc(n * sizeof(int32_t));
    c->item_genres = malloc(n * sizeof(uint16_t));
    c->item_group = malloc(n * sizeof(uint32_t));
    c->series_first = malloc((s + 1) * sizeof(uint32_t));
    c->bundle_first = malloc((b + 1) * sizeof(uint32_t));
    c->bundle_need = malloc((b + 1) * sizeof(uint32_t));
    c->pool = malloc(2 * (size_t) c->nregular * sizeof(uint32_t));
    c->cdf = malloc(2 * (size_t) c->nregular * sizeof(double));
    c->user_seg = malloc(u * sizeof(int32_t));
    c->user_rows = malloc(u * sizeof(uint32_t));
    c->seen = calloc(n, sizeof(uint32_t));
    c->scratch = malloc((n > u ? n : u) * sizeof(uint32_t));
    c->units = malloc(c->rows_cap * sizeof(recsys_gen_unit_t));
    c->rows = malloc(c->rows_cap * sizeof(recsys_gen_row_t));

    if (c->item_kind == NULL || c->item_home == NULL
        || c->item_genres == NULL || c->item_group == NULL
        || c->series_first == NULL || c->bundle_first == NULL
        || c->bundle_need == NULL || c->pool == NULL || c->cdf == NULL
        || c->user_seg == NULL || c->user_rows == NULL || c->seen == NULL
        || c->scratch == NULL || c->units == NULL || c->rows == NULL)
    {
        return RECSYS_ENOMEM;
    }

    return RECSYS_OK;
}


/* Frees c's arrays; c is not used after (only its err, to report). */
static void
recsys_gen_free(recsys_gen_ctx_t *c)
{
    free(c->item_kind);
    free(c->item_home);
    free(c->item_genres);
    free(c->item_group);
    free(c->series_first);
    free(c->bundle_first);
    free(c->bundle_need);
    free(c->pool);
    free(c->cdf);
    free(c->user_seg);
    free(c->user_rows);
    free(c->seen);
    free(c->scratch);
    free(c->units);
    free(c->rows);
}


/* catalogue */

/*
 * Deals the genres to segments in list order: 2 to even segments, 1 to odd
 * ones, 1 wherever 2 would leave too few for the segments still to come.
 * With 6 segments: Action|Adventure, Comedy, Crime|Thriller, Romance,
 * Sci-Fi|Fantasy, Horror; Drama, Documentary, Animation stay free.
 */
static void
recsys_gen_deal_genres(recsys_gen_ctx_t *c)
{
    uint32_t  s, g, want, nseg;
    uint16_t  used;

    nseg = c->o.segments;
    g = 0;
    used = 0;

    for (s = 0; s < nseg; s++) {
        want = (s % 2 == 0) ? 2 : 1;
        if (RECSYS_GEN_NGENRES - g - want < nseg - s - 1) {
            want = 1;
        }

        c->seg_genres[s] = 0;
        while (want-- > 0) {
            c->seg_genres[s] |= (uint16_t) (1u << g);
            used |= (uint16_t) (1u << g);
            g++;
        }
    }

    c->free_genres = (uint16_t) (((1u << RECSYS_GEN_NGENRES) - 1) & ~used);
}


/* Picks one genre of the set mask at random. */
static uint32_t
recsys_gen_one_genre(recsys_gen_rng_t *r, uint16_t mask)
{
    uint32_t  g, n, k;

    n = 0;
    for (g = 0; g < RECSYS_GEN_NGENRES; g++) {
        n += (mask >> g) & 1;
    }

    k = recsys_gen_below(r, n);

    for (g = 0; g < RECSYS_GEN_NGENRES; g++) {
        if (((mask >> g) & 1) && k-- == 0) {
            break;
        }
    }

    return g;
}


/*
 * Genres for an item homed at segment home (-1: general): one or two of the
 * home's genres, for a homed item maybe one free genre on top.
 */
static uint16_t
recsys_gen_pick_genres(recsys_gen_ctx_t *c, recsys_gen_rng_t *r,
    int32_t home)
{
    uint16_t  fav, mask;

    fav = (home >= 0) ? c->seg_genres[home] : c->free_genres;
    mask = (uint16_t) (1u << recsys_gen_one_genre(r, fav));

    if (fav != mask && recsys_gen_unit(r) < 0.4) {
        mask |= (uint16_t) (1u << recsys_gen_one_genre(r, fav & ~mask));
    }

    if (home >= 0 && c->free_genres != 0 && recsys_gen_unit(r) < 0.3) {
        mask |= (uint16_t) (1u << recsys_gen_one_genre(r, c->free_genres));
    }

    return mask;
}


/* Sets up pool p from n items at a: random rank order, Zipf(1) CDF. */
static void
recsys_gen_pool(recsys_gen_ctx_t *c, recsys_gen_rng_t *r, uint32_t p,
    uint32_t off, const uint32_t *a, uint32_t n)
{
    uint32_t  i;
    double    sum;

    c->pool_off[p] = off;
    c->pool_len[p] = n;
    memcpy(c->pool + off, a, n * sizeof(uint32_t));
    recsys_gen_shuffle(r, c->pool + off, n);

    sum = 0.0;
    for (i = 0; i < n; i++) {
        sum += 1.0 / (double) (i + 1);
        c->cdf[off + i] = sum;
    }
}


/*
 * Lays out item kinds and groups, homes and genres, the popularity laws
 * and the bundles' watcher quotas.
 */
static void
recsys_gen_catalogue(recsys_gen_ctx_t *c)
{
    uint32_t            i, j, k, b, s, nblocks, nreg, item, ngeneral, off;
    uint32_t            nonnoise, need, *a;
    uint64_t            at;
    uint16_t            mask;
    recsys_gen_rng_t    r;
    recsys_gen_opts_t  *o;

    o = &c->o;
    a = c->scratch;
    recsys_gen_seed(&r, o->seed, RECSYS_GEN_S_CATALOG);
    recsys_gen_deal_genres(c);

    /*
     * blocks: series 0..S-1 and bundles S..S+B-1 in random order, block i
     * placed after (i + 1) / (blocks + 1) of the regular items
     */

    nblocks = o->series + o->bundles;
    for (i = 0; i < nblocks; i++) {
        a[i] = i;
    }
    recsys_gen_shuffle(&r, a, nblocks);

    item = 0;
    nreg = 0;

    for (i = 0; i <= nblocks; i++) {
        at = (i < nblocks)
             ? (uint64_t) (i + 1) * c->nregular / (nblocks + 1)
             : c->nregular;

        for ( /* void */ ; nreg < at; nreg++) {
            c->item_kind[item] = RECSYS_GEN_REGULAR;
            c->item_group[item++] = 0;
        }

        if (i == nblocks) {
            break;
        }

        b = a[i];

        if (b < o->series) {
            c->series_first[b] = item;
            for (j = 0; j < o->series_len; j++) {
                c->item_kind[item] = RECSYS_GEN_EPISODE;
                c->item_group[item++] = b;
            }

        } else {
            b -= o->series;
            c->bundle_first[b] = item;
            for (j = 0; j < o->bundle_size; j++) {
                c->item_kind[item] = RECSYS_GEN_BUNDLED;
                c->item_group[item++] = b;
            }
        }
    }

    /* homes: a tenth general when free genres exist, the rest dealt out */

    nreg = 0;
    for (i = 0; i < o->items; i++) {
        if (c->item_kind[i] == RECSYS_GEN_REGULAR) {
            a[nreg++] = i;
        }
    }

    recsys_gen_shuffle(&r, a, nreg);
    ngeneral = (c->free_genres != 0) ? nreg / 10 : 0;

    for (i = 0; i < nreg; i++) {
        c->item_home[a[i]] = (i < ngeneral)
                             ? -1 : (int32_t) ((i - ngeneral) % o->segments);
    }

    for (i = 0; i < o->items; i++) {
        if (c->item_kind[i] == RECSYS_GEN_REGULAR) {
            c->item_genres[i] = recsys_gen_pick_genres(c, &r,
                                                       c->item_home[i]);
        }
    }

    for (s = 0; s < o->series; s++) {
        k = s % o->segments;
        for (j = 0; j < o->series_len; j++) {
            c->item_home[c->series_first[s] + j] = (int32_t) k;
            c->item_genres[c->series_first[s] + j] = c->seg_genres[k];
        }
    }

    for (b = 0; b < o->bundles; b++) {
        k = (b * 5 + 1) % o->segments;
        mask = recsys_gen_pick_genres(c, &r, (int32_t) k);
        for (j = 0; j < o->bundle_size; j++) {
            c->item_home[c->bundle_first[b] + j] = (int32_t) k;
            c->item_genres[c->bundle_first[b] + j] = mask;
        }
    }

    /* laws: segment pools back to back, then the overall pool */

    off = 0;
    for (s = 0; s <= o->segments; s++) {
        k = 0;
        for (i = 0; i < o->items; i++) {
            if (c->item_kind[i] == RECSYS_GEN_REGULAR
                && (s == o->segments || c->item_home[i] == (int32_t) s))
            {
                a[k++] = i;
            }
        }

        recsys_gen_pool(c, &r, s, off, a, k);
        off += k;
    }

    /* bundle quotas: 2% to 5% of non-noise users each, at least 2 */

    nonnoise = o->users - o->noise_users;

    for (b = 0; b < o->bundles; b++) {
        need = (uint32_t) ((0.02 + 0.03 * recsys_gen_unit(&r))
                           * (double) nonnoise + 0.5);
        if (need < 2) {
            need = 2;
        }
        if (need > nonnoise) {
            need = nonnoise;
        }
        c->bundle_need[b] = need;
    }

    c->nonnoise_left = nonnoise;
}


/*
 * Assigns segments (noise first in a seeded permutation, then round-robin)
 * and row targets: 5 each plus a share of the rest proportional to a
 * truncated Pareto(1) weight in [1, 24001], capped at c->cap.
 */
static void
recsys_gen_users(recsys_gen_ctx_t *c)
{
    uint32_t            u, nu, *perm, w;
    uint64_t            extra, sum, cum, q, prev, n;
    recsys_gen_rng_t    r;
    recsys_gen_opts_t  *o;

    o = &c->o;
    nu = o->users;

    perm = c->scratch;
    for (u = 0; u < nu; u++) {
        perm[u] = u;
    }

    recsys_gen_seed(&r, o->seed, RECSYS_GEN_S_USERS);
    recsys_gen_shuffle(&r, perm, nu);

    for (u = 0; u < nu; u++) {
        c->user_seg[perm[u]] = (u < o->noise_users)
                               ? -1
                               : (int32_t) ((u - o->noise_users)
                                            % o->segments);
    }

    recsys_gen_seed(&r, o->seed, RECSYS_GEN_S_ACTIVITY);

    sum = 0;
    for (u = 0; u < nu; u++) {
        w = 1000000 / (40 + recsys_gen_below(&r, 961)) - 999;
        c->user_rows[u] = w;
        sum += w;
    }

    extra = (uint64_t) RECSYS_GEN_MIN_ROWS * nu;
    extra = (o->events > extra) ? o->events - extra : 0;

    cum = 0;
    prev = 0;

    for (u = 0; u < nu; u++) {
        cum += c->user_rows[u];
        q = (uint64_t) ((double) extra * ((double) cum / (double) sum));
        n = RECSYS_GEN_MIN_ROWS + (q - prev);
        prev = q;

        c->user_rows[u] = (uint32_t) ((n > c->cap) ? c->cap : n);
    }
}


/* A regular or general title for item i into buf. */
static void
recsys_gen_title(recsys_gen_rng_t *r, uint32_t i, char *buf)
{
    uint32_t     year, a, b, d;
    const char  *adj, *noun, *noun2;

    year = 1970 + recsys_gen_below(r, 56);
    adj = recsys_gen_adjs[recsys_gen_below(r,
                                           RECSYS_GEN_NELTS(recsys_gen_adjs))];
    noun = recsys_gen_nouns[recsys_gen_below(r,
                                           RECSYS_GEN_NELTS(recsys_gen_nouns))];
    noun2 = recsys_gen_nouns[recsys_gen_below(r,
                                           RECSYS_GEN_NELTS(recsys_gen_nouns))];

    if ((i + 1) % 50 == 0) {
        a = recsys_gen_below(r, RECSYS_GEN_NELTS(recsys_gen_plurals));
        b = (a + 1 + recsys_gen_below(r, 7)) % 16;
        d = (b + 1 + recsys_gen_below(r, 7)) % 16;
        if (d == a) {
            d = (d + 1) % 16;
        }
        snprintf(buf, RECSYS_GEN_TITLE_MAX, "%s, %s and \"%s\" (%u)",
                 recsys_gen_plurals[a], recsys_gen_plurals[b],
                 recsys_gen_plurals[d], year);
        return;
    }

    if ((i + 1) % 50 == 25) {
        a = recsys_gen_below(r, RECSYS_GEN_NELTS(recsys_gen_greetings));
        snprintf(buf, RECSYS_GEN_TITLE_MAX, "%s, %s (%u)",
                 recsys_gen_greetings[a], noun, year);
        return;
    }

    switch (recsys_gen_below(r, 4)) {
    case 0:
        snprintf(buf, RECSYS_GEN_TITLE_MAX, "The %s %s (%u)", adj, noun,
                 year);
        break;
    case 1:
        snprintf(buf, RECSYS_GEN_TITLE_MAX, "%s %s (%u)", adj, noun, year);
        break;
    case 2:
        snprintf(buf, RECSYS_GEN_TITLE_MAX, "%s of the %s (%u)", noun,
                 noun2, year);
        break;
    default:
        snprintf(buf, RECSYS_GEN_TITLE_MAX, "The %s (%u)", noun, year);
        break;
    }
}


static int
recsys_gen_write_items(recsys_gen_ctx_t *c)
{
    char                title[RECSYS_GEN_TITLE_MAX], *p;
    uint32_t            i, g, s, b, sep;
    recsys_gen_rng_t    r;
    recsys_gen_file_t   f;
    int                 rc;

    rc = recsys_gen_open(c, &f, "items.csv", "itemId,title,genres");
    if (rc != RECSYS_OK) {
        return rc;
    }

    recsys_gen_seed(&r, c->o.seed, RECSYS_GEN_S_TITLES);

    for (i = 0; i < c->o.items; i++) {
        switch (c->item_kind[i]) {

        case RECSYS_GEN_EPISODE:
            s = c->item_group[i];
            snprintf(title, sizeof(title), "%s%s S%uE%u",
                     recsys_gen_series_pre[s % 16],
                     recsys_gen_series_suf[(s / 16 + s) % 16],
                     1 + s / 256, i - c->series_first[s] + 1);
            break;

        case RECSYS_GEN_BUNDLED:
            b = c->item_group[i];
            snprintf(title, sizeof(title), "The %s %s Saga%s: Part %u",
                     recsys_gen_adjs[b % 32],
                     recsys_gen_nouns[(b / 32 + b) % 32],
                     b >= 1024 ? " II" : "", i - c->bundle_first[b] + 1);
            break;

        default:
            recsys_gen_title(&r, i, title);
            break;
        }

        p = recsys_gen_line(&f, 2 * RECSYS_GEN_TITLE_MAX + 256);
        p = recsys_gen_put_id(p, 'v', (uint64_t) i + 1);
        *p++ = ',';
        p = recsys_gen_put_csv(p, title);
        *p++ = ',';

        sep = 0;
        for (g = 0; g < RECSYS_GEN_NGENRES; g++) {
            if ((c->item_genres[i] >> g) & 1) {
                if (sep++) {
                    *p++ = '|';
                }
                p = recsys_gen_put_str(p, recsys_gen_genres[g]);
            }
        }

        recsys_gen_end(&f, p);
    }

    return recsys_gen_close(c, &f);
}


static int
recsys_gen_write_truth(recsys_gen_ctx_t *c)
{
    char               *p;
    uint32_t            s, b, j, u;
    recsys_gen_file_t   f;
    int                 rc;

    rc = recsys_gen_open(c, &f, "truth/series.csv", "series,position,itemId");
    if (rc != RECSYS_OK) {
        return rc;
    }

    for (s = 0; s < c->o.series; s++) {
        for (j = 0; j < c->o.series_len; j++) {
            p = recsys_gen_line(&f, 64);
            p = recsys_gen_put_u64(p, s);
            *p++ = ',';
            p = recsys_gen_put_u64(p, j + 1);
            *p++ = ',';
            p = recsys_gen_put_id(p, 'v',
                                  (uint64_t) c->series_first[s] + j + 1);
            recsys_gen_end(&f, p);
        }
    }

    rc = recsys_gen_close(c, &f);
    if (rc != RECSYS_OK) {
        return rc;
    }

    rc = recsys_gen_open(c, &f, "truth/bundles.csv", "bundle,items");
    if (rc != RECSYS_OK) {
        return rc;
    }

    for (b = 0; b < c->o.bundles; b++) {
        p = recsys_gen_line(&f, 32 + 24 * (size_t) c->o.bundle_size);
        p = recsys_gen_put_u64(p, b);
        *p++ = ',';
        for (j = 0; j < c->o.bundle_size; j++) {
            if (j > 0) {
                *p++ = '|';
            }
            p = recsys_gen_put_id(p, 'v',
                                  (uint64_t) c->bundle_first[b] + j + 1);
        }
        recsys_gen_end(&f, p);
    }

    rc = recsys_gen_close(c, &f);
    if (rc != RECSYS_OK) {
        return rc;
    }

    rc = recsys_gen_open(c, &f, "truth/segments.csv", "userId,segment");
    if (rc != RECSYS_OK) {
        return rc;
    }

    for (u = 0; u < c->o.users; u++) {
        p = recsys_gen_line(&f, 64);
        p = recsys_gen_put_id(p, 'u', (uint64_t) u + 1);
        *p++ = ',';
        if (c->user_seg[u] < 0) {
            *p++ = '-';
            *p++ = '1';
        } else {
            p = recsys_gen_put_u64(p, (uint64_t) c->user_seg[u]);
        }
        recsys_gen_end(&f, p);
    }

    return recsys_gen_close(c, &f);
}


static int
recsys_gen_write_rows(recsys_gen_ctx_t *c)
{
    uint32_t           u;
    recsys_gen_file_t  fi, ft;
    int                rc;

    rc = recsys_gen_open(c, &fi, "interactions.csv",
                         "userId,itemId,rating,timestamp");
    if (rc != RECSYS_OK) {
        return rc;
    }

    rc = recsys_gen_open(c, &ft, "tags.csv", "userId,itemId,tag,timestamp");
    if (rc != RECSYS_OK) {
        recsys_gen_abandon(&fi);
        return rc;
    }

    for (u = 0; u < c->o.users; u++) {
        recsys_gen_user(c, u, &fi, &ft);

        if (fi.errnum != 0 || ft.errnum != 0) {
            break;
        }
    }

    rc = recsys_gen_close(c, &fi);
    if (rc != RECSYS_OK) {
        recsys_gen_abandon(&ft);
        return rc;
    }

    return recsys_gen_close(c, &ft);
}


/* rows */

/*
 * Draws a regular item user stamp has not seen: from pool first (own
 * segment or overall), then the other pool, then a scan of the overall
 * pool, which must find one since a user takes at most half of it.
 */
static uint32_t
recsys_gen_draw(recsys_gen_ctx_t *c, recsys_gen_rng_t *r, uint32_t seg,
    uint32_t stamp)
{
    uint32_t  pass, p, i, n, start, item, all;

    all = c->o.segments;
    p = (recsys_gen_unit(r) < RECSYS_GEN_SEGMENT_P) ? seg : all;

    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < RECSYS_GEN_TRIES; i++) {
            item = recsys_gen_zipf(c, r, p);
            if (c->seen[item] != stamp) {
                return item;
            }
        }

        p = (p == all) ? seg : all;
    }

    n = c->pool_len[all];
    start = recsys_gen_below(r, n);

    for (i = 0; i < n; i++) {
        item = c->pool[c->pool_off[all] + (start + i) % n];
        if (c->seen[item] != stamp) {
            return item;
        }
    }

    return 0;
}


/* A noise user's draw: any unseen item of the catalogue, uniformly. */
static uint32_t
recsys_gen_draw_any(recsys_gen_ctx_t *c, recsys_gen_rng_t *r, uint32_t stamp)
{
    uint32_t  i, n, item, start;

    n = c->o.items;

    for (i = 0; i < RECSYS_GEN_TRIES; i++) {
        item = recsys_gen_below(r, n);
        if (c->seen[item] != stamp) {
            return item;
        }
    }

    start = recsys_gen_below(r, n);

    for (i = 0; i < n; i++) {
        item = (start + i) % n;
        if (c->seen[item] != stamp) {
            return item;
        }
    }

    return 0;
}


static uint32_t
recsys_gen_rating(recsys_gen_rng_t *r, int32_t seg, int32_t home)
{
    double  x;

    if (seg < 0) {
        return 1 + recsys_gen_below(r, 5);
    }

    x = recsys_gen_unit(r);

    if (home == seg) {
        return (x < 0.45) ? 5 : (x < 0.85) ? 4 : 3;
    }

    return (x < 0.05) ? 1 : (x < 0.25) ? 2 : (x < 0.70) ? 3
           : (x < 0.95) ? 4 : 5;
}


/* Adds a block unit (series prefix or bundle) and marks its items seen. */
static void
recsys_gen_block(recsys_gen_ctx_t *c, uint32_t *nunits, uint8_t kind,
    uint32_t first, uint32_t count, uint32_t stamp)
{
    uint32_t            j;
    recsys_gen_unit_t  *un;

    un = &c->units[(*nunits)++];
    un->item = first;
    un->count = count;
    un->kind = kind;
    un->rating = 0;

    for (j = 0; j < count; j++) {
        c->seen[first + j] = stamp;
    }
}


/*
 * Expands the units, already in watching order, into c->rows with gaps:
 * units spread over an active span of 1 week to 2 years, episodes 45 to 75
 * minutes apart, bundle items 90 to 150 minutes apart in random order.
 * Returns the row count and the sum of the gaps in *total.
 */
static uint32_t
recsys_gen_expand(recsys_gen_ctx_t *c, recsys_gen_rng_t *r, uint32_t nunits,
    uint64_t *total)
{
    uint32_t            i, j, k, n, t;
    uint64_t            span, avg, gap, sum;
    recsys_gen_unit_t  *un;
    recsys_gen_row_t   *row;

    span = (uint64_t) RECSYS_GEN_DAY * (7 + recsys_gen_below(r, 724));
    avg = span / nunits;
    n = 0;
    sum = 0;

    for (i = 0; i < nunits; i++) {
        un = &c->units[i];
        gap = (i == 0) ? 0 : 1 + recsys_gen_below(r, (uint32_t) (2 * avg));

        for (j = 0; j < un->count; j++) {
            row = &c->rows[n + j];
            row->item = un->item + (un->kind == RECSYS_GEN_REGULAR ? 0 : j);

            switch (un->kind) {

            case RECSYS_GEN_EPISODE:
                if (j + 1 == un->count && un->count < c->o.series_len) {
                    row->rating = 2 + recsys_gen_below(r, 2);
                } else {
                    row->rating = (recsys_gen_unit(r) < 0.6) ? 4 : 5;
                }
                if (j > 0) {
                    gap = 2700 + recsys_gen_below(r, 1800);
                }
                break;

            case RECSYS_GEN_BUNDLED:
                row->rating = 3 + recsys_gen_below(r, 3);
                if (j > 0) {
                    gap = 5400 + recsys_gen_below(r, 3600);
                }
                break;

            default:
                row->rating = un->rating;
                break;
            }

            row->gap = gap;
            sum += gap;
        }

        if (un->kind == RECSYS_GEN_BUNDLED) {
            for (k = un->count; k > 1; k--) {
                j = recsys_gen_below(r, k);
                t = c->rows[n + k - 1].item;
                c->rows[n + k - 1].item = c->rows[n + j].item;
                c->rows[n + j].item = t;
            }
        }

        n += un->count;
    }

    *total = sum;

    return n;
}


/*
 * Generates user u's rows and tags.  Bundle picks use selection sampling
 * across users (need / non-noise users left), so each bundle ends with
 * exactly its quota of watchers; then come series prefixes that fit the
 * user's row target, then single draws up to the target.
 */
static void
recsys_gen_user(recsys_gen_ctx_t *c, uint32_t u, recsys_gen_file_t *fi,
    recsys_gen_file_t *ft)
{
    char                uid[16], *p, *uend;
    uint32_t            i, j, b, s, k, n, target, planned, nunits, stamp;
    uint32_t            item, len, g, nrows, w;
    uint64_t            total, ts, range;
    int32_t             seg;
    const char         *tag;
    recsys_gen_rng_t    r;
    recsys_gen_unit_t  *un, tmp;
    recsys_gen_opts_t  *o;

    o = &c->o;
    recsys_gen_seed(&r, o->seed, RECSYS_GEN_S_USER0 + (uint64_t) u);

    seg = c->user_seg[u];
    stamp = u + 1;
    target = c->user_rows[u];
    planned = 0;
    nunits = 0;

    if (seg >= 0) {
        for (b = 0; b < o->bundles; b++) {
            if (c->bundle_need[b] > 0
                && recsys_gen_below(&r, c->nonnoise_left) < c->bundle_need[b])
            {
                c->bundle_need[b]--;
                recsys_gen_block(c, &nunits, RECSYS_GEN_BUNDLED,
                                 c->bundle_first[b], o->bundle_size, stamp);
                planned += o->bundle_size;
            }
        }

        c->nonnoise_left--;

        if (target < planned) {
            target = planned;
        }

        len = o->series_len;

        for (s = (uint32_t) seg; s < o->series; s += o->segments) {
            if (recsys_gen_unit(&r) >= RECSYS_GEN_SERIES_P) {
                continue;
            }

            k = (len < 3) ? len : 3;
            while (k < len && recsys_gen_unit(&r) < RECSYS_GEN_EPISODE_P) {
                k++;
            }

            if (target - planned < k) {
                continue;
            }

            recsys_gen_block(c, &nunits, RECSYS_GEN_EPISODE,
                             c->series_first[s], k, stamp);
            planned += k;
        }
    }

    while (planned < target) {
        item = (seg >= 0) ? recsys_gen_draw(c, &r, (uint32_t) seg, stamp)
                          : recsys_gen_draw_any(c, &r, stamp);
        c->seen[item] = stamp;

        un = &c->units[nunits++];
        un->item = item;
        un->count = 1;
        un->kind = RECSYS_GEN_REGULAR;
        un->rating = (uint8_t) recsys_gen_rating(&r, seg, c->item_home[item]);
        planned++;
    }

    for (i = nunits; i > 1; i--) {
        j = recsys_gen_below(&r, i);
        tmp = c->units[i - 1];
        c->units[i - 1] = c->units[j];
        c->units[j] = tmp;
    }

    nrows = recsys_gen_expand(c, &r, nunits, &total);

    range = RECSYS_GEN_RANGE;
    if (total > range) {
        for (i = 1; i < nrows; i++) {
            c->rows[i].gap = c->rows[i].gap * (range - nrows) / total + 1;
        }
        total = range;
    }

    ts = RECSYS_GEN_T0 + recsys_gen_below(&r, (uint32_t) (range - total + 1));

    uend = recsys_gen_put_id(uid, 'u', (uint64_t) u + 1);
    *uend++ = ',';
    n = (uint32_t) (uend - uid);

    for (i = 0; i < nrows; i++) {
        ts += c->rows[i].gap;
        item = c->rows[i].item;

        p = recsys_gen_line(fi, 96);
        memcpy(p, uid, n);
        p = recsys_gen_put_id(p + n, 'v', (uint64_t) item + 1);
        *p++ = ',';
        *p++ = (char) ('0' + c->rows[i].rating);
        *p++ = ',';
        p = recsys_gen_put_u64(p, ts);
        recsys_gen_end(fi, p);

        if (recsys_gen_unit(&r) >= RECSYS_GEN_TAG_P) {
            continue;
        }

        if (recsys_gen_unit(&r) < RECSYS_GEN_GENRE_TAG_P) {
            g = recsys_gen_one_genre(&r, c->item_genres[item]);
            tag = recsys_gen_genre_tags[g][recsys_gen_below(&r, 3)];

        } else {
            w = recsys_gen_below(&r, RECSYS_GEN_NELTS(recsys_gen_other_tags));
            tag = recsys_gen_other_tags[w];
        }

        p = recsys_gen_line(ft, 128);
        memcpy(p, uid, n);
        p = recsys_gen_put_id(p + n, 'v', (uint64_t) item + 1);
        *p++ = ',';
        p = recsys_gen_put_csv(p, tag);
        *p++ = ',';
        p = recsys_gen_put_u64(p, ts + 30 + recsys_gen_below(&r, 3600));
        recsys_gen_end(ft, p);
    }
}
