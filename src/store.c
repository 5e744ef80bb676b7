/*
 * store.c: the worker's one PostgreSQL connection and its statement table.
 * Statements are prepared when a connection is made; a failed statement
 * whose connection is gone drops the connection, and the next request
 * reconnects, so workers survive a database restart on their own.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "log.h"
#include "metrics.h"
#include "store.h"

static const struct {
	const char	*name;
	const char	*sql;
	int		 nparams;
} stmts[STMT__MAX] = {
	[STMT_PING] = { "ping", "SELECT 1", 0 },
	[STMT_INSTANCE] = { "instance",
	    "SELECT instance_id FROM instance WHERE id = $1", 1 },
	[STMT_BEGIN] = { "begin", "BEGIN", 0 },
	[STMT_COMMIT] = { "commit", "COMMIT", 0 },
	[STMT_ROLLBACK] = { "rollback", "ROLLBACK", 0 },

	[STMT_KEYS_LOCK] = { "keys_lock",
	    "SELECT pg_advisory_xact_lock(4242002)", 0 },
	[STMT_KEYS_LIST] = { "keys_list",
	    "SELECT kid, public_key, private_key_enc,"
	    " extract(epoch FROM activates_at)::bigint,"
	    " extract(epoch FROM retires_at)::bigint,"
	    " extract(epoch FROM expires_at)::bigint"
	    " FROM signing_keys WHERE revoked_at IS NULL AND expires_at > now()"
	    " ORDER BY activates_at", 0 },
	[STMT_KEYS_INSERT] = { "keys_insert",
	    "INSERT INTO signing_keys (kid, alg, public_key, private_key_enc,"
	    " activates_at, retires_at, expires_at)"
	    " VALUES ($1, 'EdDSA', $2, $3, to_timestamp($4), to_timestamp($5),"
	    " to_timestamp($6))", 6 },
	[STMT_KEYS_RETIRE_CURRENT] = { "keys_retire_current",
	    "UPDATE signing_keys SET retires_at = now(),"
	    " expires_at = now() + $1 * interval '1 second'"
	    " WHERE revoked_at IS NULL AND retires_at > now()", 1 },

	[STMT_ORG_DEFAULT] = { "org_default",
	    "SELECT id, slug, name, status,"
	    " coalesce(settings->>'registrationMode', $1)"
	    " FROM organisations WHERE is_default AND deleted_at IS NULL", 1 },
	[STMT_USER_INSERT] = { "user_insert",
	    "INSERT INTO users (organisation_id, email, password_hash,"
	    " password_changed_at) VALUES ($1, $2, $3, now())"
	    " ON CONFLICT (lower(email)) WHERE deleted_at IS NULL DO NOTHING"
	    " RETURNING id", 3 },
	[STMT_PROFILE_INSERT] = { "profile_insert",
	    "INSERT INTO profiles (user_id, first_name, last_name)"
	    " VALUES ($1, $2, $3)", 3 },
	[STMT_USER_FOR_LOGIN] = { "user_for_login",
	    "SELECT u.id, u.email, u.password_hash, u.status,"
	    " u.email_verified_at IS NOT NULL, u.failed_logins,"
	    " coalesce(ceil(extract(epoch FROM u.locked_until))::bigint, 0),"
	    " u.must_reset_password, o.status, o.id"
	    " FROM users u JOIN organisations o ON o.id = u.organisation_id"
	    " WHERE lower(u.email) = lower($1) AND u.deleted_at IS NULL", 1 },
	/* A lock that has run out starts the count again. */
	[STMT_USER_LOGIN_FAILED] = { "user_login_failed",
	    "UPDATE users SET"
	    " failed_logins = CASE WHEN locked_until <= now() THEN 1"
	    "  ELSE failed_logins + 1 END,"
	    " locked_until = CASE"
	    "  WHEN (CASE WHEN locked_until <= now() THEN 1"
	    "   ELSE failed_logins + 1 END) >= $2"
	    "  THEN now() + $3 * interval '1 second'"
	    "  WHEN locked_until <= now() THEN NULL ELSE locked_until END"
	    " WHERE id = $1 RETURNING failed_logins", 3 },
	[STMT_USER_LOGIN_OK] = { "user_login_ok",
	    "UPDATE users SET failed_logins = 0, locked_until = NULL,"
	    " last_login_at = now(), last_login_ip = $2,"
	    " login_count = login_count + 1 WHERE id = $1", 2 },
	[STMT_USER_SET_HASH] = { "user_set_hash",
	    "UPDATE users SET password_hash = $2 WHERE id = $1", 2 },
	[STMT_USER_GET] = { "user_get",
	    "SELECT u.id, u.email, u.email_verified_at IS NOT NULL, u.status,"
	    " o.id, o.slug, o.name, coalesce(p.first_name, ''),"
	    " coalesce(p.last_name, ''), coalesce(p.phone, ''),"
	    " coalesce(p.preferences, '{}')::text,"
	    " coalesce(p.addresses, '[]')::text,"
	    /* epoch seconds: formatted in C, cheaper than to_char */
	    " extract(epoch FROM u.created_at)::bigint,"
	    " extract(epoch FROM greatest(u.updated_at, p.updated_at))::bigint,"
	    " extract(epoch FROM u.last_login_at)::bigint, u.password_hash"
	    " FROM users u JOIN organisations o ON o.id = u.organisation_id"
	    " LEFT JOIN profiles p ON p.user_id = u.id"
	    " WHERE u.id = $1 AND u.deleted_at IS NULL", 1 },
	[STMT_USER_FOR_EMAIL] = { "user_for_email",
	    "SELECT u.id, u.email, u.email_verified_at IS NOT NULL, u.status,"
	    " u.organisation_id FROM users u"
	    " WHERE lower(u.email) = lower($1) AND u.deleted_at IS NULL", 1 },
	[STMT_USER_VERIFY_EMAIL] = { "user_verify_email",
	    "UPDATE users SET email_verified_at = coalesce(email_verified_at,"
	    " now()), updated_at = now() WHERE id = $1 AND deleted_at IS NULL",
	    1 },
	[STMT_USER_RESET_PASSWORD] = { "user_reset_password",
	    "UPDATE users SET password_hash = $2, password_changed_at = now(),"
	    " must_reset_password = false, failed_logins = 0,"
	    " locked_until = NULL,"
	    " email_verified_at = coalesce(email_verified_at, now()),"
	    " updated_at = now() WHERE id = $1 AND deleted_at IS NULL", 2 },
	[STMT_PROFILE_UPDATE] = { "profile_update",
	    "INSERT INTO profiles (user_id, first_name, last_name, phone,"
	    " preferences, addresses) VALUES ($1, coalesce($2, ''),"
	    " coalesce($3, ''), coalesce($4, ''), coalesce($5::jsonb, '{}'),"
	    " coalesce($6::jsonb, '[]'))"
	    " ON CONFLICT (user_id) DO UPDATE SET"
	    " first_name = coalesce($2, profiles.first_name),"
	    " last_name = coalesce($3, profiles.last_name),"
	    " phone = coalesce($4, profiles.phone),"
	    " preferences = coalesce($5::jsonb, profiles.preferences),"
	    " addresses = coalesce($6::jsonb, profiles.addresses),"
	    " updated_at = now()", 6 },
	[STMT_USER_CHANGE_PASSWORD] = { "user_change_password",
	    "UPDATE users SET password_hash = $2, password_changed_at = now(),"
	    " must_reset_password = false, updated_at = now()"
	    " WHERE id = $1 AND deleted_at IS NULL", 2 },
	[STMT_USER_SOFT_DELETE] = { "user_soft_delete",
	    "UPDATE users SET deleted_at = now(), status = 'inactive',"
	    " password_hash = NULL, updated_at = now()"
	    " WHERE id = $1 AND deleted_at IS NULL", 1 },
	[STMT_USER_EXPORT] = { "user_export",
	    "SELECT jsonb_build_object("
	    " 'sessions', coalesce((SELECT jsonb_agg(jsonb_build_object("
	    "  'id', s.id, 'createdAt', s.created_at, 'lastSeenAt',"
	    "  s.last_seen_at, 'expiresAt', s.expires_at, 'ip', s.ip,"
	    "  'userAgent', s.user_agent, 'revokedAt', s.revoked_at)"
	    "  ORDER BY s.created_at) FROM sessions s WHERE s.user_id = $1),"
	    "  '[]'),"
	    " 'auditEvents', coalesce((SELECT jsonb_agg(jsonb_build_object("
	    "  'id', a.id, 'createdAt', a.created_at, 'action', a.action,"
	    "  'success', a.success, 'ip', a.ip, 'userAgent', a.user_agent)"
	    "  ORDER BY a.id) FROM audit_log a WHERE a.actor_id = $1"
	    "  OR a.target_id = $1::text), '[]'))::text", 1 },

	[STMT_SESSION_INSERT] = { "session_insert",
	    "INSERT INTO sessions (user_id, expires_at, ip, user_agent)"
	    " VALUES ($1, now() + $2 * interval '1 second', $3, $4)"
	    " RETURNING id, extract(epoch FROM expires_at)::bigint", 4 },
	[STMT_REFRESH_INSERT] = { "refresh_insert",
	    "INSERT INTO refresh_tokens (token_hash, family_id, parent_id,"
	    " session_id, user_id, expires_at)"
	    " VALUES ($1, coalesce($2::uuid, gen_random_uuid()), $3, $4, $5,"
	    " to_timestamp($6)) RETURNING id", 6 },
	[STMT_REFRESH_LOOKUP] = { "refresh_lookup",
	    "SELECT r.id, r.family_id, r.session_id, r.user_id,"
	    /* spent: rotated away while its family still lives (reuse) */
	    " r.replaced_by IS NOT NULL AND r.revoked_at IS NULL,"
	    " r.expires_at <= now() OR r.revoked_at IS NOT NULL,"
	    " s.revoked_at IS NOT NULL OR s.expires_at <= now(),"
	    " u.status, u.deleted_at IS NOT NULL, o.status,"
	    " extract(epoch FROM r.expires_at)::bigint, u.email,"
	    " u.organisation_id"
	    " FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id"
	    " JOIN users u ON u.id = r.user_id"
	    " JOIN organisations o ON o.id = u.organisation_id"
	    " WHERE r.token_hash = $1 FOR UPDATE OF r", 1 },
	[STMT_REFRESH_REVOKE_FAMILY] = { "refresh_revoke_family",
	    "UPDATE refresh_tokens SET revoked_at = now()"
	    " WHERE family_id = $1 AND revoked_at IS NULL", 1 },
	/* The spent token points at its successor; its session was seen. */
	[STMT_REFRESH_MARK_REPLACED] = { "refresh_mark_replaced",
	    "WITH t AS (UPDATE refresh_tokens SET replaced_by = $2"
	    " WHERE id = $1 RETURNING session_id)"
	    " UPDATE sessions SET last_seen_at = now()"
	    " WHERE id = (SELECT session_id FROM t)", 2 },
	[STMT_SESSION_REVOKE] = { "session_revoke",
	    "UPDATE sessions SET revoked_at = now()"
	    " WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL", 2 },
	[STMT_SESSION_REVOKE_TOKENS] = { "session_revoke_tokens",
	    "UPDATE refresh_tokens SET revoked_at = now()"
	    " WHERE session_id = $1 AND revoked_at IS NULL", 1 },
	[STMT_USER_REVOKE_SESSIONS] = { "user_revoke_sessions",
	    "UPDATE sessions SET revoked_at = now()"
	    " WHERE user_id = $1 AND revoked_at IS NULL", 1 },
	[STMT_USER_REVOKE_TOKENS] = { "user_revoke_tokens",
	    "UPDATE refresh_tokens SET revoked_at = now()"
	    " WHERE user_id = $1 AND revoked_at IS NULL", 1 },
	[STMT_USER_REVOKE_OTHER_SESSIONS] = { "user_revoke_other_sessions",
	    "UPDATE sessions SET revoked_at = now() WHERE user_id = $1"
	    " AND revoked_at IS NULL AND id IS DISTINCT FROM $2::uuid", 2 },
	[STMT_USER_REVOKE_OTHER_TOKENS] = { "user_revoke_other_tokens",
	    "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1"
	    " AND revoked_at IS NULL AND session_id IS DISTINCT FROM $2::uuid",
	    2 },
	[STMT_SESSIONS_LIST] = { "sessions_list",
	    "SELECT id,"
	    " to_char(created_at AT TIME ZONE 'UTC',"
	    "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	    " to_char(last_seen_at AT TIME ZONE 'UTC',"
	    "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	    " to_char(expires_at AT TIME ZONE 'UTC',"
	    "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	    " coalesce(ip, ''), coalesce(user_agent, '')"
	    " FROM sessions WHERE user_id = $1 AND revoked_at IS NULL"
	    " AND expires_at > now() ORDER BY created_at DESC LIMIT 100", 1 },
	[STMT_SESSION_OF_USER] = { "session_of_user",
	    "SELECT id FROM sessions WHERE id = $1 AND user_id = $2"
	    " AND revoked_at IS NULL", 2 },

	[STMT_EMAIL_TOKEN_INSERT] = { "email_token_insert",
	    "INSERT INTO email_tokens (user_id, purpose, token_hash, expires_at)"
	    " VALUES ($1, $2, $3, now() + $4 * interval '1 second')", 4 },
	/* Single use in one statement: whoever updates the row owns it. */
	[STMT_EMAIL_TOKEN_CONSUME] = { "email_token_consume",
	    "UPDATE email_tokens SET consumed_at = now()"
	    " WHERE token_hash = $1 AND purpose = $2 AND consumed_at IS NULL"
	    " AND expires_at > now() RETURNING user_id", 2 },
	[STMT_OUTBOX_INSERT] = { "outbox_insert",
	    "INSERT INTO email_outbox (to_addr, subject, body)"
	    " VALUES ($1, $2, $3)", 3 },
	[STMT_OUTBOX_NOTIFY] = { "outbox_notify",
	    "SELECT pg_notify('iam_outbox', '')", 0 },

	/* One due message, locked for this transaction; others skip it. */
	[STMT_OUTBOX_CLAIM] = { "outbox_claim",
	    "SELECT id, to_addr, subject, body, attempts FROM email_outbox"
	    " WHERE sent_at IS NULL AND failed_at IS NULL"
	    " AND next_attempt_at <= now() ORDER BY next_attempt_at, id"
	    " LIMIT 1 FOR UPDATE SKIP LOCKED", 0 },
	[STMT_OUTBOX_SENT] = { "outbox_sent",
	    "UPDATE email_outbox SET sent_at = now(), attempts = attempts + 1,"
	    " last_error = NULL WHERE id = $1", 1 },
	[STMT_OUTBOX_RETRY] = { "outbox_retry",
	    "UPDATE email_outbox SET attempts = attempts + 1,"
	    " next_attempt_at = now() + $2 * interval '1 second',"
	    " last_error = $3, failed_at = CASE WHEN attempts + 1 >= $4"
	    " THEN now() END WHERE id = $1", 4 },

	[STMT_AUDIT_LOCK] = { "audit_lock",
	    "SELECT pg_advisory_xact_lock(4242003)", 0 },
	/* Under the lock, so rows chain in id order. */
	[STMT_AUDIT_INSERT] = { "audit_insert",
	    "WITH v AS (SELECT nextval('audit_log_id_seq') AS id,"
	    "  clock_timestamp() AS t,"
	    "  (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1) AS prev),"
	    " r AS (SELECT ROW(v.id, v.t, $1::uuid, $2, $3, $4::boolean, $5,"
	    "  $6::uuid, $7, $8, $9, $10, $11, coalesce($12::jsonb, '{}'),"
	    "  v.prev, ''::bytea)::audit_log AS a, v.prev FROM v)"
	    " INSERT INTO audit_log SELECT (r.a).id, (r.a).created_at,"
	    "  (r.a).organisation_id, (r.a).action, (r.a).category,"
	    "  (r.a).success, (r.a).actor_type, (r.a).actor_id,"
	    "  (r.a).actor_email, (r.a).target_type, (r.a).target_id,"
	    "  (r.a).ip, (r.a).user_agent, (r.a).details, r.prev,"
	    "  sha256(coalesce(r.prev, ''::bytea) || audit_payload(r.a))"
	    " FROM r", 12 },
};

_Static_assert(sizeof(stmts) / sizeof(stmts[0]) == STMT__MAX,
    "every statement needs SQL");

static void
drop(struct store *s)
{
	if (s->conn != NULL)
		PQfinish(s->conn);
	s->conn = NULL;
	s->prepared = 0;
	s->in_tx = 0;
}

static int
prepare_all(struct store *s)
{
	PGresult	*r;
	int		 i, ok;

	for (i = 0; i < STMT__MAX; i++) {
		r = PQprepare(s->conn, stmts[i].name, stmts[i].sql,
		    stmts[i].nparams, NULL);
		ok = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			log_kv(LOG_ERROR, "db.prepare_failed", "statement",
			    stmts[i].name, "error",
			    PQerrorMessage(s->conn), LOG_END);
		PQclear(r);
		if (!ok)
			return -1;
	}
	s->prepared = 1;
	return 0;
}

static int
connect_now(struct store *s)
{
	char		 timeout[32], options[64];
	const char	*keys[] = { "dbname", "connect_timeout", "options",
	    "application_name", NULL };
	const char	*vals[5];

	snprintf(timeout, sizeof(timeout), "%lld",
	    (long long)s->cfg->db_connect_timeout);
	snprintf(options, sizeof(options), "-c statement_timeout=%lld",
	    (long long)s->cfg->db_statement_timeout * 1000);
	vals[0] = s->cfg->database_url;
	vals[1] = timeout;
	vals[2] = options;
	vals[3] = "iam";
	vals[4] = NULL;
	drop(s);
	/* Later keywords override what the URL says (expand_dbname). */
	s->conn = PQconnectdbParams(keys, vals, 1);
	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK) {
		log_kv(LOG_WARN, "db.connect_failed", "error", s->conn ?
		    PQerrorMessage(s->conn) : "out of memory", LOG_END);
		drop(s);
		return -1;
	}
	if (prepare_all(s) == -1) {
		drop(s);
		return -1;
	}
	log_kv(LOG_INFO, "db.connected", LOG_END);
	return 0;
}

void
store_init(struct store *s, const struct config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
}

void
store_close(struct store *s)
{
	drop(s);
}

int
store_ready(struct store *s)
{
	time_t	now;

	if (s->conn != NULL && PQstatus(s->conn) == CONNECTION_OK &&
	    s->prepared)
		return 1;
	now = time(NULL);
	if (now < s->next_try)
		return -1;
	if (connect_now(s) == -1) {
		s->next_try = now + 1;
		return -1;
	}
	return 1;
}

PGresult *
store_exec(struct store *s, enum stmt st, int n, const char *const *params)
{
	PGresult	*r;
	ExecStatusType	 rs;

	if ((unsigned)st >= STMT__MAX || n != stmts[st].nparams ||
	    store_ready(s) != 1)
		return NULL;
	r = PQexecPrepared(s->conn, stmts[st].name, n, params, NULL, NULL, 0);
	rs = r == NULL ? PGRES_FATAL_ERROR : PQresultStatus(r);
	/*
	 * A connection that went stale (the server restarted since our last
	 * statement) is found out only now: outside a transaction nothing was
	 * done, so reconnect at once and run the statement again, once.
	 */
	if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK && !s->in_tx &&
	    PQstatus(s->conn) != CONNECTION_OK) {
		PQclear(r);
		log_kv(LOG_INFO, "db.connection_lost", LOG_END);
		if (connect_now(s) == -1) {
			s->next_try = time(NULL) + 1;
			metrics_event(EV_DB_ERROR);
			return NULL;
		}
		r = PQexecPrepared(s->conn, stmts[st].name, n, params, NULL,
		    NULL, 0);
		rs = r == NULL ? PGRES_FATAL_ERROR : PQresultStatus(r);
	}
	if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK)
		return r;
	metrics_event(EV_DB_ERROR);
	log_kv(LOG_ERROR, "db.error", "statement", stmts[st].name,
	    "sqlstate", r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL,
	    "error", PQerrorMessage(s->conn), LOG_END);
	PQclear(r);
	if (PQstatus(s->conn) != CONNECTION_OK)
		drop(s);
	return NULL;
}

/* Runs a statement whose result is not needed: 0 or -1. */
static int
run(struct store *s, enum stmt st)
{
	PGresult	*r;

	if ((r = store_exec(s, st, 0, NULL)) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

int
store_begin(struct store *s)
{
	if (s->in_tx || run(s, STMT_BEGIN) == -1)
		return -1;
	s->in_tx = 1;
	return 0;
}

int
store_commit(struct store *s)
{
	int	rc;

	if (!s->in_tx)
		return -1;
	rc = run(s, STMT_COMMIT);
	s->in_tx = 0;
	return rc;
}

void
store_rollback(struct store *s)
{
	if (!s->in_tx)
		return;
	s->in_tx = 0;
	if (run(s, STMT_ROLLBACK) == -1)
		drop(s);
}

int
store_ping(struct store *s, double *ms)
{
	struct timespec	a, b;
	int		rc;

	clock_gettime(CLOCK_MONOTONIC, &a);
	rc = run(s, STMT_PING) == 0 ? 1 : -1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	*ms = (double)(b.tv_sec - a.tv_sec) * 1e3 +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	return rc;
}

int
store_instance(struct store *s, char *id, size_t idlen)
{
	const char	*p[1] = { "t" };
	PGresult	*r;
	int		 rc = 0;

	if ((r = store_exec(s, STMT_INSTANCE, 1, p)) == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		snprintf(id, idlen, "%s", PQgetvalue(r, 0, 0));
		rc = 1;
	}
	PQclear(r);
	return rc;
}
