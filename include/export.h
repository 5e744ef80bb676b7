/*
 * export.h: shipping audit events to LOG_REMOTE_URL.  Events leave in id
 * order, in batches of LOG_REMOTE_BATCH_SIZE, as one JSON POST each
 * ({"events":[...]}, Authorization: Bearer LOG_REMOTE_API_KEY); the
 * cursor in PostgreSQL moves only after the collector answered 2xx, so a
 * collector that is down loses nothing: the same batch is sent again
 * (delivery is at least once; an event's id tells repeats apart).  Never
 * in the request path: iamctl runs it.
 */
#ifndef IAM_EXPORT_H
#define IAM_EXPORT_H

#include <signal.h>

struct config;
struct store;

/*
 * One pass (follow 0): ships everything there is, then returns 0, or -1
 * at the first failure.  follow 1: runs until *stop, waiting
 * LOG_REMOTE_FLUSH_INTERVAL_MS between looks and backing off (doubling,
 * up to a minute) while the collector fails; returns 0.
 */
int	export_run(struct store *, const struct config *, int follow,
	    volatile sig_atomic_t *stop, long *shipped);

#endif
