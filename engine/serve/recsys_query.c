/*
 * recsys_query.c: request-time recommendation from a model's lists.
 *
 * Paths, cheapest first:
 *   - a known user, no session history: the source's (or the hybrid's)
 *     precomputed list, filtered; when filters exhaust a list that the
 *     builder cut at user_top, the list is computed again from the same
 *     inputs the builder used (stored history, per-source lists);
 *   - a session history (history=, with or without a known user): the
 *     item-based sources score it over their item-to-item lists, and the
 *     hybrid blends them with the user-based sources' stored lists;
 *   - neither: popular items, "fallback":"popular".
 * hybrid answers are filled up with popular items when the sources run
 * dry.  Seen items, exclusions, session items and genre filters apply on
 * every path.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_gru.h"
#include "recsys_hmm.h"
#include "recsys_markov.h"
#include "recsys_hash.h"
#include "recsys_query.h"
#include "recsys_rules_read.h"


#define RECSYS_QUERY_HISTORY_MAX  100

#if defined(__GNUC__)
#define RECSYS_PREFETCH(p)  __builtin_prefetch(p)
#else
#define RECSYS_PREFETCH(p)  ((void) (p))
#endif


/*
 * Asks for a row's first n entries, every cache line of them: rows lie
 * scattered over the map, so asking for all the rows a request walks
 * before walking any overlaps their misses instead of queueing them.
 */
static inline void
recsys_prefetch_bytes(const unsigned char *p, size_t len)
{
    size_t  off;

    for (off = 0; off < len; off += 64) {
        RECSYS_PREFETCH(p + off);
    }
}


static inline void
recsys_prefetch_row(recsys_row_t row, uint32_t n)
{
    recsys_prefetch_bytes(row.p, (size_t) n * sizeof(recsys_entry_t));
}


/* A row's first max entries (max 0: the whole row). */
static inline recsys_row_t
recsys_row_head(recsys_row_t row, uint32_t max)
{
    if (max != 0 && row.n > max) {
        row.n = max;
    }

    return row;
}


int
recsys_algo_parse(const char *name, size_t len)
{
    if (len == 6 && memcmp(name, "hybrid", 6) == 0) {
        return RECSYS_ALGO_HYBRID;
    }

    if (len == 4 && memcmp(name, "next", 4) == 0) {
        return RECSYS_ALGO_NEXT;
    }

    return recsys_source_parse(name, len);
}


/*
 * The name an answer echoes: a source's canonical name, so that algo=lstm
 * (the GRU's old name, still accepted by recsys_algo_parse) echoes "gru",
 * the name of what answered, like the keys of an explanation's sources.
 */
const char *
recsys_algo_name(int algo)
{
    if (algo == RECSYS_ALGO_HYBRID) {
        return "hybrid";
    }

    if (algo == RECSYS_ALGO_NEXT) {
        return "next";
    }

    return recsys_source_name(algo);
}


const char *
recsys_fallback_name(recsys_fallback_t fallback)
{
    switch (fallback) {
    case RECSYS_FALLBACK_POPULAR:
        return recsys_source_name(RECSYS_SRC_POPULAR);
    case RECSYS_FALLBACK_SEGMENT:
        return "segment";
    case RECSYS_FALLBACK_CONTENT:
        return recsys_source_name(RECSYS_SRC_CONTENT);
    case RECSYS_FALLBACK_ITEMCF:
        return recsys_source_name(RECSYS_SRC_ITEMCF);
    default:
        return NULL;
    }
}


int
recsys_itemset_init(recsys_itemset_t *set, uint32_t capacity,
    recsys_alloc_t *a)
{
    uint32_t  size;

    if (capacity > (1u << 28)) {
        return RECSYS_ENOMEM;
    }

    size = 16;
    while (size < capacity * 2) {
        size *= 2;
    }

    set->slots = a->alloc(a->ctx, (size_t) size * sizeof(uint32_t));
    if (set->slots == NULL) {
        return RECSYS_ENOMEM;
    }

    memset(set->slots, 0xff, (size_t) size * sizeof(uint32_t));
    set->mask = size - 1;
    set->n = 0;

    return RECSYS_OK;
}


void
recsys_itemset_add(recsys_itemset_t *set, uint32_t item)
{
    uint32_t  i;

    for (i = recsys_hash_u32(item) & set->mask;
         set->slots[i] != RECSYS_NO_INDEX;
         i = (i + 1) & set->mask)
    {
        if (set->slots[i] == item) {
            return;
        }
    }

    set->slots[i] = item;
    set->n++;
}


int
recsys_itemset_has(const recsys_itemset_t *set, uint32_t item)
{
    uint32_t  i;

    if (set == NULL || set->n == 0) {
        return 0;
    }

    for (i = recsys_hash_u32(item) & set->mask;
         set->slots[i] != RECSYS_NO_INDEX;
         i = (i + 1) & set->mask)
    {
        if (set->slots[i] == item) {
            return 1;
        }
    }

    return 0;
}


int
recsys_row_contains(recsys_row_t sorted, uint32_t item)
{
    uint32_t  lo, hi, mid, v;

    lo = 0;
    hi = sorted.n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        v = recsys_row_item(sorted, mid);

        if (v == item) {
            return 1;
        }

        if (v < item) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return 0;
}


int
recsys_filter_pass(const recsys_filter_t *f, uint32_t item)
{
    uint32_t      j, k;
    recsys_row_t  g;

    if (f == NULL) {
        return 1;
    }

    if (recsys_itemset_has(f->skip, item)
        || recsys_row_contains(f->seen, item))
    {
        return 0;
    }

    if (f->n_genres == 0) {
        return 1;
    }

    g = recsys_list_row(f->item_genres, item);

    for (j = 0; j < g.n; j++) {
        for (k = 0; k < f->n_genres; k++) {
            if (recsys_row_item(g, j) == f->genres[k]) {
                return 1;
            }
        }
    }

    return 0;
}


static recsys_row_t
recsys_row_empty(void)
{
    recsys_row_t  row;

    row.p = NULL;
    row.n = 0;

    return row;
}


/* A scored accumulator: open addressing from item to a double sum. */

typedef struct {
    uint32_t  item;
    double    score;
} recsys_acc_slot_t;

typedef struct {
    recsys_acc_slot_t  *slots;
    uint32_t            mask;
    uint32_t            shift;      /* 32 - log2(size): the hash's top bits */
} recsys_acc_t;


static int
recsys_acc_init(recsys_acc_t *acc, uint32_t capacity, recsys_alloc_t *a)
{
    uint32_t  size;

    if (capacity > (1u << 28)) {
        return RECSYS_ENOMEM;
    }

    size = 16;
    acc->shift = 28;
    while (size < capacity * 2) {
        size *= 2;
        acc->shift--;
    }

    acc->slots = a->alloc(a->ctx, (size_t) size * sizeof(recsys_acc_slot_t));
    if (acc->slots == NULL) {
        return RECSYS_ENOMEM;
    }

    /* all bits set: every item RECSYS_NO_INDEX (the score is not read) */
    memset(acc->slots, 0xff, (size_t) size * sizeof(recsys_acc_slot_t));

    acc->mask = size - 1;

    return RECSYS_OK;
}


static inline void
recsys_acc_add(recsys_acc_t *acc, uint32_t item, double v)
{
    uint32_t  i;

    /* Fibonacci hashing: one multiply, the product's top bits */
    for (i = (item * 0x9e3779b1u) >> acc->shift;
         acc->slots[i].item != RECSYS_NO_INDEX && acc->slots[i].item != item;
         i = (i + 1) & acc->mask)
    {
        /* probe */
    }

    if (acc->slots[i].item == RECSYS_NO_INDEX) {
        acc->slots[i].item = item;
        acc->slots[i].score = 0.0;
    }

    acc->slots[i].score += v;
}


/*
 * Rounds once and keeps the best `need` that pass the filter.  Once `need`
 * are kept, a candidate that would not displace the worst of them is
 * dropped before the filter is asked: the same set, fewer lookups.
 */
static uint32_t
recsys_acc_top(recsys_acc_t *acc, const recsys_filter_t *filter,
    uint32_t need, recsys_scored_t *out)
{
    uint32_t         i;
    recsys_topk_t    top;
    recsys_scored_t  cand;

    recsys_topk_init(&top, out, need);

    for (i = 0; i <= acc->mask; i++) {
        if (acc->slots[i].item == RECSYS_NO_INDEX) {
            continue;
        }

        cand.item = acc->slots[i].item;
        cand.score = (float) acc->slots[i].score;

        if ((top.n == top.k
             && (top.k == 0 || !recsys_scored_better(&cand, &top.heap[0])))
            || !recsys_filter_pass(filter, cand.item))
        {
            continue;
        }

        recsys_topk_push(&top, cand.item, cand.score);
    }

    return recsys_topk_sort(&top);
}


/*
 * The best `want` entries that pass the filter, in no particular order,
 * and the best score in *best (0 when none): the set recsys_acc_top()
 * keeps, found by selection, for a blend input, which sums its members
 * and needs no order.
 */
static int
recsys_acc_best(recsys_acc_t *acc, const recsys_filter_t *filter,
    uint32_t want, recsys_alloc_t *a, recsys_scored_t *out, uint32_t *n_out,
    float *best)
{
    uint32_t          i, n, b;
    recsys_scored_t  *cand;

    *n_out = 0;
    *best = 0.0f;

    cand = a->alloc(a->ctx, ((size_t) acc->mask + 1) * sizeof(*cand));
    if (cand == NULL) {
        return RECSYS_ENOMEM;
    }

    n = 0;
    for (i = 0; i <= acc->mask; i++) {
        if (acc->slots[i].item != RECSYS_NO_INDEX
            && recsys_filter_pass(filter, acc->slots[i].item))
        {
            cand[n].item = acc->slots[i].item;
            cand[n].score = (float) acc->slots[i].score;
            n++;
        }
    }

    if (n > want) {
        if (want == 0) {
            return RECSYS_OK;
        }

        recsys_topk_select(cand, n, want);
        n = want;
    }

    b = 0;
    for (i = 0; i < n; i++) {
        out[i] = cand[i];

        if (recsys_scored_better(&cand[i], &cand[b])) {
            b = i;
        }
    }

    *n_out = n;
    *best = n > 0 ? cand[b].score : 0.0f;

    return RECSYS_OK;
}


/* Sums history weight x neighbour score over the history into acc. */
static int
recsys_score_acc(const recsys_list_t *nbrs, recsys_row_t hist,
    uint32_t max_nbrs, recsys_alloc_t *a, recsys_acc_t *acc)
{
    int           rc;
    double        w;
    uint32_t      h, j, total;
    recsys_row_t  row;

    total = 0;
    for (h = 0; h < hist.n; h++) {
        total += recsys_row_head(recsys_list_row(nbrs,
                                     recsys_row_item(hist, h)), max_nbrs).n;
    }

    rc = recsys_acc_init(acc, total, a);
    if (rc != RECSYS_OK) {
        return rc;
    }

    /* in history order, in double, rounded once: both paths agree */

    for (h = 0; h < hist.n; h++) {
        w = recsys_row_score(hist, h);
        row = recsys_row_head(recsys_list_row(nbrs, recsys_row_item(hist, h)),
                              max_nbrs);

        for (j = 0; j < row.n; j++) {
            recsys_acc_add(acc, recsys_row_item(row, j),
                           w * (double) recsys_row_score(row, j));
        }
    }

    return RECSYS_OK;
}


int
recsys_score_history(const recsys_list_t *nbrs, recsys_row_t hist,
    uint32_t max_nbrs, const recsys_filter_t *filter, uint32_t need,
    recsys_alloc_t *a, recsys_scored_t *out, uint32_t *n_out)
{
    int           rc;
    recsys_acc_t  acc;

    *n_out = 0;

    if (nbrs == NULL || need == 0) {
        return RECSYS_OK;
    }

    rc = recsys_score_acc(nbrs, hist, max_nbrs, a, &acc);
    if (rc != RECSYS_OK) {
        return rc;
    }

    *n_out = recsys_acc_top(&acc, filter, need, out);

    return RECSYS_OK;
}


/*
 * The same list as recsys_score_history() as a set: the same members, in
 * no particular order, and the best score.
 */
static int
recsys_score_history_set(const recsys_list_t *nbrs, recsys_row_t hist,
    uint32_t max_nbrs, const recsys_filter_t *filter, uint32_t want,
    recsys_alloc_t *a, recsys_scored_t *out, uint32_t *n_out, float *best)
{
    int           rc;
    recsys_acc_t  acc;

    *n_out = 0;
    *best = 0.0f;

    if (nbrs == NULL || want == 0) {
        return RECSYS_OK;
    }

    rc = recsys_score_acc(nbrs, hist, max_nbrs, a, &acc);
    if (rc != RECSYS_OK) {
        return rc;
    }

    return recsys_acc_best(&acc, filter, want, a, out, n_out, best);
}


int
recsys_blend(const recsys_blend_src_t *src, uint32_t n_src,
    const recsys_filter_t *filter, uint32_t need, recsys_alloc_t *a,
    recsys_scored_t *out, uint32_t *n_out)
{
    int           rc;
    double        scale;
    uint32_t      s, j, total, n;
    recsys_acc_t  acc;

    *n_out = 0;

    total = 0;
    for (s = 0; s < n_src; s++) {
        total += src[s].row.p != NULL ? src[s].row.n : src[s].n_scored;
    }

    rc = recsys_acc_init(&acc, total, a);
    if (rc != RECSYS_OK) {
        return rc;
    }

    for (s = 0; s < n_src; s++) {
        if (src[s].weight == 0.0f || !(src[s].norm > 0.0f)) {
            continue;
        }

        scale = (double) src[s].weight / (double) src[s].norm;

        if (src[s].row.p != NULL) {
            for (j = 0; j < src[s].row.n; j++) {
                recsys_acc_add(&acc, recsys_row_item(src[s].row, j),
                               scale * recsys_row_score(src[s].row, j));
            }

        } else {
            n = src[s].n_scored;

            for (j = 0; j < n; j++) {
                recsys_acc_add(&acc, src[s].scored[j].item,
                               scale * src[s].scored[j].score);
            }
        }
    }

    *n_out = recsys_acc_top(&acc, filter, need, out);

    return RECSYS_OK;
}


void
recsys_default_weights(const recsys_model_t *m, float *weights)
{
    uint32_t      j, s;
    recsys_row_t  row;

    memset(weights, 0, RECSYS_NSRC * sizeof(float));

    row = recsys_list_row(recsys_model_list(m, RECSYS_L_WEIGHTS), 0);

    for (j = 0; j < row.n; j++) {
        s = recsys_row_item(row, j);
        weights[s] = recsys_row_score(row, j);
    }
}


/* The state of one request while it runs. */
typedef struct {
    const recsys_model_t   *m;
    const recsys_query_t   *q;
    recsys_alloc_t         *a;
    recsys_filter_t         filter;
    recsys_itemset_t        skip;
    recsys_row_t            hist;       /* what history scoring walks */
    uint32_t                max_nbrs;   /* per history item, 0: all */
    uint32_t               *rules_because;  /* algo=assoc: rule per item */
    recsys_scored_t        *out;
    uint32_t                need;
    uint32_t                have;
    float                   weights[RECSYS_NSRC];
    recsys_blend_src_t      blend[RECSYS_NSRC];
    int                     blend_src[RECSYS_NSRC];
    uint32_t                n_blend;
    double                  session_scale;  /* > 0: the session list
                                               answered, its S x this */
    int                     stored;     /* the stored hybrid list answered:
                                           no blend inputs read yet */
} recsys_qctx_t;


/* Appends list entries that pass the filter until out holds need. */
static void
recsys_query_take(recsys_qctx_t *c, recsys_row_t row,
    const recsys_filter_t *filter)
{
    int       pass_all;
    uint32_t  j, item;

    /* nothing to leave out: no lookup per entry */
    pass_all = filter == NULL
               || ((filter->skip == NULL || filter->skip->n == 0)
                   && filter->seen.n == 0 && filter->n_genres == 0);

    for (j = 0; j < row.n && c->have < c->need; j++) {
        item = recsys_row_item(row, j);

        if (!pass_all && !recsys_filter_pass(filter, item)) {
            continue;
        }

        c->out[c->have].item = item;
        c->out[c->have].score = recsys_row_score(row, j);
        c->have++;
    }
}


/* Popular items fill what is left: seen, listed and filtered ones skipped. */
static void
recsys_query_fill(recsys_qctx_t *c, recsys_list_id_t list)
{
    uint32_t  k;

    if (c->have >= c->need) {
        return;
    }

    for (k = 0; k < c->have; k++) {
        recsys_itemset_add(&c->skip, c->out[k].item);
    }

    recsys_query_take(c, recsys_list_row(recsys_model_list(c->m, list), 0),
                      &c->filter);
}


/*
 * The history that request-time scoring walks.  Without a session it is
 * the user's stored history with its stored weights and every neighbour,
 * exactly what the builder scored (bounded by the model's own --history
 * and --neighbors).  With one, the session items (most recent first, weight
 * 1) come first and the stored items follow with their weights scaled into
 * (0, 1]; the whole is capped at max_history.
 */
static int
recsys_query_history(recsys_qctx_t *c)
{
    float                 top;
    uint32_t              cap, n, j, k;
    unsigned char        *p;
    recsys_row_t          stored;
    const recsys_query_t *q;

    q = c->q;
    cap = q->max_history ? q->max_history : RECSYS_QUERY_HISTORY_MAX;

    stored = recsys_row_empty();
    if (q->user != RECSYS_NO_INDEX) {
        stored = recsys_list_row(recsys_model_list(c->m, RECSYS_L_USER_HIST),
                                 q->user);
    }

    if (q->n_history == 0) {
        /* exactly what the builder scored: no request caps apply */
        c->hist = stored;
        c->max_nbrs = 0;
        return RECSYS_OK;
    }

    c->max_nbrs = q->max_nbrs;

    p = c->a->alloc(c->a->ctx, (size_t) cap * sizeof(recsys_entry_t));
    if (p == NULL) {
        return RECSYS_ENOMEM;
    }

    n = 0;

    for (k = q->n_history; k > 0 && n < cap; k--) {
        recsys_entry_t  e;

        e.item = q->history[k - 1];
        e.score = 1.0f;
        memcpy(p + (size_t) n++ * sizeof(e), &e, sizeof(e));
    }

    top = 0.0f;
    for (j = 0; j < stored.n; j++) {
        if (recsys_row_score(stored, j) > top) {
            top = recsys_row_score(stored, j);
        }
    }

    for (j = 0; j < stored.n && n < cap && top > 0.0f; j++) {
        recsys_entry_t  e;

        e.item = recsys_row_item(stored, j);
        e.score = recsys_row_score(stored, j) / top;
        memcpy(p + (size_t) n++ * sizeof(e), &e, sizeof(e));
    }

    c->hist.p = p;
    c->hist.n = n;

    return RECSYS_OK;
}


/* Whether a source can score a session at request time. */
static int
recsys_is_session_source(const recsys_qctx_t *c, int s)
{
    const void  *p;
    size_t       size;

    if (recsys_source_is(s, RECSYS_SOURCE_SESSION)) {
        return recsys_model_source_list(c->m, RECSYS_L_ITEM_NBRS, s) != NULL;
    }

    return recsys_model_packed(c->m, s, &p, &size) == RECSYS_OK;
}


/*
 * The sequence models: the history in time order (oldest first), scored
 * by the model's own function, then filtered; they are asked for enough
 * candidates to survive what the filter takes away.
 */
static int
recsys_query_sequence(recsys_qctx_t *c, int s, recsys_scored_t *out,
    uint32_t need, uint32_t *n)
{
    int                    rc;
    size_t                 size;
    uint32_t               j, want, got, *seq;
    const void            *p;
    recsys_scored_t       *cand;
    recsys_markov_opts_t   mo;

    *n = 0;
    seq = c->a->alloc(c->a->ctx, (size_t) (c->hist.n + 1) * sizeof(uint32_t));
    want = need + c->q->n_exclude + c->q->n_history + c->filter.seen.n;
    cand = c->a->alloc(c->a->ctx, (size_t) want * sizeof(recsys_scored_t));

    if (seq == NULL || cand == NULL) {
        return RECSYS_ENOMEM;
    }

    for (j = 0; j < c->hist.n; j++) {
        seq[c->hist.n - 1 - j] = recsys_row_item(c->hist, j);
    }

    if (s == RECSYS_SRC_MARKOV) {
        recsys_markov_defaults(&mo);
        rc = recsys_markov_score(
                 recsys_model_source_list(c->m, RECSYS_L_ITEM_NBRS, s), seq,
                 c->hist.n, mo.window, mo.decay, recsys_row_empty(), NULL, 0,
                 want, c->a, cand, &got);

    } else {
        rc = recsys_model_packed(c->m, s, &p, &size);
        if (rc != RECSYS_OK) {
            return rc;
        }

        rc = s == RECSYS_SRC_HMM
             ? recsys_hmm_score(p, size, seq, c->hist.n, recsys_row_empty(),
                                NULL, 0, want, c->a, cand, &got)
             : recsys_gru_score(p, size, seq, c->hist.n, recsys_row_empty(),
                                NULL, 0, want, c->a, cand, &got);
    }

    if (rc != RECSYS_OK) {
        return rc;
    }

    for (j = 0; j < got && *n < need; j++) {
        if (recsys_filter_pass(&c->filter, cand[j].item)) {
            out[(*n)++] = cand[j];
        }
    }

    return RECSYS_OK;
}


/* Scores the history with a session-capable source into out. */
static int
recsys_query_score(recsys_qctx_t *c, int s, recsys_scored_t *out,
    uint32_t need, uint32_t *n)
{
    if (recsys_source_is(s, RECSYS_SOURCE_SEQUENCE)) {
        return recsys_query_sequence(c, s, out, need, n);
    }

    return recsys_score_history(
               recsys_model_source_list(c->m, RECSYS_L_ITEM_NBRS, s),
               c->hist, c->max_nbrs, &c->filter, need, c->a, out, n);
}


/*
 * algo=assoc for a session: the rules whose whole antecedent is among the
 * history items fire; an item scores the best confidence among its rules
 * (recsys_rules_read.c), and explain names that rule.
 */
static int
recsys_query_rules(recsys_qctx_t *c, recsys_result_t *res)
{
    uint32_t                    n, j, k, want, *items, *because, cap;
    recsys_scored_t            *out;
    recsys_rules_hit_t         *hits;
    const recsys_rules_view_t  *v;

    /* the first 128 rules of each history item's bucket: its one-item
     * antecedents come first (recsys_rules_pack), then longer ones */
    v = recsys_model_rules(c->m);
    cap = 128;
    n = c->hist.n;

    items = c->a->alloc(c->a->ctx, (size_t) (n ? n : 1) * sizeof(uint32_t));
    hits = c->a->alloc(c->a->ctx, (size_t) (n * cap + 1)
                                  * sizeof(recsys_rules_hit_t));
    want = c->need + c->q->n_exclude + c->q->n_history + c->filter.seen.n;
    out = c->a->alloc(c->a->ctx, (size_t) want * sizeof(recsys_scored_t));
    because = c->a->alloc(c->a->ctx, (size_t) want * sizeof(uint32_t));

    if (items == NULL || hits == NULL || out == NULL || because == NULL) {
        return RECSYS_ENOMEM;
    }

    /* the scorer wants the history as a sorted set */
    for (j = 0; j < n; j++) {
        items[j] = recsys_row_item(c->hist, j);

        for (k = j; k > 0 && items[k - 1] > items[k]; k--) {
            uint32_t  t = items[k];

            items[k] = items[k - 1];
            items[k - 1] = t;
        }
    }

    for (j = 0, k = 0; j < n; j++) {
        if (k == 0 || items[j] != items[k - 1]) {
            items[k++] = items[j];
        }
    }

    n = recsys_rules_score(v, items, k, cap, hits, k * cap, out, because,
                           want);

    c->rules_because = c->a->alloc(c->a->ctx,
                                   (size_t) (c->need ? c->need : 1)
                                   * sizeof(uint32_t));
    if (c->rules_because == NULL) {
        return RECSYS_ENOMEM;
    }

    for (j = 0; j < n && c->have < c->need; j++) {
        if (recsys_filter_pass(&c->filter, out[j].item)) {
            c->rules_because[c->have] = because[j];
            c->out[c->have++] = out[j];
        }
    }

    res->algo = RECSYS_SRC_ASSOC;

    return RECSYS_OK;
}


/* One source, for a known user or a session history. */
static int
recsys_query_source(recsys_qctx_t *c, int s, recsys_result_t *res)
{
    uint32_t              seg;
    recsys_row_t          recs, row;
    const recsys_list_t  *list;
    const recsys_query_t *q;

    q = c->q;
    list = recsys_model_source_list(c->m, RECSYS_L_USER_RECS, s);

    if (s == RECSYS_SRC_POPULAR || s == RECSYS_SRC_TRENDING) {
        if (recsys_model_list(c->m, s == RECSYS_SRC_POPULAR
                                    ? RECSYS_L_POPULAR : RECSYS_L_TRENDING)
            == NULL)
        {
            return RECSYS_ENOTFOUND;
        }

        recsys_query_take(c,
            recsys_list_row(recsys_model_list(c->m,
                                s == RECSYS_SRC_POPULAR ? RECSYS_L_POPULAR
                                                        : RECSYS_L_TRENDING),
                            0),
            &c->filter);
        return RECSYS_OK;
    }

    if (s == RECSYS_SRC_CLUSTER && q->user != RECSYS_NO_INDEX) {
        row = recsys_list_row(recsys_model_list(c->m, RECSYS_L_USER_SEGMENT),
                              q->user);
        if (recsys_model_list(c->m, RECSYS_L_SEGMENT_TOP) == NULL) {
            return RECSYS_ENOTFOUND;
        }

        if (row.n > 0) {
            seg = recsys_row_item(row, 0);
            recsys_query_take(c,
                recsys_list_row(recsys_model_list(c->m,
                                                  RECSYS_L_SEGMENT_TOP), seg),
                &c->filter);
            return RECSYS_OK;
        }
    }

    if (s == RECSYS_SRC_ASSOC && q->explain && recsys_model_rules(c->m)) {
        return recsys_query_rules(c, res);  /* to name each item's rule */
    }

    if (q->n_history == 0 && q->user != RECSYS_NO_INDEX && list != NULL) {
        recs = recsys_list_row(list, q->user);

        /* the builder left seen items out of this list already */
        c->filter.seen = recsys_row_empty();
        recsys_query_take(c, recs, &c->filter);
        c->filter.seen = recsys_list_row(
                             recsys_model_list(c->m, RECSYS_L_USER_SEEN),
                             q->user);

        if (c->have == c->need || recs.n < recsys_model_header(c->m)->user_top
            || !recsys_source_is(s, RECSYS_SOURCE_ITEM_BASED))
        {
            return RECSYS_OK;
        }

        /* the precomputed list was cut short: score from the history */
    }

    if (recsys_is_session_source(c, s)
        && (c->hist.n > 0 || list == NULL || q->n_history > 0))
    {
        return recsys_query_score(c, s, c->out, c->need, &c->have);
    }

    if (s == RECSYS_SRC_ASSOC && recsys_model_rules(c->m) != NULL) {
        return recsys_query_rules(c, res);
    }

    if (list == NULL) {
        return RECSYS_ENOTFOUND;
    }

    /* a user-based source asked for an anonymous session: item-CF answers */

    if (recsys_model_source_list(c->m, RECSYS_L_ITEM_NBRS, RECSYS_SRC_ITEMCF)
        == NULL)
    {
        return RECSYS_ENOTFOUND;
    }

    res->fallback = RECSYS_FALLBACK_ITEMCF;
    res->algo = RECSYS_SRC_ITEMCF;

    return recsys_query_score(c, RECSYS_SRC_ITEMCF, c->out, c->need,
                              &c->have);
}


/* Adds source s to the blend inputs, scored at request time if needed. */
static int
recsys_query_blend_input(recsys_qctx_t *c, int s)
{
    int                    rc;
    uint32_t               n, want;
    recsys_scored_t       *scored;
    recsys_blend_src_t    *b;
    const recsys_list_t   *list;
    const recsys_query_t  *q;

    q = c->q;
    b = &c->blend[c->n_blend];
    memset(b, 0, sizeof(recsys_blend_src_t));
    b->weight = c->weights[s];

    if (s == RECSYS_SRC_POPULAR || s == RECSYS_SRC_TRENDING) {
        b->row = recsys_list_row(recsys_model_list(c->m,
                                     s == RECSYS_SRC_POPULAR
                                     ? RECSYS_L_POPULAR : RECSYS_L_TRENDING),
                                 0);
        /* a prior, not a candidate flood: its best user_top items */
        want = recsys_model_header(c->m)->user_top;
        b->row.n = b->row.n < want ? b->row.n : want;

    } else if (q->n_history > 0 && recsys_is_session_source(c, s)) {
        want = recsys_model_header(c->m)->user_top;
        want = want > c->need ? want : c->need;

        scored = c->a->alloc(c->a->ctx, (size_t) want * sizeof(*scored));
        if (scored == NULL) {
            return RECSYS_ENOMEM;
        }

        if (recsys_source_is(s, RECSYS_SOURCE_SEQUENCE)) {
            rc = recsys_query_score(c, s, scored, want, &n);
            b->norm = n > 0 ? scored[0].score : 0.0f;

        } else {
            /* the blend sums its inputs: their members, not their order */
            rc = recsys_score_history_set(
                     recsys_model_source_list(c->m, RECSYS_L_ITEM_NBRS, s),
                     c->hist, c->max_nbrs, &c->filter, want, c->a, scored,
                     &n, &b->norm);
        }

        if (rc != RECSYS_OK) {
            return rc;
        }

        b->scored = scored;
        b->n_scored = n;

    } else if (q->user != RECSYS_NO_INDEX) {
        list = recsys_model_source_list(c->m, RECSYS_L_USER_RECS, s);
        b->row = recsys_list_row(list, q->user);

    } else {
        return RECSYS_OK;
    }

    if (b->row.p != NULL) {
        b->norm = b->row.n > 0 ? recsys_row_score(b->row, 0) : 0.0f;
    }

    if (b->norm > 0.0f) {
        c->blend_src[c->n_blend++] = s;
    }

    return RECSYS_OK;
}


/* The blend inputs of the request's weights, scored where needed. */
static int
recsys_query_blend_inputs(recsys_qctx_t *c)
{
    int  rc, s;

    c->n_blend = 0;

    for (s = 0; s < RECSYS_NSRC; s++) {
        if (c->weights[s] > 0.0f) {
            rc = recsys_query_blend_input(c, s);
            if (rc != RECSYS_OK) {
                return rc;
            }
        }
    }

    return RECSYS_OK;
}


/*
 * The session scores, in a dense array over the items (a double each, all
 * zero between requests): an add is one load and one store, no hashing,
 * no record of what was touched.  The candidates are the entries of the
 * rows that were added, walked again once the sums are complete; reading
 * an item's sum puts it back to zero, so an item in several rows is read
 * once.  The array is the worker's scratch when the request has one of the
 * model's size (the module keeps one per worker), else it comes zeroed
 * from the request's allocator.
 */
struct recsys_scratch_s {
    double         *score;
    uint32_t        n_items;
};


recsys_scratch_t *
recsys_scratch_create(uint32_t n_items)
{
    recsys_scratch_t  *s;

    s = calloc(1, sizeof(recsys_scratch_t));
    if (s == NULL) {
        return NULL;
    }

    s->score = calloc((size_t) n_items + 1, sizeof(double));
    s->n_items = n_items;

    if (s->score == NULL) {
        recsys_scratch_destroy(s);
        return NULL;
    }

    return s;
}


void
recsys_scratch_destroy(recsys_scratch_t *s)
{
    if (s != NULL) {
        free(s->score);
        free(s);
    }
}


uint32_t
recsys_scratch_items(const recsys_scratch_t *s)
{
    return s->n_items;
}


static double *
recsys_session_scores(recsys_qctx_t *c)
{
    size_t             n;
    double            *score;
    recsys_scratch_t  *d;

    d = c->q->scratch;
    n = (size_t) recsys_model_header(c->m)->n_items + 1;

    if (d != NULL && (size_t) d->n_items + 1 == n) {
        return d->score;
    }

    score = c->a->alloc(c->a->ctx, n * sizeof(double));
    if (score != NULL) {
        memset(score, 0, n * sizeof(double));
    }

    return score;
}


/*
 * A row's entries times v, added to the scores.  Returns the
 * largest score an item reached during the adds (at least best) and lowers
 * *low to the smallest term added: when no term is negative a score only
 * grows, so the largest reached is the largest final score.
 */
static inline double
recsys_session_add_row(double *score, recsys_row_t row, double v, double best,
    double *low)
{
    double    t, s, lo;
    uint32_t  j, item;

    lo = *low;

    for (j = 0; j < row.n; j++) {
        item = recsys_row_item(row, j);
        t = v * (double) recsys_row_score(row, j);
        s = score[item] + t;
        score[item] = s;
        best = best > s ? best : s;
        lo = lo < t ? lo : t;
    }

    *low = lo;

    return best;
}


/* The largest score among a row's items that the filter keeps. */
static double
recsys_session_best(const double *score, recsys_row_t row,
    const recsys_filter_t *genre, double best)
{
    double    v;
    uint32_t  j, item;

    for (j = 0; j < row.n; j++) {
        item = recsys_row_item(row, j);
        v = score[item];

        if (v > best
            && (genre->n_genres == 0 || recsys_filter_pass(genre, item)))
        {
            best = v;
        }
    }

    return best;
}


/* The smallest sum that can still take a place (recsys_session_take). */
static inline double
recsys_session_vfloor(const recsys_topk_t *top, double scale)
{
    double  f;

    f = 0x1p-1074;      /* the smallest positive double */

    if (top->n == top->k && top->k > 0) {
        f = (double) top->heap[0].score * (1.0 - 1e-6) / scale;
        f = f > 0x1p-1074 ? f : 0x1p-1074;
    }

    return f;
}


/*
 * The candidates of a row's entries into the top list, their
 * scores times scale; each item's score is read once and put back to zero.
 *
 * Most entries have no place (read already, excluded, not positive, or
 * below the worst kept score once the list is full), and one comparison of
 * the sum itself, before any conversion, turns them away: vfloor is the
 * smallest positive double while the list has room, then the worst kept
 * score less a margin of 1e-6, over scale.  Below that, v x scale rounded
 * to a float is below the worst kept score (the margin is far above the
 * rounding of a double product and of a float), so the exact test, made
 * on what passes, decides the same as it would on every entry.  The one
 * branch is well predicted, half the entries being repeats.
 */
static void
recsys_session_take(double *score, recsys_row_t row, double scale,
    const recsys_filter_t *genre, recsys_topk_t *top)
{
    double           v, vfloor;
    uint32_t         j;
    recsys_scored_t  cand;

    vfloor = recsys_session_vfloor(top, scale);

    for (j = 0; j < row.n; j++) {
        cand.item = recsys_row_item(row, j);
        v = score[cand.item];
        score[cand.item] = 0.0;

        if (!(v >= vfloor)) {
            continue;
        }

        cand.score = (float) (v * scale);

        if (top->n == top->k
            && (cand.score < top->heap[0].score
                || !recsys_scored_better(&cand, &top->heap[0])))
        {
            continue;
        }

        if (genre->n_genres > 0 && !recsys_filter_pass(genre, cand.item)) {
            continue;
        }

        recsys_topk_push(top, cand.item, cand.score);
        vfloor = recsys_session_vfloor(top, scale);
    }
}


/* The session's and the excluded items' scores set to v. */
static void
recsys_session_block(recsys_qctx_t *c, double *score, double v)
{
    uint32_t  j;

    for (j = 0; j < c->q->n_exclude; j++) {
        score[c->q->exclude[j]] = v;
    }

    for (j = 0; j < c->q->n_history; j++) {
        score[c->q->history[j]] = v;
    }
}


/* A row's items' scores back to zero. */
static void
recsys_session_clear(double *score, recsys_row_t row)
{
    uint32_t  j;

    for (j = 0; j < row.n; j++) {
        score[recsys_row_item(row, j)] = 0.0;
    }
}


/*
 * The popular and trending priors, added as in the full blend: weight /
 * their best x score over their first user_top items, in the session's
 * units (divided by scale).  A prior that adds nothing is emptied.
 */
static void
recsys_session_add_priors(double *score, recsys_row_t *prior,
    const float *w_prior, double scale)
{
    int       p;
    double    factor;
    uint32_t  j;

    for (p = 0; p < 2; p++) {
        if (prior[p].n == 0 || !(recsys_row_score(prior[p], 0) > 0.0f)) {
            prior[p].n = 0;
            continue;
        }

        factor = (double) w_prior[p] / recsys_row_score(prior[p], 0) / scale;

        for (j = 0; j < prior[p].n; j++) {
            score[recsys_row_item(prior[p], j)] +=
                factor * recsys_row_score(prior[p], j);
        }
    }
}


/*
 * The rows an anonymous session walks: the session list; with a single
 * blended source the builder writes none (it would be that source's rows
 * times c_s, which the scaling to the best cancels) and the source's own
 * rows are walked (*single = 1).  NULL: the model has neither.
 */
static const recsys_list_t *
recsys_query_session_list(const recsys_model_t *m, int *single)
{
    recsys_row_t          scales;
    const recsys_list_t  *list;

    list = recsys_model_list(m, RECSYS_L_SESSION_SCALES);
    if (list == NULL) {
        return NULL;
    }

    scales = recsys_list_row(list, 0);

    if (single != NULL) {
        *single = 0;
    }

    if (recsys_model_list(m, RECSYS_L_SESSION) != NULL) {
        return recsys_model_list(m, RECSYS_L_SESSION);
    }

    if (scales.n != 1) {
        return NULL;
    }

    if (single != NULL) {
        *single = 1;
    }

    return recsys_model_source_list(m, RECSYS_L_ITEM_NBRS,
                                    (int) recsys_row_item(scales, 0));
}


/*
 * An anonymous session with the default blend, over the model's session
 * list (one row per item that already blends the item-to-item sources,
 * recsys_build.c): S(i) = sum over the history of weight x row_h(i), over
 * the first max_nbrs entries of each row.  S is scaled so that its best
 * item scores W, the sum of the blended sources' weights, as each source's
 * best would in the full blend, and the popular and trending priors are
 * added as they are there (weight / their best x score over their first
 * user_top items).  Session and excluded items are entered blocked (minus
 * infinity) before scoring, so no per-candidate filter runs but genre=.
 */
static int
recsys_query_session(recsys_qctx_t *c, const recsys_list_t *list)
{
    int              p;
    double           best, low, scale, bound, *score;
    uint32_t         h, j, top_n;
    recsys_row_t    *rows, prior[2], scales;
    recsys_topk_t    top;
    recsys_filter_t  genre;
    float            w_list, w_prior[2];

    /* the blended sources, as the builder listed them */
    scales = recsys_list_row(recsys_model_list(c->m, RECSYS_L_SESSION_SCALES),
                             0);
    w_list = 0.0f;
    for (j = 0; j < scales.n; j++) {
        w_list += c->weights[recsys_row_item(scales, j)];
    }

    top_n = recsys_model_header(c->m)->user_top;

    for (p = 0; p < 2; p++) {
        w_prior[p] = c->weights[p == 0 ? RECSYS_SRC_POPULAR
                                       : RECSYS_SRC_TRENDING];
        prior[p] = recsys_row_empty();

        if (w_prior[p] > 0.0f) {
            prior[p] = recsys_row_head(recsys_list_row(recsys_model_list(c->m,
                           p == 0 ? RECSYS_L_POPULAR : RECSYS_L_TRENDING), 0),
                           top_n);
        }
    }

    /* each history item's row, its first max_nbrs entries */
    rows = c->a->alloc(c->a->ctx,
                       ((size_t) c->hist.n + 1) * sizeof(recsys_row_t));
    score = recsys_session_scores(c);

    if (rows == NULL || score == NULL) {
        return RECSYS_ENOMEM;
    }

    for (h = 0; h < c->hist.n; h++) {
        rows[h] = recsys_row_head(recsys_list_row(list,
                                      recsys_row_item(c->hist, h)),
                                  c->max_nbrs);
        recsys_prefetch_row(rows[h], rows[h].n);
    }

    /* session and excluded items blocked: minus infinity stays so */
    recsys_session_block(c, score, -HUGE_VAL);

    best = 0.0;
    low = 0.0;

    for (h = 0; h < c->hist.n; h++) {
        best = recsys_session_add_row(score, rows[h],
                                      recsys_row_score(c->hist, h), best, &low);
    }

    genre = c->filter;
    genre.skip = NULL;
    genre.seen = recsys_row_empty();

    if (low < 0.0 || genre.n_genres > 0) {
        /* a negative term, or a genre filter: the best final score among
         * the items the filter keeps needs a pass */
        best = 0.0;

        for (h = 0; h < c->hist.n; h++) {
            best = recsys_session_best(score, rows[h], &genre, best);
        }
    }

    if (!(best > 0.0)) {
        /* nothing scored: popular fills */
        for (h = 0; h < c->hist.n; h++) {
            recsys_session_clear(score, rows[h]);
        }

        recsys_session_block(c, score, 0.0);    /* all zero again */
        return RECSYS_OK;
    }

    scale = w_list / best;
    c->session_scale = scale;
    recsys_session_add_priors(score, prior, w_prior, scale);

    recsys_topk_init(&top, c->out, c->need);

    for (h = 0; h < c->hist.n; h++) {
        recsys_session_take(score, rows[h], scale, &genre, &top);
    }

    /*
     * An item that only the priors scored has at most the sum of their
     * weights (each adds weight x score / its best).  Once the list is full
     * above that (with a margin for rounding), the priors' entries have no
     * place: their scores are only put back to zero.
     */
    bound = ((double) w_prior[0] + w_prior[1]) * (1.0 + 1e-6);

    for (p = 0; p < 2; p++) {
        if (top.n == top.k && top.k > 0 && top.heap[0].score > bound) {
            recsys_session_clear(score, prior[p]);

        } else {
            recsys_session_take(score, prior[p], scale, &genre, &top);
        }
    }

    recsys_session_block(c, score, 0.0);    /* all zero again */

    c->have = recsys_topk_sort(&top);

    return RECSYS_OK;
}


static int
recsys_query_hybrid(recsys_qctx_t *c)
{
    int                    rc;
    recsys_row_t           recs;
    const recsys_list_t   *session;
    const recsys_query_t  *q;

    q = c->q;

    session = q->n_history > 0 && q->weights == NULL
              && q->user == RECSYS_NO_INDEX
              ? recsys_query_session_list(c->m, NULL) : NULL;

    if (session != NULL) {
        return recsys_query_session(c, session);
    }

    if (q->n_history == 0 && q->weights == NULL
        && q->user != RECSYS_NO_INDEX)
    {
        /*
         * The builder's blend, stored as the "hybrid" list.  explain=1
         * reads the stored explanations of its entries, or else the
         * blend's inputs (stored per-source rows for a known user without
         * a session) to credit each source: no scoring either way.
         */
        recs = recsys_list_row(recsys_model_list(c->m, RECSYS_L_HYBRID),
                               q->user);
        if (recs.p != NULL) {
            c->filter.seen = recsys_row_empty();
            recsys_query_take(c, recs, &c->filter);
            c->filter.seen = recsys_list_row(
                                 recsys_model_list(c->m, RECSYS_L_USER_SEEN),
                                 q->user);

            if (c->have == c->need
                || recs.n < recsys_model_header(c->m)->user_top)
            {
                c->stored = 1;
                return RECSYS_OK;
            }

            c->have = 0;
        }
    }

    rc = recsys_query_blend_inputs(c);
    if (rc != RECSYS_OK) {
        return rc;
    }

    return recsys_blend(c->blend, c->n_blend, &c->filter, c->need, c->a,
                        c->out, &c->have);
}


/* item=I: the item's neighbours in one item-to-item list. */
static int
recsys_query_similar(recsys_qctx_t *c, recsys_result_t *res)
{
    int                   s;
    recsys_row_t          row;
    const recsys_list_t  *nbrs;

    s = recsys_source_is(c->q->algo, RECSYS_SOURCE_ITEM_BASED)
        ? c->q->algo : RECSYS_SRC_ITEMCF;

    nbrs = recsys_model_source_list(c->m, RECSYS_L_ITEM_NBRS, s);
    row = recsys_list_row(nbrs, c->q->item);

    if (row.n == 0 && s == RECSYS_SRC_ITEMCF) {
        /* an item nobody has watched yet: what it is, not who saw it */
        nbrs = recsys_model_source_list(c->m, RECSYS_L_ITEM_NBRS,
                                        RECSYS_SRC_CONTENT);
        if (nbrs != NULL) {
            s = RECSYS_SRC_CONTENT;
            row = recsys_list_row(nbrs, c->q->item);
            res->fallback = RECSYS_FALLBACK_CONTENT;
        }
    }

    if (nbrs == NULL && s != RECSYS_SRC_ITEMCF) {
        return RECSYS_ENOTFOUND;
    }

    res->algo = s;
    recsys_query_take(c, row, &c->filter);

    return RECSYS_OK;
}


/*
 * The result items as a small map from item to position, with a 256-bit
 * filter in front so that walking a list costs a few instructions per
 * entry that is not a result.
 */
typedef struct {
    uint64_t   bits[4];
    uint32_t  *slots;       /* item, position; RECSYS_NO_INDEX: empty */
    uint32_t   mask;
} recsys_resmap_t;


static void recsys_query_pick_because(recsys_qctx_t *c,
    const recsys_result_t *res, recsys_why_t *why, const float *credit,
    uint32_t hist_n);


static int
recsys_resmap_init(recsys_resmap_t *rm, const recsys_result_t *res,
    recsys_alloc_t *a)
{
    uint32_t  size, k, i, item;

    size = 16;
    while (size < res->n * 2) {
        size *= 2;
    }

    rm->slots = a->alloc(a->ctx, (size_t) size * 2 * sizeof(uint32_t));
    if (rm->slots == NULL) {
        return RECSYS_ENOMEM;
    }

    memset(rm->slots, 0xff, (size_t) size * 2 * sizeof(uint32_t));
    memset(rm->bits, 0, sizeof(rm->bits));
    rm->mask = size - 1;

    for (k = 0; k < res->n; k++) {
        item = res->items[k].item;
        rm->bits[(item >> 6) & 3] |= (uint64_t) 1 << (item & 63);

        for (i = recsys_hash_u32(item) & rm->mask;
             rm->slots[2 * i] != RECSYS_NO_INDEX;
             i = (i + 1) & rm->mask)
        {
            /* probe */
        }

        rm->slots[2 * i] = item;
        rm->slots[2 * i + 1] = k;
    }

    return RECSYS_OK;
}


/* The item's position among the results, RECSYS_NO_INDEX if not one. */
static inline uint32_t
recsys_resmap_find(const recsys_resmap_t *rm, uint32_t item)
{
    uint32_t  i;

    if (!(rm->bits[(item >> 6) & 3] & ((uint64_t) 1 << (item & 63)))) {
        return RECSYS_NO_INDEX;
    }

    for (i = recsys_hash_u32(item) & rm->mask;
         rm->slots[2 * i] != RECSYS_NO_INDEX;
         i = (i + 1) & rm->mask)
    {
        if (rm->slots[2 * i] == item) {
            return rm->slots[2 * i + 1];
        }
    }

    return RECSYS_NO_INDEX;
}


/*
 * Each blend input's part in each result's score: weight / norm x the
 * item's value in that input (0 when absent), one pass over each input,
 * which stops once every result has been met (up to 64 results; a list
 * holds an item once, so nothing after that can change a part).
 */
static void
recsys_query_contrib(recsys_qctx_t *c, const recsys_resmap_t *rm,
    const recsys_result_t *res, recsys_why_t *why)
{
    int                        s;
    float                      scale, v;
    uint64_t                   met, all;
    uint32_t                   b, j, k, n, item;
    const recsys_blend_src_t  *in;

    all = res->n < 64 ? ((uint64_t) 1 << res->n) - 1 : 0;

    for (b = 0; b < c->n_blend; b++) {
        if (c->blend[b].row.p != NULL) {
            recsys_prefetch_row(c->blend[b].row, c->blend[b].row.n);
        }
    }

    for (b = 0; b < c->n_blend; b++) {
        in = &c->blend[b];
        s = c->blend_src[b];
        scale = in->weight / in->norm;
        n = in->row.p != NULL ? in->row.n : in->n_scored;
        met = 0;

        for (j = 0; j < n && (all == 0 || met != all); j++) {
            if (in->row.p != NULL) {
                item = recsys_row_item(in->row, j);
                v = recsys_row_score(in->row, j);

            } else {
                item = in->scored[j].item;
                v = in->scored[j].score;
            }

            k = recsys_resmap_find(rm, item);

            if (k != RECSYS_NO_INDEX && why[k].contrib[s] == 0.0f) {
                why[k].contrib[s] = scale * v;
                met |= k < 64 ? (uint64_t) 1 << k : 0;
            }
        }
    }
}


/* How many of the newest history items explain=1 credits. */
static uint32_t
recsys_query_explain_history(const recsys_qctx_t *c)
{
    uint32_t  n;

    n = c->q->explain_history ? c->q->explain_history
                              : RECSYS_EXPLAIN_HISTORY;

    return c->hist.n < n ? c->hist.n : n;
}


/* sim_s(h, item): the first entry for item in h's whole row of source s. */
static float
recsys_query_row_score(const recsys_list_t *nbrs, uint32_t h, uint32_t item)
{
    uint32_t      j;
    recsys_row_t  row;

    row = recsys_list_row(nbrs, h);

    for (j = 0; j < row.n; j++) {
        if (recsys_row_item(row, j) == item) {
            return recsys_row_score(row, j);
        }
    }

    return 0.0f;
}


/*
 * explain=1 for an answer of the session list.  A result i got
 * scale x w_h x row_h(i) from each history item h whose row holds it
 * within max_nbrs: that is h's credit (for the newest explain_history
 * items), and it is split by source as scale x w_h x c_s x sim_s(h, i), the
 * terms the builder summed into row_h(i).  The priors add
 * weight / their best x their score, as in the answer.
 */
static int
recsys_query_session_explain(recsys_qctx_t *c, const recsys_resmap_t *rm,
    const recsys_result_t *res, recsys_why_t *why)
{
    int                   p, s, single;
    float                *credit, w, v, w_p;
    uint32_t              h, j, k, n, x, hist_n, top_n;
    recsys_row_t          row, scales, prior;
    const recsys_list_t  *list;

    list = recsys_query_session_list(c->m, &single);
    scales = recsys_list_row(recsys_model_list(c->m, RECSYS_L_SESSION_SCALES),
                             0);
    hist_n = recsys_query_explain_history(c);

    credit = c->a->alloc(c->a->ctx,
                         ((size_t) res->n * hist_n + 1) * sizeof(float));
    if (credit == NULL) {
        return RECSYS_ENOMEM;
    }

    memset(credit, 0, ((size_t) res->n * hist_n + 1) * sizeof(float));

    for (h = 0; h < c->hist.n; h++) {
        w = recsys_row_score(c->hist, h);
        row = recsys_row_head(recsys_list_row(list,
                                  recsys_row_item(c->hist, h)), c->max_nbrs);

        for (j = 0; j < row.n; j++) {
            k = recsys_resmap_find(rm, recsys_row_item(row, j));
            if (k == RECSYS_NO_INDEX) {
                continue;
            }

            v = (float) c->session_scale * w;

            if (h < hist_n) {
                credit[(size_t) k * hist_n + h] = v * recsys_row_score(row, j);
            }

            if (single) {
                /* the row is the source's own */
                s = (int) recsys_row_item(scales, 0);
                why[k].contrib[s] += v * recsys_row_score(row, j);
                continue;
            }

            for (x = 0; x < scales.n; x++) {
                s = (int) recsys_row_item(scales, x);
                why[k].contrib[s] += v * recsys_row_score(scales, x)
                    * recsys_query_row_score(
                          recsys_model_source_list(c->m, RECSYS_L_ITEM_NBRS,
                                                   s),
                          recsys_row_item(c->hist, h),
                          recsys_row_item(row, j));
            }
        }
    }

    top_n = recsys_model_header(c->m)->user_top;

    for (p = 0; p < 2; p++) {
        s = p == 0 ? RECSYS_SRC_POPULAR : RECSYS_SRC_TRENDING;
        w_p = c->weights[s];
        prior = recsys_list_row(recsys_model_list(c->m,
                    p == 0 ? RECSYS_L_POPULAR : RECSYS_L_TRENDING), 0);

        if (!(w_p > 0.0f) || prior.n == 0
            || !(recsys_row_score(prior, 0) > 0.0f))
        {
            continue;
        }

        n = prior.n < top_n ? prior.n : top_n;

        for (j = 0; j < n; j++) {
            k = recsys_resmap_find(rm, recsys_row_item(prior, j));
            if (k != RECSYS_NO_INDEX) {
                why[k].contrib[s] += w_p / recsys_row_score(prior, 0)
                                     * recsys_row_score(prior, j);
            }
        }
    }

    recsys_query_pick_because(c, res, why, credit, hist_n);

    return RECSYS_OK;
}


/*
 * The history items behind the results: each history item h is credited
 * with what it added to a result's score through the item-based sources
 * that scored that result (weighted and scaled like the blend); the
 * largest credits win, the earlier history item on a tie.  Each history
 * item's row is walked once per source, for all results together.  Only
 * the newest explain_history items (session items first, then the stored
 * history, newest first) are credited: "because you just watched" is what
 * a reader expects, and it bounds the walk to explain_history rows.
 */
static int
recsys_query_because(recsys_qctx_t *c, const recsys_resmap_t *rm,
    const recsys_result_t *res, recsys_why_t *why)
{
    int           s;
    float         scale, w, *credit;
    uint32_t      h, hist_n, k, j, b;
    recsys_row_t  row;

    hist_n = recsys_query_explain_history(c);

    if (hist_n == 0 || res->n == 0) {
        return RECSYS_OK;
    }

    credit = c->a->alloc(c->a->ctx,
                         (size_t) res->n * hist_n * sizeof(float));
    if (credit == NULL) {
        return RECSYS_ENOMEM;
    }

    memset(credit, 0, (size_t) res->n * hist_n * sizeof(float));

    for (s = 0; s < RECSYS_NSRC; s++) {
        if (!recsys_source_is(s, RECSYS_SOURCE_ITEM_BASED)
            || (res->algo != RECSYS_ALGO_HYBRID && res->algo != s))
        {
            continue;
        }

        scale = 1.0f;

        if (res->algo == RECSYS_ALGO_HYBRID) {
            scale = 0.0f;

            for (b = 0; b < c->n_blend; b++) {
                if (c->blend_src[b] == s) {
                    scale = c->blend[b].weight / c->blend[b].norm;
                }
            }
        }

        if (!(scale > 0.0f)) {
            continue;
        }

        for (k = 0; k < res->n && why[k].contrib[s] == 0.0f; k++) {
            /* is any result scored by s? */
        }

        if (k == res->n) {
            continue;
        }

        for (h = 0; h < hist_n; h++) {
            /* all the rows asked for first: their misses overlap */
            row = recsys_row_head(recsys_list_row(recsys_model_source_list(
                                      c->m, RECSYS_L_ITEM_NBRS, s),
                                  recsys_row_item(c->hist, h)), c->max_nbrs);
            recsys_prefetch_row(row, row.n);
        }

        for (h = 0; h < hist_n; h++) {
            if (s == RECSYS_SRC_MARKOV && h > 0) {
                break;      /* Markov follows the latest item only */
            }

            w = recsys_row_score(c->hist, h);
            row = recsys_row_head(recsys_list_row(recsys_model_source_list(
                                      c->m, RECSYS_L_ITEM_NBRS, s),
                                  recsys_row_item(c->hist, h)), c->max_nbrs);

            for (j = 0; j < row.n; j++) {
                k = recsys_resmap_find(rm, recsys_row_item(row, j));
                if (k != RECSYS_NO_INDEX && why[k].contrib[s] != 0.0f) {
                    credit[(size_t) k * hist_n + h] +=
                        scale * w * recsys_row_score(row, j);
                }
            }
        }
    }

    recsys_query_pick_because(c, res, why, credit, hist_n);

    return RECSYS_OK;
}


/* Up to RECSYS_BECAUSE_MAX history items per result by credit[k][h]. */
static void
recsys_query_pick_because(recsys_qctx_t *c, const recsys_result_t *res,
    recsys_why_t *why, const float *credit, uint32_t hist_n)
{
    float     v, kept[RECSYS_BECAUSE_MAX];     /* the kept items' credits */
    uint32_t  k, h, i, x;

    for (k = 0; k < res->n; k++) {
        why[k].n_because = 0;

        for (h = 0; h < hist_n; h++) {
            v = credit[(size_t) k * hist_n + h];
            if (!(v > 0.0f)) {
                continue;
            }

            /* insert into the short list, largest credit first */

            for (i = 0; i < why[k].n_because && kept[i] >= v; i++) {
                /* find the place */
            }

            if (i == RECSYS_BECAUSE_MAX) {
                continue;
            }

            x = why[k].n_because < RECSYS_BECAUSE_MAX
                ? why[k].n_because : RECSYS_BECAUSE_MAX - 1;

            for ( /* void */ ; x > i; x--) {
                why[k].because[x] = why[k].because[x - 1];
                kept[x] = kept[x - 1];
            }

            why[k].because[i] = recsys_row_item(c->hist, h);
            kept[i] = v;

            if (why[k].n_because < RECSYS_BECAUSE_MAX) {
                why[k].n_because++;
            }
        }
    }
}


/*
 * A result that no source scored was added by the popular fill: its score
 * is popular's part.  (Sources outside the blend have no part, so the sum
 * over all of them is the blend's.)
 */
static void
recsys_why_fill(recsys_why_t *why, float score)
{
    int    s;
    float  total;

    total = 0.0f;

    for (s = 0; s < RECSYS_NSRC; s++) {
        total += why->contrib[s];
    }

    if (total == 0.0f) {
        why->contrib[RECSYS_SRC_POPULAR] = score;
    }
}


/*
 * The builder's explanations of the stored hybrid list (recsys_schema.h's
 * "user.explain"), computed by this file's own walk (recsys_query_contrib,
 * recsys_query_because) with the same explain_history, so they are what
 * it would find.  The results are the
 * list's entries in its order, some left out by the request's filters:
 * one pass over the records finds them all.  Returns 0, with why partly
 * written, when a result has no record (the popular fill after a short
 * list, or a result past the stored records).
 */
static int
recsys_query_explain_stored(recsys_qctx_t *c, const recsys_result_t *res,
    recsys_why_t *why)
{
    int                   s;
    size_t                len, at;
    uint32_t              k, i, sources, n_because;
    const unsigned char  *p, *rec;

    if (recsys_model_explain(c->m, c->q->user,
                             recsys_query_explain_history(c), &p, &len)
        != RECSYS_OK)
    {
        return 0;
    }

    recsys_prefetch_bytes(p, len);

    at = 0;

    for (k = 0; k < res->n; k++) {
        for ( ;; ) {
            if (at == len) {
                return 0;
            }

            rec = p + at;
            at += recsys_explain_record_size(rec);

            if (recsys_get_u32(rec) == res->items[k].item) {
                break;
            }
        }

        memset(&why[k], 0, sizeof(recsys_why_t));
        why[k].rule = RECSYS_NO_INDEX;

        sources = recsys_get_u16(rec + 4);
        n_because = recsys_get_u16(rec + 6);
        rec += 8;

        for (s = 0; s < RECSYS_NSRC; s++) {
            if (sources & (1u << s)) {
                why[k].contrib[s] = recsys_get_f32(rec);
                rec += 4;
            }
        }

        for (i = 0; i < n_because; i++) {
            why[k].because[i] = recsys_get_u32(rec);
            rec += 4;
        }

        why[k].n_because = n_because;
    }

    return 1;
}


static int
recsys_query_explain(recsys_qctx_t *c, recsys_result_t *res)
{
    int               rc;
    uint32_t          k;
    recsys_why_t     *why;
    recsys_resmap_t   rm;

    why = c->a->alloc(c->a->ctx, (size_t) (res->n ? res->n : 1)
                                 * sizeof(recsys_why_t));
    if (why == NULL) {
        return RECSYS_ENOMEM;
    }

    if (c->stored) {
        if (recsys_query_explain_stored(c, res, why)) {
            res->why = why;
            return RECSYS_OK;
        }

        /* not all of them stored: credit them from the blend's inputs */
        rc = recsys_query_blend_inputs(c);
        if (rc != RECSYS_OK) {
            return rc;
        }
    }

    memset(why, 0, (size_t) (res->n ? res->n : 1) * sizeof(recsys_why_t));

    rc = recsys_resmap_init(&rm, res, c->a);
    if (rc != RECSYS_OK) {
        return rc;
    }

    if (c->session_scale > 0.0) {
        rc = recsys_query_session_explain(c, &rm, res, why);
        if (rc != RECSYS_OK) {
            return rc;
        }

        for (k = 0; k < res->n; k++) {
            why[k].rule = RECSYS_NO_INDEX;
            recsys_why_fill(&why[k], res->items[k].score);
        }

        res->why = why;

        return RECSYS_OK;
    }

    if (res->algo == RECSYS_ALGO_HYBRID) {
        recsys_query_contrib(c, &rm, res, why);
    }

    for (k = 0; k < res->n; k++) {
        why[k].rule = c->rules_because != NULL
                      ? c->rules_because[k + c->q->offset] : RECSYS_NO_INDEX;

        if (res->algo == RECSYS_ALGO_HYBRID) {
            recsys_why_fill(&why[k], res->items[k].score);

        } else if (res->algo >= 0 && res->algo < RECSYS_NSRC) {
            why[k].contrib[res->algo] = res->items[k].score;
        }
    }

    if (c->q->item != RECSYS_NO_INDEX) {
        for (k = 0; k < res->n; k++) {
            why[k].because[0] = c->q->item;
            why[k].n_because = 1;
        }

    } else {
        rc = recsys_query_because(c, &rm, res, why);
        if (rc != RECSYS_OK) {
            return rc;
        }
    }

    res->why = why;

    return RECSYS_OK;
}


static int
recsys_query_init(recsys_qctx_t *c, const recsys_model_t *m,
    const recsys_query_t *q, recsys_alloc_t *a)
{
    int       rc;
    uint32_t  k;

    memset(c, 0, sizeof(recsys_qctx_t));
    c->m = m;
    c->q = q;
    c->a = a;
    c->need = q->offset + q->n;

    c->out = a->alloc(a->ctx, (size_t) (c->need ? c->need : 1)
                              * sizeof(recsys_scored_t));
    if (c->out == NULL) {
        return RECSYS_ENOMEM;
    }

    rc = recsys_itemset_init(&c->skip, q->n_exclude + q->n_history + c->need,
                             a);
    if (rc != RECSYS_OK) {
        return rc;
    }

    for (k = 0; k < q->n_exclude; k++) {
        recsys_itemset_add(&c->skip, q->exclude[k]);
    }

    /* what the session has consumed is not recommended back */
    for (k = 0; k < q->n_history; k++) {
        recsys_itemset_add(&c->skip, q->history[k]);
    }

    c->filter.skip = &c->skip;
    c->filter.seen = recsys_row_empty();

    if (q->user != RECSYS_NO_INDEX) {
        c->filter.seen = recsys_list_row(
                             recsys_model_list(m, RECSYS_L_USER_SEEN),
                             q->user);
    }

    if (q->n_genres > 0) {
        c->filter.item_genres = recsys_model_list(m, RECSYS_L_ITEM_GENRES);
        c->filter.genres = q->genres;
        c->filter.n_genres = q->n_genres;
    }

    if (q->weights != NULL) {
        memcpy(c->weights, q->weights, sizeof(c->weights));

    } else {
        recsys_default_weights(m, c->weights);
    }

    return recsys_query_history(c);
}


/*
 * A known user with fewer items than the model's sparse_user threshold and
 * no session: collaborative lists say little about them, so hybrid answers
 * from their segment ("fallback":"segment").  Returns 1 when it did.
 */
static int
recsys_query_sparse(recsys_qctx_t *c, recsys_result_t *res)
{
    recsys_row_t  seg;

    if (c->q->user == RECSYS_NO_INDEX || c->q->n_history > 0
        || c->filter.seen.n >= recsys_model_header(c->m)->sparse_user)
    {
        return 0;
    }

    seg = recsys_list_row(recsys_model_list(c->m, RECSYS_L_USER_SEGMENT),
                          c->q->user);
    if (seg.n == 0) {
        return 0;
    }

    recsys_query_take(c,
        recsys_list_row(recsys_model_list(c->m, RECSYS_L_SEGMENT_TOP),
                        recsys_row_item(seg, 0)),
        &c->filter);

    res->algo = RECSYS_SRC_CLUSTER;
    res->fallback = RECSYS_FALLBACK_SEGMENT;

    return 1;
}


/* algo=next: the best sequence model this model has. */
static int
recsys_query_next_source(const recsys_model_t *m)
{
    static const int  order[] = {
        RECSYS_SRC_GRU, RECSYS_SRC_MARKOV, RECSYS_SRC_HMM
    };
    size_t            k;

    for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
        if (recsys_model_source_list(m, RECSYS_L_USER_RECS, order[k]) != NULL
            || recsys_model_source_list(m, RECSYS_L_ITEM_NBRS, order[k])
               != NULL)
        {
            return order[k];
        }
    }

    return -1;
}


static void
recsys_query_prefetch_user(const recsys_model_t *m, uint32_t user)
{
    size_t                k;
    const recsys_list_t  *l;

    static const recsys_list_id_t  lists[] = {
        RECSYS_L_HYBRID, RECSYS_L_USER_SEEN, RECSYS_L_USER_HIST
    };

    for (k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
        l = recsys_model_list(m, lists[k]);

        if (l != NULL && user < l->n_rows) {
            RECSYS_PREFETCH(l->offsets + (size_t) user * 4);
        }
    }
}


int
recsys_query_run(const recsys_model_t *m, const recsys_query_t *q,
    recsys_alloc_t *a, recsys_result_t *res)
{
    int            rc, algo;
    recsys_qctx_t  c;

    memset(res, 0, sizeof(recsys_result_t));

    if (q->user != RECSYS_NO_INDEX) {
        /* a known user's rows start at these offsets: ask for them all */
        recsys_query_prefetch_user(m, q->user);

        if (q->explain) {
            recsys_model_explain_prefetch(m, q->user);
        }
    }

    rc = recsys_query_init(&c, m, q, a);
    if (rc != RECSYS_OK) {
        return rc;
    }

    algo = q->algo;
    if (algo == RECSYS_ALGO_NEXT) {
        algo = recsys_query_next_source(m);
        if (algo < 0) {
            return RECSYS_ENOTFOUND;
        }
    }

    res->algo = algo;

    if (q->item != RECSYS_NO_INDEX) {
        rc = recsys_query_similar(&c, res);

    } else if (q->user == RECSYS_NO_INDEX && q->n_history == 0) {
        res->fallback = RECSYS_FALLBACK_POPULAR;
        res->algo = RECSYS_SRC_POPULAR;
        recsys_query_fill(&c, RECSYS_L_POPULAR);

    } else if (algo == RECSYS_ALGO_HYBRID && recsys_query_sparse(&c, res)) {
        recsys_query_fill(&c, RECSYS_L_POPULAR);

    } else if (algo == RECSYS_ALGO_HYBRID) {
        rc = recsys_query_hybrid(&c);
        if (rc == RECSYS_OK) {
            recsys_query_fill(&c, RECSYS_L_POPULAR);
        }

    } else {
        rc = recsys_query_source(&c, algo, res);
    }

    if (rc != RECSYS_OK) {
        return rc;
    }

    if (c.have > q->offset) {
        res->items = c.out + q->offset;
        res->n = c.have - q->offset;
    }

    if (q->explain) {
        return recsys_query_explain(&c, res);
    }

    return RECSYS_OK;
}
