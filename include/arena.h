/*
 * arena.h: the per-request memory arena and a growable byte buffer that
 * lives in it.  Everything a request allocates comes from its arena and is
 * released in one call, arena_reset(), when the response has been written.
 */
#ifndef IAM_ARENA_H
#define IAM_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena_chunk;
struct arena_cleanup;

struct arena {
	struct arena_chunk	*head;		/* current chunk, newest first */
	struct arena_cleanup	*cleanups;	/* run in reverse order on reset */
	size_t			 total;		/* bytes handed out since reset */
	size_t			 limit;		/* 0: unlimited */
};

/* Sets up an empty arena; allocates nothing until first use. */
void	 arena_init(struct arena *, size_t limit);

/*
 * Returns zeroed, 16-byte aligned memory owned by the arena, or NULL when
 * out of memory or over the arena's limit.  Never free() it.
 */
void	*arena_alloc(struct arena *, size_t);
char	*arena_strdup(struct arena *, const char *);
char	*arena_strndup(struct arena *, const char *, size_t);
char	*arena_printf(struct arena *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Registers fn(arg) to run at the next reset (e.g. json_object_put for a
 * parsed body).  Returns 0, or -1 (and runs nothing) when out of memory.
 */
int	 arena_defer(struct arena *, void (*fn)(void *), void *arg);

/* Runs the cleanups, frees all chunks but one and wipes what is kept. */
void	 arena_reset(struct arena *);
/* Bytes the current chunk holds (0: none); after a reset, what is kept. */
size_t	 arena_capacity(const struct arena *);
/* arena_reset() and frees the last chunk too. */
void	 arena_free(struct arena *);

/* A byte buffer growing inside an arena; data is always NUL-terminated. */
struct buf {
	struct arena	*a;
	char		*data;
	size_t		 len;
	size_t		 cap;
	int		 oom;	/* set once an append failed; sticky */
};

void	 buf_init(struct buf *, struct arena *);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_puts(struct buf *, const char *);
void	 buf_putc(struct buf *, char);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_vprintf(struct buf *, const char *, va_list);
/* Appends s as the inside of a JSON string (quotes not included). */
void	 buf_json_str(struct buf *, const char *s, size_t len);

#endif
