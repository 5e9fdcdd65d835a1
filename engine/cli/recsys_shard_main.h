/*
 * recsys_shard_main.h: `recsys-build shard`, the steps of the sharded
 * build (recsys_shard.h) as commands.
 */

#ifndef RECSYS_SHARD_MAIN_H
#define RECSYS_SHARD_MAIN_H

#define RECSYS_SHARD_USAGE                                                   \
    "usage: recsys-build shard split --dir DIR --shards P LOG...\n"          \
    "       recsys-build shard stats --dir DIR --shards P --shard K\n"       \
    "       recsys-build shard merge --dir DIR --shards P\n"                 \
    "  then for K in 0 .. P - 1 (each a task):\n"                           \
    "       recsys-build build --interactions DIR/merged/interactions.csv\n"\
    "        [--items FILE] --out DIR/parts/part-K-of-P.mdb\n"             \
    "        --user-shard K --user-shards P [options]\n"                    \
    "       recsys-build shard assemble --dir DIR --shards P --out MODEL\n"

/* argv: the step and its flags; returns the exit code. */
int recsys_shard_main(int argc, char **argv);

#endif /* RECSYS_SHARD_MAIN_H */
