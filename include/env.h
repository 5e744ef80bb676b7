/*
 * env.h: the one context a process that serves requests owns:
 * configuration, its PostgreSQL connection, its rate-limit backend, the
 * request arena, the keyring and the revocation list.  It is set up once,
 * before the first request, and is the only global state.  The domain and
 * the handlers reach the database and the keys through it.
 */
#ifndef IAM_ENV_H
#define IAM_ENV_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "arena.h"
#include "keys.h"
#include "ratelimit.h"
#include "revoke.h"
#include "vcache.h"
#include "store.h"

struct config;

struct env {
	const struct config	*cfg;		/* borrowed */
	struct store		 db;
	struct ratelimit	 rl;
	struct arena		 arena;
	struct keyring		 keys;
	struct revocations	 revoked;
	struct vcache		 sessions;	/* browser sessions just seen */
	struct vcache		 tokens;	/* access tokens verified */
	char			 dummy_hash[128];	/* for unknown emails */
	char			 rid_prefix[17];
	uint64_t		 served;
};

/*
 * Opens the rate-limit backend and, when connect_db is set, the database
 * (a database that is down is not fatal: it is retried per request).
 */
int	 env_init(struct env *, const struct config *, int connect_db);
void	 env_free(struct env *);

/*
 * Brings the keyring and the revocation list up to date: at once after a
 * NOTIFY iam_tokens (a revocation, a withdrawn key), else every
 * KEYS_RELOAD_SEC.  Returns keys_refresh's result.
 */
int	 env_sync(struct env *, time_t now);

/* Writes a fresh request id into buf. */
void	 env_request_id(struct env *, char *buf, size_t len);

#endif
