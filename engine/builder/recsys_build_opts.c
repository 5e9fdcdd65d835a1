/*
 * recsys_build_opts.c: the builder's defaults, its option table and the
 * name=value settings, all from that table (recsys_build_opts.h).
 */

#include <stdio.h>
#include <string.h>

#include "recsys_als.h"
#include "recsys_build_opts.h"
#include "recsys_cluster.h"
#include "recsys_ease.h"
#include "recsys_gru_train.h"
#include "recsys_hmm_train.h"
#include "recsys_itemcf.h"
#include "recsys_live.h"
#include "recsys_model.h"
#include "recsys_number.h"
#include "recsys_query.h"
#include "recsys_status.h"
#include "recsys_usercf.h"


#define recsys_bo(field)  offsetof(recsys_build_opts_t, field)

#define recsys_bo_u32(name, set, field, min, max, arg, help)                \
    recsys_opt_row(name, set, RECSYS_OPT_U32, recsys_bo(field), min, max,   \
                   arg, help)
#define recsys_bo_f64(name, set, field, min, max, arg, help)                \
    recsys_opt_row(name, set, RECSYS_OPT_DOUBLE, recsys_bo(field), min,     \
                   max, arg, help)
#define recsys_bo_f32(name, set, field, min, max, arg, help)                \
    recsys_opt_row(name, set, RECSYS_OPT_FLOAT, recsys_bo(field), min, max, \
                   arg, help)
#define recsys_bo_flag(name, set, type, field, help)                        \
    recsys_opt_row(name, set, type, recsys_bo(field), 0, 1, NULL, help)
#define recsys_bo_str(name, field, arg, help)                               \
    recsys_opt_row(name, NULL, RECSYS_OPT_STR, recsys_bo(field), 0, 0, arg, \
                   help)

static int recsys_build_opts_model_id(void *field, const char *s,
    size_t len);
static int recsys_build_opts_event_weights(void *field, const char *s,
    size_t len);
static int recsys_build_opts_similarity(void *field, const char *s,
    size_t len);
static void recsys_build_opts_show_str(const void *field, char *buf,
    size_t size);
static int recsys_build_opts_weights(void *field, const char *s, size_t len);
static void recsys_build_opts_show_weights(const void *field, char *buf,
    size_t size);
static void recsys_build_opts_show_auto(const void *field, char *buf,
    size_t size);

static const char *const  recsys_build_rnn_cells[] = {
    "off", "gru", "lstm", "both", NULL
};


const recsys_opt_t  recsys_build_options[] = {

    /* inputs and output */
    recsys_opt_required("interactions", recsys_bo(interactions), "FILE",
                        "the interaction log"),
    recsys_bo_str("items", items, "FILE", "item catalog, CSV or JSON Lines"),
    recsys_bo_str("tags", tags, "FILE",
                  "tags user,item,tag[,timestamp] for content"),
    recsys_opt_required("out", recsys_bo(out), "MODEL",
                        "the model file to publish"),
    { "model-id", NULL, RECSYS_OPT_STR, recsys_bo(model_id), 0, 0, "ID",
      "model id (default: build time, digest)", NULL,
      recsys_build_opts_model_id, NULL,
      "1 to 63 characters of A-Z a-z 0-9 . _ : -", 0 },
    { "event-weights", NULL, RECSYS_OPT_STR, recsys_bo(event_weights), 0, 0,
      "NAME=W,...", "value of each event name in an event column", NULL,
      recsys_build_opts_event_weights, NULL,
      "at most 15 NAME=W, each name 1 to 32 bytes, |W| at most 1e30 "
      "(what the server's live events accept)", 0 },
    recsys_bo_f64("decay-days", NULL, decay_days, 0.0, 1e6, "D",
                  "values halve every D days back, 0: no decay"),
    recsys_bo_str("erase", erase, "FILE",
                  "user ids, one a line, whose rows are left out"),
    recsys_bo_flag("quiet", NULL, RECSYS_OPT_ON, quiet,
                   "print nothing on success"),

    /* item-CF and the stored lists */
    recsys_bo_u32("neighbors", "neighbors", neighbors, 1, 1000, "K",
                  "item-CF neighbours kept per item"),
    { "similarity", "similarity", RECSYS_OPT_FN, recsys_bo(similarity), 0, 0,
      "cosine|adjusted|pearson|jaccard", "item-CF similarity", NULL,
      recsys_build_opts_similarity, recsys_build_opts_show_str,
      "one of cosine, adjusted, pearson, jaccard", 0 },
    recsys_bo_f32("shrink", "shrink", shrink, 0.0, 1e6, "S",
                  "similarity times c / (c + S), c: co-users"),
    recsys_bo_u32("min-support", "min_support", min_support, 1, 1000000, "N",
                  "least co-users of an item pair"),
    recsys_bo_u32("history", "history", history, 1, 10000, "H",
                  "newest items stored per user"),
    recsys_bo_u32("user-top", "user_top", user_top, 1, 10000, "R",
                  "length of each user's stored lists"),
    recsys_bo_u32("user-shard", NULL, user_shard, 0, 4095, "K",
                  "per-user lists only for users u % P == K"),
    recsys_bo_u32("user-shards", NULL, user_shards, 1, 4096, "P",
                  "(recsys-build shard assemble joins the P models)"),
    recsys_bo_flag("items-part", NULL, RECSYS_OPT_ON, items_part,
                   "the sharded build's item models (recsys_shard.h)"),
    recsys_bo_str("from-items", from_items, "MODEL",
                  "item models from an items part, the users' own lists"),
    recsys_bo_str("shard-ids", shard_ids, "FILE",
                  "the global ids of a sharded build (merged/stats.json)"),
    recsys_bo_u32("explain-top", "explain_top", explain_top, 0, 1000, "E",
                  "explained entries per user, 0: none"),
    recsys_bo_u32("explain-history", "explain_history", explain_history, 1,
                  1000, "H", "newest history items explanations credit"),
    { "weights", "w_", RECSYS_OPT_FN, recsys_bo(weights), 0, 10,
      "SRC=W,...", "hybrid weights by source, 0 to 10", NULL,
      recsys_build_opts_weights, recsys_build_opts_show_weights,
      "takes SOURCE=WEIGHT,... with weights from 0 to 10, each SOURCE a "
      "name algo= takes (`recsys-build help build` lists them)",
      RECSYS_OPT_PREFIX },
    recsys_bo_u32("sparse-user", "sparse_user", sparse_user, 0, 1000000, "N",
                  "users with fewer items are sparse"),
    recsys_bo_f64("trending-days", "trending_days", trending_days, 0.01, 1e5,
                  "D", "half-life of trending in days"),
    recsys_bo_u32("user-neighbors", "user_neighbors", user_neighbors, 0,
                  1000, "K", "user-CF neighbours per user, 0: no user-CF"),
    recsys_bo_flag("no-content", "content", RECSYS_OPT_OFF, content,
                   "turn the content source off"),

    /* segments */
    recsys_bo_u32("segments", "k", k, 0, 1000, "K",
                  "k-means segments, 0: chosen by silhouette"),
    recsys_bo_flag("dbscan", "dbscan", RECSYS_OPT_ON, dbscan,
                   "turn DBSCAN on, instead of k-means"),
    recsys_bo_f32("eps", "eps", eps, 0.001, 2.0, "E", "DBSCAN radius"),
    recsys_bo_flag("no-segments", "segments", RECSYS_OPT_OFF, segments,
                   "turn user segments off"),

    /* association rules */
    recsys_bo_f64("rule-support", "rule_support", rule_support, 0.0, 1.0,
                  "S", "least share of transactions"),
    recsys_bo_f64("rule-confidence", "rule_confidence", rule_confidence,
                  0.0, 1.0, "C", "least confidence"),
    recsys_bo_f64("rule-lift", "rule_lift", rule_lift, 0.0, 1e6, "L",
                  "least lift"),
    { "rule-min-value", "rule_min_value", RECSYS_OPT_FLOAT,
      recsys_bo(rule_min_value), 0.0, 1e6, "V",
      "an item counts when its value is at least V", NULL, NULL,
      recsys_build_opts_show_auto, NULL, 0 },
    recsys_bo_f64("rule-gap", "rule_gap", rule_gap, 0.0, 1e9, "SECONDS",
                  "sessions cut at longer gaps, 0: one per user"),
    recsys_bo_flag("no-rules", "rules", RECSYS_OPT_OFF, rules,
                   "turn association rules off"),

    /* sequences */
    recsys_bo_flag("no-markov", "markov", RECSYS_OPT_OFF, markov,
                   "turn Markov next items off"),
    recsys_bo_flag("hmm", "hmm", RECSYS_OPT_ON, hmm,
                   "turn the hidden Markov model on (slow)"),
    recsys_bo_u32("hmm-states", "hmm_states", hmm_states, 2, 1000, "N",
                  "hidden states"),
    recsys_bo_flag("gru", "gru", RECSYS_OPT_ON, lstm,
                   "turn the GRU next-item model on (slow)"),
    { "rnn", "rnn", RECSYS_OPT_CHOICE, recsys_bo(lstm), 0, 0,
      "off|gru|lstm|both", "recurrent next-item models (slow)",
      recsys_build_rnn_cells, NULL, NULL, NULL, 0 },
    recsys_bo_u32("rnn-negatives", "rnn_negatives", rnn_negatives, 0,
                  100000, "N", "sampled negatives per window, 0: full"),
    recsys_bo_u32("rnn-batch", "rnn_batch", rnn_batch, 1, 4096, "B",
                  "windows per Adam step"),
    recsys_bo_u32("rnn-max-len", "rnn_max_len", rnn_max_len, 2, 1000, "L",
                  "window length and history read when scoring"),
    recsys_bo_f32("rnn-lr", "rnn_lr", rnn_lr, 1e-6, 1.0, "R",
                  "Adam step size"),
    recsys_bo_f32("rnn-dropout", "rnn_dropout", rnn_dropout, 0.0, 0.9, "P",
                  "dropout on the output layer's input"),
    recsys_bo_f32("rnn-valid", "rnn_valid", rnn_valid, 0.0, 0.9, "V",
                  "users held out for early stopping, 0: none"),
    recsys_bo_u32("rnn-patience", "rnn_patience", rnn_patience, 1, 1000,
                  "N", "epochs without progress before stopping"),
    recsys_bo_u32("rnn-skip", "rnn_skip", rnn_skip, 0, 1, "0|1",
                  "1: the output layer also reads the last item's "
                  "embedding (needs dim = hidden)"),
    recsys_bo_u32("rnn-refit", "rnn_refit", rnn_refit, 0, 1, "0|1",
                  "1: after early stopping, train again on all rows "
                  "for the best epoch count"),
    recsys_bo_u32("rnn-tie", "rnn_tie", rnn_tie, 0, 1, "0|1",
                  "1: the output layer's item rows are the input "
                  "embedding (needs dim = hidden)"),
    recsys_bo_u32("gru-epochs", "gru_epochs", lstm_epochs, 1, 1000, "N",
                  "GRU and LSTM training epochs (at most)"),
    recsys_bo_u32("gru-dim", "gru_dim", lstm_dim, 1, 256, "D",
                  "GRU and LSTM item embedding size"),
    recsys_bo_u32("gru-hidden", "gru_hidden", lstm_hidden, 1, 256, "H",
                  "GRU and LSTM state size"),
    /* the GRU source's old names: --lstm still turns the GRU on */
    recsys_bo_flag("lstm", "lstm", RECSYS_OPT_ON, lstm, "old name of --gru"),
    recsys_bo_u32("lstm-epochs", "lstm_epochs", lstm_epochs, 1, 1000, "N",
                  "old name of --gru-epochs"),
    recsys_bo_u32("lstm-dim", "lstm_dim", lstm_dim, 1, 256, "D",
                  "old name of --gru-dim"),
    recsys_bo_u32("lstm-hidden", "lstm_hidden", lstm_hidden, 1, 256, "H",
                  "old name of --gru-hidden"),

    /* linear and factor models */
    recsys_bo_flag("ease", NULL, RECSYS_OPT_ON, ease, "turn EASE^R on"),
    recsys_bo_flag("no-ease", "ease", RECSYS_OPT_OFF, ease, "turn EASE^R off"),
    recsys_bo_f64("ease-lambda", "ease_lambda", ease_lambda, 0.001, 1e9, "L",
                  "EASE^R regularisation"),
    recsys_bo_u32("ease-items", "ease_items", ease_items, 1,
                  RECSYS_EASE_MAX_ITEMS, "N",
                  "EASE^R over the N most popular items"),
    recsys_bo_f64("ease-dropout", "ease_dropout", ease_dropout, 0.0, 0.99,
                  "P", "EDLAE: L2 weight lambda + P/(1-P) x item count"),
    recsys_bo_u32("ease-dlae", "ease_dlae", ease_dlae, 0, 1, "0|1",
                  "1: DLAE, without EASE's zero diagonal"),
    recsys_bo_f64("ease-user-norm", "ease_user_norm", ease_user_norm, 0.0,
                  4.0, "A", "each user weighs (its item count)^-A in X^T X"),
    recsys_bo_f64("ease-time-scale", "ease_time_scale", ease_time_scale, 0.0,
                  1e12, "S", "a user's two rows S seconds apart weigh F + "
                  "(1 - F)/e in X^T X; 0: off"),
    recsys_bo_f64("ease-time-floor", "ease_time_floor", ease_time_floor, 0.0,
                  1.0, "F", "the time kernel's weight of rows far apart"),
    recsys_bo_flag("no-rp3beta", "rp3beta", RECSYS_OPT_OFF, rp3beta,
                   "turn RP3beta off"),
    recsys_bo_flag("als", "als", RECSYS_OPT_ON, als, "turn implicit ALS on"),
    recsys_bo_u32("als-factors", "als_factors", als_factors, 1, 1024, "F",
                  "ALS factors"),

    recsys_opt_null
};


void
recsys_build_defaults(recsys_build_opts_t *o)
{
    int  s;

    memset(o, 0, sizeof(recsys_build_opts_t));

    o->neighbors = 50;
    o->history = 100;
    o->user_top = 100;
    o->user_shards = 1;
    o->explain_top = 20;
    o->explain_history = RECSYS_EXPLAIN_HISTORY;
    o->sparse_user = 3;
    o->trending_days = 30.0;
    o->similarity = "cosine";
    o->shrink = 0.0f;
    o->min_support = 1;
    o->user_neighbors = recsys_usercf_default.k;
    o->content = 1;
    o->segments = 1;
    o->k = 0;
    o->eps = recsys_cluster_default.dbscan.eps;
    o->rules = 1;
    o->rule_support = 0.05;
    o->rule_confidence = 0.5;
    o->rule_lift = 1.5;
    o->rule_min_value = -1.0f;     /* auto: 4 for ratings, else any */
    o->markov = 1;
    o->hmm = 0;
    o->hmm_states = recsys_hmm_default.n_states;
    o->lstm = 0;
    o->lstm_epochs = recsys_gru_default.epochs;
    o->lstm_dim = recsys_gru_default.dim;
    o->lstm_hidden = recsys_gru_default.hidden;
    o->rnn_negatives = 64;
    o->rnn_batch = 16;
    o->rnn_max_len = 50;
    o->rnn_lr = 0.005f;
    o->rnn_dropout = 0.0f;
    o->rnn_valid = 0.0f;
    o->rnn_patience = 2;
    o->rnn_skip = recsys_gru_default.skip;
    o->rnn_refit = recsys_gru_default.refit;
    o->rnn_tie = recsys_gru_default.tie;
    o->rule_gap = 0.0;
    o->ease = 1;
    /* EASE's defaults are eval's ease-dense's too (recsys_ease.h) */
    o->ease_lambda = recsys_ease_default.lambda;
    o->ease_items = recsys_ease_default.max_items;
    o->ease_dropout = recsys_ease_default.dropout;
    o->ease_dlae = (uint32_t) recsys_ease_default.dlae;
    o->ease_user_norm = recsys_ease_default.user_norm;
    o->ease_time_scale = recsys_ease_default.time_scale;
    o->ease_time_floor = recsys_ease_default.time_floor;
    o->rp3beta = 1;
    o->als = 0;
    o->als_factors = recsys_als_default.factors;
    o->decay_days = 0.0;

    for (s = 0; s < RECSYS_NSRC; s++) {
        o->weights[s] = -1.0f;
    }
}


int
recsys_build_set(recsys_build_opts_t *o, const char *settings, char *err,
    size_t errlen)
{
    if (recsys_opt_settings(recsys_build_options, o, "", settings, ",", err,
                            errlen)
        != RECSYS_OK)
    {
        return RECSYS_EINVAL;
    }

    return recsys_build_check(o, 1, err, errlen);
}


/*
 * The first row of the table that stores the field at offset and has a
 * flag: its flag name, or its setting name when settings.
 */
static const char *
recsys_build_opts_name(size_t offset, int settings)
{
    const recsys_opt_t  *t;

    for (t = recsys_build_options; t->name != NULL || t->setting != NULL;
         t++)
    {
        if (t->offset == offset && t->name != NULL && t->setting != NULL) {
            return settings ? t->setting : t->name;
        }
    }

    return "?";
}


int
recsys_build_check(const recsys_build_opts_t *o, int settings, char *err,
    size_t errlen)
{
    const char  *dash, *opt;

    dash = settings ? "" : "--";

    if (o->rnn_refit && !(o->rnn_valid > 0.0f)) {
        snprintf(err, errlen, "%s%s 1 needs %s%s above 0: the refit's "
                 "epoch count is the best on the held-out users", dash,
                 recsys_build_opts_name(recsys_bo(rnn_refit), settings),
                 dash, recsys_build_opts_name(recsys_bo(rnn_valid), settings));
        return RECSYS_EINVAL;
    }

    if ((o->rnn_skip || o->rnn_tie) && o->lstm_dim != o->lstm_hidden) {
        opt = recsys_build_opts_name(o->rnn_skip ? recsys_bo(rnn_skip)
                                                 : recsys_bo(rnn_tie),
                                     settings);
        snprintf(err, errlen, "%s%s 1 needs %s%s equal to %s%s (%u and %u "
                 "given)", dash, opt, dash,
                 recsys_build_opts_name(recsys_bo(lstm_dim), settings), dash,
                 recsys_build_opts_name(recsys_bo(lstm_hidden), settings),
                 o->lstm_dim, o->lstm_hidden);
        return RECSYS_EINVAL;
    }

    return RECSYS_OK;
}


/*
 * The event weights are stored in the model and read by the server for its
 * live events: a table that the server would refuse (recsys_live_types_parse)
 * is refused here, before any work.
 */
static int
recsys_build_opts_event_weights(void *field, const char *s, size_t len)
{
    recsys_live_types_t  t;

    (void) field;

    return recsys_live_types_parse(s, len, &t);
}


static int
recsys_build_opts_model_id(void *field, const char *s, size_t len)
{
    (void) field;

    if (len == 0 || len > 63
        || strspn(s, "abcdefghijklmnopqrstuvwxyz"
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") != len)
    {
        return RECSYS_EINVAL;
    }

    return RECSYS_OK;
}


/* A similarity by name; the field points at the static name. */
static int
recsys_build_opts_similarity(void *field, const char *s, size_t len)
{
    int   sim;
    char  name[16];

    if (len >= sizeof(name)) {
        return RECSYS_EINVAL;
    }

    memcpy(name, s, len);
    name[len] = '\0';

    sim = recsys_sim_parse(name);
    if (sim < 0) {
        return RECSYS_EINVAL;
    }

    *(const char **) field = recsys_sim_name((recsys_sim_t) sim);

    return RECSYS_OK;
}


static void
recsys_build_opts_show_str(const void *field, char *buf, size_t size)
{
    snprintf(buf, size, "%s", *(const char *const *) field);
}


/* "itemcf=1,content=0.2": weights (0 to 10) by source name. */
static int
recsys_build_opts_weights(void *field, const char *s, size_t len)
{
    int          src;
    float       *weights;
    double       w;
    const char  *end, *eq, *comma;

    weights = field;
    end = s + len;

    while (s < end) {
        comma = memchr(s, ',', (size_t) (end - s));
        if (comma == NULL) {
            comma = end;
        }

        eq = memchr(s, '=', (size_t) (comma - s));
        src = eq != NULL ? recsys_source_parse(s, (size_t) (eq - s)) : -1;

        if (src < 0
            || recsys_number_double(eq + 1, (size_t) (comma - eq - 1), 0.0,
                                    10.0, &w)
               != RECSYS_OK)
        {
            return RECSYS_EINVAL;
        }

        weights[src] = (float) w;
        s = comma < end ? comma + 1 : end;
    }

    return RECSYS_OK;
}


/* The weights given, or "auto" (each source's automatic weight). */
static void
recsys_build_opts_show_weights(const void *field, char *buf, size_t size)
{
    int           s;
    size_t        len;
    const float  *weights;

    weights = field;
    len = 0;
    buf[0] = '\0';

    for (s = 0; s < RECSYS_NSRC && len < size; s++) {
        if (weights[s] >= 0.0f) {
            len += (size_t) snprintf(buf + len, size - len, "%s%s=%g",
                                     len ? "," : "", recsys_source_name(s),
                                     (double) weights[s]);
        }
    }

    if (len == 0) {
        snprintf(buf, size, "auto");
    }
}


/* A float where a negative value means "chosen from the data". */
static void
recsys_build_opts_show_auto(const void *field, char *buf, size_t size)
{
    float  v;

    v = *(const float *) field;

    if (v < 0.0f) {
        snprintf(buf, size, "auto: 4 for ratings, else any");

    } else {
        snprintf(buf, size, "%g", (double) v);
    }
}
