/*
 * recsys_eval_served.c: evaluating what the module serves.
 *
 * These recommenders do not re-implement any algorithm: fit() builds a
 * real model file from the split's train rows with the builder's own
 * pipeline (recsys_build_from_train), opens it with the module's read side
 * (recsys_model_open), and score() asks recsys_query_run() for the user's
 * list, exactly as nginx does for GET /recommend?user=U&algo=A.  The list's
 * order becomes the scores, so the evaluation ranks what would be served.
 * Parameters are the builder's settings: "itemcf:neighbors=100,shrink=5".
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recsys_build.h"
#include "recsys_eval.h"
#include "recsys_predict.h"
#include "recsys_query.h"
#include "recsys_status.h"


typedef struct {
    recsys_model_t  *model;
    int              algo;
} recsys_served_t;


/* A per-call allocator: blocks on a list, all freed at the end. */
typedef struct recsys_served_block_s  recsys_served_block_t;

struct recsys_served_block_s {
    recsys_served_block_t  *next;
    double                  data[1];
};


static void *
recsys_served_alloc(void *ctx, size_t size)
{
    recsys_served_block_t  **head, *b;

    head = ctx;
    b = malloc(sizeof(recsys_served_block_t) + size);
    if (b == NULL) {
        return NULL;
    }

    b->next = *head;
    *head = b;

    return b->data;
}


static void
recsys_served_free_blocks(recsys_served_block_t *b)
{
    recsys_served_block_t  *next;

    for ( /* void */ ; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
}


static int
recsys_served_fit(const recsys_train_t *train, const char *params,
    void **state, char *err, size_t errlen, int algo)
{
    int                   rc;
    char                  dir[4096], path[4200];
    const char           *tmp;
    recsys_served_t      *s;
    recsys_build_opts_t   o;
    recsys_build_stats_t  stats;

    recsys_build_defaults(&o);
    o.quiet = 1;
    o.model_id = "eval";
    o.explain_top = 0;      /* evaluation asks no explanations */

    /* build only what the algorithm serves from; params may add more */
    if (algo != RECSYS_ALGO_HYBRID) {
        o.user_neighbors = algo == RECSYS_SRC_USERCF ? o.user_neighbors : 0;
        o.content = algo == RECSYS_SRC_CONTENT;
        o.segments = algo == RECSYS_SRC_CLUSTER;
        o.rules = algo == RECSYS_SRC_ASSOC;
        o.markov = algo == RECSYS_SRC_MARKOV || algo == RECSYS_ALGO_NEXT;
        o.hmm = algo == RECSYS_SRC_HMM;
        o.lstm = algo == RECSYS_SRC_GRU ? RECSYS_BUILD_RNN_GRU
                 : algo == RECSYS_SRC_LSTM ? RECSYS_BUILD_RNN_LSTM
                 : RECSYS_BUILD_RNN_OFF;
        o.ease = algo == RECSYS_SRC_EASE;
        o.rp3beta = algo == RECSYS_SRC_RP3BETA;
        o.als = algo == RECSYS_SRC_ALS;
    }

    rc = recsys_build_set(&o, params, err, errlen);
    if (rc != RECSYS_OK) {
        return rc;
    }

    tmp = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/recsys-eval-XXXXXX",
             tmp != NULL && *tmp ? tmp : "/tmp");

    if (mkdtemp(dir) == NULL) {
        snprintf(err, errlen, "%s: cannot create a temporary directory",
                 dir);
        return RECSYS_EIO;
    }

    snprintf(path, sizeof(path), "%s/model.mdb", dir);

    s = calloc(1, sizeof(recsys_served_t));
    if (s == NULL) {
        rmdir(dir);
        return RECSYS_ENOMEM;
    }

    s->algo = algo;

    rc = recsys_build_from_train((recsys_data_t *) train->data, train, &o,
                                 path, &stats, err, errlen);

    if (rc == RECSYS_OK) {
        rc = recsys_model_open(path, &s->model, err, errlen);
    }

    /* the open model keeps its mapping; the name is no longer needed */
    unlink(path);
    rmdir(dir);

    if (rc != RECSYS_OK) {
        free(s);
        return rc;
    }

    *state = s;

    return RECSYS_OK;
}


static int
recsys_served_score(const void *state, uint32_t user, uint32_t k,
    double *scores)
{
    int                     rc;
    uint32_t                i, n_items;
    recsys_alloc_t          a;
    recsys_query_t          q;
    recsys_result_t         res;
    const recsys_served_t  *s;
    recsys_served_block_t  *blocks;

    s = state;
    n_items = recsys_model_header(s->model)->n_items;

    for (i = 0; i < n_items; i++) {
        scores[i] = -INFINITY;
    }

    memset(&q, 0, sizeof(q));
    q.algo = s->algo;
    q.user = user;

    /* a user with no train rows is unknown to a model built from them */
    if (recsys_list_row(recsys_model_list(s->model, RECSYS_L_USER_SEEN),
                        user).n == 0)
    {
        q.user = RECSYS_NO_INDEX;
    }
    q.item = RECSYS_NO_INDEX;

    /* as served: past the stored lists' length, scored at request time */
    q.n = recsys_model_header(s->model)->user_top;
    if (q.n < k) {
        q.n = k;
    }

    blocks = NULL;
    a.alloc = recsys_served_alloc;
    a.ctx = &blocks;

    rc = recsys_query_run(s->model, &q, &a, &res);

    for (i = 0; rc == RECSYS_OK && i < res.n; i++) {
        scores[res.items[i].item] = (double) (res.n - i);
    }

    recsys_served_free_blocks(blocks);

    return rc;
}


/* Rating predictions as served with predict=1: user-kNN or item-kNN. */
static int
recsys_served_predict(const void *state, uint32_t user, uint32_t item,
    double *rating)
{
    int                     rc;
    recsys_prediction_t     p;
    const recsys_served_t  *s;

    s = state;

    rc = recsys_predict(s->model, user, item, &p);
    if (rc != RECSYS_OK) {
        return rc;
    }

    *rating = s->algo == RECSYS_SRC_USERCF ? p.user_knn : p.item_knn;

    return RECSYS_OK;
}


recsys_model_t *
recsys_served_model(const void *state)
{
    return ((const recsys_served_t *) state)->model;
}


static void
recsys_served_free(void *state)
{
    recsys_served_t  *s;

    s = state;

    if (s != NULL) {
        recsys_model_close(s->model);
        free(s);
    }
}


#define RECSYS_SERVED(name, label, algo, predict)                             \
    static int                                                                \
    recsys_served_fit_##name(const recsys_train_t *train, const char *params, \
        void **state, char *err, size_t errlen)                               \
    {                                                                         \
        return recsys_served_fit(train, params, state, err, errlen, algo);    \
    }                                                                         \
                                                                              \
    const recsys_recommender_t  recsys_served_##name = {                      \
        #name, label, recsys_served_fit_##name, recsys_served_score, predict, \
        recsys_served_free                                                    \
    }

RECSYS_SERVED(itemcf, "item-CF", RECSYS_SRC_ITEMCF, recsys_served_predict);
RECSYS_SERVED(usercf, "user-CF", RECSYS_SRC_USERCF, recsys_served_predict);
RECSYS_SERVED(content, "content", RECSYS_SRC_CONTENT, NULL);
RECSYS_SERVED(cluster, "segments", RECSYS_SRC_CLUSTER, NULL);
RECSYS_SERVED(assoc, "rules", RECSYS_SRC_ASSOC, NULL);
RECSYS_SERVED(markov, "Markov", RECSYS_SRC_MARKOV, NULL);
RECSYS_SERVED(hmm, "HMM", RECSYS_SRC_HMM, NULL);
RECSYS_SERVED(gru, "GRU", RECSYS_SRC_GRU, NULL);
RECSYS_SERVED(lstm, "LSTM", RECSYS_SRC_LSTM, NULL);
RECSYS_SERVED(ease, "EASE", RECSYS_SRC_EASE, NULL);
RECSYS_SERVED(rp3beta, "RP3beta", RECSYS_SRC_RP3BETA, NULL);
RECSYS_SERVED(als, "ALS", RECSYS_SRC_ALS, NULL);
RECSYS_SERVED(popular, "popular", RECSYS_SRC_POPULAR, NULL);
RECSYS_SERVED(trending, "trending", RECSYS_SRC_TRENDING, NULL);
RECSYS_SERVED(hybrid, "hybrid", RECSYS_ALGO_HYBRID, NULL);
