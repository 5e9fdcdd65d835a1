/*
 * fuzz_common.h: what the libFuzzer harnesses of fuzz/ share.
 *
 *   - an input cursor that hands out small integers and byte runs from the
 *     fuzzer's bytes (zeros once they are spent), so a harness reads its
 *     parameters without length checks of its own;
 *   - a request allocator over recsys_arena (data/recsys_arena.h) with a
 *     poisoned red zone after each allocation and over the unused rest of
 *     the block, so that AddressSanitizer sees a scorer write past what it
 *     asked for even though the memory is one block;
 *   - temporary files, one per harness and process, in /dev/shm when it
 *     exists (removed at exit);
 *   - the seed model named by RECSYS_FUZZ_MODEL (a model file that
 *     recsys-build made), read into memory or opened as a model;
 *   - recsys_fuzz_use_model: what a server does with a file it accepted
 *     (open, look up ids, run queries and the other readers of a
 *     request), used by the model harnesses;
 *   - recsys_fuzz_check_result: the bounds every query answer keeps.
 */

#ifndef RECSYS_FUZZ_COMMON_H
#define RECSYS_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_model.h"
#include "recsys_query.h"


typedef struct {
    const uint8_t  *p;
    size_t          n;
} recsys_fuzz_in_t;

uint32_t recsys_fuzz_u8(recsys_fuzz_in_t *in);
uint32_t recsys_fuzz_u16(recsys_fuzz_in_t *in);
uint32_t recsys_fuzz_u32(recsys_fuzz_in_t *in);

/* The next n bytes (fewer when the input is shorter: *got says how many). */
const uint8_t *recsys_fuzz_bytes(recsys_fuzz_in_t *in, size_t n,
    size_t *got);

/* A recsys_alloc_t over one block of size bytes; reset between runs. */
void recsys_fuzz_alloc_init(recsys_alloc_t *a, size_t size);
void recsys_fuzz_alloc_reset(recsys_alloc_t *a);

/* A per-process path for a temporary file whose name ends in suffix. */
const char *recsys_fuzz_tmp_path(const char *suffix);
int recsys_fuzz_write(const char *path, const void *p, size_t n);

/*
 * The seed model (RECSYS_FUZZ_MODEL): its bytes (malloc'd) or the model
 * opened.  Both exit with a message when the variable or the file is
 * missing: a harness that needs it cannot run without it.
 */
unsigned char *recsys_fuzz_seed_bytes(size_t *n);
recsys_model_t *recsys_fuzz_seed_model(void);

/*
 * With RECSYS_FUZZ_SEED_DIR set, recsys_fuzz_seed_mode (called at
 * initialisation) runs write_seeds, which writes each seed input there with
 * recsys_fuzz_seed_out, and exits; otherwise it returns at once.
 */
void recsys_fuzz_seed_mode(void (*write_seeds)(void));
void recsys_fuzz_seed_out(const char *name, const void *p, size_t n);

/*
 * The start of a harness that queries the seed model: *m the seed model
 * (opened first: seeds may read it; with need_search it must have the
 * search index, or the harness exits with a message), then
 * recsys_fuzz_seed_mode, then an arena of size bytes in a.
 */
void recsys_fuzz_start(recsys_model_t **m, void (*write_seeds)(void),
    recsys_alloc_t *a, size_t size, int need_search);

/*
 * The LLVMFuzzerInitialize of a harness that queries the seed model held
 * in its statics recsys_fuzz_m and recsys_fuzz_a, with recsys_fuzz_seeds as
 * its seed writer and a 64 MiB arena.
 */
#define RECSYS_FUZZ_QUERY_INIT(need_search)                                   \
    int                                                                       \
    LLVMFuzzerInitialize(int *argc, char ***argv)                             \
    {                                                                         \
        (void) argc;                                                          \
        (void) argv;                                                          \
        recsys_fuzz_start(&recsys_fuzz_m, recsys_fuzz_seeds, &recsys_fuzz_a,  \
                          64 << 20, need_search);                             \
        return 0;                                                             \
    }

/*
 * Opens the model at path (a file recsys_verify_file accepted) and uses it
 * as a server would: lookups of a few user and item ids and genres, every
 * list row's bounds, the packed models, a few queries, the catalogue
 * search, rating prediction, the attribute filters and series, an
 * overrides file resolved against it, the event types and the genres'
 * meta text.
 */
void recsys_fuzz_use_model(const char *path);

/*
 * Aborts unless res answers q within its bounds: at most n results, each
 * an item of the model (below n_items), none excluded, none hidden by the
 * query's overrides, none twice.
 */
void recsys_fuzz_check_result(const recsys_query_t *q,
    const recsys_result_t *res, uint32_t n_items);

/*
 * The entry points libFuzzer calls: each harness defines TestOneInput,
 * some Initialize too.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* RECSYS_FUZZ_COMMON_H */
