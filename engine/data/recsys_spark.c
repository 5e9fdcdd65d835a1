/*
 * recsys_spark.c: one line of Spark's JSON Lines output, parsed with
 * jansson and checked against the shapes of recsys_spark.h.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_spark.h"
#include "recsys_status.h"
#include "recsys_text.h"


static const recsys_spark_cols_t  recsys_spark_default_cols = {
    "user", "recommendations", "item", "rating"
};


/* "why" after where: a column name, quoted, or an element's path. */
static int
recsys_spark_fail(char *err, size_t errlen, const char *where,
    const char *why)
{
    snprintf(err, errlen, "%s%s%s %s", where[0] == '"' ? "" : "\"", where,
             where[0] == '"' ? "" : "\"", why);
    return RECSYS_EINVAL;
}


/* The field col of obj: present and not null, or RECSYS_EINVAL. */
static int
recsys_spark_field(json_t *obj, const char *col, json_t **v, char *err,
    size_t errlen)
{
    *v = json_object_get(obj, col);

    if (*v == NULL) {
        return recsys_spark_fail(err, errlen, col,
                                 "is missing (Spark leaves a null out)");
    }

    if (json_is_null(*v)) {
        return recsys_spark_fail(err, errlen, col, "is null");
    }

    return RECSYS_OK;
}


/* An id: a string or an integer, as its bytes in id. */
static int
recsys_spark_id(json_t *v, const char *col, recsys_spark_id_t *id, char *err,
    size_t errlen)
{
    if (json_is_string(v)) {
        id->p = json_string_value(v);
        id->len = json_string_length(v);

    } else if (json_is_integer(v)) {
        snprintf(id->num, sizeof(id->num), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        id->p = id->num;
        id->len = strlen(id->num);

    } else {
        return recsys_spark_fail(err, errlen, col,
                                 json_is_null(v) ? "is null"
                                 : "is not an id (a string or an integer)");
    }

    if (!recsys_id_valid(id->p, id->len)) {
        return recsys_spark_fail(err, errlen, col,
                                 "is not an id of 1 to 256 bytes of UTF-8");
    }

    return RECSYS_OK;
}


static int
recsys_spark_number(json_t *obj, const char *col, int required, double *out,
    char *err, size_t errlen)
{
    int      rc;
    json_t  *v;

    if (!required && json_object_get(obj, col) == NULL) {
        *out = 0.0;
        return RECSYS_OK;
    }

    rc = recsys_spark_field(obj, col, &v, err, errlen);
    if (rc != RECSYS_OK) {
        return rc;
    }

    if (!json_is_number(v) || !isfinite(json_number_value(v))) {
        return recsys_spark_fail(err, errlen, col, "is not a number");
    }

    *out = json_number_value(v);

    return RECSYS_OK;
}


static int
recsys_spark_reserve(recsys_spark_line_t *line, size_t n)
{
    size_t              cap;
    recsys_spark_id_t  *ids;

    if (n <= line->cap) {
        return RECSYS_OK;
    }

    cap = line->cap ? line->cap : 16;
    while (cap < n) {
        cap *= 2;
    }

    ids = realloc(line->ids, cap * sizeof(recsys_spark_id_t));
    if (ids == NULL) {
        return RECSYS_ENOMEM;
    }

    line->ids = ids;
    line->cap = (uint32_t) cap;

    return RECSYS_OK;
}


/*
 * The non-empty array col of obj, its ids appended to line->ids from at:
 * with entries, structs of an id and a score (cols), else plain ids.
 */
static int
recsys_spark_array(recsys_spark_line_t *line, json_t *obj, const char *col,
    const recsys_spark_cols_t *entries, uint32_t at, uint32_t *n, char *err,
    size_t errlen)
{
    int                 rc;
    char                what[320];
    size_t              i, size;
    json_t             *a, *e, *v;
    recsys_spark_id_t  *id;

    rc = recsys_spark_field(obj, col, &a, err, errlen);
    if (rc != RECSYS_OK) {
        return rc;
    }

    size = json_is_array(a) ? json_array_size(a) : 0;

    if (!json_is_array(a) || size == 0) {
        return recsys_spark_fail(err, errlen, col,
                                 json_is_array(a) ? "is an empty array"
                                                  : "is not an array");
    }

    if (size > UINT32_MAX - at || recsys_spark_reserve(line, at + size) != 0)
    {
        return RECSYS_ENOMEM;
    }

    for (i = 0; i < size; i++) {
        e = json_array_get(a, i);
        id = &line->ids[at + i];
        id->score = 0.0;
        snprintf(what, sizeof(what), "\"%s\"[%zu]", col, i);

        if (entries == NULL) {
            rc = recsys_spark_id(e, what, id, err, errlen);

        } else if (!json_is_object(e)) {
            rc = recsys_spark_fail(err, errlen, what, "is not a struct");

        } else {
            snprintf(what, sizeof(what), "\"%s\"[%zu].\"%s\"", col, i,
                     entries->id);
            v = json_object_get(e, entries->id);
            rc = v == NULL ? recsys_spark_fail(err, errlen, what,
                                               "is missing")
                           : recsys_spark_id(v, what, id, err, errlen);

            if (rc == RECSYS_OK) {
                snprintf(what, sizeof(what), "\"%s\"[%zu].\"%s\"", col,
                         i, entries->score);
                rc = recsys_spark_number(e, entries->score, 1, &id->score,
                                         err, errlen);
                if (rc != RECSYS_OK) {
                    rc = recsys_spark_fail(err, errlen, what,
                                           "is missing, null or not a "
                                           "number");
                }
            }
        }

        if (rc != RECSYS_OK) {
            return rc;
        }
    }

    *n = (uint32_t) size;

    return RECSYS_OK;
}


static int
recsys_spark_lists(recsys_spark_line_t *line, const recsys_spark_cols_t *c,
    char *err, size_t errlen)
{
    int      rc;
    json_t  *v;

    rc = recsys_spark_field(line->root, c->row, &v, err, errlen);

    if (rc == RECSYS_OK) {
        rc = recsys_spark_id(v, c->row, &line->row, err, errlen);
    }

    if (rc == RECSYS_OK) {
        rc = recsys_spark_array(line, line->root, c->list, c, 0, &line->n,
                                err, errlen);
    }

    return rc;
}


/* A rule: its two arrays of ids, then its numbers (lift, support may be
   absent: older Spark versions do not write them). */
static int
recsys_spark_rules(recsys_spark_line_t *line, char *err, size_t errlen)
{
    int  rc, k;

    struct {
        const char  *col;
        int          required;
        double      *out;
    }  nums[3] = {
        { "confidence", 1, NULL },
        { "lift", 0, NULL },
        { "support", 0, NULL }
    };

    nums[0].out = &line->confidence;
    nums[1].out = &line->lift;
    nums[2].out = &line->support;

    rc = recsys_spark_array(line, line->root, "antecedent", NULL, 0,
                            &line->n_ante, err, errlen);

    if (rc == RECSYS_OK) {
        rc = recsys_spark_array(line, line->root, "consequent", NULL,
                                line->n_ante, &line->n_cons, err, errlen);
    }

    for (k = 0; rc == RECSYS_OK && k < 3; k++) {
        rc = recsys_spark_number(line->root, nums[k].col, nums[k].required,
                                 nums[k].out, err, errlen);
    }

    if (rc == RECSYS_OK
        && (line->confidence <= 0.0 || line->confidence > 1.0))
    {
        rc = recsys_spark_fail(err, errlen, "confidence",
                               "is not in (0, 1]");
    }

    return rc;
}


int
recsys_spark_parse(recsys_spark_line_t *line, recsys_spark_kind_t kind,
    const recsys_spark_cols_t *cols, const char *text, size_t len,
    char *err, size_t errlen)
{
    json_error_t  jerr;

    if (line->root != NULL) {
        json_decref(line->root);
    }

    line->n = 0;
    line->n_ante = 0;
    line->n_cons = 0;
    line->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);

    if (line->root == NULL || !json_is_object(line->root)) {
        snprintf(err, errlen, "not a JSON object: %s",
                 line->root == NULL ? jerr.text : "another value");
        return RECSYS_EINVAL;
    }

    if (kind == RECSYS_SPARK_RULES) {
        return recsys_spark_rules(line, err, errlen);
    }

    return recsys_spark_lists(line, cols ? cols : &recsys_spark_default_cols,
                              err, errlen);
}


void
recsys_spark_free(recsys_spark_line_t *line)
{
    if (line->root != NULL) {
        json_decref(line->root);
    }

    free(line->ids);
    memset(line, 0, sizeof(recsys_spark_line_t));
}
