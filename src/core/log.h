/*
 * log: the daemon's diagnostic log, after OpenBSD httpd's log.c.
 *
 * Every line goes to stderr with a UTC timestamp and a level.  The level starts
 * at LOG_INFO; each -v raises it (LOG_DEBUG shows log_debug lines).  Messages are
 * lowercase without a full stop, with values quoted '%s'.  Secrets never reach a
 * log line: callers pass redacted values.
 *
 * fatal/fatalx are for start-up and impossible states only: they log and exit
 * with status 1 (fatal appends strerror(errno)).
 */
#ifndef SANDO_LOG_H
#define SANDO_LOG_H

enum log_level { LOG_WARN = 0, LOG_INFO = 1, LOG_DEBUG = 2 };

/* Set the program name shown in each line and the starting level. */
void log_init(const char *progname, int level);

/* Raise or set the level (LOG_WARN..LOG_DEBUG; larger values are clamped). */
void log_setlevel(int level);

/* The current level. */
int log_getlevel(void);

/* Log at debug level. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log at info level. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log a warning with strerror(errno) appended. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log a warning. */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Log with strerror(errno) appended and exit(1). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Log and exit(1). */
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
