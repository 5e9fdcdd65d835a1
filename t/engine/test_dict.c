/*
 * test_dict.c: unit test of the id interning table (recsys_dict.c).
 *
 * Interns 100,000 random short ids drawn from a small alphabet, so that
 * duplicates and ids that are prefixes of one another are common, into a
 * dict that starts small and must grow many times.  The reference is
 * computed without the dict: the draws are sorted by (bytes, position),
 * which groups equal ids and puts each id's first occurrence first; the
 * dense index of an id is the rank of its first occurrence among all first
 * occurrences in file order.  Checks every intern result, the count, find
 * (present and absent ids) and that every index gives back its key.
 * Prints TAP.
 */

#include <stdlib.h>
#include <string.h>

#include "recsys_dict.h"
#include "recsys_status.h"
#include "tap.h"


#define T_DRAWS    100000
#define T_MAXLEN   9

typedef struct {
    char      key[T_MAXLEN + 1];
    uint32_t  len;
    uint32_t  pos;          /* position in the draw order */
} t_draw_t;


static uint32_t
t_rand(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t) (*state >> 33);
}


static int
t_cmp_draw(const void *a, const void *b)
{
    int              c;
    const t_draw_t  *x = a, *y = b;

    c = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);
    if (c != 0) {
        return c;
    }

    if (x->len != y->len) {
        return x->len < y->len ? -1 : 1;
    }

    return x->pos < y->pos ? -1 : (x->pos > y->pos);
}


int
main(void)
{
    int             rc, ok_intern, ok_find, ok_keys, ok_absent, ok_again;
    char            absent[T_MAXLEN + 2];
    size_t          len;
    uint32_t        i, j, n_distinct, idx, *first_of, *want, *key_of;
    uint32_t        n_absent;
    uint64_t        state;
    t_draw_t       *draws, *sorted;
    const char     *key;
    recsys_dict_t   d;

    static const char  alphabet[] = "ab\xc3\x00Z";

    state = 7;

    draws = malloc(T_DRAWS * sizeof(t_draw_t));
    sorted = malloc(T_DRAWS * sizeof(t_draw_t));
    first_of = malloc(T_DRAWS * sizeof(uint32_t));
    want = malloc(T_DRAWS * sizeof(uint32_t));
    key_of = malloc(T_DRAWS * sizeof(uint32_t));

    if (draws == NULL || sorted == NULL || first_of == NULL || want == NULL
        || key_of == NULL)
    {
        tap_ok(0, "memory");
        return tap_done();
    }

    /*
     * ids of 1 to 9 bytes over 5 symbols (NUL and a lone UTF-8 lead byte
     * among them: the dict stores bytes, not strings); short ids repeat
     * often, long ones rarely
     */
    for (i = 0; i < T_DRAWS; i++) {
        memset(draws[i].key, 0, sizeof(draws[i].key));
        draws[i].len = 1 + t_rand(&state) % T_MAXLEN;
        if (t_rand(&state) % 2 == 0) {
            draws[i].len = 1 + draws[i].len / 2;
        }

        for (j = 0; j < draws[i].len; j++) {
            draws[i].key[j] = alphabet[t_rand(&state) % 5];
        }

        draws[i].pos = i;
    }

    /* the reference: want[pos] = dense index in first-seen order */

    memcpy(sorted, draws, T_DRAWS * sizeof(t_draw_t));
    qsort(sorted, T_DRAWS, sizeof(t_draw_t), t_cmp_draw);

    for (i = 0; i < T_DRAWS; i++) {
        first_of[i] = UINT32_MAX;
    }

    for (i = 0; i < T_DRAWS; i = j) {
        for (j = i + 1; j < T_DRAWS && sorted[j].len == sorted[i].len
                        && memcmp(sorted[j].key, sorted[i].key,
                                  sorted[i].len) == 0; j++)
        {
            /* the same id */
        }

        /* sorted[i] is the first occurrence; mark the group */
        first_of[sorted[i].pos] = sorted[i].pos;

        for (idx = i; idx < j; idx++) {
            want[sorted[idx].pos] = sorted[i].pos;
        }
    }

    n_distinct = 0;
    for (i = 0; i < T_DRAWS; i++) {
        if (first_of[i] != UINT32_MAX) {
            first_of[i] = n_distinct;
            key_of[n_distinct] = i;
            n_distinct++;
        }
    }

    for (i = 0; i < T_DRAWS; i++) {
        want[i] = first_of[want[i]];
    }

    printf("# %u draws, %u distinct ids\n", T_DRAWS, n_distinct);

    /* the dict */

    tap_is_int(recsys_dict_init(&d, 0), RECSYS_OK, "init with no estimate");

    ok_intern = 1;
    for (i = 0; i < T_DRAWS; i++) {
        rc = recsys_dict_intern(&d, draws[i].key, draws[i].len, &idx);

        if (rc != RECSYS_OK || idx != want[i]) {
            if (ok_intern) {
                printf("#   draw %u: status %d index %u, want %u\n", i, rc,
                       idx, want[i]);
            }

            ok_intern = 0;
        }
    }

    tap_ok(ok_intern, "intern: every draw gets its first-seen dense index");
    tap_is_int(d.n, n_distinct, "intern: count of distinct ids");

    ok_find = 1;
    for (i = 0; i < T_DRAWS; i++) {
        rc = recsys_dict_find(&d, draws[i].key, draws[i].len, &idx);

        if (rc != RECSYS_OK || idx != want[i]) {
            ok_find = 0;
        }
    }

    tap_ok(ok_find, "find: every drawn id is found at its index");

    ok_keys = 1;
    for (i = 0; i < n_distinct; i++) {
        key = recsys_dict_key(&d, i, &len);
        j = key_of[i];

        if (len != draws[j].len || memcmp(key, draws[j].key, len) != 0) {
            ok_keys = 0;
        }
    }

    tap_ok(ok_keys, "key: every index gives back its id's bytes");

    /* ids never drawn: 10 bytes (longer than any draw), or a new symbol */

    ok_absent = 1;
    n_absent = 0;
    for (i = 0; i < 1000; i++) {
        for (j = 0; j < T_MAXLEN + 1; j++) {
            absent[j] = alphabet[t_rand(&state) % 5];
        }

        if (recsys_dict_find(&d, absent, T_MAXLEN + 1, &idx)
            != RECSYS_ENOTFOUND)
        {
            ok_absent = 0;
        }

        absent[0] = 'q';

        if (recsys_dict_find(&d, absent, 1 + i % T_MAXLEN, &idx)
            != RECSYS_ENOTFOUND)
        {
            ok_absent = 0;
        }

        n_absent += 2;
    }

    tap_ok(ok_absent, "find: %u ids never interned are not found",
           n_absent);

    /* interning again changes nothing */

    ok_again = 1;
    for (i = 0; i < T_DRAWS; i += 7) {
        rc = recsys_dict_intern(&d, draws[i].key, draws[i].len, &idx);
        if (rc != RECSYS_OK || idx != want[i]) {
            ok_again = 0;
        }
    }

    tap_ok(ok_again && d.n == n_distinct,
           "intern: known ids keep their index and the count");

    /* a new id after all that gets the next index */

    tap_ok(recsys_dict_intern(&d, "brand-new", 9, &idx) == RECSYS_OK
           && idx == n_distinct && d.n == n_distinct + 1,
           "intern: a new id gets index %u", n_distinct);

    key = recsys_dict_key(&d, n_distinct, &len);
    tap_ok(len == 9 && memcmp(key, "brand-new", 9) == 0,
           "key: the new id round-trips");

    recsys_dict_free(&d);

    /* a second dict sized up front sees the same indexes */

    tap_is_int(recsys_dict_init(&d, T_DRAWS), RECSYS_OK,
               "init with an estimate");

    ok_intern = 1;
    for (i = 0; i < T_DRAWS; i++) {
        if (recsys_dict_intern(&d, draws[i].key, draws[i].len, &idx)
            != RECSYS_OK || idx != want[i])
        {
            ok_intern = 0;
        }
    }

    tap_ok(ok_intern && d.n == n_distinct,
           "presized dict: same first-seen indexes");

    recsys_dict_free(&d);

    free(draws);
    free(sorted);
    free(first_of);
    free(want);
    free(key_of);

    return tap_done();
}
