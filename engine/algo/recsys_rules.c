/*
 * recsys_rules.c: transactions, frequent itemsets (FP-growth),
 * association rules and their packed, read-in-place form.
 *
 * FP-growth.  Items are ranked by count (descending, then item index) and
 * only frequent ones kept; every transaction becomes a path of ranks in
 * ascending order.  The tree is built from paths sorted
 * lexicographically: a path shares exactly its common prefix with the
 * path before it and starts new nodes after that, so no child lookups are
 * needed.  Nodes keep only (item, count, parent); a header lists the nodes
 * of each item.  Mining an item emits suffix + item with the sum of its
 * node counts and, while the set may still grow, builds the conditional
 * tree from the prefix paths of those nodes (items relabelled densely in
 * rank order, infrequent ones dropped) and recurses into it; for the
 * last length allowed the counts of the items on those paths are all
 * that is needed, so no tree is built there.  The cost is the summed
 * length of the prefix paths walked: long transactions of many frequent
 * items (heavy users) are what makes it grow, with the number of sets.
 *
 * The sets are collected unordered and sorted canonically at the end.
 * Rule generation finds the count of every antecedent through a hash
 * index of the sets and of every consequent in a per-item array.
 */

#include <stdlib.h>
#include <string.h>

#include "recsys_release.h"
#include "recsys_row.h"
#include "recsys_rules.h"
#include "recsys_sorted.h"
#include "recsys_status.h"


#define RECSYS_RULES_MAX_LEN  32


typedef struct {
    uint32_t   n_sets;
    uint32_t   cap_sets;
    uint32_t   n_items;
    uint32_t   cap_items;
    uint32_t  *offsets;
    uint32_t  *items;
    uint32_t  *count;
    uint32_t   max_sets;
    uint32_t   universe;        /* n_items */
} recsys_rules_acc_t;

typedef struct {
    uint64_t   key;             /* the items as digits base universe */
    uint32_t   idx;
    uint32_t   len;
} recsys_rules_key_t;

typedef struct {
    const uint32_t  *p;
    uint32_t         len;
    uint32_t         count;
} recsys_rules_ref_t;

typedef struct {
    uint32_t   n_nodes;
    uint32_t   m;               /* local items 0..m-1 */
    uint32_t  *item;            /* local item per node */
    uint32_t  *count;
    int32_t   *parent;
    uint32_t  *hdr_off;         /* m + 1 */
    uint32_t  *hdr;             /* node ids grouped by local item */
    uint32_t  *global;          /* local item -> global item index */
} recsys_fp_tree_t;

typedef struct {
    const uint32_t  *p;         /* path items, ascending local ids */
    uint32_t         len;
    uint32_t         weight;
} recsys_fp_path_t;

typedef struct {
    recsys_rules_acc_t  *acc;
    uint32_t             min_count;
    uint32_t             max_len;
    uint32_t             suffix[RECSYS_RULES_MAX_LEN];
} recsys_fp_ctx_t;


static int
recsys_rules_cmp_items(const uint32_t *a, uint32_t na, const uint32_t *b,
    uint32_t nb)
{
    uint32_t  i;

    if (na != nb) {
        return na < nb ? -1 : 1;
    }

    for (i = 0; i < na; i++) {
        if (a[i] != b[i]) {
            return a[i] < b[i] ? -1 : 1;
        }
    }

    return 0;
}


/* transactions */

/*
 * Walks every user's sessions, counting them (fill 0) or copying them
 * into tx (fill 1, tx sized by the counting pass).
 */
static void
recsys_rules_sessions(const recsys_train_t *t, int64_t gap,
    uint32_t min_items, int fill, recsys_csr_t *tx, uint64_t *n_tx,
    uint64_t *n_entries)
{
    int64_t          a, b;
    uint32_t         u, e, from, to, len;
    const recsys_csr_t  *s;

    s = &t->seq;
    *n_tx = 0;
    *n_entries = 0;

    for (u = 0; u < s->n_rows; u++) {
        from = s->offsets[u];

        for (e = from; e < s->offsets[u + 1]; e++) {
            to = e + 1;

            if (to < s->offsets[u + 1] && t->seq_time != NULL) {
                a = t->seq_time[e];
                b = t->seq_time[to];

                if (a == RECSYS_NO_TIME || b == RECSYS_NO_TIME
                    || b - a <= gap)
                {
                    continue;
                }

            } else if (to < s->offsets[u + 1]) {
                continue;
            }

            /* a session ends at e */

            len = to - from;

            if (len >= min_items && len > 0) {
                if (fill) {
                    tx->offsets[*n_tx] = (uint32_t) *n_entries;
                    memcpy(&tx->entries[*n_entries], &s->entries[from],
                           len * sizeof(recsys_entry_t));
                    qsort(&tx->entries[*n_entries], len,
                          sizeof(recsys_entry_t), recsys_row_cmp_item);
                }

                (*n_tx)++;
                *n_entries += len;
            }

            from = to;
        }
    }

    if (fill) {
        tx->offsets[*n_tx] = (uint32_t) *n_entries;
    }
}


int
recsys_rules_tx_sessions(const recsys_train_t *t, int64_t gap,
    uint32_t min_items, recsys_csr_t *tx)
{
    uint32_t  e;
    uint64_t  n_tx, n_entries;

    if (gap < 0) {
        return RECSYS_EINVAL;
    }

    recsys_rules_sessions(t, gap, min_items, 0, NULL, &n_tx, &n_entries);

    if (n_tx > UINT32_MAX - 1
        || recsys_csr_alloc(tx, (uint32_t) n_tx, n_entries) != 0)
    {
        return RECSYS_ENOMEM;
    }

    recsys_rules_sessions(t, gap, min_items, 1, tx, &n_tx, &n_entries);

    for (e = 0; e < tx->n_entries; e++) {
        tx->entries[e].score = 1.0f;
    }

    return RECSYS_OK;
}


/* collecting itemsets */

static int
recsys_rules_acc_add(recsys_rules_acc_t *a, const uint32_t *items,
    uint32_t n, uint32_t count)
{
    uint32_t   cap, *p;

    if (a->max_sets != 0 && a->n_sets >= a->max_sets) {
        return RECSYS_ELIMIT;
    }

    if (a->n_sets + 1 >= a->cap_sets) {
        cap = a->cap_sets ? a->cap_sets * 2 : 1024;
        if (cap < a->cap_sets) {
            return RECSYS_ENOMEM;
        }

        p = realloc(a->offsets, ((size_t) cap + 1) * sizeof(uint32_t));
        if (p == NULL) {
            return RECSYS_ENOMEM;
        }
        a->offsets = p;

        p = realloc(a->count, (size_t) cap * sizeof(uint32_t));
        if (p == NULL) {
            return RECSYS_ENOMEM;
        }
        a->count = p;

        a->cap_sets = cap;
    }

    if ((uint64_t) a->n_items + n > a->cap_items) {
        cap = a->cap_items ? a->cap_items : 4096;
        while ((uint64_t) cap < (uint64_t) a->n_items + n) {
            if (cap > UINT32_MAX / 2) {
                return RECSYS_ENOMEM;
            }
            cap *= 2;
        }

        p = realloc(a->items, (size_t) cap * sizeof(uint32_t));
        if (p == NULL) {
            return RECSYS_ENOMEM;
        }

        a->items = p;
        a->cap_items = cap;
    }

    a->offsets[a->n_sets] = a->n_items;
    memcpy(a->items + a->n_items, items, n * sizeof(uint32_t));
    qsort(a->items + a->n_items, n, sizeof(uint32_t), recsys_sorted_cmp_u32);
    a->count[a->n_sets] = count;
    a->n_items += n;
    a->n_sets++;
    a->offsets[a->n_sets] = a->n_items;

    return RECSYS_OK;
}


static int
recsys_rules_cmp_ref(const void *a, const void *b)
{
    const recsys_rules_ref_t  *x = a, *y = b;

    return recsys_rules_cmp_items(x->p, x->len, y->p, y->len);
}


RECSYS_SORTED_CMP2(recsys_rules_cmp_key, recsys_rules_key_t, len, key)


/*
 * Moves the collected sets into out in canonical order.  When every set
 * fits, as digits base n_items, in 64 bits (27k items: up to 4 items),
 * the sort runs on those numbers, whose order is the lexicographic one;
 * otherwise on the item arrays.
 */
static int
recsys_rules_acc_finish(recsys_rules_acc_t *a, recsys_itemsets_t *out)
{
    int                  packed;
    uint32_t             i, j, n, len, max_len;
    uint64_t             fit;
    const uint32_t      *p;
    recsys_rules_ref_t  *order;
    recsys_rules_key_t  *keys;

    memset(out, 0, sizeof(recsys_itemsets_t));

    max_len = 0;
    for (i = 0; i < a->n_sets; i++) {
        len = a->offsets[i + 1] - a->offsets[i];
        if (len > max_len) {
            max_len = len;
        }
    }

    packed = 1;
    fit = 1;
    for (i = 0; i < max_len; i++) {
        if (a->universe == 0 || fit > UINT64_MAX / a->universe) {
            packed = 0;
            break;
        }
        fit *= a->universe;
    }

    order = NULL;
    keys = NULL;

    if (packed) {
        keys = malloc(((size_t) a->n_sets + 1) * sizeof(recsys_rules_key_t));
    } else {
        order = malloc(((size_t) a->n_sets + 1) * sizeof(recsys_rules_ref_t));
    }

    out->offsets = malloc(((size_t) a->n_sets + 1) * sizeof(uint32_t));
    out->items = malloc(((size_t) a->n_items + 1) * sizeof(uint32_t));
    out->count = malloc(((size_t) a->n_sets + 1) * sizeof(uint32_t));

    if ((keys == NULL && order == NULL) || out->offsets == NULL
        || out->items == NULL || out->count == NULL)
    {
        free(keys);
        free(order);
        recsys_itemsets_free(out);
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < a->n_sets; i++) {
        p = a->items + a->offsets[i];
        len = a->offsets[i + 1] - a->offsets[i];

        if (packed) {
            keys[i].key = 0;
            for (j = 0; j < len; j++) {
                keys[i].key = keys[i].key * a->universe + p[j];
            }
            keys[i].idx = i;
            keys[i].len = len;

        } else {
            order[i].p = p;
            order[i].len = len;
            order[i].count = a->count[i];
        }
    }

    if (packed) {
        qsort(keys, a->n_sets, sizeof(recsys_rules_key_t),
              recsys_rules_cmp_key);
    } else {
        qsort(order, a->n_sets, sizeof(recsys_rules_ref_t),
              recsys_rules_cmp_ref);
    }

    n = 0;
    for (i = 0; i < a->n_sets; i++) {
        if (packed) {
            j = keys[i].idx;
            len = keys[i].len;
            p = a->items + a->offsets[j];
            out->count[i] = a->count[j];

        } else {
            len = order[i].len;
            p = order[i].p;
            out->count[i] = order[i].count;
        }

        out->offsets[i] = n;
        memcpy(out->items + n, p, len * sizeof(uint32_t));
        n += len;
    }

    out->offsets[a->n_sets] = n;
    out->n_sets = a->n_sets;
    out->n_items_total = n;

    free(keys);
    free(order);

    return RECSYS_OK;
}


static void
recsys_rules_acc_free(recsys_rules_acc_t *a)
{
    recsys_release(a, sizeof(recsys_rules_acc_t), 3, a->offsets, a->items,
                   a->count);
}


void
recsys_itemsets_free(recsys_itemsets_t *s)
{
    recsys_release(s, sizeof(recsys_itemsets_t), 3, s->offsets, s->items,
                   s->count);
}


uint32_t
recsys_itemsets_count(const recsys_itemsets_t *s, const uint32_t *items,
    uint32_t n)
{
    int       c;
    uint32_t  lo, hi, mid;

    lo = 0;
    hi = s->n_sets;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        c = recsys_rules_cmp_items(s->items + s->offsets[mid],
                                   s->offsets[mid + 1] - s->offsets[mid],
                                   items, n);
        if (c == 0) {
            return s->count[mid];
        }

        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }

    return 0;
}


/* Checks options and rows, and counts every item. */
static int
recsys_rules_check(const recsys_csr_t *tx, uint32_t n_items,
    const recsys_mine_opts_t *o, uint32_t *item_count)
{
    uint32_t  r, e, it;

    if (o->min_count == 0 || o->max_len == 0
        || o->max_len > RECSYS_RULES_MAX_LEN)
    {
        return RECSYS_EINVAL;
    }

    for (r = 0; r < tx->n_rows; r++) {
        for (e = tx->offsets[r]; e < tx->offsets[r + 1]; e++) {
            it = tx->entries[e].item;

            if (it >= n_items
                || (e > tx->offsets[r] && it <= tx->entries[e - 1].item))
            {
                return RECSYS_EINVAL;
            }

            item_count[it] += (tx->entries[e].score >= o->min_value);
        }
    }

    return RECSYS_OK;
}


/* FP-growth */

static int
recsys_fp_cmp_path(const void *a, const void *b)
{
    uint32_t                 i, n;
    const recsys_fp_path_t  *x = a, *y = b;

    n = x->len < y->len ? x->len : y->len;

    for (i = 0; i < n; i++) {
        if (x->p[i] != y->p[i]) {
            return x->p[i] < y->p[i] ? -1 : 1;
        }
    }

    return recsys_sorted_order(x->len, y->len);
}


static void
recsys_fp_tree_free(recsys_fp_tree_t *t)
{
    recsys_release(t, sizeof(recsys_fp_tree_t), 6, t->item, t->count,
                   t->parent, t->hdr_off, t->hdr, t->global);
}


/*
 * Builds a tree over m local items from paths (ascending local ids);
 * sorts paths in place.  t->global must be set by the caller (it is
 * freed with the tree).
 */
static int
recsys_fp_tree_build(recsys_fp_tree_t *t, uint32_t m, recsys_fp_path_t *paths,
    uint32_t n_paths, uint64_t n_entries)
{
    uint32_t   i, d, l, node, depth_max, *fill;
    int32_t   *at;
    const recsys_fp_path_t  *prev;

    t->m = m;
    t->n_nodes = 0;

    qsort(paths, n_paths, sizeof(recsys_fp_path_t), recsys_fp_cmp_path);

    depth_max = 0;
    for (i = 0; i < n_paths; i++) {
        if (paths[i].len > depth_max) {
            depth_max = paths[i].len;
        }
    }

    t->item = malloc((size_t) (n_entries + 1) * sizeof(uint32_t));
    t->count = malloc((size_t) (n_entries + 1) * sizeof(uint32_t));
    t->parent = malloc((size_t) (n_entries + 1) * sizeof(int32_t));
    t->hdr_off = calloc((size_t) m + 2, sizeof(uint32_t));
    at = malloc(((size_t) depth_max + 1) * sizeof(int32_t));

    if (t->item == NULL || t->count == NULL || t->parent == NULL
        || t->hdr_off == NULL || at == NULL)
    {
        free(at);
        return RECSYS_ENOMEM;
    }

    prev = NULL;

    for (i = 0; i < n_paths; i++) {
        l = 0;
        if (prev != NULL) {
            while (l < prev->len && l < paths[i].len
                   && prev->p[l] == paths[i].p[l])
            {
                l++;
            }
        }

        for (d = 0; d < l; d++) {
            t->count[at[d]] += paths[i].weight;
        }

        for (d = l; d < paths[i].len; d++) {
            node = t->n_nodes++;
            t->item[node] = paths[i].p[d];
            t->count[node] = paths[i].weight;
            t->parent[node] = (d == 0) ? -1 : at[d - 1];
            at[d] = (int32_t) node;
        }

        prev = &paths[i];
    }

    free(at);

    /* header: nodes grouped by item */

    t->hdr = malloc(((size_t) t->n_nodes + 1) * sizeof(uint32_t));
    fill = calloc((size_t) m + 1, sizeof(uint32_t));

    if (t->hdr == NULL || fill == NULL) {
        free(fill);
        return RECSYS_ENOMEM;
    }

    for (node = 0; node < t->n_nodes; node++) {
        t->hdr_off[t->item[node] + 1]++;
    }

    for (i = 0; i < m; i++) {
        t->hdr_off[i + 1] += t->hdr_off[i];
    }

    for (node = 0; node < t->n_nodes; node++) {
        i = t->item[node];
        t->hdr[t->hdr_off[i] + fill[i]++] = node;
    }

    free(fill);

    return RECSYS_OK;
}


/* Builds the conditional tree of local item li of t into c. */
static int
recsys_fp_conditional(recsys_fp_ctx_t *x, const recsys_fp_tree_t *t,
    uint32_t li, recsys_fp_tree_t *c)
{
    int                rc;
    int32_t            p;
    uint32_t           h, j, m, len, n_paths, node, *cnt, *map, *buf;
    uint64_t           n_entries;
    recsys_fp_path_t  *paths;

    memset(c, 0, sizeof(recsys_fp_tree_t));

    cnt = calloc((size_t) li + 1, sizeof(uint32_t));
    map = malloc(((size_t) li + 1) * sizeof(uint32_t));

    if (cnt == NULL || map == NULL) {
        free(cnt);
        free(map);
        return RECSYS_ENOMEM;
    }

    /* the items of the prefix paths (all < li) with their counts */

    for (h = t->hdr_off[li]; h < t->hdr_off[li + 1]; h++) {
        node = t->hdr[h];
        for (p = t->parent[node]; p >= 0; p = t->parent[p]) {
            cnt[t->item[p]] += t->count[node];
        }
    }

    m = 0;
    for (j = 0; j < li; j++) {
        map[j] = (cnt[j] >= x->min_count) ? m++ : UINT32_MAX;
    }

    if (m == 0) {
        free(cnt);
        free(map);
        return RECSYS_OK;
    }

    c->global = malloc((size_t) m * sizeof(uint32_t));
    if (c->global == NULL) {
        free(cnt);
        free(map);
        return RECSYS_ENOMEM;
    }

    for (j = 0; j < li; j++) {
        if (map[j] != UINT32_MAX) {
            c->global[map[j]] = t->global[j];
        }
    }

    /* the paths, filtered and relabelled, ascending */

    n_paths = t->hdr_off[li + 1] - t->hdr_off[li];
    n_entries = 0;

    for (h = t->hdr_off[li]; h < t->hdr_off[li + 1]; h++) {
        for (p = t->parent[t->hdr[h]]; p >= 0; p = t->parent[p]) {
            n_entries += (map[t->item[p]] != UINT32_MAX);
        }
    }

    paths = malloc(((size_t) n_paths + 1) * sizeof(recsys_fp_path_t));
    buf = malloc((size_t) (n_entries + 1) * sizeof(uint32_t));

    if (paths == NULL || buf == NULL) {
        free(paths);
        free(buf);
        free(cnt);
        free(map);
        return RECSYS_ENOMEM;
    }

    n_entries = 0;
    n_paths = 0;

    for (h = t->hdr_off[li]; h < t->hdr_off[li + 1]; h++) {
        node = t->hdr[h];

        len = 0;
        for (p = t->parent[node]; p >= 0; p = t->parent[p]) {
            len += (map[t->item[p]] != UINT32_MAX);
        }

        if (len == 0) {
            continue;
        }

        /* the walk goes leaf to root, ids descending: fill from the end */

        j = len;
        for (p = t->parent[node]; p >= 0; p = t->parent[p]) {
            if (map[t->item[p]] != UINT32_MAX) {
                buf[n_entries + --j] = map[t->item[p]];
            }
        }

        paths[n_paths].p = buf + n_entries;
        paths[n_paths].len = len;
        paths[n_paths].weight = t->count[node];
        n_paths++;
        n_entries += len;
    }

    rc = recsys_fp_tree_build(c, m, paths, n_paths, n_entries);

    free(paths);
    free(buf);
    free(cnt);
    free(map);

    return rc;
}


/*
 * The last level: the sets suffix + li + j need only the counts of the
 * items j in li's prefix paths, no conditional tree.
 */
static int
recsys_fp_last(recsys_fp_ctx_t *x, const recsys_fp_tree_t *t, uint32_t li,
    uint32_t depth)
{
    int        rc;
    int32_t    p;
    uint32_t   h, j, node, *cnt;

    cnt = calloc((size_t) li + 1, sizeof(uint32_t));
    if (cnt == NULL) {
        return RECSYS_ENOMEM;
    }

    for (h = t->hdr_off[li]; h < t->hdr_off[li + 1]; h++) {
        node = t->hdr[h];
        for (p = t->parent[node]; p >= 0; p = t->parent[p]) {
            cnt[t->item[p]] += t->count[node];
        }
    }

    rc = RECSYS_OK;

    for (j = 0; j < li && rc == RECSYS_OK; j++) {
        if (cnt[j] >= x->min_count) {
            x->suffix[depth] = t->global[j];
            rc = recsys_rules_acc_add(x->acc, x->suffix, depth + 1, cnt[j]);
        }
    }

    free(cnt);

    return rc;
}


static int
recsys_fp_mine(recsys_fp_ctx_t *x, const recsys_fp_tree_t *t, uint32_t depth)
{
    int               rc;
    uint32_t          li, h, count;
    recsys_fp_tree_t  c;

    for (li = 0; li < t->m; li++) {
        count = 0;
        for (h = t->hdr_off[li]; h < t->hdr_off[li + 1]; h++) {
            count += t->count[t->hdr[h]];
        }

        if (count < x->min_count) {
            continue;
        }

        x->suffix[depth] = t->global[li];

        rc = recsys_rules_acc_add(x->acc, x->suffix, depth + 1, count);
        if (rc != RECSYS_OK) {
            return rc;
        }

        if (depth + 1 >= x->max_len || li == 0) {
            continue;
        }

        if (depth + 2 == x->max_len) {
            rc = recsys_fp_last(x, t, li, depth + 1);
            if (rc != RECSYS_OK) {
                return rc;
            }
            continue;
        }

        rc = recsys_fp_conditional(x, t, li, &c);

        if (rc == RECSYS_OK && c.global != NULL) {
            rc = recsys_fp_mine(x, &c, depth + 1);
        }

        recsys_fp_tree_free(&c);

        if (rc != RECSYS_OK) {
            return rc;
        }
    }

    return RECSYS_OK;
}


/*
 * The items with at least min_count transactions into global[] in rank
 * order (count descending, then item ascending), and rank[item] their
 * rank or UINT32_MAX; returns how many, or UINT32_MAX when out of memory.
 */
static uint32_t
recsys_fp_rank(const uint32_t *count, uint32_t n_items, uint32_t min_count,
    uint32_t *global, uint32_t *rank)
{
    uint32_t   i, m;
    uint64_t  *keys;

    m = 0;
    for (i = 0; i < n_items; i++) {
        if (count[i] >= min_count) {
            global[m++] = i;
        }
    }

    keys = malloc(((size_t) m + 1) * sizeof(uint64_t));
    if (keys == NULL) {
        return UINT32_MAX;
    }

    for (i = 0; i < m; i++) {
        keys[i] = ((uint64_t) (UINT32_MAX - count[global[i]]) << 32)
                  | global[i];
    }

    qsort(keys, m, sizeof(uint64_t), recsys_sorted_cmp_u64);

    for (i = 0; i < m; i++) {
        global[i] = (uint32_t) keys[i];
    }

    free(keys);

    for (i = 0; i < n_items; i++) {
        rank[i] = UINT32_MAX;
    }

    for (i = 0; i < m; i++) {
        rank[global[i]] = i;
    }

    return m;
}


int
recsys_rules_fpgrowth(const recsys_csr_t *tx, uint32_t n_items,
    const recsys_mine_opts_t *o, recsys_itemsets_t *out)
{
    int                 rc;
    uint32_t            r, e, m, n_paths, len, *count, *rank, *buf;
    uint64_t            n_entries;
    recsys_fp_ctx_t     x;
    recsys_fp_tree_t    t;
    recsys_fp_path_t   *paths;
    recsys_rules_acc_t  acc;

    memset(out, 0, sizeof(recsys_itemsets_t));
    memset(&t, 0, sizeof(recsys_fp_tree_t));
    memset(&acc, 0, sizeof(recsys_rules_acc_t));
    acc.max_sets = o->max_sets;
    acc.universe = n_items;

    count = calloc((size_t) n_items + 1, sizeof(uint32_t));
    rank = malloc(((size_t) n_items + 1) * sizeof(uint32_t));

    if (count == NULL || rank == NULL) {
        free(count);
        free(rank);
        return RECSYS_ENOMEM;
    }

    rc = recsys_rules_check(tx, n_items, o, count);
    if (rc != RECSYS_OK) {
        free(count);
        free(rank);
        return rc;
    }

    /* frequent items in rank order; rank[] then maps item -> rank */

    t.global = malloc(((size_t) n_items + 1) * sizeof(uint32_t));
    if (t.global == NULL) {
        free(count);
        free(rank);
        return RECSYS_ENOMEM;
    }

    m = recsys_fp_rank(count, n_items, o->min_count, t.global, rank);
    if (m == UINT32_MAX) {
        free(count);
        free(rank);
        recsys_fp_tree_free(&t);
        return RECSYS_ENOMEM;
    }

    /* transactions as ascending rank paths */

    n_entries = 0;
    n_paths = 0;
    for (r = 0; r < tx->n_rows; r++) {
        len = 0;
        for (e = tx->offsets[r]; e < tx->offsets[r + 1]; e++) {
            len += (rank[tx->entries[e].item] != UINT32_MAX
                    && tx->entries[e].score >= o->min_value);
        }
        n_entries += len;
        n_paths += (len > 0);
    }

    paths = malloc(((size_t) n_paths + 1) * sizeof(recsys_fp_path_t));
    buf = malloc((size_t) (n_entries + 1) * sizeof(uint32_t));

    if (paths == NULL || buf == NULL) {
        rc = RECSYS_ENOMEM;
        goto done;
    }

    n_entries = 0;
    n_paths = 0;

    for (r = 0; r < tx->n_rows; r++) {
        len = 0;
        for (e = tx->offsets[r]; e < tx->offsets[r + 1]; e++) {
            if (rank[tx->entries[e].item] != UINT32_MAX
                && tx->entries[e].score >= o->min_value)
            {
                buf[n_entries + len++] = rank[tx->entries[e].item];
            }
        }

        if (len == 0) {
            continue;
        }

        qsort(buf + n_entries, len, sizeof(uint32_t), recsys_sorted_cmp_u32);
        paths[n_paths].p = buf + n_entries;
        paths[n_paths].len = len;
        paths[n_paths].weight = 1;
        n_paths++;
        n_entries += len;
    }

    rc = recsys_fp_tree_build(&t, m, paths, n_paths, n_entries);

    free(paths);
    free(buf);
    paths = NULL;
    buf = NULL;

    if (rc == RECSYS_OK) {
        x.acc = &acc;
        x.min_count = o->min_count;
        x.max_len = o->max_len;
        rc = recsys_fp_mine(&x, &t, 0);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_rules_acc_finish(&acc, out);
    }

done:

    free(paths);
    free(buf);
    free(count);
    free(rank);
    recsys_fp_tree_free(&t);
    recsys_rules_acc_free(&acc);

    return rc;
}


/* rules */

static int
recsys_rules_cmp_canon(const recsys_rule_t *x, const recsys_rule_t *y)
{
    int  c;

    c = recsys_rules_cmp_items(x->ante, x->n_ante, y->ante, y->n_ante);
    if (c != 0) {
        return c;
    }

    return x->cons < y->cons ? -1 : (x->cons > y->cons);
}


static int
recsys_rules_cmp_rule(const void *a, const void *b)
{
    const recsys_rule_t  *x = a, *y = b;

    if (x->lift != y->lift) {
        return x->lift > y->lift ? -1 : 1;
    }

    if (x->confidence != y->confidence) {
        return x->confidence > y->confidence ? -1 : 1;
    }

    return recsys_rules_cmp_canon(x, y);
}


/*
 * An open-addressing index of the sets (slot: set index + 1, 0 empty) so
 * that rule generation finds the count of a subset in O(1).
 */
typedef struct {
    const recsys_itemsets_t  *s;
    uint32_t                 *slot;
    uint64_t                  mask;
} recsys_rules_index_t;


static uint64_t
recsys_rules_hash(const uint32_t *items, uint32_t n)
{
    uint32_t  i;
    uint64_t  h;

    h = 0x243f6a8885a308d3ULL ^ n;

    for (i = 0; i < n; i++) {
        h = (h ^ items[i]) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 29;
    }

    return h;
}


static int
recsys_rules_index_init(recsys_rules_index_t *x, const recsys_itemsets_t *s)
{
    uint32_t  i, len;
    uint64_t  size, h;

    size = 16;
    while (size < 2 * (uint64_t) s->n_sets) {
        size *= 2;
    }

    x->s = s;
    x->mask = size - 1;
    x->slot = calloc(size, sizeof(uint32_t));

    if (x->slot == NULL) {
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < s->n_sets; i++) {
        len = s->offsets[i + 1] - s->offsets[i];
        h = recsys_rules_hash(s->items + s->offsets[i], len) & x->mask;

        while (x->slot[h] != 0) {
            h = (h + 1) & x->mask;
        }

        x->slot[h] = i + 1;
    }

    return RECSYS_OK;
}


static uint32_t
recsys_rules_index_count(const recsys_rules_index_t *x, const uint32_t *items,
    uint32_t n)
{
    uint32_t                  i;
    uint64_t                  h;
    const recsys_itemsets_t  *s;

    s = x->s;
    h = recsys_rules_hash(items, n) & x->mask;

    while (x->slot[h] != 0) {
        i = x->slot[h] - 1;

        if (s->offsets[i + 1] - s->offsets[i] == n
            && memcmp(s->items + s->offsets[i], items, n * sizeof(uint32_t))
               == 0)
        {
            return s->count[i];
        }

        h = (h + 1) & x->mask;
    }

    return 0;
}


int
recsys_rules_generate(const recsys_itemsets_t *s, uint32_t n_tx,
    const recsys_rules_opts_t *o, recsys_rule_t **rules, uint32_t *n_rules)
{
    size_t          cap;
    double          sup, conf, lift;
    uint32_t        i, j, q, w, len, cs, ca, cc, n;
    const uint32_t *set;
    recsys_rule_t  *out, *tmp, *rl;
    uint32_t       *single, n_single;
    recsys_rules_index_t  x;

    *rules = NULL;
    *n_rules = 0;

    if (n_tx == 0 || o->max_ante < 1 || o->max_ante > RECSYS_RULES_MAX_ANTE) {
        return RECSYS_EINVAL;
    }

    /* counts of single items by item; of longer sets through an index */

    n_single = 0;
    for (i = 0; i < s->n_sets && s->offsets[i + 1] - s->offsets[i] == 1;
         i++)
    {
        if (s->items[s->offsets[i]] >= n_single) {
            n_single = s->items[s->offsets[i]] + 1;
        }
    }

    single = calloc((size_t) n_single + 1, sizeof(uint32_t));
    if (single == NULL) {
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < s->n_sets && s->offsets[i + 1] - s->offsets[i] == 1;
         i++)
    {
        single[s->items[s->offsets[i]]] = s->count[i];
    }

    if (recsys_rules_index_init(&x, s) != RECSYS_OK) {
        free(single);
        return RECSYS_ENOMEM;
    }

    out = NULL;
    cap = 0;
    n = 0;

    for (i = 0; i < s->n_sets; i++) {
        set = s->items + s->offsets[i];
        len = s->offsets[i + 1] - s->offsets[i];

        if (len < 2 || len > o->max_ante + 1) {
            continue;
        }

        cs = s->count[i];
        sup = (double) cs / n_tx;

        if (sup < o->min_support) {
            continue;
        }

        for (j = 0; j < len; j++) {
            uint32_t  ante[RECSYS_RULES_MAX_ANTE];

            w = 0;
            for (q = 0; q < len; q++) {
                if (q != j) {
                    ante[w++] = set[q];
                }
            }

            ca = recsys_rules_index_count(&x, ante, len - 1);
            cc = (set[j] < n_single) ? single[set[j]] : 0;

            if (ca == 0 || cc == 0) {
                free(out);
                free(x.slot);
                free(single);
                return RECSYS_EINVAL;
            }

            conf = (double) cs / ca;
            lift = conf / ((double) cc / n_tx);

            if (conf < o->min_confidence || lift < o->min_lift) {
                continue;
            }

            if (n == cap) {
                cap = cap ? cap * 2 : 1024;
                tmp = realloc(out, cap * sizeof(recsys_rule_t));
                if (tmp == NULL) {
                    free(out);
                    free(x.slot);
                    free(single);
                    return RECSYS_ENOMEM;
                }
                out = tmp;
            }

            rl = &out[n++];
            memset(rl, 0, sizeof(recsys_rule_t));
            memcpy(rl->ante, ante, (len - 1) * sizeof(uint32_t));
            rl->n_ante = len - 1;
            rl->cons = set[j];
            rl->support = (float) sup;
            rl->confidence = (float) conf;
            rl->lift = (float) lift;
        }
    }

    free(x.slot);
    free(single);

    if (n > 0) {
        qsort(out, n, sizeof(recsys_rule_t), recsys_rules_cmp_rule);
    }

    if (o->max_rules != 0 && n > o->max_rules) {
        n = o->max_rules;
    }

    *rules = out;
    *n_rules = n;

    return RECSYS_OK;
}


/* packing and serving */

int
recsys_rules_pack(const recsys_rule_t *rules, uint32_t n_rules,
    uint32_t n_items, unsigned char **blob, size_t *size)
{
    size_t               sz;
    uint32_t             i, g, len, *off, *fill;
    unsigned char       *p, *recs;
    recsys_rule_t        r;
    recsys_rules_head_t  head;

    *blob = NULL;
    *size = 0;

    if (n_items == UINT32_MAX) {
        return RECSYS_EINVAL;
    }

    for (i = 0; i < n_rules; i++) {
        if (!recsys_rules_valid(&rules[i], n_items)) {
            return RECSYS_EINVAL;
        }
    }

    sz = sizeof(recsys_rules_head_t) + ((size_t) n_items + 1) * 4
         + (size_t) n_rules * sizeof(recsys_rule_t);

    p = malloc(sz);
    off = calloc((size_t) n_items + 1, sizeof(uint32_t));
    fill = calloc((size_t) n_items + 1, sizeof(uint32_t));

    if (p == NULL || off == NULL || fill == NULL) {
        free(p);
        free(off);
        free(fill);
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < n_rules; i++) {
        off[rules[i].ante[0] + 1]++;
    }

    for (g = 0; g < n_items; g++) {
        off[g + 1] += off[g];
    }

    head.magic = RECSYS_RULES_MAGIC;
    head.n_items = n_items;
    head.n_rules = n_rules;
    head.reserved = 0;

    memcpy(p, &head, sizeof(head));
    memcpy(p + sizeof(head), off, ((size_t) n_items + 1) * 4);

    recs = p + sizeof(head) + ((size_t) n_items + 1) * 4;

    /*
     * Inside an antecedent item's bucket, shorter antecedents first, each
     * length in the order given (by lift): a reader that looks at only the
     * first rules of a bucket (to bound a request's cost) sees the rules a
     * single history item fires before those that need more items.
     */
    for (len = 1; len <= RECSYS_RULES_MAX_ANTE; len++) {
        for (i = 0; i < n_rules; i++) {
            if (rules[i].n_ante != len) {
                continue;
            }

            memset(&r, 0, sizeof(recsys_rule_t));
            memcpy(r.ante, rules[i].ante,
                   rules[i].n_ante * sizeof(uint32_t));
            r.n_ante = rules[i].n_ante;
            r.cons = rules[i].cons;
            r.support = rules[i].support;
            r.confidence = rules[i].confidence;
            r.lift = rules[i].lift;

            g = r.ante[0];
            memcpy(recs + (size_t) (off[g] + fill[g]++)
                          * sizeof(recsys_rule_t),
                   &r, sizeof(recsys_rule_t));
        }
    }

    free(off);
    free(fill);

    *blob = p;
    *size = sz;

    return RECSYS_OK;
}
