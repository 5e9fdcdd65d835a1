/*
 * recsys_build_parts.h: what the builder computes before writing a model.
 *
 * One field per blob of the model file (recsys_schema.h): the pipeline
 * (recsys_build.c) fills them, the writer (recsys_build_write.c) stores the
 * ones that are present (n_rows > 0).  Types only: no function here.
 */

#ifndef RECSYS_BUILD_PARTS_H
#define RECSYS_BUILD_PARTS_H

#include <stddef.h>

#include "recsys_arena.h"
#include "recsys_csr.h"
#include "recsys_schema.h"
#include "recsys_train.h"


typedef struct {
    recsys_train_t   train;         /* by_user is the "seen" list */
    int              borrowed;      /* train belongs to the caller */
    recsys_csr_t     hist;          /* by user, newest first */
    recsys_csr_t     popular;       /* one row */
    recsys_csr_t     trending;      /* one row */
    recsys_csr_t     nbrs[RECSYS_NSRC];     /* item-to-item lists */
    recsys_csr_t     recs[RECSYS_NSRC];     /* per-user lists */
    recsys_csr_t     hybrid;        /* per-user default blend */
    recsys_csr_t     session;       /* per-item blend for sessions */
    recsys_csr_t     session_scales;    /* one row: (source, its scale) */
    recsys_csr_t     weights;       /* one row: (source, weight) */
    recsys_csr_t     user_nbrs;
    recsys_csr_t     user_segment;
    recsys_csr_t     segment_top;
    recsys_csr_t     user_mean;     /* row per user: (0, mean) */
    recsys_csr_t     item_mean;     /* row per item: (0, mean) */
    recsys_csr_t     value_range;   /* (0, mean), (1, min), (2, max) */
    recsys_csr_t     segment_genres;    /* row per segment: top genres */
    void            *packed[RECSYS_NSRC];  /* by source: the packed models
                                               of recsys_source.h */
    size_t           packed_size[RECSYS_NSRC];
    unsigned char   *rules;         /* packed rules (recsys_rules_read.h) */
    size_t           rules_size;
    uint32_t         n_rules;
    uint32_t         n_segments;
    uint32_t         sources;       /* 1 << source for each present */
    unsigned char   *mine;          /* per user: 1 when a users task of
                                       the sharded build scores its lists
                                       (its rows are in the shard), or
                                       NULL (--user-shard by index) */
    float            w[RECSYS_NSRC];
} recsys_parts_t;


#endif /* RECSYS_BUILD_PARTS_H */
