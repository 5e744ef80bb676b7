/*
 * store.h: PostgreSQL: the connection, transactions, readiness and
 * notifications.  All SQL text lives in the store layer: each area's
 * statements are private to its file (store_<area>.c, and the infra
 * modules that own a table), prepared once per connection of the
 * programs that use them and run with bound parameters; the area's
 * header (store_<area>.h) gives typed loaders.  Lookups return three
 * states: <0 broken (-> 503), 0 no / not found, >0 yes.  No PGresult
 * leaves the store layer.
 */
#ifndef IAM_STORE_H
#define IAM_STORE_H

#include <stdint.h>
#include <time.h>

#include "sandbox.h"

struct config;
struct pg_conn;		/* libpq's PGconn */

struct store {
	struct pg_conn	*conn;
	const struct config *cfg;	/* borrowed */
	int		 prepared;	/* statements prepared on conn */
	time_t		 next_try;	/* no reconnect before this */
	int		 in_tx;
	int		 notified;	/* reconnected: reload what is cached */
	char		 hostaddr[256];	/* DATABASE_URL's hosts, resolved */
	unsigned	 procs;		/* the statement sets it prepares */
};

/* Which programs use a statement set (store_int.h): each prepares only
 * its own sets' statements on connecting. */
#define STORE_SERVER	0x01	/* iam-fcgi's workers and chainer */
#define STORE_MAILER	0x02	/* iam-mailer */
#define STORE_CTL	0x04	/* iamctl */
#define STORE_ALL	0x07

/* The calls libpq makes to reconnect (sandbox.h). */
extern const struct sandbox_frag store_sandbox;

/*
 * Remembers cfg and resolves the host names DATABASE_URL gives to
 * addresses (libpq's hostaddr), so that a reconnect needs no DNS; a
 * reload resolves them again.  Connects at the first store_ready (or
 * store_exec).
 */
void	 store_init(struct store *, const struct config *);
void	 store_close(struct store *);
/* The statement sets to prepare (default: the server's and iamctl's;
 * iam-mailer asks for its own alone). */
void	 store_use(struct store *, unsigned procs);

/*
 * Makes sure the connection is usable, reconnecting (at most once a second)
 * if it was lost.  Returns 1 ready, -1 unavailable.
 */
int	 store_ready(struct store *);


/* Transaction helper: begin, then commit or roll back.  0 or -1. */
int	 store_begin(struct store *);
int	 store_commit(struct store *);
void	 store_rollback(struct store *);


/*
 * Lists whose filters and order vary (store_list.c).  Each filter is
 * NULL (absent) or a value bound as a parameter; count selects the total
 * instead of the page.  Rows are one JSON document each.
 */
enum user_sort {
	US_CREATED, US_CREATED_DESC, US_EMAIL, US_EMAIL_DESC, US_LOGIN,
	US_LOGIN_DESC, US_STATUS, US_STATUS_DESC, US__MAX
};
struct user_filter {
	const char	*org;
	const char	*search;	/* a literal substring */
	const char	*role;		/* slug */
	const char	*status;
	enum user_sort	 sort;
	const char	*limit, *offset;
};
/* A page of user ids, as a uuid[] literal for store_users_docs; how many. */
struct arena;
int	 store_user_ids(struct store *, struct arena *,
	    const struct user_filter *, char **ids);
/* The number of users the filter matches. */
int	 store_users_count(struct store *, const struct user_filter *,
	    int64_t *total);

struct audit_filter {
	const char	*org;
	const char	*actor, *action, *category, *target, *success;
	const char	*since, *until;	/* RFC 3339 */
	const char	*limit, *offset;
};
/* A page of events as a JSON array text; *more says the total is
 * not known from it (ask store_audit_count), else it is in *total. */
int	 store_audit_page(struct store *, struct arena *,
	    const struct audit_filter *, char **items, int64_t *total,
	    int *more);
int	 store_audit_count(struct store *, const struct audit_filter *,
	    int64_t *total);

/*
 * 1 if a NOTIFY on iam_tokens (a revocation, a key withdrawn) arrived
 * since the last call; never blocks.
 */
int	 store_notified(struct store *);
/* Waits up to ms for a notification (draining them, so an idle
 * connection's queue does not grow); returns store_notified(). */
int	 store_wait(struct store *, int ms);

/* Round-trip check used by /health/ready: 1 ok, -1 not; *ms its time. */
int	 store_ping(struct store *, double *ms);

/* Reads the instance row by primary key: 1 found (id copied), 0 none,
 * -1 broken. */
int	 store_instance(struct store *, char *id, size_t idlen);

#endif
