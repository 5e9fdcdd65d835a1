/*
 * recsys_build_opts.h: the builder's options, their defaults and the one
 * table that names them.
 *
 * recsys_build_options is what `recsys-build build` parses, what its help
 * prints (with the defaults recsys_build_defaults() applies) and what
 * name=value settings (eval's "hybrid:w_itemcf=0.5,neighbors=20") set.
 */

#ifndef RECSYS_BUILD_OPTS_H
#define RECSYS_BUILD_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_opt.h"
#include "recsys_schema.h"


/* which recurrent models o->lstm asks for (--rnn; --gru and --lstm: GRU) */
#define RECSYS_BUILD_RNN_OFF   0
#define RECSYS_BUILD_RNN_GRU   1
#define RECSYS_BUILD_RNN_LSTM  2
#define RECSYS_BUILD_RNN_BOTH  3

typedef struct {
    uint32_t     neighbors;         /* item-CF neighbours per item */
    uint32_t     history;           /* stored history items per user */
    uint32_t     user_top;          /* precomputed list length per user */
    uint32_t     user_shard;        /* per-user lists only for the users */
    uint32_t     user_shards;       /* u with u % user_shards == user_shard
                                       (the sharded build's fit users) */
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
    int          lstm;              /* recurrent next-item models (off:
                                       slow): RECSYS_BUILD_RNN_* */
    uint32_t     lstm_epochs;
    uint32_t     lstm_dim;          /* item embedding size */
    uint32_t     lstm_hidden;       /* recurrent state size */
    uint32_t     rnn_negatives;     /* sampled per window, 0: full */
    uint32_t     rnn_batch;         /* windows per Adam step */
    uint32_t     rnn_max_len;       /* window and serving history */
    float        rnn_lr;
    float        rnn_dropout;
    float        rnn_valid;         /* users held out for early stopping */
    uint32_t     rnn_patience;
    uint32_t     rnn_skip;          /* 1: the skip connection */
    uint32_t     rnn_refit;         /* 1: train again on all rows for
                                       the early-stopped epoch count */
    uint32_t     rnn_tie;           /* 1: output rows tied to E */
    int          ease;              /* EASE^R over the ease_items most
                                       popular items (a dense n^3 solve) */
    double       ease_lambda;
    uint32_t     ease_items;        /* catalog cap: the most popular kept */
    double       ease_dropout;      /* EDLAE's dropout, 0: EASE^R */
    uint32_t     ease_dlae;         /* 1: DLAE (no zero diagonal) */
    double       ease_user_norm;    /* users weigh |I_u|^-a in X^T X */
    double       ease_time_scale;   /* time kernel's seconds, 0: off */
    double       ease_time_floor;   /* its weight of far-apart pairs */
    int          rp3beta;           /* RP3beta item-item walk */
    int          als;               /* implicit ALS */
    uint32_t     als_factors;
    float        weights[RECSYS_NSRC];  /* hybrid weights by source;
                                           < 0: auto */
    const char  *model_id;          /* NULL: build time and a digest */
    const char  *interactions;      /* input names, for the model's params */
    const char  *items;
    const char  *out;               /* the model file to publish */
    const char  *event_weights;     /* "name=w,..." for an event column */
    double       decay_days;        /* value half-life in days, 0: none */
    const char  *erase;             /* users to leave out, one a line */
    int          quiet;
    int          items_part;        /* the sharded build's items task: no
                                       user's own lists; EASE's B kept in
                                       OUT.ease (recsys_shard_items.h) */
    const char  *from_items;        /* a users task: the item models and
                                       whole-log lists read from this items
                                       part, not fitted */
    const char  *shard_ids;         /* merged/stats.json: the global ids */
} recsys_build_opts_t;


/* the rows of the build command and of build settings */
extern const recsys_opt_t  recsys_build_options[];


/* Fills o with every default; inputs and output are left NULL. */
void recsys_build_defaults(recsys_build_opts_t *o);

/*
 * Applies "name=value,name=value" settings (the setting names of
 * recsys_build_options, "w_SOURCE" for a hybrid weight) to o, then
 * checks them together (recsys_build_check()); RECSYS_EINVAL with the
 * reason in err.
 */
int recsys_build_set(recsys_build_opts_t *o, const char *settings, char *err,
    size_t errlen);

/*
 * Checks the options that only go together (--rnn-refit 1 needs
 * --rnn-valid; --rnn-skip 1 and --rnn-tie 1 need --gru-dim equal to
 * --gru-hidden): RECSYS_OK, or RECSYS_EINVAL with why in err, naming the
 * options by their flags or, when settings, by their setting names.
 * recsys_build_set() checks its result with it.
 */
int recsys_build_check(const recsys_build_opts_t *o, int settings, char *err,
    size_t errlen);

#endif /* RECSYS_BUILD_OPTS_H */
