/*
 * test_manifest.c: the manifest beside a published model
 * (recsys_manifest.h): a hand-written manifest read field by field, each
 * kind of bad manifest refused, dump and parse round trip, and the ETag
 * taken from HTTP header lines.
 */

#include <stdlib.h>
#include <string.h>

#include "recsys_manifest.h"
#include "recsys_status.h"
#include "tap.h"


#define SHA  "92516aba6563e047c5f1ed00af35f11ab2a9ada054dd983c59bddb9917e6228f"


static int
parse(const char *s, recsys_manifest_t *m)
{
    char  err[256];

    return recsys_manifest_parse(s, strlen(s), m, err, sizeof(err));
}


static void
test_refused(void)
{
    size_t              i;
    char               *big;
    recsys_manifest_t   m;

    static const char   good[] = "{\"model_id\":\"a\",\"format_version\":2,"
                                 "\"size\":10,\"sha256\":\"" SHA "\","
                                 "\"build_time\":1}";
    static const char  *bad[] = {
        "",
        "[]",
        "{\"model_id\":\"a\"",
        "{\"format_version\":2,\"size\":10,\"sha256\":\"" SHA "\","
            "\"build_time\":1}",
        "{\"model_id\":\"a\",\"format_version\":\"2\",\"size\":10,"
            "\"sha256\":\"" SHA "\",\"build_time\":1}",
        "{\"model_id\":\"a\",\"format_version\":0,\"size\":10,"
            "\"sha256\":\"" SHA "\",\"build_time\":1}",
        "{\"model_id\":\"a\",\"format_version\":2,\"size\":0,"
            "\"sha256\":\"" SHA "\",\"build_time\":1}",
        "{\"model_id\":\"a\",\"format_version\":2,\"size\":281474976710657,"
            "\"sha256\":\"" SHA "\",\"build_time\":1}",
        "{\"model_id\":\"a\",\"format_version\":2,\"size\":10,"
            "\"sha256\":\"" SHA "\",\"build_time\":-1}",
        "{\"model_id\":\"a b\",\"format_version\":2,\"size\":10,"
            "\"sha256\":\"" SHA "\",\"build_time\":1}",
        "{\"model_id\":\"\",\"format_version\":2,\"size\":10,"
            "\"sha256\":\"" SHA "\",\"build_time\":1}",
        "{\"model_id\":\"0123456789012345678901234567890123456789012345678"
            "901234567890123\",\"format_version\":2,\"size\":10,"
            "\"sha256\":\"" SHA "\",\"build_time\":1}",
        "{\"model_id\":\"a\",\"format_version\":2,\"size\":10,"
            "\"sha256\":\"92516ABA6563e047c5f1ed00af35f11ab2a9ada054dd983c59"
            "bddb9917e6228f\",\"build_time\":1}",
        "{\"model_id\":\"a\",\"format_version\":2,\"size\":10,"
            "\"sha256\":\"92516aba6563e047c5f1ed00af35f11ab2a9ada054dd983c59"
            "bddb9917e6228\",\"build_time\":1}",
        "{\"model_id\":\"a\",\"model_id\":\"b\",\"format_version\":2,"
            "\"size\":10,\"sha256\":\"" SHA "\",\"build_time\":1}",
        NULL
    };

    for (i = 0; bad[i] != NULL; i++) {
        tap_ok(parse(bad[i], &m) == RECSYS_EINVAL, "refused: case %zu", i);
    }

    big = malloc(5000);
    memset(big, ' ', 5000);
    big[4999] = '\0';
    memcpy(big, good, strlen(good));
    tap_ok(parse(good, &m) == RECSYS_OK, "the short manifest is good");
    tap_ok(parse(big, &m) == RECSYS_EINVAL,
           "refused: the same, padded past 4096 bytes");
    free(big);
}


static void
test_etag(void)
{
    char  e[RECSYS_MANIFEST_ETAG], line[400];

    tap_ok(recsys_manifest_etag("ETag: \"65a-2\"\r\n", 15, e) == 1
           && strcmp(e, "\"65a-2\"") == 0, "ETag: quoted value");
    tap_ok(recsys_manifest_etag("etag:W/\"x\"\r\n", 12, e) == 1
           && strcmp(e, "W/\"x\"") == 0, "etag: weak, no space, lowercase");
    tap_ok(recsys_manifest_etag("ETagX: 1\r\n", 10, e) == 0,
           "ETagX is another header");
    tap_ok(recsys_manifest_etag("ETag:  \r\n", 9, e) == 0, "an empty ETag");
    tap_ok(recsys_manifest_etag("ETag: a\001b\r\n", 11, e) == 0,
           "a control byte");
    tap_ok(recsys_manifest_etag("Content-Type: x\r\n", 17, e) == 0,
           "another header");
    tap_ok(recsys_manifest_etag("ETag", 4, e) == 0, "a cut line");

    memset(line, 'a', sizeof(line));
    memcpy(line, "ETag: ", 6);
    tap_ok(recsys_manifest_etag(line, 6 + 255, e) == 1 && strlen(e) == 255,
           "a 255-byte ETag fits");
    tap_ok(recsys_manifest_etag(line, 6 + 256, e) == 0,
           "a 256-byte ETag does not");
}


int
main(void)
{
    char               *s;
    recsys_manifest_t   m, back;

    tap_ok(parse("{\"model_id\":\"20261206T101015Z-aebd\",\"format_version\""
                 ":2,\"size\":3653696,\"sha256\":\"" SHA "\",\"build_time\":"
                 "1796551815,\"later\":[1]}\n", &m) == RECSYS_OK,
           "a manifest with an unknown member");
    tap_ok(strcmp(m.model_id, "20261206T101015Z-aebd") == 0, "model_id");
    tap_is_int(m.format_version, 2, "format_version");
    tap_is_int(m.size, 3653696, "size");
    tap_ok(strcmp(m.sha256, SHA) == 0, "sha256");
    tap_is_int(m.build_time, 1796551815, "build_time");

    s = recsys_manifest_dump(&m);
    tap_ok(s != NULL && s[strlen(s) - 1] == '\n', "dump: one line");
    tap_ok(parse(s, &back) == RECSYS_OK
           && memcmp(&m, &back, sizeof(m)) == 0, "dump, parse: the same");
    free(s);

    tap_ok(parse("{\"model_id\":\"a\",\"format_version\":2,\"size\":"
                 "281474976710656,\"sha256\":\"" SHA "\",\"build_time\":0}",
                 &m) == RECSYS_OK && m.size == 281474976710656ULL,
           "a size of 2^48");

    test_refused();
    test_etag();

    return tap_done();
}
