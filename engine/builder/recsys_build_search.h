/*
 * recsys_build_search.h: writing the "item.search" blob (the catalogue
 * index of /items, recsys_schema.h).
 */

#ifndef RECSYS_BUILD_SEARCH_H
#define RECSYS_BUILD_SEARCH_H

#include <stddef.h>

#include "recsys_build_parts.h"
#include "recsys_ingest.h"
#include "recsys_writer.h"


/* An upper bound of the blob's bytes, for the map size. */
size_t recsys_build_search_size(const recsys_data_t *d);

/*
 * Writes the blob from the titles of d and the "popular" row of parts:
 * RECSYS_OK, RECSYS_ENOMEM, RECSYS_ELIMIT (titles over 2 GB) or the
 * writer's status.
 */
int recsys_build_write_search(recsys_writer_t *w, const recsys_data_t *d,
    const recsys_parts_t *parts);

#endif /* RECSYS_BUILD_SEARCH_H */
