/*
 * recsys_erase.h: the users a build leaves out (recsys-build build
 * --erase FILE): a file of user ids, one a line, read into a set that the
 * ingest consults (recsys_data_t.erase), so that their rows never reach
 * the model and they are unknown users of the next model.
 */

#ifndef RECSYS_ERASE_H
#define RECSYS_ERASE_H

#include <stddef.h>

#include "recsys_dict.h"


/*
 * Reads path into set (initialised by the caller): one id a line, a
 * leading UTF-8 byte order mark and a trailing "\r" dropped, empty lines
 * skipped, each line 1 to 256 bytes of UTF-8.  RECSYS_OK, or a status
 * with "FILE:LINE: why" in err.
 */
int recsys_erase_read(recsys_dict_t *set, const char *path, char *err,
    size_t errlen);

#endif /* RECSYS_ERASE_H */
