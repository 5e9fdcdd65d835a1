/*
 * file_fixture.h: files for the engine's unit tests: a fresh temporary
 * directory, a whole file read into memory.  Header-only, static inline.
 */

#ifndef FILE_FIXTURE_H
#define FILE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>


/* A fresh directory /tmp/NAME.XXXXXX, its path in dir; bails out if not. */
static inline void
t_mkdtemp(char *dir, size_t size, const char *name)
{
    snprintf(dir, size, "/tmp/%s.XXXXXX", name);

    if (mkdtemp(dir) == NULL) {
        printf("Bail out! mkdtemp failed\n");
        exit(1);
    }
}

/*
 * The file at path in a malloc'd buffer with a NUL after its bytes, and
 * its length in *len unless len is NULL; NULL when it cannot be read.
 */
static inline char *
t_read_file(const char *path, size_t *len)
{
    char  *buf;
    long   n;
    FILE  *fp;

    fp = fopen(path, "rb");
    if (fp == NULL) {
        return NULL;
    }

    if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0
        || fseek(fp, 0, SEEK_SET) != 0)
    {
        fclose(fp);
        return NULL;
    }

    buf = malloc((size_t) n + 1);
    if (buf != NULL && fread(buf, 1, (size_t) n, fp) != (size_t) n) {
        free(buf);
        buf = NULL;
    }

    fclose(fp);

    if (buf != NULL) {
        buf[n] = '\0';
        if (len != NULL) {
            *len = (size_t) n;
        }
    }

    return buf;
}

#endif /* FILE_FIXTURE_H */
