/*
 * sesscache.c: the per-worker cache of browser sessions (sesscache.h
 * says what it may hold and who invalidates it).  Direct-mapped on the
 * key's first bytes; a collision replaces the older entry.  Keys are
 * compared in constant time.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "sesscache.h"
#include "store_session.h"

struct scache_entry {
	unsigned char	 key[32];
	time_t		 loaded;	/* 0: empty */
	char		*sid, *uid, *org, *email, *roles, *csrf_hash;
	int64_t		 auth_time, expires;
};

int
scache_init(struct scache *c)
{
	return (c->e = calloc(SCACHE_SIZE, sizeof(*c->e))) == NULL ? -1 : 0;
}

static void
clear(struct scache_entry *e)
{
	free(e->sid);
	free(e->uid);
	free(e->org);
	free(e->email);
	free(e->roles);
	free(e->csrf_hash);
	memset(e, 0, sizeof(*e));
}

void
scache_free(struct scache *c)
{
	size_t	i;

	if (c->e == NULL)
		return;
	for (i = 0; i < SCACHE_SIZE; i++)
		clear(&c->e[i]);
	free(c->e);
	c->e = NULL;
}

static struct scache_entry *
slot(struct scache *c, const unsigned char key[32])
{
	return &c->e[((unsigned)key[0] << 8 | key[1]) % SCACHE_SIZE];
}

int
scache_get(struct scache *c, const unsigned char key[32], time_t now,
    struct arena *a, struct cookie_session *cs, time_t *loaded)
{
	struct scache_entry	*e;

	if (c->e == NULL)
		return 0;
	e = slot(c, key);
	if (e->loaded == 0 || !crypto_eq32(e->key, key))
		return 0;
	if (now - e->loaded >= SCACHE_TTL || now < e->loaded) {
		clear(e);
		return 0;
	}
	memset(cs, 0, sizeof(*cs));
	if ((cs->sid = arena_strdup(a, e->sid)) == NULL ||
	    (cs->uid = arena_strdup(a, e->uid)) == NULL ||
	    (cs->org = arena_strdup(a, e->org)) == NULL ||
	    (cs->email = arena_strdup(a, e->email)) == NULL ||
	    (cs->roles = arena_strdup(a, e->roles)) == NULL ||
	    (cs->csrf_hash = arena_strdup(a, e->csrf_hash)) == NULL)
		return 0;
	cs->auth_time = e->auth_time;
	cs->expires = e->expires;
	*loaded = e->loaded;
	return 1;
}

void
scache_put(struct scache *c, const unsigned char key[32], time_t now,
    const struct cookie_session *cs)
{
	struct scache_entry	*e;

	if (c->e == NULL)
		return;
	e = slot(c, key);
	clear(e);
	if ((e->sid = strdup(cs->sid)) == NULL ||
	    (e->uid = strdup(cs->uid)) == NULL ||
	    (e->org = strdup(cs->org)) == NULL ||
	    (e->email = strdup(cs->email)) == NULL ||
	    (e->roles = strdup(cs->roles)) == NULL ||
	    (e->csrf_hash = strdup(cs->csrf_hash)) == NULL) {
		clear(e);
		return;
	}
	memcpy(e->key, key, 32);
	e->auth_time = cs->auth_time;
	e->expires = cs->expires;
	e->loaded = now;
}

void
scache_drop(struct scache *c, const unsigned char key[32])
{
	struct scache_entry	*e;

	if (c->e == NULL)
		return;
	e = slot(c, key);
	if (e->loaded != 0 && crypto_eq32(e->key, key))
		clear(e);
}
