/*
 * recsys_erase.c: reading the list of users a build leaves out
 * (recsys_erase.h): the whole file at once, then cut into lines; a UTF-8
 * byte order mark at the start is skipped, as the CSV reader skips it.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "recsys_csv.h"
#include "recsys_erase.h"
#include "recsys_status.h"
#include "recsys_text.h"


static char *recsys_erase_slurp(const char *path, size_t *len);


int
recsys_erase_read(recsys_dict_t *set, const char *path, char *err,
    size_t errlen)
{
    int        rc;
    char      *buf, *p, *end, *nl;
    size_t     len, n;
    uint32_t   index;
    unsigned   at;

    errno = 0;
    buf = recsys_erase_slurp(path, &len);
    if (buf == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return RECSYS_EIO;
    }

    rc = RECSYS_OK;
    end = buf + len;
    p = buf + recsys_csv_bom(buf, len);     /* no part of the first id */

    for (at = 1; p < end && rc == RECSYS_OK; p = nl + 1, at++) {
        nl = memchr(p, '\n', (size_t) (end - p));
        nl = nl != NULL ? nl : end;
        n = (size_t) (nl - p) - (nl > p && nl[-1] == '\r');

        if (n == 0) {
            continue;
        }

        if (!recsys_id_valid(p, n)) {
            snprintf(err, errlen, "%s:%u: not a user id (1 to 256 bytes "
                     "of UTF-8)", path, at);
            rc = RECSYS_EINVAL;

        } else if (recsys_dict_intern(set, p, n, &index) != RECSYS_OK) {
            snprintf(err, errlen, "%s:%u: out of memory", path, at);
            rc = RECSYS_ENOMEM;
        }
    }

    free(buf);

    return rc;
}


/* The file's bytes (malloc'd, *len of them), or NULL with errno set. */
static char *
recsys_erase_slurp(const char *path, size_t *len)
{
    int           ok;
    FILE         *f;
    char         *buf;
    struct stat   st;

    f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }

    buf = NULL;
    ok = fstat(fileno(f), &st) == 0
         && (buf = malloc((size_t) st.st_size + 1)) != NULL
         && (*len = fread(buf, 1, (size_t) st.st_size, f))
            == (size_t) st.st_size;

    fclose(f);

    if (ok) {
        return buf;
    }

    errno = errno ? errno : EIO;
    free(buf);

    return NULL;
}
