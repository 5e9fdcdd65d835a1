/*
 * fuzz_shard.c: the files the sharded build's merge and assemble read
 * (recsys_shard.h): a shard's statistics and a part model.
 *
 * Feeds: u8 mode, then
 *   mode & 1 == 0 (merge, P = 2): the rest as stats/shard-0-of-2.json;
 *     stats/shard-1-of-2.json is a valid file and the split files are a
 *     header and two rows; recsys_shard_merge runs over them.
 *   mode & 1 == 1 (assemble, P = 2): the seed model is the items part and
 *     part 1, merged/stats.json names as many users as it has; part 0 is
 *     the rest of the input as raw bytes (mode & 2), or the seed model
 *     with the input's 5-byte edits (u32 offset, u8 value) sealed again
 *     with a valid checksum, so that edits reach LMDB's pages and the
 *     lists; recsys_shard_assemble joins them into a model.
 * Asserts: no crash, no sanitizer report (a leak included), no hang; a
 * model assemble publishes passes recsys_verify_file.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recsys_seal.h"
#include "recsys_shard.h"
#include "recsys_status.h"
#include "recsys_verify.h"

#include "fuzz_common.h"


static char            recsys_fuzz_dir[256];
static unsigned char  *recsys_fuzz_seed;
static unsigned char  *recsys_fuzz_file;
static size_t          recsys_fuzz_size;
static char           *recsys_fuzz_users;      /* merged/stats.json */
static size_t          recsys_fuzz_users_len;


/* The directory, removed at exit. */
static void
recsys_fuzz_cleanup(void)
{
    char  cmd[512];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", recsys_fuzz_dir);
    if (system(cmd) != 0) {
        return;
    }
}


/* dir/name written with n bytes of p. */
static void
recsys_fuzz_put(const char *name, const void *p, size_t n)
{
    char  path[512];

    snprintf(path, sizeof(path), "%s/%s", recsys_fuzz_dir, name);

    if (recsys_fuzz_write(path, p, n) != 0) {
        exit(1);
    }
}


static void
recsys_fuzz_seeds(void)
{
    static const char     stats[] =
        "\x00{\"rows\":2,\"users\":[[\"u1\",1],[\"u3\",1]],"
        "\"items\":[[\"10\",1],[\"x\",1]]}";
    static const uint8_t  edit[] = { 1, 0x00, 0x30, 0, 0, 0x07 };

    recsys_fuzz_seed_out("stats", stats, sizeof(stats) - 1);
    recsys_fuzz_seed_out("unchanged", "\x01", 1);
    recsys_fuzz_seed_out("edit", edit, sizeof(edit));
}


/* The fixed files: the split, the other shard's stats, the users. */
static void
recsys_fuzz_layout(uint32_t n_users)
{
    size_t    len, cap;
    char     *users;
    uint32_t  u;

    static const char  head[] = "user,item,rating\n";
    static const char  one[] = "{\"rows\":1,\"users\":[[\"u2\",1]],"
                               "\"items\":[[\"10\",1]]}";

    recsys_fuzz_put("split/header-of-2.csv", head, sizeof(head) - 1);
    recsys_fuzz_put("split/shard-0-of-2.csv", "user,item,rating\nu1,10,4\n",
                    25);
    recsys_fuzz_put("split/shard-1-of-2.csv", "user,item,rating\nu2,10,3\n",
                    25);
    recsys_fuzz_put("stats/shard-1-of-2.json", one, sizeof(one) - 1);

    /* ids need not be the seed's: they only choose each row's part */
    cap = 64 + (size_t) n_users * 24;
    users = malloc(cap);
    if (users == NULL) {
        exit(1);
    }

    len = (size_t) snprintf(users, cap, "{\"rows\":%u,\"users\":[", n_users);

    for (u = 0; u < n_users; u++) {
        len += (size_t) snprintf(users + len, cap - len, "%s[\"u%u\",1]",
                                 u ? "," : "", u);
    }

    len += (size_t) snprintf(users + len, cap - len, "],\"items\":[]}");
    recsys_fuzz_users = users;
    recsys_fuzz_users_len = len;

    recsys_fuzz_put("items/items-of-2.mdb", recsys_fuzz_seed,
                    recsys_fuzz_size);
    recsys_fuzz_put("parts/part-1-of-2.mdb", recsys_fuzz_seed,
                    recsys_fuzz_size);
}


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char                   sub[512];
    const char            *base;
    const recsys_header_t *h;
    recsys_model_t        *m;
    static const char     *dirs[] = { "split", "stats", "merged", "items",
                                      "parts" };
    size_t                 k;

    (void) argc;
    (void) argv;

    recsys_fuzz_seed = recsys_fuzz_seed_bytes(&recsys_fuzz_size);
    m = recsys_fuzz_seed_model();
    h = recsys_model_header(m);

    if (recsys_fuzz_size <= RECSYS_SEAL_SIZE) {
        exit(1);
    }

    recsys_fuzz_seed_mode(recsys_fuzz_seeds);

    base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(recsys_fuzz_dir, sizeof(recsys_fuzz_dir),
             "%s/fuzz-shard-%ld", base, (long) getpid());

    atexit(recsys_fuzz_cleanup);

    for (k = 0; k < sizeof(dirs) / sizeof(dirs[0]); k++) {
        snprintf(sub, sizeof(sub), "%s/%s", recsys_fuzz_dir, dirs[k]);
        mkdir(recsys_fuzz_dir, 0700);
        mkdir(sub, 0700);
    }

    recsys_fuzz_file = malloc(recsys_fuzz_size);
    if (recsys_fuzz_file == NULL) {
        exit(1);
    }

    recsys_fuzz_layout(h->n_users);
    recsys_model_close(m);

    return 0;
}


/* part 0: raw bytes, or the seed with edits, sealed again */
static void
recsys_fuzz_part(uint32_t mode, recsys_fuzz_in_t *in)
{
    size_t    body, pos;
    uint32_t  off;

    if (mode & 2) {
        recsys_fuzz_put("parts/part-0-of-2.mdb", in->p, in->n);
        return;
    }

    body = recsys_fuzz_size - RECSYS_SEAL_SIZE;
    memcpy(recsys_fuzz_file, recsys_fuzz_seed, body);

    while (in->n >= 5) {
        off = recsys_fuzz_u32(in);
        pos = off % body;
        recsys_fuzz_file[pos] = (unsigned char) recsys_fuzz_u8(in);
    }

    recsys_seal_write(recsys_fuzz_file + body, body,
                      recsys_sum64(recsys_fuzz_file, body));
    recsys_fuzz_put("parts/part-0-of-2.mdb", recsys_fuzz_file,
                    body + RECSYS_SEAL_SIZE);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int               rc;
    char              err[1024], out[512];
    uint32_t          mode;
    recsys_fuzz_in_t  in;

    in.p = data;
    in.n = size;
    mode = recsys_fuzz_u8(&in);
    err[0] = '\0';

    if ((mode & 1) == 0) {
        recsys_fuzz_put("stats/shard-0-of-2.json", in.p, in.n);
        (void) recsys_shard_merge(recsys_fuzz_dir, 2, err, sizeof(err));
        return 0;
    }

    /* the users each row of the lists belongs to (merge rewrites it) */
    recsys_fuzz_put("merged/stats.json", recsys_fuzz_users,
                    recsys_fuzz_users_len);

    recsys_fuzz_part(mode, &in);

    snprintf(out, sizeof(out), "%s/out.mdb", recsys_fuzz_dir);
    rc = recsys_shard_assemble(recsys_fuzz_dir, 2, out, err, sizeof(err));

    if (rc == RECSYS_OK) {
        if (recsys_verify_file(out, err, sizeof(err)) != RECSYS_OK) {
            fprintf(stderr, "fuzz: assembled model fails: %s\n", err);
            abort();
        }
        (void) unlink(out);
    }

    return 0;
}
