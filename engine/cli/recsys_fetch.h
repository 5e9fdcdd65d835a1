/*
 * recsys_fetch.h: `recsys-build fetch URL --out PATH`, the edge side of
 * model distribution (recsys_fetch.c).
 */

#ifndef RECSYS_FETCH_H
#define RECSYS_FETCH_H

#include <stdio.h>

/* The command: argv[0] is the model's URL, then the options. */
int recsys_fetch_main(int argc, char **argv);

/* The options with their defaults, to f. */
void recsys_fetch_help(FILE *f);

#endif /* RECSYS_FETCH_H */
