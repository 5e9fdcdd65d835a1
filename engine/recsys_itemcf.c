/*
 * recsys_itemcf.c: item-item cosine similarity, top-k per item.
 *
 * For item i, the dot products with every co-consumed item j come from one
 * walk: for each user u of i, for each item j of u, acc[j] += r(u,i) r(u,j).
 * The work is the sum over users of their degree squared, done once per
 * ordered pair; each thread owns a dense accumulator over all items and
 * the list of slots it touched, so resetting costs only what was used.
 * cosine(i, j) = dot(i, j) / (|i| |j|) over the full user-item matrix.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_itemcf.h"
#include "recsys_status.h"
#include "recsys_topk.h"


int
recsys_itemcf_cosine(const recsys_csr_t *by_user, const recsys_csr_t *by_item,
    uint32_t k, recsys_csr_t *nbrs)
{
    int              failed;
    double          *norm;
    uint32_t         n_items, i, *count;
    recsys_entry_t  *slots;

    n_items = by_item->n_rows;
    failed = 0;

    norm = malloc((size_t) (n_items ? n_items : 1) * sizeof(double));
    count = calloc((size_t) n_items + 1, sizeof(uint32_t));
    slots = malloc(((size_t) n_items * k + 1) * sizeof(recsys_entry_t));

    if (norm == NULL || count == NULL || slots == NULL) {
        free(norm);
        free(count);
        free(slots);
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < n_items; i++) {
        uint32_t  e;
        double    s;

        s = 0.0;
        for (e = by_item->offsets[i]; e < by_item->offsets[i + 1]; e++) {
            s += (double) by_item->entries[e].score
                 * by_item->entries[e].score;
        }

        norm[i] = sqrt(s);
    }

#pragma omp parallel
    {
        double           *acc;
        uint32_t         *touched, n_touched, e, f, u, j, t;
        float             r;
        recsys_topk_t     top;
        recsys_scored_t  *heap;

        acc = calloc((size_t) n_items + 1, sizeof(double));
        touched = malloc(((size_t) n_items + 1) * sizeof(uint32_t));
        heap = malloc(((size_t) k + 1) * sizeof(recsys_scored_t));

        if (acc == NULL || touched == NULL || heap == NULL) {
#pragma omp atomic write
            failed = 1;
        }

#pragma omp for schedule(dynamic, 64)
        for (i = 0; i < n_items; i++) {
            if (acc == NULL || touched == NULL || heap == NULL
                || norm[i] == 0.0)
            {
                continue;
            }

            n_touched = 0;

            for (e = by_item->offsets[i]; e < by_item->offsets[i + 1]; e++) {
                u = by_item->entries[e].item;
                r = by_item->entries[e].score;

                for (f = by_user->offsets[u]; f < by_user->offsets[u + 1];
                     f++)
                {
                    j = by_user->entries[f].item;

                    if (acc[j] == 0.0) {
                        touched[n_touched++] = j;
                    }

                    acc[j] += (double) r * by_user->entries[f].score;

                    if (acc[j] == 0.0) {
                        /* a zero sum must not be listed twice */
                        acc[j] = 1e-300;
                    }
                }
            }

            recsys_topk_init(&top, heap, k);

            for (t = 0; t < n_touched; t++) {
                j = touched[t];

                if (j != i && acc[j] > 1e-300 && norm[j] > 0.0) {
                    recsys_topk_push(&top, j,
                                     (float) (acc[j] / (norm[i] * norm[j])));
                }

                acc[j] = 0.0;
            }

            count[i] = recsys_topk_sort(&top);

            for (t = 0; t < count[i]; t++) {
                slots[(size_t) i * k + t].item = heap[t].item;
                slots[(size_t) i * k + t].score = heap[t].score;
            }
        }

        free(acc);
        free(touched);
        free(heap);
    }

    free(norm);

    if (failed) {
        free(count);
        free(slots);
        return RECSYS_ENOMEM;
    }

    {
        uint64_t  total;

        total = 0;
        for (i = 0; i < n_items; i++) {
            total += count[i];
        }

        if (recsys_csr_alloc(nbrs, n_items, total) != 0) {
            free(count);
            free(slots);
            return RECSYS_ENOMEM;
        }

        total = 0;
        for (i = 0; i < n_items; i++) {
            nbrs->offsets[i] = (uint32_t) total;
            memcpy(nbrs->entries + total, slots + (size_t) i * k,
                   (size_t) count[i] * sizeof(recsys_entry_t));
            total += count[i];
        }

        nbrs->offsets[n_items] = (uint32_t) total;
    }

    free(count);
    free(slots);

    return RECSYS_OK;
}
