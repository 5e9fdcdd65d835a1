/*
 * recsys_schema.h: the one definition of the model file format.
 *
 * A model is one immutable LMDB environment in a single file (MDB_NOSUBDIR).
 * The builder writes it under a temporary name, syncs it and renames it over
 * the published path; readers open it MDB_RDONLY | MDB_NOLOCK | MDB_NOSUBDIR.
 *
 * Named databases (all keys and values are byte strings):
 *
 *   "meta"   key "header"    -> recsys_header_t (fixed size, see below)
 *            key "model_id"  -> ASCII model id, e.g. "20261128T235900Z-3f9a"
 *            key "params"    -> JSON object text: the builder's parameters
 *            key "stats"     -> JSON object text: counts and timings
 *
 *   "users"  key external user id (1..256 bytes, raw) -> uint32 user index
 *   "items"  key external item id (1..256 bytes, raw) -> uint32 item index
 *
 *   "blobs"  key blob name -> one packed array, read in place from the map.
 *            Lists (see below) and their rows:
 *
 *     "item.records"        table, row per item: the item's rendered JSON
 *     "item.hash"           optional: from an external id to its index
 *     "user.hash"           without a B-tree search (the "items"/"users"
 *                           databases say the same): uint32 magic
 *                           (RECSYS_HASH_MAGIC), uint32 n_slots (a power
 *                           of two, more than twice the ids), uint32 n_ids,
 *                           uint32 slots[n_slots] (index, RECSYS_HASH_EMPTY:
 *                           none), uint32 key_offsets[n_ids + 1], the ids'
 *                           bytes; probed linearly from recsys_id_hash(id)
 *                           & (n_slots - 1), a slot holds the id when its
 *                           index's bytes are equal
 *     "genre.names"         table, row per genre: the genre's name (raw)
 *     "popular"             one row: items by popularity, best first,
 *                           score = share of users who interacted
 *     "trending"            one row: items by time-decayed popularity
 *     "item.genres"         row per item: (genre index, 1)
 *     "item.nbrs.<src>"     row per item: that source's item-to-item list,
 *                           best first (itemcf: cosine neighbours; content:
 *                           TF-IDF neighbours; markov: next-item
 *                           probabilities); request-time scoring of a
 *                           history walks these rows
 *     "user.hist"           row per user: recent history, newest first,
 *                           score = the interaction's weight
 *     "user.seen"           row per user: every item the user has seen,
 *                           sorted by item index, score = value
 *     "user.recs.<src>"     row per user: the source's precomputed top list,
 *                           best first, seen items excluded
 *     "user.recs.hybrid"    row per user: the default blend, the same way
 *     "item.session"        row per item: the item-to-item sources of the
 *                           default blend (itemcf, content, ease, rp3beta)
 *                           in one row, sum of c_s x that source's score,
 *                           best first (optional: an anonymous session
 *                           with the default blend is scored over it; not
 *                           written when one source is blended, whose own
 *                           "item.nbrs.<src>" rows then serve)
 *     "session.scales"      one row: (source, c_s), c_s = the source's
 *                           weight / the mean of its rows' best scores
 *     "hybrid.weights"      one row: (source, weight), the default blend
 *     "user.nbrs"           row per user: (user, similarity), user-CF
 *     "user.segment"        row per user: zero or one (segment, 1) entry
 *     "segment.top"         row per segment: (item, share), best first
 *     "segment.genres"      row per segment: (genre, profile weight), best
 *     "packed.rules"        association rules, the layout of
 *                           recsys_rules_read.h (validated there)
 *     "packed.hmm"          the hidden Markov model (recsys_hmm.h)
 *     "packed.lstm"         the recurrent next-item model, a GRU
 *                           (recsys_gru.h)
 *     "packed.lstmc"        the recurrent next-item model with an LSTM
 *                           cell (recsys_lstm.h)
 *     "user.mean"           row per user: one entry (0, mean value)
 *     "item.mean"           row per item: one entry (0, mean value)
 *     "value.range"         one row: (0, global mean), (1, min), (2, max)
 *     "import.names"        optional table, RECSYS_NIMPORT rows: the name
 *                           each imported source slot (recsys-build import)
 *                           is served under, algo=<name> and w_<name>, the
 *                           name's bytes and a NUL; an empty row: the slot
 *                           is unused.  A name is 1 to 28 bytes of [a-z0-9_]
 *                           and no registry name.  The slot's lists are
 *                           "user.recs.import<k>" and "item.nbrs.import<k>"
 *                           (k = 1 .. RECSYS_NIMPORT), like any source's
 *     "user.explain"        optional table, row per user: what explain=1
 *                           answers for the first entries of the user's
 *                           "user.recs.hybrid" row, one record per entry
 *                           in that order (see below); the table head's
 *                           `reserved` holds the explain_history the
 *                           records were computed with
 *     "item.search"         optional: the catalogue search of /items
 *                           (recsys_items.h), layout below
 *
 *     "item.attrs"          optional: the catalog's other columns, typed
 *                           (recsys_attrs.h); the layout below
 *     "item.series"         optional, with a "series" attribute: uint32
 *                           magic (RECSYS_SERIES_MAGIC), uint32 n_series
 *                           (the series attribute's dictionary size),
 *                           uint32 n_entries, uint32 reserved, uint32
 *                           offsets[n_series + 1], uint32 items[n_entries]:
 *                           each series' items by (season, episode)
 *
 *   <src> is a source's key in the registry of recsys_source.c, its
 *   canonical name except for the GRU, whose lists and packed model keep
 *   the key "lstm" (the source is named "gru"), and for the LSTM (source
 *   "lstm"), whose lists and packed model have the key "lstmc": a file
 *   written before the LSTM existed keeps its GRU under "lstm", and reads
 *   the same; the LSTM is a new optional source, so the format version
 *   stays.  Optional blobs are simply
 *   absent; the header's `sources` bits say which sources the model has.
 *
 * Every multi-byte number is stored in the writer's native byte order; the
 * header's endian probe lets a reader on another byte order refuse the file.
 * LMDB aligns values to 2 bytes only, so readers decode numbers with memcpy
 * (recsys_get_u32 and friends), never through cast pointers.
 *
 * list blob:   recsys_list_head_t
 *              uint32 offsets[n_rows + 1]       entry index of each row start
 *              recsys_entry_t entries[n_entries] (8 bytes each)
 *
 * table blob:  recsys_table_head_t
 *              uint32 offsets[n_rows + 1]       byte offset into data
 *              uint8  data[data_size]
 *   an item record at data[offsets[i]] .. data[offsets[i + 1]]:
 *              uint16 ext_len, uint16 id_json_len,
 *              ext id bytes, id JSON ("242" with quotes, escaped),
 *              meta JSON fragment ("title":"...","genres":[...]) to the end
 *
 * an explanation record in a "user.explain" row (4-byte words):
 *              uint32 item, uint16 sources (bit s: source s has a part),
 *              uint16 n_because, float part[popcount(sources)] in source
 *              order, uint32 because[n_because] (history items, the
 *              largest credit first); a row may hold fewer records than
 *              the hybrid row has entries, an empty row holds none
 *
 * the "item.search" blob (4-byte words, then bytes):
 *              uint32 magic (RECSYS_SEARCH_MAGIC), n_items, n_chars,
 *              n_suffixes,
 *              uint32 rank[n_items]       the item's place in the
 *                                         catalogue order: the "popular"
 *                                         row's order, then the items it
 *                                         lacks by index
 *              uint32 by_rank[n_items]    the item at each place
 *              uint32 title_offsets[n_items + 1]  into titles
 *              uint32 suffixes[n_suffixes][2]: (item, offset), offset in
 *                                         the item's title, its top bit
 *                                         (RECSYS_SEARCH_WORD) set where a
 *                                         word starts; one per title byte
 *                                         that starts a UTF-8 character,
 *                                         sorted by the title's bytes from
 *                                         there to its end (a prefix
 *                                         first), then item, then offset
 *              uint8  titles[n_chars]     each title, ASCII letters
 *                                         lowercased; an item without one
 *                                         has an empty title
 *   a word starts at offset 0 and after any byte that is neither an ASCII
 *   letter or digit nor part of a multi-byte character
 *
 * the "item.attrs" blob:
 *              uint32 magic (RECSYS_ATTRS_MAGIC), n_attrs, n_items, n_times
 *              n_attrs descriptors of 6 uint32: type (RECSYS_ATTR_* of
 *              recsys_attrs.h), name_off, name_len, data_off, data_len,
 *              n_dict (offsets from the blob's start)
 *              double times[n_times]: every available_from and
 *              available_until value, increasing (the ETag's epoch)
 *              the data of each attribute:
 *              number, date: double[n_items], NaN where an item has none
 *                            (dates: Unix seconds, UTC)
 *              string, list: uint32 dict_offs[n_dict + 1],
 *                            uint32 item_offs[n_items + 1],
 *                            uint32 vals[item_offs[n_items]] (each item's
 *                            dictionary indexes, increasing; a string has
 *                            at most one), the dictionary's bytes (distinct
 *                            values in byte order)
 *
 * A change to anything here that a reader of the same version would misread
 * bumps RECSYS_FORMAT_VERSION; a new optional blob, which such a reader
 * ignores, does not.
 */

#ifndef RECSYS_SCHEMA_H
#define RECSYS_SCHEMA_H

#include <stdint.h>
#include <string.h>

#define RECSYS_MAGIC            "RECSYSMD"
#define RECSYS_MAGIC_LEN        8
#define RECSYS_FORMAT_VERSION   2
#define RECSYS_ENDIAN_PROBE     0x01020304u

#define RECSYS_DB_META          "meta"
#define RECSYS_DB_USERS         "users"
#define RECSYS_DB_ITEMS         "items"
#define RECSYS_DB_BLOBS         "blobs"
#define RECSYS_MAX_DBS          8

#define RECSYS_META_HEADER      "header"
#define RECSYS_META_MODEL_ID    "model_id"
#define RECSYS_META_PARAMS      "params"
#define RECSYS_META_STATS       "stats"

#define RECSYS_BLOB_ITEM_RECORDS  "item.records"
#define RECSYS_BLOB_GENRE_NAMES   "genre.names"
#define RECSYS_BLOB_POPULAR       "popular"
#define RECSYS_BLOB_TRENDING      "trending"
#define RECSYS_BLOB_ITEM_GENRES   "item.genres"
#define RECSYS_BLOB_ITEM_NBRS     "item.nbrs."      /* + source key */
#define RECSYS_BLOB_USER_HIST     "user.hist"
#define RECSYS_BLOB_USER_SEEN     "user.seen"
#define RECSYS_BLOB_USER_RECS     "user.recs."      /* + source key */
#define RECSYS_BLOB_WEIGHTS       "hybrid.weights"
#define RECSYS_BLOB_USER_NBRS     "user.nbrs"
#define RECSYS_BLOB_USER_SEGMENT  "user.segment"
#define RECSYS_BLOB_SEGMENT_TOP   "segment.top"
#define RECSYS_BLOB_SEGMENT_GENRES "segment.genres"
#define RECSYS_BLOB_RULES         "packed.rules"
#define RECSYS_BLOB_HMM           "packed.hmm"
#define RECSYS_BLOB_GRU           "packed.lstm"     /* the GRU, old key */
#define RECSYS_BLOB_LSTM          "packed.lstmc"    /* the LSTM cell */
#define RECSYS_BLOB_USER_HYBRID   "user.recs.hybrid"
#define RECSYS_BLOB_SESSION       "item.session"
#define RECSYS_BLOB_SESSION_SCALES "session.scales"
#define RECSYS_BLOB_USER_MEAN     "user.mean"
#define RECSYS_BLOB_ITEM_MEAN     "item.mean"
#define RECSYS_BLOB_VALUE_RANGE   "value.range"
#define RECSYS_BLOB_USER_EXPLAIN  "user.explain"
#define RECSYS_BLOB_ITEM_SEARCH   "item.search"
#define RECSYS_SEARCH_MAGIC       0x48435253u     /* "SRCH" */
#define RECSYS_SEARCH_WORD        0x80000000u
#define RECSYS_BLOB_IMPORT_NAMES  "import.names"

#define RECSYS_BLOB_ITEM_ATTRS    "item.attrs"
#define RECSYS_BLOB_ITEM_SERIES   "item.series"
#define RECSYS_ATTRS_MAGIC        0x52545441u     /* "ATTR" */
#define RECSYS_SERIES_MAGIC       0x49524553u     /* "SERI" */

#define RECSYS_META_GENRES      "genres"        /* JSON array of names */

/*
 * meta key "event_weights" (optional): the builder's effective event
 * table, "name=weight,..." as --event-weights takes it (the defaults
 * below when none was given), ASCII names, weights as decimal numbers.
 * The module's /event handler accepts these types and no other, and a
 * live event adds its type's weight to its item in the request's history
 * as the builder adds it to a stored one.  A model without the key is
 * read as holding the defaults.
 */
#define RECSYS_META_EVENT_WEIGHTS "event_weights"
#define RECSYS_EVENT_WEIGHTS_DEFAULT                                          \
    "view=1,play=1,watch=1,listen=1,click=1,rate=1,like=3,share=3,"          \
    "favorite=5,purchase=5,skip=-1,dislike=-3"

#define RECSYS_BLOB_ITEM_HASH     "item.hash"
#define RECSYS_BLOB_USER_HASH     "user.hash"

#define RECSYS_LIST_MAGIC       0x5453494cu     /* "LIST" */
#define RECSYS_HASH_MAGIC       0x48534148u     /* "HASH" */
#define RECSYS_HASH_EMPTY       0xffffffffu
#define RECSYS_TABLE_MAGIC      0x4c425454u     /* "TTBL" */

#define RECSYS_ID_MAX           256
#define RECSYS_MODEL_ID_MAX     64

/*
 * sources of recommendations (bits of recsys_header_t.sources); their
 * names and keys are the registry of recsys_source.c
 */
#define RECSYS_SRC_ITEMCF       0
#define RECSYS_SRC_USERCF       1
#define RECSYS_SRC_CONTENT      2
#define RECSYS_SRC_POPULAR      3
#define RECSYS_SRC_TRENDING     4
#define RECSYS_SRC_CLUSTER      5
#define RECSYS_SRC_ASSOC        6
#define RECSYS_SRC_MARKOV       7
#define RECSYS_SRC_HMM          8
#define RECSYS_SRC_GRU          9       /* key "lstm" in files */
#define RECSYS_SRC_EASE         10
#define RECSYS_SRC_RP3BETA      11
#define RECSYS_SRC_ALS          12
#define RECSYS_SRC_LSTM         13      /* key "lstmc" in files */
#define RECSYS_SRC_IMPORT       14      /* the first imported slot */
#define RECSYS_NIMPORT          3       /* imported slots */
#define RECSYS_NSRC             17
#define RECSYS_IMPORT_NAME_MAX  28


typedef struct {
    char      magic[RECSYS_MAGIC_LEN];
    uint32_t  endian;           /* RECSYS_ENDIAN_PROBE as written */
    uint32_t  format_version;
    uint32_t  n_users;
    uint32_t  n_items;
    uint64_t  n_interactions;
    int64_t   build_time;       /* Unix seconds, UTC */
    uint32_t  sources;          /* 1 << RECSYS_SRC_* for each present */
    uint32_t  user_top;         /* length cap of the per-user top lists */
    uint32_t  n_genres;
    uint32_t  n_segments;
    uint32_t  sparse_user;      /* users with fewer items are "sparse" */
    uint32_t  reserved[3];
} recsys_header_t;

typedef struct {
    uint32_t  magic;            /* RECSYS_LIST_MAGIC */
    uint32_t  n_rows;
    uint32_t  n_entries;
    uint32_t  reserved;
} recsys_list_head_t;

typedef struct {
    uint32_t  item;
    float     score;
} recsys_entry_t;

typedef struct {
    uint32_t  magic;            /* RECSYS_TABLE_MAGIC */
    uint32_t  n_rows;
    uint32_t  data_size;
    uint32_t  reserved;
} recsys_table_head_t;

_Static_assert(sizeof(recsys_header_t) == 72, "header layout");
_Static_assert(sizeof(recsys_list_head_t) == 16, "list head layout");
_Static_assert(sizeof(recsys_entry_t) == 8, "entry layout");
_Static_assert(sizeof(recsys_table_head_t) == 16, "table head layout");
_Static_assert(sizeof(float) == 4, "IEEE single floats");


static inline uint32_t
recsys_get_u32(const void *p)
{
    uint32_t  v;

    memcpy(&v, p, sizeof(v));
    return v;
}


/* FNV-1a over an external id: the "item.hash" table's hash. */
static inline uint32_t
recsys_id_hash(const void *id, size_t len)
{
    size_t                i;
    uint32_t              h;
    const unsigned char  *p;

    p = id;
    h = 2166136261u;

    for (i = 0; i < len; i++) {
        h = (h ^ p[i]) * 16777619u;
    }

    return h;
}


static inline uint16_t
recsys_get_u16(const void *p)
{
    uint16_t  v;

    memcpy(&v, p, sizeof(v));
    return v;
}


#define RECSYS_EXPLAIN_BECAUSE_MAX  3   /* because items per record, most */

/* The bytes of the "user.explain" record at p (its head must be there). */
static inline size_t
recsys_explain_record_size(const unsigned char *p)
{
    uint32_t  sources, n;

    sources = recsys_get_u16(p + 4);
    n = recsys_get_u16(p + 6);

    while (sources != 0) {
        sources &= sources - 1;
        n++;
    }

    return 8 + (size_t) n * 4;
}


static inline float
recsys_get_f32(const void *p)
{
    float  v;

    memcpy(&v, p, sizeof(v));
    return v;
}

static inline double
recsys_get_f64(const void *p)
{
    double  v;

    memcpy(&v, p, sizeof(v));
    return v;
}

#endif /* RECSYS_SCHEMA_H */
