/*
 * recsys_spark.h: one line of Spark's JSON Lines output, checked.
 *
 * DataFrame.write.json writes one JSON object per line.  Two shapes are
 * read here, as Spark 3.5 documents them:
 *
 *   lists  (ALSModel.recommendForAllUsers(n), recommendForAllItems(n), or
 *          any item-to-item job of the same shape): a row column and a list
 *          column, an array of structs holding an id and a score, e.g.
 *          {"user":196,"recommendations":[{"item":242,"rating":4.61},...]}
 *   rules  (FPGrowthModel.associationRules): {"antecedent":[...],
 *          "consequent":[...],"confidence":0.8,"lift":2.1,"support":0.05};
 *          lift and support may be absent (Spark before 2.4 and 3.0).
 *
 * Ids are JSON strings or integers (ALS needs integer ids; they are read as
 * their decimal text, which is how the catalog names them).  Spark leaves
 * a null field out of the line (ignoreNullFields, the default since 3.0)
 * or writes it as null: both are refused with the column's name, like an
 * empty array, a non-finite score or an id over RECSYS_ID_MAX bytes.
 */

#ifndef RECSYS_SPARK_H
#define RECSYS_SPARK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "recsys_schema.h"


typedef enum {
    RECSYS_SPARK_LISTS = 0,
    RECSYS_SPARK_RULES
} recsys_spark_kind_t;

/* The column names of a lists line (NULL: the defaults of lists). */
typedef struct {
    const char  *row;           /* "user" */
    const char  *list;          /* "recommendations" */
    const char  *id;            /* "item" */
    const char  *score;         /* "rating" */
} recsys_spark_cols_t;

/* One id of a line: its bytes (in the parsed JSON, or in num). */
typedef struct {
    const char  *p;
    size_t       len;
    double       score;         /* lists: the entry's score */
    char         num[24];       /* an integer id's decimal text */
} recsys_spark_id_t;

typedef struct {
    json_t             *root;
    recsys_spark_id_t   row;            /* lists: the row's id */
    recsys_spark_id_t  *ids;            /* lists: entries; rules: the
                                           antecedent then the consequent */
    uint32_t            n;              /* lists: entries */
    uint32_t            n_ante;         /* rules */
    uint32_t            n_cons;
    uint32_t            cap;
    double              confidence, lift, support;     /* rules */
} recsys_spark_line_t;


/*
 * Parses one line (len bytes, no newline) into line, whose earlier content
 * it replaces.  RECSYS_OK, RECSYS_EINVAL with "why" in err (no file or line
 * number: the caller adds them), or RECSYS_ENOMEM.
 */
int recsys_spark_parse(recsys_spark_line_t *line, recsys_spark_kind_t kind,
    const recsys_spark_cols_t *cols, const char *text, size_t len,
    char *err, size_t errlen);

void recsys_spark_free(recsys_spark_line_t *line);

#endif /* RECSYS_SPARK_H */
