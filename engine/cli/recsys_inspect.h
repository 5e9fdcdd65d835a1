/*
 * recsys_inspect.h: `recsys-build inspect`, a readable view of a model.
 */

#ifndef RECSYS_INSPECT_H
#define RECSYS_INSPECT_H

/* argv: MODEL [stats | user ID | item ID]; returns the exit code. */
int recsys_inspect_main(int argc, char **argv);

#endif /* RECSYS_INSPECT_H */
