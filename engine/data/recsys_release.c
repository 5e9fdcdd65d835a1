/*
 * recsys_release.c: frees a struct's arrays and clears the struct
 * (recsys_release.h).
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_release.h"


void
recsys_release(void *s, size_t size, unsigned n, ...)
{
    va_list   ap;
    unsigned  i;

    va_start(ap, n);

    for (i = 0; i < n; i++) {
        free(va_arg(ap, void *));
    }

    va_end(ap);

    memset(s, 0, size);
}
