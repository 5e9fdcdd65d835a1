/*
 * recsys_shard.h: the sharded build's map and reduce steps, plain
 * commands over files that any scheduler can run (contrib/dask drives
 * them with Dask).
 *
 * Directory layout under DIR (every file written to a temporary name and
 * renamed, so a step killed and run again leaves the same bytes):
 *
 *   split/shard-K-of-P.csv   split: the rows of the users whose id hashes
 *                            to K (FNV-1a of the id, mixed by
 *                            recsys_hash_u32, mod P), in input order,
 *                            re-encoded as CSV under the first input's
 *                            header (or none, as the input had)
 *   stats/shard-K-of-P.json  stats: the shard checked as the builder
 *                            ingests it, and its additive statistics:
 *                            {"rows":N,"users":[[id,rows],..],
 *                             "items":[[id,rows],..]}, ids in the natural
 *                            id order of the builder
 *   merged/stats.json        merge: the sum of the shards' statistics in
 *                            the same shape (a sum of sums is a sum: a tree
 *                            of merges gives the same file), the global id
 *                            dictionary in natural order
 *   merged/interactions.csv  merge: the shards' rows, shard after shard;
 *                            the fit steps are `recsys-build build` over it
 *   parts/part-K-of-P.mdb    fit users K: `recsys-build build --user-shard
 *                            K --user-shards P`, a model whose per-user
 *                            lists hold only the users u % P == K (its item
 *                            models are whole: each part fits them again)
 *   MODEL                    assemble: the parts joined, published
 *
 * A user's rows all go to one shard in their input order, so what the
 * builder derives per user (the latest value of a (user, item), history,
 * sequences) is the same as from the unsplit log; the model built from
 * merged/interactions.csv answers as the one built from the inputs.
 */

#ifndef RECSYS_SHARD_H
#define RECSYS_SHARD_H

#include <stddef.h>
#include <stdint.h>

#define RECSYS_SHARD_MAX  4096


/* The shard of a user id among n. */
uint32_t recsys_shard_of(const char *id, size_t len, uint32_t n);

/* split: inputs (n of them, read as one log in order) into P shards. */
int recsys_shard_split(const char *dir, uint32_t shards,
    char *const *inputs, int n, char *err, size_t errlen);

/* stats: shard k of P checked and counted. */
int recsys_shard_stats(const char *dir, uint32_t k, uint32_t shards,
    char *err, size_t errlen);

/*
 * merge: the P shards' statistics summed into merged/stats.json and their
 * rows concatenated into merged/interactions.csv.
 */
int recsys_shard_merge(const char *dir, uint32_t shards, char *err,
    size_t errlen);

/*
 * assemble: the P models DIR/parts/part-K-of-P.mdb (each built with
 * --user-shard K --user-shards P: every item model, the user lists of its
 * users u % P == K) joined into one published at out: the first's
 * databases, each per-user list ("user.recs.*", "user.explain") taking
 * user u's row from part u % P.
 */
int recsys_shard_assemble(const char *dir, uint32_t shards, const char *out,
    char *err, size_t errlen);

#endif /* RECSYS_SHARD_H */
