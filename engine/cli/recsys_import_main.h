/*
 * recsys_import_main.h: `recsys-build import`, Spark's output into a
 * model as named sources (recsys_import.h).
 */

#ifndef RECSYS_IMPORT_MAIN_H
#define RECSYS_IMPORT_MAIN_H

/* The usage lines of the command. */
#define RECSYS_IMPORT_USAGE                                                  \
    "usage: recsys-build import --model MODEL --out MODEL\n"                 \
    "        [--users NAME=DIR] [--items NAME=DIR] [--rules NAME=DIR]\n"     \
    "        [--cols ROW,LIST,ID,SCORE] [--skip-unknown] [--model-id ID]\n"  \
    "  DIR: Spark's DataFrame.write.json output (part-*.json[.gz],\n"        \
    "  _SUCCESS); --users: ALSModel.recommendForAllUsers, columns\n"         \
    "  user,recommendations,item,rating; --items: item lists, columns\n"     \
    "  item,similar,item,score; --rules: FPGrowthModel.associationRules;\n"  \
    "  --cols sets the columns of the --users and --items after it\n"

/* argv: the flags after "import"; returns the exit code. */
int recsys_import_main(int argc, char **argv);

#endif /* RECSYS_IMPORT_MAIN_H */
