/*
 * recsys_rp3.c: RP3beta item-item weights by a sparse walk.
 *
 * The two transition matrices are precomputed once, raised to alpha:
 * pu[] (Pui^alpha) and pi[] (Piu^alpha), with pen[j] = deg(j)^-beta.
 * With values they are arrays parallel to the train layouts (beside
 * by_user.entries and by_item.entries); without, every entry of a row is
 * 1 / the row's degree, so they hold one value per row (recsys_rp3_at):
 * the same floats, 8 bytes a row of the log fewer.  Row i of W is then one walk, item i -> its users -> their
 * items, into a per-thread dense accumulator whose touched slots are
 * marked and listed, so that resetting costs only what was used (the
 * item-CF pattern, recsys_itemcf.c).  Each row is summed by one thread
 * in a fixed order, so the bits do not depend on the thread count.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_rp3.h"
#include "recsys_status.h"
#include "recsys_topk.h"


const recsys_rp3_opts_t  recsys_rp3_default = {
    .alpha = 0.4, .beta = 0.4, .k = 200, .values = 0, .normalize = 1
};


/* The step probability of entry e of row r (see the top of the file). */
static inline float
recsys_rp3_at(const float *p, int values, uint32_t r, uint32_t e)
{
    return p[values ? e : r];
}


/* The places p needs for c: one per entry with values, else one per row. */
static size_t
recsys_rp3_places(const recsys_csr_t *c, int values)
{
    return (size_t) (values ? c->n_entries : c->n_rows) + 1;
}


/* One step matrix, row-normalised and raised to alpha, into p. */
static int
recsys_rp3_step(const recsys_csr_t *c, int values, double alpha, float *p)
{
    double    s, x;
    uint32_t  r, e;

    for (r = 0; r < c->n_rows; r++) {
        if (!values) {
            s = (double) (c->offsets[r + 1] - c->offsets[r]);
            p[r] = s > 0.0 ? (float) pow(1.0 / s, alpha) : 0.0f;
            continue;
        }

        s = 0.0;

        for (e = c->offsets[r]; e < c->offsets[r + 1]; e++) {
            x = (double) c->entries[e].score;

            if (!(x >= 0.0)) {
                return RECSYS_EINVAL;
            }

            s += x;
        }

        for (e = c->offsets[r]; e < c->offsets[r + 1]; e++) {
            x = (double) c->entries[e].score;
            p[e] = s > 0.0 ? (float) pow(x / s, alpha) : 0.0f;
        }
    }

    return RECSYS_OK;
}


int
recsys_rp3_build(const recsys_train_t *t, const recsys_rp3_opts_t *o,
    recsys_csr_t *nbrs)
{
    int              failed;
    float           *pu, *pi;
    double          *pen;
    int64_t          i;
    uint32_t         n_items, k, j, deg, *count;
    recsys_entry_t  *slots;

    if (!(o->alpha > 0.0) || !(o->beta >= 0.0)) {
        return RECSYS_EINVAL;
    }

    n_items = t->n_items;
    k = o->k;
    failed = 0;

    pu = malloc(recsys_rp3_places(&t->by_user, o->values) * sizeof(float));
    pi = malloc(recsys_rp3_places(&t->by_item, o->values) * sizeof(float));
    pen = malloc(((size_t) n_items + 1) * sizeof(double));
    count = calloc((size_t) n_items + 1, sizeof(uint32_t));
    slots = malloc(((size_t) n_items * k + 1) * sizeof(recsys_entry_t));

    if (pu == NULL || pi == NULL || pen == NULL || count == NULL
        || slots == NULL)
    {
        failed = RECSYS_ENOMEM;
        goto done;
    }

    if (recsys_rp3_step(&t->by_user, o->values, o->alpha, pu) != RECSYS_OK
        || recsys_rp3_step(&t->by_item, o->values, o->alpha, pi)
           != RECSYS_OK)
    {
        failed = RECSYS_EINVAL;
        goto done;
    }

    for (j = 0; j < n_items; j++) {
        deg = t->by_item.offsets[j + 1] - t->by_item.offsets[j];
        pen[j] = deg ? pow((double) deg, -o->beta) : 0.0;
    }

#pragma omp parallel
    {
        double           *acc, w, sum;
        uint8_t          *mark;
        uint32_t         *touched, n, e, f, u, x, y, q, c, last;
        recsys_topk_t     top;
        recsys_scored_t  *heap;

        acc = calloc((size_t) n_items + 1, sizeof(double));
        mark = calloc((size_t) n_items + 1, 1);
        touched = malloc(((size_t) n_items + 1) * sizeof(uint32_t));
        heap = malloc(((size_t) k + 1) * sizeof(recsys_scored_t));

        if (acc == NULL || mark == NULL || touched == NULL
            || heap == NULL)
        {
#pragma omp atomic write
            failed = RECSYS_ENOMEM;
        }

#pragma omp for schedule(dynamic, 32)
        for (i = 0; i < (int64_t) n_items; i++) {
            if (acc == NULL || mark == NULL || touched == NULL
                || heap == NULL)
            {
                continue;
            }

            n = 0;

            for (e = t->by_item.offsets[i]; e < t->by_item.offsets[i + 1];
                 e++)
            {
                u = t->by_item.entries[e].item;
                w = recsys_rp3_at(pi, o->values, (uint32_t) i, e);
                last = t->by_user.offsets[u + 1];

                for (f = t->by_user.offsets[u]; f < last; f++) {
                    x = t->by_user.entries[f].item;

                    if (!mark[x]) {
                        mark[x] = 1;
                        touched[n++] = x;
                    }

                    acc[x] += w * recsys_rp3_at(pu, o->values, u, f);
                }
            }

            recsys_topk_init(&top, heap, k);

            for (x = 0; x < n; x++) {
                y = touched[x];
                w = acc[y] * pen[y];

                if (w > 0.0 && y != (uint32_t) i) {
                    recsys_topk_push(&top, y, (float) w);
                }

                acc[y] = 0.0;
                mark[y] = 0;
            }

            c = recsys_topk_sort(&top);
            count[i] = c;

            sum = 0.0;
            for (q = 0; q < c; q++) {
                sum += heap[q].score;
            }

            for (q = 0; q < c; q++) {
                slots[(size_t) i * k + q].item = heap[q].item;
                slots[(size_t) i * k + q].score = o->normalize
                    ? (float) (heap[q].score / sum) : heap[q].score;
            }
        }

        free(acc);
        free(mark);
        free(touched);
        free(heap);
    }

    if (failed) {
        goto done;
    }

    failed = recsys_csr_pack(nbrs, n_items, k, count, slots);

done:

    free(pu);
    free(pi);
    free(pen);
    free(count);
    free(slots);

    return failed ? failed : RECSYS_OK;
}
