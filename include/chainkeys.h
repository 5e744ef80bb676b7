/*
 * chainkeys.h: the audit chain's HMAC keys.  Each is 32 random bytes with
 * a version, stored only sealed (AES-256-GCM under SECRET_ENCRYPTION_KEY,
 * "iam-audit-chain-key:<version>" as associated data), never derived from
 * that key: rotating SECRET_ENCRYPTION_KEY re-seals them, and rotating
 * the chain key adds a version while the old ones keep verifying the
 * links they made.  The newest version makes new links.
 */
#ifndef IAM_CHAINKEYS_H
#define IAM_CHAINKEYS_H

#define CHAINKEYS_MAX	64

struct config;
struct store;

#include <time.h>

struct chainkeys {
	int		 n;
	time_t		 loaded;
	struct {
		int		 version;
		unsigned char	 key[32];
	}		 k[CHAINKEYS_MAX];
};

/*
 * Loads every key; when there is none and create is set, makes version 1
 * first (under a lock, so two processes agree).  0, or -1 (the database,
 * or a key SECRET_ENCRYPTION_KEY cannot open: logged).
 */
int	 chainkeys_load(struct chainkeys *, struct store *,
	    const struct config *, int create);
/* The key of a version, or NULL. */
const unsigned char *chainkeys_get(const struct chainkeys *, int version);
/* The newest version (0: none). */
int	 chainkeys_current(const struct chainkeys *);
/* Adds the next version.  0 or -1. */
int	 chainkeys_rotate(struct store *, const struct config *, int *version);
/*
 * Re-seals under SECRET_ENCRYPTION_KEY every key still sealed under
 * SECRET_ENCRYPTION_KEY_PREVIOUS; counts as keys_reseal does.  0 or -1.
 */
int	 chainkeys_reseal(struct store *, const struct config *,
	    long *resealed, long *unreadable);
void	 chainkeys_wipe(struct chainkeys *);

#endif
