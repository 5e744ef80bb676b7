/*
 * arena.c: a bump allocator for one request.  Chunks are malloc'd as
 * needed; reset keeps the first chunk (so a steady worker makes no malloc
 * call for small requests) and wipes it, since requests carry secrets.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define CHUNK_MIN	(16 * 1024)
#define ALIGN		16

struct arena_chunk {
	struct arena_chunk	*next;
	size_t			 size;	/* usable bytes in data */
	size_t			 used;
	_Alignas(ALIGN) unsigned char data[];
};

struct arena_cleanup {
	struct arena_cleanup	*next;
	void			(*fn)(void *);
	void			*arg;
};

void
arena_init(struct arena *a, size_t limit)
{
	memset(a, 0, sizeof(*a));
	a->limit = limit;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk	*c;
	size_t			 need, size;
	void			*p;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ALIGN)
		return NULL;
	need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (a->limit != 0 && (need > a->limit || a->total > a->limit - need))
		return NULL;

	c = a->head;
	if (c == NULL || c->size - c->used < need) {
		size = need > CHUNK_MIN ? need : CHUNK_MIN;
		if (c != NULL && size < c->size * 2 && c->size * 2 <= 1024 * 1024)
			size = c->size * 2;
		if ((c = malloc(sizeof(*c) + size)) == NULL)
			return NULL;
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	p = c->data + c->used;
	c->used += need;
	a->total += need;
	memset(p, 0, n);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char	*p;

	if ((p = arena_alloc(a, n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	struct buf	b;
	va_list		ap;

	buf_init(&b, a);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return b.oom ? NULL : b.data;
}

int
arena_defer(struct arena *a, void (*fn)(void *), void *arg)
{
	struct arena_cleanup	*c;

	if ((c = arena_alloc(a, sizeof(*c))) == NULL)
		return -1;
	c->fn = fn;
	c->arg = arg;
	c->next = a->cleanups;
	a->cleanups = c;
	return 0;
}

static void
run_cleanups(struct arena *a)
{
	struct arena_cleanup	*c;

	/* Cleanups live in the arena: unlink before the chunks go. */
	for (c = a->cleanups, a->cleanups = NULL; c != NULL; c = c->next)
		c->fn(c->arg);
}

/*
 * The largest chunk kept across resets: below malloc's mmap threshold
 * (worker.c), so a worker that serves large answers reuses one chunk
 * instead of mapping, faulting in and unmapping memory every request.
 */
#define KEEP_MAX	(192 * 1024)

void
arena_reset(struct arena *a)
{
	struct arena_chunk	*c, *next, *keep = NULL;

	run_cleanups(a);
	if (a->head == NULL)
		return;
	for (c = a->head; c != NULL; c = c->next)
		if (c->size <= KEEP_MAX && (keep == NULL || c->size > keep->size))
			keep = c;
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		explicit_bzero(c->data, c->used);
		if (keep == NULL && next == NULL)
			keep = c;	/* all large: keep the oldest */
		if (c != keep)
			free(c);
	}
	keep->used = 0;
	keep->next = NULL;
	a->head = keep;
	a->total = 0;
}

/*
 * Grows p, the last allocation of the current chunk, from old to n bytes
 * in place when the chunk has room (the new bytes zeroed): 0, else -1.
 */
static int
arena_extend(struct arena *a, void *p, size_t old, size_t n)
{
	struct arena_chunk	*c = a->head;
	size_t			 o, m;

	o = (old + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	m = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (c == NULL || n < old || (unsigned char *)p + o != (unsigned char *)c->data + c->used ||
	    c->size - c->used < m - o ||
	    (a->limit != 0 && a->total > a->limit - (m - o)))
		return -1;
	memset((char *)p + old, 0, n - old);
	c->used += m - o;
	a->total += m - o;
	return 0;
}

size_t
arena_capacity(const struct arena *a)
{
	return a->head != NULL ? a->head->size : 0;
}

void
arena_free(struct arena *a)
{
	arena_reset(a);
	free(a->head);
	a->head = NULL;
}

void
buf_init(struct buf *b, struct arena *a)
{
	memset(b, 0, sizeof(*b));
	b->a = a;
}

static int
buf_grow(struct buf *b, size_t more)
{
	size_t	 cap;
	char	*p;

	if (b->oom)
		return -1;
	if (b->cap - b->len > more)
		return 0;
	if (more > SIZE_MAX / 4 - b->len) {
		b->oom = 1;
		return -1;
	}
	cap = b->cap ? b->cap : 256;
	while (cap - b->len <= more)
		cap *= 2;
	/* The buffer that was allocated last grows where it is. */
	if (b->data != NULL && arena_extend(b->a, b->data, b->cap, cap) == 0) {
		b->cap = cap;
		return 0;
	}
	if ((p = arena_alloc(b->a, cap)) == NULL) {
		b->oom = 1;
		return -1;
	}
	if (b->len)
		memcpy(p, b->data, b->len);
	b->data = p;
	b->cap = cap;
	b->data[b->len] = '\0';
	return 0;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_grow(b, n) == -1)
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_putc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list	 cp;
	int	 n;

	if (buf_grow(b, 64) == -1)
		return;
	va_copy(cp, ap);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, cp);
	va_end(cp);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (buf_grow(b, (size_t)n) == -1)
			return;
		n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
	}
	b->len += (size_t)n;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
buf_json_str(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t		 i, start = 0;
	unsigned char	 c;
	char		 esc[6] = { '\\', 'u', '0', '0', 0, 0 };

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		buf_add(b, s + start, i - start);
		start = i + 1;
		switch (c) {
		case '"':  buf_add(b, "\\\"", 2); break;
		case '\\': buf_add(b, "\\\\", 2); break;
		case '\n': buf_add(b, "\\n", 2); break;
		case '\r': buf_add(b, "\\r", 2); break;
		case '\t': buf_add(b, "\\t", 2); break;
		default:
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			buf_add(b, esc, 6);
			break;
		}
	}
	buf_add(b, s + start, len - start);
}
