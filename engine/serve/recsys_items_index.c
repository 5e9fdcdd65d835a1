/*
 * recsys_items_index.c: the checks of the "item.search" blob
 * (recsys_items_index.h) that make every later read stay inside it.
 */

#include <string.h>

#include "recsys_items_index.h"
#include "recsys_schema.h"
#include "recsys_status.h"


int
recsys_items_index_view(const void *p, size_t size, uint32_t n_items,
    recsys_items_index_t *ix)
{
    uint32_t              head[4], i, r, item, off, from, to;
    uint64_t              need;
    const unsigned char  *b;

    if (size < sizeof(head) || n_items >= RECSYS_SEARCH_WORD) {
        return RECSYS_ECORRUPT;
    }

    memcpy(head, p, sizeof(head));

    if (head[0] != RECSYS_SEARCH_MAGIC || head[1] != n_items) {
        return RECSYS_ECORRUPT;
    }

    need = sizeof(head) + ((uint64_t) n_items * 3 + 1) * 4
           + (uint64_t) head[3] * 8 + head[2];

    if (need != size) {
        return RECSYS_ECORRUPT;
    }

    b = (const unsigned char *) p + sizeof(head);
    ix->n_items = n_items;
    ix->n_chars = head[2];
    ix->n_suffixes = head[3];
    ix->rank = b;
    ix->by_rank = b + (size_t) n_items * 4;
    ix->title_offsets = b + (size_t) n_items * 8;
    ix->suffixes = b + ((size_t) n_items * 3 + 1) * 4;
    ix->titles = ix->suffixes + (size_t) ix->n_suffixes * 8;

    if (recsys_get_u32(ix->title_offsets) != 0
        || recsys_get_u32(ix->title_offsets + (size_t) n_items * 4)
           != ix->n_chars)
    {
        return RECSYS_ECORRUPT;
    }

    for (i = 0; i < n_items; i++) {
        from = recsys_get_u32(ix->title_offsets + (size_t) i * 4);
        to = recsys_get_u32(ix->title_offsets + (size_t) i * 4 + 4);
        item = recsys_get_u32(ix->by_rank + (size_t) i * 4);

        if (from > to || item >= n_items
            || recsys_get_u32(ix->rank + (size_t) item * 4) != i)
        {
            return RECSYS_ECORRUPT;
        }
    }

    for (r = 0; r < ix->n_suffixes; r++) {
        item = recsys_get_u32(ix->suffixes + (size_t) r * 8);
        off = recsys_get_u32(ix->suffixes + (size_t) r * 8 + 4)
              & ~RECSYS_SEARCH_WORD;

        if (item >= n_items
            || off >= recsys_get_u32(ix->title_offsets + (size_t) item * 4
                                     + 4)
                      - recsys_get_u32(ix->title_offsets
                                       + (size_t) item * 4))
        {
            return RECSYS_ECORRUPT;
        }
    }

    return RECSYS_OK;
}
