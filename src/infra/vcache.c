/*
 * vcache.c: the per-worker cache of verified things (vcache.h says what
 * it may hold and who bounds it).
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "vcache.h"

struct vc_entry {
	unsigned char	 key[32];
	time_t		 put;		/* 0: empty */
	time_t		 expires;
	char		*blob;		/* malloc */
	size_t		 len;
};

int
vcache_init(struct vcache *c, size_t n)
{
	c->n = n;
	return (c->e = calloc(n, sizeof(*c->e))) == NULL ? -1 : 0;
}

static void
clear(struct vc_entry *e)
{
	free(e->blob);
	memset(e, 0, sizeof(*e));
}

void
vcache_free(struct vcache *c)
{
	size_t	i;

	for (i = 0; c->e != NULL && i < c->n; i++)
		clear(&c->e[i]);
	free(c->e);
	c->e = NULL;
}

static struct vc_entry *
slot(struct vcache *c, const unsigned char key[32])
{
	return &c->e[((size_t)key[0] << 16 | (size_t)key[1] << 8 | key[2]) %
	    c->n];
}

const char *
vcache_get(struct vcache *c, const unsigned char key[32], time_t now,
    time_t ttl, struct arena *a, size_t *len, time_t *put)
{
	struct vc_entry	*e;
	char		*s;

	if (c->e == NULL)
		return NULL;
	e = slot(c, key);
	if (e->put == 0 || !crypto_eq32(e->key, key))
		return NULL;
	if (now >= e->expires || now - e->put >= ttl || now < e->put) {
		clear(e);
		return NULL;
	}
	if ((s = arena_alloc(a, e->len + 1)) == NULL)
		return NULL;
	memcpy(s, e->blob, e->len);
	s[e->len] = '\0';
	*len = e->len;
	*put = e->put;
	return s;
}

void
vcache_put(struct vcache *c, const unsigned char key[32], time_t now,
    time_t expires, const void *blob, size_t len)
{
	struct vc_entry	*e;

	if (c->e == NULL || expires <= now)
		return;
	e = slot(c, key);
	clear(e);
	if ((e->blob = malloc(len + 1)) == NULL)
		return;
	memcpy(e->blob, blob, len);
	e->blob[len] = '\0';
	e->len = len;
	memcpy(e->key, key, 32);
	e->expires = expires;
	e->put = now;
}

void
vcache_drop(struct vcache *c, const unsigned char key[32])
{
	struct vc_entry	*e;

	if (c->e == NULL)
		return;
	e = slot(c, key);
	if (e->put != 0 && crypto_eq32(e->key, key))
		clear(e);
}
