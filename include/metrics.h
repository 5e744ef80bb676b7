/*
 * metrics.h: counters shared by every worker.  The master maps one
 * anonymous shared region before it forks, so /metrics in any worker sums
 * the whole service; counters are updated with relaxed atomic adds.
 */
#ifndef IAM_METRICS_H
#define IAM_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct buf;

enum metric_event {
	EV_LOGIN_OK,
	EV_LOGIN_FAILED,
	EV_TOKEN_ISSUED,
	EV_TOKEN_REFRESHED,
	EV_TOKEN_REVOKED,
	EV_RATE_LIMITED,
	EV_DB_ERROR,
	EV_MEMCACHED_ERROR,
	EV_WORKER_RESTART,
	EV_PASSWORD_HASH,	/* one scrypt computation, real or dummy */
	EV_PASSWORD_HASH_BUSY,	/* refused: HASH_CONCURRENCY reached */
	EV_PAGE_LOGIN_OK,	/* a sign-in on the hosted /login page */
	EV_PAGE_LOGIN_FAILED,
	EV_CLIENT_AUTH_FAILED,	/* a client failed to authenticate */
	EV_TOKEN_CLIENT_CREDENTIALS,	/* tokens of the client_credentials grant */
	EV__MAX
};

/*
 * Maps the region for nroutes routes (plus one slot for unmatched paths).
 * Call once, before forking.  Returns 0 or -1.
 */
int	 metrics_init(size_t nroutes);
/* Counts one request: route index (nroutes for none), status, duration. */
void	 metrics_request(size_t route, int status, uint64_t usec);
void	 metrics_event(enum metric_event);
void	 metrics_workers(int64_t alive);
/* Password hashes in flight, +1 or -1 (a gauge). */
void	 metrics_hashing(int delta);
/* Renders the Prometheus text exposition into b; labels[i] is route i's
 * label set (method="GET",route="/health"). */
void	 metrics_render(struct buf *b, const char *const *labels,
	    size_t nlabels);

#endif
