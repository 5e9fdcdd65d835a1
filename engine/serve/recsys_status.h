/*
 * recsys_status.h: the engine's status codes.
 *
 * Every engine function that can fail returns one of these: RECSYS_OK (0)
 * or a negative code.  recsys_strerror() gives a fixed English phrase; the
 * caller adds context (file, line, id) and decides how to report it.  The
 * module maps codes to HTTP statuses in one table.
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

const char *recsys_strerror(int status);

#endif /* RECSYS_STATUS_H */
