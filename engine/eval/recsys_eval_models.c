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
 *   ease   lambda=500 max_items=20000 values=0 k=0
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
 * The defaults are recsys_*_defaults(), chosen by nDCG@10 on a validation
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
#include "recsys_rp3.h"
#include "recsys_status.h"


#define RECSYS_PARAM_DOUBLE  0
#define RECSYS_PARAM_U32     1
#define RECSYS_PARAM_INT     2      /* a flag or a choice of names */

typedef struct {
    const char          *name;
    int                  type;
    size_t               offset;
    double               min;
    double               max;
    const char  *const  *choices;   /* RECSYS_PARAM_INT by name, or NULL */
} recsys_param_t;


static const char  *const recsys_als_confs[] = { "linear", "log", NULL };


/*
 * Parses "a=1:b=2" (or "a=1,b=2") into the struct at base by the table;
 * RECSYS_OK, or RECSYS_EINVAL with "algo: why" in err.
 */
static int
recsys_param_parse(const char *algo, const recsys_param_t *table,
    const char *params, void *base, char *err, size_t errlen)
{
    int                    c;
    char                  *end;
    double                 v;
    size_t                 len, vlen;
    const char            *p, *stop, *eq;
    const recsys_param_t  *t;

    for (p = params; p != NULL && *p != '\0'; p = *stop ? stop + 1 : stop) {
        stop = p + strcspn(p, ":,");
        eq = memchr(p, '=', (size_t) (stop - p));
        len = eq != NULL ? (size_t) (eq - p) : 0;

        for (t = table; eq != NULL && t->name != NULL; t++) {
            if (strlen(t->name) == len && memcmp(t->name, p, len) == 0) {
                break;
            }
        }

        if (eq == NULL || t->name == NULL) {
            len = (size_t) snprintf(err, errlen, "%s: unknown parameter "
                                    "\"%.*s\" (known:", algo,
                                    (int) (stop - p), p);

            for (t = table; t->name != NULL && len < errlen; t++) {
                len += (size_t) snprintf(err + len, errlen - len, " %s",
                                         t->name);
            }

            if (len < errlen) {
                snprintf(err + len, errlen - len, ")");
            }

            return RECSYS_EINVAL;
        }

        vlen = (size_t) (stop - eq - 1);

        if (t->choices != NULL) {
            for (c = 0; t->choices[c] != NULL; c++) {
                if (strlen(t->choices[c]) == vlen
                    && memcmp(t->choices[c], eq + 1, vlen) == 0)
                {
                    break;
                }
            }

            if (t->choices[c] == NULL) {
                snprintf(err, errlen, "%s: %s must be one of %s or %s", algo,
                         t->name, t->choices[0], t->choices[1]);
                return RECSYS_EINVAL;
            }

            *(int *) ((char *) base + t->offset) = c;
            continue;
        }

        v = vlen > 0 ? strtod(eq + 1, &end) : NAN;

        if (vlen == 0 || end != stop || !(v >= t->min) || !(v <= t->max)
            || (t->type != RECSYS_PARAM_DOUBLE && v != floor(v)))
        {
            snprintf(err, errlen, "%s: %s must be a%s number from %g to %g",
                     algo, t->name,
                     t->type == RECSYS_PARAM_DOUBLE ? "" : " whole",
                     t->min, t->max);
            return RECSYS_EINVAL;
        }

        switch (t->type) {
        case RECSYS_PARAM_DOUBLE:
            *(double *) ((char *) base + t->offset) = v;
            break;
        case RECSYS_PARAM_U32:
            *(uint32_t *) ((char *) base + t->offset) = (uint32_t) v;
            break;
        default:
            *(int *) ((char *) base + t->offset) = (int) v;
        }
    }

    return RECSYS_OK;
}


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


/* EASE^R */

typedef struct {
    recsys_ease_opts_t     o;
    recsys_ease_t          m;
    recsys_csr_t           rows;
    const recsys_train_t  *train;
} recsys_model_ease_t;

static const recsys_param_t  recsys_model_ease_params[] = {
    { "lambda", RECSYS_PARAM_DOUBLE,
      offsetof(recsys_ease_opts_t, lambda), 1e-6, 1e9, NULL },
    { "max_items", RECSYS_PARAM_U32,
      offsetof(recsys_ease_opts_t, max_items), 1, RECSYS_EASE_MAX_ITEMS,
      NULL },
    { "values", RECSYS_PARAM_INT,
      offsetof(recsys_ease_opts_t, values), 0, 1, NULL },
    { "k", RECSYS_PARAM_U32,
      offsetof(recsys_ease_opts_t, k), 0, 100000, NULL },
    { NULL, 0, 0, 0, 0, NULL }
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


static int
recsys_model_ease_fit(const recsys_train_t *train, const char *params,
    void **state, char *err, size_t errlen)
{
    int                   rc;
    recsys_model_ease_t  *s;

    s = calloc(1, sizeof(recsys_model_ease_t));
    if (s == NULL) {
        snprintf(err, errlen, "ease: out of memory");
        return RECSYS_ENOMEM;
    }

    s->train = train;
    recsys_ease_defaults(&s->o);
    s->o.k = 0;

    rc = recsys_param_parse("ease", recsys_model_ease_params, params, &s->o,
                            err, errlen);
    if (rc != RECSYS_OK) {
        free(s);
        return rc;
    }

    rc = recsys_ease_fit(train, &s->o, &s->m);

    if (rc == RECSYS_OK && s->o.k > 0) {
        rc = recsys_ease_topk(&s->m, s->o.k, &s->rows);

        /* only the rows are scored: the dense B can go */
        free(s->m.b);
        s->m.b = NULL;
    }

    if (rc != RECSYS_OK) {
        recsys_model_ease_free(s);
        snprintf(err, errlen, "ease: %s", recsys_strerror(rc));
        return rc;
    }

    *state = s;

    return RECSYS_OK;
}


static int
recsys_model_ease_score(const void *state, uint32_t user, double *scores)
{
    const recsys_model_ease_t  *s = state;

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

static const recsys_param_t  recsys_model_als_params[] = {
    { "factors", RECSYS_PARAM_U32,
      offsetof(recsys_als_opts_t, factors), 1, RECSYS_ALS_MAX_FACTORS,
      NULL },
    { "reg", RECSYS_PARAM_DOUBLE,
      offsetof(recsys_als_opts_t, reg), 0, 1e9, NULL },
    { "alpha", RECSYS_PARAM_DOUBLE,
      offsetof(recsys_als_opts_t, alpha), 0, 1e9, NULL },
    { "eps", RECSYS_PARAM_DOUBLE,
      offsetof(recsys_als_opts_t, epsilon), 1e-9, 1e9, NULL },
    { "conf", RECSYS_PARAM_INT,
      offsetof(recsys_als_opts_t, confidence), 0, 1, recsys_als_confs },
    { "values", RECSYS_PARAM_INT,
      offsetof(recsys_als_opts_t, values), 0, 1, NULL },
    { "iterations", RECSYS_PARAM_U32,
      offsetof(recsys_als_opts_t, iterations), 0, 10000, NULL },
    { "cg_steps", RECSYS_PARAM_U32,
      offsetof(recsys_als_opts_t, cg_steps), 1, 1000, NULL },
    { "seed", RECSYS_PARAM_U32,
      offsetof(recsys_als_opts_t, seed), 0, 4294967295.0, NULL },
    { NULL, 0, 0, 0, 0, NULL }
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
recsys_model_als_fit(const recsys_train_t *train, const char *params,
    void **state, char *err, size_t errlen)
{
    int                  rc;
    recsys_model_als_t  *s;

    s = calloc(1, sizeof(recsys_model_als_t));
    if (s == NULL) {
        snprintf(err, errlen, "als: out of memory");
        return RECSYS_ENOMEM;
    }

    recsys_als_defaults(&s->o);

    rc = recsys_param_parse("als", recsys_model_als_params, params, &s->o,
                            err, errlen);
    if (rc != RECSYS_OK) {
        free(s);
        return rc;
    }

    rc = recsys_als_fit(train, &s->o, &s->m);
    if (rc != RECSYS_OK) {
        recsys_model_als_free(s);
        snprintf(err, errlen, "als: %s", recsys_strerror(rc));
        return rc;
    }

    *state = s;

    return RECSYS_OK;
}


static int
recsys_model_als_score(const void *state, uint32_t user, double *scores)
{
    const recsys_model_als_t  *s = state;

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

static const recsys_param_t  recsys_model_rp3_params[] = {
    { "alpha", RECSYS_PARAM_DOUBLE,
      offsetof(recsys_rp3_opts_t, alpha), 1e-6, 100, NULL },
    { "beta", RECSYS_PARAM_DOUBLE,
      offsetof(recsys_rp3_opts_t, beta), 0, 100, NULL },
    { "k", RECSYS_PARAM_U32,
      offsetof(recsys_rp3_opts_t, k), 1, 100000, NULL },
    { "values", RECSYS_PARAM_INT,
      offsetof(recsys_rp3_opts_t, values), 0, 1, NULL },
    { "normalize", RECSYS_PARAM_INT,
      offsetof(recsys_rp3_opts_t, normalize), 0, 1, NULL },
    { NULL, 0, 0, 0, 0, NULL }
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


static int
recsys_model_rp3_fit(const recsys_train_t *train, const char *params,
    void **state, char *err, size_t errlen)
{
    int                  rc;
    recsys_model_rp3_t  *s;

    s = calloc(1, sizeof(recsys_model_rp3_t));
    if (s == NULL) {
        snprintf(err, errlen, "rp3: out of memory");
        return RECSYS_ENOMEM;
    }

    s->train = train;
    recsys_rp3_defaults(&s->o);

    rc = recsys_param_parse("rp3", recsys_model_rp3_params, params, &s->o,
                            err, errlen);
    if (rc != RECSYS_OK) {
        free(s);
        return rc;
    }

    rc = recsys_rp3_build(train, &s->o, &s->rows);
    if (rc != RECSYS_OK) {
        free(s);
        snprintf(err, errlen, "rp3: %s", recsys_strerror(rc));
        return rc;
    }

    *state = s;

    return RECSYS_OK;
}


static int
recsys_model_rp3_score(const void *state, uint32_t user, double *scores)
{
    const recsys_model_rp3_t  *s = state;

    recsys_models_score_rows(s->train, &s->rows, s->o.values, user, scores);

    return RECSYS_OK;
}


const recsys_recommender_t  recsys_model_rp3 = {
    "rp3beta-dense", "RP3beta (dense)",
    recsys_model_rp3_fit, recsys_model_rp3_score, NULL,
    recsys_model_rp3_free
};
