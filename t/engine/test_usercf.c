/*
 * test_usercf.c: unit test of user-based CF (recsys_usercf.c).
 *
 * Two fixtures go through the real ingest path (CSV files in a temporary
 * directory, recsys_ingest_*, recsys_train_build): a hand-made one with
 * identical users (ties) and a user whose ratings are constant (Pearson
 * undefined), and a seeded random one.
 * Every expectation comes from plain dense O(n^2) reference code below,
 * written from the definitions in recsys_usercf.h and sharing nothing with
 * the implementation.  Prints TAP.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recsys_ingest.h"
#include "recsys_status.h"
#include "recsys_train.h"
#include "recsys_usercf.h"
#include "tap.h"
#include "file_fixture.h"
#include "ingest_fixture.h"


#define T_MAXU  40
#define T_MAXI  24


typedef struct {
    int       nu;
    int       ni;
    double    r[T_MAXU][T_MAXI];    /* 0: not rated */
} t_matrix_t;

/* A reference list: n (index, score) pairs, best first. */
typedef struct {
    int       n;
    int       idx[T_MAXU + T_MAXI];
    double    score[T_MAXU + T_MAXI];
} t_list_t;


static char  t_dir[64];


/* Writes m as userId,itemId,rating,timestamp with ids 1-based. */
static void
t_write(const t_matrix_t *m, const char *name, char *path, size_t len)
{
    int    u, i, ts;
    FILE  *fp;

    fp = t_log_open(path, len, t_dir, name);
    ts = 1000;

    for (u = 0; u < m->nu; u++) {
        for (i = 0; i < m->ni; i++) {
            if (m->r[u][i] > 0.0) {
                fprintf(fp, "%d,%d,%.1f,%d\n", u + 1, i + 1, m->r[u][i],
                        ts++);
            }
        }
    }

    fclose(fp);
}


static int
t_load(const t_matrix_t *m, const char *name, recsys_data_t *d,
    recsys_train_t *t)
{
    char  path[256], err[512];

    t_write(m, name, path, sizeof(path));

    if (t_ingest_train(NULL, path, d, t, err, sizeof(err)) != RECSYS_OK) {
        printf("# load %s failed\n", name);
        return 0;
    }

    unlink(path);

    return (int) t->n_users == m->nu && (int) t->n_items == m->ni;
}


/* Reference similarities, straight from the definitions. */

static double
t_cosine(const t_matrix_t *m, int u, int v, int *n)
{
    int     i;
    double  dot, nu, nv;

    dot = nu = nv = 0.0;
    *n = 0;

    for (i = 0; i < m->ni; i++) {
        nu += m->r[u][i] * m->r[u][i];
        nv += m->r[v][i] * m->r[v][i];

        if (m->r[u][i] > 0.0 && m->r[v][i] > 0.0) {
            dot += m->r[u][i] * m->r[v][i];
            (*n)++;
        }
    }

    return (nu > 0.0 && nv > 0.0) ? dot / sqrt(nu * nv) : 0.0;
}


static double
t_pearson(const t_matrix_t *m, int u, int v, int *n)
{
    int     i;
    double  mu, mv, num, du, dv;

    mu = mv = 0.0;
    *n = 0;

    for (i = 0; i < m->ni; i++) {
        if (m->r[u][i] > 0.0 && m->r[v][i] > 0.0) {
            mu += m->r[u][i];
            mv += m->r[v][i];
            (*n)++;
        }
    }

    if (*n < 2) {
        return 0.0;
    }

    mu /= *n;
    mv /= *n;
    num = du = dv = 0.0;

    for (i = 0; i < m->ni; i++) {
        if (m->r[u][i] > 0.0 && m->r[v][i] > 0.0) {
            num += (m->r[u][i] - mu) * (m->r[v][i] - mv);
            du += (m->r[u][i] - mu) * (m->r[u][i] - mu);
            dv += (m->r[v][i] - mv) * (m->r[v][i] - mv);
        }
    }

    if (du < 1e-12 || dv < 1e-12) {
        return 0.0;
    }

    return num / sqrt(du * dv);
}


static double
t_sim(const t_matrix_t *m, int pearson, double shrink, int u, int v)
{
    int     n;
    double  s;

    s = pearson ? t_pearson(m, u, v, &n) : t_cosine(m, u, v, &n);

    if (shrink > 0.0) {
        s *= n / (n + shrink);
    }

    return s;
}


/* Best first by (float) score, then smaller index; keeps the first k. */
static void
t_sort(t_list_t *l, int k)
{
    int     a, b, ti;
    double  ts;
    float   fa, fb;

    for (a = 1; a < l->n; a++) {
        for (b = a; b > 0; b--) {
            fa = (float) l->score[b - 1];
            fb = (float) l->score[b];

            if (fa > fb || (fa == fb && l->idx[b - 1] < l->idx[b])) {
                break;
            }

            ti = l->idx[b];
            l->idx[b] = l->idx[b - 1];
            l->idx[b - 1] = ti;
            ts = l->score[b];
            l->score[b] = l->score[b - 1];
            l->score[b - 1] = ts;
        }
    }

    if (l->n > k) {
        l->n = k;
    }
}


static void
t_ref_neighbors(const t_matrix_t *m, int pearson, double shrink, int k,
    int u, t_list_t *l)
{
    int     v;
    double  s;

    l->n = 0;

    for (v = 0; v < m->nu; v++) {
        s = v == u ? 0.0 : t_sim(m, pearson, shrink, u, v);

        if (s > 1e-9) {           /* positive beyond rounding */
            l->idx[l->n] = v;
            l->score[l->n] = s;
            l->n++;
        }
    }

    t_sort(l, k);
}


static void
t_ref_recs(const t_matrix_t *m, const t_list_t *nb, int normalize, int top,
    int u, t_list_t *l)
{
    int     i, x, v;
    double  s, w;

    l->n = 0;

    for (i = 0; i < m->ni; i++) {
        if (m->r[u][i] > 0.0) {
            continue;
        }

        s = w = 0.0;

        for (x = 0; x < nb->n; x++) {
            v = nb->idx[x];

            if (m->r[v][i] > 0.0) {
                s += nb->score[x] * m->r[v][i];
                w += fabs(nb->score[x]);
            }
        }

        if (normalize && w > 0.0) {
            s /= w;
        }

        if (s > 0.0) {
            l->idx[l->n] = i;
            l->score[l->n] = s;
            l->n++;
        }
    }

    t_sort(l, top);
}


/* 1 when csr row r holds exactly the reference list (scores within tol). */
static int
t_row_is(const recsys_csr_t *c, uint32_t r, const t_list_t *l, double tol,
    const char *what)
{
    int       x;
    uint32_t  n, o;

    n = c->offsets[r + 1] - c->offsets[r];
    o = c->offsets[r];

    if ((int) n != l->n) {
        printf("# %s row %u: %u entries, want %d\n", what, r, n, l->n);
        return 0;
    }

    for (x = 0; x < l->n; x++) {
        if ((int) c->entries[o + x].item != l->idx[x]
            || fabs(c->entries[o + x].score - l->score[x]) > tol)
        {
            printf("# %s row %u pos %d: (%u, %.9g), want (%d, %.9g)\n",
                   what, r, x, c->entries[o + x].item,
                   c->entries[o + x].score, l->idx[x], l->score[x]);
            return 0;
        }
    }

    return 1;
}


/*
 * Checks neighbours and top lists (plain and normalised) of one
 * configuration against the references.
 */
static void
t_check(const char *name, const t_matrix_t *m, const recsys_train_t *t,
    int pearson, double shrink, int k, int top)
{
    int                    u, x, ok_n, ok_r, norm, rc;
    t_list_t               nb[T_MAXU], l;
    recsys_csr_t           nbrs, recs;
    recsys_usercf_opts_t   o;

    o = recsys_usercf_default;
    o.sim = pearson ? RECSYS_USERCF_PEARSON : RECSYS_USERCF_COSINE;
    o.shrink = (float) shrink;
    o.k = k;
    o.top = top;

    tap_is_int(recsys_usercf_neighbors(t, &o, &nbrs), RECSYS_OK,
               "%s: neighbours built", name);

    ok_n = 1;
    for (u = 0; u < m->nu; u++) {
        t_ref_neighbors(m, pearson, shrink, k, u, &nb[u]);
        ok_n &= t_row_is(&nbrs, u, &nb[u], 1e-6, "neighbours");
    }

    tap_ok(ok_n, "%s: neighbour lists and similarities = brute force",
           name);

    /* the reference lists use the code's float similarities from here */

    for (u = 0; u < m->nu; u++) {
        for (x = 0; x < nb[u].n; x++) {
            nb[u].score[x] = (float) nb[u].score[x];
        }
    }

    for (norm = 0; norm <= 1; norm++) {
        o.normalize = norm;
        rc = recsys_usercf_recommend(t, &nbrs, &o, &recs);
        if (!norm) {
            tap_is_int(rc, RECSYS_OK, "%s: top lists built", name);
        }

        ok_r = 1;
        for (u = 0; u < m->nu; u++) {
            t_ref_recs(m, &nb[u], norm, top, u, &l);
            ok_r &= t_row_is(&recs, u, &l, 1e-5,
                             norm ? "recs normalised" : "recs");
        }

        tap_ok(ok_r, norm ? "%s: normalised top lists = brute force"
                          : "%s: top lists = brute force (sum sim * r)", name);
        recsys_csr_free(&recs);
    }

    recsys_csr_free(&nbrs);
}


/* One configuration of t_check(). */
typedef struct {
    const char  *name;
    int          pearson;
    double       shrink;
    int          k;
    int          top;
} t_case_t;


static void
t_checks(const t_case_t *c, size_t n, const t_matrix_t *m,
    const recsys_train_t *t)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        t_check(c[i].name, m, t, c[i].pearson, c[i].shrink, c[i].k,
                c[i].top);
    }
}


static void
t_hand(t_matrix_t *m)
{
    /* users 1..7, items 1..8 */
    static const double  r[7][8] = {
        { 5, 3, 4, 0, 1, 0, 0, 0 },
        { 4, 2, 5, 3, 0, 0, 0, 0 },
        { 0, 4, 0, 4, 0, 2, 0, 0 },
        { 1, 0, 2, 0, 5, 0, 4, 0 },
        { 5, 4, 0, 0, 0, 3, 0, 2 },
        { 5, 4, 0, 0, 0, 3, 0, 2 },     /* = user 5: ties */
        { 0, 0, 3, 0, 3, 0, 0, 0 }      /* constant: no Pearson */
    };
    int  u, i;

    memset(m, 0, sizeof(t_matrix_t));
    m->nu = 7;
    m->ni = 8;

    for (u = 0; u < 7; u++) {
        for (i = 0; i < 8; i++) {
            m->r[u][i] = r[u][i];
        }
    }
}


static uint64_t  t_seed = 88172645463325252ULL;

static uint32_t
t_rand(void)
{
    t_seed ^= t_seed << 13;
    t_seed ^= t_seed >> 7;
    t_seed ^= t_seed << 17;

    return (uint32_t) (t_seed >> 11);
}


static void
t_random(t_matrix_t *m)
{
    int  u, i;

    memset(m, 0, sizeof(t_matrix_t));
    m->nu = 30;
    m->ni = 20;

    for (u = 0; u < m->nu; u++) {
        for (i = 0; i < m->ni; i++) {
            if (t_rand() % 100 < 45 || i == u % m->ni) {
                m->r[u][i] = 1.0 + 0.5 * (t_rand() % 9);
            }
        }
    }
}


int
main(void)
{
    int                   u, x, ok, ok_le;
    uint32_t              e;
    t_list_t              l;
    t_matrix_t            m;
    recsys_csr_t          full, capped;
    recsys_data_t         d;
    recsys_train_t        t;
    recsys_usercf_opts_t  o;

    static const t_case_t  hand[] = {
        { "hand cosine", 0, 0.0, 3, 4 },
        { "hand cosine shrink 2", 0, 2.0, 3, 4 },
        { "hand pearson", 1, 0.0, 3, 4 },
        { "hand pearson shrink 2", 1, 2.0, 6, 8 },
    };

    static const t_case_t  rnd[] = {
        { "random cosine", 0, 0.0, 5, 6 },
        { "random cosine shrink 5", 0, 5.0, 8, 10 },
        { "random pearson", 1, 0.0, 5, 6 },
        { "random pearson shrink 10", 1, 10.0, 29, 20 },
    };

    t_mkdtemp(t_dir, sizeof(t_dir), "test_usercf");

    /* hand fixture */

    t_hand(&m);
    tap_ok(t_load(&m, "hand.csv", &d, &t), "hand fixture ingested");

    /*
     * worked out: cos(u1, u2) = 46 / sqrt(51 * 54) = 0.8768, cos(u1, u5) =
     * cos(u1, u6) = 37 / sqrt(51 * 54) = 0.7053, cos(u1, u7) = 15 /
     * sqrt(51 * 18) = 0.4951: the best three are 2, 5, 6
     */
    t_ref_neighbors(&m, 0, 0.0, 3, 0, &l);
    tap_ok(l.n == 3 && l.idx[0] == 1 && l.idx[1] == 4 && l.idx[2] == 5,
           "reference: user 1's best cosine neighbours are 2, 5, 6");
    tap_is_num(l.score[0], 46 / sqrt(51.0 * 54), 1e-12,
               "reference: cos(u1, u2) by hand");
    tap_is_num(t_sim(&m, 0, 0.0, 4, 5), 1.0, 1e-12,
               "reference: identical users have cosine 1");
    tap_is_num(t_sim(&m, 1, 0.0, 6, 0), 0.0, 0.0,
               "reference: a constant user has no Pearson similarity");
    /*
     * Pearson(u1, u2) on items 1..3, (5,3,4) vs (4,2,5): means 4 and 11/3,
     * deviations (1,-1,0) and (1/3,-5/3,4/3): 2 / sqrt(2 * 42/9) = sqrt(3/7)
     */
    tap_is_num(t_sim(&m, 1, 0.0, 0, 1), sqrt(3 / 7.0), 1e-12,
               "reference: Pearson(u1, u2) = sqrt(3/7) by hand");
    tap_is_num(t_sim(&m, 1, 2.0, 0, 1), sqrt(3 / 7.0) * 3 / 5.0, 1e-12,
               "reference: shrink 2 gives it * 3 / (3 + 2)");

    t_checks(hand, sizeof(hand) / sizeof(hand[0]), &m, &t);

    o = recsys_usercf_default;
    o.k = 6;
    recsys_usercf_neighbors(&t, &o, &full);
    tap_ok(full.entries[full.offsets[0] + 1].item == 4
           && full.entries[full.offsets[0] + 2].item == 5
           && full.entries[full.offsets[0] + 1].score
              == full.entries[full.offsets[0] + 2].score,
           "equal similarities go to the smaller user index");

    o.sim = RECSYS_USERCF_PEARSON;
    recsys_csr_free(&full);
    recsys_usercf_neighbors(&t, &o, &full);
    ok = 1;
    for (u = 0; u < (int) t.n_users; u++) {
        for (e = full.offsets[u]; e < full.offsets[u + 1]; e++) {
            ok &= full.entries[e].item != 6 && full.entries[e].score > 0.0f;
        }
    }

    tap_ok(ok && full.offsets[7] == full.offsets[6],
           "Pearson: the constant user has no neighbours and is none");
    recsys_csr_free(&full);

    recsys_train_free(&t);
    recsys_data_free(&d);

    /* random fixture */

    t_random(&m);
    tap_ok(t_load(&m, "random.csv", &d, &t), "random fixture ingested");

    t_checks(rnd, sizeof(rnd) / sizeof(rnd[0]), &m, &t);

    /*
     * max_item_users: at or above the largest item degree nothing
     * changes; below it, co-rated items are only dropped, so each cosine
     * can only fall (ratings are positive), never exceed brute force.
     */

    o = recsys_usercf_default;
    o.k = 29;
    o.max_item_users = 0;
    recsys_usercf_neighbors(&t, &o, &full);
    o.max_item_users = 30;
    recsys_usercf_neighbors(&t, &o, &capped);

    ok = full.n_entries == capped.n_entries
         && memcmp(full.offsets, capped.offsets, 31 * sizeof(uint32_t)) == 0
         && memcmp(full.entries, capped.entries,
                   full.n_entries * sizeof(recsys_entry_t)) == 0;
    tap_ok(ok, "max_item_users >= every item's degree changes nothing");
    recsys_csr_free(&capped);

    o.max_item_users = 5;
    tap_is_int(recsys_usercf_neighbors(&t, &o, &capped), RECSYS_OK,
               "max_item_users 5 runs");

    ok_le = 1;
    for (u = 0; u < m.nu; u++) {
        for (x = capped.offsets[u]; x < (int) capped.offsets[u + 1]; x++) {
            double  want;

            want = t_sim(&m, 0, 0.0, u, capped.entries[x].item);
            ok_le &= capped.entries[x].score <= want + 1e-6
                     && capped.entries[x].score > 0.0f
                     && (int) capped.entries[x].item != u;

            if (x > (int) capped.offsets[u]) {
                ok_le &= capped.entries[x - 1].score
                         >= capped.entries[x].score;
            }
        }
    }

    tap_ok(ok_le && capped.n_entries < full.n_entries,
           "max_item_users 5: sampled cosines never exceed brute force");

    recsys_csr_free(&full);
    recsys_csr_free(&capped);

    /* k = 0 and top = 0: empty rows */

    o.k = 0;
    recsys_usercf_neighbors(&t, &o, &full);
    tap_ok(full.n_rows == t.n_users && full.n_entries == 0,
           "k 0 gives empty neighbour rows");
    recsys_csr_free(&full);

    recsys_train_free(&t);
    recsys_data_free(&d);
    rmdir(t_dir);

    return tap_done();
}
