/*
 * store.h: PostgreSQL.  All SQL text lives in the store layer, as an
 * enum-indexed table of statements prepared once per connection and run
 * with bound parameters.  Lookups return three states: <0 broken (→ 503),
 * 0 no / not found, >0 yes.
 */
#ifndef IAM_STORE_H
#define IAM_STORE_H

#include <libpq-fe.h>
#include <time.h>

struct config;

enum stmt {
	STMT_PING,
	STMT_INSTANCE,
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	/* signing keys */
	STMT_KEYS_LOCK,
	STMT_KEYS_LIST,
	STMT_KEYS_INSERT,
	STMT_KEYS_RETIRE_CURRENT,
	/* organisations and users */
	STMT_ORG_DEFAULT,
	STMT_USER_INSERT,
	STMT_PROFILE_INSERT,
	STMT_USER_FOR_LOGIN,
	STMT_USER_LOGIN_FAILED,
	STMT_USER_LOGIN_OK,
	STMT_USER_SET_HASH,
	STMT_USER_GET,
	STMT_USER_FOR_EMAIL,
	STMT_USER_VERIFY_EMAIL,
	STMT_USER_RESET_PASSWORD,
	STMT_PROFILE_UPDATE,
	STMT_USER_CHANGE_PASSWORD,
	STMT_USER_SOFT_DELETE,
	STMT_USER_EXPORT,
	/* sessions and refresh tokens */
	STMT_SESSION_INSERT,
	STMT_REFRESH_INSERT,
	STMT_REFRESH_LOOKUP,
	STMT_REFRESH_REVOKE_FAMILY,
	STMT_REFRESH_MARK_REPLACED,
	STMT_SESSION_REVOKE,
	STMT_SESSION_REVOKE_TOKENS,
	STMT_USER_REVOKE_SESSIONS,
	STMT_USER_REVOKE_TOKENS,
	STMT_USER_REVOKE_OTHER_SESSIONS,
	STMT_USER_REVOKE_OTHER_TOKENS,
	STMT_SESSIONS_LIST,
	STMT_SESSION_OF_USER,
	/* one-time email tokens and the outbox */
	STMT_EMAIL_TOKEN_INSERT,
	STMT_EMAIL_TOKEN_CONSUME,
	STMT_OUTBOX_INSERT,
	STMT_OUTBOX_NOTIFY,
	STMT_OUTBOX_CLAIM,
	STMT_OUTBOX_SENT,
	STMT_OUTBOX_RETRY,
	/* audit */
	STMT_AUDIT_LOCK,
	STMT_AUDIT_INSERT,
	STMT__MAX
};

struct store {
	PGconn		*conn;
	const struct config *cfg;	/* borrowed */
	int		 prepared;	/* statements prepared on conn */
	time_t		 next_try;	/* no reconnect before this */
	int		 in_tx;
};

/* Remembers cfg; connects at the first store_ready (or store_exec). */
void	 store_init(struct store *, const struct config *);
void	 store_close(struct store *);

/*
 * Makes sure the connection is usable, reconnecting (at most once a second)
 * if it was lost.  Returns 1 ready, -1 unavailable.
 */
int	 store_ready(struct store *);

/*
 * Runs a prepared statement with n text parameters (NULL = SQL NULL).
 * Returns the result (caller PQclear()s it) when it succeeded, or NULL on
 * any error, which is logged and counted; the connection is dropped if it
 * broke.
 */
PGresult *store_exec(struct store *, enum stmt, int n,
	    const char *const *params);

/* Transaction helper: begin, then commit or roll back.  0 or -1. */
int	 store_begin(struct store *);
int	 store_commit(struct store *);
void	 store_rollback(struct store *);

/* Round-trip check used by /health/ready: 1 ok, -1 not; *ms its time. */
int	 store_ping(struct store *, double *ms);

/* Reads the instance row by primary key: 1 found (id copied), 0 none,
 * -1 broken. */
int	 store_instance(struct store *, char *id, size_t idlen);

#endif
