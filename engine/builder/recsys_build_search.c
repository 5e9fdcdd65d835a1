/*
 * recsys_build_search.c: the "item.search" blob of recsys_schema.h, the
 * catalogue index that /items searches (serve/recsys_items.h).
 *
 * The catalogue order comes from the "popular" row; each title is stored
 * with its ASCII letters lowercased, and every position of it that starts
 * a UTF-8 character becomes a suffix, flagged where a word starts.  The
 * suffixes are sorted by the title's bytes from there on, so all titles
 * that hold a text are one contiguous range of them.
 */

#include <stdlib.h>
#include <string.h>

#include "recsys_build_search.h"
#include "recsys_items_index.h"
#include "recsys_schema.h"
#include "recsys_status.h"


typedef struct {
    uint32_t  item;
    uint32_t  off;              /* RECSYS_SEARCH_WORD: a word starts */
} recsys_build_suffix_t;


/* the titles the comparator reads (qsort has no context argument) */
static const unsigned char  *recsys_build_search_text;
static const uint32_t       *recsys_build_search_offs;


static const char *
recsys_build_search_title(const recsys_data_t *d, uint32_t item)
{
    if (d->item_title == NULL || d->item_title[item] == NULL) {
        return "";
    }

    return d->item_title[item];
}


static int
recsys_build_search_cmp(const void *a, const void *b)
{
    int                           c;
    size_t                        la, lb;
    const unsigned char          *pa, *pb;
    const recsys_build_suffix_t  *x, *y;

    x = a;
    y = b;

    pa = recsys_build_search_text + recsys_build_search_offs[x->item]
         + (x->off & ~RECSYS_SEARCH_WORD);
    la = recsys_build_search_text + recsys_build_search_offs[x->item + 1]
         - pa;
    pb = recsys_build_search_text + recsys_build_search_offs[y->item]
         + (y->off & ~RECSYS_SEARCH_WORD);
    lb = recsys_build_search_text + recsys_build_search_offs[y->item + 1]
         - pb;

    c = memcmp(pa, pb, la < lb ? la : lb);
    if (c != 0) {
        return c;
    }

    if (la != lb) {
        return la < lb ? -1 : 1;
    }

    if (x->item != y->item) {
        return x->item < y->item ? -1 : 1;
    }

    return x->off < y->off ? -1 : (x->off > y->off);
}


size_t
recsys_build_search_size(const recsys_data_t *d)
{
    size_t    size;
    uint32_t  i;

    size = 16 + ((size_t) d->items.n * 3 + 1) * 4;

    for (i = 0; i < d->items.n; i++) {
        size += strlen(recsys_build_search_title(d, i)) * 9;
    }

    return size;
}


/* rank[] and by_rank[]: the "popular" row, then the rest by index. */
static void
recsys_build_search_order(const recsys_parts_t *parts, uint32_t n,
    uint32_t *rank, uint32_t *by_rank)
{
    uint32_t  i, r, item, n_pop;

    for (i = 0; i < n; i++) {
        rank[i] = UINT32_MAX;
    }

    r = 0;
    n_pop = parts->popular.offsets != NULL ? parts->popular.n_entries : 0;

    for (i = 0; i < n_pop; i++) {
        item = parts->popular.entries[i].item;

        if (item < n && rank[item] == UINT32_MAX) {
            rank[item] = r;
            by_rank[r++] = item;
        }
    }

    for (i = 0; i < n; i++) {
        if (rank[i] == UINT32_MAX) {
            rank[i] = r;
            by_rank[r++] = i;
        }
    }
}


/*
 * Lowercases the titles into text (offs[] their starts) and lists their
 * suffixes into sfx; returns how many.
 */
static uint32_t
recsys_build_search_suffixes(const recsys_data_t *d, unsigned char *text,
    uint32_t *offs, recsys_build_suffix_t *sfx)
{
    size_t                len, k;
    uint32_t              i, n, off;
    const unsigned char  *t;

    off = 0;
    n = 0;

    for (i = 0; i < d->items.n; i++) {
        t = (const unsigned char *) recsys_build_search_title(d, i);
        len = strlen((const char *) t);
        offs[i] = off;

        for (k = 0; k < len; k++) {
            text[off + k] = recsys_items_lower(t[k]);

            if ((t[k] & 0xc0) == 0x80) {
                continue;
            }

            sfx[n].item = i;
            sfx[n].off = (uint32_t) k;

            if (k == 0 || !recsys_items_word_byte(t[k - 1])) {
                sfx[n].off |= RECSYS_SEARCH_WORD;
            }

            n++;
        }

        off += (uint32_t) len;
    }

    offs[d->items.n] = off;

    return n;
}


int
recsys_build_write_search(recsys_writer_t *w, const recsys_data_t *d,
    const recsys_parts_t *parts)
{
    int                     rc;
    size_t                  chars, size;
    uint32_t                i, n, n_sfx, head[4], *rank, *by_rank, *offs;
    unsigned char          *p, *text;
    recsys_build_suffix_t  *sfx;

    n = d->items.n;
    chars = 0;

    for (i = 0; i < n; i++) {
        chars += strlen(recsys_build_search_title(d, i));
    }

    if (chars >= RECSYS_SEARCH_WORD || (uint64_t) n * 3 + chars > UINT32_MAX)
    {
        return RECSYS_ELIMIT;
    }

    rank = malloc(((size_t) n * 3 + 1) * sizeof(uint32_t));
    text = malloc(chars + 1);
    sfx = malloc((chars + 1) * sizeof(recsys_build_suffix_t));

    if (rank == NULL || text == NULL || sfx == NULL) {
        rc = RECSYS_ENOMEM;
        goto done;
    }

    by_rank = rank + n;
    offs = by_rank + n;

    recsys_build_search_order(parts, n, rank, by_rank);
    n_sfx = recsys_build_search_suffixes(d, text, offs, sfx);

    recsys_build_search_text = text;
    recsys_build_search_offs = offs;
    qsort(sfx, n_sfx, sizeof(recsys_build_suffix_t), recsys_build_search_cmp);
    recsys_build_search_text = NULL;
    recsys_build_search_offs = NULL;

    size = sizeof(head) + ((size_t) n * 3 + 1) * 4 + (size_t) n_sfx * 8
           + chars;

    rc = recsys_writer_reserve(w, RECSYS_W_BLOBS, RECSYS_BLOB_ITEM_SEARCH,
                               size, (void **) &p);
    if (rc != RECSYS_OK) {
        goto done;
    }

    head[0] = RECSYS_SEARCH_MAGIC;
    head[1] = n;
    head[2] = (uint32_t) chars;
    head[3] = n_sfx;

    memcpy(p, head, sizeof(head));
    p += sizeof(head);
    memcpy(p, rank, ((size_t) n * 3 + 1) * 4);
    p += ((size_t) n * 3 + 1) * 4;
    memcpy(p, sfx, (size_t) n_sfx * 8);
    p += (size_t) n_sfx * 8;
    memcpy(p, text, chars);

done:

    free(rank);
    free(text);
    free(sfx);

    return rc;
}
