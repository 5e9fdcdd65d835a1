/*
 * recsys_verify: a model file checked before LMDB reads a byte of it.
 *
 * LMDB trusts its file: a page number past the end of a truncated file is
 * a SIGBUS, a damaged branch page a wild read or an endless search.  So a
 * file is opened as a model only after recsys_verify has read it with
 * pread(2) (which reports a short file instead of raising a signal) and
 * found:
 *   - the checksum seal at its end (recsys_seal.h) and the body's sum equal
 *     to the seal's: the file is the one the builder published;
 *   - LMDB's two meta pages readable and naming the same page size, a
 *     power of two LMDB accepts; the one LMDB will pick (the larger
 *     transaction id) naming a last page that lies within the body at
 *     that size;
 *   - every B-tree page reachable from that meta, the main database's and
 *     each named database's, well formed: its page number, type, key count
 *     and every node's offset and sizes inside the page, branch children
 *     and overflow runs inside the file, each page reached once (no cycle,
 *     no sharing), leaves exactly at the depth the database records, no
 *     duplicate-sort data (the builder writes none).
 * The structural walk is what stops a file made to pass the checksum.
 *
 * The work is done in steps of a caller-chosen size so that a server can
 * verify a large file between answers: recsys_verify_open does the cheap
 * checks, recsys_verify_step does at most about budget bytes of reading.
 * recsys_verify_file does everything at once.
 */

#ifndef RECSYS_VERIFY_H
#define RECSYS_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

typedef struct recsys_verify_s  recsys_verify_t;

/* What identifies the file verified: the caller compares it with what it
 * opens afterwards, so a file replaced in between is not taken for it. */
typedef struct {
    dev_t     dev;
    ino_t     ino;
    off_t     size;
    int64_t   mtime_ns;
    int64_t   ctime_ns;
} recsys_verify_id_t;


/*
 * Opens path and checks the seal and the meta pages.  RECSYS_OK and *out
 * (owning an open descriptor), or a negative status with the reason in why.
 */
int recsys_verify_open(const char *path, recsys_verify_t **out, char *why,
    size_t whylen);

/*
 * At most about budget bytes of the remaining work (at least one page).
 * Returns 1 while work remains, RECSYS_OK once the file is verified, a
 * negative status (reason in why) if it is refused.
 */
int recsys_verify_step(recsys_verify_t *v, size_t budget, char *why,
    size_t whylen);

const recsys_verify_id_t *recsys_verify_id(const recsys_verify_t *v);

/* Whether a and b are the same file, unchanged. */
int recsys_verify_same(const recsys_verify_id_t *a,
    const recsys_verify_id_t *b);

/* The identity of an open file, as recsys_verify_id gives it. */
void recsys_verify_stat_id(const struct stat *st, recsys_verify_id_t *id);

void recsys_verify_close(recsys_verify_t *v);

/* Open, all the steps, close. */
int recsys_verify_file(const char *path, char *why, size_t whylen);

#endif /* RECSYS_VERIFY_H */
