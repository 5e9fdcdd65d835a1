/*
 * recsys_eval_text.c: the value writers of the evaluation's reports
 * (recsys_eval_text.h).
 */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "recsys_eval_text.h"


void
recsys_eval_text_cell(double v, char *buf, size_t len)
{
    if (isnan(v)) {
        snprintf(buf, len, "-");

    } else {
        snprintf(buf, len, "%.6f", v);
    }
}


void
recsys_eval_text_label(const recsys_eval_result_t *r, char *buf, size_t len)
{
    if (r->params != NULL) {
        snprintf(buf, len, "%s:%s", r->algo->label, r->params);

    } else {
        snprintf(buf, len, "%s", r->algo->label);
    }
}


void
recsys_eval_text_html(FILE *f, const char *s)
{
    const char         *c;
    static const char   specials[] = "&<>\"'";
    static const char  *const entities[] = {
        "&amp;", "&lt;", "&gt;", "&quot;", "&#39;"
    };

    for ( ; *s != '\0'; s++) {
        c = strchr(specials, *s);

        if (c != NULL) {
            fputs(entities[c - specials], f);

        } else {
            fputc(*s, f);
        }
    }
}


void
recsys_eval_text_csv(FILE *f, const char *s, size_t len)
{
    size_t  i;
    int     quote;

    quote = len == 0 || s[0] == ' ' || s[len - 1] == ' ';

    for (i = 0; i < len && !quote; i++) {
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n'
                || s[i] == '\t';
    }

    if (!quote) {
        fwrite(s, 1, len, f);
        return;
    }

    fputc('"', f);

    for (i = 0; i < len; i++) {
        if (s[i] == '"') {
            fputc('"', f);
        }

        fputc(s[i], f);
    }

    fputc('"', f);
}
