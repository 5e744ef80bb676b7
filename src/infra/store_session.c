/*
 * store_session.c: sessions and their refresh tokens: started at
 * sign-in, rotated in one statement, looked up for logout and reuse
 * detection, ended one, all of a user's, an organisation's or every one.
 * Each way a session ends also voids its access tokens on every worker.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "store_int.h"
#include "store_session.h"

enum {
	SS_SESSION_INSERT,
	SS_REFRESH_INSERT,
	SS_REFRESH_LOOKUP,
	SS_REFRESH_ROTATE,
	SS_REFRESH_REVOKE_FAMILY,
	SS_SESSION_REVOKE,
	SS_SESSION_REVOKE_TOKENS,
	SS_USER_REVOKE_SESSIONS,
	SS_USER_REVOKE_TOKENS,
	SS_USER_REVOKE_OTHER_SESSIONS,
	SS_USER_REVOKE_OTHER_TOKENS,
	SS_SESSIONS_LIST,
	SS_SESSION_OF_USER,
	SS_ORG_REVOKE_SESSIONS,
	SS_ORG_REVOKE_TOKENS,
	SS_ALL_REVOKE_SESSIONS,
	SS_ALL_REVOKE_TOKENS,
	SS_BROWSER_INSERT,
	SS_COOKIE_SESSION,
	SS_BROWSER_COUNT,
	SS__MAX
};

static const struct stmt_def defs[SS__MAX] = {
	[SS_SESSION_INSERT] = { "session_insert",
	    "INSERT INTO sessions (user_id, expires_at, ip, user_agent)"
	    /* the shorter of the refresh lifetime and sessionLifetime */
	    " VALUES ($1, now() + least($2::bigint, coalesce((SELECT"
	    "  nullif((o.settings->>'sessionLifetime')::bigint, 0)"
	    "  FROM users u JOIN organisations o"
	    "  ON o.id = u.organisation_id WHERE u.id = $1), $2::bigint))"
	    "  * interval '1 second', $3, $4)"
	    " RETURNING id, extract(epoch FROM expires_at)::bigint", 4 },
	[SS_REFRESH_INSERT] = { "refresh_insert",
	    "INSERT INTO refresh_tokens (token_hash, family_id, parent_id,"
	    " session_id, user_id, expires_at)"
	    /* never past its session's end: refresh does not extend it */
	    " SELECT $1, coalesce($2::uuid, gen_random_uuid()), $3, $4, $5,"
	    " least(to_timestamp($6), s.expires_at)"
	    " FROM sessions s WHERE s.id = $4 RETURNING id", 6 },
	[SS_REFRESH_LOOKUP] = { "refresh_lookup",
	    "SELECT" REFRESH_STATE REFRESH_FROM " WHERE r.token_hash = $1"
	    " FOR UPDATE OF r", 1 },
	/*
	 * A refresh in one statement (autocommit, so one round trip): the
	 * presented token's row is locked, and when it is live the new token
	 * goes in, the old one points at it, the session is seen and the
	 * event is recorded.  A concurrent refresh of the same token waits on
	 * the row lock and then sees it spent.  Columns as refresh_lookup's,
	 * then whether it rotated.
	 */
	[SS_REFRESH_ROTATE] = { "refresh_rotate",
	    "WITH cur AS (SELECT" REFRESH_STATE ", s.expires_at AS s_exp,"
	    "  r.expires_at AS r_exp" REFRESH_FROM " WHERE r.token_hash = $1"
	    "  FOR UPDATE OF r),"
	    " ok AS (SELECT * FROM cur WHERE NOT spent AND NOT expired"
	    "  AND NOT ended AND ustatus = 'active' AND NOT udeleted"
	    "  AND ostatus = 'active'),"
	    " n AS (INSERT INTO refresh_tokens (token_hash, family_id,"
	    "  parent_id, session_id, user_id, expires_at)"
	    "  SELECT $2, family_id, id, session_id, uid,"
	    "  least(r_exp, s_exp) FROM ok RETURNING id, parent_id),"
	    " m AS (UPDATE refresh_tokens rt SET replaced_by = n.id FROM n"
	    "  WHERE rt.id = n.parent_id),"
	    " v AS (UPDATE sessions SET last_seen_at = now()"
	    "  WHERE id = (SELECT session_id FROM ok)),"
	    " t AS (SELECT clock_timestamp() AS t,"
	    "  uuid_send(gen_random_uuid()) AS s),"
	    " a AS (INSERT INTO audit_log SELECT" AUDIT_ROW("org",
	    "'token.refresh'", "'token'", "true", "'user'", "uid", "email",
	    "'session'", "session_id::text", "$3", "$4", "'{}'::jsonb")
	    "  FROM ok, t RETURNING id),"
	    " aq AS (INSERT INTO audit_pending (event_id) SELECT id FROM a)"
	    " SELECT id, family_id, session_id, uid, spent, expired, ended,"
	    " ustatus, udeleted, ostatus, exp, email, org, roles,"
	    " EXISTS (SELECT 1 FROM n) FROM cur", 4 },
	[SS_REFRESH_REVOKE_FAMILY] = { "refresh_revoke_family",
	    "UPDATE refresh_tokens SET revoked_at = now()"
	    " WHERE family_id = $1 AND revoked_at IS NULL", 1 },
	/*
	 * Each way a session ends also voids its access tokens on every
	 * worker (SESSIONS_END_TOKENS closes each statement).
	 */
	[SS_SESSION_REVOKE] = { "session_revoke",
	    "WITH s AS (UPDATE sessions SET revoked_at = now()"
	    " WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL"
	    SESSIONS_END_TOKENS, 2 },
	[SS_SESSION_REVOKE_TOKENS] = { "session_revoke_tokens",
	    "UPDATE refresh_tokens SET revoked_at = now()"
	    " WHERE session_id = $1 AND revoked_at IS NULL", 1 },
	[SS_USER_REVOKE_SESSIONS] = { "user_revoke_sessions",
	    "WITH s AS (UPDATE sessions SET revoked_at = now()"
	    " WHERE user_id = $1 AND revoked_at IS NULL"
	    SESSIONS_END_TOKENS, 1 },
	[SS_USER_REVOKE_TOKENS] = { "user_revoke_tokens",
	    "UPDATE refresh_tokens SET revoked_at = now()"
	    " WHERE user_id = $1 AND revoked_at IS NULL", 1 },
	[SS_USER_REVOKE_OTHER_SESSIONS] = { "user_revoke_other_sessions",
	    "WITH s AS (UPDATE sessions SET revoked_at = now() WHERE user_id = $1"
	    " AND revoked_at IS NULL AND id IS DISTINCT FROM $2::uuid"
	    SESSIONS_END_TOKENS, 2 },
	[SS_USER_REVOKE_OTHER_TOKENS] = { "user_revoke_other_tokens",
	    "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1"
	    " AND revoked_at IS NULL AND session_id IS DISTINCT FROM $2::uuid",
	    2 },
	[SS_SESSIONS_LIST] = { "sessions_list",
	    "SELECT id,"
	    " to_char(created_at AT TIME ZONE 'UTC',"
	    "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	    " to_char(last_seen_at AT TIME ZONE 'UTC',"
	    "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	    " to_char(expires_at AT TIME ZONE 'UTC',"
	    "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	    " coalesce(ip, ''), coalesce(user_agent, ''), kind"
	    " FROM sessions WHERE user_id = $1 AND revoked_at IS NULL"
	    " AND expires_at > now() ORDER BY created_at DESC LIMIT 100", 1 },
	[SS_SESSION_OF_USER] = { "session_of_user",
	    "SELECT id FROM sessions WHERE id = $1 AND user_id = $2"
	    " AND revoked_at IS NULL", 2 },
	[SS_ORG_REVOKE_SESSIONS] = { "org_revoke_sessions",
	    "UPDATE sessions s SET revoked_at = now() FROM users u"
	    " WHERE u.id = s.user_id AND u.organisation_id = $1"
	    " AND s.revoked_at IS NULL", 1 },
	[SS_ORG_REVOKE_TOKENS] = { "org_revoke_tokens",
	    "UPDATE refresh_tokens t SET revoked_at = now() FROM users u"
	    " WHERE u.id = t.user_id AND u.organisation_id = $1"
	    " AND t.revoked_at IS NULL", 1 },
	[SS_ALL_REVOKE_SESSIONS] = { "all_revoke_sessions",
	    "UPDATE sessions SET revoked_at = now() WHERE revoked_at IS NULL",
	    0 },
	[SS_ALL_REVOKE_TOKENS] = { "all_revoke_tokens",
	    "UPDATE refresh_tokens SET revoked_at = now()"
	    " WHERE revoked_at IS NULL", 0 },
	/* A browser session: the organisation's sessionLifetime, else
	 * SESSION_LIFETIME ($4). */
	[SS_BROWSER_INSERT] = { "browser_insert",
	    "INSERT INTO sessions (user_id, kind, cookie_hash, csrf_hash,"
	    " expires_at, ip, user_agent)"
	    " SELECT u.id, 'browser', $2, $3, now() + coalesce(nullif("
	    "  (o.settings->>'sessionLifetime')::bigint, 0), $4::bigint)"
	    "  * interval '1 second', $5, $6"
	    " FROM users u JOIN organisations o ON o.id = u.organisation_id"
	    " WHERE u.id = $1"
	    " RETURNING id, floor(extract(epoch FROM expires_at))::bigint", 6 },
	/*
	 * The live browser session a cookie holds, by its hash (a unique
	 * index: one index probe), with what /auth/verify and the pages
	 * need; idle means the organisation's sessionIdleTimeout, else
	 * SESSION_IDLE_TIMEOUT ($2; 0 none).  last_seen_at is written at
	 * most once a minute, in the same statement (with the workers'
	 * SCACHE_TTL, it is never more than a minute behind a session in
	 * use).
	 */
	[SS_COOKIE_SESSION] = { "cookie_session",
	    "WITH c AS (SELECT s.id, s.user_id, u.organisation_id, u.email,"
	    "  s.csrf_hash, extract(epoch FROM s.auth_time)::bigint,"
	    "  extract(epoch FROM s.expires_at)::bigint,"
	    "  coalesce((SELECT string_agg(rl.slug, ',' ORDER BY rl.slug)"
	    "  FROM user_roles ur JOIN roles rl ON rl.id = ur.role_id"
	    "  WHERE ur.user_id = u.id), ''),"
	    /* 50, not 60: a worker trusts what it read for SCACHE_TTL */
	    "  s.last_seen_at < now() - interval '50 seconds' AS stale,"
	    "  coalesce((o.settings->>'sessionIdleTimeout')::bigint,"
	    "  $2::bigint) AS idle"
	    " FROM sessions s JOIN users u ON u.id = s.user_id"
	    " JOIN organisations o ON o.id = u.organisation_id"
	    " WHERE s.cookie_hash = $1 AND s.kind = 'browser'"
	    " AND s.revoked_at IS NULL AND s.expires_at > now()"
	    " AND u.status = 'active' AND u.deleted_at IS NULL"
	    " AND o.status = 'active'"
	    " AND (coalesce((o.settings->>'sessionIdleTimeout')::bigint,"
	    "  $2::bigint) = 0 OR s.last_seen_at + coalesce("
	    "  (o.settings->>'sessionIdleTimeout')::bigint, $2::bigint)"
	    "  * interval '1 second' > now())),"
	    " t AS (UPDATE sessions SET last_seen_at = now()"
	    "  WHERE id = (SELECT id FROM c WHERE stale))"
	    " SELECT * FROM c", 2 },
	[SS_BROWSER_COUNT] = { "browser_count",
	    "SELECT count(*) FROM sessions WHERE kind = 'browser'"
	    " AND revoked_at IS NULL AND expires_at > now()", 0 },
};
const struct stmt_set store_set_session = { defs, SS__MAX,
    STORE_SERVER | STORE_CTL };

static int
run(struct store *s, int i, int n, const char *const *p)
{
	return store_do(s, &store_set_session, i, n, p);
}

int
store_session_insert(struct store *s, struct arena *a, const char *uid,
    const char *lifetime, const char *ip, const char *ua, char **sid,
    int64_t *expires)
{
	const char	*p[4] = { uid, lifetime, ip, ua };
	PGresult	*r;
	int		 rc = -1;

	if ((r = store_run(s, &store_set_session, SS_SESSION_INSERT, 4, p)) ==
	    NULL)
		return -1;
	if (PQntuples(r) == 1 && (*sid = store_str(a, r, 0, 0)) != NULL) {
		*expires = store_int(r, 0, 1);
		rc = 1;
	}
	PQclear(r);
	return rc;
}

int
store_refresh_insert(struct store *s, struct arena *a, const char *hash,
    const char *family, const char *parent, const char *sid,
    const char *uid, const char *expires, char **id)
{
	const char	*p[6] = { hash, family, parent, sid, uid, expires };
	PGresult	*r;
	int		 rc = 0;

	if ((r = store_run(s, &store_set_session, SS_REFRESH_INSERT, 6, p)) ==
	    NULL)
		return -1;
	if (PQntuples(r) == 1) {
		rc = 1;
		if (id != NULL && (*id = store_str(a, r, 0, 0)) == NULL)
			rc = -1;
	}
	PQclear(r);
	return rc;
}

/* Columns of REFRESH_STATE as refresh_lookup and refresh_rotate give
 * them: id, family, session, user, spent, expired, ended, user status,
 * deleted, organisation status, expiry, email, organisation, roles. */
static int
state(struct arena *a, PGresult *r, struct refresh_state *st)
{
	memset(st, 0, sizeof(*st));
	st->id = store_str(a, r, 0, 0);
	st->family = store_str(a, r, 0, 1);
	st->sid = store_str(a, r, 0, 2);
	st->uid = store_str(a, r, 0, 3);
	st->spent = store_bool(r, 0, 4);
	st->email = store_str(a, r, 0, 11);
	st->org = store_str(a, r, 0, 12);
	st->roles = store_str(a, r, 0, 13);
	if (st->id == NULL || st->family == NULL || st->sid == NULL ||
	    st->uid == NULL || st->email == NULL || st->org == NULL ||
	    st->roles == NULL)
		return -1;
	return 1;
}

int
store_refresh_lookup(struct store *s, struct arena *a, const char *hash,
    struct refresh_state *st)
{
	PGresult	*r;
	int		 rc = 0;

	if ((r = store_run(s, &store_set_session, SS_REFRESH_LOOKUP, 1,
	    &hash)) == NULL)
		return -1;
	if (PQntuples(r) == 1)
		rc = state(a, r, st);
	PQclear(r);
	return rc;
}

int
store_refresh_rotate(struct store *s, struct arena *a, const char *hash,
    const char *new_hash, const char *ip, const char *ua,
    struct refresh_state *st)
{
	const char	*p[4] = { hash, new_hash, ip, ua };
	PGresult	*r;
	int		 rc = 0;

	if ((r = store_run(s, &store_set_session, SS_REFRESH_ROTATE, 4, p)) ==
	    NULL)
		return -1;
	if (PQntuples(r) == 1 && (rc = state(a, r, st)) == 1)
		st->rotated = store_bool(r, 0, 14);
	PQclear(r);
	return rc;
}

int
store_refresh_revoke_family(struct store *s, const char *family)
{
	return run(s, SS_REFRESH_REVOKE_FAMILY, 1, &family);
}

int
store_session_revoke(struct store *s, const char *sid, const char *uid)
{
	const char	*p[2] = { sid, uid };

	return run(s, SS_SESSION_REVOKE, 2, p);
}

int
store_session_end(struct store *s, const char *sid, const char *uid)
{
	const char	*p[2] = { sid, uid };

	if (run(s, SS_SESSION_REVOKE, 2, p) == -1)
		return -1;
	return run(s, SS_SESSION_REVOKE_TOKENS, 1, p);
}

int
store_sessions_end_user(struct store *s, const char *uid, const char *keep)
{
	const char	*p[2] = { uid, keep };

	if (keep == NULL)
		return run(s, SS_USER_REVOKE_SESSIONS, 1, p) == -1 ? -1 :
		    run(s, SS_USER_REVOKE_TOKENS, 1, p);
	return run(s, SS_USER_REVOKE_OTHER_SESSIONS, 2, p) == -1 ? -1 :
	    run(s, SS_USER_REVOKE_OTHER_TOKENS, 2, p);
}

int64_t
store_sessions_end_scope(struct store *s, const char *org, const char *user)
{
	const char	*id = user != NULL ? user : org;
	int64_t		 n;
	int		 n1 = id != NULL ? 1 : 0;

	if ((n = store_affected(store_run(s, &store_set_session, user != NULL ?
	    SS_USER_REVOKE_SESSIONS : org != NULL ? SS_ORG_REVOKE_SESSIONS :
	    SS_ALL_REVOKE_SESSIONS, n1, &id))) < 0 ||
	    run(s, user != NULL ? SS_USER_REVOKE_TOKENS : org != NULL ?
	    SS_ORG_REVOKE_TOKENS : SS_ALL_REVOKE_TOKENS, n1, &id) == -1)
		return -1;
	return n;
}

int
store_sessions_list(struct store *s, struct arena *a, const char *uid,
    struct session_row **rows)
{
	PGresult	*r;
	int		 i, n;

	if ((r = store_run(s, &store_set_session, SS_SESSIONS_LIST, 1, &uid)) ==
	    NULL)
		return -1;
	n = PQntuples(r);
	if ((*rows = arena_alloc(a, (size_t)(n + 1) * sizeof(**rows))) ==
	    NULL) {
		PQclear(r);
		return -1;
	}
	for (i = 0; i < n; i++) {
		(*rows)[i].id = store_str(a, r, i, 0);
		(*rows)[i].created = store_str(a, r, i, 1);
		(*rows)[i].seen = store_str(a, r, i, 2);
		(*rows)[i].expires = store_str(a, r, i, 3);
		(*rows)[i].ip = store_str(a, r, i, 4);
		(*rows)[i].ua = store_str(a, r, i, 5);
		(*rows)[i].kind = store_str(a, r, i, 6);
		if ((*rows)[i].id == NULL || (*rows)[i].ua == NULL ||
		    (*rows)[i].kind == NULL) {
			n = -1;
			break;
		}
	}
	PQclear(r);
	return n;
}

int
store_session_of_user(struct store *s, const char *sid, const char *uid)
{
	const char	*p[2] = { sid, uid };
	PGresult	*r;
	int		 rc;

	if ((r = store_run(s, &store_set_session, SS_SESSION_OF_USER, 2, p)) ==
	    NULL)
		return -1;
	rc = PQntuples(r) == 1;
	PQclear(r);
	return rc;
}

int
store_browser_insert(struct store *s, struct arena *a, const char *uid,
    const char *cookie_hash, const char *csrf_hash, const char *lifetime,
    const char *ip, const char *ua, char **sid, int64_t *expires)
{
	const char	*p[6] = { uid, cookie_hash, csrf_hash, lifetime, ip, ua };
	PGresult	*r;
	int		 rc = 0;

	if ((r = store_run(s, &store_set_session, SS_BROWSER_INSERT, 6, p)) ==
	    NULL)
		return -1;
	if (PQntuples(r) == 1) {
		rc = -1;
		if ((*sid = store_str(a, r, 0, 0)) != NULL) {
			*expires = store_int(r, 0, 1);
			rc = 1;
		}
	}
	PQclear(r);
	return rc;
}

int
store_cookie_session(struct store *s, struct arena *a, const char *hash,
    const char *idle, struct cookie_session *cs)
{
	const char	*p[2] = { hash, idle };
	PGresult	*r;
	int		 rc = 0;

	memset(cs, 0, sizeof(*cs));
	if ((r = store_run(s, &store_set_session, SS_COOKIE_SESSION, 2, p)) ==
	    NULL)
		return -1;
	if (PQntuples(r) == 1) {
		cs->sid = store_str(a, r, 0, 0);
		cs->uid = store_str(a, r, 0, 1);
		cs->org = store_str(a, r, 0, 2);
		cs->email = store_str(a, r, 0, 3);
		cs->csrf_hash = store_str(a, r, 0, 4);
		cs->auth_time = store_int(r, 0, 5);
		cs->expires = store_int(r, 0, 6);
		cs->roles = store_str(a, r, 0, 7);
		cs->idle = store_int(r, 0, 9);
		rc = cs->sid == NULL || cs->uid == NULL || cs->org == NULL ||
		    cs->email == NULL || cs->csrf_hash == NULL ||
		    cs->roles == NULL ? -1 : 1;
	}
	PQclear(r);
	return rc;
}

int64_t
store_browser_count(struct store *s)
{
	int64_t	n;

	if (store_count(store_run(s, &store_set_session, SS_BROWSER_COUNT, 0,
	    NULL), &n) == -1)
		return -1;
	return n;
}
