/*
 * test_source.c: unit test of the source registry (recsys_source.c) and of
 * the status table (recsys_status.c).
 *
 * The registry: every canonical name parses back to its index, the GRU is
 * "gru" with "lstm" kept as its file key, the LSTM is "lstm" with the key
 * "lstmc", unknown names and
 * prefixes are refused, the packed keys are the schema's blobs, and the
 * scoring flags say what the query relies on.  The status table: each row
 * is the row of its own code, and the HTTP statuses and error names are
 * the ones the README documents (400 bad_request, 404 not_found, 405
 * method_not_allowed, 503 unavailable) plus a 500 internal_error for a
 * failed allocation.  Prints TAP.
 */

#include <string.h>

#include "recsys_source.h"
#include "recsys_status.h"
#include "tap.h"


#define T_PARSE(s)  recsys_source_parse(s, strlen(s))


static void
t_test_names(void)
{
    int          s;
    const char  *name;

    for (s = 0; s < RECSYS_NSRC; s++) {
        name = recsys_source_name(s);
        tap_is_int(T_PARSE(name), s, "source %d: \"%s\" parses back", s,
                   name);
    }

    tap_ok(strcmp(recsys_source_name(RECSYS_SRC_GRU), "gru") == 0,
           "the GRU source is named gru");
    tap_is_int(T_PARSE("gru"), RECSYS_SRC_GRU, "gru parses");
    tap_is_int(T_PARSE("lstm"), RECSYS_SRC_LSTM, "lstm names the LSTM");
    tap_ok(strcmp(recsys_source_key(RECSYS_SRC_LSTM), "lstmc") == 0,
           "the LSTM's lists have the key lstmc");
    tap_ok(strcmp(recsys_source_key(RECSYS_SRC_GRU), "lstm") == 0,
           "the GRU's lists keep the key lstm in the file");
    tap_ok(strcmp(recsys_source_key(RECSYS_SRC_RP3BETA), "rp3beta") == 0,
           "other sources are keyed by their name");

    tap_is_int(T_PARSE("hybrid"), -1, "hybrid is not a source");
    tap_is_int(T_PARSE(""), -1, "the empty name is unknown");
    tap_is_int(recsys_source_parse("itemcfx", 6), RECSYS_SRC_ITEMCF,
               "the length is what is compared");
    tap_is_int(T_PARSE("item"), -1, "a prefix is unknown");
    tap_is_int(T_PARSE("itemcf "), -1, "a trailing byte is unknown");
    tap_ok(recsys_source_get(-1) == NULL
           && recsys_source_get(RECSYS_NSRC) == NULL,
           "no row out of range");
    tap_ok(strcmp(recsys_source_name(RECSYS_NSRC), "") == 0,
           "the name out of range is empty");
}


static void
t_test_packed_and_flags(void)
{
    int     s, n_packed;
    size_t  k;

    static const struct {
        int          src;
        unsigned     flag;
        int          is;
        const char  *what;
    } flags[] = {
        { RECSYS_SRC_ITEMCF, RECSYS_SOURCE_ITEM_BASED, 1,
          "itemcf is item-based" },
        { RECSYS_SRC_CONTENT, RECSYS_SOURCE_ITEM_BASED, 1,
          "content is item-based" },
        { RECSYS_SRC_MARKOV, RECSYS_SOURCE_ITEM_BASED, 1,
          "markov is item-based" },
        { RECSYS_SRC_EASE, RECSYS_SOURCE_ITEM_BASED, 0,
          "ease is not item-based" },
        { RECSYS_SRC_MARKOV, RECSYS_SOURCE_SEQUENCE, 1,
          "markov is a sequence" },
        { RECSYS_SRC_HMM, RECSYS_SOURCE_SEQUENCE, 1, "hmm is a sequence" },
        { RECSYS_SRC_GRU, RECSYS_SOURCE_SEQUENCE, 1, "gru is a sequence" },
        { RECSYS_SRC_LSTM, RECSYS_SOURCE_SEQUENCE, 1, "lstm is a sequence" },
        { RECSYS_SRC_ITEMCF, RECSYS_SOURCE_SEQUENCE, 0,
          "itemcf is not a sequence" },
        { RECSYS_SRC_EASE, RECSYS_SOURCE_SESSION, 1,
          "ease answers sessions by item lists" },
        { RECSYS_SRC_RP3BETA, RECSYS_SOURCE_SESSION, 1,
          "rp3beta answers sessions by item lists" },
        { RECSYS_SRC_USERCF, RECSYS_SOURCE_SESSION, 0,
          "usercf does not answer sessions" },
        { RECSYS_SRC_GRU, RECSYS_SOURCE_SESSION, 0,
          "the packed gru is not a session-by-lists source" },
    };

    n_packed = 0;

    for (s = 0; s < RECSYS_NSRC; s++) {
        n_packed += recsys_source_get(s)->packed != NULL;
    }

    tap_is_int(n_packed, 3, "three sources have a packed model");
    tap_ok(strcmp(recsys_source_get(RECSYS_SRC_HMM)->packed,
                  RECSYS_BLOB_HMM) == 0, "the HMM's packed key");
    tap_ok(strcmp(recsys_source_get(RECSYS_SRC_GRU)->packed,
                  "packed.lstm") == 0, "the GRU's packed key is unchanged");
    tap_ok(strcmp(recsys_source_get(RECSYS_SRC_LSTM)->packed,
                  "packed.lstmc") == 0, "the LSTM's packed key");

    for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
        tap_is_int(recsys_source_is(flags[k].src, flags[k].flag) != 0,
                   flags[k].is, flags[k].what);
    }

    tap_ok(!recsys_source_is(RECSYS_NSRC, 0), "no flags out of range");
}


static void
t_test_status(void)
{
    int                     k;
    const recsys_status_t  *st;

    static const struct {
        int          status;
        unsigned     http;
        const char  *error;
    } readme[] = {
        { RECSYS_EINVAL,    400, "bad_request" },
        { RECSYS_ENOTFOUND, 404, "not_found" },
        { RECSYS_EMETHOD,   405, "method_not_allowed" },
        { RECSYS_ENOMODEL,  503, "unavailable" },
        { RECSYS_EMEDIA,    415, "unsupported_media_type" },
        { RECSYS_ENOMEM,    500, "internal_error" }
    };

    for (k = 0; k >= RECSYS_EMEDIA; k--) {
        st = recsys_status_get(k);
        tap_is_int(st->status, k, "status %d has its own row (%s)", k,
                   st->phrase);
    }

    for (k = 0; k < (int) (sizeof(readme) / sizeof(readme[0])); k++) {
        st = recsys_status_get(readme[k].status);
        tap_is_int(st->http, readme[k].http, "%s answers %u",
                   recsys_strerror(readme[k].status), readme[k].http);
        tap_ok(strcmp(st->error, readme[k].error) == 0, "%s is \"%s\"",
               recsys_strerror(readme[k].status), readme[k].error);
    }

    st = recsys_status_get(-1000);
    tap_ok(st->http == 500 && strcmp(st->phrase, "unknown error") == 0,
           "an unknown code is a 500 unknown error");
    tap_ok(recsys_status_get(5)->http == 500, "a positive code is unknown");
}


int
main(void)
{
    t_test_names();
    t_test_packed_and_flags();
    t_test_status();

    return tap_done();
}
