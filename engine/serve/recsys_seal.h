/*
 * recsys_seal: the checksum trailer at the end of every model file.
 *
 * LMDB has no checksums: a flipped byte in a page is read as it is, and a
 * damaged page pointer sends LMDB's B-tree search anywhere.  So the builder
 * ends each file it publishes with a seal, RECSYS_SEAL_SIZE bytes appended
 * after LMDB's last page (LMDB ignores bytes past its last used page):
 *
 *   offset  size  field
 *   0       8     magic "RSYSSEAL"
 *   8       4     seal version (RECSYS_SEAL_VERSION), little-endian
 *   12      4     zero
 *   16      8     body size: the file's size less the seal, little-endian
 *   24      8     recsys_sum64 of the body (bytes 0 .. body size)
 *   32      8     recsys_sum64 of bytes 0 .. 32 of the seal itself
 *   40      24    zero
 *
 * A reader checks the seal (recsys_seal_parse: magic, version, the seal's
 * own sum, the body size against the file's size) and then the body's sum,
 * which it may compute in pieces (recsys_sum64_*) so that a large file is
 * checked without stalling anything else.  recsys_sum64 is this project's
 * 64-bit checksum: four lanes of 64-bit multiply-rotate rounds over 32-byte
 * stripes, then a byte tail and an avalanche, several GB/s on one core.  It
 * detects damage (truncation, flipped or zeroed pages, a file cut and
 * padded); it is no signature: a file made to deceive is stopped by the
 * structural checks of recsys_verify, not by this sum.
 */

#ifndef RECSYS_SEAL_H
#define RECSYS_SEAL_H

#include <stddef.h>
#include <stdint.h>

#define RECSYS_SEAL_SIZE      64
#define RECSYS_SEAL_VERSION   1
#define RECSYS_SEAL_MAGIC     "RSYSSEAL"

/* A running sum; feed it whole multiples of RECSYS_SUM_STRIPE but last. */
#define RECSYS_SUM_STRIPE     32

typedef struct {
    uint64_t  lane[4];
    uint64_t  total;            /* bytes fed so far */
} recsys_sum64_t;

typedef struct {
    uint64_t  body_size;
    uint64_t  body_sum;
} recsys_seal_t;


void recsys_sum64_init(recsys_sum64_t *s);

/*
 * Adds n bytes; n must be a multiple of RECSYS_SUM_STRIPE unless this is
 * the last piece (recsys_sum64_final follows).
 */
void recsys_sum64_update(recsys_sum64_t *s, const void *p, size_t n);
uint64_t recsys_sum64_final(const recsys_sum64_t *s);

/* The sum of one buffer. */
uint64_t recsys_sum64(const void *p, size_t n);

/* The seal of a body of body_size bytes whose sum is body_sum. */
void recsys_seal_write(unsigned char out[RECSYS_SEAL_SIZE],
    uint64_t body_size, uint64_t body_sum);

/*
 * Reads the last RECSYS_SEAL_SIZE bytes of a file of file_size bytes:
 * RECSYS_OK and *seal, or RECSYS_EFORMAT with the reason in why.
 */
int recsys_seal_parse(const unsigned char in[RECSYS_SEAL_SIZE],
    uint64_t file_size, recsys_seal_t *seal, char *why, size_t whylen);

#endif /* RECSYS_SEAL_H */
