/*
 * test_text.c: unit test of the id rules (recsys_text.c).
 *
 * Covers recsys_utf8_valid() on well-formed 1- to 4-byte sequences and on
 * each way UTF-8 can be malformed (overlongs, surrogates, code points past
 * U+10FFFF, truncated and interrupted sequences, stray continuation bytes,
 * NUL); recsys_id_valid() at its length limits; and recsys_id_cmp()'s
 * natural order against a list written out by hand in the expected order:
 * every pair is compared, and a shuffled copy sorted with recsys_id_cmp
 * must come back as the hand-written list.  Prints TAP.
 */

#include <stdlib.h>
#include <string.h>

#include "recsys_schema.h"
#include "recsys_text.h"
#include "tap.h"


typedef struct {
    const char  *bytes;
    size_t       len;
    int          valid;
    const char  *what;
} t_utf8_case_t;

#define T_S(s)  s, sizeof(s) - 1

static const t_utf8_case_t  t_utf8_cases[] = {
    { T_S(""),                     1, "empty string" },
    { T_S("abc XYZ 019 ~"),        1, "ASCII" },
    { T_S("\x7f"),                 1, "U+007F, the last 1-byte code point" },
    { T_S("\xc2\x80"),             1, "U+0080, the first 2-byte code point" },
    { T_S("caf\xc3\xa9"),          1, "2-byte: e acute" },
    { T_S("\xdf\xbf"),             1, "U+07FF, the last 2-byte code point" },
    { T_S("\xe0\xa0\x80"),         1, "U+0800, the first 3-byte code point" },
    { T_S("\xe2\x82\xac"),         1, "3-byte: euro sign" },
    { T_S("\xed\x9f\xbf"),         1, "U+D7FF, just below the surrogates" },
    { T_S("\xee\x80\x80"),         1, "U+E000, just above the surrogates" },
    { T_S("\xef\xbf\xbf"),         1, "U+FFFF" },
    { T_S("\xf0\x90\x80\x80"),     1, "U+10000, the first 4-byte code point" },
    { T_S("\xf0\x9f\x98\x80"),     1, "4-byte: emoji" },
    { T_S("\xf4\x8f\xbf\xbf"),     1, "U+10FFFF, the last code point" },
    { T_S("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z"), 1, "mixed lengths" },

    { T_S("\xc0\xaf"),             0, "overlong C0 AF ('/')" },
    { T_S("\xc1\xbf"),             0, "overlong C1 BF" },
    { T_S("\xe0\x80\xaf"),         0, "overlong 3-byte '/'" },
    { T_S("\xe0\x9f\xbf"),         0, "overlong 3-byte U+07FF" },
    { T_S("\xf0\x80\x80\xaf"),     0, "overlong 4-byte '/'" },
    { T_S("\xf0\x8f\xbf\xbf"),     0, "overlong 4-byte U+FFFF" },
    { T_S("\xed\xa0\x80"),         0, "surrogate ED A0 80 (U+D800)" },
    { T_S("\xed\xbf\xbf"),         0, "surrogate ED BF BF (U+DFFF)" },
    { T_S("\xf4\x90\x80\x80"),     0, "F4 90 80 80 (U+110000)" },
    { T_S("\xf7\xbf\xbf\xbf"),     0, "F7 BF BF BF (past U+10FFFF)" },
    { T_S("\xf8\x88\x80\x80\x80"), 0, "5-byte form" },
    { T_S("\xfc\x84\x80\x80\x80\x80"), 0, "6-byte form" },
    { T_S("\xfe"),                 0, "byte FE" },
    { T_S("\xff"),                 0, "byte FF" },
    { T_S("\x80"),                 0, "lone continuation byte" },
    { T_S("a\xbf"),                0, "continuation byte after ASCII" },
    { T_S("\xc3"),                 0, "truncated 2-byte at the end" },
    { T_S("\xe2\x82"),             0, "truncated 3-byte at the end" },
    { T_S("\xe2"),                 0, "3-byte lead alone" },
    { T_S("\xf0\x9f\x98"),         0, "truncated 4-byte at the end" },
    { T_S("ab\xf0\x9f"),           0, "truncated 4-byte after ASCII" },
    { T_S("\xc3" "a"),             0, "2-byte interrupted by ASCII" },
    { T_S("\xe2\x82" "a"),         0, "3-byte interrupted by ASCII" },
    { T_S("\xf0\x9f\x98" "a"),     0, "4-byte interrupted by ASCII" },
    { T_S("\xe2\xc3\xa9"),         0, "3-byte interrupted by a lead" },
    { T_S("\0"),                   0, "NUL alone" },
    { T_S("ab\0cd"),               0, "NUL inside" },
    { T_S("abc\0"),                0, "NUL at the end" },
};


/*
 * Ids in the natural order, written by hand: ids of decimal digits only
 * first, by numeric value (equal values: the shorter spelling first),
 * then every other id bytewise.
 */
static const char  *t_ordered[] = {
    "0",
    "00",
    "1",
    "0001",
    "2",
    "7",
    "07",
    "007",
    "9",
    "10",
    "010",
    "99",
    "100",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999999",
    "100000000000000000000000000000",
    " 1",
    "+1",
    "-1",
    "0x10",
    "1 ",
    "1.5",
    "10a",
    "1a",
    "2b",
    "A",
    "B",
    "Z",
    "a",
    "a1",
    "a10",
    "a2",
    "ab",
    "b",
    "tt0111161",
    "z",
    "\xc3\xa9",
    "\xe2\x82\xac",
    "\xf0\x9f\x98\x80",
};

#define T_N_ORDERED  (sizeof(t_ordered) / sizeof(t_ordered[0]))


static int
t_sign(int v)
{
    return (v > 0) - (v < 0);
}


static int
t_cmp(const char *a, const char *b)
{
    return recsys_id_cmp(a, strlen(a), b, strlen(b));
}


static int
t_qsort_cmp(const void *a, const void *b)
{
    return t_cmp(*(const char *const *) a, *(const char *const *) b);
}


static uint32_t
t_rand(uint32_t *state)
{
    *state = *state * 1103515245u + 12345u;
    return *state >> 8;
}


static void
t_test_utf8(void)
{
    size_t  k;

    for (k = 0; k < sizeof(t_utf8_cases) / sizeof(t_utf8_cases[0]); k++) {
        tap_is_int(recsys_utf8_valid(t_utf8_cases[k].bytes,
                                     t_utf8_cases[k].len),
                   t_utf8_cases[k].valid, "utf8_valid: %s -> %s",
                   t_utf8_cases[k].what,
                   t_utf8_cases[k].valid ? "valid" : "invalid");
    }

    /* the length is what counts, not a terminating NUL */
    tap_is_int(recsys_utf8_valid("\xc3\xa9", 1), 0,
               "utf8_valid: a 2-byte sequence cut by len is invalid");
    tap_is_int(recsys_utf8_valid("abc\0def", 3), 1,
               "utf8_valid: bytes past len are not read");
}


static void
t_test_id_valid(void)
{
    char    buf[RECSYS_ID_MAX + 2];
    size_t  k;

    static const struct {
        const char  *bytes;
        size_t       len;
        int          valid;
        const char  *what;
    } ids[] = {
        { "a\0b", 3, 0, "NUL refused" },
        { "\xed\xa0\x80", 3, 0, "surrogate refused" },
        { "tt0111161", 9, 1, "IMDb-style id ok" },
        { "\xf0\x9f\x98\x80", 4, 1, "4-byte character ok" },
    };

    memset(buf, 'a', sizeof(buf));

    tap_is_int(recsys_id_valid(buf, 0), 0, "id_valid: 0 bytes refused");
    tap_is_int(recsys_id_valid(buf, 1), 1, "id_valid: 1 byte ok");
    tap_is_int(recsys_id_valid(buf, 256), 1, "id_valid: 256 bytes ok");
    tap_is_int(recsys_id_valid(buf, 257), 0, "id_valid: 257 bytes refused");

    /* 254 ASCII bytes and a 2-byte character: 256 bytes in all */
    buf[254] = '\xc3';
    buf[255] = '\xa9';
    tap_is_int(recsys_id_valid(buf, 256), 1,
               "id_valid: 256 bytes ending in a 2-byte character ok");

    /* a character straddling the limit is cut: the prefix is invalid */
    memset(buf, 'a', sizeof(buf));
    buf[255] = '\xc3';
    buf[256] = '\xa9';
    tap_is_int(recsys_id_valid(buf, 257), 0,
               "id_valid: 257 bytes ending in a 2-byte character refused");
    tap_is_int(recsys_id_valid(buf, 256), 0,
               "id_valid: 256 bytes ending in a cut character refused");

    for (k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
        tap_is_int(recsys_id_valid(ids[k].bytes, ids[k].len), ids[k].valid,
                   "id_valid: %s", ids[k].what);
    }
}


static void
t_test_cmp_pairs(void)
{
    int     bad_order, bad_anti, bad_self, got, want;
    size_t  i, j;

    bad_order = 0;
    bad_anti = 0;
    bad_self = 0;

    for (i = 0; i < T_N_ORDERED; i++) {
        if (t_cmp(t_ordered[i], t_ordered[i]) != 0) {
            bad_self++;
            printf("#   cmp(\"%s\", itself) != 0\n", t_ordered[i]);
        }

        for (j = 0; j < T_N_ORDERED; j++) {
            if (i == j) {
                continue;
            }

            got = t_sign(t_cmp(t_ordered[i], t_ordered[j]));
            want = i < j ? -1 : 1;

            if (got != want) {
                bad_order++;
                printf("#   cmp(\"%s\", \"%s\") sign %d, want %d\n",
                       t_ordered[i], t_ordered[j], got, want);
            }

            if (got != -t_sign(t_cmp(t_ordered[j], t_ordered[i]))) {
                bad_anti++;
            }
        }
    }

    tap_is_int(bad_self, 0, "id_cmp: every id equals itself");
    tap_is_int(bad_order, 0,
               "id_cmp: all %u ordered pairs agree with the hand order",
               (unsigned) (T_N_ORDERED * (T_N_ORDERED - 1)));
    tap_is_int(bad_anti, 0, "id_cmp: antisymmetric on every pair");

    /* the cases the rules single out, one by one */
    tap_ok(t_cmp("2", "10") < 0, "id_cmp: \"2\" < \"10\"");
    tap_ok(t_cmp("10", "2") > 0, "id_cmp: \"10\" > \"2\"");
    tap_ok(t_cmp("999", "a") < 0, "id_cmp: numeric before non-numeric");
    tap_ok(t_cmp("99999999999999999999", "0") > 0,
           "id_cmp: numbers wider than 64 bits by value");
    tap_ok(t_cmp("7", "007") < 0 && t_cmp("007", "7") > 0,
           "id_cmp: \"7\" < \"007\" and \"007\" > \"7\"");
    tap_ok(t_cmp("007", "8") < 0 && t_cmp("6", "007") < 0,
           "id_cmp: \"007\" sits between 6 and 8");
    tap_ok(t_cmp("a10", "a2") < 0, "id_cmp: non-numeric ids bytewise");
    tap_ok(t_cmp("ab", "abc") < 0 && t_cmp("abc", "ab") > 0,
           "id_cmp: a prefix first");
    tap_ok(t_cmp("Z", "a") < 0, "id_cmp: bytewise, upper case first");
    tap_ok(t_cmp("z", "\xc3\xa9") < 0,
           "id_cmp: bytes compared unsigned (0xC3 after 'z')");
    tap_ok(recsys_id_cmp("12", 1, "1", 1) == 0,
           "id_cmp: lengths are honoured, not NULs");
}


static void
t_test_sort(void)
{
    int          same;
    size_t       i, j, round;
    uint32_t     state;
    const char  *a[T_N_ORDERED], *tmp;

    state = 20261128u;
    same = 1;

    for (round = 0; round < 20; round++) {
        memcpy(a, t_ordered, sizeof(a));

        for (i = T_N_ORDERED - 1; i > 0; i--) {
            j = t_rand(&state) % (i + 1);
            tmp = a[i];
            a[i] = a[j];
            a[j] = tmp;
        }

        if (round == 1) {
            /* reversed, the worst case for a naive sort */
            for (i = 0; i < T_N_ORDERED; i++) {
                a[i] = t_ordered[T_N_ORDERED - 1 - i];
            }
        }

        qsort(a, T_N_ORDERED, sizeof(a[0]), t_qsort_cmp);

        for (i = 0; i < T_N_ORDERED; i++) {
            if (a[i] != t_ordered[i]) {
                if (same) {
                    printf("#   round %u: position %u holds \"%s\", "
                           "want \"%s\"\n", (unsigned) round, (unsigned) i,
                           a[i], t_ordered[i]);
                }

                same = 0;
                break;
            }
        }
    }

    tap_ok(same, "id_cmp: sorting shuffled copies gives the natural order");
}


int
main(void)
{
    t_test_utf8();
    t_test_id_valid();
    t_test_cmp_pairs();
    t_test_sort();

    return tap_done();
}
