/*
 * fuzz_packed.c: the packed blobs a model file carries, scored.
 *
 * Feeds: u8 kind (0 HMM, 1 GRU, 2 rules, 3 Markov rows, 4 LSTM), then the
 * request
 * the blob is scored for, then the blob itself (the rest of the input,
 * copied 2 bytes past a 16-byte boundary, as LMDB aligns values):
 *     u8 n_hist, n_hist x u16 item;  u8 need;  u8 n_exclude, n_exclude x
 *     u16 item;  u8 window;  u8 decay (/255);  u8 n_seen, n_seen x u16
 *     item (sorted and made distinct: a seen row);  u8 rule cap.
 * As the model reader does, a blob is scored only after its check passed:
 * recsys_hmm_check then recsys_hmm_score, recsys_gru_check then
 * recsys_gru_score (recsys_lstm_check, recsys_lstm_score), recsys_rules_view then recsys_rules_get and
 * recsys_rules_valid of every record and recsys_rules_score, and for
 * Markov the list checks of recsys_model_read_list (sizes, offsets,
 * entries in range) then recsys_markov_score.
 * Asserts: no crash, no sanitizer report, no hang, and every result an
 * item index the blob knows, counted no more than asked.
 * With RECSYS_FUZZ_SEED_DIR set it writes the seed model's blobs there
 * (RECSYS_FUZZ_MODEL), each behind a small request, and exits.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_gru.h"
#include "recsys_lstm.h"
#include "recsys_hmm.h"
#include "recsys_markov.h"
#include "recsys_rules_read.h"
#include "recsys_status.h"

#include "fuzz_common.h"


#define RECSYS_FUZZ_MAXQ  256


typedef struct {
    uint32_t         hist[RECSYS_FUZZ_MAXQ];
    uint32_t         n_hist;
    uint32_t         exclude[RECSYS_FUZZ_MAXQ];
    uint32_t         n_exclude;
    uint32_t         need;
    uint32_t         window;
    float            decay;
    unsigned char    seen[RECSYS_FUZZ_MAXQ * sizeof(recsys_entry_t)];
    recsys_row_t     seen_row;
    uint32_t         cap;
} recsys_fuzz_req_t;


static recsys_alloc_t  recsys_fuzz_a;


static uint32_t
recsys_fuzz_items(recsys_fuzz_in_t *in, uint32_t *items)
{
    uint32_t  n, k;

    n = recsys_fuzz_u8(in);

    for (k = 0; k < n; k++) {
        items[k] = recsys_fuzz_u16(in);
    }

    return n;
}


/* Sorts items[0 .. n) and drops repeats; returns how many remain. */
static uint32_t
recsys_fuzz_sort_distinct(uint32_t *items, uint32_t n)
{
    uint32_t  j, k, t;

    for (j = 1; j < n; j++) {
        for (k = j; k > 0 && items[k - 1] > items[k]; k--) {
            t = items[k];
            items[k] = items[k - 1];
            items[k - 1] = t;
        }
    }

    for (j = 0, k = 0; j < n; j++) {
        if (k == 0 || items[j] != items[k - 1]) {
            items[k++] = items[j];
        }
    }

    return k;
}


static void
recsys_fuzz_req(recsys_fuzz_in_t *in, recsys_fuzz_req_t *q)
{
    uint32_t  items[RECSYS_FUZZ_MAXQ], n, j;
    float     one;

    q->n_hist = recsys_fuzz_items(in, q->hist);
    q->need = recsys_fuzz_u8(in);
    q->n_exclude = recsys_fuzz_items(in, q->exclude);
    q->window = recsys_fuzz_u8(in);
    q->decay = (float) recsys_fuzz_u8(in) / 255.0f;

    /* the seen row: sorted by item, distinct */
    n = recsys_fuzz_items(in, items);
    n = recsys_fuzz_sort_distinct(items, n);

    one = 1.0f;
    q->seen_row.p = q->seen;
    q->seen_row.n = n;

    for (j = 0; j < n; j++) {
        memcpy(q->seen + j * 8, &items[j], 4);
        memcpy(q->seen + j * 8 + 4, &one, 4);
    }

    q->cap = recsys_fuzz_u8(in);
}


static void
recsys_fuzz_results(const recsys_scored_t *out, uint32_t n, uint32_t need,
    uint32_t n_items)
{
    uint32_t  k;

    if (n > need) {
        fprintf(stderr, "fuzz: %u results for %u asked\n", n, need);
        abort();
    }

    for (k = 0; k < n; k++) {
        if (out[k].item >= n_items) {
            fprintf(stderr, "fuzz: result item %u of %u\n", out[k].item,
                    n_items);
            abort();
        }
    }
}


/* The checks recsys_model_read_list makes of an item-to-item list. */
static int
recsys_fuzz_list(const unsigned char *p, size_t size, recsys_list_t *list)
{
    uint32_t            r, prev, cur, e, item;
    recsys_list_head_t  head;

    if (size < sizeof(head)) {
        return -1;
    }

    memcpy(&head, p, sizeof(head));

    if (head.magic != RECSYS_LIST_MAGIC || head.n_rows == UINT32_MAX
        || size != sizeof(head) + ((size_t) head.n_rows + 1) * 4
                   + (size_t) head.n_entries * sizeof(recsys_entry_t))
    {
        return -1;
    }

    list->offsets = p + sizeof(head);
    list->entries = list->offsets + ((size_t) head.n_rows + 1) * 4;
    list->n_rows = head.n_rows;
    list->n_entries = head.n_entries;

    prev = recsys_get_u32(list->offsets);

    for (r = 1; prev == 0 && r <= head.n_rows; r++) {
        cur = recsys_get_u32(list->offsets + (size_t) r * 4);
        if (cur < prev) {
            return -1;
        }
        prev = cur;
    }

    if (recsys_get_u32(list->offsets) != 0 || prev != head.n_entries) {
        return -1;
    }

    for (e = 0; e < head.n_entries; e++) {
        item = recsys_get_u32(list->entries + (size_t) e * 8);
        if (item >= head.n_rows) {
            return -1;
        }
    }

    return 0;
}


static void
recsys_fuzz_rules(const unsigned char *blob, size_t size,
    recsys_fuzz_req_t *q, recsys_scored_t *out)
{
    uint32_t             r, n, j, k;
    uint32_t             items[RECSYS_FUZZ_MAXQ], because[RECSYS_FUZZ_MAXQ];
    recsys_rule_t        rule;
    recsys_rules_hit_t  *hits;
    recsys_rules_view_t  v;

    if (recsys_rules_view(blob, size, &v) != RECSYS_OK) {
        return;
    }

    for (r = 0; r < v.n_rules; r++) {
        recsys_rules_get(&v, r, &rule);
        if (!recsys_rules_valid(&rule, v.n_items)) {
            fprintf(stderr, "fuzz: rule %u accepted by the view is not "
                    "valid\n", r);
            abort();
        }
    }

    /* the scorer wants a sorted set, as recsys_query gives it */
    memcpy(items, q->hist, q->n_hist * sizeof(uint32_t));
    k = recsys_fuzz_sort_distinct(items, q->n_hist);

    hits = recsys_fuzz_a.alloc(recsys_fuzz_a.ctx,
                               (size_t) (k * q->cap + 1)
                               * sizeof(recsys_rules_hit_t));
    if (hits == NULL) {
        return;
    }

    n = recsys_rules_score(&v, items, k, q->cap, hits, k * q->cap, out,
                           because, q->need);

    recsys_fuzz_results(out, n, q->need, v.n_items);

    for (j = 0; j < n; j++) {
        if (because[j] >= v.n_rules) {
            fprintf(stderr, "fuzz: because names rule %u of %u\n",
                    because[j], v.n_rules);
            abort();
        }
    }
}


static void
recsys_fuzz_score(uint32_t kind, const unsigned char *blob, size_t size,
    recsys_fuzz_req_t *q)
{
    int                rc;
    uint32_t           n;
    recsys_list_t      list;
    recsys_scored_t    out[RECSYS_FUZZ_MAXQ];
    recsys_gru_head_t  gh;
    recsys_hmm_head_t  hh;

    n = 0;

    switch (kind) {

    case 0:
        if (recsys_hmm_check(blob, size, &hh) != RECSYS_OK) {
            return;
        }

        rc = recsys_hmm_score(blob, size, q->hist, q->n_hist, q->seen_row,
                              q->exclude, q->n_exclude, q->need,
                              &recsys_fuzz_a, out, &n);
        if (rc == RECSYS_OK) {
            recsys_fuzz_results(out, n, q->need, hh.n_items);
        }

        return;

    case 1:
    case 4:
        if ((kind == 1 ? recsys_gru_check : recsys_lstm_check)(blob, size,
                                                               &gh)
            != RECSYS_OK)
        {
            return;
        }

        rc = (kind == 1 ? recsys_gru_score : recsys_lstm_score)(
                 blob, size, q->hist, q->n_hist, q->seen_row, q->exclude,
                 q->n_exclude, q->need, &recsys_fuzz_a, out, &n);
        if (rc == RECSYS_OK) {
            recsys_fuzz_results(out, n, q->need, gh.n_items);
        }

        return;

    case 2:
        recsys_fuzz_rules(blob, size, q, out);
        return;

    default:
        if (recsys_fuzz_list(blob, size, &list) != 0) {
            return;
        }

        rc = recsys_markov_score(&list, q->hist, q->n_hist, q->window,
                                 q->decay, q->seen_row, q->exclude,
                                 q->n_exclude, q->need, &recsys_fuzz_a, out,
                                 &n);
        if (rc == RECSYS_OK) {
            recsys_fuzz_results(out, n, q->need, list.n_rows);
        }

        return;
    }
}


/* One seed: a request for items 1, 2, 3 before the blob of kind. */
static void
recsys_fuzz_seed_blob(uint32_t kind, const char *name, const void *blob,
    size_t size)
{
    unsigned char         *p;
    static const uint8_t   req[] = {
        3, 1, 0, 2, 0, 3, 0,        /* history 1, 2, 3 */
        10,                         /* need */
        1, 4, 0,                    /* exclude 4 */
        5, 150,                     /* window, decay */
        2, 5, 0, 7, 0,              /* seen 5, 7 */
        128                         /* rule cap */
    };

    p = malloc(1 + sizeof(req) + size);
    if (p == NULL) {
        exit(1);
    }

    p[0] = (unsigned char) kind;
    memcpy(p + 1, req, sizeof(req));
    memcpy(p + 1 + sizeof(req), blob, size);

    recsys_fuzz_seed_out(name, p, 1 + sizeof(req) + size);
    free(p);
}


static void
recsys_fuzz_seeds(void)
{
    size_t                      size;
    const void                 *p;
    recsys_model_t             *m;
    const recsys_list_t        *l;
    const recsys_rules_view_t  *v;

    m = recsys_fuzz_seed_model();

    if (recsys_model_packed(m, RECSYS_SRC_HMM, &p, &size) == RECSYS_OK) {
        recsys_fuzz_seed_blob(0, "hmm", p, size);
    }

    if (recsys_model_packed(m, RECSYS_SRC_GRU, &p, &size) == RECSYS_OK) {
        recsys_fuzz_seed_blob(1, "gru", p, size);
    }

    if (recsys_model_packed(m, RECSYS_SRC_LSTM, &p, &size) == RECSYS_OK) {
        recsys_fuzz_seed_blob(4, "lstm", p, size);
    }

    v = recsys_model_rules(m);
    if (v != NULL) {
        recsys_fuzz_seed_blob(2, "rules", v->offsets - 16,
                              16 + ((size_t) v->n_items + 1) * 4
                              + (size_t) v->n_rules * 32);
    }

    l = recsys_model_source_list(m, RECSYS_L_ITEM_NBRS, RECSYS_SRC_MARKOV);
    if (l != NULL) {
        recsys_fuzz_seed_blob(3, "markov", l->offsets - 16,
                              16 + ((size_t) l->n_rows + 1) * 4
                              + (size_t) l->n_entries * 8);
    }

    recsys_model_close(m);
}


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;

    recsys_fuzz_seed_mode(recsys_fuzz_seeds);
    recsys_fuzz_alloc_init(&recsys_fuzz_a, 256 << 20);

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t              n;
    uint32_t            kind;
    unsigned char      *buf;
    const uint8_t      *blob;
    recsys_fuzz_in_t    in;
    recsys_fuzz_req_t   q;

    in.p = data;
    in.n = size;

    kind = recsys_fuzz_u8(&in) % 5;
    recsys_fuzz_req(&in, &q);
    blob = recsys_fuzz_bytes(&in, in.n, &n);

    /* exactly n bytes 2 past a 16-byte boundary: LMDB's worst alignment */
    buf = malloc(n + 2);
    if (buf == NULL) {
        return 0;
    }

    memcpy(buf + 2, blob, n);
    recsys_fuzz_alloc_reset(&recsys_fuzz_a);

    recsys_fuzz_score(kind, buf + 2, n, &q);

    free(buf);

    return 0;
}
