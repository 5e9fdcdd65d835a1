/*
 * recsys_verify.c: checking a model file before LMDB reads it
 * (recsys_verify.h).
 *
 * The LMDB layout read here is LMDB's on-disk format, data version 1 (what
 * liblmdb 0.9 writes on a 64-bit little-endian machine, the only kind
 * recsys_schema.h accepts):
 *   page header, 16 bytes: page number (8), pad (2), flags (2), then
 *     lower and upper free-space bounds (2 + 2) or, for an overflow page,
 *     the run's page count (4); then a branch or leaf page's node offsets,
 *     one 16-bit offset per key from byte 16 to lower;
 *   node, 8 bytes then key then data: lo (2), hi (2), flags (2), key size
 *     (2); a leaf node's data size is lo | hi << 16, a branch node's child
 *     page lo | hi << 16 | flags << 32; F_BIGDATA data is the number of
 *     its overflow run's first page; F_SUBDATA data is a database record;
 *   database record, 48 bytes: pad (4), flags (2), depth (2), branch, leaf
 *     and overflow page counts, entries (8 each), root page (8);
 *   meta page (pages 0 and 1): the header, then magic (4), version (4),
 *     address (8), map size (8), the free and main database records
 *     (48 each; the free one's pad is the page size), last page (8),
 *     transaction id (8).
 * LMDB reads meta page 1 at meta 0's page size, then maps and reads every
 * page at the page size of the meta it picks: so both must name the same
 * one, and the last page must lie in the body at that size.
 * Every field is read with memcpy at a checked offset: nothing here trusts
 * a byte of the file.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recsys_schema.h"
#include "recsys_seal.h"
#include "recsys_status.h"
#include "recsys_verify.h"


#define RECSYS_LMDB_MAGIC        0xBEEFC0DEU
#define RECSYS_LMDB_VERSION      1
#define RECSYS_LMDB_PAGEHDR      16
#define RECSYS_LMDB_NODEHDR      8
#define RECSYS_LMDB_DBREC        48
#define RECSYS_LMDB_META_DBS     24     /* offset of the records in meta */
#define RECSYS_LMDB_META_SIZE    136
#define RECSYS_LMDB_MAX_DEPTH    32     /* LMDB's cursor stack */
#define RECSYS_LMDB_MIN_PSIZE    512
#define RECSYS_LMDB_MAX_PSIZE    32768  /* LMDB 0.9's MAX_PAGESIZE */

#define RECSYS_P_BRANCH          0x01
#define RECSYS_P_LEAF            0x02
#define RECSYS_P_OVERFLOW        0x04
#define RECSYS_P_META            0x08

#define RECSYS_F_BIGDATA         0x01
#define RECSYS_F_SUBDATA         0x02

#define RECSYS_NO_PAGE           ((uint64_t) -1)

#define RECSYS_VERIFY_CHUNK      (1u << 20)


typedef struct {
    uint64_t  pgno;
    uint32_t  depth;            /* of this page, the root being 1 */
    uint32_t  leaf_depth;       /* the database's recorded depth */
    int       main;             /* a page of the main database */
} recsys_verify_frame_t;


struct recsys_verify_s {
    int                     fd;
    recsys_verify_id_t      id;
    recsys_seal_t           seal;
    uint32_t                psize;
    uint64_t                last_pg;
    uint64_t                main_root;
    uint32_t                main_depth;

    /* phase 1: the checksum */
    recsys_sum64_t          sum;
    uint64_t                summed;
    unsigned char          *chunk;

    /* phase 2: the walk */
    int                     walking;
    unsigned char          *page;
    unsigned char          *seen;      /* one bit per page */
    recsys_verify_frame_t  *stack;
    size_t                  n_stack;
    size_t                  cap_stack;
};


static uint64_t
recsys_verify_u64(const unsigned char *p)
{
    uint64_t  v;

    memcpy(&v, p, sizeof(v));
    return v;
}


/* Exactly n bytes at off, or RECSYS_EIO / RECSYS_ECORRUPT (short). */
static int
recsys_verify_read(recsys_verify_t *v, void *buf, size_t n, uint64_t off,
    char *why, size_t whylen)
{
    ssize_t  r;
    size_t   got;

    for (got = 0; got < n; got += (size_t) r) {
        r = pread(v->fd, (char *) buf + got, n - got, (off_t) (off + got));

        if (r < 0) {
            if (errno == EINTR) {
                r = 0;
                continue;
            }

            snprintf(why, whylen, "read at %llu: %s",
                     (unsigned long long) (off + got), strerror(errno));
            return RECSYS_EIO;
        }

        if (r == 0) {
            snprintf(why, whylen, "file ends at %llu, before %llu bytes "
                     "it should hold", (unsigned long long) (off + got),
                     (unsigned long long) (off + n));
            return RECSYS_ECORRUPT;
        }
    }

    return RECSYS_OK;
}


/*
 * The meta page LMDB will pick (the larger transaction id; LMDB itself
 * refuses a file whose two metas lack the magic), both metas naming the
 * same page size, checked against the body size.
 */
static int
recsys_verify_meta(recsys_verify_t *v, char *why, size_t whylen)
{
    int             rc, k, pick;
    uint32_t        psize[2];
    uint64_t        txn[2];
    unsigned char  *m, head[2][RECSYS_LMDB_PAGEHDR + RECSYS_LMDB_META_SIZE];

    rc = recsys_verify_read(v, head[0], sizeof(head[0]), 0, why, whylen);
    if (rc != RECSYS_OK) {
        return rc;
    }

    psize[0] = recsys_get_u32(head[0] + RECSYS_LMDB_PAGEHDR
                                 + RECSYS_LMDB_META_DBS);

    if (psize[0] < RECSYS_LMDB_MIN_PSIZE || psize[0] > RECSYS_LMDB_MAX_PSIZE
        || (psize[0] & (psize[0] - 1)) != 0)
    {
        snprintf(why, whylen, "LMDB page size %u in meta page 0", psize[0]);
        return RECSYS_ECORRUPT;
    }

    if (v->seal.body_size < 2 * (uint64_t) psize[0]) {
        snprintf(why, whylen, "file too short for LMDB's meta pages");
        return RECSYS_ECORRUPT;
    }

    rc = recsys_verify_read(v, head[1], sizeof(head[1]), psize[0], why,
                            whylen);
    if (rc != RECSYS_OK) {
        return rc;
    }

    for (k = 0; k < 2; k++) {
        m = head[k] + RECSYS_LMDB_PAGEHDR;

        if (!(recsys_get_u16(head[k] + 10) & RECSYS_P_META)
            || recsys_get_u32(m) != RECSYS_LMDB_MAGIC
            || recsys_get_u32(m + 4) != RECSYS_LMDB_VERSION)
        {
            snprintf(why, whylen, "LMDB meta page %d is damaged", k);
            return RECSYS_ECORRUPT;
        }

        psize[k] = recsys_get_u32(m + RECSYS_LMDB_META_DBS);
        txn[k] = recsys_verify_u64(m + 128);
    }

    if (psize[1] != psize[0]) {
        snprintf(why, whylen, "LMDB's meta pages differ in page size (%u "
                 "and %u)", psize[0], psize[1]);
        return RECSYS_ECORRUPT;
    }

    pick = txn[0] < txn[1];
    m = head[pick] + RECSYS_LMDB_PAGEHDR;

    v->psize = psize[pick];
    v->last_pg = recsys_verify_u64(m + 120);
    v->main_depth = recsys_get_u16(m + RECSYS_LMDB_META_DBS
                                      + RECSYS_LMDB_DBREC + 6);
    v->main_root = recsys_verify_u64(m + RECSYS_LMDB_META_DBS
                                     + 2 * RECSYS_LMDB_DBREC - 8);

    /* (last_pg + 1) * psize <= the body's size, without overflow */
    if (v->last_pg < 1
        || v->last_pg >= v->seal.body_size / v->psize)
    {
        snprintf(why, whylen, "LMDB's last page %llu lies past the end of "
                 "the file (%llu pages)", (unsigned long long) v->last_pg,
                 (unsigned long long) (v->seal.body_size / v->psize));
        return RECSYS_ECORRUPT;
    }

    if (recsys_get_u16(m + RECSYS_LMDB_META_DBS + RECSYS_LMDB_DBREC + 4)
        != 0)
    {
        snprintf(why, whylen, "LMDB main database flags");
        return RECSYS_ECORRUPT;
    }

    if (v->main_root == RECSYS_NO_PAGE) {
        snprintf(why, whylen, "LMDB file with no databases");
        return RECSYS_EFORMAT;
    }

    return RECSYS_OK;
}


static int
recsys_verify_push(recsys_verify_t *v, uint64_t pgno, uint32_t depth,
    uint32_t leaf_depth, int main, char *why, size_t whylen)
{
    size_t                  cap;
    recsys_verify_frame_t  *s;

    if (pgno < 2 || pgno > v->last_pg) {
        snprintf(why, whylen, "LMDB page %llu out of the file's pages 2 "
                 "to %llu", (unsigned long long) pgno,
                 (unsigned long long) v->last_pg);
        return RECSYS_ECORRUPT;
    }

    if (leaf_depth < 1 || leaf_depth > RECSYS_LMDB_MAX_DEPTH
        || depth > leaf_depth)
    {
        snprintf(why, whylen, "LMDB tree deeper than its recorded depth "
                 "%u at page %llu", leaf_depth, (unsigned long long) pgno);
        return RECSYS_ECORRUPT;
    }

    if (v->n_stack == v->cap_stack) {
        cap = v->cap_stack ? 2 * v->cap_stack : 64;
        s = realloc(v->stack, cap * sizeof(*s));
        if (s == NULL) {
            snprintf(why, whylen, "no memory to verify the file");
            return RECSYS_ENOMEM;
        }
        v->stack = s;
        v->cap_stack = cap;
    }

    v->stack[v->n_stack].pgno = pgno;
    v->stack[v->n_stack].depth = depth;
    v->stack[v->n_stack].leaf_depth = leaf_depth;
    v->stack[v->n_stack].main = main;
    v->n_stack++;

    return RECSYS_OK;
}


/* Marks pages [pgno, pgno + n) as reached; each may be reached once. */
static int
recsys_verify_mark(recsys_verify_t *v, uint64_t pgno, uint64_t n,
    char *why, size_t whylen)
{
    uint64_t  p;

    if (n == 0 || pgno < 2 || pgno > v->last_pg
        || n > v->last_pg - pgno + 1)
    {
        snprintf(why, whylen, "LMDB pages %llu+%llu out of the file",
                 (unsigned long long) pgno, (unsigned long long) n);
        return RECSYS_ECORRUPT;
    }

    for (p = pgno; p < pgno + n; p++) {
        if (v->seen[p >> 3] & (1u << (p & 7))) {
            snprintf(why, whylen, "LMDB page %llu is reached twice",
                     (unsigned long long) p);
            return RECSYS_ECORRUPT;
        }

        v->seen[p >> 3] |= (unsigned char) (1u << (p & 7));
    }

    return RECSYS_OK;
}


/* A leaf node's F_BIGDATA value: its overflow run lies in the file. */
static int
recsys_verify_overflow(recsys_verify_t *v, uint64_t pgno, uint64_t dsize,
    char *why, size_t whylen)
{
    int            rc;
    uint32_t       n;
    unsigned char  h[RECSYS_LMDB_PAGEHDR];

    if (pgno < 2 || pgno > v->last_pg) {
        snprintf(why, whylen, "LMDB overflow page %llu out of the file",
                 (unsigned long long) pgno);
        return RECSYS_ECORRUPT;
    }

    rc = recsys_verify_read(v, h, sizeof(h), pgno * v->psize, why, whylen);
    if (rc != RECSYS_OK) {
        return rc;
    }

    n = recsys_get_u32(h + 12);

    if (recsys_verify_u64(h) != pgno
        || !(recsys_get_u16(h + 10) & RECSYS_P_OVERFLOW)
        || dsize > (uint64_t) n * v->psize - RECSYS_LMDB_PAGEHDR)
    {
        snprintf(why, whylen, "LMDB overflow page %llu is damaged",
                 (unsigned long long) pgno);
        return RECSYS_ECORRUPT;
    }

    return recsys_verify_mark(v, pgno, n, why, whylen);
}


/* A named database's record, found in a leaf of the main database. */
static int
recsys_verify_subdb(recsys_verify_t *v, const unsigned char *rec, char *why,
    size_t whylen)
{
    uint16_t  depth;
    uint64_t  root;

    depth = recsys_get_u16(rec + 6);
    root = recsys_verify_u64(rec + RECSYS_LMDB_DBREC - 8);

    /* the builder's databases have no flags: another key order or
     * duplicate-sort data would change how LMDB reads every page */
    if (recsys_get_u16(rec + 4) != 0) {
        snprintf(why, whylen, "LMDB database flags %#x",
                 recsys_get_u16(rec + 4));
        return RECSYS_ECORRUPT;
    }

    if (root == RECSYS_NO_PAGE) {
        return RECSYS_OK;
    }

    return recsys_verify_push(v, root, 1, depth, 0, why, whylen);
}


/* One node of a branch or leaf page. */
static int
recsys_verify_node(recsys_verify_t *v, const recsys_verify_frame_t *f,
    int branch, const unsigned char *node, size_t room, char *why,
    size_t whylen)
{
    uint16_t              flags, ksize;
    uint64_t              dsize;
    const unsigned char  *data;

    flags = recsys_get_u16(node + 4);
    ksize = recsys_get_u16(node + 6);

    if ((size_t) RECSYS_LMDB_NODEHDR + ksize > room) {
        snprintf(why, whylen, "LMDB key overruns page %llu",
                 (unsigned long long) f->pgno);
        return RECSYS_ECORRUPT;
    }

    if (branch) {
        return recsys_verify_push(v, (uint64_t) recsys_get_u16(node)
                                  | (uint64_t) recsys_get_u16(node + 2)
                                    << 16
                                  | (uint64_t) flags << 32,
                                  f->depth + 1, f->leaf_depth, f->main,
                                  why, whylen);
    }

    dsize = (uint64_t) recsys_get_u16(node)
            | (uint64_t) recsys_get_u16(node + 2) << 16;
    data = node + RECSYS_LMDB_NODEHDR + ksize;
    room -= RECSYS_LMDB_NODEHDR + ksize;

    if (flags & ~(RECSYS_F_BIGDATA | RECSYS_F_SUBDATA)
        || (flags & RECSYS_F_SUBDATA && (!f->main || flags & RECSYS_F_BIGDATA
                                         || dsize != RECSYS_LMDB_DBREC)))
    {
        snprintf(why, whylen, "LMDB node flags %#x on page %llu", flags,
                 (unsigned long long) f->pgno);
        return RECSYS_ECORRUPT;
    }

    if (flags & RECSYS_F_BIGDATA) {
        if (room < 8) {
            snprintf(why, whylen, "LMDB node overruns page %llu",
                     (unsigned long long) f->pgno);
            return RECSYS_ECORRUPT;
        }

        return recsys_verify_overflow(v, recsys_verify_u64(data), dsize,
                                      why, whylen);
    }

    if (dsize > room) {
        snprintf(why, whylen, "LMDB value overruns page %llu",
                 (unsigned long long) f->pgno);
        return RECSYS_ECORRUPT;
    }

    if (flags & RECSYS_F_SUBDATA) {
        return recsys_verify_subdb(v, data, why, whylen);
    }

    return RECSYS_OK;
}


/* The page on top of the stack: read, checked, its children pushed. */
static int
recsys_verify_page(recsys_verify_t *v, char *why, size_t whylen)
{
    int                    rc, branch;
    uint16_t               flags, lower, upper, off;
    uint32_t               i, n;
    recsys_verify_frame_t  f;

    f = v->stack[--v->n_stack];

    rc = recsys_verify_mark(v, f.pgno, 1, why, whylen);
    if (rc != RECSYS_OK) {
        return rc;
    }

    rc = recsys_verify_read(v, v->page, v->psize, f.pgno * v->psize, why,
                            whylen);
    if (rc != RECSYS_OK) {
        return rc;
    }

    flags = recsys_get_u16(v->page + 10);
    lower = recsys_get_u16(v->page + 12);
    upper = recsys_get_u16(v->page + 14);
    branch = f.depth < f.leaf_depth;

    if (recsys_verify_u64(v->page) != f.pgno
        || (flags & (RECSYS_P_BRANCH | RECSYS_P_LEAF | RECSYS_P_OVERFLOW
                     | RECSYS_P_META | 0x20 | 0x40))
           != (branch ? RECSYS_P_BRANCH : RECSYS_P_LEAF)
        || lower < RECSYS_LMDB_PAGEHDR || lower > upper || upper > v->psize
        || (lower - RECSYS_LMDB_PAGEHDR) % 2 != 0)
    {
        snprintf(why, whylen, "LMDB %s page %llu is damaged",
                 branch ? "branch" : "leaf", (unsigned long long) f.pgno);
        return RECSYS_ECORRUPT;
    }

    n = (lower - RECSYS_LMDB_PAGEHDR) / 2;

    if (n == 0 && (branch || f.depth > 1)) {
        snprintf(why, whylen, "LMDB page %llu has no keys",
                 (unsigned long long) f.pgno);
        return RECSYS_ECORRUPT;
    }

    for (i = 0; i < n; i++) {
        off = recsys_get_u16(v->page + RECSYS_LMDB_PAGEHDR + 2 * i);

        if (off < upper || off % 2 != 0
            || (size_t) off + RECSYS_LMDB_NODEHDR > v->psize)
        {
            snprintf(why, whylen, "LMDB node %u of page %llu is out of its "
                     "page", i, (unsigned long long) f.pgno);
            return RECSYS_ECORRUPT;
        }

        rc = recsys_verify_node(v, &f, branch, v->page + off,
                                v->psize - off, why, whylen);
        if (rc != RECSYS_OK) {
            return rc;
        }
    }

    return RECSYS_OK;
}


int
recsys_verify_open(const char *path, recsys_verify_t **out, char *why,
    size_t whylen)
{
    int               rc;
    struct stat       st;
    unsigned char     tail[RECSYS_SEAL_SIZE];
    recsys_verify_t  *v;

    *out = NULL;

    v = calloc(1, sizeof(*v));
    if (v == NULL) {
        snprintf(why, whylen, "no memory to verify the file");
        return RECSYS_ENOMEM;
    }

    /* O_NONBLOCK: a FIFO at the path must not block the open; a regular
     * file, the only kind read below, ignores the flag */
    v->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

    if (v->fd == -1 || fstat(v->fd, &st) != 0) {
        snprintf(why, whylen, "open: %s", strerror(errno));
        recsys_verify_close(v);
        return RECSYS_EIO;
    }

    recsys_verify_stat_id(&st, &v->id);

    if (!S_ISREG(st.st_mode) || st.st_size < 3 * RECSYS_SEAL_SIZE) {
        snprintf(why, whylen, "not a model file (%s, %lld bytes)",
                 S_ISREG(st.st_mode) ? "regular file" : "not a regular file",
                 (long long) st.st_size);
        recsys_verify_close(v);
        return RECSYS_EFORMAT;
    }

    rc = recsys_verify_read(v, tail, sizeof(tail),
                            (uint64_t) st.st_size - RECSYS_SEAL_SIZE, why,
                            whylen);
    if (rc == RECSYS_OK) {
        rc = recsys_seal_parse(tail, (uint64_t) st.st_size, &v->seal, why,
                               whylen);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_verify_meta(v, why, whylen);
    }

    if (rc != RECSYS_OK) {
        recsys_verify_close(v);
        return rc;
    }

    recsys_sum64_init(&v->sum);
    *out = v;

    return RECSYS_OK;
}


/* Up to budget bytes of the body's checksum; the sum is compared at the
 * end. */
static int
recsys_verify_sum_step(recsys_verify_t *v, size_t budget, char *why,
    size_t whylen)
{
    int       rc;
    size_t    n;
    uint64_t  left;

    if (v->chunk == NULL) {
        v->chunk = malloc(RECSYS_VERIFY_CHUNK);
        if (v->chunk == NULL) {
            snprintf(why, whylen, "no memory to verify the file");
            return RECSYS_ENOMEM;
        }
    }

    do {
        left = v->seal.body_size - v->summed;
        n = left < RECSYS_VERIFY_CHUNK ? (size_t) left : RECSYS_VERIFY_CHUNK;

        rc = recsys_verify_read(v, v->chunk, n, v->summed, why, whylen);
        if (rc != RECSYS_OK) {
            return rc;
        }

        recsys_sum64_update(&v->sum, v->chunk, n);
        v->summed += n;
        budget = budget > n ? budget - n : 0;

    } while (budget > 0 && v->summed < v->seal.body_size);

    if (v->summed < v->seal.body_size) {
        return 1;
    }

    if (recsys_sum64_final(&v->sum) != v->seal.body_sum) {
        snprintf(why, whylen, "checksum mismatch: the file is damaged");
        return RECSYS_ECORRUPT;
    }

    return RECSYS_OK;
}


int
recsys_verify_step(recsys_verify_t *v, size_t budget, char *why,
    size_t whylen)
{
    int  rc;

    if (!v->walking) {
        rc = recsys_verify_sum_step(v, budget, why, whylen);
        if (rc != RECSYS_OK) {
            return rc;
        }

        v->walking = 1;
        v->page = malloc(v->psize);
        v->seen = calloc((size_t) (v->last_pg / 8 + 1), 1);

        if (v->page == NULL || v->seen == NULL) {
            snprintf(why, whylen, "no memory to verify the file");
            return RECSYS_ENOMEM;
        }

        /* pages 0 and 1 are the metas; the free list is not read by a
         * read-only LMDB environment and is left alone */
        v->seen[0] |= 3;

        rc = recsys_verify_push(v, v->main_root, 1, v->main_depth, 1, why,
                                whylen);
        if (rc != RECSYS_OK) {
            return rc;
        }

        return 1;
    }

    while (v->n_stack > 0) {
        rc = recsys_verify_page(v, why, whylen);
        if (rc != RECSYS_OK) {
            return rc;
        }

        if (budget <= v->psize) {
            return v->n_stack > 0 ? 1 : RECSYS_OK;
        }

        budget -= v->psize;
    }

    return RECSYS_OK;
}


const recsys_verify_id_t *
recsys_verify_id(const recsys_verify_t *v)
{
    return &v->id;
}


int
recsys_verify_same(const recsys_verify_id_t *a, const recsys_verify_id_t *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size
           && a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}


void
recsys_verify_stat_id(const struct stat *st, recsys_verify_id_t *id)
{
    memset(id, 0, sizeof(*id));
    id->dev = st->st_dev;
    id->ino = st->st_ino;
    id->size = st->st_size;
    id->mtime_ns = (int64_t) st->st_mtim.tv_sec * 1000000000
                   + st->st_mtim.tv_nsec;
    id->ctime_ns = (int64_t) st->st_ctim.tv_sec * 1000000000
                   + st->st_ctim.tv_nsec;
}


void
recsys_verify_close(recsys_verify_t *v)
{
    if (v == NULL) {
        return;
    }

    if (v->fd != -1) {
        close(v->fd);
    }

    free(v->chunk);
    free(v->page);
    free(v->seen);
    free(v->stack);
    free(v);
}


int
recsys_verify_file(const char *path, char *why, size_t whylen)
{
    int               rc;
    recsys_verify_t  *v;

    rc = recsys_verify_open(path, &v, why, whylen);

    while (rc == RECSYS_OK || rc == 1) {
        rc = recsys_verify_step(v, (size_t) -1, why, whylen);

        if (rc == RECSYS_OK) {
            break;
        }
    }

    recsys_verify_close(v);

    return rc;
}
