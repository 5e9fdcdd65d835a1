/*
 * recsys_rules.h: association rules ("people who watched A and B also
 * watched C") mined from transactions, and scoring a history with them.
 *
 * Transactions.  A recsys_csr_t with a row per transaction whose entries
 * are distinct item indexes sorted ascending (the score is unused).  Two
 * makers: every user's item set (train->by_user), or sessions, a user's
 * time-ordered rows (train->seq, train->seq_time) cut wherever two
 * consecutive rows are more than `gap` seconds apart.
 *
 * Frequent itemsets.  Every itemset of at most max_len items contained in
 * at least min_count transactions, with that count, mined by FP-growth
 * (the tests hold it against an Apriori of their own).  The output is
 * canonical: items ascending inside a set, sets ordered by length, then
 * lexicographically.  Mining stops with RECSYS_ELIMIT when there are more
 * than max_sets frequent itemsets (0: no limit), so a too-low min_count
 * cannot eat the machine.
 *
 * Rules.  From each frequent itemset S of 2..max_ante + 1 items and each
 * c in S, the rule A -> c with A = S \ {c}:
 *
 *     support    = count(S) / n_tx
 *     confidence = count(S) / count(A)
 *     lift       = confidence / (count({c}) / n_tx)
 *
 * kept when all three reach their minimum, sorted by lift descending, then
 * confidence descending, then canonical order (antecedent length,
 * antecedent items lexicographically, consequent).  A and {c} are frequent
 * whenever S is, so every count is known exactly.
 *
 * Packed rules, read in place (little-endian, every value read with
 * memcpy: a blob in an LMDB map is only 2-byte aligned):
 *
 *     recsys_rules_head_t          16 bytes: magic, n_items, n_rules, 0
 *     uint32 offsets[n_items + 1]  record index of each group's start
 *     record[n_rules]              32 bytes each, recsys_rule_t's layout:
 *         uint32 ante[3]           antecedent, ascending, unused slots 0
 *         uint32 n_ante            1..3
 *         uint32 cons              consequent, not in ante
 *         float  support, confidence, lift
 *
 * Group i holds the rules whose smallest antecedent item is i, in the rule
 * order above (best lift first).  Scoring a history walks, for every
 * history item h, the first `cap` rules of group h: a rule fires when its
 * whole antecedent is in the history and its consequent is not.  Each rule
 * is looked at only from its smallest item, so the cost is at most
 * history length x cap rules, each checked by binary search.
 *
 * Score of a candidate: the largest confidence among the rules that fire
 * for it (the strongest single piece of evidence, in [0, 1] like the
 * other sources).  A sum was rejected: A -> c, B -> c and AB -> c fire
 * together on the same evidence and would count it three times.  Ties go
 * to the smaller item index, the ranking rule of recsys_topk.h.  The rule
 * reported for an item (the explanation) is the first of its
 * highest-confidence rules in record order.
 */

#ifndef RECSYS_RULES_H
#define RECSYS_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_csr.h"
#include "recsys_topk.h"
#include "recsys_rules_read.h"
#include "recsys_train.h"



typedef struct {
    uint32_t   n_sets;
    uint32_t   n_items_total;   /* entries in items */
    uint32_t  *offsets;         /* n_sets + 1, into items */
    uint32_t  *items;           /* each set ascending */
    uint32_t  *count;           /* n_sets: transactions containing it */
} recsys_itemsets_t;

typedef struct {
    uint32_t   min_count;       /* absolute support, at least 1 */
    uint32_t   max_len;         /* longest itemset, 1..32 */
    uint32_t   max_sets;        /* RECSYS_ELIMIT beyond this; 0: none */
    float      min_value;       /* entries scored below it are left out;
                                   RECSYS_MINE_ANY_VALUE: none */
} recsys_mine_opts_t;

/* A least value below every entry's: each row's transaction is all of it. */
#define RECSYS_MINE_ANY_VALUE  -1e30f

typedef struct {
    double     min_support;     /* fraction of transactions */
    double     min_confidence;
    double     min_lift;
    uint32_t   max_ante;        /* 1..3 */
    uint32_t   max_rules;       /* keep the best this many; 0: all */
} recsys_rules_opts_t;


_Static_assert(sizeof(recsys_rules_head_t) == 16, "rules head layout");


/*
 * Session transactions: each user's seq row cut where the time between
 * consecutive rows exceeds gap seconds (rows without a time, or no
 * seq_time at all, never cut); each session's items sorted ascending.
 * Sessions with fewer than min_items items are dropped (they count as no
 * transaction).  RECSYS_OK, RECSYS_EINVAL (gap < 0) or RECSYS_ENOMEM.
 */
int recsys_rules_tx_sessions(const recsys_train_t *t, int64_t gap,
    uint32_t min_items, recsys_csr_t *tx);

/*
 * Frequent itemsets of tx over items 0..n_items-1, canonical order, into
 * out (freed with recsys_itemsets_free(), also on failure); a row's
 * transaction is its entries scored at least o->min_value, so the rows by
 * user serve in place as the users' transactions (what each user rated at
 * least that value).  RECSYS_OK,
 * RECSYS_EINVAL (bad options, an item >= n_items, a row not strictly
 * ascending), RECSYS_ELIMIT (more than max_sets sets) or RECSYS_ENOMEM.
 */
int recsys_rules_fpgrowth(const recsys_csr_t *tx, uint32_t n_items,
    const recsys_mine_opts_t *o, recsys_itemsets_t *out);

void recsys_itemsets_free(recsys_itemsets_t *s);

/*
 * The count of a set given ascending, or 0 when it is not among the
 * frequent itemsets (binary search; s must be in canonical order).
 */
uint32_t recsys_itemsets_count(const recsys_itemsets_t *s,
    const uint32_t *items, uint32_t n);

/*
 * Rules from canonical frequent itemsets mined from n_tx transactions, in
 * the order described above, into a malloc'd array (*rules, NULL when
 * none).  RECSYS_OK, RECSYS_EINVAL (n_tx 0, max_ante out of 1..3, an
 * itemset whose subsets are missing) or RECSYS_ENOMEM.
 */
int recsys_rules_generate(const recsys_itemsets_t *s, uint32_t n_tx,
    const recsys_rules_opts_t *o, recsys_rule_t **rules, uint32_t *n_rules);

/*
 * Packs rules (all items < n_items) into a malloc'd blob of the layout
 * above, keeping their relative order inside each group.  RECSYS_OK,
 * RECSYS_EINVAL (a malformed rule) or RECSYS_ENOMEM.
 */
int recsys_rules_pack(const recsys_rule_t *rules, uint32_t n_rules,
    uint32_t n_items, unsigned char **blob, size_t *size);

#endif /* RECSYS_RULES_H */
