/*
 * ratelimit.h: fixed-window counters behind a small backend interface.
 * The memcached backend holds across workers and hosts; the null backend
 * (MEMCACHED_SERVERS empty) allows everything, and tests and production take
 * the same path through it.
 */
#ifndef IAM_RATELIMIT_H
#define IAM_RATELIMIT_H

#include <stdint.h>
#include <time.h>

#include "sandbox.h"

struct config;

struct rl_backend {
	const char	*name;
	/* Adds 1 to key (created at 1 with ttl seconds); sets *count.
	 * Returns 0, or -1 if the backend failed. */
	int		(*incr)(void *h, const char *key, size_t keylen,
			    uint32_t ttl, uint64_t *count);
	/* Returns 1 reachable, 0 not, -1 backend has nothing to reach. */
	int		(*ping)(void *h);
	void		(*close)(void *h);
};

struct ratelimit {
	const struct rl_backend	*be;
	void			*h;
	time_t			 last_warn;	/* logged once a minute */
};

struct rl_result {
	int64_t		limit;
	int64_t		remaining;
	int64_t		reset;		/* seconds until the window ends */
};

/* Opens the backend named by the configuration.  Returns 0 or -1. */
/* The calls libmemcached makes to reconnect (sandbox.h). */
extern const struct sandbox_frag rl_sandbox;

/* Server names are resolved to addresses here, once (sandbox.h). */
int	 rl_open(struct ratelimit *, const struct config *);
void	 rl_close(struct ratelimit *);

/*
 * Counts one hit for ident in bucket.  Returns 1 allowed, 0 over the limit,
 * -1 backend failure (the caller applies RATE_LIMIT_FAIL), 2 when the
 * backend is null (no limit and no headers).
 */
int	 rl_hit(struct ratelimit *, const char *bucket, const char *ident,
	    int64_t max, int64_t window, time_t now, struct rl_result *);

/* As the backend's ping: 1 up, 0 down, -1 disabled. */
int	 rl_ping(struct ratelimit *);

#endif
