/*
 * test_attrs.c: unit test of the item attributes: the one parser of
 * attribute numbers and dates (recsys_attrs.c), packing a tiny catalog's
 * columns (recsys_itemattr.c) and reading them back, the availability
 * epoch, and the attribute filter (recsys_attrfilter.c) on items whose
 * answers are worked out by hand below.  Prints TAP.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_arena.h"
#include "recsys_attrfilter.h"
#include "recsys_attrs.h"
#include "recsys_itemattr.h"
#include "recsys_schema.h"
#include "recsys_status.h"
#include "tap.h"


/* attribute columns of three items, as a CSV catalog gives them */
static const char  *t_cols[] = {
    "year", "regions", "available_from", "language", "series", "episode"
};

static const char  *t_vals[3][6] = {
    { "1994", "FR|DE", "2001-05-01", "en", "Vale", "2" },
    { "",     "",      "2099-01-01", "fr", "Vale", "1" },
    { "2010.5", "US",  "",           "",   "",     ""  }
};


static void
t_parse(void)
{
    double  v;

    tap_ok(recsys_attrs_parse_date("1970-01-01", 10, &v) == RECSYS_OK
           && v == 0.0, "1970-01-01 is 0");
    tap_ok(recsys_attrs_parse_date("2000-03-01", 10, &v) == RECSYS_OK
           && v == 951868800.0, "2000-03-01 is 951868800");
    tap_ok(recsys_attrs_parse_date("2024-02-29T12:30:15Z", 20, &v)
           == RECSYS_OK && v == 1709209815.0,
           "2024-02-29T12:30:15Z is 1709209815");
    tap_ok(recsys_attrs_parse_date("1969-12-31T23:59", 16, &v) == RECSYS_OK
           && v == -60.0, "1969-12-31T23:59 is -60");
    tap_ok(recsys_attrs_parse_date("2023-02-29", 10, &v) == RECSYS_EINVAL
           && recsys_attrs_parse_date("2024-13-01", 10, &v) == RECSYS_EINVAL
           && recsys_attrs_parse_date("2024-1-01", 9, &v) == RECSYS_EINVAL
           && recsys_attrs_parse_date("2024-01-01T24:00", 16, &v)
              == RECSYS_EINVAL
           && recsys_attrs_parse_date("2024-01-01 12:00", 16, &v)
              == RECSYS_EINVAL
           && recsys_attrs_parse_date("Z", 1, &v) == RECSYS_EINVAL,
           "bad dates are refused");
    tap_ok(recsys_attrs_parse_number("12", 2, &v) == RECSYS_OK && v == 12.0
           && recsys_attrs_parse_number("-2.5", 4, &v) == RECSYS_OK
           && v == -2.5, "12 and -2.5");
    tap_ok(recsys_attrs_parse_number("1e3", 3, &v) == RECSYS_EINVAL
           && recsys_attrs_parse_number("+1", 2, &v) == RECSYS_EINVAL
           && recsys_attrs_parse_number(".5", 2, &v) == RECSYS_EINVAL
           && recsys_attrs_parse_number("1.", 2, &v) == RECSYS_EINVAL
           && recsys_attrs_parse_number("-", 1, &v) == RECSYS_EINVAL
           && recsys_attrs_parse_number("", 0, &v) == RECSYS_EINVAL,
           "bad numbers are refused");
}


static char  t_block[1 << 16];


/* Whether filter text passes items 0, 1, 2 as want says ("101"). */
static void
t_filter(const recsys_attrs_t *a, const char *text, double now,
    const char *want)
{
    int                   rc;
    char                  got[4];
    uint32_t              k;
    recsys_arena_t        arena;
    recsys_alloc_t        al;
    recsys_attrfilter_t  *f;

    arena.base = t_block;
    arena.size = sizeof(t_block);
    arena.used = 0;
    al.alloc = recsys_arena_alloc;
    al.ctx = &arena;

    rc = recsys_attrfilter_create(a, now, &al, &f);
    if (rc == RECSYS_OK) {
        rc = recsys_attrfilter_add(f, text, strlen(text));
    }

    if (want == NULL) {
        tap_ok(rc == RECSYS_EINVAL, "filter \"%s\": refused", text);
        return;
    }

    for (k = 0; k < 3; k++) {
        got[k] = rc == RECSYS_OK && recsys_attrfilter_pass(f, k) ? '1' : '0';
    }

    got[3] = '\0';
    tap_ok(strcmp(got, want) == 0, "filter \"%s\" at %.0f: %s, want %s",
           text, now, got, want);
}


int
main(void)
{
    size_t                 size, ssize, len;
    uint32_t               i, k, n;
    const char            *p;
    unsigned char         *blob, *series;
    recsys_attrs_t         a;
    recsys_itemattr_t      t;
    const char            *why;
    const unsigned char   *vals;
    double                 now;

    t_parse();

    memset(&t, 0, sizeof(t));

    for (i = 0; i < 3; i++) {
        for (k = 0; k < 6; k++) {
            len = strlen(t_vals[i][k]);
            tap_ok(recsys_itemattr_set(&t, t_cols[k], strlen(t_cols[k]), i,
                                       RECSYS_ITEMATTR_TEXT, &t_vals[i][k],
                                       &len, 1)
                   == RECSYS_OK, "set %s of item %u", t_cols[k], i);
        }
    }

    tap_ok(recsys_itemattr_pack(&t, 3, &blob, &size, &series, &ssize)
           == RECSYS_OK && blob != NULL && series != NULL, "packed");
    tap_ok(recsys_attrs_open(&a, blob, size, series, ssize, 3, &why)
           == RECSYS_OK, "read back");
    tap_is_int(a.n_attrs, 6, "six attributes");
    tap_is_int(a.attr[recsys_attrs_find(&a, "year", 4)].type,
               RECSYS_ATTR_NUMBER, "year is a number");
    tap_is_int(a.attr[recsys_attrs_find(&a, "regions", 7)].type,
               RECSYS_ATTR_LIST, "regions is a list");
    tap_is_int(a.attr[recsys_attrs_find(&a, "available_from", 14)].type,
               RECSYS_ATTR_DATE, "available_from is a date");
    tap_is_int(a.attr[recsys_attrs_find(&a, "language", 8)].type,
               RECSYS_ATTR_STRING, "language is a string");
    tap_ok(isnan(recsys_attrs_number(&a.attr[0], 1))
           && recsys_attrs_number(&a.attr[0], 2) == 2010.5,
           "year: none for item 1, 2010.5 for item 2");

    /* the dictionary in byte order: DE FR US; item 0 holds DE and FR */
    recsys_attrs_values(&a.attr[1], 0, &vals, &n);
    p = recsys_attrs_dict(&a.attr[1], 0, &len);
    tap_ok(n == 2 && recsys_get_u32(vals) == 0
           && recsys_get_u32(vals + 4) == 1 && len == 2
           && memcmp(p, "DE", 2) == 0, "regions of item 0: DE, FR");

    /* series Vale: episode 1 (item 1) before episode 2 (item 0) */
    recsys_attrs_episodes(&a, recsys_attrs_series(&a, 0), &vals, &n);
    tap_ok(n == 2 && recsys_get_u32(vals) == 1 && recsys_get_u32(vals + 4) == 0
           && recsys_attrs_series(&a, 2) == UINT32_MAX,
           "series Vale: item 1 then item 0; item 2 has none");

    /* availability: 2001-05-01 and 2099-01-01 */
    recsys_attrs_parse_date("2026-01-01", 10, &now);
    tap_is_int(recsys_attrs_epoch(&a, 0.0), 0, "epoch in 1970: 0");
    tap_is_int(recsys_attrs_epoch(&a, now), 1, "epoch in 2026: 1");
    tap_is_int(recsys_attrs_epoch(&a, 5e9), 2, "epoch in 2128: 2");
    tap_is_int(recsys_attrs_epoch(&a, 988675200.0), 1,
               "epoch at 2001-05-01 itself: 1");

    /* item 1 is not available before 2099: it never passes in 2026 */
    t_filter(&a, "", now, "101");
    t_filter(&a, "", 5e9, "111");
    t_filter(&a, "", 0.0, "001");
    t_filter(&a, "year>=1994", now, "101");
    t_filter(&a, "year>1994", now, "001");
    t_filter(&a, "year!=1994", 5e9, "001");
    t_filter(&a, "year=2010.5", now, "001");
    t_filter(&a, "regions~FR|US", now, "101");
    t_filter(&a, "regions~XX", now, "000");
    t_filter(&a, "language=en", now, "100");
    t_filter(&a, "language!=en", 5e9, "010");
    t_filter(&a, "language~fr|en", 5e9, "110");
    t_filter(&a, "available_from<2000-01-01", 5e9, "000");
    t_filter(&a, "available_from>=2001-05-01T00:00Z", 5e9, "110");
    t_filter(&a, "episode<2,series=Vale", 5e9, "010");
    t_filter(&a, "year>1990,regions~DE", now, "100");
    t_filter(&a, "bogus=1", now, NULL);
    t_filter(&a, "regions=FR", now, NULL);
    t_filter(&a, "language<en", now, NULL);
    t_filter(&a, "year~1994", now, NULL);
    t_filter(&a, "year>=x", now, NULL);
    t_filter(&a, "available_from<2001-02-30", now, NULL);
    t_filter(&a, "year>1,", now, NULL);
    t_filter(&a, "regions~FR||US", now, NULL);

    tap_ok(recsys_attrs_open(&a, blob, size - 1, series, ssize, 3, &why)
           == RECSYS_ECORRUPT, "a truncated blob is refused: %s", why);
    tap_ok(recsys_attrs_open(&a, blob, size, series, ssize, 4, &why)
           == RECSYS_ECORRUPT, "a blob of another item count is refused");
    blob[16] = 9;
    tap_ok(recsys_attrs_open(&a, blob, size, series, ssize, 3, &why)
           == RECSYS_ECORRUPT, "an unknown type is refused: %s", why);

    free(blob);
    free(series);
    recsys_itemattr_free(&t);

    return tap_done();
}
