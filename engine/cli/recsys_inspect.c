/*
 * recsys_inspect.c: printing what a model holds, through the same read
 * side the module uses (recsys_model.c), so what it shows is what nginx
 * serves.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recsys_attrs.h"
#include "recsys_inspect.h"
#include "recsys_model.h"
#include "recsys_rules_read.h"
#include "recsys_schema.h"
#include "recsys_status.h"

#define RECSYS_INSPECT_ROWS  20


static void
recsys_inspect_item_line(const recsys_model_t *m, uint32_t item, float score)
{
    recsys_item_t  it;

    recsys_model_item_get(m, item, &it);
    printf("  %-12.*s %10.6f  %.*s\n", (int) it.ext_len, it.ext, score,
           (int) it.meta_json_len, it.meta_json);
}


static void
recsys_inspect_row(const recsys_model_t *m, const char *title,
    const recsys_list_t *list, uint32_t row)
{
    uint32_t      j;
    recsys_row_t  r;

    if (list == NULL) {
        return;
    }

    r = recsys_list_row(list, row);

    printf("%s (%u, first %d):\n", title, r.n, RECSYS_INSPECT_ROWS);

    for (j = 0; j < r.n && j < RECSYS_INSPECT_ROWS; j++) {
        recsys_inspect_item_line(m, recsys_row_item(r, j),
                                 recsys_row_score(r, j));
    }
}


static void
recsys_inspect_meta(const recsys_model_t *m, const char *key)
{
    size_t       len;
    const char  *v;

    if (recsys_model_meta(m, key, &v, &len) == RECSYS_OK) {
        printf("%-14s %.*s\n", key, (int) len, v);
    }
}


static void
recsys_inspect_stats(const recsys_model_t *m)
{
    int                     k;
    char                    when[64];
    time_t                  t;
    struct tm               tm;
    const recsys_header_t  *h;

    h = recsys_model_header(m);
    t = (time_t) h->build_time;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);

    printf("%-14s %s\n", "model_id", recsys_model_id(m));
    printf("%-14s %u\n", "format", h->format_version);
    printf("%-14s %s\n", "built", when);
    printf("%-14s %u\n", "users", h->n_users);
    printf("%-14s %u\n", "items", h->n_items);
    printf("%-14s %llu\n", "interactions",
           (unsigned long long) h->n_interactions);
    printf("%-14s", "sources");

    for (k = 0; k < RECSYS_NSRC; k++) {
        if (h->sources & (1u << k)) {
            printf(" %s", recsys_model_source_name(m, k));
        }
    }

    printf("\n");

    recsys_inspect_meta(m, RECSYS_META_PARAMS);
    recsys_inspect_meta(m, RECSYS_META_STATS);
    recsys_inspect_meta(m, RECSYS_META_GENRES);
}


/* A genre's name from the model's genre table, for tables. */
static void
recsys_inspect_genre_name(const recsys_model_t *m, uint32_t g, char *buf,
    size_t size)
{
    size_t       len;
    const char  *v;

    /* the names are in meta "genres" as a JSON array: walk it plainly */
    snprintf(buf, size, "#%u", g);

    if (recsys_model_meta(m, RECSYS_META_GENRES, &v, &len) != RECSYS_OK) {
        return;
    }

    while (len > 0 && g > 0) {
        if (*v == ',') {
            g--;
        }
        v++;
        len--;
    }

    while (len > 0 && (*v == '[' || *v == '"' || *v == ',')) {
        v++;
        len--;
    }

    size_t n = 0;
    while (n < len && v[n] != '"') {
        n++;
    }

    snprintf(buf, size, "%.*s", (int) n, v);
}


static void
recsys_inspect_item_id(const recsys_model_t *m, uint32_t item, char *buf,
    size_t size)
{
    recsys_item_t  it;

    recsys_model_item_get(m, item, &it);
    snprintf(buf, size, "%.*s", (int) it.id_json_len, it.id_json);
}


/* sequences: the strongest next-item transitions (the Markov lists). */
static void
recsys_inspect_sequences(const recsys_model_t *m, int json)
{
    char                  a[300], b[300];
    uint32_t              i, n, best;
    float                 p;
    recsys_row_t          r;
    recsys_topk_t         top;
    recsys_scored_t       heap[20];
    const recsys_list_t  *next;

    next = recsys_model_source_list(m, RECSYS_L_ITEM_NBRS, RECSYS_SRC_MARKOV);

    if (next == NULL) {
        printf(json ? "{\"transitions\":[]}\n"
                    : "no sequence model in this model\n");
        return;
    }

    /* each item's likeliest next item; the 20 strongest of those */
    recsys_topk_init(&top, heap, 20);

    for (i = 0; i < next->n_rows; i++) {
        r = recsys_list_row(next, i);
        if (r.n > 0) {
            recsys_topk_push(&top, i, recsys_row_score(r, 0));
        }
    }

    n = recsys_topk_sort(&top);

    printf(json ? "{\"transitions\":[" : "  P(next)  from -> to\n");

    for (i = 0; i < n; i++) {
        r = recsys_list_row(next, heap[i].item);
        best = recsys_row_item(r, 0);
        p = recsys_row_score(r, 0);
        recsys_inspect_item_id(m, heap[i].item, a, sizeof(a));
        recsys_inspect_item_id(m, best, b, sizeof(b));

        if (json) {
            printf("%s{\"from\":%s,\"to\":%s,\"p\":%.6f}", i ? "," : "", a,
                   b, p);

        } else {
            printf("%8.4f  %s -> %s\n", p, a, b);
        }
    }

    printf(json ? "]}\n" : "");
}


/* segments: sizes, strongest genres and top items per segment. */
static void
recsys_inspect_segments(const recsys_model_t *m, int json)
{
    char                  name[128], id[300];
    uint32_t              k, u, j, n_seg, *size;
    recsys_row_t          r;
    const recsys_list_t  *us;

    n_seg = recsys_model_header(m)->n_segments;
    us = recsys_model_list(m, RECSYS_L_USER_SEGMENT);

    if (us == NULL || n_seg == 0) {
        printf(json ? "{\"segments\":[]}\n" : "no segments in this model\n");
        return;
    }

    size = calloc(n_seg + 1, sizeof(uint32_t));
    if (size == NULL) {
        return;
    }

    for (u = 0; u < us->n_rows; u++) {
        r = recsys_list_row(us, u);
        if (r.n > 0) {
            size[recsys_row_item(r, 0)]++;
        }
    }

    printf(json ? "{\"segments\":[" : "segment  users  top genres / top items\n");

    for (k = 0; k < n_seg; k++) {
        if (json) {
            printf("%s{\"segment\":%u,\"users\":%u,\"genres\":[", k ? "," : "",
                   k, size[k]);
        } else {
            printf("%7u %6u ", k, size[k]);
        }

        r = recsys_list_row(recsys_model_list(m, RECSYS_L_SEGMENT_GENRES), k);
        for (j = 0; j < r.n; j++) {
            recsys_inspect_genre_name(m, recsys_row_item(r, j), name,
                                      sizeof(name));
            printf(json ? "%s{\"genre\":\"%s\",\"weight\":%.4f}" : "%s%s %.2f",
                   j ? (json ? "," : ", ") : "", name, recsys_row_score(r, j));
        }

        printf(json ? "],\"items\":[" : "\n               ");

        r = recsys_list_row(recsys_model_list(m, RECSYS_L_SEGMENT_TOP), k);
        for (j = 0; j < r.n && j < 5; j++) {
            recsys_inspect_item_id(m, recsys_row_item(r, j), id, sizeof(id));
            printf(json ? "%s{\"id\":%s,\"share\":%.4f}" : "%s%s %.2f",
                   j ? (json ? "," : ", ") : "", id, recsys_row_score(r, j));
        }

        printf(json ? "]}" : "\n");
    }

    printf(json ? "]}\n" : "");
    free(size);
}


/* rules: the strongest by lift, with support and confidence. */
static void
recsys_inspect_rules(const recsys_model_t *m, int json, uint32_t limit)
{
    char                        id[300];
    uint32_t                    r, k, n, *order, i, j, t;
    recsys_rule_t               rule, other;
    const recsys_rules_view_t  *v;

    v = recsys_model_rules(m);

    if (v == NULL || v->n_rules == 0) {
        printf(json ? "{\"rules\":[]}\n" : "no rules in this model\n");
        return;
    }

    /* the top `limit` by lift: a partial selection sort over indexes */
    n = v->n_rules < limit ? v->n_rules : limit;
    order = malloc((size_t) v->n_rules * sizeof(uint32_t));
    if (order == NULL) {
        return;
    }

    for (r = 0; r < v->n_rules; r++) {
        order[r] = r;
    }

    for (i = 0; i < n; i++) {
        for (j = i + 1; j < v->n_rules; j++) {
            recsys_rules_get(v, order[i], &rule);
            recsys_rules_get(v, order[j], &other);

            if (other.lift > rule.lift
                || (other.lift == rule.lift
                    && other.confidence > rule.confidence))
            {
                t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
    }

    printf(json ? "{\"n_rules\":%u,\"rules\":[" : "%u rules; the strongest by lift:\n"
           "   lift  confidence  support  rule\n", v->n_rules);

    for (i = 0; i < n; i++) {
        recsys_rules_get(v, order[i], &rule);

        if (json) {
            printf("%s{\"if\":[", i ? "," : "");
        } else {
            printf("%7.2f  %10.3f  %7.4f  ", rule.lift, rule.confidence,
                   rule.support);
        }

        for (k = 0; k < rule.n_ante; k++) {
            recsys_inspect_item_id(m, rule.ante[k], id, sizeof(id));
            printf("%s%s", k ? (json ? "," : " + ") : "", id);
        }

        recsys_inspect_item_id(m, rule.cons, id, sizeof(id));

        if (json) {
            printf("],\"then\":%s,\"support\":%.6f,\"confidence\":%.6f,"
                   "\"lift\":%.6f}", id, rule.support, rule.confidence,
                   rule.lift);
        } else {
            printf(" -> %s\n", id);
        }
    }

    printf(json ? "]}\n" : "");
    free(order);
}


/* An item's catalog attributes, one line each: name (type): value. */
static void
recsys_inspect_attrs(const recsys_model_t *m, uint32_t item)
{
    char                   date[32];
    double                 v;
    size_t                 len;
    uint32_t               k, j, n;
    time_t                 t;
    struct tm              tm;
    const char            *p;
    const recsys_attr_t   *at;
    const recsys_attrs_t  *a;
    const unsigned char   *vals;

    static const char  *types[] = { "", "number", "string", "list", "date" };

    a = recsys_model_attrs(m);

    for (k = 0; a != NULL && k < a->n_attrs; k++) {
        at = &a->attr[k];
        printf("  %.*s (%s): ", (int) at->name_len, at->name,
               types[at->type]);

        if (at->nums != NULL) {
            v = recsys_attrs_number(at, item);
            t = (time_t) v;

            if (v != v) {
                printf("-\n");

            } else if (at->type == RECSYS_ATTR_DATE
                       && gmtime_r(&t, &tm) != NULL)
            {
                strftime(date, sizeof(date),
                         t % 86400 ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d", &tm);
                printf("%s\n", date);

            } else {
                printf("%.15g\n", v);
            }

            continue;
        }

        recsys_attrs_values(at, item, &vals, &n);

        for (j = 0; j < n; j++) {
            p = recsys_attrs_dict(at, recsys_get_u32(vals + (size_t) j * 4),
                                  &len);
            printf("%s%.*s", j ? "|" : "", (int) len, p);
        }

        printf("%s\n", n ? "" : "-");
    }
}


/* A user's or an item's index by id (recsys_model_user() or _item()). */
typedef int (*recsys_inspect_find_pt)(const recsys_model_t *model,
    const char *id, size_t len, uint32_t *index);


/* Whether find knows id (its index into *index); if not, says so. */
static int
recsys_inspect_find(const recsys_model_t *m, recsys_inspect_find_pt find,
    const char *what, const char *id, uint32_t *index)
{
    if (find(m, id, strlen(id), index) == RECSYS_OK) {
        return 1;
    }

    fprintf(stderr, "recsys-build: unknown %s \"%s\"\n", what, id);

    return 0;
}


/*
 * Prints row index of every source's list from base (RECSYS_L_ITEM_NBRS
 * or RECSYS_L_USER_RECS).
 */
static void
recsys_inspect_sources(const recsys_model_t *m, recsys_list_id_t base,
    uint32_t index)
{
    int  k;

    for (k = 0; k < RECSYS_NSRC; k++) {
        recsys_inspect_row(m, recsys_model_source_name(m, k),
                           recsys_model_source_list(m, base, k), index);
    }
}


int
recsys_inspect_main(int argc, char **argv)
{
    int              rc, json;
    char             err[512];
    uint32_t         index;
    recsys_item_t    it;
    recsys_model_t  *m;

    if (argc < 1) {
        fprintf(stderr, "recsys-build: inspect MODEL "
                "[stats | user ID | item ID]\n");
        return 2;
    }

    rc = recsys_model_open_flags(argv[0], RECSYS_MODEL_OPEN_VERIFY, &m, err,
                                 sizeof(err));

    if (rc != RECSYS_OK) {
        fprintf(stderr, "recsys-build: %s: %s (%s)\n", argv[0], err,
                recsys_strerror(rc));
        return 1;
    }

    rc = 0;

    json = argc >= 3 && strcmp(argv[argc - 1], "--json") == 0;

    if (argc < 2 || strcmp(argv[1], "stats") == 0) {
        recsys_inspect_stats(m);

    } else if (strcmp(argv[1], "segments") == 0) {
        recsys_inspect_segments(m, json);

    } else if (strcmp(argv[1], "rules") == 0) {
        recsys_inspect_rules(m, json, 20);

    } else if (strcmp(argv[1], "sequences") == 0) {
        recsys_inspect_sequences(m, json);

    } else if (argc == 3 && strcmp(argv[1], "user") == 0) {
        if (!recsys_inspect_find(m, recsys_model_user, "user", argv[2],
                                 &index))
        {
            rc = 1;

        } else {
            printf("user %s (index %u)\n", argv[2], index);
            recsys_inspect_row(m, "history, newest first",
                               recsys_model_list(m, RECSYS_L_USER_HIST),
                               index);
            recsys_inspect_row(m, "hybrid",
                               recsys_model_list(m, RECSYS_L_HYBRID), index);
            recsys_inspect_sources(m, RECSYS_L_USER_RECS, index);
        }

    } else if (argc == 3 && strcmp(argv[1], "item") == 0) {
        if (!recsys_inspect_find(m, recsys_model_item, "item", argv[2],
                                 &index))
        {
            rc = 1;

        } else {
            recsys_model_item_get(m, index, &it);
            printf("item %s (index %u): %.*s\n", argv[2], index,
                   (int) it.meta_json_len, it.meta_json);
            recsys_inspect_attrs(m, index);
            recsys_inspect_sources(m, RECSYS_L_ITEM_NBRS, index);
        }

    } else {
        fprintf(stderr, "recsys-build: inspect MODEL [stats | user ID | "
                "item ID | segments | rules | sequences] [--json]\n");
        rc = 2;
    }

    recsys_model_close(m);

    return rc;
}
