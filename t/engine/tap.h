/*
 * tap.h: a minimal Test Anything Protocol emitter for the engine's C unit
 * tests, so that prove runs them beside the integration tests.
 */

#ifndef RECSYS_TAP_H
#define RECSYS_TAP_H

#include <math.h>
#include <stdio.h>

static int  tap_n;
static int  tap_failed;

#define tap_ok(cond, ...)                                                    \
    do {                                                                     \
        int tap_c_ = (cond) ? 1 : 0;                                         \
        printf("%sok %d - ", tap_c_ ? "" : "not ", ++tap_n);                 \
        printf(__VA_ARGS__);                                                 \
        printf("\n");                                                        \
        if (!tap_c_) {                                                       \
            tap_failed++;                                                    \
            printf("#   failed at %s:%d\n", __FILE__, __LINE__);             \
        }                                                                    \
    } while (0)

#define tap_is_int(got, want, ...)                                           \
    do {                                                                     \
        long long tap_g_ = (long long) (got), tap_w_ = (long long) (want);   \
        tap_ok(tap_g_ == tap_w_, __VA_ARGS__);                               \
        if (tap_g_ != tap_w_) {                                              \
            printf("#   got %lld, want %lld\n", tap_g_, tap_w_);             \
        }                                                                    \
    } while (0)

#define tap_is_num(got, want, tol, ...)                                      \
    do {                                                                     \
        double tap_g_ = (got), tap_w_ = (want);                              \
        tap_ok(fabs(tap_g_ - tap_w_) <= (tol), __VA_ARGS__);                 \
        if (fabs(tap_g_ - tap_w_) > (tol)) {                                 \
            printf("#   got %.9g, want %.9g\n", tap_g_, tap_w_);             \
        }                                                                    \
    } while (0)

static inline int
tap_done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif /* RECSYS_TAP_H */
