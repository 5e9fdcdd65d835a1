/*
 * recsys_float: a double sum stored as a float.  Values and scores are
 * floats in the model and in every list; the sums that make them are
 * doubles, and a sum may pass the float range even when each of its terms
 * fits.  Such a sum is held at the largest float of its sign, never
 * infinite (README, "Input formats").
 */

#ifndef RECSYS_FLOAT_H
#define RECSYS_FLOAT_H

#include <float.h>


/* v as a float, held at +/-FLT_MAX past the float range (NaN stays NaN). */
static inline float
recsys_float_clamp(double v)
{
    if (v > FLT_MAX) {
        return FLT_MAX;
    }

    if (v < -FLT_MAX) {
        return -FLT_MAX;
    }

    return (float) v;
}


#endif /* RECSYS_FLOAT_H */
