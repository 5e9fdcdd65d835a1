/*
 * recsys_status.c: the phrases behind the engine's status codes.
 */

#include "recsys_status.h"


const char *
recsys_strerror(int status)
{
    switch (status) {
    case RECSYS_OK:
        return "ok";
    case RECSYS_ENOMEM:
        return "out of memory";
    case RECSYS_EIO:
        return "input/output error";
    case RECSYS_EFORMAT:
        return "not a recsys model file";
    case RECSYS_EVERSION:
        return "unsupported model format version";
    case RECSYS_ECORRUPT:
        return "corrupt model file";
    case RECSYS_ELMDB:
        return "LMDB error";
    case RECSYS_ENOTFOUND:
        return "not found";
    case RECSYS_EINVAL:
        return "invalid input";
    case RECSYS_ELIMIT:
        return "size limit exceeded";
    }

    return "unknown error";
}
