/*
 * recsys_build.c: the model-building pipeline.
 *
 * Steps, each over dense uint32 indexes:
 *   train    one value per (user, item), laid out by user, by item and in
 *            time order (recsys_train.c); by user it is the "seen" list;
 *   history  each user's newest `history` items, newest first;
 *   popular  distinct users per item; trending: the same with a time decay;
 *   sources  each algorithm's item-to-item and per-user lists;
 *   hybrid   each user's default blend of the sources' lists, through
 *            recsys_blend(), the function the module runs at request time;
 *   write    the LMDB file (recsys_build_write.c), published atomically.
 * Per-user lists of item-based sources are scored from the stored history
 * by recsys_score_history(), the module's own request-time function, so a
 * precomputed list and a request-time answer agree.
 */

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recsys_als.h"
#include "recsys_build.h"
#include "recsys_build_parts.h"
#include "recsys_build_write.h"
#include "recsys_clock.h"
#include "recsys_cluster.h"
#include "recsys_ease.h"
#include "recsys_rp3.h"
#include "recsys_content.h"
#include "recsys_gru_train.h"
#include "recsys_hmm_train.h"
#include "recsys_markov_train.h"
#include "recsys_progress.h"
#include "recsys_rules.h"
#include "recsys_itemcf.h"
#include "recsys_shard_items.h"
#include "recsys_usercf.h"
#include "recsys_query.h"
#include "recsys_rules_read.h"
#include "recsys_sorted.h"
#include "recsys_source.h"
#include "recsys_status.h"


/* Each user's newest `history` items, newest first, from train.seq. */
static int
recsys_build_history(const recsys_build_opts_t *o, recsys_parts_t *parts)
{
    uint32_t             u, n, j, from;
    uint64_t             total;
    const recsys_csr_t  *seq;

    seq = &parts->train.seq;

    total = 0;
    for (u = 0; u < seq->n_rows; u++) {
        n = seq->offsets[u + 1] - seq->offsets[u];
        total += n < o->history ? n : o->history;
    }

    if (recsys_csr_alloc(&parts->hist, seq->n_rows, total) != 0) {
        return RECSYS_ENOMEM;
    }

    total = 0;
    for (u = 0; u < seq->n_rows; u++) {
        parts->hist.offsets[u] = (uint32_t) total;
        n = seq->offsets[u + 1] - seq->offsets[u];
        n = n < o->history ? n : o->history;
        from = seq->offsets[u + 1];

        for (j = 0; j < n; j++) {
            parts->hist.entries[total++] = seq->entries[from - 1 - j];
        }
    }

    parts->hist.offsets[seq->n_rows] = (uint32_t) total;

    return RECSYS_OK;
}


static const recsys_csr_t  *recsys_build_sort_by_item;

static int
recsys_build_cmp_popular(const void *a, const void *b)
{
    uint32_t             x, y, cx, cy;
    const recsys_csr_t  *t;

    t = recsys_build_sort_by_item;
    x = *(const uint32_t *) a;
    y = *(const uint32_t *) b;
    cx = t->offsets[x + 1] - t->offsets[x];
    cy = t->offsets[y + 1] - t->offsets[y];

    if (cx != cy) {
        return cx > cy ? -1 : 1;
    }

    return x < y ? -1 : (x > y);
}


/* Items with at least one user, by distinct users, desc. */
static int
recsys_build_popular(uint32_t n_users, recsys_parts_t *parts)
{
    uint32_t             i, n, *order, count;
    const recsys_csr_t  *t;

    t = &parts->train.by_item;

    order = malloc(((size_t) t->n_rows + 1) * sizeof(uint32_t));
    if (order == NULL) {
        return RECSYS_ENOMEM;
    }

    n = 0;
    for (i = 0; i < t->n_rows; i++) {
        if (t->offsets[i + 1] > t->offsets[i]) {
            order[n++] = i;
        }
    }

    recsys_build_sort_by_item = t;
    qsort(order, n, sizeof(uint32_t), recsys_build_cmp_popular);
    recsys_build_sort_by_item = NULL;

    if (recsys_csr_alloc_row(&parts->popular, n) != 0) {
        free(order);
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < n; i++) {
        count = t->offsets[order[i] + 1] - t->offsets[order[i]];
        parts->popular.entries[i].item = order[i];
        parts->popular.entries[i].score = (float) count / (float) n_users;
    }

    free(order);

    return RECSYS_OK;
}


/* Popularity with an exponential time decay: what is watched now. */
static int
recsys_build_trending(const recsys_build_opts_t *o, recsys_parts_t *parts)
{
    double              *score, half, lambda;
    int64_t              t_max, t;
    uint32_t             u, e, i, n;
    recsys_topk_t        top;
    recsys_scored_t     *heap;
    const recsys_train_t *tr;

    tr = &parts->train;

    if (tr->seq_time == NULL || tr->by_user.n_entries == 0
        || tr->seq_time[0] == RECSYS_NO_TIME)
    {
        return RECSYS_OK;       /* no timestamps: no trending list */
    }

    t_max = INT64_MIN;
    for (e = 0; e < tr->seq.n_entries; e++) {
        if (tr->seq_time[e] > t_max) {
            t_max = tr->seq_time[e];
        }
    }

    score = calloc((size_t) tr->n_items + 1, sizeof(double));
    heap = malloc(((size_t) tr->n_items + 1) * sizeof(recsys_scored_t));

    if (score == NULL || heap == NULL) {
        free(score);
        free(heap);
        return RECSYS_ENOMEM;
    }

    half = o->trending_days * 86400.0;
    lambda = half > 0 ? log(2.0) / half : 0.0;

    for (u = 0; u < tr->n_users; u++) {
        for (e = tr->seq.offsets[u]; e < tr->seq.offsets[u + 1]; e++) {
            t = tr->seq_time[e];
            score[tr->seq.entries[e].item] += exp(-lambda * (double) (t_max - t));
        }
    }

    recsys_topk_init(&top, heap, tr->n_items);

    for (i = 0; i < tr->n_items; i++) {
        if (score[i] > 0.0) {
            recsys_topk_push(&top, i, (float) (score[i] / tr->n_users));
        }
    }

    n = recsys_topk_sort(&top);
    free(score);

    if (recsys_csr_alloc_row(&parts->trending, n) != 0) {
        free(heap);
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < n; i++) {
        parts->trending.entries[i].item = heap[i].item;
        parts->trending.entries[i].score = heap[i].score;
    }

    free(heap);
    parts->sources |= 1u << RECSYS_SRC_TRENDING;

    return RECSYS_OK;
}


/* What each thread needs to compute one user's list. */
typedef struct {
    recsys_parts_t             *parts;
    const recsys_build_opts_t  *o;
    recsys_alloc_t              alloc;
    recsys_arena_t              arena;
    int                         what;   /* a source, or RECSYS_ALGO_HYBRID */
    recsys_list_t               nbrs;
    recsys_list_t               hist;
    recsys_list_t               seen;
    recsys_list_t               recs[RECSYS_NSRC];
} recsys_user_job_t;


/*
 * The hybrid blend's inputs for a known user with no session, exactly as
 * recsys_hybrid.c builds them: each weighted source's stored list for the
 * user, popular and trending as their best user_top items; each scaled by
 * its best score.
 */
static int
recsys_build_user_hybrid(recsys_user_job_t *j, uint32_t u,
    const recsys_filter_t *filter, recsys_scored_t *out, uint32_t *n)
{
    int                  s;
    uint32_t             k;
    recsys_parts_t      *p;
    recsys_list_t        pop;
    recsys_blend_src_t   src[RECSYS_NSRC];

    p = j->parts;
    k = 0;

    for (s = 0; s < RECSYS_NSRC; s++) {
        if (!(p->w[s] > 0.0f)) {
            continue;
        }

        memset(&src[k], 0, sizeof(recsys_blend_src_t));
        src[k].weight = p->w[s];

        if (s == RECSYS_SRC_POPULAR || s == RECSYS_SRC_TRENDING) {
            pop = recsys_csr_view(s == RECSYS_SRC_POPULAR ? &p->popular
                                                          : &p->trending);
            src[k].row = recsys_list_row(&pop, 0);
            if (src[k].row.n > j->o->user_top) {
                src[k].row.n = j->o->user_top;
            }

        } else {
            src[k].row = recsys_list_row(&j->recs[s], u);
        }

        if (src[k].row.p == NULL || src[k].row.n == 0) {
            continue;
        }

        src[k].norm = recsys_row_score(src[k].row, 0);

        if (src[k].norm > 0.0f) {
            k++;
        }
    }

    return recsys_blend(src, k, filter, j->o->user_top, &j->alloc, out, n);
}


static int
recsys_build_user_list(recsys_user_job_t *j, uint32_t u, recsys_scored_t *out,
    uint32_t *n)
{
    recsys_filter_t  filter;

    memset(&filter, 0, sizeof(filter));
    filter.seen = recsys_list_row(&j->seen, u);

    j->arena.used = 0;

    if (j->what == RECSYS_ALGO_HYBRID) {
        return recsys_build_user_hybrid(j, u, &filter, out, n);
    }

    return recsys_score_history(&j->nbrs, recsys_list_row(&j->hist, u), 0,
                                &filter, j->o->user_top, &j->alloc, out, n);
}


/* Whether this build computes user u's lists (--user-shard K/P). */
static int
recsys_build_mine(const recsys_build_opts_t *o, const recsys_parts_t *parts,
    uint32_t u)
{
    if (o->items_part) {
        return 0;       /* the users tasks compute them */
    }

    if (parts->mine != NULL) {
        return parts->mine[u];
    }

    return o->user_shards <= 1 || u % o->user_shards == o->user_shard;
}


/*
 * Per-user lists as one empty row per user: what the items part of the
 * sharded build writes for the lists its users tasks score (the assembly
 * fills each user's row from the user's part), without making any.
 */
static int
recsys_build_no_lists(const recsys_parts_t *parts, recsys_csr_t *dst)
{
    return recsys_csr_alloc(dst, parts->train.n_users, 0) == 0
           ? RECSYS_OK : RECSYS_ENOMEM;
}


/*
 * Packs per-user lists computed into fixed slots (k per user, count[u]
 * used) into a csr, unless computing them failed; frees count and slots.
 */
/*
 * Fills dst with one list per user: the source `what` scored from each
 * user's row of hist (item, weight), or the hybrid blend (hist NULL).
 * Parallel over users.
 */
static int
recsys_build_user_lists(const recsys_build_opts_t *o, recsys_parts_t *parts,
    int what, const recsys_csr_t *hist, recsys_csr_t *dst)
{
    int                  failed, s;
    size_t               max_hist, max_nbrs;
    uint32_t             n_users, u, k, *count, e;
    recsys_entry_t      *slots;
    recsys_progress_t    pg;
    const recsys_csr_t  *nb;

    if (o->items_part) {
        return recsys_build_no_lists(parts, dst);   /* the users tasks' */
    }

    n_users = parts->train.n_users;
    k = o->user_top;
    failed = 0;

    if (recsys_slots_alloc(n_users, k, &count, &slots) != RECSYS_OK) {
        return RECSYS_ENOMEM;
    }

    /* the scratch a user may need: the longest history walked times the
     * longest neighbour row, or the sources' lists for the blend */
    nb = what >= 0 && what < RECSYS_NSRC ? &parts->nbrs[what] : NULL;
    max_hist = 0;
    max_nbrs = 0;

    for (u = 0; hist != NULL && u < hist->n_rows; u++) {
        e = hist->offsets[u + 1] - hist->offsets[u];
        max_hist = e > max_hist ? e : max_hist;
    }

    for (u = 0; nb != NULL && u < nb->n_rows; u++) {
        e = nb->offsets[u + 1] - nb->offsets[u];
        max_nbrs = e > max_nbrs ? e : max_nbrs;
    }

    recsys_progress_begin(&pg, what >= 0 && what < RECSYS_NSRC
                               ? recsys_source_name(what) : "hybrid",
                          "users", n_users);

#pragma omp parallel private(s)
    {
        uint32_t           n;
        recsys_scored_t   *out;
        recsys_user_job_t  job;

        memset(&job, 0, sizeof(job));
        job.parts = parts;
        job.o = o;
        job.what = what;
        job.alloc.alloc = recsys_arena_alloc;
        job.alloc.ctx = &job.arena;
        job.hist = recsys_csr_view(hist != NULL ? hist : &parts->hist);
        job.seen = recsys_csr_view(&parts->train.by_user);

        if (what >= 0 && what < RECSYS_NSRC) {
            job.nbrs = recsys_csr_view(&parts->nbrs[what]);
        }

        for (s = 0; s < RECSYS_NSRC; s++) {
            job.recs[s] = recsys_csr_view(&parts->recs[s]);
        }

        /* scratch: an accumulator over history x neighbours, or over the
         * sources' lists, twice over for the hash table's slack */
        job.arena.size = 4096
            + 64 * (max_hist * max_nbrs + (size_t) RECSYS_NSRC * k)
            + 32 * (size_t) k;
        job.arena.base = malloc(job.arena.size);
        out = malloc(((size_t) k + 1) * sizeof(recsys_scored_t));

        if (job.arena.base == NULL || out == NULL) {
#pragma omp atomic write
            failed = 1;
        }

#pragma omp for schedule(dynamic, 128)
        for (u = 0; u < n_users; u++) {
            if (job.arena.base == NULL || out == NULL
                || !recsys_build_mine(o, parts, u))
            {
                continue;
            }

            if ((u & 255) == 0) {
                recsys_progress_tick(&pg, u);
            }

            if (recsys_build_user_list(&job, u, out, &n) != RECSYS_OK) {
#pragma omp atomic write
                failed = 1;
                continue;
            }

            recsys_slots_put(count, slots, k, u, out, n);
        }

        free(job.arena.base);
        free(out);
    }

    recsys_progress_end(&pg, n_users);

    return recsys_slots_pack(failed, n_users, k, count, slots, dst);
}


/*
 * The default blend: the weights given on the command line, else these
 * defaults for the sources the model has (chosen on MovieLens validation
 * data; see the README), as a one-row list.
 */
static int
recsys_build_weights(const recsys_build_opts_t *o, recsys_parts_t *parts)
{
    int           s;
    uint32_t      n;
    const float  *defaults;

    /*
     * The default blends, chosen by nDCG@10 on a validation split carved
     * from P1's train rows of ml-latest-small (recsys-build eval --tune,
     * the command is in the README), never on its test rows.  With EASE
     * in the model: EASE, a little content, and ALS when it is built (the
     * grid: itemcf 0|0.3, usercf 0|0.2|0.3|0.5, rp3beta 0|0.5, popular
     * 0|0.05, content 0|0.1, als 0|0.3|0.6; over EASE with the time
     * kernel again usercf 0|0.05|0.15|0.3, content 0|0.05|0.1|0.2, where
     * user-CF no longer helps).  Without EASE
     * (--no-ease), the earlier item-CF led blend with RP3beta added; it is
     * not tuned.  Sources the model lacks weigh 0 whatever the table
     * says.
     */
    static const float  with_ease[RECSYS_NSRC] = {
        /* itemcf usercf content popular trending cluster assoc markov
         * hmm gru ease rp3beta als lstm */
        0.0f, 0.0f, 0.1f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        1.0f, 0.0f, 0.3f, 0.0f
    };
    static const float  without_ease[RECSYS_NSRC] = {
        1.0f, 0.5f, 0.2f, 0.05f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f,
        0.0f, 0.5f, 0.3f, 0.0f
    };

    defaults = (parts->sources & (1u << RECSYS_SRC_EASE))
               ? with_ease : without_ease;

    n = 0;

    for (s = 0; s < RECSYS_NSRC; s++) {
        parts->w[s] = o->weights[s] >= 0.0f ? o->weights[s] : defaults[s];

        if (!(parts->sources & (1u << s))) {
            parts->w[s] = 0.0f;
        }

        if (parts->w[s] > 0.0f) {
            n++;
        }
    }

    if (recsys_csr_alloc_row(&parts->weights, n) != 0) {
        return RECSYS_ENOMEM;
    }

    n = 0;

    for (s = 0; s < RECSYS_NSRC; s++) {
        if (parts->w[s] > 0.0f) {
            parts->weights.entries[n].item = (uint32_t) s;
            parts->weights.entries[n].score = parts->w[s];
            n++;
        }
    }

    return RECSYS_OK;
}


/*
 * A source's scale in the session list: its weight over the mean of its
 * rows' best scores.  One constant per source keeps each source's own
 * calibration across rows (EASE's x B is a sum of unnormalised weights)
 * and puts the sources on a common footing, as the full blend's division
 * by each source's best does per request.
 */
static float
recsys_build_session_scale(const recsys_csr_t *nbrs, float weight)
{
    double    sum;
    uint32_t  h, rows;

    sum = 0.0;
    rows = 0;

    for (h = 0; h < nbrs->n_rows; h++) {
        if (nbrs->offsets[h + 1] > nbrs->offsets[h]
            && nbrs->entries[nbrs->offsets[h]].score > 0.0f)
        {
            sum += nbrs->entries[nbrs->offsets[h]].score;
            rows++;
        }
    }

    return rows > 0 && sum > 0.0 ? (float) (weight / (sum / rows)) : 0.0f;
}


/*
 * The session list: for each item h, one row that blends the item-to-item
 * sources of the default weights, c_s x sim_s(h, i) with c_s from
 * recsys_build_session_scale(), over each source's whole row of h, the
 * best `neighbors` kept; and one row of (source, c_s), with which explain=1
 * splits a session score by source.  An anonymous session with the default blend is scored over these
 * rows alone (recsys_session.c), one walk instead of one per source.  Not
 * built when the blend has a sequence model (Markov, HMM, GRU, LSTM): those
 * score a session in order, not as a sum over its items.
 */
static int
recsys_build_session(const recsys_build_opts_t *o, recsys_parts_t *parts)
{
    static const int  list_src[] = {
        RECSYS_SRC_ITEMCF, RECSYS_SRC_CONTENT, RECSYS_SRC_EASE,
        RECSYS_SRC_RP3BETA
    };

    int              failed, src[4];
    float            w[4];
    uint32_t         n_src, n_items, h, k, *count, x;
    recsys_entry_t  *slots;

    if (parts->w[RECSYS_SRC_MARKOV] > 0.0f || parts->w[RECSYS_SRC_HMM] > 0.0f
        || parts->w[RECSYS_SRC_GRU] > 0.0f || parts->w[RECSYS_SRC_LSTM] > 0.0f)
    {
        return RECSYS_OK;
    }

    n_src = 0;
    n_items = 0;

    for (x = 0; x < 4; x++) {
        if (parts->w[list_src[x]] > 0.0f
            && parts->nbrs[list_src[x]].offsets != NULL)
        {
            src[n_src] = list_src[x];
            w[n_src] = recsys_build_session_scale(&parts->nbrs[list_src[x]],
                                                  parts->w[list_src[x]]);
            n_items = parts->nbrs[list_src[x]].n_rows;

            if (w[n_src] > 0.0f) {
                n_src++;
            }
        }
    }

    k = o->neighbors;

    if (n_src == 0 || k == 0) {
        return RECSYS_OK;
    }

    if (recsys_csr_alloc_row(&parts->session_scales, n_src) != 0) {
        return RECSYS_ENOMEM;
    }

    for (x = 0; x < n_src; x++) {
        parts->session_scales.entries[x].item = (uint32_t) src[x];
        parts->session_scales.entries[x].score = w[x];
    }

    if (n_src == 1) {
        return RECSYS_OK;   /* the source's own rows serve (recsys_session.c) */
    }

    failed = 0;
    if (recsys_slots_alloc(n_items, k, &count, &slots) != RECSYS_OK) {
        return RECSYS_ENOMEM;
    }

#pragma omp parallel
    {
        double           *acc;
        unsigned char    *mark;
        uint32_t         *touched, n_touched, j, n, y, i, t;
        recsys_row_t      row;
        recsys_list_t     view;
        recsys_topk_t     top;
        recsys_scored_t  *heap;

        acc = malloc(((size_t) n_items + 1) * sizeof(double));
        mark = calloc((size_t) n_items + 1, 1);
        touched = malloc(((size_t) n_items + 1) * sizeof(uint32_t));
        heap = malloc(((size_t) k + 1) * sizeof(recsys_scored_t));

        if (acc == NULL || mark == NULL || touched == NULL || heap == NULL) {
#pragma omp atomic write
            failed = 1;

            free(mark);
            mark = NULL;
        }

#pragma omp for schedule(dynamic, 256)
        for (h = 0; h < n_items; h++) {
            if (mark == NULL) {
                continue;
            }

            n_touched = 0;

            for (y = 0; y < n_src; y++) {
                view = recsys_csr_view(&parts->nbrs[src[y]]);
                row = recsys_list_row(&view, h);

                for (j = 0; j < row.n; j++) {
                    i = recsys_row_item(row, j);

                    if (!mark[i]) {
                        mark[i] = 1;
                        acc[i] = 0.0;
                        touched[n_touched++] = i;
                    }

                    acc[i] += (double) w[y] * recsys_row_score(row, j);
                }
            }

            recsys_topk_init(&top, heap, k);

            for (t = 0; t < n_touched; t++) {
                i = touched[t];

                if (acc[i] > 0.0) {
                    recsys_topk_push(&top, i, (float) acc[i]);
                }

                mark[i] = 0;
            }

            n = recsys_topk_sort(&top);
            recsys_slots_put(count, slots, k, h, heap, n);
        }

        free(acc);
        free(mark);
        free(touched);
        free(heap);
    }

    return recsys_slots_pack(failed, n_items, k, count, slots,
                                   &parts->session);
}


static void
recsys_build_free_parts(recsys_parts_t *parts)
{
    int  s;

    if (!parts->borrowed) {
        recsys_train_free(&parts->train);
    }

    recsys_csr_free(&parts->hist);
    recsys_csr_free(&parts->popular);
    recsys_csr_free(&parts->trending);
    recsys_csr_free(&parts->hybrid);
    recsys_csr_free(&parts->session);
    recsys_csr_free(&parts->session_scales);
    recsys_csr_free(&parts->weights);
    recsys_csr_free(&parts->user_nbrs);
    recsys_csr_free(&parts->user_segment);
    recsys_csr_free(&parts->segment_top);
    recsys_csr_free(&parts->user_mean);
    recsys_csr_free(&parts->item_mean);
    recsys_csr_free(&parts->value_range);
    recsys_csr_free(&parts->segment_genres);
    free(parts->rules);
    free(parts->mine);
    for (s = 0; s < RECSYS_NSRC; s++) {
        free(parts->packed[s]);
        recsys_csr_free(&parts->nbrs[s]);
        recsys_csr_free(&parts->recs[s]);
    }
}


/*
 * The rows by time and their times, once what reads them (the trending
 * of "prepare", the rules, the sequence models, EASE, which weighs rows
 * by age, and the stored histories) is made: the other item and user
 * models then run beside half the training layout.
 */
static void
recsys_build_drop_seq(recsys_parts_t *parts)
{
    if (parts->borrowed) {
        return;
    }

    recsys_csr_free(&parts->train.seq);
    parts->train.seq.n_rows = 0;
    parts->train.seq.n_entries = 0;
    free(parts->train.seq_time);
    parts->train.seq_time = NULL;
}


/*
 * After the item models: the rows by item go, and those by time if they
 * are still held (recsys_build_drop_seq drops them earlier): content, the
 * blend, the session lists and the writer read only the rows by user.
 * Not when the training data is borrowed.
 */
static void
recsys_build_drop_rows(recsys_parts_t *parts)
{
    if (parts->borrowed) {
        return;
    }

    recsys_build_drop_seq(parts);
    recsys_csr_free(&parts->train.by_item);
}


/* One mean per row of m (rows without entries get none). */
static int
recsys_build_row_means(const recsys_csr_t *m, recsys_csr_t *out)
{
    uint32_t  r, n;

    n = 0;
    for (r = 0; r < m->n_rows; r++) {
        n += m->offsets[r + 1] > m->offsets[r];
    }

    if (recsys_csr_alloc(out, m->n_rows, n) != 0) {
        return RECSYS_ENOMEM;
    }

    n = 0;
    for (r = 0; r < m->n_rows; r++) {
        out->offsets[r] = n;

        if (m->offsets[r + 1] == m->offsets[r]) {
            continue;
        }

        out->entries[n].item = 0;
        out->entries[n].score = (float) recsys_csr_row_mean(m, r);
        n++;
    }

    out->offsets[m->n_rows] = n;

    return RECSYS_OK;
}


/* Means and the value range, for rating predictions (recsys_predict.c). */
static int
recsys_build_means(recsys_parts_t *parts)
{
    float               lo, hi;
    double              sum;
    uint32_t            e;
    const recsys_csr_t *m;

    m = &parts->train.by_user;

    if (recsys_build_row_means(m, &parts->user_mean) != RECSYS_OK
        || recsys_build_row_means(&parts->train.by_item, &parts->item_mean)
           != RECSYS_OK
        || recsys_csr_alloc_row(&parts->value_range, 3) != 0)
    {
        return RECSYS_ENOMEM;
    }

    sum = 0.0;
    lo = m->n_entries ? m->entries[0].score : 0.0f;
    hi = lo;

    for (e = 0; e < m->n_entries; e++) {
        sum += m->entries[e].score;
        lo = m->entries[e].score < lo ? m->entries[e].score : lo;
        hi = m->entries[e].score > hi ? m->entries[e].score : hi;
    }

    parts->value_range.entries[0].item = 0;
    parts->value_range.entries[0].score =
        (float) (m->n_entries ? sum / m->n_entries : 0.0);
    parts->value_range.entries[1].item = 1;
    parts->value_range.entries[1].score = lo;
    parts->value_range.entries[2].item = 2;
    parts->value_range.entries[2].score = hi;

    return RECSYS_OK;
}


/* Per segment, its strongest genres (the analyst's view). */
static int
recsys_build_segment_genres(const recsys_cluster_t *c, recsys_csr_t *out)
{
    uint32_t         g, k, n, total;
    recsys_topk_t    top;
    recsys_scored_t  heap[5];

    if (recsys_csr_alloc(out, c->k, (uint64_t) c->k * 5) != 0) {
        return RECSYS_ENOMEM;
    }

    total = 0;
    for (k = 0; k < c->k; k++) {
        recsys_topk_init(&top, heap, 5);

        for (g = 0; g < c->dim; g++) {
            if (c->profile[(size_t) k * c->dim + g] > 0.0f) {
                recsys_topk_push(&top, g, c->profile[(size_t) k * c->dim + g]);
            }
        }

        n = recsys_topk_sort(&top);
        out->offsets[k] = total;

        for (g = 0; g < n; g++) {
            out->entries[total].item = heap[g].item;
            out->entries[total].score = heap[g].score;
            total++;
        }
    }

    out->offsets[c->k] = total;
    out->n_entries = total;

    return RECSYS_OK;
}


/*
 * Each user's segment list (recsys_cluster_recommend): the top items of
 * the user's segment that the user has not seen, from the users' segments
 * and the segments' top lists in parts; a users task has only its own
 * users' segments, so the others' lists are empty.
 */
static int
recsys_build_segment_users(const recsys_build_opts_t *o,
    recsys_parts_t *parts)
{
    uint32_t          u, n, m, j, users;
    recsys_csr_t     *recs, *us;
    recsys_cluster_t  c;
    recsys_scored_t  *out;

    us = &parts->user_segment;
    recs = &parts->recs[RECSYS_SRC_CLUSTER];

    memset(&c, 0, sizeof(c));
    c.n_users = us->n_rows;
    c.k = parts->segment_top.n_rows;
    c.top = parts->segment_top;
    c.assign = malloc(((size_t) c.n_users + 1) * sizeof(int32_t));
    out = malloc(((size_t) o->user_top + 1) * sizeof(recsys_scored_t));

    users = 0;
    for (u = 0; c.assign != NULL && u < c.n_users; u++) {
        c.assign[u] = -1;

        if (us->offsets[u + 1] > us->offsets[u]
            && us->entries[us->offsets[u]].item < c.k)
        {
            c.assign[u] = (int32_t) us->entries[us->offsets[u]].item;
            users++;
        }
    }

    if (c.assign == NULL || out == NULL
        || recsys_csr_alloc(recs, c.n_users, (uint64_t) users * o->user_top)
           != 0)
    {
        free(c.assign);
        free(out);
        return RECSYS_ENOMEM;
    }

    n = 0;
    for (u = 0; u < c.n_users; u++) {
        recs->offsets[u] = n;
        m = recsys_cluster_recommend(&c, &parts->train.by_user, u, out,
                                     o->user_top);

        for (j = 0; j < m; j++) {
            recs->entries[n].item = out[j].item;
            recs->entries[n].score = out[j].score;
            n++;
        }
    }

    recs->offsets[c.n_users] = n;
    recs->n_entries = n;

    free(c.assign);
    free(out);

    return RECSYS_OK;
}


/*
 * Segments of users by their genre profiles (recsys_cluster.c): each
 * user's segment, each segment's top items and genres, and per user the
 * segment's top items minus what the user has seen (the "cluster" source,
 * and the answer for sparse users; in the items part of the sharded build
 * the users tasks make these lists).  No catalog genres: no segments.
 */
static int
recsys_build_segments(const recsys_build_opts_t *o, recsys_parts_t *parts)
{
    int                    rc;
    uint32_t               u, total;
    recsys_cluster_t       c;
    recsys_cluster_opts_t  co;

    if (parts->train.n_genres == 0) {
        return RECSYS_OK;
    }

    co = recsys_cluster_default;
    co.method = o->dbscan ? RECSYS_CLUSTER_DBSCAN : RECSYS_CLUSTER_KMEANS;
    co.kmeans.k = o->k;
    co.dbscan.eps = o->eps;

    memset(&c, 0, sizeof(c));
    rc = recsys_cluster_build(&parts->train, &co, &c);

    if (rc != RECSYS_OK || c.k == 0) {
        recsys_cluster_free(&c);
        return rc == RECSYS_EINVAL ? RECSYS_OK : rc;
    }

    parts->n_segments = c.k;

    total = 0;
    for (u = 0; u < c.n_users; u++) {
        total += c.assign[u] >= 0;
    }

    if (recsys_csr_alloc(&parts->user_segment, c.n_users, total) != 0
        || recsys_csr_alloc(&parts->segment_top, c.k, c.top.n_entries) != 0
        || recsys_build_segment_genres(&c, &parts->segment_genres)
           != RECSYS_OK)
    {
        recsys_cluster_free(&c);
        return RECSYS_ENOMEM;
    }

    memcpy(parts->segment_top.offsets, c.top.offsets,
           ((size_t) c.k + 1) * sizeof(uint32_t));
    memcpy(parts->segment_top.entries, c.top.entries,
           (size_t) c.top.n_entries * sizeof(recsys_entry_t));

    total = 0;
    for (u = 0; u < c.n_users; u++) {
        parts->user_segment.offsets[u] = total;

        if (c.assign[u] >= 0) {
            parts->user_segment.entries[total].item = (uint32_t) c.assign[u];
            parts->user_segment.entries[total].score = 1.0f;
            total++;
        }
    }

    parts->user_segment.offsets[c.n_users] = total;
    parts->sources |= 1u << RECSYS_SRC_CLUSTER;
    recsys_cluster_free(&c);

    /* the items part leaves the users' lists to the users tasks */
    return o->items_part ? recsys_build_no_lists(parts,
                                    &parts->recs[RECSYS_SRC_CLUSTER])
                         : recsys_build_segment_users(o, parts);
}


/*
 * Each user's rules list: the rules their whole history fires, seen items
 * left out.  A users task (parts->mine) scores its own users only; the
 * others' rows stay empty.  RECSYS_ECORRUPT when the packed rules do not
 * read.
 */
static int
recsys_build_rules_users(const recsys_build_opts_t *o, recsys_parts_t *parts)
{
    uint32_t             u, n, j, m, cap, *hist, users;
    recsys_csr_t        *recs;
    recsys_list_t        seen;
    recsys_scored_t     *out;
    recsys_rules_hit_t  *hits;
    recsys_rules_view_t  view;

    if (recsys_rules_view(parts->rules, parts->rules_size, &view)
        != RECSYS_OK)
    {
        return RECSYS_ECORRUPT;
    }

    /* room for the lists of the users scored here */
    users = parts->train.n_users;

    if (parts->mine != NULL) {
        for (u = 0, users = 0; u < parts->train.n_users; u++) {
            users += parts->mine[u] != 0;
        }
    }

    cap = RECSYS_RULES_CAP;
    seen = recsys_csr_view(&parts->train.by_user);
    recs = &parts->recs[RECSYS_SRC_ASSOC];
    out = malloc(((size_t) o->user_top + 1) * sizeof(recsys_scored_t));
    hist = malloc(((size_t) parts->train.n_items + 1) * sizeof(uint32_t));
    hits = malloc(((size_t) o->history * cap + 1)
                  * sizeof(recsys_rules_hit_t));

    if (out == NULL || hist == NULL || hits == NULL
        || recsys_csr_alloc(recs, parts->train.n_users,
                            (uint64_t) users * o->user_top) != 0)
    {
        free(out);
        free(hist);
        free(hits);
        return RECSYS_ENOMEM;
    }

    n = 0;
    for (u = 0; u < parts->train.n_users; u++) {
        recs->offsets[u] = n;
        m = 0;

        if (parts->mine != NULL && !parts->mine[u]) {
            continue;
        }

        /* the stored history, sorted by item as the scorer wants it */
        for (j = parts->hist.offsets[u]; j < parts->hist.offsets[u + 1]; j++) {
            hist[m++] = parts->hist.entries[j].item;
        }

        qsort(hist, m, sizeof(uint32_t), recsys_sorted_cmp_u32);

        m = recsys_rules_score(&view, hist, m, cap, hits,
                               o->history * cap, out, NULL, o->user_top);

        for (j = 0; j < m; j++) {
            if (recsys_row_contains(recsys_list_row(&seen, u), out[j].item)) {
                continue;
            }

            recs->entries[n].item = out[j].item;
            recs->entries[n].score = out[j].score;
            n++;
        }
    }

    recs->offsets[parts->train.n_users] = n;
    recs->n_entries = n;

    free(out);
    free(hist);
    free(hits);

    return RECSYS_OK;
}


/*
 * Association rules (recsys_rules.c): FP-growth over each user's items
 * (those with value >= rule_min_value), or over sessions (rule_gap), rules
 * with up to 3 antecedent items, packed for reading in place.  The users'
 * lists (the "assoc" source) come later, from the stored histories
 * (recsys_build_rules_lists()).
 */
static int
recsys_build_rules(const recsys_build_opts_t *o, recsys_parts_t *parts)
{
    int                  rc;
    uint32_t             n_rules;
    recsys_csr_t         sessions;
    recsys_rule_t       *rules;
    const recsys_csr_t  *tx;
    recsys_itemsets_t    sets;
    recsys_mine_opts_t   mo;
    recsys_rules_opts_t  ro;

    memset(&sessions, 0, sizeof(sessions));
    memset(&sets, 0, sizeof(sets));
    rules = NULL;
    mo.min_value = RECSYS_MINE_ANY_VALUE;

    if (o->rule_gap > 0.0) {
        /* sessions: what was watched together, cut at long pauses */
        rc = recsys_rules_tx_sessions(&parts->train, (int64_t) o->rule_gap,
                                      2, &sessions);
        if (rc != RECSYS_OK) {
            return rc;
        }

        tx = &sessions;

    } else {
        /* a user's transaction is what they liked (rated at least 4 of
         * explicit ratings), read in place from the rows by user */
        mo.min_value = o->rule_min_value >= 0.0f ? o->rule_min_value
                       : parts->train.explicit_ratings ? 4.0f
                       : RECSYS_MINE_ANY_VALUE;
        tx = &parts->train.by_user;
    }

    mo.min_count = (uint32_t) (o->rule_support * tx->n_rows);
    mo.min_count = mo.min_count < 2 ? 2 : mo.min_count;
    mo.max_len = 4;
    mo.max_sets = 5000000;

    rc = recsys_rules_fpgrowth(tx, parts->train.n_items, &mo, &sets);

    if (rc == RECSYS_OK) {
        ro.min_support = o->rule_support;
        ro.min_confidence = o->rule_confidence;
        ro.min_lift = o->rule_lift;
        ro.max_ante = 3;
        ro.max_rules = 1000000;

        rc = recsys_rules_generate(&sets, tx->n_rows, &ro, &rules, &n_rules);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_rules_pack(rules, n_rules, parts->train.n_items,
                               &parts->rules, &parts->rules_size);
        parts->n_rules = n_rules;
    }

    recsys_itemsets_free(&sets);
    free(rules);
    recsys_csr_free(&sessions);

    if (rc == RECSYS_ELIMIT) {
        return RECSYS_OK;       /* too dense to mine at this support */
    }

    if (rc != RECSYS_OK) {
        return rc;
    }

    parts->sources |= 1u << RECSYS_SRC_ASSOC;

    return RECSYS_OK;
}


/*
 * The users' rules lists (recsys_build_rules_users()), from the stored
 * histories; the items part leaves them to the users tasks.
 */
static int
recsys_build_rules_lists(const recsys_build_opts_t *o, recsys_parts_t *parts)
{
    return o->items_part ? recsys_build_no_lists(parts,
                                    &parts->recs[RECSYS_SRC_ASSOC])
                         : recsys_build_rules_users(o, parts);
}


/* A packed sequence model's per-user top lists (recsys_hmm_user_top()). */
typedef int (*recsys_build_user_top_pt)(const void *packed, size_t size,
    const recsys_train_t *t, uint32_t k, int exclude_seen, recsys_csr_t *out);


/*
 * The users' top lists of the packed model of source s, written by
 * user_top from parts->packed[s], seen items left out; s is marked as
 * present when they are made.
 */
static int
recsys_build_packed_top(const recsys_build_opts_t *o, recsys_parts_t *parts,
    int s, recsys_build_user_top_pt user_top)
{
    int  rc;

    rc = user_top(parts->packed[s], parts->packed_size[s], &parts->train,
                  o->user_top, 1, &parts->recs[s]);

    if (rc == RECSYS_OK) {
        parts->sources |= 1u << s;
    }

    return rc;
}


/*
 * One recurrent model, of the given cell, trained with the builder's
 * settings and packed as source s, with its per-user lists.
 */
static int
recsys_build_rnn(const recsys_build_opts_t *o, recsys_parts_t *parts,
    uint32_t cell, int s)
{
    int                rc;
    recsys_gru_t       rnn;
    recsys_gru_opts_t  go;

    memset(&rnn, 0, sizeof(rnn));
    go = recsys_gru_default;
    go.cell = cell;
    go.epochs = o->lstm_epochs;
    go.dim = o->lstm_dim;
    go.hidden = o->lstm_hidden;
    go.negatives = o->rnn_negatives;
    go.batch = o->rnn_batch;
    go.max_len = o->rnn_max_len;
    go.lr = o->rnn_lr;
    go.dropout = o->rnn_dropout;
    go.valid = o->rnn_valid;
    go.patience = o->rnn_patience;
    go.skip = o->rnn_skip;
    go.refit = o->rnn_refit;
    go.tie = o->rnn_tie;

    rc = recsys_gru_train(&parts->train, &go, &rnn);

    if (rc == RECSYS_OK) {
        rc = recsys_gru_pack(&rnn, go.max_len, &parts->packed[s],
                             &parts->packed_size[s]);
    }

    recsys_gru_free(&rnn);

    if (rc == RECSYS_OK) {
        rc = recsys_build_packed_top(o, parts, s, recsys_gru_user_top);
    }

    return rc;
}


/*
 * Each user's Markov list from the chain's rows (parts->nbrs) and the
 * user's own rows by time; a users task has only its own users' rows, so
 * the others' lists are empty.
 */
static int
recsys_build_markov_users(const recsys_build_opts_t *o, recsys_parts_t *parts)
{
    recsys_markov_opts_t  mo;

    mo = recsys_markov_default;

    return recsys_markov_user_top(&parts->nbrs[RECSYS_SRC_MARKOV],
                                  &parts->train, mo.window, mo.decay,
                                  o->user_top, 1,
                                  &parts->recs[RECSYS_SRC_MARKOV]);
}


/*
 * Sequence models on each user's items in time order: a first-order
 * Markov chain (next-item lists, which also answer item=I&algo=markov),
 * and optionally a hidden Markov model and recurrent models, a GRU and an
 * LSTM (recsys_hmm_train.c, recsys_gru_train.c, recsys_lstm_train.c),
 * packed for request-time scoring of sessions (recsys_hmm.c,
 * recsys_gru.c, recsys_lstm.c).  Per-user lists come from the same
 * scoring functions.
 */
static int
recsys_build_sequences(const recsys_build_opts_t *o, recsys_parts_t *parts)
{
    int                   rc;
    recsys_hmm_t          hmm;
    recsys_hmm_opts_t     ho;
    recsys_markov_opts_t  mo;

    rc = RECSYS_OK;

    if (o->markov) {
        mo = recsys_markov_default;
        rc = recsys_markov_build(&parts->train, &mo,
                                 &parts->nbrs[RECSYS_SRC_MARKOV]);

        if (rc == RECSYS_OK) {
            rc = o->items_part
                 ? recsys_build_no_lists(parts,
                                         &parts->recs[RECSYS_SRC_MARKOV])
                 : recsys_build_markov_users(o, parts);
        }

        if (rc == RECSYS_OK) {
            parts->sources |= 1u << RECSYS_SRC_MARKOV;
        }
    }

    if (rc == RECSYS_OK && o->hmm) {
        memset(&hmm, 0, sizeof(hmm));
        ho = recsys_hmm_default;
        ho.n_states = o->hmm_states;

        rc = recsys_hmm_train(&parts->train, &ho, &hmm);

        if (rc == RECSYS_OK) {
            rc = recsys_hmm_pack(&hmm, 100, ho.max_len,
                                 &parts->packed[RECSYS_SRC_HMM],
                                 &parts->packed_size[RECSYS_SRC_HMM]);
        }

        recsys_hmm_free(&hmm);

        if (rc == RECSYS_OK) {
            rc = recsys_build_packed_top(o, parts, RECSYS_SRC_HMM,
                                         recsys_hmm_user_top);
        }
    }

    if (rc == RECSYS_OK && (o->lstm & RECSYS_BUILD_RNN_GRU)) {
        rc = recsys_build_rnn(o, parts, RECSYS_RNN_GRU, RECSYS_SRC_GRU);
    }

    if (rc == RECSYS_OK && (o->lstm & RECSYS_BUILD_RNN_LSTM)) {
        rc = recsys_build_rnn(o, parts, RECSYS_RNN_LSTM, RECSYS_SRC_LSTM);
    }

    return rc;
}


/*
 * Top lists from a dense scorer (EASE's exact x_u B): every user scored
 * over every item, seen items left out, the best user_top kept.
 */
static int
recsys_build_dense_lists(const recsys_build_opts_t *o, recsys_parts_t *parts,
    const recsys_ease_t *ease, recsys_csr_t *dst)
{
    int                failed;
    uint32_t           n_users, n_items, u, k, *count;
    recsys_entry_t    *slots;
    recsys_progress_t  pg;

    if (o->items_part) {
        return recsys_build_no_lists(parts, dst);   /* the users tasks' */
    }

    n_users = parts->train.n_users;
    n_items = parts->train.n_items;
    k = o->user_top;
    failed = 0;

    if (recsys_slots_alloc(n_users, k, &count, &slots) != RECSYS_OK) {
        return RECSYS_ENOMEM;
    }

    recsys_progress_begin(&pg, recsys_source_name(RECSYS_SRC_EASE), "users",
                          n_users);

#pragma omp parallel
    {
        double           *scores;
        uint32_t          i, n;
        recsys_list_t     seen;
        recsys_topk_t     top;
        recsys_scored_t  *heap;

        scores = malloc(((size_t) n_items + 1) * sizeof(double));
        heap = malloc(((size_t) k + 1) * sizeof(recsys_scored_t));
        seen = recsys_csr_view(&parts->train.by_user);

        if (scores == NULL || heap == NULL) {
#pragma omp atomic write
            failed = 1;
        }

#pragma omp for schedule(dynamic, 64)
        for (u = 0; u < n_users; u++) {
            if (scores == NULL || heap == NULL || !recsys_build_mine(o, parts, u)
                || parts->train.by_user.offsets[u + 1]
                   == parts->train.by_user.offsets[u])
            {
                continue;
            }

            if ((u & 255) == 0) {
                recsys_progress_tick(&pg, u);
            }

            recsys_ease_score(ease, &parts->train, u, scores);
            recsys_topk_init(&top, heap, k);

            for (i = 0; i < n_items; i++) {
                if (scores[i] > 0.0
                    && !recsys_row_contains(recsys_list_row(&seen, u), i))
                {
                    recsys_topk_push(&top, i, (float) scores[i]);
                }
            }

            n = recsys_topk_sort(&top);
            recsys_slots_put(count, slots, k, u, heap, n);
        }

        free(scores);
        free(heap);
    }

    recsys_progress_end(&pg, n_users);

    return recsys_slots_pack(failed, n_users, k, count, slots, dst);
}


/* Every user's seen items, each with weight 1. */
static int
recsys_build_binary_seen(const recsys_train_t *t, recsys_csr_t *ones)
{
    uint32_t  e;

    if (recsys_csr_alloc(ones, t->n_users, t->by_user.n_entries) != 0) {
        return RECSYS_ENOMEM;
    }

    memcpy(ones->offsets, t->by_user.offsets,
           ((size_t) t->n_users + 1) * sizeof(uint32_t));

    for (e = 0; e < ones->n_entries; e++) {
        ones->entries[e].item = t->by_user.entries[e].item;
        ones->entries[e].score = 1.0f;
    }

    return RECSYS_OK;
}


/* The items part's EASE: its dense B beside the model, OUT.ease. */
static int
recsys_build_ease_part(const recsys_build_opts_t *o, const recsys_ease_t *m)
{
    char  path[4096], err[512];

    snprintf(path, sizeof(path), "%s.ease", o->out != NULL ? o->out : "");

    if (recsys_shard_ease_save(path, m, err, sizeof(err)) != RECSYS_OK) {
        fprintf(stderr, "recsys-build: %s\n", err);
        return RECSYS_EIO;
    }

    return RECSYS_OK;
}


/*
 * A users task of the sharded build (recsys_shard_items.h): the item
 * models and the whole-log lists read from the items part, then the lists
 * scored from each own user's history: its segment's top items, the rules
 * it fires, Markov from its rows by time, item-CF, content and RP3beta
 * over their neighbours, EASE exactly from its dense B, and the blend.
 */
static int
recsys_build_users_part(recsys_data_t *d, recsys_parts_t *parts,
    const recsys_build_opts_t *o, recsys_build_stats_t *stats, char *err,
    size_t errlen)
{
    int            rc, s;
    char           path[4096];
    uint32_t       e;
    recsys_csr_t   ones;
    recsys_ease_t  ease;

    rc = recsys_shard_items_mine(&d->users, o, &parts->mine);

    if (rc == RECSYS_OK) {
        rc = recsys_build_history(o, parts);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_shard_items_load(o->from_items, parts->train.n_users,
                                     parts, err, errlen);
    }

    /* the lists that need only each user's own rows and the fitted model */
    if (rc == RECSYS_OK && (parts->sources & (1u << RECSYS_SRC_CLUSTER))) {
        rc = recsys_build_segment_users(o, parts);
    }

    if (rc == RECSYS_OK && (parts->sources & (1u << RECSYS_SRC_ASSOC))
        && parts->rules != NULL)
    {
        rc = recsys_build_rules_users(o, parts);
    }

    if (rc == RECSYS_OK && (parts->sources & (1u << RECSYS_SRC_MARKOV))) {
        rc = recsys_build_markov_users(o, parts);
    }

    for (e = 0; rc == RECSYS_OK && e < parts->weights.n_entries; e++) {
        s = (int) parts->weights.entries[e].item;
        parts->w[s < RECSYS_NSRC ? s : 0] = parts->weights.entries[e].score;
    }

    for (s = 0; rc == RECSYS_OK && s < RECSYS_NSRC; s++) {
        if ((s != RECSYS_SRC_ITEMCF && s != RECSYS_SRC_CONTENT
             && s != RECSYS_SRC_RP3BETA)
            || parts->nbrs[s].offsets == NULL)
        {
            continue;
        }

        memset(&ones, 0, sizeof(ones));

        if (s == RECSYS_SRC_RP3BETA) {
            rc = recsys_build_binary_seen(&parts->train, &ones);
        }

        if (rc == RECSYS_OK) {
            rc = recsys_build_user_lists(o, parts, s,
                                         s == RECSYS_SRC_RP3BETA
                                         ? &ones : &parts->hist,
                                         &parts->recs[s]);
        }

        recsys_csr_free(&ones);
    }

    if (rc == RECSYS_OK && (parts->sources & (1u << RECSYS_SRC_EASE))) {
        snprintf(path, sizeof(path), "%s.ease", o->from_items);
        rc = recsys_shard_ease_load(path, parts->train.n_items, &ease, err,
                                    errlen);

        if (rc == RECSYS_OK) {
            rc = recsys_build_dense_lists(o, parts, &ease,
                                          &parts->recs[RECSYS_SRC_EASE]);
        }

        recsys_ease_free(&ease);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_user_lists(o, parts, RECSYS_ALGO_HYBRID, NULL,
                                     &parts->hybrid);
    }

    recsys_build_stage(stats, "users", recsys_clock_now());

    if (rc != RECSYS_OK && err[0] == '\0') {
        snprintf(err, errlen, "building the users' lists: %s",
                 recsys_strerror(rc));
    }

    return rc;
}


/*
 * EASE (recsys_ease.c): the dense B over the most popular ease_items items,
 * fitted from the rows by user weighed by age (the rows by time's times),
 * its item-to-item lists, and each user's list scored exactly; the items
 * part writes B for its users tasks instead.
 */
static int
recsys_build_ease(const recsys_build_opts_t *o, recsys_parts_t *parts)
{
    int                 rc;
    recsys_ease_t       ease;
    recsys_ease_opts_t  eo;

    memset(&ease, 0, sizeof(ease));
    eo = recsys_ease_default;
    eo.lambda = o->ease_lambda;
    eo.max_items = o->ease_items;
    eo.dropout = o->ease_dropout;
    eo.dlae = (int) o->ease_dlae;
    eo.user_norm = o->ease_user_norm;
    eo.time_scale = o->ease_time_scale;
    eo.time_floor = o->ease_time_floor;

    rc = recsys_ease_fit(&parts->train, &eo, &ease);

    if (rc == RECSYS_OK && o->items_part) {
        rc = recsys_build_ease_part(o, &ease);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_ease_topk(&ease, eo.k, &parts->nbrs[RECSYS_SRC_EASE]);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_dense_lists(o, parts, &ease,
                                      &parts->recs[RECSYS_SRC_EASE]);
    }

    recsys_ease_free(&ease);

    if (rc == RECSYS_OK) {
        parts->sources |= 1u << RECSYS_SRC_EASE;
    }

    return rc;
}


/*
 * RP3beta and ALS (recsys_rp3.c, recsys_als.c; EASE is fitted earlier,
 * recsys_build_ease).  RP3beta, like EASE, also keeps item-to-item lists,
 * which score sessions at request time (each session item weighs 1, as in
 * its binary training matrix); known users get lists scored exactly.
 */
static int
recsys_build_linear(const recsys_build_opts_t *o, recsys_parts_t *parts,
    recsys_build_stats_t *stats)
{
    int                rc;
    double             t0;
    recsys_csr_t       ones;
    recsys_als_t       als;
    recsys_rp3_opts_t  ro;
    recsys_als_opts_t  ao;

    rc = RECSYS_OK;
    t0 = recsys_clock_now();

    if (o->rp3beta) {
        ro = recsys_rp3_default;
        rc = recsys_rp3_build(&parts->train, &ro,
                              &parts->nbrs[RECSYS_SRC_RP3BETA]);

        /* a binary model: users are scored from what they saw, each 1
         * (by the users tasks when this is the items part) */
        memset(&ones, 0, sizeof(ones));

        if (rc == RECSYS_OK && !o->items_part) {
            rc = recsys_build_binary_seen(&parts->train, &ones);
        }

        if (rc == RECSYS_OK) {
            rc = recsys_build_user_lists(o, parts, RECSYS_SRC_RP3BETA, &ones,
                                         &parts->recs[RECSYS_SRC_RP3BETA]);
        }

        recsys_csr_free(&ones);

        if (rc == RECSYS_OK) {
            parts->sources |= 1u << RECSYS_SRC_RP3BETA;
        }

        t0 = recsys_build_stage(stats,
                                recsys_source_name(RECSYS_SRC_RP3BETA), t0);
    }

    if (rc == RECSYS_OK && o->als) {
        memset(&als, 0, sizeof(als));
        ao = recsys_als_default;
        ao.factors = o->als_factors;
        ao.top = o->user_top;

        rc = recsys_als_fit(&parts->train, &ao, &als);

        if (rc == RECSYS_OK) {
            rc = recsys_als_top(&parts->train, &als, o->user_top,
                                &parts->recs[RECSYS_SRC_ALS]);
        }

        recsys_als_free(&als);

        if (rc == RECSYS_OK) {
            parts->sources |= 1u << RECSYS_SRC_ALS;
        }

        recsys_build_stage(stats, recsys_source_name(RECSYS_SRC_ALS), t0);
    }

    return rc;
}


/* User-CF: each user's neighbours and top list (recsys_usercf.c). */
static int
recsys_build_usercf(const recsys_build_opts_t *o, recsys_parts_t *parts)
{
    int                   rc;
    recsys_usercf_opts_t  uo;

    uo = recsys_usercf_default;
    uo.k = o->user_neighbors;
    uo.top = o->user_top;

    rc = recsys_usercf_neighbors(&parts->train, &uo, &parts->user_nbrs);

    if (rc == RECSYS_OK) {
        rc = recsys_usercf_recommend(&parts->train, &parts->user_nbrs, &uo,
                                     &parts->recs[RECSYS_SRC_USERCF]);
    }

    if (rc == RECSYS_OK) {
        parts->sources |= 1u << RECSYS_SRC_USERCF;
    }

    return rc;
}


/*
 * Content: item neighbours by TF-IDF cosine over genres, tags and title
 * words (recsys_content.c); users' lists are scored from their history
 * over those neighbours, like item-CF, so that request time agrees.  No
 * features at all (a log without a catalog or tags): no content source.
 */
static int
recsys_build_content(recsys_data_t *d, const recsys_build_opts_t *o,
    recsys_parts_t *parts, char *err, size_t errlen)
{
    int                     rc;
    recsys_content_t        c;
    recsys_content_opts_t   co;
    recsys_content_tags_t   tags;

    co = recsys_content_default;
    co.neighbors = o->neighbors;
    co.top = o->user_top;

    memset(&tags, 0, sizeof(tags));
    memset(&c, 0, sizeof(c));

    if (o->tags != NULL) {
        rc = recsys_content_tags_read(&tags, &d->items, o->tags, err,
                                      errlen);
        if (rc != RECSYS_OK) {
            recsys_content_tags_free(&tags);
            return rc;
        }
    }

    rc = recsys_content_build(&c, d, &parts->train,
                              o->tags != NULL ? &tags : NULL, &co);

    if (rc == RECSYS_OK && c.n_features > 0) {
        rc = recsys_content_neighbors(&c, &co,
                                      &parts->nbrs[RECSYS_SRC_CONTENT]);

        if (rc == RECSYS_OK) {
            rc = recsys_build_user_lists(o, parts, RECSYS_SRC_CONTENT,
                                         &parts->hist,
                                         &parts->recs[RECSYS_SRC_CONTENT]);
        }

        if (rc == RECSYS_OK) {
            parts->sources |= 1u << RECSYS_SRC_CONTENT;
        }
    }

    recsys_content_free(&c);
    recsys_content_tags_free(&tags);

    if (rc != RECSYS_OK) {
        snprintf(err, errlen, "building content features: %s",
                 recsys_strerror(rc));
    }

    return rc;
}


/* Everything after the training data: history, sources, blend, file. */
static int
recsys_build_parts(recsys_data_t *d, recsys_parts_t *parts,
    const recsys_build_opts_t *o, const char *out,
    recsys_build_stats_t *stats, char *err, size_t errlen)
{
    int                   rc;
    double                t0;
    recsys_itemcf_opts_t  icf;

    t0 = recsys_clock_now();

    stats->pairs = parts->train.by_user.n_entries;

    if (o->from_items != NULL) {
        err[0] = '\0';
        rc = recsys_build_users_part(d, parts, o, stats, err, errlen);

        return rc != RECSYS_OK ? rc : recsys_build_write(d, o, parts, out,
                                                         stats, err, errlen);
    }

    rc = recsys_build_popular(parts->train.n_users, parts);
    parts->sources |= 1u << RECSYS_SRC_POPULAR;

    if (rc == RECSYS_OK) {
        rc = recsys_build_trending(o, parts);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_means(parts);
    }

    t0 = recsys_build_stage(stats, "prepare", t0);

    /* the models of the rows by time first, which are then dropped */
    if (rc == RECSYS_OK && o->rules) {
        rc = recsys_build_rules(o, parts);
        t0 = recsys_build_stage(stats, "rules", t0);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_sequences(o, parts);
        t0 = recsys_build_stage(stats, "sequences", t0);
    }

    if (rc == RECSYS_OK && o->ease) {
        rc = recsys_build_ease(o, parts);
        t0 = recsys_build_stage(stats, recsys_source_name(RECSYS_SRC_EASE),
                                t0);
    }

    /* the stored histories last of what reads the rows by time, so that
     * the models before do not hold them beside their own memory */
    if (rc == RECSYS_OK) {
        rc = recsys_build_history(o, parts);
    }

    if (rc == RECSYS_OK && (parts->sources & (1u << RECSYS_SRC_ASSOC))) {
        rc = recsys_build_rules_lists(o, parts);
    }

    if (rc == RECSYS_OK) {
        recsys_build_drop_seq(parts);
    }

    if (rc == RECSYS_OK) {
        memset(&icf, 0, sizeof(icf));
        icf.similarity = (recsys_sim_t) recsys_sim_parse(o->similarity);
        icf.k = o->neighbors;
        icf.shrink = o->shrink;
        icf.min_support = o->min_support;

        rc = recsys_itemcf_build(&parts->train, &icf,
                                 &parts->nbrs[RECSYS_SRC_ITEMCF]);
        parts->sources |= 1u << RECSYS_SRC_ITEMCF;
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_user_lists(o, parts, RECSYS_SRC_ITEMCF,
                                     &parts->hist,
                                     &parts->recs[RECSYS_SRC_ITEMCF]);
    }

    t0 = recsys_build_stage(stats, recsys_source_name(RECSYS_SRC_ITEMCF), t0);

    if (rc == RECSYS_OK && o->user_neighbors > 0) {
        rc = recsys_build_usercf(o, parts);
        t0 = recsys_build_stage(stats,
                                recsys_source_name(RECSYS_SRC_USERCF), t0);
    }

    if (rc == RECSYS_OK && o->segments) {
        rc = recsys_build_segments(o, parts);
        t0 = recsys_build_stage(stats, "segments", t0);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_linear(o, parts, stats);
        recsys_build_drop_rows(parts);
        t0 = recsys_clock_now();
    }

    if (rc == RECSYS_OK && o->content) {
        rc = recsys_build_content(d, o, parts, err, errlen);
        if (rc != RECSYS_OK) {
            return rc;
        }

        t0 = recsys_build_stage(stats,
                                recsys_source_name(RECSYS_SRC_CONTENT), t0);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_weights(o, parts);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_user_lists(o, parts, RECSYS_ALGO_HYBRID, NULL,
                                     &parts->hybrid);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_session(o, parts);
    }

    t0 = recsys_build_stage(stats, "hybrid", t0);

    if (rc != RECSYS_OK) {
        snprintf(err, errlen, "building the model: %s", recsys_strerror(rc));
        return rc;
    }

    return recsys_build_write(d, o, parts, out, stats, err, errlen);
}


int
recsys_build_model(recsys_data_t *d, const recsys_build_opts_t *o,
    const char *out, recsys_build_stats_t *stats, char *err, size_t errlen)
{
    int             rc;
    double          t0;
    recsys_parts_t  parts;

    memset(&parts, 0, sizeof(parts));
    memset(stats, 0, sizeof(recsys_build_stats_t));

    if (o->user_shard >= o->user_shards) {
        snprintf(err, errlen, "--user-shard must be below --user-shards");
        return RECSYS_EINVAL;
    }

    if (o->from_items != NULL && o->decay_days > 0.0) {
        /* the decay counts from the newest row of the whole log */
        snprintf(err, errlen, "--decay-days is not for a users task");
        return RECSYS_EINVAL;
    }

    t0 = recsys_clock_now();

    /* the rows go into the training data; the log's copy goes */
    rc = recsys_train_build_release(d, &parts.train);

    if (rc != RECSYS_OK) {
        snprintf(err, errlen, "laying out the data: %s", recsys_strerror(rc));
        return rc;
    }

    recsys_build_stage(stats, "prepare", t0);

    rc = recsys_build_parts(d, &parts, o, out, stats, err, errlen);

    recsys_build_free_parts(&parts);

    return rc;
}


int
recsys_build_from_train(recsys_data_t *d, const recsys_train_t *train,
    const recsys_build_opts_t *o, const char *out,
    recsys_build_stats_t *stats, char *err, size_t errlen)
{
    int             rc;
    recsys_parts_t  parts;

    memset(&parts, 0, sizeof(parts));
    memset(stats, 0, sizeof(recsys_build_stats_t));

    parts.train = *train;
    parts.borrowed = 1;

    rc = recsys_build_parts(d, &parts, o, out, stats, err, errlen);

    recsys_build_free_parts(&parts);

    return rc;
}
