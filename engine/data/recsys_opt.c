/*
 * recsys_opt.c: parsing command lines and settings by an option table, and
 * printing the table as help (recsys_opt.h).
 */

#include <stdint.h>
#include <string.h>

#include "recsys_number.h"
#include "recsys_opt.h"
#include "recsys_status.h"


#define recsys_opt_field(conf, t)  ((char *) (conf) + (t)->offset)


/*
 * Stores the value (s, len) of row t in conf; on refusal writes why into
 * err, naming the option by label.  setting: the value came from a
 * name=value setting (ON/OFF rows then take 0 or 1).
 */
static int
recsys_opt_store(const recsys_opt_t *t, void *conf, const char *s,
    size_t len, int setting, const char *label, char *err, size_t errlen)
{
    int        c;
    char      *field;
    double     d;
    uint64_t   v;

    field = recsys_opt_field(conf, t);

    switch (t->type) {

    case RECSYS_OPT_ON:
    case RECSYS_OPT_OFF:
        if (!setting) {
            *(int *) field = t->type == RECSYS_OPT_ON;
            return RECSYS_OK;
        }

        if (recsys_number_uint(s, len, 0, 1, &v) != RECSYS_OK) {
            snprintf(err, errlen, "%s must be 0 or 1", label);
            return RECSYS_EINVAL;
        }

        *(int *) field = (int) v;
        return RECSYS_OK;

    case RECSYS_OPT_INT:
    case RECSYS_OPT_U32:
    case RECSYS_OPT_U64:
        if (recsys_number_uint(s, len, (uint64_t) t->min, (uint64_t) t->max,
                               &v)
            != RECSYS_OK)
        {
            snprintf(err, errlen, "%s must be a whole number from %.0f to "
                     "%.0f", label, t->min, t->max);
            return RECSYS_EINVAL;
        }

        if (t->type == RECSYS_OPT_INT) {
            *(int *) field = (int) v;

        } else if (t->type == RECSYS_OPT_U32) {
            *(uint32_t *) field = (uint32_t) v;

        } else {
            *(uint64_t *) field = v;
        }

        return RECSYS_OK;

    case RECSYS_OPT_DOUBLE:
    case RECSYS_OPT_FLOAT:
        if (recsys_number_double(s, len, t->min, t->max, &d) != RECSYS_OK) {
            snprintf(err, errlen, "%s must be a number from %g to %g",
                     label, t->min, t->max);
            return RECSYS_EINVAL;
        }

        if (t->type == RECSYS_OPT_DOUBLE) {
            *(double *) field = d;

        } else {
            *(float *) field = (float) d;
        }

        return RECSYS_OK;

    case RECSYS_OPT_CHOICE:
        for (c = 0; t->choices[c] != NULL; c++) {
            if (strlen(t->choices[c]) == len
                && memcmp(t->choices[c], s, len) == 0)
            {
                *(int *) field = c;
                return RECSYS_OK;
            }
        }

        snprintf(err, errlen, "%s must be one of %s", label, t->arg);
        return RECSYS_EINVAL;

    case RECSYS_OPT_STR:
        if (setting || (t->parse != NULL && t->parse(field, s, len)
                                            != RECSYS_OK))
        {
            snprintf(err, errlen, "%s: %s", label,
                     setting ? "not a setting" : t->why);
            return RECSYS_EINVAL;
        }

        *(const char **) field = s;
        return RECSYS_OK;

    default:
        if (t->parse(field, s, len) != RECSYS_OK) {
            snprintf(err, errlen, "%s: %s", label, t->why);
            return RECSYS_EINVAL;
        }

        return RECSYS_OK;
    }
}


int
recsys_opt_argv(const recsys_opt_t *table, void *conf, int argc,
    char **argv, char *err, size_t errlen)
{
    int                  i;
    char                 label[64];
    const char          *flag, *val;
    const recsys_opt_t  *t;

    for (i = 0; i < argc; i++) {
        flag = argv[i];

        for (t = table; t->name != NULL || t->setting != NULL; t++) {
            if (t->name != NULL && strncmp(flag, "--", 2) == 0
                && strcmp(flag + 2, t->name) == 0)
            {
                break;
            }
        }

        if (t->name == NULL) {
            snprintf(err, errlen, "unknown flag %s", flag);
            return RECSYS_EINVAL;
        }

        snprintf(label, sizeof(label), "--%s", t->name);

        if (t->type == RECSYS_OPT_ON || t->type == RECSYS_OPT_OFF) {
            val = NULL;

        } else if (i + 1 < argc) {
            val = argv[++i];

        } else {
            snprintf(err, errlen, "%s needs a value", label);
            return RECSYS_EINVAL;
        }

        if (recsys_opt_store(t, conf, val, val != NULL ? strlen(val) : 0, 0,
                             label, err, errlen)
            != RECSYS_OK)
        {
            return RECSYS_EINVAL;
        }
    }

    for (t = table; t->name != NULL || t->setting != NULL; t++) {
        if ((t->flags & RECSYS_OPT_REQUIRED)
            && *(const char **) recsys_opt_field(conf, t) == NULL)
        {
            snprintf(err, errlen, "--%s is required", t->name);
            return RECSYS_EINVAL;
        }
    }

    return RECSYS_OK;
}


/*
 * Writes into err that the setting (s, len) is unknown, with every setting
 * name of the table: the list is cut only where err ends.
 */
static void
recsys_opt_unknown(const recsys_opt_t *table, const char *prefix,
    const char *s, size_t len, char *err, size_t errlen)
{
    size_t               at;
    const recsys_opt_t  *t;

    at = (size_t) snprintf(err, errlen, "%sunknown setting \"%.*s\" (known:",
                           prefix, (int) len, s);

    for (t = table; t->name != NULL || t->setting != NULL; t++) {
        if (t->setting != NULL && at < errlen) {
            at += (size_t) snprintf(err + at, errlen - at, " %s%s",
                                    t->setting,
                                    t->flags & RECSYS_OPT_PREFIX ? "*" : "");
        }
    }

    if (at < errlen) {
        snprintf(err + at, errlen - at, ")");
    }
}


int
recsys_opt_settings(const recsys_opt_t *table, void *conf,
    const char *prefix, const char *settings, const char *seps, char *err,
    size_t errlen)
{
    char                 label[96];
    size_t               len, plen;
    const char          *p, *stop, *eq, *val;
    const recsys_opt_t  *t;

    for (p = settings; p != NULL && *p != '\0'; p = *stop ? stop + 1 : stop)
    {
        stop = p + strcspn(p, seps);
        eq = memchr(p, '=', (size_t) (stop - p));
        len = eq != NULL ? (size_t) (eq - p) : 0;
        val = NULL;

        for (t = table; eq != NULL && (t->name != NULL || t->setting != NULL);
             t++)
        {
            if (t->setting == NULL) {
                continue;
            }

            plen = strlen(t->setting);

            if (t->flags & RECSYS_OPT_PREFIX) {
                if (len > plen && memcmp(t->setting, p, plen) == 0) {
                    val = p + plen;
                    break;
                }

            } else if (plen == len && memcmp(t->setting, p, len) == 0) {
                val = eq + 1;
                break;
            }
        }

        if (val == NULL) {
            recsys_opt_unknown(table, prefix, p, (size_t) (stop - p), err,
                               errlen);
            return RECSYS_EINVAL;
        }

        snprintf(label, sizeof(label), "%s%.*s", prefix, (int) len, p);

        if (recsys_opt_store(t, conf, val, (size_t) (stop - val), 1, label,
                             err, errlen)
            != RECSYS_OK)
        {
            return RECSYS_EINVAL;
        }
    }

    return RECSYS_OK;
}


/* The accepted values of row t as help shows them, "" for no range. */
static void
recsys_opt_range(const recsys_opt_t *t, char *buf, size_t size)
{
    switch (t->type) {

    case RECSYS_OPT_INT:
    case RECSYS_OPT_U32:
    case RECSYS_OPT_U64:
        snprintf(buf, size, "integer %.0f..%.0f", t->min, t->max);
        break;

    case RECSYS_OPT_DOUBLE:
    case RECSYS_OPT_FLOAT:
        snprintf(buf, size, "number %g..%g", t->min, t->max);
        break;

    default:
        buf[0] = '\0';
        break;
    }
}


/* The value of row t's field in conf as help shows it. */
static void
recsys_opt_value(const recsys_opt_t *t, const void *conf, char *buf,
    size_t size)
{
    const char  *field, *s;

    field = (const char *) conf + t->offset;

    if (t->show != NULL) {
        t->show(field, buf, size);
        return;
    }

    switch (t->type) {

    case RECSYS_OPT_ON:
    case RECSYS_OPT_OFF:
        snprintf(buf, size, "%s", *(const int *) field ? "on" : "off");
        break;

    case RECSYS_OPT_INT:
        snprintf(buf, size, "%d", *(const int *) field);
        break;

    case RECSYS_OPT_U32:
        snprintf(buf, size, "%u", *(const uint32_t *) field);
        break;

    case RECSYS_OPT_U64:
        snprintf(buf, size, "%llu",
                 (unsigned long long) *(const uint64_t *) field);
        break;

    case RECSYS_OPT_DOUBLE:
        snprintf(buf, size, "%g", *(const double *) field);
        break;

    case RECSYS_OPT_FLOAT:
        snprintf(buf, size, "%g", (double) *(const float *) field);
        break;

    case RECSYS_OPT_STR:
        s = *(const char *const *) field;
        snprintf(buf, size, "%s", s != NULL ? s : "");
        break;

    case RECSYS_OPT_CHOICE:
        snprintf(buf, size, "%s", t->choices[*(const int *) field]);
        break;

    default:
        buf[0] = '\0';
        break;
    }
}


void
recsys_opt_help(FILE *f, const recsys_opt_t *table, const void *conf)
{
    int                  n;
    char                 range[64], value[128];
    const recsys_opt_t  *t;

    for (t = table; t->name != NULL || t->setting != NULL; t++) {
        if (t->name == NULL) {
            continue;
        }

        recsys_opt_range(t, range, sizeof(range));
        recsys_opt_value(t, conf, value, sizeof(value));

        n = fprintf(f, "  --%s%s%s", t->name, t->arg != NULL ? " " : "",
                    t->arg != NULL ? t->arg : "");

        if (n >= 28) {
            fprintf(f, "\n");
            n = 0;
        }

        fprintf(f, "%*s%s", 28 - n, "", t->help);

        if (t->flags & RECSYS_OPT_REQUIRED) {
            snprintf(range, sizeof(range), "required");
        }

        if (range[0] != '\0' || value[0] != '\0') {
            fprintf(f, " [%s%s%s%s]", range,
                    range[0] != '\0' && value[0] != '\0' ? "; " : "",
                    value[0] != '\0' ? "default " : "", value);
        }

        fprintf(f, "\n");
    }
}
