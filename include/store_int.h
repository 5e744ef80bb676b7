/*
 * store_int.h: what the store's own files share (src/infra/store*.c and
 * the infra modules that own a table).  Each area keeps its statements
 * private: a table of its own, registered here as a set with the
 * processes that use it, prepared on every connection of those processes
 * only.  Nothing above infra/ includes this file: the domain gets typed
 * rows from the areas' loaders (store_<area>.h), never a PGresult.
 */
#ifndef IAM_STORE_INT_H
#define IAM_STORE_INT_H

#include <libpq-fe.h>
#include <stdint.h>

#include "store.h"

struct arena;

/* SQL fragments more than one area writes its statements with. */
/*
 * The sanitised user, as plain columns 0-14 (dom_user_text writes the
 * JSON): id, email, verified, status, organisation id, slug, name, first
 * and last name, phone, preferences and addresses as JSON text, created,
 * updated and last login as epoch seconds (formatted in C, cheaper than
 * to_char).  Every statement that answers users uses these, so the shape
 * is written once.  u, o and p are users, organisations and profiles.
 */
#define USER_COLS \
	" u.id, u.email, u.email_verified_at IS NOT NULL, u.status," \
	" o.id, o.slug, o.name, coalesce(p.first_name, '')," \
	" coalesce(p.last_name, ''), coalesce(p.phone, '')," \
	" coalesce(p.preferences, '{}')::text," \
	" coalesce(p.addresses, '[]')::text," \
	" floor(extract(epoch FROM u.created_at))::bigint," \
	" floor(extract(epoch FROM greatest(u.updated_at," \
	"  p.updated_at)))::bigint," \
	" floor(extract(epoch FROM u.last_login_at))::bigint"
#define USER_FROM \
	" FROM users u JOIN organisations o ON o.id = u.organisation_id" \
	" LEFT JOIN profiles p ON p.user_id = u.id"
/*
 * u's role slugs and the permissions its roles carry, comma lists read in
 * one pass (a lateral join, USER_ROLE_SETS, selected as USER_SETS); a
 * permission two roles carry appears twice, as every reader tests
 * membership (perm_has, perm_covers).  rs.owner: one of them is owner.
 */
#define USER_ROLE_SETS \
	" LEFT JOIN LATERAL (SELECT string_agg(r.slug, ',' ORDER BY r.slug)" \
	"  AS slugs, string_agg(array_to_string(r.permissions, ','), ',')" \
	"  AS perms, bool_or(r.slug = 'owner') AS owner" \
	"  FROM user_roles ur JOIN roles r ON r.id = ur.role_id" \
	"  WHERE ur.user_id = u.id) rs ON true"
#define USER_SETS	" coalesce(rs.slugs, ''), coalesce(rs.perms, '')"
/* The permissions alone, for the caller check. */
#define USER_PERMS \
	" coalesce((SELECT string_agg(array_to_string(r.permissions, ','), ',')" \
	"  FROM user_roles ur JOIN roles r ON r.id = ur.role_id" \
	"  WHERE ur.user_id = u.id), '')"

/* Closes a statement whose CTE "s" ends sessions: their access tokens end
 * with them (a 'session' revocation each, and one NOTIFY iam_tokens at
 * commit when any ended). */
#define SESSIONS_END_TOKENS \
	" RETURNING id)," \
	" r AS (INSERT INTO token_revocations (scope, subject, cutoff)" \
	"  SELECT 'session', id, date_trunc('second', clock_timestamp())" \
	"  + interval '1 second' FROM s RETURNING 1)" \
	" SELECT pg_notify('iam_tokens', '') WHERE EXISTS (SELECT 1 FROM r)"

/* A refresh token's row r with its session s, user u, organisation o:
 * what decides whether it may rotate (named for refresh_rotate). */
#define REFRESH_STATE \
	" r.id, r.family_id, r.session_id, r.user_id AS uid," \
	/* spent: rotated away while its family still lives (reuse) */ \
	" r.replaced_by IS NOT NULL AND r.revoked_at IS NULL AS spent," \
	" r.expires_at <= now() OR r.revoked_at IS NOT NULL AS expired," \
	" s.revoked_at IS NOT NULL OR s.expires_at <= now()" \
	/* idle longer than the organisation's sessionIdleTimeout */ \
	"  OR coalesce((o.settings->>'sessionIdleTimeout')::bigint, 0) > 0" \
	"  AND s.last_seen_at + (o.settings->>'sessionIdleTimeout')::bigint" \
	"  * interval '1 second' <= now() AS ended," \
	" u.status AS ustatus, u.deleted_at IS NOT NULL AS udeleted," \
	" o.status AS ostatus, extract(epoch FROM r.expires_at)::bigint AS exp," \
	" u.email, u.organisation_id AS org," \
	" coalesce((SELECT string_agg(rl.slug, ','" \
	"  ORDER BY rl.slug) FROM user_roles ur JOIN roles rl" \
	"  ON rl.id = ur.role_id WHERE ur.user_id = u.id), '') AS roles"
#define REFRESH_FROM \
	" FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id" \
	" JOIN users u ON u.id = r.user_id" \
	" JOIN organisations o ON o.id = u.organisation_id"

/*
 * The select list of one audit event, from a CTE t of (t: the time, s:
 * a fresh salt): its UUIDv7 id of that time, and the salted digest of its
 * personal fields (email, ip, user agent) that the chain covers.
 */
#define AUDIT_ROW(org, act, cat, ok, atype, aid, amail, ttype, tid, ip, \
	    ua, det) \
	" uuid7(t.t), t.t, " org ", " act ", " cat ", " ok ", " atype ", " \
	aid ", " amail ", " ttype ", " tid ", " ip ", " ua ", " det ", t.s," \
	" audit_personal(t.s, " amail ", " ip ", " ua "), NULL"
/* Closes a statement whose CTE e inserted events: each goes on the
 * chainer's queue in the same statement. */
#define AUDIT_QUEUE \
	" INSERT INTO audit_pending (event_id) SELECT id FROM e"

/*
 * The columns of an event a link covers, as text (uuid, epoch
 * microseconds, booleans t/f, jsonb's canonical text, the digest in hex);
 * audit_link_bytes() in the domain frames them.  Ten columns.
 */
#define AUDIT_CANON \
	" a.id, (extract(epoch FROM a.created_at) * 1000000)::bigint," \
	" a.organisation_id, a.action, a.category, a.success, a.actor_type," \
	" a.actor_id, a.target_type, a.target_id, a.details::text," \
	" encode(a.personal_digest, 'hex')"

struct stmt_def {
	const char	*name;		/* prepared under this name */
	const char	*sql;
	int		 nparams;
};

struct stmt_set {
	const struct stmt_def	*v;
	int			 n;
	unsigned		 procs;	/* STORE_SERVER, STORE_MAILER, ... */
};

/* The sets, each in its area's file. */
extern const struct stmt_set store_set_session, store_set_outbox,
    store_set_mailer, store_set_user, store_set_admin, store_set_keys,
    store_set_chainkeys, store_set_revoke, store_set_audit, store_set_oauth;

/*
 * Runs statement i of set with n bound parameters.  Returns the result
 * (PQclear it), or NULL when the database is unavailable or the
 * statement failed (logged; a lost connection is dropped, and outside a
 * transaction retried once on a fresh one).
 */
PGresult *store_run(struct store *, const struct stmt_set *, int i, int n,
	    const char *const *params);
/*
 * Runs SQL text the store layer composed from fixed fragments (list
 * queries whose filters and order vary: store_list.c), with every value
 * bound as a parameter.  Same contract as store_run.
 */
PGresult *store_exec_text(struct store *, const char *sql, int n,
	    const char *const *params);
/* store_run for a statement whose rows are not read: 0 or -1. */
int	 store_do(struct store *, const struct stmt_set *, int i, int n,
	    const char *const *params);

/* Row r, column c: a copy in the arena (NULL for SQL NULL or no memory),
 * an integer (0 for NULL), a boolean (t). */
char	*store_str(struct arena *, PGresult *, int row, int c);
int64_t	 store_int(PGresult *, int row, int c);
int	 store_bool(PGresult *, int row, int c);

/*
 * Whole results, each taking r (NULL: the statement failed, -1) and
 * clearing it: any rows (1/0), one row's first column (1, 0 no row),
 * every row's first column (JSON text each) as one JSON array text (how
 * many), a count(*) into *n (0), the rows a command touched.
 * store_json_array is the same for column c and leaves r to the caller.
 */
int	 store_any(PGresult *);
int	 store_one_str(struct arena *, PGresult *, char **out);
int	 store_docs(struct arena *, PGresult *, char **out);
int	 store_json_array(struct arena *, PGresult *, int c, char **out);
int	 store_count(PGresult *, int64_t *n);
int64_t	 store_affected(PGresult *);

/*
 * Columns of the statements that answer users (user_get, member_get,
 * users_docs, users_search()): 0-14 the sanitised user (USER_COLS, read
 * by store_user_row), then these.
 */
enum user_col {
	UCOL_HASH = 15,		/* user_get only */
	UCOL_ROLES = 16,	/* role slugs, comma list */
	UCOL_PERMS = 17,	/* held permissions, comma list */
	UCOL_OWNER = 18,	/* member_get only: an owner? */
	UCOL_TOTAL = 17		/* users_search(): the number of matches */
};

/* Reads row i's USER_COLS (and the extra columns asked) into u:
 * 1, or -1 out of memory. */
struct user_row;
#define UROW_HASH	0x1
#define UROW_PERMS	0x2
#define UROW_OWNER	0x4
int	 store_user_row(struct arena *, PGresult *, int i, int extra,
	    struct user_row *u);

#endif
