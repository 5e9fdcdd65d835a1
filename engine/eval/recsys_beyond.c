/*
 * recsys_beyond.c: beyond-accuracy metrics of recommendation lists (the
 * definitions are in recsys_beyond.h).  A user's list costs O(k^2 f) for
 * the ILD pairs (f features per item) and O(k log |T|) for the rest; the
 * fold's popularity order costs one sort of the train items.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_beyond.h"
#include "recsys_row.h"
#include "recsys_sorted.h"
#include "recsys_status.h"


static const char  *recsys_beyond_names[RECSYS_BEYOND_N] = {
    "mrr", "novelty", "ild_genre", "ild_content", "arp", "aplt",
    "serendipity", "gini", "entropy", "dist_coverage"
};

static const char  *recsys_beyond_labels[RECSYS_BEYOND_N] = {
    "MRR@", "novelty", "ILD genre", "ILD content", "ARP", "APLT",
    "serendip.", "Gini", "entropy", "dist.cov."
};


uint32_t
recsys_beyond_long_tail(const uint32_t *pop, uint32_t n, double head_share,
    uint8_t *tail)
{
    double               total, sum;
    uint32_t             i, m, head;
    recsys_train_pop_t  *order;

    memset(tail, 0, n);

    order = malloc(((size_t) n + 1) * sizeof(recsys_train_pop_t));
    if (order == NULL) {
        return 0;
    }

    m = 0;
    total = 0.0;
    for (i = 0; i < n; i++) {
        if (pop[i] > 0) {
            order[m].item = i;
            order[m++].count = pop[i];
            total += pop[i];
        }
    }

    qsort(order, m, sizeof(recsys_train_pop_t), recsys_train_cmp_pop);

    /* the head: until the running sum first reaches the share */
    sum = 0.0;
    head = 0;
    while (head < m && sum < head_share * total) {
        sum += order[head++].count;
    }

    for (i = head; i < m; i++) {
        tail[order[i].item] = 1;
    }

    free(order);

    return head;
}


int
recsys_beyond_init(recsys_beyond_t *b, const recsys_train_t *train,
    const recsys_csr_t *vectors)
{
    uint32_t             i, n;
    recsys_train_pop_t  *order;

    memset(b, 0, sizeof(recsys_beyond_t));

    /* pop and by_pop, then tail, in one block */
    n = train->n_items;
    b->n_items = n;
    b->pop = malloc(((size_t) n + 1) * (2 * sizeof(uint32_t) + 1));
    order = malloc(((size_t) n + 1) * sizeof(recsys_train_pop_t));

    if (b->pop == NULL || order == NULL) {
        free(order);
        recsys_beyond_free(b);
        return RECSYS_ENOMEM;
    }

    b->by_pop = b->pop + n + 1;
    b->tail = (uint8_t *) (b->by_pop + n + 1);

    for (i = 0; i < n; i++) {
        b->pop[i] = train->by_item.offsets[i + 1] - train->by_item.offsets[i];

        if (b->pop[i] > 0) {
            order[b->n_by_pop].item = i;
            order[b->n_by_pop++].count = b->pop[i];
        }
    }

    for (i = 0; i < train->n_users; i++) {
        b->n_users += train->by_user.offsets[i + 1]
                      > train->by_user.offsets[i];
    }

    qsort(order, b->n_by_pop, sizeof(recsys_train_pop_t),
          recsys_train_cmp_pop);

    for (i = 0; i < b->n_by_pop; i++) {
        b->by_pop[i] = order[i].item;
    }

    free(order);

    recsys_beyond_long_tail(b->pop, n, RECSYS_BEYOND_HEAD_SHARE, b->tail);

    if (train->item_genres.n_rows == n && train->n_genres > 0) {
        b->genres = &train->item_genres;
    }

    b->vectors = vectors;

    return RECSYS_OK;
}


void
recsys_beyond_free(recsys_beyond_t *b)
{
    free(b->pop);
    memset(b, 0, sizeof(recsys_beyond_t));
}


double
recsys_beyond_rr(const uint32_t *list, uint32_t n, uint32_t k,
    const uint32_t *relevant, uint32_t n_relevant)
{
    uint32_t  i;

    for (i = 0; i < n && i < k; i++) {
        if (recsys_sorted_has(relevant, n_relevant, list[i])) {
            return 1.0 / (i + 1.0);
        }
    }

    return 0.0;
}


/* The dot product of two rows sorted by feature. */
static void
recsys_beyond_dot(const recsys_entry_t *a, uint32_t na,
    const recsys_entry_t *b, uint32_t nb, double *dot)
{
    uint32_t  i, j;

    *dot = 0.0;
    i = 0;
    j = 0;

    while (i < na && j < nb) {
        if (a[i].item == b[j].item) {
            *dot += (double) a[i++].score * b[j++].score;

        } else if (a[i].item < b[j].item) {
            i++;

        } else {
            j++;
        }
    }
}


double
recsys_beyond_ild(const recsys_csr_t *vec, const uint32_t *list, uint32_t n)
{
    double                 sum, dot, norm[RECSYS_BEYOND_MAX_ILD];
    uint32_t               i, j, pairs, na, nb, e;
    const recsys_entry_t  *a, *b;

    if (vec == NULL) {
        return NAN;
    }

    n = n < RECSYS_BEYOND_MAX_ILD ? n : RECSYS_BEYOND_MAX_ILD;

    for (i = 0; i < n; i++) {
        norm[i] = 0.0;

        if (list[i] >= vec->n_rows) {
            continue;
        }

        for (e = vec->offsets[list[i]]; e < vec->offsets[list[i] + 1]; e++) {
            norm[i] += (double) vec->entries[e].score * vec->entries[e].score;
        }

        norm[i] = sqrt(norm[i]);
    }

    sum = 0.0;
    pairs = 0;

    for (i = 0; i < n; i++) {
        if (norm[i] == 0.0) {
            continue;
        }

        a = vec->entries + vec->offsets[list[i]];
        na = vec->offsets[list[i] + 1] - vec->offsets[list[i]];

        for (j = i + 1; j < n; j++) {
            if (norm[j] == 0.0) {
                continue;
            }

            b = vec->entries + vec->offsets[list[j]];
            nb = vec->offsets[list[j] + 1] - vec->offsets[list[j]];

            recsys_beyond_dot(a, na, b, nb, &dot);
            sum += 1.0 - dot / (norm[i] * norm[j]);
            pairs++;
        }
    }

    return pairs > 0 ? sum / pairs : NAN;
}


uint32_t
recsys_beyond_pop_list(const recsys_beyond_t *b, const recsys_entry_t *seen,
    uint32_t n_seen, uint32_t k, uint32_t *out)
{
    uint32_t      i, m;
    recsys_row_t  row;

    row.p = (const unsigned char *) seen;
    row.n = n_seen;
    m = 0;

    for (i = 0; i < b->n_by_pop && m < k; i++) {
        if (!recsys_row_contains(row, b->by_pop[i])) {
            out[m++] = b->by_pop[i];
        }
    }

    return m;
}


void
recsys_beyond_user(const recsys_beyond_t *b, const uint32_t *list,
    uint32_t n, uint32_t k, const uint32_t *relevant, uint32_t n_relevant,
    const uint32_t *base, uint32_t n_base, double *v)
{
    double    nov, arp, tail, srdp;
    uint32_t  i, j, item;

    n = n < k ? n : k;

    v[RECSYS_BEYOND_MRR] = recsys_beyond_rr(list, n, k, relevant,
                                            n_relevant);
    v[RECSYS_BEYOND_ILD_GENRE] = recsys_beyond_ild(b->genres, list, n);
    v[RECSYS_BEYOND_ILD_CONTENT] = recsys_beyond_ild(b->vectors, list, n);

    nov = 0.0;
    arp = 0.0;
    tail = 0.0;
    srdp = 0.0;

    for (i = 0; i < n; i++) {
        item = list[i];

        /* a candidate has a train row, so pop >= 1 and U >= 1 */
        if (item < b->n_items && b->pop[item] > 0) {
            nov += -log2((double) b->pop[item] / b->n_users);
            arp += b->pop[item];
            tail += b->tail[item];
        }

        if (!recsys_sorted_has(relevant, n_relevant, item)) {
            continue;
        }

        for (j = 0; j < n_base && base[j] != item; j++) {
            /* void */
        }

        srdp += j == n_base;
    }

    v[RECSYS_BEYOND_NOVELTY] = n > 0 ? nov / n : NAN;
    v[RECSYS_BEYOND_ARP] = n > 0 ? arp / n : NAN;
    v[RECSYS_BEYOND_APLT] = n > 0 ? tail / n : NAN;
    v[RECSYS_BEYOND_SERENDIPITY] = srdp / k;
}


void
recsys_beyond_exposure(const uint32_t *count, uint32_t n, double *gini,
    double *entropy, double *dist_coverage)
{
    double     total, g, h, p;
    uint32_t   i, *sorted;

    *gini = NAN;
    *entropy = NAN;
    *dist_coverage = NAN;

    total = 0.0;
    for (i = 0; i < n; i++) {
        total += count[i];
    }

    if (n == 0 || total == 0.0) {
        return;
    }

    sorted = malloc((size_t) n * sizeof(uint32_t));
    if (sorted == NULL) {
        return;
    }

    memcpy(sorted, count, (size_t) n * sizeof(uint32_t));
    qsort(sorted, n, sizeof(uint32_t), recsys_sorted_cmp_u32);

    g = 0.0;
    h = 0.0;

    for (i = 0; i < n; i++) {
        g += (2.0 * (i + 1) - n - 1.0) * sorted[i];

        if (sorted[i] > 0) {
            p = sorted[i] / total;
            h -= p * log2(p);
        }
    }

    free(sorted);

    *gini = g / (n * total);
    *entropy = h;
    *dist_coverage = n > 1 ? h / log2((double) n) : 0.0;
}


const char *
recsys_beyond_name(int metric, int for_people)
{
    if (metric < 0 || metric >= RECSYS_BEYOND_N) {
        return NULL;
    }

    return for_people ? recsys_beyond_labels[metric]
                      : recsys_beyond_names[metric];
}
