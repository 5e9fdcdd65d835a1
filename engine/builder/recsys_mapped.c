/*
 * recsys_mapped.c: finding a file's shared map in /proc/self/maps and
 * dropping its pages from the process.
 */

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>

#include "recsys_mapped.h"


void
recsys_mapped_find(recsys_mapped_t *m, const struct stat *st)
{
    char           *line, perms[8];
    FILE           *f;
    size_t          cap;
    unsigned        major, minor;
    unsigned long   lo, hi, ino;

    m->addr = NULL;
    m->len = 0;

    f = fopen("/proc/self/maps", "r");
    if (f == NULL) {
        return;
    }

    line = NULL;
    cap = 0;

    /* "lo-hi perms offset major:minor inode path" */
    while (getline(&line, &cap, f) != -1) {
        if (sscanf(line, "%lx-%lx %7s %*x %x:%x %lu", &lo, &hi, perms,
                   &major, &minor, &ino) == 6
            && perms[3] == 's' && ino == (unsigned long) st->st_ino
            && makedev(major, minor) == st->st_dev && hi - lo > m->len)
        {
            m->addr = (void *) lo;
            m->len = hi - lo;
        }
    }

    free(line);
    fclose(f);
}


void
recsys_mapped_drop(const recsys_mapped_t *m)
{
    if (m->addr != NULL) {
        (void) madvise(m->addr, m->len, MADV_DONTNEED);
    }
}
