/*
 * recsys_live.h: what the engine knows of live events (the module's events
 * zone holds them; this is the nginx-free half).
 *
 *   - the model's event types: the builder's effective --event-weights
 *     table (meta "event_weights", recsys_schema.h), read once per model;
 *   - the item id hash a live event keeps instead of the id (44 bits, so an
 *     event fits 8 bytes with its type and age), and a per-model table from
 *     that hash back to the item's index; two ids of one model with the
 *     same hash are both left out of the table (their events are kept and
 *     logged, never scored);
 *   - the merge of a user's live events into the history that request-time
 *     scoring walks: one entry per item at the place of its newest event,
 *     its weight the sum of its events' weights, as the builder sums a
 *     user's rows for one item (the query merges a history= list's repeats
 *     alike).
 */

#ifndef RECSYS_LIVE_H
#define RECSYS_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_evjson.h"
#include "recsys_model.h"


#define RECSYS_LIVE_TYPES_MAX   15
#define RECSYS_LIVE_HASH_BITS   44


typedef struct {
    uint32_t   n;
    float      weight[RECSYS_LIVE_TYPES_MAX];
    uint8_t    len[RECSYS_LIVE_TYPES_MAX];
    char       name[RECSYS_LIVE_TYPES_MAX][RECSYS_EVJSON_TYPE_MAX];
} recsys_live_types_t;

typedef struct recsys_live_items_s  recsys_live_items_t;


/*
 * The model's event types (its meta table, or the defaults): RECSYS_OK,
 * or RECSYS_EINVAL when the table is malformed or has more than
 * RECSYS_LIVE_TYPES_MAX names.
 */
int recsys_live_types_read(const recsys_model_t *m, recsys_live_types_t *t);

/*
 * An --event-weights table ("name=w,...", empty entries skipped) into t:
 * RECSYS_OK, or RECSYS_EINVAL when an entry is not a name of 1 to
 * RECSYS_EVJSON_TYPE_MAX bytes, "=" and a finite number of at most 1e30 in
 * size (written in fewer than 32 bytes), or when there are more than
 * RECSYS_LIVE_TYPES_MAX names.  The model's table is read with it, and the
 * builder checks its option with it, so that it never writes a table that
 * the server would refuse.
 */
int recsys_live_types_parse(const char *spec, size_t len,
    recsys_live_types_t *t);

/* The index of type name (ASCII case ignored, as the builder does), -1. */
int recsys_live_type_find(const recsys_live_types_t *t, const char *name,
    size_t len);

/* A 64-bit hash of an id (the events zone keys its users by it). */
uint64_t recsys_live_hash64(const char *id, size_t len);

/* The 44-bit hash of an item id; never 0. */
uint64_t recsys_live_item_hash(const char *id, size_t len);

/* The hash-to-index table of m's items (malloc'ed); NULL: no memory. */
recsys_live_items_t *recsys_live_items_build(const recsys_model_t *m);
void recsys_live_items_free(recsys_live_items_t *t);

/*
 * index[k]: the item of hash h[k], or RECSYS_NO_INDEX (unknown, or two ids
 * share it).  The cache lines where the n lookups start are asked for
 * before any is probed, so their misses overlap.
 */
void recsys_live_items_find(const recsys_live_items_t *t, const uint64_t *h,
    uint32_t n, uint32_t *index);

/* The most events recsys_live_merge takes (a zone keeps at most 255). */
#define RECSYS_LIVE_MERGE_MAX  256

/*
 * Merges n live events (item[k] with weight w[k], oldest first) into
 * hist[], hw[] (room for n): each item once, at the place of its newest
 * event, with its events' weights summed.  Returns how many.  Past
 * RECSYS_LIVE_MERGE_MAX events, the newest that many are merged.
 */
uint32_t recsys_live_merge(const uint32_t *item, const float *w, uint32_t n,
    uint32_t *hist, float *hw);

/*
 * The same for any n, w NULL when every event weighs 1 (a history= list),
 * with the caller's table: at holds recsys_live_merge_table(n) entries.
 */
uint32_t recsys_live_merge_table(uint32_t n);
uint32_t recsys_live_merge_at(const uint32_t *item, const float *w,
    uint32_t n, uint32_t *at, uint32_t *hist, float *hw);

#endif /* RECSYS_LIVE_H */
