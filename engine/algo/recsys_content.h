/*
 * recsys_content.h: content-based filtering over item features.
 *
 * Every item gets a sparse TF-IDF vector over three kinds of features:
 *
 *   genres   the catalog's genres (train->item_genres), tf 1; MovieLens's
 *            "(no genres listed)" marker is not a genre;
 *   tags     from a tags file (recsys_content_tags_read()), tf = the
 *            number of rows that put the tag on the item;
 *   words    from the raw catalog title: maximal runs of ASCII letters
 *            and digits and non-ASCII bytes (so UTF-8 letters stay inside
 *            a word), ASCII letters lowercased; when the title ends in a
 *            "(1995)"-style year (four digits in parentheses, then only
 *            white space) that year is not a word; words shorter than 2
 *            bytes are dropped; tf = occurrences in the title.
 *
 * weight(i, f) = kind_weight(f) * tf(i, f) * ln(N / df(f)), N = n_items
 * (every item of the training data, rated or not), df(f) = the items that
 * have f; then each item's vector is scaled to unit L2 norm.  A feature
 * every item has (idf 0) or whose kind has weight 0 is left out.  Items
 * without features have empty vectors and no neighbours.
 *
 * Feature indexes: genres [0, first_tag) in the catalog's genre order,
 * tags [first_tag, first_word) in the tags file's first-seen order, words
 * [first_word, n_features) in first-seen order over the items.
 *
 * Candidates come from an inverted index (feature -> items).  A feature
 * on more than max_posting items contributes candidates only from the
 * first max_posting items of its posting list (highest weight first), but
 * every candidate's score is exact: such features are added by a dense
 * lookup over the candidate's own vector.  So a list may miss an item
 * that shares only very common features with the query; everything
 * listed carries its true cosine.
 */

#ifndef RECSYS_CONTENT_H
#define RECSYS_CONTENT_H

#include <stddef.h>
#include <stdint.h>

#include "recsys_csr.h"
#include "recsys_dict.h"
#include "recsys_ingest.h"
#include "recsys_train.h"


typedef enum {
    RECSYS_CONTENT_GENRE = 0,
    RECSYS_CONTENT_TAG,
    RECSYS_CONTENT_WORD
} recsys_content_kind_t;

/* A tags file reduced to counts: tag names and (tag, count) per item. */
typedef struct {
    recsys_dict_t  names;       /* lowercased, trimmed, first-seen order */
    recsys_csr_t   by_item;     /* row per item: (tag, count) by tag */
    uint64_t       rows;        /* data rows read */
    uint64_t       unknown;     /* of them, skipped: item not in the dict */
} recsys_content_tags_t;

typedef struct {
    float     genre_weight;
    float     tag_weight;
    float     title_weight;
    uint32_t  max_posting;      /* candidate items walked per feature,
                                   0: all */
    uint32_t  neighbors;        /* K: content neighbours per item */
    uint32_t  top;              /* R: per-user list length */
    uint32_t  profile_features; /* a profile keeps its P largest |weight|
                                   features, 0: all */
    float     recency_half_life;
                                /* in interactions, 0: off */
    int       center;           /* explicit ratings: weight r - mean(u) */
} recsys_content_opts_t;

typedef struct {
    uint32_t       n_items;
    uint32_t       n_features;
    uint32_t       first_tag;
    uint32_t       first_word;
    recsys_dict_t  names;       /* feature names, each after a kind byte */
    uint32_t      *df;          /* per feature */
    double        *idf;         /* per feature, 0 when df is 0 */
    recsys_csr_t   items;       /* row per item: (feature, weight), sorted
                                   by feature, unit norm */
    recsys_csr_t   postings;    /* row per feature: (item, weight), weight
                                   desc, then item asc */
} recsys_content_t;


/*
 * Defaults, chosen on ml-latest-small (random 80/20 split per user,
 * precision@10 of the user lists): genre 0.5, tag 1, title 1 (titles
 * carry franchises and sequels; genres alone are too coarse), center on
 * (without it every rated item pulls the profile, liked or not: P@10
 * 0.032 against 0.046), profile_features 0 (cutting to 50..200 only lost
 * precision), recency off (a random split cannot reward it; for
 * time-ordered traffic try a half-life of 20..50), max_posting 1000 (on
 * ml-latest-small the neighbour lists are identical to uncapped ones;
 * the largest posting there, Drama, has 4361 items), neighbors 50,
 * top 100.
 */
extern const recsys_content_opts_t  recsys_content_default;

/*
 * Reads a tags file, CSV or TSV, `user,item,tag[,timestamp]`, with or
 * without a header line (the first record is taken for a header when its
 * item is not in items; such a record would be skipped anyway).  items is
 * the final item dict (after recsys_ingest_finish).  A tag is trimmed of
 * ASCII white space and ASCII-lowercased; rows whose item is not in items
 * are counted and skipped.  Every other row must have 3 or 4 fields, user
 * and item ids of 1 to 256 bytes of UTF-8, a tag of 1 to 256 bytes of
 * UTF-8 after trimming, and an integer timestamp when present; the first
 * that does not stops the read with "PATH:LINE: why" in err.  RECSYS_OK,
 * RECSYS_EINVAL, RECSYS_EIO, RECSYS_ENOMEM.  Free with
 * recsys_content_tags_free() whatever the result.
 */
int recsys_content_tags_read(recsys_content_tags_t *tags,
    const recsys_dict_t *items, const char *path, char *err, size_t errlen);
void recsys_content_tags_free(recsys_content_tags_t *tags);

/*
 * Builds the item vectors and the inverted index.  d gives the raw titles
 * (after recsys_ingest_finish), t the genres and n_items, tags may be
 * NULL.  The kind weights come from o.  RECSYS_OK or RECSYS_ENOMEM; free
 * with recsys_content_free() whatever the result.
 */
int recsys_content_build(recsys_content_t *c, const recsys_data_t *d,
    const recsys_train_t *t, const recsys_content_tags_t *tags,
    const recsys_content_opts_t *o);
void recsys_content_free(recsys_content_t *c);

/* RECSYS_OK with *f, or RECSYS_ENOTFOUND. */
int recsys_content_feature_find(const recsys_content_t *c,
    recsys_content_kind_t kind, const char *name, size_t len, uint32_t *f);

/*
 * Top o->neighbors content neighbours of every item: the cosine of the
 * TF-IDF vectors (their dot product), > 0 only, best first, ties to the
 * smaller item index, the item itself left out; a csr row per item, in
 * the shape of item-CF neighbours so that request-time scoring of an
 * anonymous history (sum over history items of neighbour similarity)
 * runs over it unchanged: every item with features gets up to K
 * neighbours, scores are true cosines in (0, 1], and items nobody rated
 * are neighbours like any other.  Cost per item: the posting lists of
 * its features, each walked over at most max_posting items, plus, when
 * one of them is capped, one pass over each candidate's vector: at most
 * min(n_items, features * max_posting) candidates.  Runs on all OpenMP
 * threads, each with O(n_items + n_features) scratch.  RECSYS_OK,
 * RECSYS_ENOMEM or RECSYS_ELIMIT.
 */
int recsys_content_neighbors(const recsys_content_t *c,
    const recsys_content_opts_t *o, recsys_csr_t *nbrs);

#endif /* RECSYS_CONTENT_H */
