/*
 * fuzz_manifest.c: what `recsys-build fetch` reads from an origin: the
 * manifest (recsys_manifest_parse) and the response's header lines
 * (recsys_manifest_etag).  libcurl reads the HTTP framing itself.
 *
 * Feeds: u8 mode, then the rest.  Mode even: the rest as a manifest body,
 * in a buffer of exactly its length.  Mode odd: the rest as one header
 * line, likewise.
 * Asserts: no crash, no sanitizer report; an accepted manifest has a
 * NUL-terminated id of 1..63 printable bytes, 64 lowercase hex digits, a
 * format version and a size from 1, and survives recsys_manifest_dump
 * and a second parse unchanged; an accepted ETag is 1..255 bytes without
 * control bytes.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_manifest.h"
#include "recsys_status.h"


static void
recsys_fuzz_manifest(const char *buf, size_t len)
{
    char               *s, err[256];
    size_t              i, n;
    recsys_manifest_t   m, back;

    if (recsys_manifest_parse(buf, len, &m, err, sizeof(err)) != RECSYS_OK) {
        return;
    }

    n = strlen(m.model_id);
    if (n == 0 || n > RECSYS_MANIFEST_ID_MAX || strlen(m.sha256) != 64
        || m.format_version < 1 || m.size < 1)
    {
        abort();
    }

    for (i = 0; i < 64; i++) {
        if (strchr("0123456789abcdef", m.sha256[i]) == NULL) {
            abort();
        }
    }

    s = recsys_manifest_dump(&m);
    if (s == NULL) {
        return;
    }

    if (recsys_manifest_parse(s, strlen(s), &back, err, sizeof(err))
        != RECSYS_OK || memcmp(&m, &back, sizeof(m)) != 0)
    {
        abort();
    }

    free(s);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char    *buf, etag[RECSYS_MANIFEST_ETAG];
    size_t   i, n;

    if (size < 1) {
        return 0;
    }

    n = size - 1;
    buf = malloc(n > 0 ? n : 1);
    if (buf == NULL) {
        return 0;
    }

    memcpy(buf, data + 1, n);

    if ((data[0] & 1) == 0) {
        recsys_fuzz_manifest(buf, n);

    } else if (recsys_manifest_etag(buf, n, etag)) {
        n = strlen(etag);

        if (n == 0 || n >= RECSYS_MANIFEST_ETAG) {
            abort();
        }

        for (i = 0; i < n; i++) {
            if ((unsigned char) etag[i] < 0x20 || etag[i] == 0x7f) {
                abort();
            }
        }
    }

    free(buf);

    return 0;
}
