/*
 * recsys_itemcf.h: item-based collaborative filtering.
 */

#ifndef RECSYS_ITEMCF_H
#define RECSYS_ITEMCF_H

#include "recsys_csr.h"
#include "recsys_train.h"


typedef enum {
    RECSYS_SIM_COSINE = 0,      /* raw values */
    RECSYS_SIM_ADJUSTED,        /* values minus the user's mean */
    RECSYS_SIM_PEARSON,         /* minus the item's mean, co-rated users */
    RECSYS_SIM_JACCARD          /* binary: |Ui & Uj| / |Ui | Uj| */
} recsys_sim_t;

typedef struct {
    recsys_sim_t  similarity;
    uint32_t      k;            /* neighbours kept per item */
    float         shrink;       /* sim * c / (c + shrink), c = co-users */
    uint32_t      min_support;  /* pairs with fewer co-users are dropped */
} recsys_itemcf_opts_t;


/* "cosine", "adjusted", "pearson", "jaccard"; -1 if unknown. */
int recsys_sim_parse(const char *name);
const char *recsys_sim_name(recsys_sim_t sim);

/*
 * Top-k neighbours of every item by the chosen similarity over the
 * user-item matrix of t: a csr with a row per item, best first (ties to
 * the smaller item index), positive similarities only.  Runs on all
 * OpenMP threads.
 */
int recsys_itemcf_build(const recsys_train_t *t,
    const recsys_itemcf_opts_t *o, recsys_csr_t *nbrs);

#endif /* RECSYS_ITEMCF_H */
