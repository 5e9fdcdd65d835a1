/*
 * recsys_sha256.c: SHA-256 through libcrypto's EVP interface, and the
 * digest of a whole file.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "recsys_sha256.h"
#include "recsys_status.h"


#define RECSYS_SHA256_CHUNK  (1 << 20)


int
recsys_sha256_init(recsys_sha256_t *s)
{
    s->ctx = EVP_MD_CTX_new();

    if (s->ctx == NULL) {
        return RECSYS_ENOMEM;
    }

    if (EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1) {
        recsys_sha256_free(s);
        return RECSYS_ENOMEM;
    }

    return RECSYS_OK;
}


int
recsys_sha256_update(recsys_sha256_t *s, const void *data, size_t len)
{
    return EVP_DigestUpdate(s->ctx, data, len) == 1 ? RECSYS_OK
                                                    : RECSYS_ENOMEM;
}


int
recsys_sha256_final(recsys_sha256_t *s, char hex[RECSYS_SHA256_HEX])
{
    int            ok;
    unsigned       i, n;
    unsigned char  md[EVP_MAX_MD_SIZE];

    static const char  digits[] = "0123456789abcdef";

    n = 0;
    ok = EVP_DigestFinal_ex(s->ctx, md, &n) == 1 && n == 32;
    recsys_sha256_free(s);

    if (!ok) {
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 0xf];
    }

    hex[64] = '\0';

    return RECSYS_OK;
}


void
recsys_sha256_free(recsys_sha256_t *s)
{
    EVP_MD_CTX_free(s->ctx);
    s->ctx = NULL;
}


int
recsys_sha256_fd(int fd, char hex[RECSYS_SHA256_HEX], uint64_t *size)
{
    int              rc;
    char            *buf;
    off_t            off;
    ssize_t          r;
    recsys_sha256_t  s;

    buf = malloc(RECSYS_SHA256_CHUNK);
    if (buf == NULL) {
        return RECSYS_ENOMEM;
    }

    rc = recsys_sha256_init(&s);
    off = 0;

    while (rc == RECSYS_OK) {
        r = pread(fd, buf, RECSYS_SHA256_CHUNK, off);

        if (r < 0 && errno == EINTR) {
            continue;
        }

        if (r < 0) {
            rc = RECSYS_EIO;
            break;
        }

        if (r == 0) {
            break;
        }

        rc = recsys_sha256_update(&s, buf, (size_t) r);
        off += r;
    }

    free(buf);

    if (rc != RECSYS_OK) {
        recsys_sha256_free(&s);
        return rc;
    }

    *size = (uint64_t) off;

    return recsys_sha256_final(&s, hex);
}
