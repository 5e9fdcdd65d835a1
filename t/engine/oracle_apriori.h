/*
 * oracle_apriori.h: a second frequent-itemset miner, the test oracle that
 * recsys_rules_fpgrowth() is compared with (test_rules.c).
 *
 * Plain level-wise Apriori written for clarity, not speed: level k holds
 * the frequent k-sets in lexicographic order; candidates of level k + 1
 * join two sets of level k sharing their first k - 1 items, are kept when
 * every k-subset is frequent, and are counted by marking each transaction's
 * items and walking the candidates that start with one of them.  Levels
 * come out in order of length and each in lexicographic order, which is
 * the canonical order of recsys_itemsets_t, so sets are appended as found.
 * Same contract as recsys_rules_fpgrowth(): RECSYS_EINVAL for bad options
 * or rows, RECSYS_ELIMIT past max_sets sets, RECSYS_ENOMEM; out is freed
 * with recsys_itemsets_free() on success and failure alike.
 */

#ifndef ORACLE_APRIORI_H
#define ORACLE_APRIORI_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_csr.h"
#include "recsys_rules.h"
#include "recsys_status.h"


#define ORACLE_AP_MAX_LEN  32   /* the longest set, as in recsys_rules.c */

typedef struct {
    uint32_t  *sets;            /* n sets of len items, lex order */
    uint32_t   n;
    uint32_t   len;
} oracle_level_t;


/*
 * Makes room for need uint32_t in *p of capacity *cap (doubling, so that
 * appending one at a time stays linear): 0, or -1 out of memory.
 */
static int
oracle_ap_grow(uint32_t **p, size_t *cap, size_t need)
{
    size_t     c;
    uint32_t  *q;

    if (need <= *cap) {
        return 0;
    }

    for (c = *cap ? *cap : 64; c < need; c *= 2) {
        /* void */
    }

    q = realloc(*p, c * sizeof(uint32_t));
    if (q == NULL) {
        return -1;
    }

    *p = q;
    *cap = c;

    return 0;
}


/*
 * Appends one set to out, whose arrays have the capacities cap[0..2]
 * (offsets, count, items), or RECSYS_ELIMIT / RECSYS_ENOMEM.
 */
static int
oracle_ap_emit(recsys_itemsets_t *out, size_t *cap, const uint32_t *items,
    uint32_t len, uint32_t count, uint32_t max_sets)
{
    if (max_sets != 0 && out->n_sets >= max_sets) {
        return RECSYS_ELIMIT;
    }

    if (oracle_ap_grow(&out->offsets, &cap[0], (size_t) out->n_sets + 2) != 0
        || oracle_ap_grow(&out->count, &cap[1], (size_t) out->n_sets + 1)
           != 0
        || oracle_ap_grow(&out->items, &cap[2],
                          (size_t) out->n_items_total + len) != 0)
    {
        return RECSYS_ENOMEM;
    }

    out->offsets[out->n_sets] = out->n_items_total;
    memcpy(out->items + out->n_items_total, items, len * sizeof(uint32_t));
    out->count[out->n_sets] = count;
    out->n_items_total += len;
    out->n_sets++;
    out->offsets[out->n_sets] = out->n_items_total;

    return RECSYS_OK;
}


/* Is s (len items, ascending) one of the sets of level l? */
static int
oracle_ap_frequent(const oracle_level_t *l, const uint32_t *s)
{
    int       c;
    uint32_t  lo, hi, mid;

    lo = 0;
    hi = l->n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        for (c = 0; c < (int) l->len; c++) {
            if (l->sets[(size_t) mid * l->len + c] != s[c]) {
                break;
            }
        }

        if (c == (int) l->len) {
            return 1;
        }

        if (l->sets[(size_t) mid * l->len + c] < s[c]) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }

    return 0;
}


/*
 * The candidates of the next level from l (each a join of two sets that
 * share all but their last item, every subset frequent) into next, and
 * their counts over tx into *counts.
 */
static int
oracle_ap_next(const recsys_csr_t *tx, const oracle_level_t *l,
    uint32_t *mark, oracle_level_t *next, uint32_t **counts)
{
    size_t     cap;
    uint32_t   a, b, d, q, w, k, r, e, c, x, *s, *sub, *p;

    k = l->len + 1;
    cap = 0;
    next->len = k;
    next->n = 0;
    next->sets = NULL;
    *counts = NULL;

    s = malloc(2 * (size_t) k * sizeof(uint32_t));
    if (s == NULL) {
        return RECSYS_ENOMEM;
    }
    sub = s + k;

    for (a = 0; a < l->n; a++) {
        for (b = a + 1; b < l->n; b++) {
            if (memcmp(l->sets + (size_t) a * l->len,
                       l->sets + (size_t) b * l->len,
                       (l->len - 1) * sizeof(uint32_t)) != 0)
            {
                break;
            }

            memcpy(s, l->sets + (size_t) a * l->len,
                   l->len * sizeof(uint32_t));
            s[k - 1] = l->sets[(size_t) b * l->len + l->len - 1];

            for (d = 0; d < k; d++) {
                for (q = 0, w = 0; q < k; q++) {
                    if (q != d) {
                        sub[w++] = s[q];
                    }
                }

                if (!oracle_ap_frequent(l, sub)) {
                    break;
                }
            }

            if (d < k) {
                continue;
            }

            if (oracle_ap_grow(&next->sets, &cap,
                               ((size_t) next->n + 1) * k) != 0)
            {
                free(s);
                return RECSYS_ENOMEM;
            }
            memcpy(next->sets + (size_t) next->n * k, s,
                   k * sizeof(uint32_t));
            next->n++;
        }
    }

    free(s);

    *counts = calloc((size_t) next->n + 1, sizeof(uint32_t));
    if (*counts == NULL) {
        return RECSYS_ENOMEM;
    }

    for (r = 0; r < tx->n_rows; r++) {
        for (e = tx->offsets[r]; e < tx->offsets[r + 1]; e++) {
            mark[tx->entries[e].item] = r + 1;
        }

        for (c = 0; c < next->n; c++) {
            p = next->sets + (size_t) c * k;

            for (x = 0; x < k && mark[p[x]] == r + 1; x++) {
                /* void */
            }

            (*counts)[c] += (x == k);
        }
    }

    return RECSYS_OK;
}


static int
oracle_apriori(const recsys_csr_t *tx, uint32_t n_items,
    const recsys_mine_opts_t *o, recsys_itemsets_t *out)
{
    int             rc;
    size_t          cap[3] = { 1, 1, 1 };
    uint32_t        r, e, i, *count, *mark;
    oracle_level_t  level, next;

    memset(out, 0, sizeof(recsys_itemsets_t));
    memset(&level, 0, sizeof(oracle_level_t));

    if (o->min_count == 0 || o->max_len == 0
        || o->max_len > ORACLE_AP_MAX_LEN)
    {
        return RECSYS_EINVAL;
    }

    for (r = 0; r < tx->n_rows; r++) {
        for (e = tx->offsets[r]; e < tx->offsets[r + 1]; e++) {
            if (tx->entries[e].item >= n_items
                || (e > tx->offsets[r]
                    && tx->entries[e].item <= tx->entries[e - 1].item))
            {
                return RECSYS_EINVAL;
            }
        }
    }

    count = calloc((size_t) n_items + 1, sizeof(uint32_t));
    mark = calloc((size_t) n_items + 1, sizeof(uint32_t));
    level.sets = malloc(((size_t) n_items + 1) * sizeof(uint32_t));
    level.len = 1;

    out->offsets = calloc(1, sizeof(uint32_t));
    out->items = malloc(sizeof(uint32_t));
    out->count = malloc(sizeof(uint32_t));

    rc = RECSYS_ENOMEM;
    if (count == NULL || mark == NULL || level.sets == NULL
        || out->offsets == NULL || out->items == NULL || out->count == NULL)
    {
        goto done;
    }

    for (e = 0; e < tx->n_entries; e++) {
        count[tx->entries[e].item]++;
    }

    for (i = 0; i < n_items; i++) {
        if (count[i] >= o->min_count) {
            level.sets[level.n] = i;
            count[level.n++] = count[i];
        }
    }

    rc = RECSYS_OK;

    for ( ;; ) {
        for (i = 0; i < level.n && rc == RECSYS_OK; i++) {
            rc = oracle_ap_emit(out, cap, level.sets + (size_t) i * level.len,
                                level.len, count[i], o->max_sets);
        }

        if (rc != RECSYS_OK || level.len == o->max_len || level.n < 2) {
            break;
        }

        free(count);
        rc = oracle_ap_next(tx, &level, mark, &next, &count);
        free(level.sets);
        level.sets = next.sets;
        level.n = 0;
        level.len = next.len;

        if (rc != RECSYS_OK) {
            break;
        }

        /* keep the frequent candidates, their counts beside them */

        for (i = 0; i < next.n; i++) {
            if (count[i] >= o->min_count) {
                memmove(level.sets + (size_t) level.n * level.len,
                        level.sets + (size_t) i * level.len,
                        level.len * sizeof(uint32_t));
                count[level.n++] = count[i];
            }
        }
    }

done:

    free(count);
    free(mark);
    free(level.sets);

    if (rc != RECSYS_OK) {
        recsys_itemsets_free(out);
    }

    return rc;
}

#endif /* ORACLE_APRIORI_H */
