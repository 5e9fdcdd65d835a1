/*
 * recsys_opt: options described by a table, parsed and explained from it.
 *
 * One row per option: its flag name ("neighbors" for --neighbors), its
 * name as a name=value setting (eval's "itemcf:neighbors=50"), the type
 * and place of the field it sets in an options struct, the accepted range
 * and a help line.  The same rows parse a command line, parse settings
 * and print the help, and the help shows the defaults by reading the
 * fields of a struct holding the defaults, so what help says is
 * what the code applies.
 *
 * Error messages name the option as it was given: "--k must be a whole
 * number from 1 to 100" on a command line, "ease: lambda must be ..." in
 * settings (with the caller's prefix).
 */

#ifndef RECSYS_OPT_H
#define RECSYS_OPT_H

#include <stddef.h>
#include <stdio.h>


typedef enum {
    RECSYS_OPT_ON = 0,      /* flag without value: the int field is 1; as
                               a setting, 0 or 1 */
    RECSYS_OPT_OFF,         /* flag without value: the int field is 0; as
                               a setting, 0 or 1 (the field's value) */
    RECSYS_OPT_INT,         /* int, whole number in [min, max] */
    RECSYS_OPT_U32,         /* uint32_t, whole number in [min, max] */
    RECSYS_OPT_U64,         /* uint64_t, whole number in [min, max] */
    RECSYS_OPT_DOUBLE,      /* double in [min, max] */
    RECSYS_OPT_FLOAT,       /* float, read as a double in [min, max] */
    RECSYS_OPT_STR,         /* const char *: the argument itself; a
                               command-line flag only */
    RECSYS_OPT_CHOICE,      /* int: the index of the value in choices */
    RECSYS_OPT_FN           /* parse() reads the value */
} recsys_opt_type_t;

/* the setting name is a prefix: parse() gets the rest, "=value" and all */
#define RECSYS_OPT_PREFIX    1
/* a STR flag the command line must give */
#define RECSYS_OPT_REQUIRED  2

typedef struct recsys_opt_s  recsys_opt_t;

/*
 * Reads the value (s, len) into field: RECSYS_OK, or RECSYS_EINVAL and
 * the option's "why" is reported.  For a STR row it only checks (s is
 * the NUL-terminated argument, stored by the caller when accepted).
 */
typedef int (*recsys_opt_parse_pt)(void *field, const char *s, size_t len);

/* Writes the field's value as help shows it, "" for nothing to show. */
typedef void (*recsys_opt_show_pt)(const void *field, char *buf,
    size_t size);

struct recsys_opt_s {
    const char           *name;      /* --name; NULL: a setting only */
    const char           *setting;   /* name=value; NULL: a flag only */
    recsys_opt_type_t     type;
    size_t                offset;    /* of the field in the struct */
    double                min;
    double                max;
    const char           *arg;       /* the value's placeholder: "K" */
    const char           *help;      /* one short line */
    const char *const    *choices;   /* CHOICE: NULL-terminated names */
    recsys_opt_parse_pt   parse;     /* FN; a check for STR, or NULL */
    recsys_opt_show_pt    show;      /* FN: how help shows the default */
    const char           *why;       /* FN, checked STR: the refusal */
    unsigned              flags;     /* RECSYS_OPT_PREFIX, _REQUIRED */
};

/* a row of a plain type (no parse, show or choices) */
#define recsys_opt_row(name, setting, type, offset, min, max, arg, help)     \
    { name, setting, type, offset, min, max, arg, help, NULL, NULL, NULL,   \
      NULL, 0 }

/* a file name or other string the command line must give */
#define recsys_opt_required(name, offset, arg, help)                        \
    { name, NULL, RECSYS_OPT_STR, offset, 0, 0, arg, help, NULL, NULL, NULL, \
      NULL, RECSYS_OPT_REQUIRED }

/* the last row of a table */
#define recsys_opt_null  { NULL, NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL, \
                           NULL, NULL, 0 }


/*
 * Parses argv[0..argc) ("--name value" and "--name" for ON/OFF rows) into
 * conf by the table.  RECSYS_OK, or RECSYS_EINVAL with "why" in err (an
 * unknown flag, a missing value, a value out of range, a required flag
 * not given).
 */
int recsys_opt_argv(const recsys_opt_t *table, void *conf, int argc,
    char **argv, char *err, size_t errlen);

/*
 * Parses "name=value" settings separated by any of seps into conf by the
 * rows' setting names.  Messages start with prefix ("ease: " or "").
 */
int recsys_opt_settings(const recsys_opt_t *table, void *conf,
    const char *prefix, const char *settings, const char *seps, char *err,
    size_t errlen);

/*
 * Prints one line per flag: "--name ARG", the help line, the accepted
 * range or form and the default read from conf (a struct holding the
 * defaults).
 */
void recsys_opt_help(FILE *f, const recsys_opt_t *table, const void *conf);

#endif /* RECSYS_OPT_H */
