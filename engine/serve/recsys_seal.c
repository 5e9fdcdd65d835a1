/*
 * recsys_seal.c: the model file's checksum and its trailer (recsys_seal.h).
 *
 * recsys_sum64 reads its input as little-endian 64-bit words whatever the
 * host, so a file sealed on one machine checks on any other.  Each of the
 * four lanes takes every fourth word of a 32-byte stripe:
 *     lane = rotl(lane + word * K2, 31) * K1
 * which keeps four independent multiply chains in flight.  The final value
 * folds the lanes, the total length and the tail (words, then bytes) and
 * ends with an avalanche, so a change anywhere moves every bit.
 */

#include <stdio.h>
#include <string.h>

#include "recsys_seal.h"
#include "recsys_status.h"


#define RECSYS_SUM_K1  0x9e3779b185ebca87ULL
#define RECSYS_SUM_K2  0xc2b2ae3d27d4eb4fULL
#define RECSYS_SUM_K3  0x165667b19e3779f9ULL
#define RECSYS_SUM_K4  0x85ebca77c2b2ae63ULL


static uint64_t
recsys_sum_rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}


static uint64_t
recsys_sum_le64(const unsigned char *p)
{
    return (uint64_t) p[0] | (uint64_t) p[1] << 8 | (uint64_t) p[2] << 16
           | (uint64_t) p[3] << 24 | (uint64_t) p[4] << 32
           | (uint64_t) p[5] << 40 | (uint64_t) p[6] << 48
           | (uint64_t) p[7] << 56;
}


static void
recsys_sum_put_le64(unsigned char *p, uint64_t v)
{
    int  i;

    for (i = 0; i < 8; i++) {
        p[i] = (unsigned char) (v >> (8 * i));
    }
}


static uint64_t
recsys_sum_round(uint64_t lane, uint64_t word)
{
    return recsys_sum_rotl(lane + word * RECSYS_SUM_K2, 31) * RECSYS_SUM_K1;
}


void
recsys_sum64_init(recsys_sum64_t *s)
{
    s->lane[0] = RECSYS_SUM_K1 + RECSYS_SUM_K2;
    s->lane[1] = RECSYS_SUM_K2;
    s->lane[2] = 0;
    s->lane[3] = 0 - RECSYS_SUM_K1;
    s->total = 0;
}


void
recsys_sum64_update(recsys_sum64_t *s, const void *p, size_t n)
{
    uint64_t              l0, l1, l2, l3;
    const unsigned char  *b, *end;

    b = p;
    end = b + (n - n % RECSYS_SUM_STRIPE);
    l0 = s->lane[0];
    l1 = s->lane[1];
    l2 = s->lane[2];
    l3 = s->lane[3];

    for ( /* void */ ; b < end; b += RECSYS_SUM_STRIPE) {
        l0 = recsys_sum_round(l0, recsys_sum_le64(b));
        l1 = recsys_sum_round(l1, recsys_sum_le64(b + 8));
        l2 = recsys_sum_round(l2, recsys_sum_le64(b + 16));
        l3 = recsys_sum_round(l3, recsys_sum_le64(b + 24));
    }

    s->lane[0] = l0;
    s->lane[1] = l1;
    s->lane[2] = l2;
    s->lane[3] = l3;
    s->total += n - n % RECSYS_SUM_STRIPE;

    /* a tail shorter than a stripe is folded into the lanes as words and
     * bytes; only the last piece may have one */
    n %= RECSYS_SUM_STRIPE;

    for ( /* void */ ; n >= 8; n -= 8, b += 8) {
        s->lane[0] = recsys_sum_round(s->lane[0] ^ s->lane[1],
                                      recsys_sum_le64(b));
    }

    for ( /* void */ ; n > 0; n--, b++) {
        s->lane[1] = recsys_sum_rotl(s->lane[1] ^ (*b * RECSYS_SUM_K3), 11)
                     * RECSYS_SUM_K1;
    }

    s->total += (size_t) (b - end);
}


uint64_t
recsys_sum64_final(const recsys_sum64_t *s)
{
    uint64_t  h;

    h = recsys_sum_rotl(s->lane[0], 1) + recsys_sum_rotl(s->lane[1], 7)
        + recsys_sum_rotl(s->lane[2], 12) + recsys_sum_rotl(s->lane[3], 18);
    h = (h ^ recsys_sum_round(0, s->lane[0])) * RECSYS_SUM_K1 + RECSYS_SUM_K4;
    h = (h ^ recsys_sum_round(0, s->lane[2])) * RECSYS_SUM_K1 + RECSYS_SUM_K4;
    h += s->total;

    h ^= h >> 33;
    h *= RECSYS_SUM_K2;
    h ^= h >> 29;
    h *= RECSYS_SUM_K3;
    h ^= h >> 32;

    return h;
}


uint64_t
recsys_sum64(const void *p, size_t n)
{
    recsys_sum64_t  s;

    recsys_sum64_init(&s);
    recsys_sum64_update(&s, p, n);

    return recsys_sum64_final(&s);
}


void
recsys_seal_write(unsigned char out[RECSYS_SEAL_SIZE], uint64_t body_size,
    uint64_t body_sum)
{
    memset(out, 0, RECSYS_SEAL_SIZE);
    memcpy(out, RECSYS_SEAL_MAGIC, 8);
    out[8] = RECSYS_SEAL_VERSION;
    recsys_sum_put_le64(out + 16, body_size);
    recsys_sum_put_le64(out + 24, body_sum);
    recsys_sum_put_le64(out + 32, recsys_sum64(out, 32));
}


static int
recsys_seal_zero(const unsigned char *p, size_t n)
{
    while (n-- > 0) {
        if (*p++ != 0) {
            return 0;
        }
    }

    return 1;
}


int
recsys_seal_parse(const unsigned char in[RECSYS_SEAL_SIZE],
    uint64_t file_size, recsys_seal_t *seal, char *why, size_t whylen)
{
    uint32_t  version;

    if (memcmp(in, RECSYS_SEAL_MAGIC, 8) != 0) {
        snprintf(why, whylen, "no checksum seal at the end of the file "
                 "(cut short, or written by an older recsys-build)");
        return RECSYS_EFORMAT;
    }

    version = (uint32_t) in[8] | (uint32_t) in[9] << 8
              | (uint32_t) in[10] << 16 | (uint32_t) in[11] << 24;

    if (version != RECSYS_SEAL_VERSION) {
        snprintf(why, whylen, "checksum seal version %u, this reader "
                 "knows %u", version, RECSYS_SEAL_VERSION);
        return RECSYS_EFORMAT;
    }

    if (recsys_sum_le64(in + 32) != recsys_sum64(in, 32)
        || !recsys_seal_zero(in + 12, 4) || !recsys_seal_zero(in + 40, 24))
    {
        snprintf(why, whylen, "damaged checksum seal");
        return RECSYS_ECORRUPT;
    }

    seal->body_size = recsys_sum_le64(in + 16);
    seal->body_sum = recsys_sum_le64(in + 24);

    if (seal->body_size != file_size - RECSYS_SEAL_SIZE) {
        snprintf(why, whylen, "file is %llu bytes, its seal says %llu "
                 "(truncated or extended)",
                 (unsigned long long) file_size,
                 (unsigned long long) (seal->body_size + RECSYS_SEAL_SIZE));
        return RECSYS_ECORRUPT;
    }

    return RECSYS_OK;
}
