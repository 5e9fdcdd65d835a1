/*
 * recsys_import.h: lists trained elsewhere (Spark) into a model as named
 * sources: `recsys-build import`.
 *
 * An input is a directory as DataFrame.write.json leaves it: part-* files
 * (plain or .gz) of JSON Lines and an empty _SUCCESS file, written last by
 * Spark's committer; without it the job did not finish and nothing is
 * imported.  The lines' shapes are those of recsys_spark.h.
 *
 *   users  per user a list of (item, score): "user.recs.import<k>"; the
 *          user's seen items are left out, like every source's user lists
 *   items  per item a list of (item, score): "item.nbrs.import<k>" (the
 *          item itself left out), which answers item= and scores a history
 *   rules  association rules: per item the consequents of its one-item
 *          rules ("item.nbrs.import<k>", score = confidence), per user the
 *          consequents of every rule whose antecedent the user has all seen
 *          (score = the best such rule's confidence, the user's top
 *          user_top kept, seen items left out)
 *
 * Up to RECSYS_NIMPORT names, each a slot k = 1.. in the order they are
 * first given; a name may take users and items lists both.  Every id must
 * be the model's (users and items of the catalog) unless skip_unknown,
 * which leaves unknown ones out and counts them.  The output is the input
 * model with every earlier import replaced by these, published atomically
 * like a build; the input model is not changed.
 */

#ifndef RECSYS_IMPORT_H
#define RECSYS_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_spark.h"

#define RECSYS_IMPORT_MAX_INPUTS  (3 * RECSYS_NIMPORT)


typedef enum {
    RECSYS_IMPORT_USERS = 0,
    RECSYS_IMPORT_ITEMS,
    RECSYS_IMPORT_RULES
} recsys_import_kind_t;

typedef struct {
    recsys_import_kind_t   kind;
    const char            *name;        /* the source's name in the model */
    const char            *dir;
    recsys_spark_cols_t    cols;        /* users and items lists */
} recsys_import_input_t;

typedef struct {
    const char              *model;     /* the model to add to */
    const char              *out;       /* where to publish the result */
    const char              *model_id;  /* NULL: a new one */
    int                      skip_unknown;
    unsigned                 n_inputs;
    recsys_import_input_t    inputs[RECSYS_IMPORT_MAX_INPUTS];
} recsys_import_opts_t;

/* What an import read, for its report. */
typedef struct {
    uint64_t    lines;
    uint64_t    entries;
    uint64_t    unknown;        /* ids left out (skip_unknown) */
    uint64_t    seen;           /* entries of seen items left out */
    char        model_id[64];
} recsys_import_stats_t;


/*
 * Runs the import.  RECSYS_OK, or a status with err holding
 * "FILE:LINE: what" (or "MODEL: what").
 */
int recsys_import_run(const recsys_import_opts_t *o,
    recsys_import_stats_t *stats, char *err, size_t errlen);

#endif /* RECSYS_IMPORT_H */
