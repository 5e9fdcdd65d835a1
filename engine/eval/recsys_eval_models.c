/*
 * recsys_eval_models.c: EASE^R, implicit ALS and RP3beta for the offline
 * evaluation.
 *
 * Each adapter fits the builder's own code (recsys_ease.c, recsys_als.c,
 * recsys_rp3.c) on the split's train data and scores a user densely;
 * the runner removes seen items, ranks and grades.  Parameters follow the
 * name, "name=value" pairs separated by ':' or ',' (the --algos list is
 * itself split at commas, so on the command line use ':'):
 *
 *   ease   lambda max_items values dropout dlae user_norm time_scale
 *          time_floor as the builder's EASE (recsys_ease_default), k=0
 *          k=0 scores x_u B exactly; k=N scores through the served form,
 *          the top-N rows of B summed over the history (items no row
 *          reaches are never recommended), to measure what truncation
 *          costs.
 *   als    factors=64 reg=50 alpha=5 conf=linear|log eps=1 values=0
 *          iterations=15 cg_steps=3 seed=42
 *          scores x_u . y_i with the factors as fitted.
 *   rp3    alpha=0.4 beta=0.4 k=200 values=0 normalize=1
 *          scores the sum over the history of the top-k rows of W, as
 *          served (the truncation is part of the model).
 *
 * The defaults are recsys_*_default, chosen by nDCG@10 on a validation
 * split carved from the train rows of ml-latest-small's P1 split by the P1
 * rule again (seed 42), never on its test rows.
 */

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_als.h"
#include "recsys_ease.h"
#include "recsys_eval.h"
#include "recsys_opt.h"
#include "recsys_rp3.h"
#include "recsys_status.h"


/* a name=value parameter of an adapter: field of struct st */
#define recsys_model_param(name, type, st, field, min, max)                 \
    recsys_opt_row(NULL, name, RECSYS_OPT_##type, offsetof(st, field), min, \
                   max, NULL, NULL)

#define recsys_ease_param(name, type, field, min, max)                     \
    recsys_model_param(name, type, recsys_ease_opts_t, field, min, max)
#define recsys_als_param(name, type, field, min, max)                      \
    recsys_model_param(name, type, recsys_als_opts_t, field, min, max)
#define recsys_rp3_param(name, type, field, min, max)                      \
    recsys_model_param(name, type, recsys_rp3_opts_t, field, min, max)

static const char  *const recsys_als_confs[] = { "linear", "log", NULL };


/* History scoring over item rows: the served form of EASE and RP3beta. */
static void
recsys_models_score_rows(const recsys_train_t *t, const recsys_csr_t *rows,
    int values, uint32_t user, double *scores)
{
    double                w;
    uint32_t              i, e, f;
    const recsys_entry_t *h, *r;

    for (i = 0; i < t->n_items; i++) {
        scores[i] = -INFINITY;
    }

    for (e = t->by_user.offsets[user]; e < t->by_user.offsets[user + 1]; e++)
    {
        h = &t->by_user.entries[e];
        w = values ? (double) h->score : 1.0;

        for (f = rows->offsets[h->item]; f < rows->offsets[h->item + 1]; f++)
        {
            r = &rows->entries[f];

            if (scores[r->item] == -INFINITY) {
                scores[r->item] = 0.0;
            }

            scores[r->item] += w * (double) r->score;
        }
    }
}


/*
 * What tells the dense adapters apart.  The state (`size` bytes) begins
 * with the options (`opts_size` bytes), which start as `defaults`; init()
 * (or NULL) sets up the state before the parameters are read, fit() trains
 * on train, and release() frees whatever a state holds, even one that
 * init() or fit() left half made.
 */
typedef struct {
    const char          *name;
    size_t               size;
    const void          *defaults;
    size_t               opts_size;
    const recsys_opt_t  *params;
    void               (*init)(void *state, const recsys_train_t *train);
    int                (*fit)(void *state, const recsys_train_t *train);
    void               (*release)(void *state);
} recsys_models_kind_t;


/* The fit() of every dense adapter, as kind says. */
static int
recsys_models_fit(const recsys_models_kind_t *kind,
    const recsys_train_t *train, const char *params, void **state, char *err,
    size_t errlen)
{
    int    rc;
    char   prefix[32];
    void  *s;

    s = calloc(1, kind->size);
    if (s == NULL) {
        snprintf(err, errlen, "%s: out of memory", kind->name);
        return RECSYS_ENOMEM;
    }

    memcpy(s, kind->defaults, kind->opts_size);

    if (kind->init != NULL) {
        kind->init(s, train);
    }

    snprintf(prefix, sizeof(prefix), "%s: ", kind->name);

    rc = recsys_opt_settings(kind->params, s, prefix, params, ":,", err,
                             errlen);
    if (rc != RECSYS_OK) {
        kind->release(s);
        return rc;
    }

    rc = kind->fit(s, train);
    if (rc != RECSYS_OK) {
        kind->release(s);
        snprintf(err, errlen, "%s: %s", kind->name, recsys_strerror(rc));
        return rc;
    }

    *state = s;

    return RECSYS_OK;
}


/* EASE^R */

typedef struct {
    recsys_ease_opts_t     o;
    recsys_ease_t          m;
    recsys_csr_t           rows;
    const recsys_train_t  *train;
} recsys_model_ease_t;

static const recsys_opt_t  recsys_model_ease_params[] = {
    recsys_ease_param("lambda", DOUBLE, lambda, 1e-6, 1e9),
    recsys_ease_param("max_items", U32, max_items, 1, RECSYS_EASE_MAX_ITEMS),
    recsys_ease_param("values", INT, values, 0, 1),
    recsys_ease_param("k", U32, k, 0, 100000),
    recsys_ease_param("dropout", DOUBLE, dropout, 0.0, 0.99),
    recsys_ease_param("dlae", INT, dlae, 0, 1),
    recsys_ease_param("user_norm", DOUBLE, user_norm, 0.0, 4.0),
    recsys_ease_param("time_scale", DOUBLE, time_scale, 0.0, 1e12),
    recsys_ease_param("time_floor", DOUBLE, time_floor, 0.0, 1.0),
    recsys_opt_null
};


static void
recsys_model_ease_free(void *state)
{
    recsys_model_ease_t  *s = state;

    if (s != NULL) {
        recsys_ease_free(&s->m);
        recsys_csr_free(&s->rows);
        free(s);
    }
}


/* k=0 unless asked: the exact dense scores */
static void
recsys_model_ease_init(void *state, const recsys_train_t *train)
{
    recsys_model_ease_t  *s = state;

    s->train = train;
    s->o.k = 0;
}


static int
recsys_model_ease_train(void *state, const recsys_train_t *train)
{
    int                   rc;
    recsys_model_ease_t  *s = state;

    rc = recsys_ease_fit(train, &s->o, &s->m);

    if (rc == RECSYS_OK && s->o.k > 0) {
        rc = recsys_ease_topk(&s->m, s->o.k, &s->rows);

        /* only the rows are scored: the dense B can go */
        free(s->m.b);
        s->m.b = NULL;
    }

    return rc;
}


static const recsys_models_kind_t  recsys_model_ease_kind = {
    "ease", sizeof(recsys_model_ease_t), &recsys_ease_default,
    sizeof(recsys_ease_opts_t), recsys_model_ease_params,
    recsys_model_ease_init, recsys_model_ease_train, recsys_model_ease_free
};


static int
recsys_model_ease_fit(const recsys_train_t *train, const char *params,
    void **state, char *err, size_t errlen)
{
    return recsys_models_fit(&recsys_model_ease_kind, train, params, state,
                             err, errlen);
}


static int
recsys_model_ease_score(const void *state, uint32_t user, uint32_t k,
    double *scores)
{
    const recsys_model_ease_t  *s = state;

    (void) k;

    if (s->o.k > 0) {
        recsys_models_score_rows(s->train, &s->rows, s->o.values, user,
                                 scores);

    } else {
        recsys_ease_score(&s->m, s->train, user, scores);
    }

    return RECSYS_OK;
}


const recsys_recommender_t  recsys_model_ease = {
    "ease-dense", "EASE (dense)",
    recsys_model_ease_fit, recsys_model_ease_score, NULL,
    recsys_model_ease_free
};


/* implicit ALS */

typedef struct {
    recsys_als_opts_t  o;
    recsys_als_t       m;
} recsys_model_als_t;

static const recsys_opt_t  recsys_model_als_params[] = {
    recsys_als_param("factors", U32, factors, 1, RECSYS_ALS_MAX_FACTORS),
    recsys_als_param("reg", DOUBLE, reg, 0, 1e9),
    recsys_als_param("alpha", DOUBLE, alpha, 0, 1e9),
    recsys_als_param("eps", DOUBLE, epsilon, 1e-9, 1e9),
    { NULL, "conf", RECSYS_OPT_CHOICE,
      offsetof(recsys_als_opts_t, confidence), 0, 0, "linear|log", NULL,
      recsys_als_confs, NULL, NULL, NULL, 0 },
    recsys_als_param("values", INT, values, 0, 1),
    recsys_als_param("iterations", U32, iterations, 0, 10000),
    recsys_als_param("cg_steps", U32, cg_steps, 1, 1000),
    recsys_als_param("seed", U32, seed, 0, 4294967295.0),
    recsys_opt_null
};


static void
recsys_model_als_free(void *state)
{
    recsys_model_als_t  *s = state;

    if (s != NULL) {
        recsys_als_free(&s->m);
        free(s);
    }
}


static int
recsys_model_als_train(void *state, const recsys_train_t *train)
{
    recsys_model_als_t  *s = state;

    return recsys_als_fit(train, &s->o, &s->m);
}


static const recsys_models_kind_t  recsys_model_als_kind = {
    "als", sizeof(recsys_model_als_t), &recsys_als_default,
    sizeof(recsys_als_opts_t), recsys_model_als_params,
    NULL, recsys_model_als_train, recsys_model_als_free
};


static int
recsys_model_als_fit(const recsys_train_t *train, const char *params,
    void **state, char *err, size_t errlen)
{
    return recsys_models_fit(&recsys_model_als_kind, train, params, state,
                             err, errlen);
}


static int
recsys_model_als_score(const void *state, uint32_t user, uint32_t k,
    double *scores)
{
    const recsys_model_als_t  *s = state;

    (void) k;

    recsys_als_score(&s->m, user, scores);

    return RECSYS_OK;
}


const recsys_recommender_t  recsys_model_als = {
    "als-dense", "ALS (dense)",
    recsys_model_als_fit, recsys_model_als_score, NULL,
    recsys_model_als_free
};


/* RP3beta */

typedef struct {
    recsys_rp3_opts_t      o;
    recsys_csr_t           rows;
    const recsys_train_t  *train;
} recsys_model_rp3_t;

static const recsys_opt_t  recsys_model_rp3_params[] = {
    recsys_rp3_param("alpha", DOUBLE, alpha, 1e-6, 100),
    recsys_rp3_param("beta", DOUBLE, beta, 0, 100),
    recsys_rp3_param("k", U32, k, 1, 100000),
    recsys_rp3_param("values", INT, values, 0, 1),
    recsys_rp3_param("normalize", INT, normalize, 0, 1),
    recsys_opt_null
};


static void
recsys_model_rp3_free(void *state)
{
    recsys_model_rp3_t  *s = state;

    if (s != NULL) {
        recsys_csr_free(&s->rows);
        free(s);
    }
}


static void
recsys_model_rp3_init(void *state, const recsys_train_t *train)
{
    recsys_model_rp3_t  *s = state;

    s->train = train;
}


static int
recsys_model_rp3_train(void *state, const recsys_train_t *train)
{
    recsys_model_rp3_t  *s = state;

    return recsys_rp3_build(train, &s->o, &s->rows);
}


static const recsys_models_kind_t  recsys_model_rp3_kind = {
    "rp3", sizeof(recsys_model_rp3_t), &recsys_rp3_default,
    sizeof(recsys_rp3_opts_t), recsys_model_rp3_params,
    recsys_model_rp3_init, recsys_model_rp3_train, recsys_model_rp3_free
};


static int
recsys_model_rp3_fit(const recsys_train_t *train, const char *params,
    void **state, char *err, size_t errlen)
{
    return recsys_models_fit(&recsys_model_rp3_kind, train, params, state,
                             err, errlen);
}


static int
recsys_model_rp3_score(const void *state, uint32_t user, uint32_t k,
    double *scores)
{
    const recsys_model_rp3_t  *s = state;

    (void) k;

    recsys_models_score_rows(s->train, &s->rows, s->o.values, user, scores);

    return RECSYS_OK;
}


const recsys_recommender_t  recsys_model_rp3 = {
    "rp3beta-dense", "RP3beta (dense)",
    recsys_model_rp3_fit, recsys_model_rp3_score, NULL,
    recsys_model_rp3_free
};
