/*
 * recsys_usertop: the per-user loop of the sequence models
 * (recsys_usertop.h).
 */

#include <stdlib.h>

#include "recsys_arena.h"
#include "recsys_progress.h"
#include "recsys_status.h"
#include "recsys_usertop.h"


#ifdef _OPENMP
#define RECSYS_USERTOP_OMP(x)  _Pragma(x)
#else
#define RECSYS_USERTOP_OMP(x)
#endif


/* User u's newest hist_max items of t->seq into hist; their count. */
static uint32_t
recsys_usertop_history(const recsys_train_t *t, uint32_t u,
    uint32_t hist_max, uint32_t *hist)
{
    uint32_t  j, from, len;

    from = t->seq.offsets[u];
    len = t->seq.offsets[u + 1] - from;

    if (len > hist_max) {
        from += len - hist_max;
        len = hist_max;
    }

    for (j = 0; j < len; j++) {
        hist[j] = t->seq.entries[from + j].item;
    }

    return len;
}


int
recsys_usertop_packed(void *ctx, const uint32_t *hist, uint32_t n_hist,
    recsys_row_t seen, uint32_t need, recsys_alloc_t *a,
    recsys_scored_t *out, uint32_t *n_out)
{
    const recsys_usertop_packed_t  *pk;

    pk = ctx;

    return pk->score(pk->packed, pk->size, hist, n_hist, seen, NULL, 0, need,
                     a, out, n_out);
}


int
recsys_usertop_run_packed(recsys_usertop_t *ut,
    recsys_usertop_packed_pt score, const void *packed, size_t size,
    const recsys_train_t *t, uint32_t k, int exclude_seen, recsys_csr_t *out)
{
    recsys_usertop_packed_t  pk;

    pk.score = score;
    pk.packed = packed;
    pk.size = size;

    ut->score = recsys_usertop_packed;
    ut->ctx = &pk;

    return recsys_usertop_run(ut, t, k, exclude_seen, out);
}


int
recsys_usertop_run(const recsys_usertop_t *ut, const recsys_train_t *t,
    uint32_t k, int exclude_seen, recsys_csr_t *out)
{
    int                failed, par;
    uint32_t           n_users, u, *count;
    recsys_list_t      seen_list;
    recsys_entry_t    *slots;
    recsys_progress_t  pg;

    n_users = t->n_users;
    seen_list = recsys_csr_view(&t->by_user);
    failed = 0;

    if (recsys_slots_alloc(n_users, k, &count, &slots) != RECSYS_OK) {
        return RECSYS_ENOMEM;
    }

    par = ut->par;
    (void) par;                 /* read by OpenMP only */
    recsys_progress_begin(&pg, "sequences", "users", n_users);

RECSYS_USERTOP_OMP("omp parallel if (par)")
    {
        uint32_t          n, len, *hist;
        recsys_row_t      seen;
        recsys_alloc_t    alloc;
        recsys_arena_t    arena;
        recsys_scored_t  *res;

        arena.size = ut->scratch;
        arena.base = malloc(arena.size);
        arena.used = 0;
        res = malloc(((size_t) k + 1) * sizeof(recsys_scored_t));
        hist = malloc(((size_t) ut->hist_max + 1) * sizeof(uint32_t));

        alloc.alloc = recsys_arena_alloc;
        alloc.ctx = &arena;

        if (arena.base == NULL || res == NULL || hist == NULL) {
RECSYS_USERTOP_OMP("omp atomic write")
            failed = 1;
        }

RECSYS_USERTOP_OMP("omp for schedule(dynamic, ut->chunk)")
        for (u = 0; u < n_users; u++) {
            if (arena.base == NULL || res == NULL || hist == NULL) {
                continue;
            }

            if ((u & 255) == 0) {
                recsys_progress_tick(&pg, u);
            }

            arena.used = 0;
            len = recsys_usertop_history(t, u, ut->hist_max, hist);

            seen.p = NULL;
            seen.n = 0;
            if (exclude_seen) {
                seen = recsys_list_row(&seen_list, u);
            }

            if (ut->score(ut->ctx, hist, len, seen, k, &alloc, res, &n)
                != RECSYS_OK)
            {
RECSYS_USERTOP_OMP("omp atomic write")
                failed = 1;
                continue;
            }

            recsys_slots_put(count, slots, k, u, res, n);
        }

        free(arena.base);
        free(res);
        free(hist);
    }

    recsys_progress_end(&pg, n_users);

    return recsys_slots_pack(failed, n_users, k, count, slots, out);
}
