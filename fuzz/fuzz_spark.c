/*
 * fuzz_spark.c: the reader of Spark's JSON Lines output (recsys-build
 * import): recsys_lines over a file, each line to recsys_spark_parse.
 *
 * Feeds: u8 mode, then the file's bytes, written to a temporary file named
 * *.json.gz when mode & 2 (then it must be gzip data: a libFuzzer input
 * that is a gzip stream, whole, cut or damaged, goes through zlib), else
 * *.json.  mode & 1 parses the lines as association rules, else as lists
 * (ALSModel.recommendForAllUsers' columns); mode & 4 as item lists
 * ("item", "similar", "item", "score").
 * Asserts: no crash, no sanitizer report (a leak included), no hang; a
 * parsed line's ids are 1 to RECSYS_ID_MAX bytes, its scores finite, its
 * counts within what was allocated, a rule's confidence in (0, 1].
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_lines.h"
#include "recsys_spark.h"
#include "recsys_status.h"

#include "fuzz_common.h"


static void
recsys_fuzz_spark_check(const recsys_spark_line_t *l, int rules)
{
    uint32_t  k, n;

    n = rules ? l->n_ante + l->n_cons : l->n;

    if (n == 0 || n > l->cap
        || (rules && (!(l->confidence > 0.0) || l->confidence > 1.0)))
    {
        fprintf(stderr, "fuzz: %u ids of %u, confidence %g\n", n, l->cap,
                l->confidence);
        abort();
    }

    for (k = 0; k < n; k++) {
        if (l->ids[k].len == 0 || l->ids[k].len > RECSYS_ID_MAX
            || !isfinite(l->ids[k].score))
        {
            fprintf(stderr, "fuzz: bad id or score at %u\n", k);
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                  err[512];
    size_t                len;
    uint32_t              mode;
    const char           *path, *p;
    recsys_lines_t        lines;
    recsys_fuzz_in_t      in;
    recsys_spark_line_t   line;

    static const recsys_spark_cols_t  items = { "item", "similar", "item",
                                                "score" };

    in.p = data;
    in.n = size;
    mode = recsys_fuzz_u8(&in);
    path = recsys_fuzz_tmp_path((mode & 2) ? ".json.gz" : ".json");

    if (recsys_fuzz_write(path, in.p, in.n) != 0
        || recsys_lines_open(&lines, path) != RECSYS_OK)
    {
        return 0;
    }

    memset(&line, 0, sizeof(line));

    while (recsys_lines_next(&lines, &p, &len) == 1) {
        if (recsys_spark_parse(&line, (mode & 1) ? RECSYS_SPARK_RULES
                                                 : RECSYS_SPARK_LISTS,
                               (mode & 4) ? &items : NULL, p, len, err,
                               sizeof(err))
            == RECSYS_OK)
        {
            recsys_fuzz_spark_check(&line, mode & 1);
        }
    }

    recsys_spark_free(&line);
    recsys_lines_close(&lines);

    return 0;
}
