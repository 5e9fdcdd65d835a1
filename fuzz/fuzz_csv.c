/*
 * fuzz_csv.c: the readers of the builder's input files.
 *
 * Feeds: u8 mode, then file contents written to temporary files:
 *   mode % 4 == 0: the whole rest to recsys_csv_open/recsys_csv_next with
 *     the delimiter (mode / 4) % 4 of { detect, ',', '\t', ';' }, every
 *     record read; with mode & 0x40, to the --erase list's reader
 *     (recsys_erase_read) instead;
 *   1: the rest as an interactions file (recsys_ingest_interactions, then
 *     recsys_ingest_finish);
 *   2: the rest as a catalog named *.csv, *.tsv or *.jsonl by
 *     (mode / 4) % 3 (recsys_ingest_catalog, then recsys_ingest_finish);
 *   3: u16 length L, L bytes of catalog, the rest interactions: both,
 *     then recsys_ingest_finish, as recsys-build does.
 * mode & 0x40 sets event weights "view=1,like=3,buy=5", mode & 0x80 a
 * decay of 30 days.
 * Asserts: no crash, no sanitizer report (a leak included), no hang;
 * every field the CSV reader hands out lies inside its buffer and no
 * record has more than RECSYS_CSV_MAX_FIELDS fields; a refused --erase
 * list says why.
 */

#include <stdio.h>
#include <stdlib.h>

#include "recsys_csv.h"
#include "recsys_erase.h"
#include "recsys_ingest.h"
#include "recsys_status.h"

#include "fuzz_common.h"


static void
recsys_fuzz_csv(const char *path, char delim)
{
    int            rc;
    uint32_t       k;
    recsys_csv_t   csv;

    if (recsys_csv_open(&csv, path, delim) != RECSYS_OK) {
        return;
    }

    while ((rc = recsys_csv_next(&csv)) == 1) {
        if (csv.n_fields > RECSYS_CSV_MAX_FIELDS) {
            fprintf(stderr, "fuzz: %u fields\n", csv.n_fields);
            abort();
        }

        for (k = 0; k < csv.n_fields; k++) {
            if (csv.fields[k].len > 0
                && (csv.fields[k].p < csv.buf
                    || csv.fields[k].p + csv.fields[k].len
                       > csv.buf + csv.cap))
            {
                fprintf(stderr, "fuzz: field %u outside the buffer\n", k);
                abort();
            }
        }
    }

    recsys_csv_close(&csv);
}


static void
recsys_fuzz_erase(const char *path)
{
    char           err[512];
    recsys_dict_t  set;

    if (recsys_dict_init(&set, 16) != RECSYS_OK) {
        return;
    }

    err[0] = '\0';

    if (recsys_erase_read(&set, path, err, sizeof(err)) != RECSYS_OK
        && err[0] == '\0')
    {
        fprintf(stderr, "fuzz: an --erase list refused without a reason\n");
        abort();
    }

    recsys_dict_free(&set);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                rc;
    char               err[512];
    size_t             n, len;
    uint32_t           mode;
    const char        *log, *cat;
    const uint8_t     *p;
    recsys_data_t      d;
    recsys_fuzz_in_t   in;
    static const char  delims[4] = { 0, ',', '\t', ';' };
    static const char *cats[3] = { ".csv", ".tsv", ".jsonl" };

    in.p = data;
    in.n = size;
    mode = recsys_fuzz_u8(&in);

    log = recsys_fuzz_tmp_path("-log.csv");
    cat = recsys_fuzz_tmp_path(cats[(mode / 4) % 3]);

    if (mode % 4 == 0) {
        if (recsys_fuzz_write(log, in.p, in.n) != 0) {
            return 0;
        }

        if (mode & 0x40) {
            recsys_fuzz_erase(log);

        } else {
            recsys_fuzz_csv(log, delims[(mode / 4) % 4]);
        }

        return 0;
    }

    len = mode % 4 == 3 ? recsys_fuzz_u16(&in) : 0;

    if (mode % 4 == 2) {
        len = in.n;
    }

    p = recsys_fuzz_bytes(&in, len, &n);

    if (recsys_fuzz_write(cat, p, n) != 0
        || recsys_fuzz_write(log, in.p, in.n) != 0
        || recsys_data_init(&d) != RECSYS_OK)
    {
        return 0;
    }

    d.event_weights = (mode & 0x40) ? "view=1,like=3,buy=5" : NULL;
    d.decay_days = (mode & 0x80) ? 30.0 : 0.0;

    rc = RECSYS_OK;

    if (mode % 4 >= 2) {
        rc = recsys_ingest_catalog(&d, cat, err, sizeof(err));
    }

    if (rc == RECSYS_OK && mode % 4 != 2) {
        rc = recsys_ingest_interactions(&d, log, err, sizeof(err));
    }

    if (rc == RECSYS_OK) {
        (void) recsys_ingest_finish(&d, err, sizeof(err));
    }

    recsys_data_free(&d);

    return 0;
}
