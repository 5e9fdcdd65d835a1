/*
 * recsys_status.c: the one table of the engine's status codes: each code's
 * phrase, and the HTTP status and error name the module answers it with.
 */

#include "recsys_status.h"


static const recsys_status_t  recsys_status_table[] = {
    { RECSYS_OK,        "ok",                               200, "" },
    { RECSYS_ENOMEM,    "out of memory",                    500,
      "internal_error" },
    { RECSYS_EIO,       "input/output error",               500,
      "internal_error" },
    { RECSYS_EFORMAT,   "not a recsys model file",          500,
      "internal_error" },
    { RECSYS_EVERSION,  "unsupported model format version", 500,
      "internal_error" },
    { RECSYS_ECORRUPT,  "corrupt model file",               500,
      "internal_error" },
    { RECSYS_ELMDB,     "LMDB error",                       500,
      "internal_error" },
    { RECSYS_ENOTFOUND, "not found",                        404,
      "not_found" },
    { RECSYS_EINVAL,    "invalid input",                    400,
      "bad_request" },
    { RECSYS_ELIMIT,    "size limit exceeded",              400,
      "bad_request" },
    { RECSYS_EMETHOD,   "method not allowed",               405,
      "method_not_allowed" },
    { RECSYS_ENOMODEL,  "no usable model is loaded",        503,
      "unavailable" },
    { RECSYS_EMEDIA,    "unsupported media type",           415,
      "unsupported_media_type" }
};

static const recsys_status_t  recsys_status_unknown = {
    0, "unknown error", 500, "internal_error"
};


const recsys_status_t *
recsys_status_get(int status)
{
    int  k;

    k = -status;

    if (k < 0
        || k >= (int) (sizeof(recsys_status_table)
                       / sizeof(recsys_status_table[0])))
    {
        return &recsys_status_unknown;
    }

    return &recsys_status_table[k];
}


const char *
recsys_strerror(int status)
{
    return recsys_status_get(status)->phrase;
}
