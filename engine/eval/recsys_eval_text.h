/*
 * recsys_eval_text.h: how the evaluation's reports write values: a metric
 * cell, an algorithm's name with its settings, text on an HTML page and a
 * CSV field.  Shared by the accuracy table (recsys_eval.c), the extra
 * tables (recsys_eval_extra_report.c) and the CSV files eval writes.
 */

#ifndef RECSYS_EVAL_TEXT_H
#define RECSYS_EVAL_TEXT_H

#include <stddef.h>
#include <stdio.h>

#include "recsys_eval.h"


/* A metric's cell: "%.6f", or "-" for NaN. */
void recsys_eval_text_cell(double v, char *buf, size_t len);

/* The algorithm as tables show it: its label, and its parameters if any. */
void recsys_eval_text_label(const recsys_eval_result_t *r, char *buf,
    size_t len);

/* Writes s to an HTML page with &, <, >, " and ' escaped. */
void recsys_eval_text_html(FILE *f, const char *s);

/*
 * Writes s[0 .. len) as one CSV field: as it is, or quoted (RFC 4180) when
 * it holds a comma, a quote, a line break or surrounding space.
 */
void recsys_eval_text_csv(FILE *f, const char *s, size_t len);

#endif /* RECSYS_EVAL_TEXT_H */
