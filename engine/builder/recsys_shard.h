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
 *   merged/interactions.csv  merge: the shards' rows, shard after shard
 *   items/items-of-P.mdb     items: `recsys-build build --items-part` over
 *                            merged/interactions.csv: every item model
 *                            fitted once, the lists that need every
 *                            user's rows (user-CF, the HMM and recurrent
 *                            models, ALS), the users' segments and
 *                            histories; the lists the users tasks score
 *                            (item-CF, content, RP3beta, EASE, segments,
 *                            rules, Markov, the blend, the explanations)
 *                            left empty
 *   items/items-of-P.mdb.ease  items: EASE's dense B, which scores users
 *                            exactly (recsys_shard_items.h)
 *   parts/part-K-of-P.mdb    users K: `recsys-build build --from-items
 *                            items/items-of-P.mdb --shard-ids
 *                            merged/stats.json --user-shard K
 *                            --user-shards P` over split/shard-K-of-P.csv
 *                            alone: the lists of shard K's users, scored
 *                            over the items part's models, the other
 *                            users' rows empty
 *   MODEL                    assemble: the items part, each per-user list
 *                            ("user.recs.*", "user.explain") taking user
 *                            u's row from the part of u's shard (the
 *                            users of merged/stats.json, in index order)
 *
 * A user's rows all go to one shard in their input order, so what the
 * builder derives per user (the latest value of a (user, item), history,
 * sequences) is the same as from the unsplit log, and with the global ids
 * seeded a users task numbers users and items as the single build does:
 * the assembled model is the single build's, byte for byte.  A users
 * task's memory is its shard's rows, the ids, the item models and its
 * users' lists; the items task still reads every row (its fits are not
 * yet sums of per-shard statistics).
 */

#ifndef RECSYS_SHARD_H
#define RECSYS_SHARD_H

#include <stddef.h>
#include <stdint.h>

#define RECSYS_SHARD_MAX  4096


/* The shard of a user id among n. */
uint32_t recsys_shard_of(const char *id, size_t len, uint32_t n);

/*
 * split: inputs (n of them, read as one log in order) into P shards.  The
 * shards are read under one header, so every input with a record must
 * have the first one's layout (the same header, names compared ignoring
 * case, or none and as many columns); another is RECSYS_EINVAL with
 * "FILE:LINE: its layout, where FIRST has its own" in err.
 */
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
 * assemble: the items part DIR/items/items-of-P.mdb with the per-user
 * lists ("user.recs.*", "user.explain") of the P users parts
 * DIR/parts/part-K-of-P.mdb joined, user u's row from the part of its
 * shard (recsys_shard_of() of its id in DIR/merged/stats.json), published
 * at out.  Every file is verified (recsys_verify_file) before it is read.
 */
int recsys_shard_assemble(const char *dir, uint32_t shards, const char *out,
    char *err, size_t errlen);

#endif /* RECSYS_SHARD_H */
