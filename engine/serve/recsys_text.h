/*
 * recsys_text.h: rules for external ids shared by builder and module.
 *
 * An id is 1 to RECSYS_ID_MAX bytes of valid UTF-8 without NUL, compared
 * byte for byte.  Internal indexes follow the ids' natural order: ids made
 * only of decimal digits first, by numeric value, then all other ids,
 * bytewise.  That order is every ranking's tie-break, so "equal scores go
 * to the smaller item id" holds for numeric catalogs such as MovieLens.
 */

#ifndef RECSYS_TEXT_H
#define RECSYS_TEXT_H

#include <stddef.h>


/* 1 if p[0..len) is valid UTF-8 (no overlongs, no surrogates) without NUL. */
int recsys_utf8_valid(const char *p, size_t len);

/*
 * 1 if p[0..len) may be copied into JSON text as it is, as far as bytes
 * go: valid UTF-8 and no control character (below 0x20) raw.
 */
int recsys_json_plain(const char *p, size_t len);

/* 1 if the id is acceptable: length in range and recsys_utf8_valid. */
int recsys_id_valid(const char *p, size_t len);

/* <0, 0, >0 in the natural id order described above. */
int recsys_id_cmp(const char *a, size_t alen, const char *b, size_t blen);

#endif /* RECSYS_TEXT_H */
