/*
 * recsys_status.h: the engine's status codes and how they are answered.
 *
 * Every engine function that can fail returns one of these: RECSYS_OK (0)
 * or a negative code.  recsys_strerror() gives a fixed English phrase; the
 * caller adds context (file, line, id) and decides how to report it.  The
 * module answers every error through one table, recsys_status_get(): the
 * HTTP status and the JSON "error" name of each code.  RECSYS_EMETHOD,
 * RECSYS_ENOMODEL and RECSYS_EMEDIA are the module's own conditions (a
 * method not served, no usable model loaded, a body of another media type),
 * in the table so that it is the only mapping.
 */

#ifndef RECSYS_STATUS_H
#define RECSYS_STATUS_H

#define RECSYS_OK              0
#define RECSYS_ENOMEM         -1    /* out of memory */
#define RECSYS_EIO            -2    /* a system call failed, see errno */
#define RECSYS_EFORMAT        -3    /* a model file that is not ours */
#define RECSYS_EVERSION       -4    /* a model format this reader lacks */
#define RECSYS_ECORRUPT       -5    /* a model file with broken structure */
#define RECSYS_ELMDB          -6    /* LMDB refused an operation */
#define RECSYS_ENOTFOUND      -7    /* unknown user, item or key */
#define RECSYS_EINVAL         -8    /* bad argument or bad input data */
#define RECSYS_ELIMIT         -9    /* a size limit was exceeded */
#define RECSYS_EMETHOD       -10    /* a request method not served */
#define RECSYS_ENOMODEL      -11    /* no usable model is loaded */
#define RECSYS_EMEDIA        -12    /* a body of a media type not taken */

typedef struct {
    int          status;    /* RECSYS_* */
    const char  *phrase;    /* recsys_strerror() */
    unsigned     http;      /* the HTTP status the module answers */
    const char  *error;     /* the "error" of the module's JSON answer */
} recsys_status_t;

const char *recsys_strerror(int status);

/* The row of status; an unknown code gets a 500 "unknown error" row. */
const recsys_status_t *recsys_status_get(int status);

#endif /* RECSYS_STATUS_H */
