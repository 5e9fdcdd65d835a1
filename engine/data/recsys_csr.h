/*
 * recsys_csr.h: ragged arrays of (index, score) entries while building.
 *
 * The builder's in-memory form of a list blob (see recsys_schema.h): row r
 * holds entries[offsets[r] .. offsets[r + 1]).  recsys_csr_view() lends the
 * same memory to the read-side functions as a recsys_list_t, so request-time
 * code can run over a model before it is written.
 *
 * recsys_csr_pack() is how parallel builders finish: each row's results
 * are computed into fixed slots (k per row, count[r] used), then packed.
 */

#ifndef RECSYS_CSR_H
#define RECSYS_CSR_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_model.h"
#include "recsys_topk.h"


typedef struct {
    uint32_t         n_rows;
    uint32_t         n_entries;
    uint32_t        *offsets;       /* n_rows + 1 */
    recsys_entry_t  *entries;
} recsys_csr_t;


static inline int
recsys_csr_alloc(recsys_csr_t *c, uint32_t n_rows, uint64_t n_entries)
{
    if (n_entries > UINT32_MAX) {
        return -1;
    }

    c->n_rows = n_rows;
    c->n_entries = (uint32_t) n_entries;
    c->offsets = calloc((size_t) n_rows + 1, sizeof(uint32_t));
    c->entries = malloc((size_t) (n_entries ? n_entries : 1)
                        * sizeof(recsys_entry_t));

    if (c->offsets == NULL || c->entries == NULL) {
        free(c->offsets);
        free(c->entries);
        c->offsets = NULL;
        c->entries = NULL;
        return -1;
    }

    return 0;
}


static inline void
recsys_csr_free(recsys_csr_t *c)
{
    free(c->offsets);
    free(c->entries);
    c->offsets = NULL;
    c->entries = NULL;
}


/*
 * A list of one row of n entries, the entries left to the caller: 0, or -1
 * when out of memory (c is then empty).
 */
static inline int
recsys_csr_alloc_row(recsys_csr_t *c, uint32_t n)
{
    if (recsys_csr_alloc(c, 1, n) != 0) {
        return -1;
    }

    c->offsets[0] = 0;
    c->offsets[1] = n;

    return 0;
}


/* The mean score of row r of c (summed as doubles), 0 for an empty row. */
static inline double
recsys_csr_row_mean(const recsys_csr_t *c, uint32_t r)
{
    double    s;
    uint32_t  e, n;

    s = 0.0;
    for (e = c->offsets[r]; e < c->offsets[r + 1]; e++) {
        s += c->entries[e].score;
    }

    n = c->offsets[r + 1] - c->offsets[r];

    return n ? s / n : 0.0;
}


/*
 * Packs count[r] entries at slots + r * k, for every row r, into c.
 * RECSYS_OK, RECSYS_ELIMIT (more than 2^32 - 1 entries) or RECSYS_ENOMEM.
 */
static inline int
recsys_csr_pack(recsys_csr_t *c, uint32_t n_rows, uint32_t k,
    const uint32_t *count, const recsys_entry_t *slots)
{
    uint32_t  r;
    uint64_t  total;

    total = 0;
    for (r = 0; r < n_rows; r++) {
        total += count[r];
    }

    if (total > UINT32_MAX) {
        return RECSYS_ELIMIT;
    }

    if (recsys_csr_alloc(c, n_rows, total) != 0) {
        return RECSYS_ENOMEM;
    }

    total = 0;
    for (r = 0; r < n_rows; r++) {
        c->offsets[r] = (uint32_t) total;

        if (count[r] > 0) {
            memcpy(c->entries + total, slots + (size_t) r * k,
                   (size_t) count[r] * sizeof(recsys_entry_t));
        }

        total += count[r];
    }

    c->offsets[n_rows] = (uint32_t) total;

    return RECSYS_OK;
}


/* count[n_rows + 1] zeroed and slots for k entries per row. */
static inline int
recsys_slots_alloc(uint32_t n_rows, uint32_t k, uint32_t **count,
    recsys_entry_t **slots)
{
    *count = calloc((size_t) n_rows + 1, sizeof(uint32_t));
    *slots = malloc(((size_t) n_rows * k + 1) * sizeof(recsys_entry_t));

    if (*count == NULL || *slots == NULL) {
        free(*count);
        free(*slots);
        *count = NULL;
        *slots = NULL;
        return RECSYS_ENOMEM;
    }

    return RECSYS_OK;
}


/* Row r's n best (n <= k) into its slots. */
static inline void
recsys_slots_put(uint32_t *count, recsys_entry_t *slots, uint32_t k,
    uint32_t r, const recsys_scored_t *best, uint32_t n)
{
    uint32_t  j;

    count[r] = n;

    for (j = 0; j < n; j++) {
        slots[(size_t) r * k + j].item = best[j].item;
        slots[(size_t) r * k + j].score = best[j].score;
    }
}


/* recsys_csr_pack() unless a worker failed (RECSYS_ENOMEM); frees both. */
static inline int
recsys_slots_pack(int failed, uint32_t n_rows, uint32_t k, uint32_t *count,
    recsys_entry_t *slots, recsys_csr_t *dst)
{
    int  rc;

    rc = failed ? RECSYS_ENOMEM : recsys_csr_pack(dst, n_rows, k, count, slots);

    free(count);
    free(slots);

    return rc;
}


static inline recsys_list_t
recsys_csr_view(const recsys_csr_t *c)
{
    recsys_list_t  l;

    l.offsets = (const unsigned char *) c->offsets;
    l.entries = (const unsigned char *) c->entries;
    l.n_rows = c->n_rows;
    l.n_entries = c->n_entries;

    return l;
}

#endif /* RECSYS_CSR_H */
