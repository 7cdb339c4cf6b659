/*
 * fs: small filesystem helpers.  Return 0 or -1 with errno set.
 */
#ifndef SANDO_FS_H
#define SANDO_FS_H

#include <stddef.h>
#include <stdarg.h>
#include <sys/types.h>

/* Create path and its missing parents with mode (like mkdir -p). */
int fs_mkdir_p(const char *path, mode_t mode);

/* Copy the directory part of path (without the last '/') into a new string;
 * "." when there is none. */
char *fs_dirname(const char *path);

/* Write len bytes to path (created or truncated with mode), fsync'd. */
int fs_write_file(const char *path, const void *data, size_t len, mode_t mode);

/* Append one line "sando: <fmt...>\n" to the log file at path (created
 * 0640); best effort: a log that cannot be written is skipped. */
void fs_log_line(const char *path, const char *fmt, va_list ap);

/* Remove path and everything under it (like rm -rf); a missing path is fine. */
int fs_remove_tree(const char *path);

#endif
