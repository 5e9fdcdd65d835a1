/*
 * recsys_text.c: id validation and the natural id order.
 */

#include <string.h>

#include "recsys_schema.h"
#include "recsys_text.h"


int
recsys_utf8_valid(const char *s, size_t len)
{
    size_t                i, need;
    uint32_t              cp, min;
    const unsigned char  *p;

    p = (const unsigned char *) s;
    i = 0;

    while (i < len) {
        if (p[i] < 0x80) {
            if (p[i] == 0) {
                return 0;
            }

            i++;
            continue;
        }

        if ((p[i] & 0xe0) == 0xc0) {
            need = 1; cp = p[i] & 0x1f; min = 0x80;

        } else if ((p[i] & 0xf0) == 0xe0) {
            need = 2; cp = p[i] & 0x0f; min = 0x800;

        } else if ((p[i] & 0xf8) == 0xf0) {
            need = 3; cp = p[i] & 0x07; min = 0x10000;

        } else {
            return 0;
        }

        if (len - i <= need) {
            return 0;
        }

        for (i++; need > 0; need--, i++) {
            if ((p[i] & 0xc0) != 0x80) {
                return 0;
            }

            cp = (cp << 6) | (p[i] & 0x3f);
        }

        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }
    }

    return 1;
}


int
recsys_json_plain(const char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if ((unsigned char) p[i] < 0x20) {
            return 0;
        }
    }

    return recsys_utf8_valid(p, len);
}


int
recsys_id_valid(const char *p, size_t len)
{
    return len > 0 && len <= RECSYS_ID_MAX && recsys_utf8_valid(p, len);
}


static int
recsys_id_numeric(const char *p, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return 0;
        }
    }

    return len > 0;
}


int
recsys_id_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int     an, bn, c;
    size_t  n, alen0, blen0;

    an = recsys_id_numeric(a, alen);
    bn = recsys_id_numeric(b, blen);

    if (an != bn) {
        return an ? -1 : 1;
    }

    alen0 = alen;
    blen0 = blen;

    if (an) {
        while (alen > 1 && *a == '0') {
            a++; alen--;
        }

        while (blen > 1 && *b == '0') {
            b++; blen--;
        }

        if (alen != blen) {
            return alen < blen ? -1 : 1;
        }
    }

    n = alen < blen ? alen : blen;
    c = memcmp(a, b, n);

    if (c != 0) {
        return c;
    }

    if (alen != blen) {
        return alen < blen ? -1 : 1;
    }

    /* equal numbers with different zero padding: the shorter id first */
    return alen0 == blen0 ? 0 : (alen0 < blen0 ? -1 : 1);
}
