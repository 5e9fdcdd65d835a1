/*
 * recsys_live.c: event types, item id hashes and the live history merge
 * (recsys_live.h).
 *
 * The hash table is open addressing over a power of two at least twice
 * the items: a slot holds a 44-bit hash (0: empty) and an index, or
 * RECSYS_NO_INDEX once a second id with the same hash came, side by side
 * (one cache line holds both: a request's lookups miss once each).
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "recsys_hash.h"
#include "recsys_live.h"
#include "recsys_row.h"


typedef struct {
    uint64_t  key;
    uint32_t  index;
    uint32_t  unused;           /* a slot is 16 bytes, four to a line */
} recsys_live_slot_t;


struct recsys_live_items_s {
    recsys_live_slot_t  *slot;
    uint32_t             mask;
};


/* One "name=weight" of a table into t; 0 when malformed. */
static int
recsys_live_type_add(recsys_live_types_t *t, const char *p, size_t len)
{
    char         num[32], *end;
    double       v;
    size_t       n;
    const char  *eq;

    eq = memchr(p, '=', len);
    if (eq == NULL || t->n == RECSYS_LIVE_TYPES_MAX) {
        return 0;
    }

    n = (size_t) (eq - p);
    if (n == 0 || n > RECSYS_EVJSON_TYPE_MAX
        || len - n - 1 == 0 || len - n - 1 >= sizeof(num))
    {
        return 0;
    }

    memcpy(num, eq + 1, len - n - 1);
    num[len - n - 1] = '\0';
    v = strtod(num, &end);

    if (*end != '\0' || !isfinite(v) || fabs(v) > 1e30) {
        return 0;
    }

    memcpy(t->name[t->n], p, n);
    t->len[t->n] = (uint8_t) n;
    t->weight[t->n] = (float) v;
    t->n++;

    return 1;
}


int
recsys_live_types_read(const recsys_model_t *m, recsys_live_types_t *t)
{
    size_t       len;
    const char  *spec;

    if (recsys_model_meta(m, RECSYS_META_EVENT_WEIGHTS, &spec, &len)
        != RECSYS_OK)
    {
        spec = RECSYS_EVENT_WEIGHTS_DEFAULT;
        len = strlen(spec);
    }

    return recsys_live_types_parse(spec, len, t);
}


int
recsys_live_types_parse(const char *spec, size_t len, recsys_live_types_t *t)
{
    size_t  k, start;

    memset(t, 0, sizeof(recsys_live_types_t));

    start = 0;

    for (k = 0; k <= len; k++) {
        if (k < len && spec[k] != ',') {
            continue;
        }

        if (k > start && !recsys_live_type_add(t, spec + start, k - start)) {
            return RECSYS_EINVAL;
        }

        start = k + 1;
    }

    return RECSYS_OK;
}


int
recsys_live_type_find(const recsys_live_types_t *t, const char *name,
    size_t len)
{
    uint32_t  k;

    for (k = 0; k < t->n; k++) {
        if (t->len[k] == len && strncasecmp(t->name[k], name, len) == 0) {
            return (int) k;
        }
    }

    return -1;
}


uint64_t
recsys_live_hash64(const char *id, size_t len)
{
    size_t    k;
    uint64_t  h, w;

    /* eight bytes a round, each a multiply and a shift; then the tail */
    h = 0x9e3779b97f4a7c15ULL ^ (uint64_t) len;

    for (k = 0; k + 8 <= len; k += 8) {
        memcpy(&w, id + k, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 29;
    }

    w = 0;
    memcpy(&w, id + k, len - k);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 32;
    h *= 0xff51afd7ed558ccdULL;

    return h ^ (h >> 29);
}


uint64_t
recsys_live_item_hash(const char *id, size_t len)
{
    uint64_t  h;

    h = recsys_live_hash64(id, len)
        & (((uint64_t) 1 << RECSYS_LIVE_HASH_BITS) - 1);

    return h != 0 ? h : 1;
}


static uint32_t
recsys_live_home(const recsys_live_items_t *t, uint64_t h)
{
    return recsys_hash_u32((uint32_t) h ^ (uint32_t) (h >> 32)) & t->mask;
}


/* The slot of h, or the empty one where it would go: a probe from s. */
static uint32_t
recsys_live_slot(const recsys_live_items_t *t, uint32_t s, uint64_t h)
{
    while (t->slot[s].key != 0 && t->slot[s].key != h) {
        s = (s + 1) & t->mask;
    }

    return s;
}


recsys_live_items_t *
recsys_live_items_build(const recsys_model_t *m)
{
    uint32_t              i, n, cap, s;
    uint64_t              h;
    recsys_item_t         it;
    recsys_live_items_t  *t;

    n = recsys_model_header(m)->n_items;

    cap = 16;
    while (cap < 2 * (uint64_t) n + 2) {
        cap *= 2;
    }

    t = calloc(1, sizeof(recsys_live_items_t));
    if (t == NULL) {
        return NULL;
    }

    t->slot = calloc(cap, sizeof(recsys_live_slot_t));
    t->mask = cap - 1;

    if (t->slot == NULL) {
        recsys_live_items_free(t);
        return NULL;
    }

    for (i = 0; i < n; i++) {
        recsys_model_item_get(m, i, &it);
        h = recsys_live_item_hash(it.ext, it.ext_len);
        s = recsys_live_slot(t, recsys_live_home(t, h), h);

        /* a second id with this hash: neither is found */
        t->slot[s].index = t->slot[s].key == 0 ? i : RECSYS_NO_INDEX;
        t->slot[s].key = h;
    }

    return t;
}


void
recsys_live_items_free(recsys_live_items_t *t)
{
    if (t != NULL) {
        free(t->slot);
        free(t);
    }
}


void
recsys_live_items_find(const recsys_live_items_t *t, const uint64_t *h,
    uint32_t n, uint32_t *index)
{
    uint32_t  k, s;

    for (k = 0; k < n; k++) {
        index[k] = recsys_live_home(t, h[k]);
        RECSYS_ROW_PREFETCH(&t->slot[index[k]]);
    }

    for (k = 0; k < n; k++) {
        s = recsys_live_slot(t, index[k], h[k]);
        index[k] = t->slot[s].key == h[k] ? t->slot[s].index
                                          : RECSYS_NO_INDEX;
    }
}


uint32_t
recsys_live_merge_table(uint32_t n)
{
    uint32_t  size;

    /* a power of two at least twice the events */
    for (size = 16; size < 2 * (uint64_t) n; size *= 2) {
        /* void */
    }

    return size;
}


uint32_t
recsys_live_merge_at(const uint32_t *item, const float *w, uint32_t n,
    uint32_t *at, uint32_t *hist, float *hw)
{
    float     tw;
    uint32_t  k, s, mask, out, ti;

    /* by item, 1 + its place in hist; 0: empty */
    mask = recsys_live_merge_table(n) - 1;
    memset(at, 0, ((size_t) mask + 1) * sizeof(uint32_t));
    out = 0;

    /* newest first: an item's first sight is its newest event */
    for (k = n; k > 0; k--) {
        for (s = recsys_hash_u32(item[k - 1]) & mask;
             at[s] != 0 && hist[at[s] - 1] != item[k - 1];
             s = (s + 1) & mask)
        {
            /* probe */
        }

        if (at[s] == 0) {
            hist[out] = item[k - 1];
            hw[out++] = w != NULL ? w[k - 1] : 1.0f;
            at[s] = out;

        } else {
            hw[at[s] - 1] += w != NULL ? w[k - 1] : 1.0f;
        }
    }

    /* back to oldest first, as a request's history is */
    for (k = 0; k < out / 2; k++) {
        ti = hist[k];
        hist[k] = hist[out - 1 - k];
        hist[out - 1 - k] = ti;
        tw = hw[k];
        hw[k] = hw[out - 1 - k];
        hw[out - 1 - k] = tw;
    }

    return out;
}


uint32_t
recsys_live_merge(const uint32_t *item, const float *w, uint32_t n,
    uint32_t *hist, float *hw)
{
    uint32_t  at[2 * RECSYS_LIVE_MERGE_MAX], from;

    from = n > RECSYS_LIVE_MERGE_MAX ? n - RECSYS_LIVE_MERGE_MAX : 0;

    return recsys_live_merge_at(item + from, w + from, n - from, at, hist,
                                hw);
}
