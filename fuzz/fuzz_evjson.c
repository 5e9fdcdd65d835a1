/*
 * fuzz_evjson.c: the event body reader (engine/serve/recsys_evjson.c)
 * that POST /event runs on every body.
 *
 * Feeds: u8 max (the events allowed, 0..255), then the rest as the body,
 * in a buffer of exactly its length (and an output buffer of exactly that
 * length too, so AddressSanitizer sees any overrun of either).
 * Asserts: no crash, no sanitizer report; RECSYS_OK or RECSYS_EINVAL; a
 * refusal has a message and no events; an accepted body has 1..max
 * events, each with an item that recsys_id_valid accepts, a type of 1 to
 * RECSYS_EVJSON_TYPE_MAX bytes of UTF-8, a user that is absent or whose
 * user_valid says what recsys_id_valid does,
 * a ts of -1 or within 0..RECSYS_EVJSON_TS_MAX, and every string inside
 * the output buffer.
 */

#include <stdlib.h>
#include <string.h>

#include "recsys_evjson.h"
#include "recsys_status.h"
#include "recsys_text.h"


static void
recsys_fuzz_inside(const char *buf, size_t len, const char *s, size_t n)
{
    if (s < buf || s + n > buf + len) {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                     rc;
    char                   *body, *buf;
    size_t                  max, n, k, len;
    const char             *why;
    recsys_evjson_event_t  *ev;

    if (size < 1) {
        return 0;
    }

    max = data[0];
    len = size - 1;

    body = malloc(len + 1);
    buf = malloc(len + 1);
    ev = malloc((max + 1) * sizeof(recsys_evjson_event_t));

    if (body == NULL || buf == NULL || ev == NULL) {
        abort();
    }

    memcpy(body, data + 1, len);
    why = NULL;

    rc = recsys_evjson_parse(body, len, buf, ev, max, &n, &why);

    if (rc != RECSYS_OK) {
        if (rc != RECSYS_EINVAL || why == NULL || n != 0) {
            abort();
        }

    } else {
        if (n < 1 || n > max) {
            abort();
        }

        for (k = 0; k < n; k++) {
            recsys_fuzz_inside(buf, len, ev[k].item, ev[k].item_len);
            recsys_fuzz_inside(buf, len, ev[k].type, ev[k].type_len);

            if (!recsys_id_valid(ev[k].item, ev[k].item_len)
                || ev[k].type_len < 1
                || ev[k].type_len > RECSYS_EVJSON_TYPE_MAX
                || !recsys_utf8_valid(ev[k].type, ev[k].type_len)
                || ev[k].ts < -1 || ev[k].ts > RECSYS_EVJSON_TS_MAX)
            {
                abort();
            }

            if (ev[k].user != NULL) {
                recsys_fuzz_inside(buf, len, ev[k].user, ev[k].user_len);

                if (!ev[k].user_seen
                    || !ev[k].user_valid
                       != !recsys_id_valid(ev[k].user, ev[k].user_len))
                {
                    abort();
                }
            }
        }
    }

    free(body);
    free(buf);
    free(ev);

    return 0;
}
