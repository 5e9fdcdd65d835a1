/*
 * recsys_eval_extra_report.c: the beyond-accuracy and significance parts
 * of the evaluation's reports (recsys_eval_extra.h): two more tables in
 * the text output and the HTML page, more members in the JSON, and the
 * per-user CSV file.  The accuracy table before them is left exactly as
 * it was.
 *
 * A difference against the baseline counts as significant when both the
 * paired t-test and the Wilcoxon test give p < 0.05; the text marks the
 * others "n.s.", the HTML page greys them out and marks them too.
 */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recsys_eval_extra.h"
#include "recsys_eval_text.h"
#include "recsys_status.h"

#define RECSYS_EXTRA_ALPHA  0.05
#define RECSYS_EXTRA_CELL   48
#define RECSYS_EXTRA_COLS   16


/* the beyond table's columns, in order */
static const int  recsys_extra_beyond[] = {
    RECSYS_BEYOND_MRR, RECSYS_BEYOND_NOVELTY, RECSYS_BEYOND_ILD_GENRE,
    RECSYS_BEYOND_ILD_CONTENT, RECSYS_BEYOND_ARP, RECSYS_BEYOND_APLT,
    RECSYS_BEYOND_SERENDIPITY, RECSYS_BEYOND_GINI, RECSYS_BEYOND_ENTROPY,
    RECSYS_BEYOND_DIST_COVERAGE
};

#define RECSYS_EXTRA_N_BEYOND                                               \
    (sizeof(recsys_extra_beyond) / sizeof(recsys_extra_beyond[0]))

static const char  *recsys_extra_vs_names[RECSYS_EVAL_VS_N] = {
    "ndcg", "map"
};


/* a table of strings: the header row first, then one row per result */
typedef struct {
    uint32_t  rows;
    uint32_t  cols;
    char     *cell;     /* rows x cols x RECSYS_EXTRA_CELL */
} recsys_extra_table_t;


static char *
recsys_extra_at(recsys_extra_table_t *t, uint32_t row, uint32_t col)
{
    return t->cell + ((size_t) row * t->cols + col) * RECSYS_EXTRA_CELL;
}


static int
recsys_extra_cold_users(const recsys_eval_report_t *rep)
{
    uint32_t  i, n;

    n = 0;
    for (i = 0; i < rep->n_folds; i++) {
        n += rep->folds[i].cold_users;
    }

    return (int) n;
}


static int
recsys_extra_significant(const recsys_stats_paired_t *s)
{
    return s->p_t < RECSYS_EXTRA_ALPHA && s->p_w < RECSYS_EXTRA_ALPHA;
}


static void
recsys_extra_p(double p, char *buf, size_t len)
{
    if (isnan(p)) {
        snprintf(buf, len, "-");

    } else if (p < 0.0001) {
        snprintf(buf, len, "%.1e", p);

    } else {
        snprintf(buf, len, "%.4f", p);
    }
}


/* The beyond-accuracy table: label, the metrics, warm and cold nDCG. */
static int
recsys_extra_beyond_table(const recsys_eval_report_t *rep,
    recsys_extra_table_t *t)
{
    int       cold;
    size_t    c;
    uint32_t  a, col;

    cold = recsys_extra_cold_users(rep) > 0;
    t->rows = rep->n_results + 1;
    t->cols = 1 + RECSYS_EXTRA_N_BEYOND + (cold ? 2 : 0);
    t->cell = calloc((size_t) t->rows * t->cols, RECSYS_EXTRA_CELL);

    if (t->cell == NULL) {
        return RECSYS_ENOMEM;
    }

    snprintf(recsys_extra_at(t, 0, 0), RECSYS_EXTRA_CELL, "algo");

    for (c = 0; c < RECSYS_EXTRA_N_BEYOND; c++) {
        const char  *label = recsys_beyond_name(recsys_extra_beyond[c], 1);

        if (label[strlen(label) - 1] == '@') {
            snprintf(recsys_extra_at(t, 0, 1 + c), RECSYS_EXTRA_CELL,
                     "%s%u", label, rep->opts.k);

        } else {
            snprintf(recsys_extra_at(t, 0, 1 + c), RECSYS_EXTRA_CELL, "%s",
                     label);
        }
    }

    if (cold) {
        snprintf(recsys_extra_at(t, 0, t->cols - 2), RECSYS_EXTRA_CELL,
                 "nDCG@%u warm", rep->opts.k);
        snprintf(recsys_extra_at(t, 0, t->cols - 1), RECSYS_EXTRA_CELL,
                 "nDCG@%u cold", rep->opts.k);
    }

    for (a = 0; a < rep->n_results; a++) {
        const recsys_eval_result_t  *r = &rep->results[a];

        recsys_eval_text_label(r, recsys_extra_at(t, a + 1, 0),
                               RECSYS_EXTRA_CELL);

        for (c = 0; c < RECSYS_EXTRA_N_BEYOND; c++) {
            recsys_eval_text_cell(r->beyond[recsys_extra_beyond[c]],
                             recsys_extra_at(t, a + 1, 1 + c),
                             RECSYS_EXTRA_CELL);
        }

        col = 1 + RECSYS_EXTRA_N_BEYOND;

        if (cold) {
            recsys_eval_text_cell(r->ndcg_warm, recsys_extra_at(t, a + 1, col),
                             RECSYS_EXTRA_CELL);
            recsys_eval_text_cell(r->ndcg_cold,
                             recsys_extra_at(t, a + 1, col + 1),
                             RECSYS_EXTRA_CELL);
        }
    }

    return RECSYS_OK;
}


/* The significance table: per metric the difference, interval, p, p. */
static int
recsys_extra_vs_table(const recsys_eval_report_t *rep,
    recsys_extra_table_t *t)
{
    uint32_t  a, c, col;
    char     *cell;

    static const char  *heads[] = { "diff", "95% interval", "p t-test",
                                    "p Wilcoxon" };

    t->rows = rep->n_results + 1;
    t->cols = 1 + 4 * RECSYS_EVAL_VS_N;
    t->cell = calloc((size_t) t->rows * t->cols, RECSYS_EXTRA_CELL);

    if (t->cell == NULL) {
        return RECSYS_ENOMEM;
    }

    snprintf(recsys_extra_at(t, 0, 0), RECSYS_EXTRA_CELL, "algo");

    for (c = 0; c < RECSYS_EVAL_VS_N; c++) {
        for (col = 0; col < 4; col++) {
            cell = recsys_extra_at(t, 0, 1 + 4 * c + col);

            if (col > 0) {
                snprintf(cell, RECSYS_EXTRA_CELL, "%s", heads[col]);

            } else if (c == RECSYS_EVAL_VS_NDCG) {
                snprintf(cell, RECSYS_EXTRA_CELL, "nDCG@%u diff",
                         rep->opts.k);

            } else {
                snprintf(cell, RECSYS_EXTRA_CELL, "MAP diff");
            }
        }
    }

    for (a = 0; a < rep->n_results; a++) {
        const recsys_eval_result_t  *r = &rep->results[a];

        recsys_eval_text_label(r, recsys_extra_at(t, a + 1, 0),
                               RECSYS_EXTRA_CELL);

        for (c = 0; c < RECSYS_EVAL_VS_N; c++) {
            const recsys_stats_paired_t  *s = &r->vs[c];

            cell = recsys_extra_at(t, a + 1, 1 + 4 * c);

            if (a == rep->baseline) {
                snprintf(cell, RECSYS_EXTRA_CELL, "(baseline)");
                continue;
            }

            snprintf(cell, RECSYS_EXTRA_CELL, "%+.6f%s", s->diff,
                     recsys_extra_significant(s) ? "" : " n.s.");
            snprintf(cell + RECSYS_EXTRA_CELL, RECSYS_EXTRA_CELL,
                     "[%+.6f, %+.6f]", s->ci_lo, s->ci_hi);
            recsys_extra_p(s->p_t, cell + 2 * RECSYS_EXTRA_CELL,
                           RECSYS_EXTRA_CELL);
            recsys_extra_p(s->p_w, cell + 3 * RECSYS_EXTRA_CELL,
                           RECSYS_EXTRA_CELL);
        }
    }

    return RECSYS_OK;
}


/* Prints t aligned: the first column left, the others right. */
static void
recsys_extra_print_table(recsys_extra_table_t *t, FILE *f)
{
    size_t    w[RECSYS_EXTRA_COLS], len;
    uint32_t  row, col;

    for (col = 0; col < t->cols; col++) {
        w[col] = 0;

        for (row = 0; row < t->rows; row++) {
            len = strlen(recsys_extra_at(t, row, col));
            w[col] = len > w[col] ? len : w[col];
        }
    }

    for (row = 0; row < t->rows; row++) {
        fprintf(f, "%-*s", (int) w[0], recsys_extra_at(t, row, 0));

        for (col = 1; col < t->cols; col++) {
            fprintf(f, "  %*s", (int) w[col], recsys_extra_at(t, row, col));
        }

        fprintf(f, "\n");
    }
}


void
recsys_eval_extra_print_split(const recsys_eval_report_t *rep, FILE *f)
{
    int  cold;

    if (rep->opts.protocol == RECSYS_EVAL_TIME) {
        fprintf(f, "  cutoff %lld (", (long long) rep->cutoff);

        if (rep->opts.cutoff > 0 && !rep->opts.validation) {
            fprintf(f, "--cutoff");

        } else {
            fprintf(f, "the newest %.4g of the rows", rep->opts.test_share);
        }

        fprintf(f, "): train rows before it, test rows from it on\n");
    }

    cold = recsys_extra_cold_users(rep);

    if (cold > 0 || rep->opts.protocol == RECSYS_EVAL_TIME) {
        fprintf(f, "  %d of the users evaluated are cold (no train rows): "
                "answered as unknown users, counted in every figure and "
                "shown apart below\n", cold);
    }
}


/* jansson real, or null for NaN and infinities */
static json_t *
recsys_extra_real(double v)
{
    return isnan(v) || isinf(v) ? json_null() : json_real(v);
}


static json_t *
recsys_extra_json_beyond(const double *v)
{
    int      m, bad;
    json_t  *o;

    o = json_object();
    if (o == NULL) {
        return NULL;
    }

    bad = 0;
    for (m = 0; m < RECSYS_BEYOND_N; m++) {
        bad |= json_object_set_new(o, recsys_beyond_name(m, 0),
                                   recsys_extra_real(v[m]));
    }

    if (bad) {
        json_decref(o);
        return NULL;
    }

    return o;
}


static json_t *
recsys_extra_json_paired(const recsys_stats_paired_t *s)
{
    return json_pack("{s:I,s:I,s:o,s:o,s:o,s:[o,o],s:o,s:o,s:o,s:o,s:o,"
                     "s:b}",
                     "n", (json_int_t) s->n,
                     "n_nonzero", (json_int_t) s->n_nonzero,
                     "mean", recsys_extra_real(s->mean_a),
                     "mean_baseline", recsys_extra_real(s->mean_b),
                     "diff", recsys_extra_real(s->diff),
                     "ci95", recsys_extra_real(s->ci_lo),
                     recsys_extra_real(s->ci_hi),
                     "t", recsys_extra_real(s->t),
                     "p_t", recsys_extra_real(s->p_t),
                     "w_plus", recsys_extra_real(s->w_plus),
                     "z", recsys_extra_real(s->z),
                     "p_wilcoxon", recsys_extra_real(s->p_w),
                     "significant", recsys_extra_significant(s));
}


int
recsys_eval_extra_json_root(const recsys_eval_report_t *rep, json_t *root)
{
    int  bad;

    bad = json_object_set_new(root, "baseline", json_string(
                                  rep->results[rep->baseline].spec));
    bad |= json_object_set_new(root, "cold_users",
                               json_integer(recsys_extra_cold_users(rep)));
    bad |= json_object_set_new(root, "cutoff",
                               rep->opts.protocol == RECSYS_EVAL_TIME
                               ? json_integer(rep->cutoff) : json_null());
    bad |= json_object_set_new(root, "bootstrap_resamples",
                               json_integer(RECSYS_STATS_RESAMPLES));

    return bad ? RECSYS_ENOMEM : RECSYS_OK;
}


int
recsys_eval_extra_json_result(const recsys_eval_report_t *rep, uint32_t a,
    json_t *o)
{
    int                          bad, c;
    json_t                      *vs;
    const recsys_eval_result_t  *r = &rep->results[a];

    bad = json_object_set_new(o, "beyond",
                              recsys_extra_json_beyond(r->beyond));

    if (rep->n_folds > 1) {
        bad |= json_object_set_new(o, "beyond_sd",
                                   recsys_extra_json_beyond(r->beyond_sd));
    }

    bad |= json_object_set_new(o, "ndcg_warm", recsys_extra_real(r->ndcg_warm));
    bad |= json_object_set_new(o, "ndcg_cold", recsys_extra_real(r->ndcg_cold));

    vs = json_object();
    bad |= vs == NULL;

    for (c = 0; vs != NULL && c < RECSYS_EVAL_VS_N; c++) {
        bad |= json_object_set_new(vs, recsys_extra_vs_names[c],
                                   recsys_extra_json_paired(&r->vs[c]));
    }

    bad |= json_object_set_new(o, "vs_baseline", vs);

    return bad ? RECSYS_ENOMEM : RECSYS_OK;
}


static void
recsys_extra_html_table(const recsys_eval_report_t *rep,
    recsys_extra_table_t *t, int marks, FILE *f)
{
    int       ns;
    uint32_t  row, col;

    fprintf(f, "<table>\n<tr>");
    for (col = 0; col < t->cols; col++) {
        fprintf(f, "<th>");
        recsys_eval_text_html(f, recsys_extra_at(t, 0, col));
        fprintf(f, "</th>");
    }
    fprintf(f, "</tr>\n");

    for (row = 1; row < t->rows; row++) {
        fprintf(f, "<tr>");

        for (col = 0; col < t->cols; col++) {
            /* a comparison's four cells share its verdict */
            ns = marks && col > 0 && row - 1 != rep->baseline
                 && !recsys_extra_significant(
                        &rep->results[row - 1].vs[(col - 1) / 4]);

            fprintf(f, ns ? "<td class=\"ns\" title=\"not significant at "
                            "0.05\">" : "<td>");
            recsys_eval_text_html(f, recsys_extra_at(t, row, col));
            fprintf(f, "</td>");
        }

        fprintf(f, "</tr>\n");
    }

    fprintf(f, "</table>\n");
}


static void
recsys_extra_out(const recsys_eval_report_t *rep, recsys_extra_table_t *t,
    int marks, FILE *f, int html)
{
    if (html) {
        recsys_extra_html_table(rep, t, marks, f);

    } else {
        recsys_extra_print_table(t, f);
    }
}


/* Both tables, as text or (html set) as HTML. */
static void
recsys_extra_write(const recsys_eval_report_t *rep, FILE *f, int html)
{
    char                  base[RECSYS_EXTRA_CELL];
    recsys_extra_table_t  t;

    if (rep->n_results == 0) {
        return;
    }

    if (recsys_extra_beyond_table(rep, &t) == RECSYS_OK) {
        fprintf(f, "%s%u; novelty and entropy in bits, ARP in train users "
                "per item; %d cold users (no train rows)%s",
                html ? "<h2>Beyond accuracy</h2>\n<p>Top "
                     : "\nbeyond accuracy (top ", rep->opts.k,
                recsys_extra_cold_users(rep),
                html ? ".</p>\n" : "; definitions in README, "
                                   "\"Evaluation\"):\n");
    }

    if (t.cell != NULL) {
        recsys_extra_out(rep, &t, 0, f, html);
    }

    free(t.cell);

    if (recsys_extra_vs_table(rep, &t) != RECSYS_OK) {
        return;
    }

    recsys_eval_text_label(&rep->results[rep->baseline], base, sizeof(base));

    if (html) {
        fprintf(f, "<h2>Against the baseline</h2>\n<p>Differences from ");
        recsys_eval_text_html(f, base);

    } else {
        fprintf(f, "\nagainst %s", base);
    }

    fprintf(f, ", paired over %u %s: the mean difference, its 95%% "
            "bootstrap interval (%d resamples), the two-sided p of the "
            "paired t-test and of the Wilcoxon signed-rank test; %s: not "
            "significant at %.2f (not both p below it)%s", rep->n_eval,
            rep->n_folds > 1 ? "(fold, user) pairs" : "users",
            RECSYS_STATS_RESAMPLES,
            html ? "<span class=\"ns\">grey, n.s.</span>" : "n.s.",
            RECSYS_EXTRA_ALPHA, html ? ".</p>\n" : ":\n");

    recsys_extra_out(rep, &t, 1, f, html);

    free(t.cell);
}


void
recsys_eval_extra_print(const recsys_eval_report_t *rep, FILE *f)
{
    recsys_extra_write(rep, f, 0);
}


void
recsys_eval_extra_html(const recsys_eval_report_t *rep, FILE *f)
{
    recsys_extra_write(rep, f, 1);
}


/* a CSV number, empty for NaN */
static void
recsys_extra_csv_num(FILE *f, double v)
{
    if (!isnan(v)) {
        fprintf(f, "%.9g", v);
    }
}


/* One row of the per-user table: pair i of result r. */
static void
recsys_extra_csv_row(FILE *f, const recsys_eval_report_t *rep,
    const recsys_data_t *d, const recsys_eval_result_t *r, uint32_t i)
{
    int            m;
    size_t         len;
    const char    *key;
    const double  *uv;

    key = recsys_dict_key(&d->users, rep->pairs[i].user, &len);
    fprintf(f, "%u,", rep->pairs[i].fold);
    recsys_eval_text_csv(f, key, len);
    fputc(',', f);
    recsys_eval_text_csv(f, r->spec, strlen(r->spec));
    fprintf(f, ",%u", rep->pairs[i].cold);

    uv = r->user_vals + (size_t) i * RECSYS_EVAL_UV_N;
    for (m = 0; m < RECSYS_EVAL_UV_N; m++) {
        fputc(',', f);
        recsys_extra_csv_num(f, uv[m]);
    }

    fputc('\n', f);
}


int
recsys_eval_extra_write_users(const recsys_eval_report_t *rep,
    const recsys_data_t *d, const char *path, char *err, size_t errlen)
{
    int        m;
    FILE      *f;
    uint32_t   a, i;

    if ((f = fopen(path, "w")) == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return RECSYS_EIO;
    }

    fprintf(f, "fold,user,algo,cold");
    for (m = 0; m < RECSYS_METRIC_RANKING_N; m++) {
        fprintf(f, ",%s", recsys_metrics_name(m));
    }
    for (m = 0; m < RECSYS_BEYOND_USER_N; m++) {
        fprintf(f, ",%s", recsys_beyond_name(m, 0));
    }
    fprintf(f, "\n");

    for (a = 0; a < rep->n_results; a++) {
        for (i = 0; i < rep->n_eval; i++) {
            recsys_extra_csv_row(f, rep, d, &rep->results[a], i);
        }
    }

    if (ferror(f) | (fclose(f) != 0)) {
        snprintf(err, errlen, "%s: cannot write the per-user table", path);
        return RECSYS_EIO;
    }

    return RECSYS_OK;
}
