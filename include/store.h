/*
 * store.h: PostgreSQL.  All SQL text lives in the store layer, as an
 * enum-indexed table of statements prepared once per connection and run
 * with bound parameters.  Lookups return three states: <0 broken (→ 503),
 * 0 no / not found, >0 yes.
 */
#ifndef IAM_STORE_H
#define IAM_STORE_H

#include <libpq-fe.h>

#include "sandbox.h"
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
	STMT_USER_PASSWORD_STATE,
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
	STMT_REFRESH_ROTATE,
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
	STMT_EMAIL_TOKENS_VOID,
	STMT_EMAIL_TOKEN_CONSUME,
	STMT_OUTBOX_INSERT,
	STMT_OUTBOX_NOTIFY,
	STMT_OUTBOX_CLAIM,
	STMT_OUTBOX_SENT,
	STMT_OUTBOX_RETRY,
	/* audit: events, chaining, keys, verification, export, purge */
	STMT_AUDIT_INSERT,
	STMT_AUDIT_GET,
	STMT_AUDIT_CHAIN_TRYLOCK,
	STMT_AUDIT_CHAIN_LOCK,
	STMT_AUDIT_PENDING,
	STMT_AUDIT_HEADS,
	STMT_AUDIT_LINK,
	STMT_AUDIT_KEYS_LIST,
	STMT_AUDIT_KEYS_LOCK,
	STMT_AUDIT_KEY_INSERT,
	STMT_AUDIT_KEYS_SEALED,
	STMT_AUDIT_KEY_RESEAL,
	STMT_AUDIT_ANCHOR_GET,
	STMT_AUDIT_CHAIN_PAGE,
	STMT_AUDIT_UNLINKED,
	STMT_AUDIT_CHAINS,
	STMT_AUDIT_EXPORT_CURSOR,
	STMT_AUDIT_EXPORT_BATCH,
	STMT_AUDIT_EXPORT_ADVANCE,
	STMT_AUDIT_PURGE_ALLOW,
	STMT_AUDIT_PURGE,
	STMT_AUDIT_ERASE_ALLOW,
	STMT_AUDIT_ERASE,
	/* callers, roles and permissions */
	STMT_CALLER,
	STMT_ORG_POLICY,
	STMT_USER_ROLE_ADD_SLUG,
	STMT_USER_ROLES_CLEAR,
	STMT_ROLES_BY_SLUGS,
	STMT_ORG_LOCK,
	STMT_OWNERS_OTHER,
	STMT_ROLES_LIST,
	STMT_ROLE_GET,
	STMT_ROLE_INSERT,
	STMT_ROLE_UPDATE,
	STMT_ROLE_DELETE,
	/* organisations */
	STMT_ORG_GET,
	STMT_ORG_UPDATE,
	STMT_ORG_INSERT,
	STMT_ORG_LIST,
	STMT_ORG_COUNT,
	STMT_ORG_SET_STATUS,
	STMT_ORG_DELETE,
	STMT_ORG_REVOKE_SESSIONS,
	STMT_ORG_REVOKE_TOKENS,
	/* members */
	STMT_MEMBER_GET,
	STMT_USERS_DOCS,
	STMT_USERS_SEARCH,
	STMT_MEMBER_SET,
	STMT_USER_FORCE_RESET,
	STMT_USER_MAKE_ADMIN,
	/* invitations */
	STMT_INVITE_INSERT,
	STMT_INVITE_PENDING_FOR,
	STMT_INVITE_LIST,
	STMT_INVITE_COUNT,
	STMT_INVITE_REVOKE,
	STMT_INVITE_RETOKEN,
	STMT_INVITE_BY_TOKEN,
	STMT_INVITE_ACCEPTED,
	/* breach response and token revocation */
	STMT_ALL_REVOKE_SESSIONS,
	STMT_ALL_REVOKE_TOKENS,
	STMT_ALL_FORCE_RESET,
	STMT_REVOCATION_INSERT,
	STMT_REVOCATIONS_LIST,
	STMT_NOTIFY_TOKENS,
	STMT_KEYS_REVOKE_ALL,
	STMT_KEYS_SEALED,
	STMT_KEYS_RESEAL,
	STMT__MAX
};

/*
 * Columns of the statements that answer users (STMT_USER_GET,
 * STMT_MEMBER_GET, STMT_USERS_DOCS, users_search()): 0-14 the sanitised
 * user (USER_COLS in store.c, written out by dom_user_text), then these.
 */
enum user_col {
	UCOL_HASH = 15,		/* STMT_USER_GET only */
	UCOL_ROLES = 16,	/* role slugs, comma list */
	UCOL_PERMS = 17,	/* held permissions, comma list */
	UCOL_OWNER = 18,	/* STMT_MEMBER_GET only: an owner? */
	UCOL_TOTAL = 17		/* users_search(): the number of matches */
};

struct store {
	PGconn		*conn;
	const struct config *cfg;	/* borrowed */
	int		 prepared;	/* statements prepared on conn */
	time_t		 next_try;	/* no reconnect before this */
	int		 in_tx;
	int		 notified;	/* reconnected: reload what is cached */
	char		 hostaddr[256];	/* DATABASE_URL's hosts, resolved */
};

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

/*
 * Runs SQL text the store layer composed from fixed fragments (list
 * queries whose filters and order vary: store_list.c), with every value
 * bound as a parameter.  Same contract as store_exec.
 */
PGresult *store_exec_text(struct store *, const char *sql, int n,
	    const char *const *params);

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
/* Pages have two columns: the document (for users, the id: documents
 * come from STMT_USERS_DOCS), and the total when the same statement
 * could tell it cheaply (else NULL: ask again with count). */
PGresult *store_users(struct store *, const struct user_filter *, int count);

struct audit_filter {
	const char	*org;
	const char	*actor, *action, *category, *target, *success;
	const char	*since, *until;	/* RFC 3339 */
	const char	*limit, *offset;
};
PGresult *store_audit(struct store *, const struct audit_filter *,
	    int count);

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
