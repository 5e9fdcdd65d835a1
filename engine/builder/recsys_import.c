/*
 * recsys_import.c: Spark's JSON Lines output into a model's imported
 * slots (recsys_import.h).
 *
 * Each input directory is read file by file (part-* in name order), line
 * by line; every id is looked up in the model being extended.  Lists are
 * gathered as (row, item, score, order) and sorted into rows best first,
 * ties in the file's order.  Rules are kept whole, indexed by their
 * smallest antecedent item, and turned into item and user lists.  The
 * result is a copy of the model's databases with the slots' lists and
 * "import.names" in place of the old ones, written through the writer.
 */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <lmdb.h>

#include "recsys_build_write.h"
#include "recsys_copy.h"
#include "recsys_csr.h"
#include "recsys_import.h"
#include "recsys_lines.h"
#include "recsys_model.h"
#include "recsys_row.h"
#include "recsys_sorted.h"
#include "recsys_status.h"
#include "recsys_writer.h"


typedef struct {
    uint32_t  row;
    uint32_t  item;
    float     score;
    uint32_t  order;
} recsys_import_pair_t;

/* Where a row was first listed, to name both places of a repeat. */
typedef struct {
    uint32_t  file;             /* index + 1; 0: not yet */
    uint32_t  line;
} recsys_import_at_t;

typedef struct {
    const recsys_import_opts_t  *o;
    recsys_import_stats_t       *stats;
    recsys_model_t              *m;
    const recsys_header_t       *h;
    char                        *err;
    size_t                       errlen;

    unsigned                     n_slots;
    const char                  *names[RECSYS_NIMPORT];
    recsys_csr_t                 lists[RECSYS_NIMPORT][2];  /* users,
                                                               items */
    /* the input being read */
    char                       **files;
    uint32_t                     n_files;
    const char                  *path;
    uint64_t                     line;
    recsys_spark_line_t          sl;

    uint32_t                    *mark;          /* per item: the stamp of
                                                   the line listing it */
    uint32_t                     stamp;
    recsys_import_pair_t        *pairs;
    size_t                       n_pairs;
    size_t                       cap_pairs;

    /* rules: antecedents of rule r at ante[ante_off[r] ..
       ante_off[r + 1]), sorted */
    uint32_t                    *ante;
    uint32_t                    *ante_off;
    uint32_t                    *cons;
    float                       *conf;
    uint32_t                     n_rules;
    size_t                       cap_rules;
    size_t                       cap_ante;
} recsys_import_t;


static int
recsys_import_at(recsys_import_t *imp, int rc, const char *why)
{
    snprintf(imp->err, imp->errlen, "%s:%llu: %s", imp->path,
             (unsigned long long) imp->line, why);
    return rc;
}


static int
recsys_import_cmp_path(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}


/* The part-* files of dir in name order; _SUCCESS must be there. */
static int
recsys_import_list_dir(recsys_import_t *imp, const char *dir)
{
    DIR            *d;
    char          **files;
    size_t          len;
    struct stat     st;
    struct dirent  *e;

    len = strlen(dir) + sizeof("/_SUCCESS");
    files = NULL;
    imp->n_files = 0;

    d = opendir(dir);
    if (d == NULL) {
        snprintf(imp->err, imp->errlen, "%s: not a directory of Spark "
                 "output (part-* files and _SUCCESS)", dir);
        return RECSYS_EINVAL;
    }

    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "part-", 5) != 0) {
            continue;
        }

        files = realloc(imp->files, (imp->n_files + 1) * sizeof(char *));
        if (files == NULL) {
            closedir(d);
            return RECSYS_ENOMEM;
        }

        imp->files = files;
        imp->files[imp->n_files] = malloc(len + strlen(e->d_name));
        if (imp->files[imp->n_files] == NULL) {
            closedir(d);
            return RECSYS_ENOMEM;
        }

        sprintf(imp->files[imp->n_files++], "%s/%s", dir, e->d_name);
    }

    closedir(d);

    qsort(imp->files, imp->n_files, sizeof(char *), recsys_import_cmp_path);

    files = malloc(sizeof(char *));
    if (files == NULL) {
        return RECSYS_ENOMEM;
    }

    files[0] = malloc(len);
    if (files[0] != NULL) {
        sprintf(files[0], "%s/_SUCCESS", dir);
    }

    if (files[0] == NULL || stat(files[0], &st) != 0 || imp->n_files == 0) {
        snprintf(imp->err, imp->errlen, "%s: %s", files[0] ? files[0] : dir,
                 imp->n_files == 0 && files[0] != NULL
                 && stat(files[0], &st) == 0
                 ? "there but no part-* file beside it"
                 : "missing: the Spark job did not finish (DataFrame.write "
                   "writes it last)");
        free(files[0]);
        free(files);
        return RECSYS_EINVAL;
    }

    free(files[0]);
    free(files);

    return RECSYS_OK;
}


static void
recsys_import_free_files(recsys_import_t *imp)
{
    uint32_t  f;

    for (f = 0; f < imp->n_files; f++) {
        free(imp->files[f]);
    }

    free(imp->files);
    imp->files = NULL;
    imp->n_files = 0;
}


/*
 * An id of the model: RECSYS_OK with its index; 1 when it is unknown and
 * skip_unknown leaves it out; else an error at the current line.
 */
static int
recsys_import_lookup(recsys_import_t *imp, int users,
    const recsys_spark_id_t *id, uint32_t *index)
{
    int   rc;
    char  why[RECSYS_ID_MAX + 96];

    rc = users ? recsys_model_user(imp->m, id->p, id->len, index)
               : recsys_model_item(imp->m, id->p, id->len, index);

    if (rc == RECSYS_OK) {
        return RECSYS_OK;
    }

    if (imp->o->skip_unknown) {
        imp->stats->unknown++;
        return 1;
    }

    snprintf(why, sizeof(why), "unknown %s \"%.*s\": the model has no such "
             "id (--skip-unknown leaves them out)", users ? "user" : "item",
             (int) id->len, id->p);

    return recsys_import_at(imp, RECSYS_EINVAL, why);
}


static int
recsys_import_push(recsys_import_t *imp, uint32_t row, uint32_t item,
    float score)
{
    size_t                 cap;
    recsys_import_pair_t  *p;

    if (imp->n_pairs == imp->cap_pairs) {
        cap = imp->cap_pairs ? imp->cap_pairs * 2 : 4096;
        p = realloc(imp->pairs, cap * sizeof(recsys_import_pair_t));
        if (p == NULL) {
            return RECSYS_ENOMEM;
        }

        imp->pairs = p;
        imp->cap_pairs = cap;
    }

    p = &imp->pairs[imp->n_pairs];
    p->row = row;
    p->item = item;
    p->score = score;
    p->order = (uint32_t) imp->n_pairs++;

    return RECSYS_OK;
}


/*
 * One line of a lists input: its row (users: a user, items: an item)
 * listed once, its entries' items each once, seen items (users) or the
 * item itself (items) left out.
 */
static int
recsys_import_list_line(recsys_import_t *imp, int users,
    recsys_import_at_t *first, uint32_t file)
{
    int           rc;
    char          why[RECSYS_ID_MAX + 128];
    uint32_t      row, item, k;
    recsys_row_t  seen;

    rc = recsys_import_lookup(imp, users, &imp->sl.row, &row);
    if (rc != RECSYS_OK) {
        return rc > 0 ? RECSYS_OK : rc;
    }

    if (first[row].file != 0) {
        snprintf(why, sizeof(why), "%s \"%.*s\" listed again (first at "
                 "%s:%u)", users ? "user" : "item", (int) imp->sl.row.len,
                 imp->sl.row.p, imp->files[first[row].file - 1],
                 first[row].line);
        return recsys_import_at(imp, RECSYS_EINVAL, why);
    }

    first[row].file = file + 1;
    first[row].line = (uint32_t) imp->line;
    imp->stamp++;

    seen = users ? recsys_list_row(recsys_model_list(imp->m,
                                                     RECSYS_L_USER_SEEN),
                                   row)
                 : recsys_row_empty();

    for (k = 0; k < imp->sl.n; k++) {
        rc = recsys_import_lookup(imp, 0, &imp->sl.ids[k], &item);
        if (rc != RECSYS_OK) {
            if (rc < 0) {
                return rc;
            }
            continue;
        }

        if (imp->mark[item] == imp->stamp) {
            snprintf(why, sizeof(why), "item \"%.*s\" twice in one list",
                     (int) imp->sl.ids[k].len, imp->sl.ids[k].p);
            return recsys_import_at(imp, RECSYS_EINVAL, why);
        }

        imp->mark[item] = imp->stamp;
        imp->stats->entries++;

        if (users ? recsys_row_contains(seen, item) : item == row) {
            imp->stats->seen++;
            continue;
        }

        rc = recsys_import_push(imp, row, item, (float) imp->sl.ids[k].score);
        if (rc != RECSYS_OK) {
            return rc;
        }
    }

    return RECSYS_OK;
}


static int
recsys_import_rule_line(recsys_import_t *imp);


/* Reads every line of every file of the input. */
static int
recsys_import_read(recsys_import_t *imp, const recsys_import_input_t *in,
    recsys_import_at_t *first)
{
    int             rc;
    size_t          len;
    uint32_t        f;
    const char     *p;
    recsys_lines_t  lines;

    for (f = 0; f < imp->n_files; f++) {
        imp->path = imp->files[f];
        imp->line = 0;

        rc = recsys_lines_open(&lines, imp->path);
        if (rc != RECSYS_OK) {
            snprintf(imp->err, imp->errlen, "%s: %s", imp->path, lines.err);
            return rc;
        }

        while ((rc = recsys_lines_next(&lines, &p, &len)) == 1) {
            imp->line = lines.line;

            if (len == 0) {
                continue;
            }

            imp->stats->lines++;

            rc = recsys_spark_parse(&imp->sl,
                                    in->kind == RECSYS_IMPORT_RULES
                                    ? RECSYS_SPARK_RULES : RECSYS_SPARK_LISTS,
                                    &in->cols, p, len, imp->err, imp->errlen);
            if (rc != RECSYS_OK) {
                char  why[256];

                snprintf(why, sizeof(why), "%s", imp->err);
                rc = recsys_import_at(imp, rc, why);
                break;
            }

            rc = in->kind == RECSYS_IMPORT_RULES
                 ? recsys_import_rule_line(imp)
                 : recsys_import_list_line(imp, in->kind
                                                == RECSYS_IMPORT_USERS,
                                           first, f);
            if (rc != RECSYS_OK) {
                break;
            }
        }

        if (rc < 0 && lines.err[0] != '\0') {
            imp->line = lines.line;
            recsys_import_at(imp, rc, lines.err);
        }

        recsys_lines_close(&lines);

        if (rc < 0) {
            return rc;
        }
    }

    return RECSYS_OK;
}


static int
recsys_import_cmp_pair(const void *a, const void *b)
{
    const recsys_import_pair_t  *x = a, *y = b;

    if (x->row != y->row) {
        return x->row < y->row ? -1 : 1;
    }

    if (x->score != y->score) {
        return x->score > y->score ? -1 : 1;
    }

    return x->order < y->order ? -1 : x->order > y->order;
}


/* The gathered pairs as a list of n_rows rows, best first. */
static int
recsys_import_pairs_csr(recsys_import_t *imp, uint32_t n_rows,
    recsys_csr_t *c)
{
    size_t  k;

    if (recsys_csr_alloc(c, n_rows, imp->n_pairs) != 0) {
        return RECSYS_ENOMEM;
    }

    qsort(imp->pairs, imp->n_pairs, sizeof(recsys_import_pair_t),
          recsys_import_cmp_pair);

    for (k = 0; k < imp->n_pairs; k++) {
        c->offsets[imp->pairs[k].row + 1]++;
        c->entries[k].item = imp->pairs[k].item;
        c->entries[k].score = imp->pairs[k].score;
    }

    for (k = 0; k < n_rows; k++) {
        c->offsets[k + 1] += c->offsets[k];
    }

    imp->n_pairs = 0;

    return RECSYS_OK;
}


/* One rule: kept when all its items are the model's. */
static int
recsys_import_rule_line(recsys_import_t *imp)
{
    int        rc;
    void      *p;
    uint32_t   k, n, item, at;
    size_t     cap;

    n = imp->sl.n_ante;

    if (imp->sl.n_cons != 1) {
        return recsys_import_at(imp, RECSYS_EINVAL, "\"consequent\" holds "
                                "more than one item (FP-growth's hold one)");
    }

    if (imp->n_rules + 1 >= imp->cap_rules) {
        cap = imp->cap_rules ? imp->cap_rules * 2 : 1024;
        p = realloc(imp->ante_off, (cap + 1) * sizeof(uint32_t));
        if (p == NULL) {
            return RECSYS_ENOMEM;
        }
        imp->ante_off = p;
        p = realloc(imp->cons, cap * sizeof(uint32_t));
        if (p == NULL) {
            return RECSYS_ENOMEM;
        }
        imp->cons = p;
        p = realloc(imp->conf, cap * sizeof(float));
        if (p == NULL) {
            return RECSYS_ENOMEM;
        }
        imp->conf = p;
        imp->cap_rules = cap;
    }

    at = imp->n_rules ? imp->ante_off[imp->n_rules] : 0;

    if (at + n > imp->cap_ante) {
        cap = imp->cap_ante ? imp->cap_ante * 2 : 4096;
        cap = cap > at + n ? cap : at + n;
        p = realloc(imp->ante, cap * sizeof(uint32_t));
        if (p == NULL) {
            return RECSYS_ENOMEM;
        }
        imp->ante = p;
        imp->cap_ante = cap;
    }

    imp->stamp++;

    for (k = 0; k <= n; k++) {
        rc = recsys_import_lookup(imp, 0, &imp->sl.ids[k], &item);
        if (rc != RECSYS_OK) {
            return rc > 0 ? RECSYS_OK : rc;
        }

        if (imp->mark[item] == imp->stamp) {
            return recsys_import_at(imp, RECSYS_EINVAL, "an item twice in "
                                    "one rule");
        }

        imp->mark[item] = imp->stamp;

        if (k < n) {
            imp->ante[at + k] = item;

        } else {
            imp->cons[imp->n_rules] = item;
        }
    }

    qsort(imp->ante + at, n, sizeof(uint32_t), recsys_sorted_cmp_u32);

    imp->ante_off[0] = 0;
    imp->conf[imp->n_rules] = (float) imp->sl.confidence;
    imp->ante_off[++imp->n_rules] = at + n;
    imp->stats->entries++;

    return RECSYS_OK;
}


/*
 * The candidates gathered in score[] (touched items, best score each) as
 * the next row of c, best first, ties by item, at most cap of them; the
 * scores are cleared for the next row.
 */
typedef struct {
    float      *score;          /* per item; 0: none */
    uint32_t   *touched;
    uint32_t    n_touched;
    size_t      cap_entries;
} recsys_import_dense_t;


static const float  *recsys_import_sort_score;

static int
recsys_import_cmp_dense(const void *a, const void *b)
{
    uint32_t  x, y;

    x = *(const uint32_t *) a;
    y = *(const uint32_t *) b;

    if (recsys_import_sort_score[x] != recsys_import_sort_score[y]) {
        return recsys_import_sort_score[x] > recsys_import_sort_score[y]
               ? -1 : 1;
    }

    return x < y ? -1 : x > y;
}


static int
recsys_import_dense_row(recsys_import_dense_t *d, recsys_csr_t *c,
    uint32_t row, uint32_t cap)
{
    void      *p;
    uint32_t   k, n, at;
    size_t     want;

    recsys_import_sort_score = d->score;
    qsort(d->touched, d->n_touched, sizeof(uint32_t),
          recsys_import_cmp_dense);

    n = d->n_touched < cap ? d->n_touched : cap;
    at = c->offsets[row];
    want = (size_t) at + n;

    if (want > d->cap_entries) {
        d->cap_entries = want > 2 * d->cap_entries ? want
                                                   : 2 * d->cap_entries;
        p = realloc(c->entries, d->cap_entries * sizeof(recsys_entry_t));
        if (p == NULL) {
            return RECSYS_ENOMEM;
        }
        c->entries = p;
    }

    for (k = 0; k < n; k++) {
        c->entries[at + k].item = d->touched[k];
        c->entries[at + k].score = d->score[d->touched[k]];
    }

    for (k = 0; k < d->n_touched; k++) {
        d->score[d->touched[k]] = 0.0f;
    }

    d->n_touched = 0;
    c->offsets[row + 1] = at + n;
    c->n_entries = at + n;

    return RECSYS_OK;
}


static void
recsys_import_dense_add(recsys_import_dense_t *d, uint32_t item, float s)
{
    if (d->score[item] == 0.0f) {
        d->touched[d->n_touched++] = item;
    }

    if (s > d->score[item]) {
        d->score[item] = s;
    }
}


/*
 * The rules' lists: per item its one-item rules' consequents; per user the
 * consequents of the rules whose antecedent the user has all seen (found
 * through the index of rules by their smallest antecedent item).
 */
static int
recsys_import_rules_lists(recsys_import_t *imp, recsys_csr_t *users,
    recsys_csr_t *items)
{
    int                     rc;
    uint32_t                n_items, r, i, k, e, u, a;
    uint32_t               *by_off, *by;
    recsys_row_t            seen;
    recsys_import_dense_t   d;
    const recsys_list_t    *seen_list;

    n_items = imp->h->n_items;
    memset(&d, 0, sizeof(d));
    d.score = calloc(n_items ? n_items : 1, sizeof(float));
    d.touched = malloc((n_items ? n_items : 1) * sizeof(uint32_t));
    by_off = calloc((size_t) n_items + 1, sizeof(uint32_t));
    by = malloc((imp->n_rules ? imp->n_rules : 1) * sizeof(uint32_t));
    rc = RECSYS_ENOMEM;

    if (d.score == NULL || d.touched == NULL || by_off == NULL || by == NULL
        || recsys_csr_alloc(users, imp->h->n_users, 0) != 0
        || recsys_csr_alloc(items, n_items, 0) != 0)
    {
        goto done;
    }

    for (r = 0; r < imp->n_rules; r++) {
        by_off[imp->ante[imp->ante_off[r]] + 1]++;
    }

    for (i = 0; i < n_items; i++) {
        by_off[i + 1] += by_off[i];
    }

    for (r = 0; r < imp->n_rules; r++) {
        by[by_off[imp->ante[imp->ante_off[r]]]++] = r;
    }

    memmove(by_off + 1, by_off, (size_t) n_items * sizeof(uint32_t));
    by_off[0] = 0;

    rc = RECSYS_OK;

    for (i = 0; rc == RECSYS_OK && i < n_items; i++) {
        for (k = by_off[i]; k < by_off[i + 1]; k++) {
            r = by[k];
            if (imp->ante_off[r + 1] - imp->ante_off[r] == 1
                && imp->cons[r] != i)
            {
                recsys_import_dense_add(&d, imp->cons[r], imp->conf[r]);
            }
        }

        rc = recsys_import_dense_row(&d, items, i, UINT32_MAX);
    }

    d.cap_entries = 0;
    seen_list = recsys_model_list(imp->m, RECSYS_L_USER_SEEN);

    for (u = 0; rc == RECSYS_OK && u < imp->h->n_users; u++) {
        seen = recsys_list_row(seen_list, u);

        for (e = 0; e < seen.n; e++) {
            i = recsys_row_item(seen, e);

            for (k = by_off[i]; k < by_off[i + 1]; k++) {
                r = by[k];

                for (a = imp->ante_off[r] + 1; a < imp->ante_off[r + 1]; a++)
                {
                    if (!recsys_row_contains(seen, imp->ante[a])) {
                        break;
                    }
                }

                if (a == imp->ante_off[r + 1]
                    && !recsys_row_contains(seen, imp->cons[r]))
                {
                    recsys_import_dense_add(&d, imp->cons[r], imp->conf[r]);
                }
            }
        }

        rc = recsys_import_dense_row(&d, users, u, imp->h->user_top);
    }

done:

    free(d.score);
    free(d.touched);
    free(by_off);
    free(by);

    return rc;
}


/* The slot of name, a new one when it is new. */
static int
recsys_import_slot(recsys_import_t *imp, const char *name, unsigned *slot)
{
    unsigned  k;

    for (k = 0; k < imp->n_slots; k++) {
        if (strcmp(imp->names[k], name) == 0) {
            *slot = k;
            return RECSYS_OK;
        }
    }

    if (!recsys_source_import_name_ok(name, strlen(name))) {
        snprintf(imp->err, imp->errlen, "\"%s\" cannot name a source: 1 to "
                 "%d of a-z, 0-9 and _, and no built-in source's name",
                 name, RECSYS_IMPORT_NAME_MAX);
        return RECSYS_EINVAL;
    }

    if (imp->n_slots == RECSYS_NIMPORT) {
        snprintf(imp->err, imp->errlen, "at most %d imported sources",
                 RECSYS_NIMPORT);
        return RECSYS_EINVAL;
    }

    imp->names[imp->n_slots] = name;
    *slot = imp->n_slots++;

    return RECSYS_OK;
}


/* One input into its slot's lists. */
static int
recsys_import_input(recsys_import_t *imp, const recsys_import_input_t *in)
{
    int                  rc;
    unsigned             slot;
    uint32_t             n_rows;
    recsys_csr_t        *users, *items;
    recsys_import_at_t  *first;

    rc = recsys_import_slot(imp, in->name, &slot);
    if (rc != RECSYS_OK) {
        return rc;
    }

    users = &imp->lists[slot][0];
    items = &imp->lists[slot][1];

    if ((in->kind != RECSYS_IMPORT_ITEMS && users->offsets != NULL)
        || (in->kind != RECSYS_IMPORT_USERS && items->offsets != NULL))
    {
        snprintf(imp->err, imp->errlen, "%s: its %s lists are given twice",
                 in->name, items->offsets != NULL ? "item" : "user");
        return RECSYS_EINVAL;
    }

    rc = recsys_import_list_dir(imp, in->dir);
    if (rc != RECSYS_OK) {
        return rc;
    }

    n_rows = in->kind == RECSYS_IMPORT_USERS ? imp->h->n_users
                                             : imp->h->n_items;
    first = calloc((size_t) n_rows + 1, sizeof(recsys_import_at_t));

    rc = first == NULL ? RECSYS_ENOMEM : recsys_import_read(imp, in, first);
    free(first);

    if (rc == RECSYS_OK) {
        if (in->kind == RECSYS_IMPORT_RULES) {
            rc = recsys_import_rules_lists(imp, users, items);
            imp->n_rules = 0;

        } else {
            rc = recsys_import_pairs_csr(imp, n_rows,
                                         in->kind == RECSYS_IMPORT_USERS
                                         ? users : items);
        }
    }

    recsys_import_free_files(imp);

    return rc;
}


/* Whether a blob of the input model is an import this one replaces. */
static int
recsys_import_replaced(const MDB_val *key)
{
    static const char  *prefixes[] = { RECSYS_BLOB_IMPORT_NAMES,
                                       RECSYS_BLOB_USER_RECS "import",
                                       RECSYS_BLOB_ITEM_NBRS "import" };
    size_t  k, n;

    for (k = 0; k < sizeof(prefixes) / sizeof(prefixes[0]); k++) {
        n = strlen(prefixes[k]);
        if (key->mv_size >= n && memcmp(key->mv_data, prefixes[k], n) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* Leaves out the header, the model id and the old imports. */
static int
recsys_import_filter(void *ctx, recsys_wdb_t db, const MDB_val *key,
    MDB_val *val)
{
    (void) ctx;
    (void) val;

    if (db == RECSYS_W_META) {
        return (key->mv_size == sizeof(RECSYS_META_HEADER) - 1
                && memcmp(key->mv_data, RECSYS_META_HEADER, key->mv_size)
                   == 0)
               || (key->mv_size == sizeof(RECSYS_META_MODEL_ID) - 1
                   && memcmp(key->mv_data, RECSYS_META_MODEL_ID,
                             key->mv_size) == 0);
    }

    return db == RECSYS_W_BLOBS && recsys_import_replaced(key);
}


/* The slots' lists, their names and the new header and model id. */
static int
recsys_import_write_new(recsys_import_t *imp, recsys_writer_t *w)
{
    int               rc;
    char              name[64], ts[32];
    time_t            now;
    unsigned          k, j;
    uint32_t          digest;
    struct tm         tm;
    const char       *names[RECSYS_NIMPORT];
    recsys_header_t   h;

    static const char  *bases[2] = { RECSYS_BLOB_USER_RECS,
                                     RECSYS_BLOB_ITEM_NBRS };

    h = *imp->h;
    h.sources &= (1u << RECSYS_SRC_IMPORT) - 1;
    digest = 2166136261u;
    rc = RECSYS_OK;

    for (k = 0; k < RECSYS_NIMPORT; k++) {
        names[k] = k < imp->n_slots ? imp->names[k] : "";

        for (j = 0; rc == RECSYS_OK && j < 2 && k < imp->n_slots; j++) {
            if (imp->lists[k][j].offsets == NULL) {
                continue;
            }

            snprintf(name, sizeof(name), "%s%s", bases[j],
                     recsys_source_key(RECSYS_SRC_IMPORT + (int) k));
            rc = recsys_build_write_list(w, name, &imp->lists[k][j], &digest);
            h.sources |= 1u << (RECSYS_SRC_IMPORT + k);
        }
    }

    if (rc == RECSYS_OK) {
        rc = recsys_build_write_names(w, RECSYS_BLOB_IMPORT_NAMES, names,
                                      RECSYS_NIMPORT, 1);
    }

    if (imp->o->model_id != NULL) {
        snprintf(imp->stats->model_id, sizeof(imp->stats->model_id), "%s",
                 imp->o->model_id);

    } else {
        now = time(NULL);
        gmtime_r(&now, &tm);
        strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
        snprintf(imp->stats->model_id, sizeof(imp->stats->model_id),
                 "%s-%04x", ts, (digest ^ (digest >> 16)) & 0xffff);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_writer_put(w, RECSYS_W_META, RECSYS_META_HEADER,
                               strlen(RECSYS_META_HEADER), &h, sizeof(h), 0);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_writer_put(w, RECSYS_W_META, RECSYS_META_MODEL_ID,
                               strlen(RECSYS_META_MODEL_ID),
                               imp->stats->model_id,
                               strlen(imp->stats->model_id), 0);
    }

    return rc;
}


static int
recsys_import_publish(recsys_import_t *imp)
{
    int              rc;
    size_t           size;
    unsigned         k, j;
    struct stat      st;
    recsys_writer_t  w;

    size = stat(imp->o->model, &st) == 0 ? (size_t) st.st_size : 0;

    for (k = 0; k < imp->n_slots; k++) {
        for (j = 0; j < 2; j++) {
            size += ((size_t) imp->lists[k][j].n_rows + 1) * 4
                    + (size_t) imp->lists[k][j].n_entries * 8;
        }
    }

    rc = recsys_writer_open(&w, imp->o->out, size + size / 4 + (8u << 20));

    if (rc == RECSYS_OK) {
        rc = recsys_copy_model(imp->o->model, &w, recsys_import_filter,
                               NULL, imp->err, imp->errlen);
        if (rc == RECSYS_OK) {
            rc = recsys_import_write_new(imp, &w);
        }

        if (rc == RECSYS_OK) {
            rc = recsys_writer_publish(&w);
        }
    }

    if (rc != RECSYS_OK) {
        if (imp->err[0] == '\0') {
            snprintf(imp->err, imp->errlen, "%s: %s", imp->o->out,
                     w.err[0] ? w.err : recsys_strerror(rc));
        }

        recsys_writer_abort(&w);
    }

    return rc;
}


int
recsys_import_run(const recsys_import_opts_t *o,
    recsys_import_stats_t *stats, char *err, size_t errlen)
{
    int              rc;
    char             why[256];
    unsigned         k, j;
    recsys_import_t  imp;

    memset(&imp, 0, sizeof(imp));
    memset(stats, 0, sizeof(recsys_import_stats_t));
    imp.o = o;
    imp.stats = stats;
    imp.err = err;
    imp.errlen = errlen;
    err[0] = '\0';

    rc = recsys_model_open_flags(o->model, RECSYS_MODEL_OPEN_VERIFY, &imp.m,
                                 why, sizeof(why));
    if (rc != RECSYS_OK) {
        snprintf(err, errlen, "%s: %s", o->model, why);
        return rc;
    }

    imp.h = recsys_model_header(imp.m);
    imp.mark = calloc((size_t) imp.h->n_items + 1, sizeof(uint32_t));
    rc = imp.mark == NULL ? RECSYS_ENOMEM : RECSYS_OK;

    for (k = 0; rc == RECSYS_OK && k < o->n_inputs; k++) {
        rc = recsys_import_input(&imp, &o->inputs[k]);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_import_publish(&imp);
    }

    if (rc == RECSYS_ENOMEM && err[0] == '\0') {
        snprintf(err, errlen, "out of memory");
    }

    for (k = 0; k < RECSYS_NIMPORT; k++) {
        for (j = 0; j < 2; j++) {
            recsys_csr_free(&imp.lists[k][j]);
        }
    }

    recsys_import_free_files(&imp);
    recsys_spark_free(&imp.sl);
    free(imp.mark);
    free(imp.pairs);
    free(imp.ante);
    free(imp.ante_off);
    free(imp.cons);
    free(imp.conf);
    recsys_model_close(imp.m);

    return rc;
}
