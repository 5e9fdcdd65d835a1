/*
 * recsys_inspect.c: printing what a model holds, through the same read
 * side the module uses (recsys_model.c), so what it shows is what nginx
 * serves.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "recsys_inspect.h"
#include "recsys_model.h"
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
            printf(" %s", recsys_source_name(k));
        }
    }

    printf("\n");

    recsys_inspect_meta(m, RECSYS_META_PARAMS);
    recsys_inspect_meta(m, RECSYS_META_STATS);
    recsys_inspect_meta(m, RECSYS_META_GENRES);
}


int
recsys_inspect_main(int argc, char **argv)
{
    int              rc, k;
    char             err[512];
    uint32_t         index;
    recsys_item_t    it;
    recsys_model_t  *m;

    if (argc < 1) {
        fprintf(stderr, "recsys-build: inspect MODEL "
                "[stats | user ID | item ID]\n");
        return 2;
    }

    rc = recsys_model_open(argv[0], &m, err, sizeof(err));
    if (rc != RECSYS_OK) {
        fprintf(stderr, "recsys-build: %s: %s (%s)\n", argv[0], err,
                recsys_strerror(rc));
        return 1;
    }

    rc = 0;

    if (argc < 2 || strcmp(argv[1], "stats") == 0) {
        recsys_inspect_stats(m);

    } else if (argc == 3 && strcmp(argv[1], "user") == 0) {
        if (recsys_model_user(m, argv[2], strlen(argv[2]), &index)
            != RECSYS_OK)
        {
            fprintf(stderr, "recsys-build: unknown user \"%s\"\n", argv[2]);
            rc = 1;

        } else {
            printf("user %s (index %u)\n", argv[2], index);
            recsys_inspect_row(m, "history, newest first",
                               recsys_model_list(m, RECSYS_L_USER_HIST),
                               index);
            recsys_inspect_row(m, "hybrid",
                               recsys_model_list(m, RECSYS_L_HYBRID), index);

            for (k = 0; k < RECSYS_NSRC; k++) {
                recsys_inspect_row(m, recsys_source_name(k),
                                   recsys_model_source_list(m,
                                       RECSYS_L_USER_RECS, k),
                                   index);
            }
        }

    } else if (argc == 3 && strcmp(argv[1], "item") == 0) {
        if (recsys_model_item(m, argv[2], strlen(argv[2]), &index)
            != RECSYS_OK)
        {
            fprintf(stderr, "recsys-build: unknown item \"%s\"\n", argv[2]);
            rc = 1;

        } else {
            recsys_model_item_get(m, index, &it);
            printf("item %s (index %u): %.*s\n", argv[2], index,
                   (int) it.meta_json_len, it.meta_json);
            for (k = 0; k < RECSYS_NSRC; k++) {
                recsys_inspect_row(m, recsys_source_name(k),
                                   recsys_model_source_list(m,
                                       RECSYS_L_ITEM_NBRS, k),
                                   index);
            }
        }

    } else {
        fprintf(stderr, "recsys-build: inspect MODEL "
                "[stats | user ID | item ID]\n");
        rc = 2;
    }

    recsys_model_close(m);

    return rc;
}
