/*
 * log.c: JSON line logging.  Each line is built in a stack buffer and
 * written with one write(2), so lines from several workers never interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "log.h"
#include "text.h"

static int		 minlevel = LOG_INFO;
static long		 pid;		/* getpid() is a system call: once */
/* Lines are built here; reset keeps its chunk, so logging allocates once. */
static struct arena	 la;
static const char	*comp = "iam";
static const char *const names[] = { "debug", "info", "warn", "error" };
/* The request being served, if any: every line logged meanwhile names it,
 * so a 500's cause (a database error, an unreadable row) is found by the
 * request id its answer carried. */
static const char	*cur_rid;

void
log_request(const char *rid)
{
	cur_rid = rid;
}

void
log_init(int level, const char *component)
{
	minlevel = level;
	comp = component;
	pid = (long)getpid();	/* log_init runs again in each worker */
}

void
log_setlevel(int level)
{
	minlevel = level;
}

/* Appends a JSON string literal, replacing invalid UTF-8 wholesale. */
static void
jstr(struct buf *b, const char *s)
{
	size_t	len = strlen(s);

	buf_putc(b, '"');
	if (utf8_valid(s, len))
		buf_json_str(b, s, len);
	else
		buf_puts(b, "(invalid utf-8)");
	buf_putc(b, '"');
}

static void
head(struct buf *b, int level, const char *event)
{
	struct timespec	ts;
	struct tm	tm;
	char		tbuf[40];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
	buf_printf(b, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"pid\":%ld,"
	    "\"component\":", tbuf, ts.tv_nsec / 1000000, names[level],
	    pid != 0 ? pid : (long)getpid());
	jstr(b, comp);
	buf_puts(b, ",\"event\":");
	jstr(b, event);
}

static void
emit(struct buf *b)
{
	size_t	off = 0;
	ssize_t	n;

	buf_puts(b, "}\n");
	if (b->oom)
		return;
	while (off < b->len) {
		if ((n = write(STDERR_FILENO, b->data + off, b->len - off)) <= 0)
			return;
		off += (size_t)n;
	}
}

void
log_kv(int level, const char *event, ...)
{
	struct buf	 b;
	va_list		 ap, ap2;
	const char	*k, *v;
	int		 named;

	if (level < minlevel)
		return;
	buf_init(&b, &la);
	head(&b, level, event);
	va_start(ap, event);
	va_copy(ap2, ap);
	named = 0;
	while ((k = va_arg(ap2, const char *)) != NULL) {
		(void)va_arg(ap2, const char *);
		named |= strcmp(k, "requestId") == 0;
	}
	va_end(ap2);
	if (!named && cur_rid != NULL && cur_rid[0] != '\0') {
		buf_puts(&b, ",\"requestId\":");
		jstr(&b, cur_rid);
	}
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		buf_putc(&b, ',');
		jstr(&b, k);
		buf_putc(&b, ':');
		if (v == NULL)
			buf_puts(&b, "null");
		else
			jstr(&b, v);
	}
	va_end(ap);
	emit(&b);
	arena_reset(&la);
}

void
log_raw(int level, const char *event, const char *fields, size_t len)
{
	struct buf	b;

	if (level < minlevel)
		return;
	buf_init(&b, &la);
	head(&b, level, event);
	if (len > 0) {
		buf_putc(&b, ',');
		buf_add(&b, fields, len);
	}
	emit(&b);
	arena_reset(&la);
}
