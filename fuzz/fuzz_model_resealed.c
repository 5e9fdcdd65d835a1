/*
 * fuzz_model_resealed.c: a real model file, damaged, then sealed again.
 *
 * Feeds: the seed model (RECSYS_FUZZ_MODEL, read once) changed by the
 * fuzzer's bytes, read as
 *     u8 flags; [u32 cut if flags & 1]; then edits of 5 bytes each:
 *     u32 offset (modulo the body's size), u8 value written there;
 * flags & 1 cuts the body to `cut` modulo its size (rounded down to a
 * multiple of 512 when flags & 2); flags & 4 aims each edit at the first
 * 64 bytes of a 4 KiB page (LMDB's page header and node offsets: page
 * offset % pages, byte offset >> 24 % 64) instead of anywhere.  The body gets a valid seal
 * (recsys_seal_write with recsys_sum64 of the body), as a file made to
 * deceive would, and is written to a temporary file, so every input gets
 * past the checksum to recsys_verify's meta page and B-tree walk; a file
 * the walk accepts is opened and used as a server would (fuzz_common.c).
 * Asserts: no crash, no sanitizer report, no hang.
 * With RECSYS_FUZZ_SEED_DIR set it writes seed inputs there and exits.
 */

#include <stdlib.h>
#include <string.h>

#include "recsys_seal.h"
#include "recsys_status.h"
#include "recsys_verify.h"

#include "fuzz_common.h"


static unsigned char  *recsys_fuzz_seed;
static unsigned char  *recsys_fuzz_file;
static size_t          recsys_fuzz_body;


/*
 * No edit; a byte of the second meta page; the second meta page naming
 * twice the page size with a larger transaction id; a cut at a page
 * boundary; two page headers changed.
 */
static void
recsys_fuzz_seeds(void)
{
    static const uint8_t  meta_edit[] = { 0, 0x10, 0, 0, 0, 0xff };
    static const uint8_t  meta_psize[] = { 0, 0x29, 0x10, 0, 0, 0x20,
                                           0x90, 0x10, 0, 0, 0x03 };
    static const uint8_t  cut_page[] = { 3, 0x00, 0x30, 0, 0 };
    static const uint8_t  headers[] = { 4, 2, 0, 0, 0x0a, 0x40,
                                        7, 0, 0, 0x0c, 0x00 };

    recsys_fuzz_seed_out("unchanged", "", 1);
    recsys_fuzz_seed_out("meta-edit", meta_edit, sizeof(meta_edit));
    recsys_fuzz_seed_out("meta-psize", meta_psize, sizeof(meta_psize));
    recsys_fuzz_seed_out("cut-page", cut_page, sizeof(cut_page));
    recsys_fuzz_seed_out("headers", headers, sizeof(headers));
}


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    size_t  n;

    (void) argc;
    (void) argv;

    recsys_fuzz_seed = recsys_fuzz_seed_bytes(&n);

    if (n <= RECSYS_SEAL_SIZE) {
        exit(1);
    }

    recsys_fuzz_body = n - RECSYS_SEAL_SIZE;
    recsys_fuzz_file = malloc(n);

    if (recsys_fuzz_file == NULL) {
        exit(1);
    }

    recsys_fuzz_seed_mode(recsys_fuzz_seeds);

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char              why[512];
    size_t            body, pos;
    uint32_t          flags, off;
    const char       *path;
    recsys_fuzz_in_t  in;

    in.p = data;
    in.n = size;

    body = recsys_fuzz_body;
    memcpy(recsys_fuzz_file, recsys_fuzz_seed, body);

    flags = recsys_fuzz_u8(&in);

    if (flags & 1) {
        body = recsys_fuzz_u32(&in) % body;

        if (flags & 2) {
            body &= ~(size_t) 511;
        }
    }

    while (in.n >= 5 && body > 0) {
        off = recsys_fuzz_u32(&in);

        if ((flags & 4) && body >= 4096) {
            pos = (off % (body / 4096)) * 4096 + (off >> 24) % 64;

        } else {
            pos = off % body;
        }

        recsys_fuzz_file[pos] = (unsigned char) recsys_fuzz_u8(&in);
    }

    recsys_seal_write(recsys_fuzz_file + body, body,
                      recsys_sum64(recsys_fuzz_file, body));

    path = recsys_fuzz_tmp_path(".mdb");

    if (recsys_fuzz_write(path, recsys_fuzz_file, body + RECSYS_SEAL_SIZE)
        != 0)
    {
        return 0;
    }

    if (recsys_verify_file(path, why, sizeof(why)) == RECSYS_OK) {
        recsys_fuzz_use_model(path);
    }

    return 0;
}
