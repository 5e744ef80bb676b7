/*
 * sesscache.h: a worker's short memory of the browser sessions it has
 * just looked up (infra/sesscache.c), so that a busy session costs one
 * database round trip per SCACHE_TTL seconds instead of one per request.
 *
 * An entry is only a copy of what the database said at load time: the
 * caller drops it when it is older than SCACHE_TTL, past the session's
 * end, or voided by the revocation list (every way a session, its user
 * or its organisation ends records a revocation that NOTIFY brings to
 * every worker at once), so an ended session is refused on every worker
 * as soon as a bearer token of it is.  Keyed by the SHA-256 of the
 * cookie; holds no cookie.
 */
#ifndef IAM_SESSCACHE_H
#define IAM_SESSCACHE_H

#include <stdint.h>
#include <time.h>

struct arena;
struct cookie_session;

#define SCACHE_TTL	10	/* seconds an entry is trusted */
#define SCACHE_SIZE	512	/* entries per worker */

struct scache_entry;

struct scache {
	struct scache_entry	*e;	/* SCACHE_SIZE, calloc */
};

int	 scache_init(struct scache *);
void	 scache_free(struct scache *);
/* The entry of key loaded at most SCACHE_TTL ago, copied into the arena
 * (*loaded: when); 0 when none. */
int	 scache_get(struct scache *, const unsigned char key[32], time_t now,
	    struct arena *, struct cookie_session *, time_t *loaded);
/* Keeps cs (copied) under key, loaded now. */
void	 scache_put(struct scache *, const unsigned char key[32], time_t now,
	    const struct cookie_session *);
/* Forgets key. */
void	 scache_drop(struct scache *, const unsigned char key[32]);

#endif
