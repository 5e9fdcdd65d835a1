/*
 * recsys_release: frees the arrays a struct owns and clears the struct,
 * the body of every "free the fields" function of the engine.
 *
 *     recsys_release(m, sizeof(recsys_ease_t), 3, m->kept, m->slot, m->b);
 *
 * frees the n pointers that follow (NULL ones too, as free() does), then
 * sets the size bytes at s to zero, so a second free of the same struct
 * does nothing and a freed struct reads as empty.
 */

#ifndef RECSYS_RELEASE_H
#define RECSYS_RELEASE_H

#include <stddef.h>

void recsys_release(void *s, size_t size, unsigned n, ...);

#endif /* RECSYS_RELEASE_H */
