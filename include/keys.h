/*
 * keys.h: the worker's signing keys.  Keys live in PostgreSQL (private
 * half sealed with AES-256-GCM under SECRET_ENCRYPTION_KEY, the kid as
 * associated data); each worker keeps them loaded and reloads every
 * KEYS_RELOAD_SEC or on an unknown kid.  Rotation: a key signs for
 * JWKS_ROTATE_DAYS; its successor is published a day (at most half a
 * period) before it takes over; a retired key stays in the JWKS until the
 * last token it signed has expired.
 */
#ifndef IAM_KEYS_H
#define IAM_KEYS_H

#include <stddef.h>
#include <time.h>

#include "jwt.h"

#define KEYS_MAX		16
#define KEYS_RELOAD_SEC		30

struct config;
struct store;

struct keyring {
	struct jwt_key	 k[KEYS_MAX];
	size_t		 n;
	time_t		 loaded;	/* 0: never */
	time_t		 last_forced;
	char		*jwks;		/* cached JWKS document (malloc) */
	size_t		 jwks_len;
};

/*
 * Makes sure the keys that should exist do (creating them under an
 * advisory lock), then loads them, when forced or when the ring is older
 * than KEYS_RELOAD_SEC.  A forced reload happens at most once a second.
 * Returns 0, or -1 (the old ring stays in use).
 */
int	 keys_refresh(struct keyring *, struct store *, const struct config *,
	    time_t now, int force);
void	 keys_free(struct keyring *);
/* The key that signs now, or NULL. */
const struct jwt_key *keys_current(const struct keyring *, time_t now);
/* jwt_find_fn over a struct keyring. */
const struct jwt_key *keys_find(void *ring, const char *kid);
/*
 * Routine rotation now (iamctl): the current key stops signing but stays
 * published until its tokens expire; a new key signs from now on.
 */
int	 keys_rotate(struct store *, const struct config *, time_t now);

/*
 * Breach rotation: every key is withdrawn at once (it leaves the JWKS and
 * its tokens stop verifying) and a new one signs.  Workers hear of it by
 * NOTIFY.  *withdrawn counts the old keys.  0 or -1.
 */
int	 keys_withdraw(struct store *, const struct config *, time_t now,
	    long *withdrawn);
/*
 * SECRET_ENCRYPTION_KEY rotation: re-seals under the current key every
 * private key still sealed under SECRET_ENCRYPTION_KEY_PREVIOUS.  Counts
 * those re-sealed and those neither key opens.  0 or -1.
 */
int	 keys_reseal(struct store *, const struct config *, long *resealed,
	    long *unreadable);

#endif
