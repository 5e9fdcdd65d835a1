/*
 * recsys_source.h: the registry of recommendation sources.
 *
 * One row per source (RECSYS_SRC_* of recsys_schema.h, in index order):
 * its canonical name (algo=, w_<name>, the JSON answers, the builder's
 * --weights), an alias still accepted on input, the stem of its lists in
 * the model file ("item.nbrs.<key>", "user.recs.<key>"), the blob key of
 * its packed request-time model, and flags saying how the query scores
 * it.  Every list of source names in the tree is this table: the model
 * reader, the builder, the module's arguments and JSON, inspect.
 *
 * The GRU source is named "gru" and keeps the key "lstm" in the file, its
 * name before a real LSTM cell existed, so files keep their keys; the
 * LSTM source is named "lstm" and has the key "lstmc".
 *
 * The last RECSYS_NIMPORT rows are slots for imported lists, whose names
 * each model gives (recsys_model_source_parse of recsys_model.h).
 */

#ifndef RECSYS_SOURCE_H
#define RECSYS_SOURCE_H

#include <stddef.h>

#include "recsys_schema.h"


/* its item-to-item list answers item= and scores a history by neighbours */
#define RECSYS_SOURCE_ITEM_BASED   0x01
/* it scores a session at request time from its "item.nbrs.<key>" list */
#define RECSYS_SOURCE_SESSION      0x02
/* it scores a history in time order with its own function (Markov, packed
   models) rather than as a sum over the history's items */
#define RECSYS_SOURCE_SEQUENCE     0x04
/* a slot for lists trained elsewhere (recsys-build import): its name in
   a model is the model's ("import.names"), "import<k>" is its name too */
#define RECSYS_SOURCE_IMPORTED     0x08

typedef struct {
    const char  *name;      /* canonical name */
    const char  *alias;     /* also accepted by recsys_source_parse, or NULL */
    const char  *key;       /* stem of its lists in the model file */
    const char  *packed;    /* blob key of its packed model, or NULL */
    unsigned     flags;     /* RECSYS_SOURCE_* */
} recsys_source_t;


/* The row of source s (0 <= s < RECSYS_NSRC), or NULL. */
const recsys_source_t *recsys_source_get(int source);

/* The canonical name, "" for an index out of range. */
const char *recsys_source_name(int source);

/* The stem of the source's lists in the model file, "" out of range. */
const char *recsys_source_key(int source);

/*
 * A source by its name or alias (exact bytes, not NUL-terminated): its
 * index, or -1 for an unknown name.
 */
int recsys_source_parse(const char *name, size_t len);

/*
 * Whether name may name an imported source: 1 to RECSYS_IMPORT_NAME_MAX
 * bytes of [a-z0-9_], no registry name or alias, not "hybrid" or "next".
 */
int recsys_source_import_name_ok(const char *name, size_t len);

/* Whether source has every flag of flags (0 out of range). */
int recsys_source_is(int source, unsigned flags);

#endif /* RECSYS_SOURCE_H */
