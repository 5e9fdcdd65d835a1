/*
 * test_sha256.c: recsys_sha256 against the FIPS 180-2 examples (appendix
 * B: "abc", the 448-bit message, a million "a"), the empty message, a
 * digest fed in uneven pieces, and the digest of a file by descriptor.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recsys_sha256.h"
#include "recsys_status.h"
#include "tap.h"


static void
test_one(const char *msg, size_t len, size_t piece, const char *want,
    const char *name)
{
    char             hex[RECSYS_SHA256_HEX];
    size_t           off, n;
    recsys_sha256_t  s;

    tap_ok(recsys_sha256_init(&s) == RECSYS_OK, "%s: init", name);

    for (off = 0; off < len; off += n) {
        n = len - off < piece ? len - off : piece;
        recsys_sha256_update(&s, msg + off, n);
    }

    tap_ok(recsys_sha256_final(&s, hex) == RECSYS_OK, "%s: final", name);
    tap_ok(strcmp(hex, want) == 0, "%s: %s", name, hex);
}


int
main(void)
{
    int       fd;
    char     *million, hex[RECSYS_SHA256_HEX], path[] = "/tmp/sha256XXXXXX";
    uint64_t  size;

    static const char  abc[] =
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    static const char  two_blocks[] =
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
    static const char  a_million[] =
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    static const char  empty[] =
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    static const char  msg448[] =
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

    test_one("abc", 3, 3, abc, "FIPS 180-2 B.1 \"abc\"");
    test_one(msg448, strlen(msg448), 64, two_blocks, "FIPS 180-2 B.2");
    test_one(msg448, strlen(msg448), 7, two_blocks, "B.2 in 7-byte pieces");
    test_one("", 0, 1, empty, "the empty message");

    million = malloc(1000000);
    memset(million, 'a', 1000000);
    test_one(million, 1000000, 4093, a_million, "FIPS 180-2 B.3");

    fd = mkstemp(path);
    tap_ok(fd >= 0, "a temporary file");
    tap_ok(write(fd, million, 1000000) == 1000000, "a million \"a\" written");
    tap_ok(recsys_sha256_fd(fd, hex, &size) == RECSYS_OK, "digest of a file");
    tap_ok(strcmp(hex, a_million) == 0 && size == 1000000,
           "the file's digest and size");
    close(fd);
    unlink(path);
    free(million);

    return tap_done();
}
