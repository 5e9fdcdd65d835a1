/*
 * recsys_seq: the sequence scorers' shared filter (recsys_seq.h).
 */

#include <string.h>

#include "recsys_seq.h"
#include "recsys_status.h"


int
recsys_seq_head(const void *packed, size_t size, void *head,
    size_t head_size, uint32_t magic)
{
    uint32_t  m;

    if (packed == NULL || size < head_size || head_size < sizeof(m)) {
        return RECSYS_EFORMAT;
    }

    memcpy(head, packed, head_size);
    memcpy(&m, packed, sizeof(m));

    return m == magic ? RECSYS_OK : RECSYS_EFORMAT;
}


int
recsys_seq_filter(recsys_filter_t *f, recsys_itemset_t *skip,
    recsys_row_t seen, const uint32_t *exclude, uint32_t n_exclude,
    recsys_alloc_t *a)
{
    uint32_t  j;

    f->seen = seen;
    f->skip = NULL;
    f->item_genres = NULL;
    f->genres = NULL;
    f->n_genres = 0;
    f->attrs = NULL;
    f->overrides = NULL;

    if (n_exclude > RECSYS_SEQ_MAX_EXCLUDE) {
        return RECSYS_ELIMIT;
    }

    if (exclude == NULL || n_exclude == 0) {
        return RECSYS_OK;
    }

    if (recsys_itemset_init(skip, n_exclude, a) != RECSYS_OK) {
        return RECSYS_ENOMEM;
    }

    for (j = 0; j < n_exclude; j++) {
        recsys_itemset_add(skip, exclude[j]);
    }

    f->skip = skip;

    return RECSYS_OK;
}


int
recsys_seq_start(int view_rc, uint32_t need, recsys_filter_t *f,
    recsys_itemset_t *skip, recsys_row_t seen, const uint32_t *exclude,
    uint32_t n_exclude, recsys_alloc_t *a, uint32_t *n_out, int *rc)
{
    *n_out = 0;
    *rc = view_rc;

    if (view_rc != RECSYS_OK || need == 0) {
        return 0;
    }

    *rc = recsys_seq_filter(f, skip, seen, exclude, n_exclude, a);

    return *rc == RECSYS_OK;
}
