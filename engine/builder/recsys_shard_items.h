/*
 * recsys_shard_items.h: the items part of the sharded build and what a
 * users task reads of it.
 *
 * The items task (`recsys-build build --items-part`) fits every item model
 * once and writes a model whose own per-user lists (item-CF, content,
 * RP3beta, EASE, segments, association rules, Markov, the blend, the
 * explanations) are empty, plus OUT.ease:
 * EASE's dense B, which scores users exactly.  A users task
 * (`recsys-build build --from-items ITEMS --shard-ids merged/stats.json
 * --user-shard K --user-shards P`) reads its shard's rows only, with the
 * global ids seeded so that its indexes are the single build's, takes
 * from ITEMS the item models and its own users' rows of the lists ITEMS
 * computed over every user, and scores its users' lists itself.
 *
 * OUT.ease, little-endian as the host: "EASB", n_items, n_kept, values
 * (uint32 each), kept[n_kept] (uint32), B (n_kept^2 doubles, row-major).
 */

#ifndef RECSYS_SHARD_ITEMS_H
#define RECSYS_SHARD_ITEMS_H

#include <stddef.h>

#include "recsys_build_opts.h"
#include "recsys_build_parts.h"
#include "recsys_ease.h"
#include "recsys_ingest.h"

#define RECSYS_SHARD_EASE_MAGIC  0x42534145u     /* "EASB" */


/*
 * Interns the ids of a merged stats file ("users", "items") into the
 * ingest's dictionaries, before recsys_ingest_finish() renumbers them: a
 * shard's indexes are then the whole log's.
 */
int recsys_shard_ids_seed(recsys_dict_t *users, recsys_dict_t *items,
    const char *path, char *err, size_t errlen);

/*
 * The users of a users task: mine[u] is 1 when user u's id is in shard
 * user_shard of user_shards (recsys_shard_of()), the split's partition.
 */
int recsys_shard_items_mine(const recsys_dict_t *users,
    const recsys_build_opts_t *o, unsigned char **mine);

/* Writes m to path (through a temporary file renamed over it). */
int recsys_shard_ease_save(const char *path, const recsys_ease_t *m,
    char *err, size_t errlen);

/* Reads path into m (freed by recsys_ease_free()), checked. */
int recsys_shard_ease_load(const char *path, uint32_t n_items,
    recsys_ease_t *m, char *err, size_t errlen);

/*
 * Fills parts from the items part at path: its header's sources and
 * segments, the item-side lists, packed models and rules whole, and of
 * the per-user lists it computed over every user (user-CF, the users'
 * segments, the HMM and recurrent models, ALS, the means) the rows of
 * users u % P == K only (the others empty).  The lists this build scores itself are left out.
 */
int recsys_shard_items_load(const char *path, uint32_t n_users,
    recsys_parts_t *parts, char *err, size_t errlen);

#endif /* RECSYS_SHARD_ITEMS_H */
