/*
 * recsys_rules_read.h: association rules as the server reads them.
 *
 * The packed, read-in-place form of mined rules (written by
 * recsys_rules_pack() in recsys_rules.c): a recsys_rules_head_t, then
 * uint32 offsets[n_items + 1], then 32-byte recsys_rule_t records grouped
 * by their antecedent's smallest item (rules of group g at records
 * offsets[g] .. offsets[g + 1]).  Numbers are native-endian and read with
 * memcpy: the bytes may be only 2-byte aligned.  This half has no builder
 * dependencies, so the module compiles it.
 */

#ifndef RECSYS_RULES_READ_H
#define RECSYS_RULES_READ_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_topk.h"

#define RECSYS_RULES_MAGIC     0x52535552u     /* "RURS" little-endian */
#define RECSYS_RULES_MAX_ANTE  3


typedef struct {
    uint32_t   ante[RECSYS_RULES_MAX_ANTE];
    uint32_t   n_ante;
    uint32_t   cons;
    float      support;
    float      confidence;
    float      lift;
} recsys_rule_t;

typedef struct {
    uint32_t   magic;
    uint32_t   n_items;
    uint32_t   n_rules;
    uint32_t   reserved;
} recsys_rules_head_t;

/* A validated packed blob, pointing into the caller's bytes. */
typedef struct recsys_rules_view_s {
    const unsigned char  *offsets;      /* uint32[n_items + 1] */
    const unsigned char  *records;      /* 32-byte records */
    uint32_t              n_items;
    uint32_t              n_rules;
} recsys_rules_view_t;

/* Per fired consequent while scoring; caller's scratch. */
typedef struct {
    uint32_t   item;
    uint32_t   rule;            /* record index */
    float      confidence;
} recsys_rules_hit_t;

_Static_assert(sizeof(recsys_rule_t) == 32, "rule record layout");

/* Whether a rule's items are in range, distinct, antecedent ascending. */
int recsys_rules_valid(const recsys_rule_t *r, uint32_t n_items);

/*
 * Checks a packed blob (header, offsets, every record) and fills v with
 * pointers into it.  RECSYS_OK, RECSYS_EFORMAT (wrong magic) or
 * RECSYS_ECORRUPT.  p needs no alignment.
 */
int recsys_rules_view(const void *p, size_t size, recsys_rules_view_t *v);

/* Decodes record r (< v->n_rules). */
void recsys_rules_get(const recsys_rules_view_t *v, uint32_t r,
    recsys_rule_t *rule);

/*
 * The cap of recsys_rules_score that the builder's stored "assoc" lists
 * and request-time scoring both pass, so that a known user's list scored
 * again at request time (explain=1 names each item's rule) is the stored
 * one.
 */
#define RECSYS_RULES_CAP  64


/*
 * Scores a history against the rules: hist holds n_hist distinct item
 * indexes sorted ascending (items >= n_items are ignored); the first cap
 * rules of each history item's group are tried (cap 0: none).  hits is
 * the caller's scratch for hits_cap fired rules, n_hist * cap covers
 * every case; once it is full further rules are skipped.  Writes up to n
 * candidates best first into out (score = best confidence) and, when
 * because is not NULL, the record index of the rule that gave each its
 * score.  Returns the number written.  Touches no memory but its
 * arguments; never fails.
 */
uint32_t recsys_rules_score(const recsys_rules_view_t *v,
    const uint32_t *hist, uint32_t n_hist, uint32_t cap,
    recsys_rules_hit_t *hits, uint32_t hits_cap, recsys_scored_t *out,
    uint32_t *because, uint32_t n);

#endif /* RECSYS_RULES_READ_H */
