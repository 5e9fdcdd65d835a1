/*
 * recsys_gen.h: the deterministic synthetic entertainment data set.
 *
 * recsys_gen_run() writes a catalogue, an interaction log and tags with
 * planted structure (taste segments over genres, Zipf popularity, series
 * watched in episode order, bundles watched together, noise users), and
 * the plan itself as ground truth for tests.  The same options give the
 * same bytes on every run.  Files written under out_dir, all CSV with a
 * header line and LF line ends:
 *
 *   items.csv           itemId,title,genres       ids v00001.., titles
 *                                                 RFC 4180 quoted when
 *                                                 needed, genres "A|B"
 *   interactions.csv    userId,itemId,rating,timestamp
 *                                                 ids u00001.., rating
 *                                                 1..5, Unix seconds in
 *                                                 2024..2025; grouped by
 *                                                 user in id order, each
 *                                                 user's rows in strictly
 *                                                 increasing time
 *   tags.csv            userId,itemId,tag,timestamp
 *   truth/segments.csv  userId,segment            0..segments-1, -1 noise
 *   truth/bundles.csv   bundle,items              0-based, items "a|b|c"
 *   truth/series.csv    series,position,itemId    0-based, position 1..
 */

#ifndef RECSYS_GEN_H
#define RECSYS_GEN_H

#include <stddef.h>
#include <stdint.h>

/* noise_users value meaning "2% of users, rounded down", the default */
#define RECSYS_GEN_NOISE_AUTO  UINT32_MAX
/* series and bundles: 20 and 15 in a catalogue of 1,500 items or more,
   as many per item below that (rounded down) */
#define RECSYS_GEN_SCALED      UINT32_MAX
#define RECSYS_GEN_SCALE_ITEMS 1500

#define RECSYS_GEN_MAX_USERS     100000000u
#define RECSYS_GEN_MAX_ITEMS     10000000u
#define RECSYS_GEN_MAX_SEGMENTS  12


typedef struct {
    const char  *out_dir;      /* created if missing (last component) */
    uint32_t     users;        /* default 2000 */
    uint32_t     items;        /* default 1500 */
    uint64_t     events;       /* target number of interaction rows,
                                  default 60000 */
    uint64_t     seed;         /* default 42 */
    uint32_t     segments;     /* planted taste segments, 1..12,
                                  default 6 */
    uint32_t     series;       /* planted series (episodic shows),
                                  default RECSYS_GEN_SCALED (20) */
    uint32_t     series_len;   /* episodes per series, default 8 */
    uint32_t     bundles;      /* planted bundles (items watched
                                  together), default RECSYS_GEN_SCALED
                                  (15) */
    uint32_t     bundle_size;  /* items per bundle, default 3 */
    uint32_t     noise_users;  /* users with uniformly random behaviour,
                                  default RECSYS_GEN_NOISE_AUTO */
} recsys_gen_opts_t;


/* Fills o with the defaults above; out_dir is left NULL. */
extern const recsys_gen_opts_t  recsys_gen_default;

/*
 * Writes the data set into o->out_dir.  Returns RECSYS_OK, or RECSYS_EINVAL
 * for options out of range (message "option: why"), RECSYS_EIO for a failed
 * mkdir, open or write (message "path: why"), RECSYS_ENOMEM.  err may be
 * NULL.  On failure files already written are left in place.
 *
 * Limits: users 1..RECSYS_GEN_MAX_USERS; items up to RECSYS_GEN_MAX_ITEMS
 * and at least max(20, 4 * segments) more than the series and bundle
 * items; series_len 1..1000 and bundle_size 2..100 when used; noise_users
 * up to users.  Every user gets at least 5 rows and at most half the
 * regular (non-series, non-bundle) items, so the row count is about
 * max(events, 5 * users), a little more when bundles outgrow a light
 * user's share, less when heavy users hit that cap.  Memory is
 * O(users + items) plus two 1 MiB write buffers; rows are streamed.
 */
int recsys_gen_run(const recsys_gen_opts_t *o, char *err, size_t errlen);

#endif /* RECSYS_GEN_H */
