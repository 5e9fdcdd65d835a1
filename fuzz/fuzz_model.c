/*
 * fuzz_model.c: a model file of arbitrary bytes.
 *
 * Feeds: the fuzzer's bytes, written as they are to a temporary file (in
 * /dev/shm when it exists).  recsys_verify_file checks the seal, LMDB's
 * meta pages and the B-tree; only a file it accepts is opened with
 * recsys_model_open and used as a server would (id lookups, every list
 * row, a query of each algorithm: fuzz_common.c).
 * Asserts: no crash, no sanitizer report, no hang.  Most inputs stop at
 * the checksum seal; fuzz_model_resealed.c reaches past it.
 */

#include <stddef.h>
#include <stdint.h>

#include "recsys_status.h"
#include "recsys_verify.h"

#include "fuzz_common.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char         why[512];
    const char  *path;

    path = recsys_fuzz_tmp_path(".mdb");

    if (recsys_fuzz_write(path, data, size) != 0) {
        return 0;
    }

    if (recsys_verify_file(path, why, sizeof(why)) == RECSYS_OK) {
        recsys_fuzz_use_model(path);
    }

    return 0;
}
