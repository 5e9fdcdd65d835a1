/*
 * recsys_sha256: SHA-256 digests of streams and files, as lowercase hex,
 * for the manifest that travels beside a published model.
 *
 * The digest itself is OpenSSL's (libcrypto's EVP interface, Debian's
 * libssl-dev): a well-kept implementation with the CPU's SHA extensions,
 * rather than a private one.  t/engine/test_sha256.c checks it against
 * the FIPS 180-2 vectors.
 */

#ifndef RECSYS_SHA256_H
#define RECSYS_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define RECSYS_SHA256_HEX  65          /* 64 hex digits and the NUL */


typedef struct {
    void  *ctx;                        /* EVP_MD_CTX */
} recsys_sha256_t;


/* RECSYS_OK or RECSYS_ENOMEM. */
int recsys_sha256_init(recsys_sha256_t *s);
int recsys_sha256_update(recsys_sha256_t *s, const void *data, size_t len);

/* Writes the digest as 64 lowercase hex digits and frees the context. */
int recsys_sha256_final(recsys_sha256_t *s, char hex[RECSYS_SHA256_HEX]);

/* Frees the context (after a failure; final frees it too). */
void recsys_sha256_free(recsys_sha256_t *s);

/*
 * The digest and the size of the whole file behind fd, read with pread
 * from offset 0 (the descriptor's offset is left alone).  RECSYS_OK, or
 * RECSYS_EIO with errno set, RECSYS_ENOMEM.
 */
int recsys_sha256_fd(int fd, char hex[RECSYS_SHA256_HEX], uint64_t *size);

#endif /* RECSYS_SHA256_H */
