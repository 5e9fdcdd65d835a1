/*
 * bench/served_score.c: scores lists that nginx served against test rows.
 *
 *   served-score TRAIN.csv TEST.csv ANSWERS.csv K
 *
 * TRAIN.csv and TEST.csv are the halves of a split (`recsys-build eval
 * --save-split`): user,item[,...] with a header.  A user's relevant items
 * are the distinct items of the user's test rows that the user has no
 * train row of (recsys_eval_relevant's rule: such an item is no candidate
 * of the user); every user with a relevant item is evaluated.
 * ANSWERS.csv is algo,user,rank,item with a header: what GET /recommend
 * returned, rank 1 first; a row with rank 0 and an empty item says "asked,
 * nothing returned".  Every evaluated user needs an answer for every algo.
 *
 * The metrics are computed by the engine's own code (recsys_metrics.c,
 * linked in, not copied), the same calls recsys_eval.c makes: one
 * recsys_metrics_user() per user, recsys_metrics_average() over them.  Ids
 * are interned with the engine's dict and CSV reader, so any id that the
 * builder reads is read the same way here.
 *
 * Prints one line per algo, in order of first appearance:
 *
 *   algo USERS MAP NDCG PRECISION RECALL HIT_RATE
 *
 * with the values in %.17g.  Exit status 0, or 1 with a message on stderr.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_csv.h"
#include "recsys_dict.h"
#include "recsys_metrics.h"
#include "recsys_sorted.h"
#include "recsys_status.h"


typedef struct {
    uint32_t  algo;
    uint32_t  user;
    uint32_t  rank;
    uint32_t  item;         /* UINT32_MAX: the empty answer marker */
} served_row_t;

typedef struct {
    uint32_t  user;
    uint32_t  item;
} served_pair_t;


static void
served_die(const char *fmt, ...)
{
    va_list  ap;

    fprintf(stderr, "served-score: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}


static void *
served_grow(void *p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) {
        return p;
    }

    *cap = *cap ? *cap * 2 : 4096;
    p = realloc(p, *cap * size);

    if (p == NULL) {
        served_die("out of memory");
    }

    return p;
}


static int
served_cmp_row(const void *a, const void *b)
{
    const served_row_t  *x = a, *y = b;

    return recsys_sorted_then(recsys_sorted_order(x->algo, y->algo),
                              recsys_sorted_then(
                                  recsys_sorted_order(x->user, y->user),
                                  recsys_sorted_order(x->rank, y->rank)));
}


RECSYS_SORTED_CMP2(served_cmp_pair, served_pair_t, user, item)


static void
served_open(recsys_csv_t *csv, const char *path)
{
    int  rc;

    if (recsys_csv_open(csv, path, ',') != RECSYS_OK) {
        served_die("%s: %s", path, csv->err);
    }

    /* the header */
    rc = recsys_csv_next(csv);
    if (rc < 0) {
        served_die("%s:%llu: %s", path, (unsigned long long) csv->line,
                   csv->err);
    }
}


/*
 * The next data row of csv (opened from path) in csv->fields: 1, or 0 at
 * the end of the file, which is then closed.  Dies on a read error or a
 * row of fewer than n fields (expect names them).
 */
static int
served_next(recsys_csv_t *csv, const char *path, uint32_t n,
    const char *expect)
{
    int  rc;

    rc = recsys_csv_next(csv);

    if (rc < 0) {
        served_die("%s:%llu: %s", path, (unsigned long long) csv->line,
                   csv->err);
    }

    if (rc == 0) {
        recsys_csv_close(csv);
        return 0;
    }

    if (csv->n_fields < n) {
        served_die("%s:%llu: expected %s", path,
                   (unsigned long long) csv->line, expect);
    }

    return 1;
}


static void
served_intern(recsys_dict_t *d, const recsys_field_t *f, uint32_t *index,
    const char *path, uint64_t line)
{
    if (recsys_dict_intern(d, f->p, f->len, index) != RECSYS_OK) {
        served_die("%s:%llu: cannot intern an id", path,
                   (unsigned long long) line);
    }
}


/*
 * The (user, item) pairs of a split's half, interned, sorted and distinct;
 * returns how many, the array in *out.
 */
static size_t
served_pairs(const char *path, recsys_dict_t *users, recsys_dict_t *items,
    served_pair_t **out)
{
    size_t          n, cap, i, j;
    recsys_csv_t    csv;
    served_pair_t  *pairs;

    pairs = NULL;
    n = 0;
    cap = 0;

    served_open(&csv, path);

    while (served_next(&csv, path, 2, "user,item")) {
        pairs = served_grow(pairs, &cap, n, sizeof(*pairs));
        served_intern(users, &csv.fields[0], &pairs[n].user, path, csv.line);
        served_intern(items, &csv.fields[1], &pairs[n].item, path, csv.line);
        n++;
    }

    qsort(pairs, n, sizeof(*pairs), served_cmp_pair);

    for (i = 0, j = 0; i < n; i++) {
        if (j == 0 || pairs[j - 1].user != pairs[i].user
            || pairs[j - 1].item != pairs[i].item)
        {
            pairs[j++] = pairs[i];
        }
    }

    *out = pairs;

    return j;
}


int
main(int argc, char **argv)
{
    char                   *end;
    size_t                  n_pairs, n_train, n_rows, cap_rows, i, j, r;
    size_t                  n_users_eval, a_first;
    uint32_t                k, u, a, *ranked, n_ranked, *relevant;
    uint32_t                n_relevant;
    unsigned long           v;
    recsys_csv_t            csv;
    recsys_dict_t           users, items, algos;
    served_row_t           *rows, key;
    served_pair_t          *pairs, *train;
    recsys_metrics_user_t  *per_user;
    double                  metric[RECSYS_METRIC_RANKING_N];

    if (argc != 5) {
        fprintf(stderr, "usage: served-score TRAIN.csv TEST.csv ANSWERS.csv "
                "K\n");
        return 1;
    }

    /* from here argv[0] is TRAIN.csv, [1] TEST.csv, [2] ANSWERS.csv, [3] K */
    argv++;

    v = strtoul(argv[3], &end, 10);
    if (*end != '\0' || v < 1 || v > 100000) {
        served_die("K must be a whole number from 1 to 100000");
    }

    k = (uint32_t) v;

    if (recsys_dict_init(&users, 1024) != RECSYS_OK
        || recsys_dict_init(&items, 1024) != RECSYS_OK
        || recsys_dict_init(&algos, 8) != RECSYS_OK)
    {
        served_die("out of memory");
    }

    /* test pairs, less those the user has a train row of */

    n_train = served_pairs(argv[0], &users, &items, &train);
    n_pairs = served_pairs(argv[1], &users, &items, &pairs);

    for (i = 0, j = 0; i < n_pairs; i++) {
        if (bsearch(&pairs[i], train, n_train, sizeof(*train),
                    served_cmp_pair) == NULL)
        {
            pairs[j++] = pairs[i];
        }
    }

    n_pairs = j;
    free(train);

    /* answers */

    rows = NULL;
    n_rows = 0;
    cap_rows = 0;

    served_open(&csv, argv[2]);

    while (served_next(&csv, argv[2], 4, "algo,user,rank,item")) {
        rows = served_grow(rows, &cap_rows, n_rows, sizeof(*rows));
        served_intern(&algos, &csv.fields[0], &rows[n_rows].algo, argv[2],
                      csv.line);
        served_intern(&users, &csv.fields[1], &rows[n_rows].user, argv[2],
                      csv.line);

        v = strtoul(csv.fields[2].p, &end, 10);
        if (end != csv.fields[2].p + csv.fields[2].len) {
            served_die("%s:%llu: bad rank", argv[2],
                       (unsigned long long) csv.line);
        }

        rows[n_rows].rank = (uint32_t) v;

        if (v == 0) {
            rows[n_rows].item = UINT32_MAX;

        } else {
            served_intern(&items, &csv.fields[3], &rows[n_rows].item,
                          argv[2], csv.line);
        }

        n_rows++;
    }

    qsort(rows, n_rows, sizeof(*rows), served_cmp_row);

    per_user = malloc((users.n + 1) * sizeof(recsys_metrics_user_t));
    ranked = malloc((k + 1) * sizeof(uint32_t));
    relevant = malloc((n_pairs + 1) * sizeof(uint32_t));

    if (per_user == NULL || ranked == NULL || relevant == NULL) {
        served_die("out of memory");
    }

    /* per algo, per test user (pairs are sorted by user, then item) */

    for (a = 0; a < algos.n; a++) {
        n_users_eval = 0;

        for (i = 0; i < n_pairs; i = j) {
            size_t  len;

            u = pairs[i].user;
            n_relevant = 0;

            for (j = i; j < n_pairs && pairs[j].user == u; j++) {
                relevant[n_relevant++] = pairs[j].item;
            }

            /* the answer rows of (a, u) */
            key.algo = a;
            key.user = u;
            key.rank = 0;
            key.item = 0;

            a_first = n_rows;
            {
                size_t  lo = 0, hi = n_rows, mid;

                while (lo < hi) {
                    mid = lo + (hi - lo) / 2;
                    if (served_cmp_row(&rows[mid], &key) < 0) {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }

                a_first = lo;
            }

            if (a_first >= n_rows || rows[a_first].algo != a
                || rows[a_first].user != u)
            {
                const char  *uid = recsys_dict_key(&users, u, &len);
                size_t       alen;
                const char  *aid = recsys_dict_key(&algos, a, &alen);

                served_die("no answer for user \"%.*s\" from algo \"%.*s\"",
                           (int) len, uid, (int) alen, aid);
            }

            n_ranked = 0;
            for (r = a_first;
                 r < n_rows && rows[r].algo == a && rows[r].user == u;
                 r++)
            {
                if (rows[r].item != UINT32_MAX && n_ranked < k) {
                    ranked[n_ranked++] = rows[r].item;
                }
            }

            if (recsys_metrics_user(ranked, n_ranked, k, relevant,
                                    n_relevant, &per_user[n_users_eval])
                != RECSYS_OK)
            {
                served_die("recsys_metrics_user refused a user");
            }

            n_users_eval++;
        }

        recsys_metrics_average(per_user, n_users_eval, metric);

        {
            size_t  len;
            const char  *name = recsys_dict_key(&algos, a, &len);

            printf("%.*s %zu %.17g %.17g %.17g %.17g %.17g\n", (int) len,
                   name, n_users_eval, metric[RECSYS_METRIC_MAP],
                   metric[RECSYS_METRIC_NDCG],
                   metric[RECSYS_METRIC_PRECISION],
                   metric[RECSYS_METRIC_RECALL],
                   metric[RECSYS_METRIC_HIT_RATE]);
        }
    }

    free(per_user);
    free(ranked);
    free(relevant);
    free(rows);
    free(pairs);
    recsys_dict_free(&users);
    recsys_dict_free(&items);
    recsys_dict_free(&algos);

    return 0;
}
