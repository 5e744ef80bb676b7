/*
 * vcache.h: a worker's short memory of things it has verified
 * (infra/vcache.c): browser sessions it looked up, access tokens whose
 * signature it checked.  Keyed by a SHA-256 (of the cookie, of the
 * token), holding an opaque blob the caller lays out; an entry is only a
 * copy of what was true when it was put, so its users bound it: an
 * entry ends at its own expiry or after ttl seconds, and every hit is
 * still checked against the revocation list (NOTIFY brings each
 * revocation to every worker at once) and, for tokens, the keyring.
 * Direct-mapped; a collision replaces the older entry; keys compared in
 * constant time.
 */
#ifndef IAM_VCACHE_H
#define IAM_VCACHE_H

#include <stddef.h>
#include <time.h>

struct arena;
struct vc_entry;

struct vcache {
	struct vc_entry	*e;	/* n, calloc */
	size_t		 n;
};

int	 vcache_init(struct vcache *, size_t n);
void	 vcache_free(struct vcache *);
/*
 * The blob of key when it was put at most ttl seconds ago and has not
 * expired, copied into the arena (NUL-terminated; *len its length,
 * *put when it was put); NULL when none.
 */
const char	*vcache_get(struct vcache *, const unsigned char key[32],
		    time_t now, time_t ttl, struct arena *, size_t *len,
		    time_t *put);
/* Keeps blob under key from now until expires. */
void	 vcache_put(struct vcache *, const unsigned char key[32], time_t now,
	    time_t expires, const void *blob, size_t len);
/* Forgets key. */
void	 vcache_drop(struct vcache *, const unsigned char key[32]);

#endif
