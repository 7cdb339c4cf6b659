#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "strbuf.h"

static const char *log_progname = "sando";
static int log_level = LOG_INFO;

void
log_init(const char *progname, int level)
{
	log_progname = progname;
	log_setlevel(level);
}

void
log_setlevel(int level)
{
	if (level < LOG_WARN)
		level = LOG_WARN;
	if (level > LOG_DEBUG)
		level = LOG_DEBUG;
	log_level = level;
}

int
log_getlevel(void)
{
	return log_level;
}

static void
log_vwrite(const char *tag, int errnum, const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addtime(&sb, 1);
	strbuf_addf(&sb, " %s %s: ", log_progname, tag);
	strbuf_vaddf(&sb, fmt, ap);
	if (errnum)
		strbuf_addf(&sb, ": %s", strerror(errnum));
	strbuf_addch(&sb, '\n');
	fwrite(sb.buf, 1, sb.len, stderr);
	fflush(stderr);
	strbuf_release(&sb);
}

#define LOG_BODY(lvl, tag, errnum)                    \
	do {                                          \
		va_list ap;                           \
		if (log_level < (lvl))                \
			return;                       \
		va_start(ap, fmt);                    \
		log_vwrite((tag), (errnum), fmt, ap); \
		va_end(ap);                           \
	} while (0)

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_DEBUG, "debug", 0);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_INFO, "info", 0);
}

void
log_warn(const char *fmt, ...)
{
	int e = errno;

	LOG_BODY(LOG_WARN, "warning", e);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_WARN, "warning", 0);
}

void
fatal(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vwrite("fatal", e, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite("fatal", 0, fmt, ap);
	va_end(ap);
	exit(1);
}
