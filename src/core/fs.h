/*
 * fs: small filesystem helpers.  Return 0 or -1 with errno set.
 */
#ifndef SANDO_FS_H
#define SANDO_FS_H

#include <sys/types.h>

/* Create path and its missing parents with mode (like mkdir -p). */
int fs_mkdir_p(const char *path, mode_t mode);

/* Copy the directory part of path (without the last '/') into a new string;
 * "." when there is none. */
char *fs_dirname(const char *path);

#endif
