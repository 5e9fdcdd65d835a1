/*
 * recsys_build_explain.c: each user's explanations, computed at build time.
 *
 * explain=1 for a known user reads the stored hybrid list, then credits
 * each result's sources from the user's per-source lists and names the
 * history items behind it by walking the item-to-item rows of the newest
 * history items: some 190 cache lines at scattered places in the map per
 * request, where the list alone is a few.  For the first explain_top
 * entries of every user's stored hybrid list the builder runs the engine's
 * own query (the code a request runs) with explain=1 over the written,
 * still unpublished file, and stores what it answers as the "user.explain"
 * table (recsys_schema.h).  A request the table answers reads one short
 * row and returns what the walk would have, bit for bit; any other request
 * (its own weights, a session, another explain_history, a result beyond
 * the stored records) walks as before.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_arena.h"
#include "recsys_build_explain.h"
#include "recsys_mapped.h"
#include "recsys_model.h"
#include "recsys_query.h"


/* the largest record: every source has a part, every because item set */
#define RECSYS_EXPLAIN_RECORD_MAX  \
    (8 + 4 * (RECSYS_NSRC + RECSYS_EXPLAIN_BECAUSE_MAX))

/* users whose records are computed together, in parallel */
#define RECSYS_EXPLAIN_CHUNK  1024


/* Writes one result's record at p; returns its size. */
static size_t
recsys_build_explain_record(unsigned char *p, uint32_t item,
    const recsys_why_t *why)
{
    int       s;
    size_t    at;
    uint16_t  sources, n_because;
    uint32_t  k;

    sources = 0;
    at = 8;

    for (s = 0; s < RECSYS_NSRC; s++) {
        if (why->contrib[s] != 0.0f) {
            sources |= (uint16_t) (1u << s);
            memcpy(p + at, &why->contrib[s], 4);
            at += 4;
        }
    }

    for (k = 0; k < why->n_because; k++) {
        memcpy(p + at, &why->because[k], 4);
        at += 4;
    }

    n_because = (uint16_t) why->n_because;

    memcpy(p, &item, 4);
    memcpy(p + 4, &sources, 2);
    memcpy(p + 6, &n_because, 2);

    return at;
}


/*
 * User u's records into p (room for top records of the largest size);
 * their size in *len.  Only the results that are the stored hybrid row's
 * own first entries get records: a sparse user's answer (their segment's)
 * or the popular fill after a short row is not what a request reading the
 * row would explain.
 */
static int
recsys_build_explain_user(const recsys_model_t *m, const recsys_list_t *hybrid,
    const recsys_build_opts_t *o, uint32_t u, recsys_alloc_t *a,
    unsigned char *p, size_t *len)
{
    int              rc;
    uint32_t         k;
    recsys_row_t     row;
    recsys_query_t   q;
    recsys_result_t  res;

    *len = 0;

    row = recsys_list_row(hybrid, u);
    if (row.n == 0) {
        return RECSYS_OK;
    }

    memset(&q, 0, sizeof(q));
    q.algo = RECSYS_ALGO_HYBRID;
    q.user = u;
    q.item = RECSYS_NO_INDEX;
    q.n = o->explain_top;
    q.explain = 1;
    q.explain_history = o->explain_history;

    rc = recsys_query_run(m, &q, a, &res);
    if (rc != RECSYS_OK) {
        return rc;
    }

    if (res.algo != RECSYS_ALGO_HYBRID || res.fallback != RECSYS_FALLBACK_NONE
        || res.why == NULL)
    {
        return RECSYS_OK;
    }

    for (k = 0; k < res.n && k < row.n; k++) {
        if (res.items[k].item != recsys_row_item(row, k)
            || res.why[k].rule != RECSYS_NO_INDEX)
        {
            break;
        }

        *len += recsys_build_explain_record(p + *len, res.items[k].item,
                                            &res.why[k]);
    }

    return RECSYS_OK;
}


/* Users from..to into buf (RECSYS_EXPLAIN_RECORD_MAX x top per user). */
static int
recsys_build_explain_chunk(const recsys_model_t *m,
    const recsys_list_t *hybrid, const recsys_build_opts_t *o,
    uint32_t from, uint32_t to, unsigned char *buf, size_t *lens)
{
    int     failed;
    long    u;
    size_t  room, arena_size;

    failed = 0;
    room = (size_t) RECSYS_EXPLAIN_RECORD_MAX * o->explain_top;

    /* the query's own allocations: results, sets, explanations, credits */
    arena_size = 65536 + (size_t) o->explain_top
                         * (512 + 4 * (size_t) o->explain_history);

#pragma omp parallel
    {
        recsys_arena_t  arena;
        recsys_alloc_t  a;

        arena.size = arena_size;
        arena.used = 0;
        arena.base = malloc(arena.size);
        a.alloc = recsys_arena_alloc;
        a.ctx = &arena;

        if (arena.base == NULL) {
#pragma omp atomic write
            failed = RECSYS_ENOMEM;
        }

#pragma omp for schedule(dynamic, 16)
        for (u = (long) from; u < (long) to; u++) {
            int  rc;

            if (arena.base == NULL) {
                continue;
            }

            arena.used = 0;
            rc = recsys_build_explain_user(m, hybrid, o, (uint32_t) u, &a,
                                           buf + (size_t) (u - from) * room,
                                           &lens[u - from]);
            if (rc != RECSYS_OK) {
#pragma omp atomic write
                failed = rc;
            }
        }

        free(arena.base);
    }

    return failed ? failed : RECSYS_OK;
}


/* Row u of the table starts at byte off of its records. */
static void
recsys_build_explain_offset(unsigned char *blob, uint32_t u, size_t off)
{
    uint32_t  v;

    v = (uint32_t) off;
    memcpy(blob + sizeof(recsys_table_head_t) + (size_t) u * 4, &v, 4);
}


/* Appends n bytes to a growing buffer. */
static int
recsys_build_explain_append(unsigned char **data, size_t *size, size_t *cap,
    const unsigned char *p, size_t n)
{
    size_t          want;
    unsigned char  *grown;

    if (n == 0) {
        return RECSYS_OK;
    }

    if (*size + n > *cap) {
        want = *cap ? *cap : 1 << 20;
        while (want < *size + n) {
            want *= 2;
        }

        grown = realloc(*data, want);
        if (grown == NULL) {
            return RECSYS_ENOMEM;
        }

        *data = grown;
        *cap = want;
    }

    memcpy(*data + *size, p, n);
    *size += n;

    return RECSYS_OK;
}


int
recsys_build_explain(const char *path, const recsys_build_opts_t *o,
    unsigned char **blob, size_t *blob_size, char *err, size_t errlen)
{
    int                   rc;
    char                  why[256];
    size_t                size, cap, room, start, *lens;
    uint32_t              n_users, from, to, u;
    struct stat           st;
    unsigned char        *data, *buf;
    recsys_model_t       *m;
    recsys_mapped_t       map;
    recsys_table_head_t   head;
    const recsys_list_t  *hybrid;

    *blob = NULL;
    *blob_size = 0;

    rc = recsys_model_open_flags(path, RECSYS_MODEL_OPEN_DROP, &m, why,
                                 sizeof(why));
    if (rc != RECSYS_OK) {
        snprintf(err, errlen, "reading back %s: %s", path, why);
        return rc;
    }

    hybrid = recsys_model_list(m, RECSYS_L_HYBRID);
    if (hybrid == NULL || o->explain_top == 0) {
        recsys_model_close(m);
        return RECSYS_OK;
    }

    /*
     * the lists' pages the opening's checks read were given back, and so
     * are those each chunk reads, after it (recsys_mapped.h)
     */
    map.addr = NULL;
    if (stat(path, &st) == 0) {
        recsys_mapped_find(&map, &st);
        recsys_mapped_drop(&map);
    }

    n_users = recsys_model_header(m)->n_users;
    room = (size_t) RECSYS_EXPLAIN_RECORD_MAX * o->explain_top;

    /* the blob grows in place: head and offsets first, then the records */
    start = sizeof(head) + ((size_t) n_users + 1) * 4;
    cap = start + ((size_t) 1 << 20);
    data = malloc(cap);
    size = start;

    buf = malloc(room * RECSYS_EXPLAIN_CHUNK);
    lens = malloc(RECSYS_EXPLAIN_CHUNK * sizeof(size_t));
    rc = data && buf && lens ? RECSYS_OK : RECSYS_ENOMEM;

    for (from = 0; rc == RECSYS_OK && from < n_users; from = to) {
        to = n_users - from < RECSYS_EXPLAIN_CHUNK
             ? n_users : from + RECSYS_EXPLAIN_CHUNK;

        rc = recsys_build_explain_chunk(m, hybrid, o, from, to, buf, lens);
        recsys_mapped_drop(&map);

        for (u = from; rc == RECSYS_OK && u < to; u++) {
            recsys_build_explain_offset(data, u, size - start);
            rc = recsys_build_explain_append(&data, &size, &cap,
                                             buf + (size_t) (u - from) * room,
                                             lens[u - from]);
        }
    }

    if (rc == RECSYS_OK && size - start > UINT32_MAX) {
        rc = RECSYS_ENOMEM;             /* the table's offsets are 32-bit */
    }

    if (rc == RECSYS_OK) {
        recsys_build_explain_offset(data, n_users, size - start);
    }

    recsys_model_close(m);
    free(buf);
    free(lens);

    if (rc != RECSYS_OK) {
        free(data);
        snprintf(err, errlen, "explaining each user's list: %s",
                 recsys_strerror(rc));
        return rc;
    }

    head.magic = RECSYS_TABLE_MAGIC;
    head.n_rows = n_users;
    head.data_size = (uint32_t) (size - start);
    head.reserved = o->explain_history;
    memcpy(data, &head, sizeof(head));

    *blob = data;
    *blob_size = size;

    return rc;
}
