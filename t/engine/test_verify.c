/*
 * test_verify.c: the model file's seal and verification (recsys_seal.c,
 * recsys_verify.c) against damaged copies of a real model.
 *
 * A model with every default source is built by the real pipeline from a
 * generated log (120 users, 90 items, three taste groups).  Then:
 *   - recsys_sum64 gives the same value however its input is cut into
 *     stripe-multiple pieces, and differs when any one byte changes;
 *   - the published file verifies, and its seal is where the format says;
 *   - every cut of the file (each page boundary, and odd offsets) is
 *     refused, and so is every byte of both meta pages or of the seal
 *     changed, and a copy grown by a page: nothing but a clean refusal;
 *   - a copy sealed again whose meta page 1 names twice the page size,
 *     with a larger transaction id (so LMDB would map and read every page
 *     at that size, past the file's end) or a smaller one, is refused;
 *   - copies damaged inside LMDB's branch and leaf pages and then sealed
 *     again (so the checksum passes, as for a file made to deceive): each
 *     is refused by the structural walk, or, if it is accepted, opens as a
 *     model (or is refused by it) and answers lookups of every user and
 *     item without a crash.  Whatever happens, no signal: this binary runs
 *     under ASan/UBSan in `./build.sh test --sanitize`.
 * Prints TAP.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recsys_build.h"
#include "recsys_ingest.h"
#include "recsys_model.h"
#include "recsys_query.h"
#include "recsys_seal.h"
#include "recsys_status.h"
#include "recsys_verify.h"

#include "tap.h"


#define T_USERS  120
#define T_ITEMS  90
#define T_PAGE   4096

/* meta page 1's page size and transaction id (recsys_verify.c) */
#define T_META1_PSIZE  (T_PAGE + 16 + 24)
#define T_META1_TXN    (T_PAGE + 16 + 128)
#define T_META0_TXN    (16 + 128)


/* in memory where there is a tmpfs: thousands of variants are written */
static char  t_dir_shm[] = "/dev/shm/recsys-test-verify-XXXXXX";
static char  t_dir_tmp[] = "/tmp/recsys-test-verify-XXXXXX";


static int
t_write(const char *path, const void *p, size_t n)
{
    FILE  *f;
    int    ok;

    f = fopen(path, "wb");
    if (f == NULL) {
        return -1;
    }

    ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}


static unsigned char *
t_read(const char *path, size_t *n)
{
    FILE           *f;
    long            len;
    unsigned char  *p;

    f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0) {
        return NULL;
    }

    rewind(f);
    p = malloc((size_t) len);

    if (p != NULL && fread(p, 1, (size_t) len, f) != (size_t) len) {
        free(p);
        p = NULL;
    }

    fclose(f);
    *n = (size_t) len;

    return p;
}


/* Users in three groups, each watching its third of the items. */
static int
t_build(const char *log, const char *out)
{
    int                   rc;
    char                  err[512], *buf, *p;
    uint32_t              u, k, i;
    recsys_data_t         d;
    recsys_build_opts_t   o;
    recsys_build_stats_t  stats;

    buf = malloc(T_USERS * 20 * 40 + 64);
    if (buf == NULL) {
        return -1;
    }

    p = buf + sprintf(buf, "userId,itemId,rating,timestamp\n");

    for (u = 0; u < T_USERS; u++) {
        for (k = 0; k < 20; k++) {
            i = (u % 3) * (T_ITEMS / 3) + (u * 7 + k * 5) % (T_ITEMS / 3);
            p += sprintf(p, "u%u,i%u,%u,%u\n", u, i, 1 + (u + k) % 5,
                         1700000000 + u * 100 + k);
        }
    }

    rc = t_write(log, buf, (size_t) (p - buf));
    free(buf);

    if (rc != 0 || recsys_data_init(&d) != RECSYS_OK) {
        return -1;
    }

    recsys_build_defaults(&o);
    o.interactions = log;
    o.model_id = "test-verify";
    o.quiet = 1;

    rc = recsys_ingest_interactions(&d, log, err, sizeof(err));
    if (rc == RECSYS_OK) {
        rc = recsys_ingest_finish(&d, err, sizeof(err));
    }
    if (rc == RECSYS_OK) {
        rc = recsys_build_model(&d, &o, out, &stats, err, sizeof(err));
    }

    recsys_data_free(&d);

    if (rc != RECSYS_OK) {
        printf("# build: %s\n", err);
    }

    return rc;
}


/* Seals body[0 .. n) again in place of its last RECSYS_SEAL_SIZE bytes. */
static void
t_reseal(unsigned char *file, size_t size)
{
    size_t  n;

    n = size - RECSYS_SEAL_SIZE;
    recsys_seal_write(file + n, n, recsys_sum64(file, n));
}


static int
t_verify(const char *path, const unsigned char *p, size_t n)
{
    char  why[512];

    if (t_write(path, p, n) != 0) {
        return 99;
    }

    return recsys_verify_file(path, why, sizeof(why));
}


/* An accepted file opens (or is refused) and answers lookups. */
static void
t_use(const char *path)
{
    char             err[512], id[16];
    uint32_t         k, index;
    recsys_model_t  *m;

    if (recsys_model_open(path, &m, err, sizeof(err)) != RECSYS_OK) {
        return;
    }

    for (k = 0; k < T_USERS; k++) {
        snprintf(id, sizeof(id), "u%u", k);
        (void) recsys_model_user(m, id, strlen(id), &index);
    }

    for (k = 0; k < T_ITEMS; k++) {
        snprintf(id, sizeof(id), "i%u", k);
        (void) recsys_model_item(m, id, strlen(id), &index);
    }

    recsys_model_close(m);
}


/*
 * The model with meta page 1 naming twice the page size, and the larger
 * transaction id given to meta page 1 (later: LMDB would pick it) or to
 * meta page 0, sealed again.  An accepted one is used, as a server would.
 */
static int
t_meta_psize(const char *path, const unsigned char *good, size_t size,
    unsigned char *v, int later)
{
    int       rc;
    uint32_t  psize;
    uint64_t  txn0, txn1, top;

    memcpy(v, good, size);

    psize = 2 * T_PAGE;
    memcpy(v + T_META1_PSIZE, &psize, sizeof(psize));

    memcpy(&txn0, v + T_META0_TXN, sizeof(txn0));
    memcpy(&txn1, v + T_META1_TXN, sizeof(txn1));
    top = (txn0 > txn1 ? txn0 : txn1) + 1;
    memcpy(v + (later ? T_META1_TXN : T_META0_TXN), &top, sizeof(top));

    t_reseal(v, size);
    rc = t_verify(path, v, size);

    if (rc == RECSYS_OK) {
        t_use(path);
    }

    return rc;
}


static void
t_sum(void)
{
    size_t          k, n, cut;
    uint64_t        whole, part;
    unsigned char   buf[1000];
    recsys_sum64_t  s;

    for (k = 0; k < sizeof(buf); k++) {
        buf[k] = (unsigned char) (k * 131 + 7);
    }

    for (n = 0; n <= sizeof(buf); n += 37) {
        whole = recsys_sum64(buf, n);

        for (cut = 0; cut <= n; cut += RECSYS_SUM_STRIPE) {
            recsys_sum64_init(&s);
            recsys_sum64_update(&s, buf, cut);
            recsys_sum64_update(&s, buf + cut, n - cut);
            part = recsys_sum64_final(&s);

            if (part != whole) {
                break;
            }
        }

        tap_ok(cut > n, "sum of %zu bytes is the same in two pieces", n);
    }

    whole = recsys_sum64(buf, sizeof(buf));

    for (k = 0; k < sizeof(buf); k++) {
        buf[k] ^= 1;
        part = recsys_sum64(buf, sizeof(buf));
        buf[k] ^= 1;

        if (part == whole) {
            break;
        }
    }

    tap_ok(k == sizeof(buf), "a flipped bit anywhere changes the sum");
    tap_ok(recsys_sum64(buf, 999) != recsys_sum64(buf, 1000),
           "the length is part of the sum");
}


int
main(void)
{
    int             rc, accepted, refused;
    char           *t_dir, log[256], model[256], var[256];
    size_t          size, off, k, pages, p;
    unsigned char  *good, *v, orig;
    static const unsigned char  vals[] = { 0x00, 0xff, 0x81 };

    t_sum();

    t_dir = mkdtemp(t_dir_shm);
    if (t_dir == NULL) {
        t_dir = mkdtemp(t_dir_tmp);
    }

    if (t_dir == NULL) {
        tap_ok(0, "temporary directory");
        return tap_done();
    }

    snprintf(log, sizeof(log), "%s/log.csv", t_dir);
    snprintf(model, sizeof(model), "%s/model.mdb", t_dir);
    snprintf(var, sizeof(var), "%s/variant.mdb", t_dir);

    tap_is_int(t_build(log, model), RECSYS_OK, "model built");

    size = 0;
    good = t_read(model, &size);
    tap_ok(good != NULL && size > 4 * T_PAGE, "model read (%zu bytes)", size);

    if (good == NULL) {
        return tap_done();
    }

    tap_ok(memcmp(good + size - RECSYS_SEAL_SIZE, RECSYS_SEAL_MAGIC, 8) == 0,
           "the file ends with its seal");
    tap_is_int(t_verify(var, good, size), RECSYS_OK, "the model verifies");

    v = malloc(size + T_PAGE);
    if (v == NULL) {
        return tap_done();
    }

    /* cuts */
    refused = 0;
    for (off = 0, k = 0; off < size; off += off < 3 * T_PAGE ? 509 : T_PAGE,
         k++)
    {
        refused += t_verify(var, good, off) < 0;
    }
    tap_is_int(refused, k, "every cut of the file is refused (%zu)", k);

    /* every byte of both meta pages */
    refused = 0;
    for (off = 0; off < 2 * T_PAGE; off++) {
        memcpy(v, good, size);
        v[off] ^= 0x5a;
        refused += t_verify(var, v, size) < 0;
    }
    tap_is_int(refused, 2 * T_PAGE, "each changed byte of the meta pages is "
               "refused");

    /* every byte of the seal */
    refused = 0;
    for (off = size - RECSYS_SEAL_SIZE; off < size; off++) {
        memcpy(v, good, size);
        v[off] ^= 0x01;
        refused += t_verify(var, v, size) < 0;
    }
    tap_is_int(refused, RECSYS_SEAL_SIZE, "each changed byte of the seal is "
               "refused");

    /* grown by a page of zeros before the seal */
    memcpy(v, good, size - RECSYS_SEAL_SIZE);
    memset(v + size - RECSYS_SEAL_SIZE, 0, T_PAGE);
    memcpy(v + size - RECSYS_SEAL_SIZE + T_PAGE,
           good + size - RECSYS_SEAL_SIZE, RECSYS_SEAL_SIZE);
    tap_ok(t_verify(var, v, size + T_PAGE) < 0, "a grown file is refused");

    /* meta page 1 at another page size */
    tap_is_int(t_meta_psize(var, good, size, v, 1), RECSYS_ECORRUPT,
               "meta page 1 at twice the page size, picked, is refused");
    tap_is_int(t_meta_psize(var, good, size, v, 0), RECSYS_ECORRUPT,
               "meta page 1 at twice the page size, not picked, is refused");

    /* structure damaged and sealed again: refused, or harmless */
    pages = (size - RECSYS_SEAL_SIZE) / T_PAGE;
    accepted = 0;
    refused = 0;

    for (p = 2; p < pages; p++) {
        uint64_t  pgno;
        uint16_t  flags;

        memcpy(&pgno, good + p * T_PAGE, 8);
        memcpy(&flags, good + p * T_PAGE + 10, 2);

        if (pgno != p || !(flags & 0x03)) {
            continue;           /* overflow data: covered by the sum */
        }

        for (off = 0; off < T_PAGE; off += off < 64 ? 1 : 125) {
            for (k = 0; k < sizeof(vals); k++) {
                memcpy(v, good, size);
                orig = v[p * T_PAGE + off];

                if (orig == vals[k]) {
                    continue;
                }

                v[p * T_PAGE + off] = vals[k];
                t_reseal(v, size);
                rc = t_verify(var, v, size);

                if (rc == RECSYS_OK) {
                    accepted++;
                    t_use(var);

                } else {
                    refused++;
                }
            }
        }
    }

    tap_ok(refused > 0, "damaged pages sealed again: %d refused, %d "
           "accepted and used without a crash", refused, accepted);

    unlink(var);
    unlink(model);
    unlink(log);
    rmdir(t_dir);
    free(v);
    free(good);

    return tap_done();
}
