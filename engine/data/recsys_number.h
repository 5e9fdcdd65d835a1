/*
 * recsys_number: the one parser of the numbers people type (command-line
 * values, name=value settings): a whole number in plain decimal digits, or
 * a decimal number, each in a closed range.  Both read a slice (s, len),
 * so a value inside "a=1,b=2" needs no copy; neither accepts leading
 * space, a sign on a whole number, or anything after the number.
 */

#ifndef RECSYS_NUMBER_H
#define RECSYS_NUMBER_H

#include <stddef.h>
#include <stdint.h>


/* RECSYS_OK and *out, or RECSYS_EINVAL (*out untouched). */
int recsys_number_uint(const char *s, size_t len, uint64_t min, uint64_t max,
    uint64_t *out);

/* The same for a finite decimal number (strtod's syntax) in [min, max]. */
int recsys_number_double(const char *s, size_t len, double min, double max,
    double *out);

#endif /* RECSYS_NUMBER_H */
