/*
 * recsys_number.c: whole and decimal numbers in a range, from a slice.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_number.h"
#include "recsys_status.h"

/* longer values are refused: no number in range needs more */
#define RECSYS_NUMBER_MAX_LEN  63


/* A NUL-terminated copy of the slice in buf, or 0 when it does not fit. */
static int
recsys_number_copy(const char *s, size_t len, char *buf)
{
    if (s == NULL || len == 0 || len > RECSYS_NUMBER_MAX_LEN) {
        return 0;
    }

    memcpy(buf, s, len);
    buf[len] = '\0';

    return 1;
}


int
recsys_number_uint(const char *s, size_t len, uint64_t min, uint64_t max,
    uint64_t *out)
{
    char                 buf[RECSYS_NUMBER_MAX_LEN + 1], *end;
    unsigned long long   v;

    if (!recsys_number_copy(s, len, buf) || buf[0] < '0' || buf[0] > '9') {
        return RECSYS_EINVAL;
    }

    errno = 0;
    v = strtoull(buf, &end, 10);

    if (errno != 0 || *end != '\0' || v < min || v > max) {
        return RECSYS_EINVAL;
    }

    *out = v;

    return RECSYS_OK;
}


int
recsys_number_double(const char *s, size_t len, double min, double max,
    double *out)
{
    char    buf[RECSYS_NUMBER_MAX_LEN + 1], *end;
    double  v;

    if (!recsys_number_copy(s, len, buf) || buf[0] == ' ' || buf[0] == '\t')
    {
        return RECSYS_EINVAL;
    }

    errno = 0;
    v = strtod(buf, &end);

    if (errno != 0 || end == buf || *end != '\0' || !(v >= min)
        || !(v <= max))
    {
        return RECSYS_EINVAL;
    }

    *out = v;

    return RECSYS_OK;
}
