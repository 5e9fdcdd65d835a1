/*
 * recsys_rules_read.c: validating and scoring packed association rules,
 * at request time in the module and for precomputed lists in the builder.
 */

#include <string.h>

#include "recsys_rules_read.h"
#include "recsys_schema.h"
#include "recsys_sorted.h"
#include "recsys_status.h"


int
recsys_rules_valid(const recsys_rule_t *r, uint32_t n_items)
{
    uint32_t  a;

    if (r->n_ante < 1 || r->n_ante > RECSYS_RULES_MAX_ANTE
        || r->cons >= n_items)
    {
        return 0;
    }

    for (a = 0; a < r->n_ante; a++) {
        if (r->ante[a] >= n_items || r->ante[a] == r->cons
            || (a > 0 && r->ante[a] <= r->ante[a - 1]))
        {
            return 0;
        }
    }

    return 1;
}


void
recsys_rules_get(const recsys_rules_view_t *v, uint32_t r,
    recsys_rule_t *rule)
{
    memcpy(rule, v->records + (size_t) r * sizeof(recsys_rule_t),
           sizeof(recsys_rule_t));
}


int
recsys_rules_view(const void *p, size_t size, recsys_rules_view_t *v)
{
    uint32_t                  g, r, a, b;
    uint64_t                  need;
    recsys_rule_t             rule;
    recsys_rules_head_t       head;
    recsys_rules_view_t       w;
    const unsigned char      *c;

    memset(v, 0, sizeof(recsys_rules_view_t));

    if (size < sizeof(head)) {
        return RECSYS_ECORRUPT;
    }

    c = p;
    memcpy(&head, c, sizeof(head));

    if (head.magic != RECSYS_RULES_MAGIC) {
        return RECSYS_EFORMAT;
    }

    need = sizeof(head) + ((uint64_t) head.n_items + 1) * 4
           + (uint64_t) head.n_rules * sizeof(recsys_rule_t);

    if (head.n_items == UINT32_MAX || need != size) {
        return RECSYS_ECORRUPT;
    }

    w.offsets = c + sizeof(head);
    w.records = w.offsets + ((size_t) head.n_items + 1) * 4;
    w.n_items = head.n_items;
    w.n_rules = head.n_rules;

    if (recsys_get_u32(w.offsets) != 0
        || recsys_get_u32(w.offsets + (size_t) head.n_items * 4)
           != head.n_rules)
    {
        return RECSYS_ECORRUPT;
    }

    for (g = 0; g < head.n_items; g++) {
        a = recsys_get_u32(w.offsets + (size_t) g * 4);
        b = recsys_get_u32(w.offsets + (size_t) g * 4 + 4);

        if (b < a || b > head.n_rules) {
            return RECSYS_ECORRUPT;
        }

        for (r = a; r < b; r++) {
            recsys_rules_get(&w, r, &rule);

            if (!recsys_rules_valid(&rule, head.n_items)
                || rule.ante[0] != g
                || !(rule.confidence >= 0.0f && rule.confidence <= 1.0f))
            {
                return RECSYS_ECORRUPT;
            }
        }
    }

    *v = w;

    return RECSYS_OK;
}


static int
recsys_rules_cmp_hit(const void *a, const void *b)
{
    const recsys_rules_hit_t  *x = a, *y = b;

    return recsys_sorted_then(recsys_sorted_order(x->item, y->item),
                              recsys_sorted_then(
                                  recsys_sorted_order(y->confidence, x->confidence),
                                  recsys_sorted_order(x->rule, y->rule)));
}


uint32_t
recsys_rules_score(const recsys_rules_view_t *v, const uint32_t *hist,
    uint32_t n_hist, uint32_t cap, recsys_rules_hit_t *hits,
    uint32_t hits_cap, recsys_scored_t *out, uint32_t *because, uint32_t n)
{
    uint32_t          i, r, a, from, to, h, n_hits, u, lo, hi, mid, k;
    recsys_rule_t     rule;
    recsys_topk_t     top;

    n_hits = 0;

    for (i = 0; i < n_hist; i++) {
        h = hist[i];

        if (h >= v->n_items) {
            continue;
        }

        from = recsys_get_u32(v->offsets + (size_t) h * 4);
        to = recsys_get_u32(v->offsets + (size_t) h * 4 + 4);

        if (to - from > cap) {
            to = from + cap;
        }

        for (r = from; r < to; r++) {
            recsys_rules_get(v, r, &rule);

            for (a = 1; a < rule.n_ante; a++) {
                if (!recsys_sorted_has(hist + i + 1, n_hist - i - 1,
                                     rule.ante[a]))
                {
                    break;
                }
            }

            if (a < rule.n_ante || recsys_sorted_has(hist, n_hist, rule.cons)) {
                continue;
            }

            if (n_hits == hits_cap) {
                break;
            }

            hits[n_hits].item = rule.cons;
            hits[n_hits].rule = r;
            hits[n_hits].confidence = rule.confidence;
            n_hits++;
        }
    }

    if (n_hits == 0 || n == 0) {
        return 0;
    }

    qsort(hits, n_hits, sizeof(recsys_rules_hit_t), recsys_rules_cmp_hit);

    /* the first hit of each item is its best: compact to those */

    u = 0;
    for (i = 0; i < n_hits; i++) {
        if (i == 0 || hits[i].item != hits[i - 1].item) {
            hits[u++] = hits[i];
        }
    }

    recsys_topk_init(&top, out, n);
    for (i = 0; i < u; i++) {
        recsys_topk_push(&top, hits[i].item, hits[i].confidence);
    }

    k = recsys_topk_sort(&top);

    if (because != NULL) {
        for (i = 0; i < k; i++) {
            lo = 0;
            hi = u;
            while (lo < hi) {
                mid = lo + (hi - lo) / 2;
                if (hits[mid].item < out[i].item) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            because[i] = hits[lo].rule;
        }
    }

    return k;
}
