/*
 * recsys_manifest: the small JSON file published beside each model, which
 * lets a copy of the model on another host be checked before it is used.
 *
 *   MODEL.manifest.json
 *   {"model_id":"20261206T101500Z-3f9a","format_version":2,
 *    "size":123456,"sha256":"<64 hex digits>","build_time":1796552100}
 *
 * The builder writes it after the model is renamed into place (both
 * atomically: a temporary file, fsync, rename, fsync of the directory);
 * `recsys-build fetch` reads it from an origin, refuses a format newer
 * than it reads before downloading anything, and checks the size and the
 * digest of what it downloads.  Unknown members are ignored, so a newer
 * builder may add some.
 */

#ifndef RECSYS_MANIFEST_H
#define RECSYS_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_sha256.h"

#define RECSYS_MANIFEST_SUFFIX  ".manifest.json"
#define RECSYS_MANIFEST_MAX     4096    /* bytes a manifest may take */
#define RECSYS_MANIFEST_ID_MAX  63      /* bytes of a model id */
#define RECSYS_MANIFEST_ETAG    256     /* room for an ETag value */


typedef struct {
    char      model_id[RECSYS_MANIFEST_ID_MAX + 1];
    int       format_version;
    uint64_t  size;
    char      sha256[RECSYS_SHA256_HEX];
    int64_t   build_time;
} recsys_manifest_t;


/*
 * Reads a manifest from buf (len bytes, not NUL-terminated): RECSYS_OK, or
 * RECSYS_EINVAL with the reason in err.  Every field is required: a model
 * id of 1..63 printable ASCII bytes, a format version from 1, a size from
 * 1 to 2^48, 64 lowercase hex digits, a build time from 0.
 */
int recsys_manifest_parse(const char *buf, size_t len, recsys_manifest_t *m,
    char *err, size_t errlen);

/* The manifest as one line of JSON and a newline (malloc'd), or NULL. */
char *recsys_manifest_dump(const recsys_manifest_t *m);

/*
 * Describes the model file open at fd (its size and digest; the id, the
 * build time and this builder's format version from the caller) and
 * publishes the manifest beside model_path.  RECSYS_OK, or a status with
 * the reason in err.
 */
int recsys_manifest_publish(int fd, const char *model_path,
    const char *model_id, int64_t build_time, char *err, size_t errlen);

/*
 * Replaces path with data atomically: "<path>.tmp.<pid>", written,
 * fsync'd, renamed over path, and the directory fsync'd.  With later, the
 * new file's modification time is made at least a whole second after the
 * replaced file's (the ETag a static server derives from size and mtime
 * then changes even for two publishes within a second).  RECSYS_OK, or
 * RECSYS_EIO with errno set.
 */
int recsys_manifest_put_file(const char *path, const void *data,
    size_t len, int later);

/*
 * If the header line (len bytes, as an HTTP response carries it, CRLF
 * and all) is an ETag header, copies its value (at most
 * RECSYS_MANIFEST_ETAG - 1 bytes, quotes and W/ kept, no control bytes)
 * to out and returns 1; 0 for any other or a malformed line.
 */
int recsys_manifest_etag(const char *line, size_t len,
    char out[RECSYS_MANIFEST_ETAG]);

#endif /* RECSYS_MANIFEST_H */
