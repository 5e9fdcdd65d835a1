/*
 * test_rules.c: unit test of association rules (recsys_rules.c).
 *
 * 1. Property: on 200 seeded random transaction sets (sizes, densities,
 *    planted co-occurring groups, min_count and max_len all varied),
 *    FP-growth, an Apriori oracle (oracle_apriori.h) and a brute-force
 *    count over every itemset agree exactly, sets and counts, in
 *    canonical order; a max_sets limit stops
 *    both miners exactly when there are more sets than allowed.
 * 2. A tiny example whose itemsets, rule metrics, rule order, packed
 *    layout and scoring are worked out by hand below.
 * 3. Generated data (recsys_gen defaults): every planted bundle {a,b,c}
 *    comes out as the rules {a,b} -> c, {a,c} -> b, {b,c} -> a with the
 *    support and confidence counted here straight from interactions.csv,
 *    both with user and with session transactions; a history holding two
 *    items of a bundle gets the third recommended, explained by its rule.
 * Prints TAP.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recsys_gen.h"
#include "recsys_ingest.h"
#include "recsys_rng.h"
#include "recsys_rules.h"
#include "recsys_status.h"
#include "recsys_train.h"
#include "oracle_apriori.h"
#include "tap.h"
#include "file_fixture.h"
#include "ingest_fixture.h"
#include "train_fixture.h"


#define T_SEEDS       200
#define T_MAX_ITEMS   22
#define T_MAX_TX      240
#define T_BUNDLES     15
#define T_BSIZE       3


typedef struct {
    uint32_t   n;
    uint32_t   items[T_MAX_ITEMS];
    uint32_t   count;
} t_set_t;


static uint32_t
t_below(uint64_t *s, uint32_t n)
{
    return (uint32_t) (recsys_rng_unit(s) * n);
}


/* Transactions from bit masks (item i is bit i). */
static int
t_tx_from_masks(const uint32_t *mask, uint32_t n_tx, recsys_csr_t *tx)
{
    uint32_t  r, i, n;

    n = 0;
    for (r = 0; r < n_tx; r++) {
        n += (uint32_t) __builtin_popcount(mask[r]);
    }

    if (recsys_csr_alloc(tx, n_tx, n) != 0) {
        return -1;
    }

    n = 0;
    for (r = 0; r < n_tx; r++) {
        tx->offsets[r] = n;
        for (i = 0; i < 32; i++) {
            if (mask[r] & (1u << i)) {
                tx->entries[n].item = i;
                tx->entries[n].score = 1.0f;
                n++;
            }
        }
    }
    tx->offsets[n_tx] = n;

    return 0;
}


/*
 * Each user's transaction copied out of the rows by user: the items rated
 * at least min_value (the reference that FP-growth's in-place reading
 * with o.min_value is compared with).  RECSYS_OK or RECSYS_ENOMEM.
 */
static int
t_tx_users(const recsys_train_t *t, float min_value, recsys_csr_t *tx)
{
    uint32_t             u, e, n;
    const recsys_csr_t  *b;

    b = &t->by_user;
    n = 0;

    for (e = 0; e < b->n_entries; e++) {
        n += (b->entries[e].score >= min_value);
    }

    if (recsys_csr_alloc(tx, b->n_rows, n) != 0) {
        return RECSYS_ENOMEM;
    }

    n = 0;
    for (u = 0; u < b->n_rows; u++) {
        tx->offsets[u] = n;

        for (e = b->offsets[u]; e < b->offsets[u + 1]; e++) {
            if (b->entries[e].score >= min_value) {
                tx->entries[n].item = b->entries[e].item;
                tx->entries[n].score = 1.0f;
                n++;
            }
        }
    }

    tx->offsets[b->n_rows] = n;

    return RECSYS_OK;
}


static int
t_cmp_set(const void *a, const void *b)
{
    uint32_t        i;
    const t_set_t  *x = a, *y = b;

    if (x->n != y->n) {
        return x->n < y->n ? -1 : 1;
    }

    for (i = 0; i < x->n; i++) {
        if (x->items[i] != y->items[i]) {
            return x->items[i] < y->items[i] ? -1 : 1;
        }
    }

    return 0;
}


/* Every itemset of 1..max_len items with count >= min_count, canonical. */
static uint32_t
t_brute(const uint32_t *mask, uint32_t n_tx, uint32_t n_items,
    uint32_t min_count, uint32_t max_len, t_set_t *out, uint32_t cap)
{
    uint32_t  m, r, c, i, n, len;

    n = 0;

    for (m = 1; m < (1u << n_items); m++) {
        len = (uint32_t) __builtin_popcount(m);
        if (len > max_len) {
            continue;
        }

        c = 0;
        for (r = 0; r < n_tx; r++) {
            c += ((mask[r] & m) == m);
        }

        if (c < min_count) {
            continue;
        }

        if (n < cap) {
            out[n].n = 0;
            for (i = 0; i < n_items; i++) {
                if (m & (1u << i)) {
                    out[n].items[out[n].n++] = i;
                }
            }
            out[n].count = c;
        }
        n++;
    }

    if (n <= cap) {
        qsort(out, n, sizeof(t_set_t), t_cmp_set);
    }

    return n;
}


static int
t_same_sets(const recsys_itemsets_t *a, const recsys_itemsets_t *b)
{
    return a->n_sets == b->n_sets && a->n_items_total == b->n_items_total
           && memcmp(a->offsets, b->offsets,
                     ((size_t) a->n_sets + 1) * sizeof(uint32_t)) == 0
           && memcmp(a->items, b->items,
                     (size_t) a->n_items_total * sizeof(uint32_t)) == 0
           && memcmp(a->count, b->count,
                     (size_t) a->n_sets * sizeof(uint32_t)) == 0;
}


static int
t_same_brute(const recsys_itemsets_t *a, const t_set_t *b, uint32_t nb)
{
    uint32_t  i, len;

    if (a->n_sets != nb) {
        return 0;
    }

    for (i = 0; i < nb; i++) {
        len = a->offsets[i + 1] - a->offsets[i];

        if (len != b[i].n || a->count[i] != b[i].count
            || memcmp(a->items + a->offsets[i], b[i].items,
                      len * sizeof(uint32_t)) != 0)
        {
            return 0;
        }
    }

    return 1;
}


static void
t_property(void)
{
    int                 rf, ra, agree, brute_ok, limit_ok, empty_ok;
    double              base, p[T_MAX_ITEMS];
    uint32_t            seed, n_tx, n_items, r, i, j, nb, total, limits;
    uint32_t            mask[T_MAX_TX], group, gsize;
    uint64_t            s;
    t_set_t            *bf;
    recsys_csr_t        tx;
    recsys_itemsets_t   a, b;
    recsys_mine_opts_t  o;

    bf = malloc(200000 * sizeof(t_set_t));
    if (bf == NULL) {
        tap_ok(0, "memory for the brute force");
        return;
    }

    agree = 1;
    brute_ok = 1;
    limit_ok = 1;
    empty_ok = 1;
    total = 0;
    limits = 0;

    for (seed = 1; seed <= T_SEEDS; seed++) {
        s = seed * 7919ULL;

        n_tx = 1 + t_below(&s, T_MAX_TX);
        n_items = 1 + t_below(&s, T_MAX_ITEMS);
        base = 0.02 + 0.5 * recsys_rng_unit(&s) * recsys_rng_unit(&s);

        for (i = 0; i < n_items; i++) {
            p[i] = base * (0.2 + 1.6 * recsys_rng_unit(&s));
        }

        /* a planted group of items that often come together */

        gsize = 2 + t_below(&s, 4);
        group = 0;
        for (i = 0; i < gsize && n_items > 1; i++) {
            group |= 1u << t_below(&s, n_items);
        }

        for (r = 0; r < n_tx; r++) {
            mask[r] = 0;
            for (i = 0; i < n_items; i++) {
                if (recsys_rng_unit(&s) < p[i]) {
                    mask[r] |= 1u << i;
                }
            }
            if (recsys_rng_unit(&s) < 0.2) {
                mask[r] |= group;
            }
        }

        o.min_count = 1 + t_below(&s, 1 + n_tx / 4);
        o.max_len = 1 + t_below(&s, 5);
        o.max_sets = 0;
        o.min_value = RECSYS_MINE_ANY_VALUE;

        if (t_tx_from_masks(mask, n_tx, &tx) != 0) {
            tap_ok(0, "memory for transactions");
            free(bf);
            return;
        }

        nb = t_brute(mask, n_tx, n_items, o.min_count, o.max_len, bf, 200000);
        total += nb;

        rf = recsys_rules_fpgrowth(&tx, n_items, &o, &a);
        ra = oracle_apriori(&tx, n_items, &o, &b);

        if (rf != RECSYS_OK || ra != RECSYS_OK || !t_same_sets(&a, &b)) {
            printf("# seed %u: fpgrowth %d (%u sets), apriori %d (%u sets)\n",
                   seed, rf, a.n_sets, ra, b.n_sets);
            agree = 0;
        }

        if (rf == RECSYS_OK && !t_same_brute(&a, bf, nb)) {
            printf("# seed %u: fpgrowth %u sets, brute force %u\n",
                   seed, a.n_sets, nb);
            brute_ok = 0;
        }

        recsys_itemsets_free(&a);
        recsys_itemsets_free(&b);

        /* a limit just below and at the true number of sets */

        if (nb > 1 && seed % 4 == 0) {
            limits++;

            o.max_sets = nb - 1;
            rf = recsys_rules_fpgrowth(&tx, n_items, &o, &a);
            ra = oracle_apriori(&tx, n_items, &o, &b);
            if (rf != RECSYS_ELIMIT || ra != RECSYS_ELIMIT) {
                limit_ok = 0;
            }
            recsys_itemsets_free(&a);
            recsys_itemsets_free(&b);

            o.max_sets = nb;
            rf = recsys_rules_fpgrowth(&tx, n_items, &o, &a);
            ra = oracle_apriori(&tx, n_items, &o, &b);
            if (rf != RECSYS_OK || ra != RECSYS_OK || a.n_sets != nb
                || b.n_sets != nb)
            {
                limit_ok = 0;
            }
            recsys_itemsets_free(&a);
            recsys_itemsets_free(&b);
        }

        /* a min_count above every count gives nothing, without error */

        if (seed % 10 == 0) {
            o.max_sets = 0;
            o.min_count = n_tx + 1;
            rf = recsys_rules_fpgrowth(&tx, n_items, &o, &a);
            ra = oracle_apriori(&tx, n_items, &o, &b);
            if (rf != RECSYS_OK || ra != RECSYS_OK || a.n_sets != 0
                || b.n_sets != 0)
            {
                empty_ok = 0;
            }
            recsys_itemsets_free(&a);
            recsys_itemsets_free(&b);
        }

        recsys_csr_free(&tx);
    }

    tap_ok(agree, "FP-growth and Apriori agree on %d random sets "
           "(%u itemsets in all)", T_SEEDS, total);
    tap_ok(brute_ok, "FP-growth matches a brute-force count on every seed");
    tap_ok(limit_ok, "max_sets stops both miners exactly past the limit "
           "(%u seeds)", limits);
    tap_ok(empty_ok, "min_count above every count: no sets, no error");

    /* bad input is refused */

    mask[0] = 0x5;
    t_tx_from_masks(mask, 1, &tx);
    tx.entries[1].item = 0;             /* {2, 0}: not ascending */
    o.min_count = 1;
    o.max_len = 2;
    o.max_sets = 0;
    o.min_value = RECSYS_MINE_ANY_VALUE;
    rf = recsys_rules_fpgrowth(&tx, 3, &o, &a);
    ra = oracle_apriori(&tx, 3, &o, &b);
    tx.entries[1].item = 2;
    j = recsys_rules_fpgrowth(&tx, 2, &o, &a) == RECSYS_EINVAL;
    o.min_count = 0;
    j = j && oracle_apriori(&tx, 3, &o, &b) == RECSYS_EINVAL;
    tap_ok(rf == RECSYS_EINVAL && ra == RECSYS_EINVAL && j,
           "unsorted rows, items out of range and min_count 0 are refused");
    recsys_csr_free(&tx);

    free(bf);
}


/*
 * The tiny example.  Eight transactions over items 0..4:
 *
 *   T0 {0,1,2}  T1 {0,1,2}  T2 {0,1}  T3 {0,3}
 *   T4 {1,3}    T5 {2,4}    T6 {0,1,2,4}  T7 {3}
 *
 * counts: {0} 5 (T0 T1 T2 T3 T6), {1} 5 (T0 T1 T2 T4 T6), {2} 4 (T0 T1
 * T5 T6), {3} 3 (T3 T4 T7), {4} 2; {0,1} 4 (T0 T1 T2 T6), {0,2} 3, {1,2}
 * 3, {0,1,2} 3 (T0 T1 T6); every other pair or triple is below 3.
 * With min_count 3: 8 frequent itemsets, canonically
 *   {0}5 {1}5 {2}4 {3}3 {0,1}4 {0,2}3 {1,2}3 {0,1,2}3.
 *
 * Rules (n = 8), support = count(S)/8, confidence = count(S)/count(A),
 * lift = confidence / (count(c)/8):
 *   {0}->1    4/8  4/5 = .8   .8 / (5/8) = 1.28
 *   {1}->0    4/8  .8         1.28
 *   {0}->2    3/8  3/5 = .6   .6 / (4/8) = 1.2      (fails conf .7)
 *   {2}->0    3/8  3/4 = .75  .75 / (5/8) = 1.2
 *   {1}->2    3/8  .6         1.2                   (fails conf .7)
 *   {2}->1    3/8  .75        1.2
 *   {0,1}->2  3/8  3/4 = .75  .75 / (4/8) = 1.5
 *   {0,2}->1  3/8  3/3 = 1    1 / (5/8) = 1.6
 *   {1,2}->0  3/8  1          1.6
 * With min_confidence .7, min_lift 1.1: 7 rules, in order (lift desc,
 * confidence desc, canonical)
 *   {0,2}->1, {1,2}->0, {0,1}->2, {0}->1, {1}->0, {2}->0, {2}->1.
 *
 * Packed groups by smallest antecedent item, rule order kept inside:
 *   group 0: {0,2}->1, {0,1}->2, {0}->1   group 1: {1,2}->0, {1}->0
 *   group 2: {2}->0, {2}->1               groups 3, 4: empty
 * Scoring (max confidence):
 *   history {0}: {0}->1 fires alone                     -> 1 (.8)
 *   history {0,2}: {0,2}->1 (1), {0}->1 (.8), {2}->1 (.75) for item 1,
 *     {2}->0 has its consequent in the history          -> 1 (1.0),
 *     explained by {0,2}->1 (record 0)
 *   history {2}: {2}->0 .75, {2}->1 .75, a tie          -> 0, 1
 *   history {0} with cap 1: only {0,2}->1 is tried, needs 2 -> nothing
 *   history {2} with room for one hit: {2}->0 (record 5) only -> 0
 *   history {1,2}: {1,2}->0 (1), {1}->0 (.8), {2}->0 (.75) -> 0 (1.0),
 *     explained by record 3; {2}->1 has its consequent in the history
 */
static void
t_tiny(void)
{
    int                   rc, ok;
    size_t                size;
    uint32_t              i, n, n_rules, because[8], hist[4];
    uint32_t              mask[8] = { 0x7, 0x7, 0x3, 0x9, 0xa, 0x14, 0x17,
                                      0x8 };
    unsigned char        *blob, *copy, *bad;
    recsys_csr_t          tx;
    recsys_rule_t        *rules, rule;
    recsys_scored_t       out[8];
    recsys_itemsets_t     s;
    recsys_rules_hit_t    hits[64];
    recsys_mine_opts_t    o;
    recsys_rules_opts_t   ro;
    recsys_rules_view_t   v;

    static const uint32_t  want_items[] = { 0, 1, 2, 3, 0, 1, 0, 2, 1, 2,
                                            0, 1, 2 };
    static const uint32_t  want_count[] = { 5, 5, 4, 3, 4, 3, 3, 3 };
    static const uint32_t  want_rule[7][4] = {
        /* n_ante, ante..., cons */
        { 2, 0, 2, 1 }, { 2, 1, 2, 0 }, { 2, 0, 1, 2 }, { 1, 0, 0, 1 },
        { 1, 1, 0, 0 }, { 1, 2, 0, 0 }, { 1, 2, 0, 1 }
    };
    static const double    want_metric[7][3] = {
        { .375, 1.0, 1.6 }, { .375, 1.0, 1.6 }, { .375, .75, 1.5 },
        { .5, .8, 1.28 }, { .5, .8, 1.28 }, { .375, .75, 1.2 },
        { .375, .75, 1.2 }
    };

    t_tx_from_masks(mask, 8, &tx);

    o.min_count = 3;
    o.max_len = 4;
    o.max_sets = 0;
    o.min_value = RECSYS_MINE_ANY_VALUE;

    rc = recsys_rules_fpgrowth(&tx, 5, &o, &s);
    ok = rc == RECSYS_OK && s.n_sets == 8 && s.n_items_total == 13
         && memcmp(s.items, want_items, sizeof(want_items)) == 0
         && memcmp(s.count, want_count, sizeof(want_count)) == 0;
    tap_ok(ok, "tiny example: the 8 frequent itemsets with their counts");

    {
        uint32_t  q[3] = { 0, 1, 2 }, q2[2] = { 1, 3 };

        tap_ok(recsys_itemsets_count(&s, q, 3) == 3
               && recsys_itemsets_count(&s, q + 1, 2) == 3
               && recsys_itemsets_count(&s, q2, 2) == 0,
               "itemset count lookup");
    }

    ro.min_support = 0.0;
    ro.min_confidence = 0.7;
    ro.min_lift = 1.1;
    ro.max_ante = 3;
    ro.max_rules = 0;

    rc = recsys_rules_generate(&s, 8, &ro, &rules, &n_rules);
    tap_is_int(n_rules, 7, "tiny example: 7 rules pass conf .7, lift 1.1");

    ok = rc == RECSYS_OK && n_rules == 7;
    for (i = 0; ok && i < 7; i++) {
        ok = rules[i].n_ante == want_rule[i][0]
             && rules[i].ante[0] == want_rule[i][1]
             && (rules[i].n_ante < 2 || rules[i].ante[1] == want_rule[i][2])
             && rules[i].cons == want_rule[i][3]
             && fabs(rules[i].support - want_metric[i][0]) < 1e-6
             && fabs(rules[i].confidence - want_metric[i][1]) < 1e-6
             && fabs(rules[i].lift - want_metric[i][2]) < 1e-5;
        if (!ok) {
            printf("# rule %u: %u items %u %u -> %u  %g %g %g\n", i,
                   rules[i].n_ante, rules[i].ante[0], rules[i].ante[1],
                   rules[i].cons, rules[i].support, rules[i].confidence,
                   rules[i].lift);
        }
    }
    tap_ok(ok, "tiny example: rule order and support/confidence/lift");

    ro.min_support = 0.4;
    ro.max_ante = 1;
    free(rules);
    rc = recsys_rules_generate(&s, 8, &ro, &rules, &n);
    tap_ok(rc == RECSYS_OK && n == 2 && rules[0].cons == 1
           && rules[1].cons == 0,
           "min_support .4 and max_ante 1 leave {0}->1, {1}->0");
    free(rules);

    ro.min_support = 0.0;
    ro.max_ante = 3;
    ro.max_rules = 3;
    rc = recsys_rules_generate(&s, 8, &ro, &rules, &n);
    tap_ok(rc == RECSYS_OK && n == 3 && rules[2].cons == 2,
           "max_rules keeps the best 3");
    free(rules);

    ro.max_rules = 0;
    recsys_rules_generate(&s, 8, &ro, &rules, &n_rules);

    /* packing, at an odd (2-byte) alignment as in an LMDB map */

    rc = recsys_rules_pack(rules, n_rules, 5, &blob, &size);
    tap_ok(rc == RECSYS_OK && size == 16 + 6 * 4 + 7 * 32,
           "packed size: head, 6 offsets, 7 records (%zu bytes)", size);

    copy = malloc(size + 2);
    memcpy(copy + 2, blob, size);

    rc = recsys_rules_view(copy + 2, size, &v);
    ok = rc == RECSYS_OK && v.n_rules == 7 && v.n_items == 5;
    if (ok) {
        /* bucket 0: {0}->1, then {0,2}->1 and {0,1}->2 in lift order */
        recsys_rules_get(&v, 0, &rule);
        ok = rule.n_ante == 1 && rule.ante[0] == 0 && rule.cons == 1;
        recsys_rules_get(&v, 1, &rule);
        ok = ok && rule.n_ante == 2 && rule.ante[0] == 0
             && rule.ante[1] == 2 && rule.cons == 1;
        recsys_rules_get(&v, 2, &rule);
        ok = ok && rule.n_ante == 2 && rule.ante[0] == 0
             && rule.ante[1] == 1 && rule.cons == 2;
        /* bucket 1: {1}->0, then {1,2}->0 */
        recsys_rules_get(&v, 3, &rule);
        ok = ok && rule.n_ante == 1 && rule.ante[0] == 1 && rule.cons == 0;
        recsys_rules_get(&v, 4, &rule);
        ok = ok && rule.n_ante == 2 && rule.ante[0] == 1 && rule.cons == 0;
        ok = ok && recsys_get_u32(v.offsets + 4) == 3
             && recsys_get_u32(v.offsets + 12) == 7
             && recsys_get_u32(v.offsets + 20) == 7;
    }
    tap_ok(ok, "view: groups by smallest antecedent item, one-item "
           "antecedents first, then the given order");

    hist[0] = 0;
    n = recsys_rules_score(&v, hist, 1, 16, hits, 64, out, because, 8);
    tap_ok(n == 1 && out[0].item == 1 && fabs(out[0].score - .8) < 1e-6
           && because[0] == 0, "history {0}: item 1 at .8 by {0}->1");

    hist[0] = 0;
    hist[1] = 2;
    n = recsys_rules_score(&v, hist, 2, 16, hits, 64, out, because, 8);
    tap_ok(n == 1 && out[0].item == 1 && out[0].score == 1.0f
           && because[0] == 1,
           "history {0,2}: item 1 at 1.0 by {0,2}->1, item 0 excluded");

    hist[0] = 2;
    n = recsys_rules_score(&v, hist, 1, 16, hits, 64, out, NULL, 8);
    tap_ok(n == 2 && out[0].item == 0 && out[1].item == 1
           && out[0].score == out[1].score,
           "history {2}: a tie at .75 goes to the smaller item");

    hist[0] = 0;
    hist[1] = 2;
    n = recsys_rules_score(&v, hist, 2, 1, hits, 64, out, because, 8);
    tap_ok(n == 1 && out[0].item == 1 && fabs(out[0].score - .8) < 1e-6
           && because[0] == 0,
           "cap 1: only the first rule of a group is tried ({0}->1 at .8, "
           "not {0,2}->1 at 1.0)");

    hist[0] = 2;
    n = recsys_rules_score(&v, hist, 1, 16, hits, 1, out, because, 8);
    tap_ok(n == 1 && out[0].item == 0 && because[0] == 5,
           "a full scratch skips the rules after it");

    hist[0] = 1;
    hist[1] = 2;
    n = recsys_rules_score(&v, hist, 2, 16, hits, 64, out, because, 1);
    tap_ok(n == 1 && out[0].item == 0 && out[0].score == 1.0f
           && because[0] == 4, "history {1,2}: item 0 at 1.0 by record 4");

    /* broken blobs */

    copy[2 + 16 + 4] = 9;               /* offsets[1] = 9 > n_rules */
    tap_is_int(recsys_rules_view(copy + 2, size, &v), RECSYS_ECORRUPT,
               "an offset past the records is corrupt");
    memcpy(copy + 2, blob, size);
    copy[2 + 16 + 24 + 12] = 7;         /* record 0: n_ante 7 */
    tap_is_int(recsys_rules_view(copy + 2, size, &v), RECSYS_ECORRUPT,
               "a record with 7 antecedent items is corrupt");
    memcpy(copy + 2, blob, size);
    tap_is_int(recsys_rules_view(copy + 2, size - 1, &v), RECSYS_ECORRUPT,
               "a truncated blob is corrupt");
    copy[2] ^= 0xff;
    tap_is_int(recsys_rules_view(copy + 2, size, &v), RECSYS_EFORMAT,
               "a wrong magic is not ours");

    rule = rules[0];
    rule.cons = rule.ante[0];
    tap_is_int(recsys_rules_pack(&rule, 1, 5, &bad, &size), RECSYS_EINVAL,
               "pack refuses a rule whose consequent is in its antecedent");

    free(copy);
    free(blob);
    free(rules);
    recsys_itemsets_free(&s);
    recsys_csr_free(&tx);
}


/* Sessions on a hand-made training set: cuts at gaps over 100 s. */
static void
t_sessions(void)
{
    int               rc, ok;
    recsys_csr_t      tx;
    recsys_train_t    t;
    recsys_entry_t    e[7];
    uint32_t          off[3] = { 0, 5, 7 };
    int64_t           ts[7] = { 1000, 1050, 1200, 1250, 1300, 10, 5000 };
    static const uint32_t  items[7] = { 9, 4, 7, 3, 5, 2, 1 };

    memset(&t, 0, sizeof(t));

    t.n_users = 2;
    t.n_items = 10;
    t_csr_rows(&t.seq, 2, off, items, e);
    t.seq_time = ts;

    /*
     * user 0: 9 @1000, 4 @1050 | 7 @1200, 3 @1250, 5 @1300
     * user 1: 2 @10 | 1 @5000
     * gap 100: {4,9} {3,5,7} {2} {1}; min_items 2 drops the singles
     */

    rc = recsys_rules_tx_sessions(&t, 100, 1, &tx);
    ok = rc == RECSYS_OK && tx.n_rows == 4 && tx.n_entries == 7
         && tx.offsets[1] == 2 && tx.offsets[2] == 5
         && tx.entries[0].item == 4 && tx.entries[1].item == 9
         && tx.entries[2].item == 3 && tx.entries[3].item == 5
         && tx.entries[4].item == 7 && tx.entries[5].item == 2;
    tap_ok(ok, "sessions cut at gaps over 100 s, items ascending");
    recsys_csr_free(&tx);

    rc = recsys_rules_tx_sessions(&t, 100, 2, &tx);
    tap_ok(rc == RECSYS_OK && tx.n_rows == 2 && tx.n_entries == 5,
           "min_items 2 drops single-item sessions");
    recsys_csr_free(&tx);

    rc = recsys_rules_tx_sessions(&t, 150, 1, &tx);
    tap_ok(rc == RECSYS_OK && tx.n_rows == 3 && tx.offsets[1] == 5,
           "a gap of exactly 150 s does not cut at gap 150");
    recsys_csr_free(&tx);

    t.seq_time = NULL;
    rc = recsys_rules_tx_sessions(&t, 100, 1, &tx);
    tap_ok(rc == RECSYS_OK && tx.n_rows == 2, "no times: a user is one "
           "session");
    recsys_csr_free(&tx);
}


static const recsys_rule_t *
t_find_rule(const recsys_rule_t *rules, uint32_t n, const uint32_t *ante,
    uint32_t n_ante, uint32_t cons)
{
    uint32_t  i;

    for (i = 0; i < n; i++) {
        if (rules[i].n_ante == n_ante && rules[i].cons == cons
            && memcmp(rules[i].ante, ante, n_ante * sizeof(uint32_t)) == 0)
        {
            return &rules[i];
        }
    }

    return NULL;
}


static int
t_cmp_u32(const void *a, const void *b)
{
    uint32_t  x = *(const uint32_t *) a, y = *(const uint32_t *) b;

    return x < y ? -1 : (x > y);
}


static void
t_gen(void)
{
    int                  rc, found, exact, sfound, scored, same;
    char                 tmpl[64], path[256];
    char                 line[512], *f, *g, *comma;
    char                 bid[T_BUNDLES][T_BSIZE][32], cur[64];
    size_t               size;
    double               sup, conf, worst_sconf;
    uint32_t             b, j, q, n_b, n_users, n_rules, n_srules, got;
    uint32_t             bi[T_BUNDLES][T_BSIZE], ante[2], hist[2], cons;
    uint32_t             have_all[T_BUNDLES], have_pair[T_BUNDLES][T_BSIZE];
    uint32_t             seen_mask[T_BUNDLES], because[10];
    unsigned char       *blob;
    recsys_csr_t         tx, stx;
    recsys_data_t        d;
    recsys_train_t       t;
    recsys_rule_t       *rules, *srules;
    recsys_scored_t      out[10];
    recsys_itemsets_t    s, s2, s3, ss;
    recsys_mine_opts_t   mo;
    recsys_rules_opts_t  ro;
    recsys_rules_view_t  v;
    recsys_rules_hit_t   hits[2 * 4096];
    const recsys_rule_t *r;
    FILE                *fp;

    t_mkdtemp(tmpl, sizeof(tmpl), "test_rules");

    if (!t_gen_train(tmpl, 0, &d, &t)) {
        return;
    }

    /* the planted bundles */

    snprintf(path, sizeof(path), "%s/truth/bundles.csv", tmpl);
    fp = fopen(path, "r");
    n_b = 0;
    if (fp != NULL && fgets(line, sizeof(line), fp) != NULL) {
        while (n_b < T_BUNDLES && fgets(line, sizeof(line), fp) != NULL) {
            line[strcspn(line, "\r\n")] = '\0';
            f = strchr(line, ',');
            for (j = 0; f != NULL && j < T_BSIZE; j++) {
                g = strchr(f + 1, '|');
                if (g != NULL) {
                    *g = '\0';
                }
                snprintf(bid[n_b][j], sizeof(bid[n_b][j]), "%s", f + 1);
                bi[n_b][j] = t_item(&d, f + 1);
                f = g;
            }
            n_b++;
        }
    }
    if (fp != NULL) {
        fclose(fp);
    }
    tap_is_int(n_b, T_BUNDLES, "read %d planted bundles", T_BUNDLES);

    /*
     * Independent counts: per user, which items of each bundle it has,
     * straight from interactions.csv (grouped by user, as the generator
     * writes it; a repeated row would only set a bit again).
     */

    memset(have_all, 0, sizeof(have_all));
    memset(have_pair, 0, sizeof(have_pair));
    memset(seen_mask, 0, sizeof(seen_mask));
    n_users = 0;
    cur[0] = '\0';

    snprintf(path, sizeof(path), "%s/interactions.csv", tmpl);
    fp = fopen(path, "r");

    for (;;) {
        int  eof;

        eof = (fp == NULL || fgets(line, sizeof(line), fp) == NULL);
        comma = eof ? NULL : strchr(line, ',');

        if (!eof && comma == NULL) {
            continue;
        }

        if (eof || strncmp(line, cur, (size_t) (comma - line)) != 0
            || cur[comma - line] != '\0')
        {
            /* a user ends: tally its bundle items */

            if (cur[0] != '\0' && strcmp(cur, "userId") != 0) {
                n_users++;
                for (b = 0; b < n_b; b++) {
                    if (seen_mask[b] == (1u << T_BSIZE) - 1) {
                        have_all[b]++;
                    }
                    for (j = 0; j < T_BSIZE; j++) {
                        if ((seen_mask[b] | (1u << j)) == (1u << T_BSIZE) - 1)
                        {
                            have_pair[b][j]++;  /* has all but maybe j */
                        }
                    }
                }
            }

            if (eof) {
                break;
            }

            memset(seen_mask, 0, sizeof(seen_mask));
            snprintf(cur, sizeof(cur), "%.*s", (int) (comma - line), line);
        }

        f = comma + 1;
        g = strchr(f, ',');
        if (g != NULL) {
            *g = '\0';
        }

        for (b = 0; b < n_b; b++) {
            for (j = 0; j < T_BSIZE; j++) {
                if (strcmp(f, bid[b][j]) == 0) {
                    seen_mask[b] |= 1u << j;
                }
            }
        }
    }

    if (fp != NULL) {
        fclose(fp);
    }

    tap_is_int(n_users, t.n_users, "counted %u users in interactions.csv",
               n_users);

    /* mine whole-user transactions */

    rc = t_tx_users(&t, 0.0f, &tx);

    mo.min_count = 30;                  /* bundles reach 2% of ~1960 */
    mo.max_len = 3;
    mo.max_sets = 2000000;
    mo.min_value = RECSYS_MINE_ANY_VALUE;

    rc = recsys_rules_fpgrowth(&tx, t.n_items, &mo, &s);
    tap_ok(rc == RECSYS_OK && s.n_sets > 0, "FP-growth on user "
           "transactions: %u itemsets", s.n_sets);

    rc = oracle_apriori(&tx, t.n_items, &mo, &s2);
    same = rc == RECSYS_OK && t_same_sets(&s, &s2);
    tap_ok(same, "Apriori gives the same itemsets on generated data");
    recsys_itemsets_free(&s2);

    /* the rows by user read in place with a least value: the sets of the
     * copied transactions of the rows at least that value */

    recsys_csr_free(&tx);
    memset(&s2, 0, sizeof(s2));
    memset(&s3, 0, sizeof(s3));
    rc = t_tx_users(&t, 4.0f, &tx);
    rc = rc == RECSYS_OK ? recsys_rules_fpgrowth(&tx, t.n_items, &mo, &s2)
                         : rc;
    mo.min_value = 4.0f;
    rc = rc == RECSYS_OK
         ? recsys_rules_fpgrowth(&t.by_user, t.n_items, &mo, &s3) : rc;
    tap_ok(rc == RECSYS_OK && s2.n_sets > 0 && t_same_sets(&s2, &s3),
           "rows rated 4 or more, in place: the copied rows' %u itemsets",
           s2.n_sets);
    recsys_itemsets_free(&s2);
    recsys_itemsets_free(&s3);
    recsys_csr_free(&tx);
    mo.min_value = RECSYS_MINE_ANY_VALUE;
    rc = t_tx_users(&t, 0.0f, &tx);

    ro.min_support = 0.0;
    ro.min_confidence = 0.5;
    ro.min_lift = 2.0;
    ro.max_ante = 2;
    ro.max_rules = 0;

    rc = recsys_rules_generate(&s, tx.n_rows, &ro, &rules, &n_rules);
    tap_ok(rc == RECSYS_OK, "%u rules with conf >= .5, lift >= 2", n_rules);

    found = 0;
    exact = 1;

    for (b = 0; b < n_b; b++) {
        for (j = 0; j < T_BSIZE; j++) {
            cons = bi[b][j];
            q = 0;
            for (got = 0; got < T_BSIZE; got++) {
                if (got != j) {
                    ante[q++] = bi[b][got];
                }
            }
            qsort(ante, 2, sizeof(uint32_t), t_cmp_u32);

            r = t_find_rule(rules, n_rules, ante, 2, cons);
            if (r == NULL) {
                printf("# bundle %u: no rule {%s,%s} -> %s\n", b,
                       bid[b][(j + 1) % 3], bid[b][(j + 2) % 3], bid[b][j]);
                continue;
            }

            found++;

            sup = (double) have_all[b] / n_users;
            conf = (double) have_all[b] / have_pair[b][j];

            if (fabs(r->support - sup) > 1e-6
                || fabs(r->confidence - conf) > 1e-6)
            {
                printf("# bundle %u -> %s: support %g vs %g, confidence %g "
                       "vs %g\n", b, bid[b][j], r->support, sup,
                       r->confidence, conf);
                exact = 0;
            }
        }
    }

    tap_is_int(found, n_b * T_BSIZE, "every planted bundle {a,b,c} gives "
               "{a,b}->c, {a,c}->b, {b,c}->a");
    tap_ok(exact && found > 0, "their support and confidence equal direct "
           "counts from interactions.csv");

    /* the packed rules recommend the third item of a bundle */

    rc = recsys_rules_pack(rules, n_rules, t.n_items, &blob, &size);
    if (rc == RECSYS_OK) {
        rc = recsys_rules_view(blob, size, &v);
    }
    tap_ok(rc == RECSYS_OK, "pack and view %u rules (%zu bytes)", n_rules,
           size);

    scored = rc == RECSYS_OK;
    for (b = 0; scored && b < n_b; b++) {
        recsys_rule_t  why;

        hist[0] = bi[b][0] < bi[b][1] ? bi[b][0] : bi[b][1];
        hist[1] = bi[b][0] < bi[b][1] ? bi[b][1] : bi[b][0];

        got = recsys_rules_score(&v, hist, 2, 4096, hits, 2 * 4096, out,
                                 because, 10);
        for (j = 0; j < got && out[j].item != bi[b][2]; j++) {
            /* void */
        }

        if (j == got) {
            printf("# bundle %u: %s not recommended\n", b, bid[b][2]);
            scored = 0;
            break;
        }

        /* the explanation: a rule for it, all of it in the history */

        recsys_rules_get(&v, because[j], &why);
        if (why.cons != bi[b][2] || why.confidence != out[j].score
            || (why.ante[0] != hist[0] && why.ante[0] != hist[1])
            || (why.n_ante == 2 && (why.ante[0] != hist[0]
                                    || why.ante[1] != hist[1])))
        {
            printf("# bundle %u: explained by a rule of %u items\n", b,
                   why.n_ante);
            scored = 0;
        }
    }
    tap_ok(scored, "a history with two items of a bundle gets the third, "
           "explained by a rule that fired for it");
    free(blob);

    /* session transactions: bundles are watched within hours */

    rc = recsys_rules_tx_sessions(&t, 3 * 3600, 2, &stx);
    mo.min_count = 30;
    rc = rc == RECSYS_OK ? recsys_rules_fpgrowth(&stx, t.n_items, &mo, &ss)
                         : rc;
    if (rc == RECSYS_OK) {
        rc = recsys_rules_generate(&ss, stx.n_rows, &ro, &srules, &n_srules);
    }
    tap_ok(rc == RECSYS_OK, "sessions (gap 3 h): %u transactions, %u rules",
           stx.n_rows, rc == RECSYS_OK ? n_srules : 0);

    sfound = 0;
    worst_sconf = 1.0;
    for (b = 0; rc == RECSYS_OK && b < n_b; b++) {
        ante[0] = bi[b][0] < bi[b][1] ? bi[b][0] : bi[b][1];
        ante[1] = bi[b][0] < bi[b][1] ? bi[b][1] : bi[b][0];
        r = t_find_rule(srules, n_srules, ante, 2, bi[b][2]);
        if (r != NULL) {
            sfound++;
            if (r->confidence < worst_sconf) {
                worst_sconf = r->confidence;
            }
        }
    }
    tap_ok(sfound == (int) n_b && worst_sconf >= 0.9,
           "every bundle is a session rule too (lowest confidence %.3f)",
           worst_sconf);

    if (rc == RECSYS_OK) {
        free(srules);
        recsys_itemsets_free(&ss);
    }
    recsys_csr_free(&stx);

    free(rules);
    recsys_itemsets_free(&s);
    recsys_csr_free(&tx);
    recsys_train_free(&t);
    recsys_data_free(&d);

    t_rm_gen(tmpl);
}


int
main(void)
{
    t_property();
    t_tiny();
    t_sessions();
    t_gen();

    return tap_done();
}
