/*
 * recsys_source.c: the registry of recommendation sources, the one table
 * of their names, file keys and scoring flags (recsys_source.h).
 */

#include <string.h>

#include "recsys_source.h"


/* an imported slot has stored lists only: its item lists answer item= and
   score a history by neighbours, like itemcf's */
#define RECSYS_IMPORTED_FLAGS                                               \
    (RECSYS_SOURCE_ITEM_BASED | RECSYS_SOURCE_SESSION                       \
     | RECSYS_SOURCE_IMPORTED)

static const recsys_source_t  recsys_source_table[RECSYS_NSRC] = {
    { "itemcf", NULL, "itemcf", NULL,
      RECSYS_SOURCE_ITEM_BASED | RECSYS_SOURCE_SESSION },
    { "usercf", NULL, "usercf", NULL, 0 },
    { "content", NULL, "content", NULL,
      RECSYS_SOURCE_ITEM_BASED | RECSYS_SOURCE_SESSION },
    { "popular", NULL, "popular", NULL, 0 },
    { "trending", NULL, "trending", NULL, 0 },
    { "cluster", NULL, "cluster", NULL, 0 },
    { "assoc", NULL, "assoc", NULL, 0 },
    { "markov", NULL, "markov", NULL,
      RECSYS_SOURCE_ITEM_BASED | RECSYS_SOURCE_SESSION
      | RECSYS_SOURCE_SEQUENCE },
    { "hmm", NULL, "hmm", RECSYS_BLOB_HMM, RECSYS_SOURCE_SEQUENCE },
    { "gru", NULL, "lstm", RECSYS_BLOB_GRU, RECSYS_SOURCE_SEQUENCE },
    { "ease", NULL, "ease", NULL, RECSYS_SOURCE_SESSION },
    { "rp3beta", NULL, "rp3beta", NULL, RECSYS_SOURCE_SESSION },
    { "als", NULL, "als", NULL, 0 },
    { "lstm", NULL, "lstmc", RECSYS_BLOB_LSTM, RECSYS_SOURCE_SEQUENCE },
    { "import1", NULL, "import1", NULL, RECSYS_IMPORTED_FLAGS },
    { "import2", NULL, "import2", NULL, RECSYS_IMPORTED_FLAGS },
    { "import3", NULL, "import3", NULL, RECSYS_IMPORTED_FLAGS }
};


const recsys_source_t *
recsys_source_get(int source)
{
    return source >= 0 && source < RECSYS_NSRC ? &recsys_source_table[source]
                                               : NULL;
}


const char *
recsys_source_name(int source)
{
    return source >= 0 && source < RECSYS_NSRC
           ? recsys_source_table[source].name : "";
}


const char *
recsys_source_key(int source)
{
    return source >= 0 && source < RECSYS_NSRC
           ? recsys_source_table[source].key : "";
}


static int
recsys_source_match(const char *s, const char *name, size_t len)
{
    return s != NULL && strlen(s) == len && memcmp(s, name, len) == 0;
}


int
recsys_source_parse(const char *name, size_t len)
{
    int  k;

    for (k = 0; k < RECSYS_NSRC; k++) {
        if (recsys_source_match(recsys_source_table[k].name, name, len)
            || recsys_source_match(recsys_source_table[k].alias, name, len))
        {
            return k;
        }
    }

    return -1;
}


int
recsys_source_is(int source, unsigned flags)
{
    return source >= 0 && source < RECSYS_NSRC
           && (recsys_source_table[source].flags & flags) == flags;
}


int
recsys_source_import_name_ok(const char *name, size_t len)
{
    size_t  i;

    if (len == 0 || len > RECSYS_IMPORT_NAME_MAX
        || recsys_source_parse(name, len) >= 0
        || recsys_source_match("hybrid", name, len)
        || recsys_source_match("next", name, len))
    {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((name[i] >= 'a' && name[i] <= 'z')
              || (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
        {
            return 0;
        }
    }

    return 1;
}
