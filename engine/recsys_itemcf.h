/*
 * recsys_itemcf.h: item-based collaborative filtering (cosine).
 */

#ifndef RECSYS_ITEMCF_H
#define RECSYS_ITEMCF_H

#include "recsys_csr.h"

/*
 * Top-k cosine neighbours of every item.  by_user: row per user, entries
 * (item, value); by_item: its transpose, entries (user, value).  Writes a
 * csr with a row per item, best first (ties to the smaller item index),
 * positive similarities only.  Runs on all OpenMP threads.
 */
int recsys_itemcf_cosine(const recsys_csr_t *by_user,
    const recsys_csr_t *by_item, uint32_t k, recsys_csr_t *nbrs);

#endif /* RECSYS_ITEMCF_H */
