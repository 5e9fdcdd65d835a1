/*
 * recsys_build.h: turning ingested data into a published model file.
 *
 * The builder's pipeline after ingest: one value per (user, item) pair (the
 * latest row wins), each user's seen set and recent history, popularity,
 * item-CF neighbours, each user's precomputed item-CF list, and then the
 * file itself, written to a temporary name and renamed into place.
 */

#ifndef RECSYS_BUILD_H
#define RECSYS_BUILD_H

#include <stdint.h>

#include "recsys_ingest.h"
#include "recsys_train.h"


typedef struct {
    uint32_t     neighbors;         /* item-CF neighbours per item */
    uint32_t     history;           /* stored history items per user */
    uint32_t     user_top;          /* precomputed list length per user */
    uint32_t     explain_top;       /* explained entries of each user's
                                       hybrid list, 0: none stored */
    uint32_t     explain_history;   /* newest history items they credit */
    uint32_t     sparse_user;       /* fewer items than this: sparse */
    double       trending_days;     /* half-life of "trending" */
    const char  *similarity;        /* item-CF: cosine, ... */
    float        shrink;            /* item-CF similarity shrinkage */
    uint32_t     min_support;       /* item-CF: least co-users of a pair */
    uint32_t     user_neighbors;    /* user-CF: neighbours per user, 0: off */
    const char  *tags;              /* tags file for content, or NULL */
    int          content;           /* build the content source */
    int          segments;          /* build user segments (k-means) */
    uint32_t     k;                 /* segments, 0: chosen by silhouette */
    int          dbscan;            /* DBSCAN instead of k-means */
    float        eps;               /* DBSCAN radius */
    int          rules;             /* mine association rules */
    double       rule_support;      /* least share of transactions */
    double       rule_confidence;
    double       rule_lift;
    float        rule_min_value;    /* an item counts when value >= this */
    double       rule_gap;          /* > 0: transactions are sessions cut
                                       at gaps of more seconds than this;
                                       0: one transaction per user */
    int          markov;            /* first-order Markov next items */
    int          hmm;               /* hidden Markov model (off: slow) */
    uint32_t     hmm_states;
    int          lstm;              /* GRU next-item model (off: slow) */
    uint32_t     lstm_epochs;
    uint32_t     lstm_dim;          /* item embedding size */
    uint32_t     lstm_hidden;       /* recurrent state size */
    int          ease;              /* EASE^R over the ease_items most
                                       popular items (a dense n^3 solve) */
    double       ease_lambda;
    uint32_t     ease_items;        /* catalog cap: the most popular kept */
    int          rp3beta;           /* RP3beta item-item walk */
    int          als;               /* implicit ALS */
    uint32_t     als_factors;
    float        weights[16];       /* hybrid weights by source; < 0: auto */
    const char  *model_id;          /* NULL: build time and a digest */
    const char  *interactions;      /* input names, for the model's params */
    const char  *items;
    int          quiet;
} recsys_build_opts_t;

#define RECSYS_BUILD_MAX_STAGES  24

/* the wall seconds of one stage of a build ("itemcf", "write", ...) */
typedef struct {
    const char  *name;
    double       seconds;
} recsys_build_stage_t;

typedef struct {
    recsys_build_stage_t  stages[RECSYS_BUILD_MAX_STAGES];  /* in order */
    uint32_t     n_stages;
    uint64_t     pairs;             /* distinct (user, item) pairs */
    uint64_t     file_size;
    char         model_id[64];
} recsys_build_stats_t;


void recsys_build_defaults(recsys_build_opts_t *o);

/* Builds and publishes the model at out; "why" in err on failure. */
int recsys_build_model(recsys_data_t *d, const recsys_build_opts_t *o,
    const char *out, recsys_build_stats_t *stats, char *err, size_t errlen);

/*
 * The same from training data laid out already (over d's ids), which the
 * build reads and does not free: evaluation builds a model per split.
 */
int recsys_build_from_train(recsys_data_t *d, const recsys_train_t *train,
    const recsys_build_opts_t *o, const char *out,
    recsys_build_stats_t *stats, char *err, size_t errlen);

/*
 * Applies "name=value,name=value" settings (the builder's long flag names
 * without dashes) to o; RECSYS_EINVAL with the reason in err.
 */
int recsys_build_set(recsys_build_opts_t *o, const char *settings, char *err,
    size_t errlen);


#endif /* RECSYS_BUILD_H */
