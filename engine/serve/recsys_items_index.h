/*
 * recsys_items_index.h: the "item.search" blob of recsys_schema.h read in
 * place (the model checks it when it opens, recsys_items.c searches it),
 * and the two byte rules its builder and its reader share.
 */

#ifndef RECSYS_ITEMS_INDEX_H
#define RECSYS_ITEMS_INDEX_H

#include <stddef.h>
#include <stdint.h>


/* The "item.search" blob, validated, read in place. */
typedef struct recsys_items_index_s {
    const unsigned char  *rank;         /* uint32[n_items] */
    const unsigned char  *by_rank;      /* uint32[n_items] */
    const unsigned char  *title_offsets;    /* uint32[n_items + 1] */
    const unsigned char  *suffixes;     /* uint32[n_suffixes][2] */
    const unsigned char  *titles;
    uint32_t              n_items;
    uint32_t              n_chars;
    uint32_t              n_suffixes;
} recsys_items_index_t;


/* ASCII letters lowercased, every other byte as it is. */
static inline unsigned char
recsys_items_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char) (c | 0x20) : c;
}


/* A byte of a word: an ASCII letter or digit, or part of a UTF-8 char. */
static inline int
recsys_items_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c >= 0x80;
}


/*
 * Checks the blob (p, size) of a model with n_items items and points ix
 * into it: RECSYS_OK or RECSYS_ECORRUPT.  Every offset and index is
 * checked, so no query can read outside the blob; the suffixes' order is
 * not (a misordered file gives wrong answers, never a bad read).
 */
int recsys_items_index_view(const void *p, size_t size, uint32_t n_items,
    recsys_items_index_t *ix);

#endif /* RECSYS_ITEMS_INDEX_H */
