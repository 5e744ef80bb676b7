/*
 * worker.h: the one context a worker process owns: configuration, its
 * PostgreSQL connection, its rate-limit backend and the request arena.  It
 * is set up once, before the accept loop, and is the only global state.
 */
#ifndef IAM_WORKER_H
#define IAM_WORKER_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "arena.h"
#include "keys.h"
#include "ratelimit.h"
#include "revoke.h"
#include "store.h"

struct config;
struct io;

struct worker {
	const struct config	*cfg;		/* borrowed */
	struct store		 db;
	struct ratelimit	 rl;
	struct arena		 arena;
	struct keyring		 keys;
	struct revocations	 revoked;
	char			 dummy_hash[128];	/* for unknown emails */
	char			 rid_prefix[17];
	uint64_t		 served;
};

/*
 * Opens the rate-limit backend and, when connect_db is set, the database
 * (a database that is down is not fatal: it is retried per request).
 */
int	 worker_init(struct worker *, const struct config *, int connect_db);
void	 worker_free(struct worker *);

/* Serves FastCGI requests on listen_fd until SIGTERM.  Returns an exit
 * status. */
int	 worker_loop(struct worker *, int listen_fd);
/* Serves the single CGI request of this process. */
int	 worker_cgi(struct worker *);

/* Answers one request read from io (the transport's single entry). */
void	 dispatch(struct worker *, struct io *);

/*
 * Brings the keyring and the revocation list up to date: at once after a
 * NOTIFY iam_tokens (a revocation, a withdrawn key), else every
 * KEYS_RELOAD_SEC.  Returns keys_refresh's result.
 */
int	 worker_sync(struct worker *, time_t now);

/* Writes a fresh request id into buf. */
void	 worker_request_id(struct worker *, char *buf, size_t len);

/* Set from the SIGTERM handler. */
extern volatile sig_atomic_t	worker_stop;

#endif
