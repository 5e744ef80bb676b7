/*
 * store.c: the worker's one PostgreSQL connection and its statement table.
 * Statements are prepared when a connection is made; a failed statement
 * whose connection is gone drops the connection, and the next request
 * reconnects, so workers survive a database restart on their own.
 * One file because the statement table is data (like routes.c): every
 * statement of the program in one enum-indexed table; the areas'
 * statements are due to move to store_<area>.c with typed loaders.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "log.h"
#include "metrics.h"
#include "store.h"

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
	    " password_changed_at, email_key) VALUES ($1, $2, $3, now(), $4)"
	    " ON CONFLICT (email_key) WHERE deleted_at IS NULL DO NOTHING"
	    " RETURNING id", 4 },
	[STMT_PROFILE_INSERT] = { "profile_insert",
	    "INSERT INTO profiles (user_id, first_name, last_name)"
	    " VALUES ($1, $2, $3)", 3 },
	/*
	 * One row for every address, known or not (id NULL when unknown): the
	 * same statement and the same lock either way, the lock of an
	 * unknown address coming from login_throttle.  $2 is the address key.
	 */
	[STMT_USER_FOR_LOGIN] = { "user_for_login",
	    "SELECT u.id, u.email, u.password_hash, u.status,"
	    " u.email_verified_at IS NOT NULL, u.failed_logins,"
	    " coalesce(ceil(extract(epoch FROM coalesce(u.locked_until,"
	    "  t.locked_until)))::bigint, 0),"
	    " u.must_reset_password, o.status, o.id"
	    " FROM (SELECT 1) q"
	    " LEFT JOIN users u ON u.email_key = $1 AND u.deleted_at IS NULL"
	    " LEFT JOIN organisations o ON o.id = u.organisation_id"
	    " LEFT JOIN login_throttle t ON u.id IS NULL"
	    "  AND t.address_key = decode($2, 'hex')", 2 },
	/* The caller's hash and lock, for a check of the current password. */
	[STMT_USER_PASSWORD_STATE] = { "user_password_state",
	    "SELECT u.password_hash, coalesce(floor(extract(epoch FROM"
	    " u.locked_until))::bigint, 0), u.email, u.organisation_id"
	    " FROM users u WHERE u.id = $1 AND u.deleted_at IS NULL", 1 },
	/*
	 * A failed password: the user's count ($1), or the address's ($4,
	 * its key, when $1 is NULL), in the one statement either way.  A
	 * lock that has run out starts the count again; the failure that
	 * reaches $2 locks for $3 seconds from now.
	 */
	[STMT_USER_LOGIN_FAILED] = { "user_login_failed",
	    "WITH u AS (UPDATE users SET"
	    " failed_logins = CASE WHEN locked_until <= now() THEN 1"
	    "  ELSE failed_logins + 1 END,"
	    " locked_until = CASE"
	    "  WHEN (CASE WHEN locked_until <= now() THEN 1"
	    "   ELSE failed_logins + 1 END) >= $2"
	    "  THEN now() + $3 * interval '1 second'"
	    "  WHEN locked_until <= now() THEN NULL ELSE locked_until END"
	    " WHERE id = $1::uuid RETURNING failed_logins),"
	    " t AS (INSERT INTO login_throttle AS l (address_key, failed,"
	    "  locked_until) SELECT decode($4, 'hex'), 1, CASE WHEN 1 >= $2"
	    "  THEN now() + $3 * interval '1 second' END WHERE $1 IS NULL"
	    " ON CONFLICT (address_key) DO UPDATE SET"
	    "  failed = CASE WHEN l.locked_until <= now() THEN 1"
	    "   ELSE l.failed + 1 END,"
	    "  locked_until = CASE"
	    "   WHEN (CASE WHEN l.locked_until <= now() THEN 1"
	    "    ELSE l.failed + 1 END) >= $2"
	    "   THEN now() + $3 * interval '1 second'"
	    "   WHEN l.locked_until <= now() THEN NULL ELSE l.locked_until END,"
	    "  updated_at = now() RETURNING failed)"
	    " SELECT (SELECT failed_logins FROM u), (SELECT failed FROM t)", 4 },
	[STMT_USER_LOGIN_OK] = { "user_login_ok",
	    "UPDATE users SET failed_logins = 0, locked_until = NULL,"
	    " last_login_at = now(), last_login_ip = $2,"
	    " login_count = login_count + 1 WHERE id = $1", 2 },
	[STMT_USER_SET_HASH] = { "user_set_hash",
	    "UPDATE users SET password_hash = $2 WHERE id = $1", 2 },
	/* 15 the password hash, 16 roles, 17 permissions */
	[STMT_USER_GET] = { "user_get",
	    "SELECT" USER_COLS ", u.password_hash," USER_SETS
	    USER_FROM USER_ROLE_SETS " WHERE u.id = $1 AND u.deleted_at IS NULL",
	    1 },
	[STMT_USER_FOR_EMAIL] = { "user_for_email",
	    "SELECT u.id, u.email, u.email_verified_at IS NOT NULL, u.status,"
	    " u.organisation_id FROM users u"
	    " WHERE u.email_key = $1 AND u.deleted_at IS NULL", 1 },
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
	    /* the shorter of the refresh lifetime and sessionLifetime */
	    " VALUES ($1, now() + least($2::bigint, coalesce((SELECT"
	    "  nullif((o.settings->>'sessionLifetime')::bigint, 0)"
	    "  FROM users u JOIN organisations o"
	    "  ON o.id = u.organisation_id WHERE u.id = $1), $2::bigint))"
	    "  * interval '1 second', $3, $4)"
	    " RETURNING id, extract(epoch FROM expires_at)::bigint", 4 },
	[STMT_REFRESH_INSERT] = { "refresh_insert",
	    "INSERT INTO refresh_tokens (token_hash, family_id, parent_id,"
	    " session_id, user_id, expires_at)"
	    /* never past its session's end: refresh does not extend it */
	    " SELECT $1, coalesce($2::uuid, gen_random_uuid()), $3, $4, $5,"
	    " least(to_timestamp($6), s.expires_at)"
	    " FROM sessions s WHERE s.id = $4 RETURNING id", 6 },
	[STMT_REFRESH_LOOKUP] = { "refresh_lookup",
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
	[STMT_REFRESH_ROTATE] = { "refresh_rotate",
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
	[STMT_REFRESH_REVOKE_FAMILY] = { "refresh_revoke_family",
	    "UPDATE refresh_tokens SET revoked_at = now()"
	    " WHERE family_id = $1 AND revoked_at IS NULL", 1 },
	/* The spent token points at its successor; its session was seen. */
	[STMT_REFRESH_MARK_REPLACED] = { "refresh_mark_replaced",
	    "WITH t AS (UPDATE refresh_tokens SET replaced_by = $2"
	    " WHERE id = $1 RETURNING session_id)"
	    " UPDATE sessions SET last_seen_at = now()"
	    " WHERE id = (SELECT session_id FROM t)", 2 },
	/*
	 * Each way a session ends also voids its access tokens on every
	 * worker (SESSIONS_END_TOKENS closes each statement).
	 */
	[STMT_SESSION_REVOKE] = { "session_revoke",
	    "WITH s AS (UPDATE sessions SET revoked_at = now()"
	    " WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL"
	    SESSIONS_END_TOKENS, 2 },
	[STMT_SESSION_REVOKE_TOKENS] = { "session_revoke_tokens",
	    "UPDATE refresh_tokens SET revoked_at = now()"
	    " WHERE session_id = $1 AND revoked_at IS NULL", 1 },
	[STMT_USER_REVOKE_SESSIONS] = { "user_revoke_sessions",
	    "WITH s AS (UPDATE sessions SET revoked_at = now()"
	    " WHERE user_id = $1 AND revoked_at IS NULL"
	    SESSIONS_END_TOKENS, 1 },
	[STMT_USER_REVOKE_TOKENS] = { "user_revoke_tokens",
	    "UPDATE refresh_tokens SET revoked_at = now()"
	    " WHERE user_id = $1 AND revoked_at IS NULL", 1 },
	[STMT_USER_REVOKE_OTHER_SESSIONS] = { "user_revoke_other_sessions",
	    "WITH s AS (UPDATE sessions SET revoked_at = now() WHERE user_id = $1"
	    " AND revoked_at IS NULL AND id IS DISTINCT FROM $2::uuid"
	    SESSIONS_END_TOKENS, 2 },
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

	/* A new token of a purpose voids the older ones of that purpose. */
	[STMT_EMAIL_TOKEN_INSERT] = { "email_token_insert",
	    "WITH v AS (UPDATE email_tokens SET consumed_at = now()"
	    " WHERE user_id = $1 AND purpose = $2 AND consumed_at IS NULL)"
	    " INSERT INTO email_tokens (user_id, purpose, token_hash, expires_at)"
	    /* no user (an unknown address): the same statement, no row */
	    " SELECT $1::uuid, $2::text, $3::bytea,"
	    " now() + $4 * interval '1 second'"
	    " WHERE $1::uuid IS NOT NULL", 4 },
	/* A completed reset voids every reset token of the user. */
	[STMT_EMAIL_TOKENS_VOID] = { "email_tokens_void",
	    "UPDATE email_tokens SET consumed_at = now()"
	    " WHERE user_id = $1 AND purpose = $2 AND consumed_at IS NULL", 2 },
	/* Single use in one statement: whoever updates the row owns it. */
	[STMT_EMAIL_TOKEN_CONSUME] = { "email_token_consume",
	    "UPDATE email_tokens SET consumed_at = now()"
	    " WHERE token_hash = $1 AND purpose = $2 AND consumed_at IS NULL"
	    " AND expires_at > now() RETURNING user_id", 2 },
	[STMT_OUTBOX_INSERT] = { "outbox_insert",
	    "INSERT INTO email_outbox (to_addr, subject, body)"
	    " SELECT $1::text, $2::text, $3::text WHERE $1 IS NOT NULL", 3 },
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

	/* No lock: the chainer links committed events in its own order. */
	[STMT_AUDIT_INSERT] = { "audit_insert",
	    "WITH t AS (SELECT clock_timestamp() AS t,"
	    "  uuid_send(gen_random_uuid()) AS s)"
	    /* an event about a user carries the user's organisation */
	    ", e AS (INSERT INTO audit_log SELECT" AUDIT_ROW("coalesce($1::uuid,"
	    " (SELECT organisation_id FROM users WHERE id = $13::uuid))",
	    "$2", "$3", "$4::boolean", "$5", "$6::uuid", "$7", "$8", "$9",
	    "$10", "$11", "coalesce($12::jsonb, '{}')") " FROM t RETURNING id)"
	    AUDIT_QUEUE, 13 },
	[STMT_AUDIT_GET] = { "audit_get",
	    "SELECT audit_doc(a)::text FROM audit_log a"
	    " WHERE a.id = $2::uuid AND a.organisation_id = $1", 2 },

	/*
	 * Chaining.  One chainer at a time (a transaction lock, tried); it
	 * reads pending events in the order their inserts committed, each
	 * with the canonical columns its link covers (AUDIT_CANON), finds
	 * each chain's head (its last link, else the anchor a purge left),
	 * inserts the links and drops the pending rows in one statement.
	 */
	[STMT_AUDIT_CHAIN_TRYLOCK] = { "audit_chain_trylock",
	    "SELECT pg_try_advisory_xact_lock(4242004)", 0 },
	[STMT_AUDIT_CHAIN_LOCK] = { "audit_chain_lock",
	    "SELECT pg_advisory_xact_lock(4242004)", 0 },
	[STMT_AUDIT_PENDING] = { "audit_pending",
	    "SELECT p.n, a.id IS NOT NULL," AUDIT_CANON
	    " FROM audit_pending p LEFT JOIN audit_log a ON a.id = p.event_id"
	    " ORDER BY p.n LIMIT $1::integer", 1 },
	[STMT_AUDIT_HEADS] = { "audit_heads",
	    "SELECT c, coalesce(l.seq, an.seq, 0),"
	    " encode(coalesce(l.mac, an.mac), 'hex')"
	    " FROM unnest($1::uuid[]) c"
	    " LEFT JOIN LATERAL (SELECT seq, mac FROM audit_links"
	    "  WHERE chain = c ORDER BY seq DESC LIMIT 1) l ON true"
	    " LEFT JOIN audit_anchor an ON an.chain = c", 1 },
	[STMT_AUDIT_LINK] = { "audit_link",
	    /* exactly the rows read: one committed since stays pending */
	    "WITH d AS (DELETE FROM audit_pending WHERE n = ANY($7::bigint[])),"
	    /* the counters, one upsert per (organisation, action) a batch */
	    " c AS (INSERT INTO audit_counts SELECT organisation_id, action,"
	    "  min(category), count(*) FROM audit_log WHERE id = ANY($1::uuid[])"
	    "  AND organisation_id IS NOT NULL GROUP BY organisation_id, action"
	    "  ON CONFLICT (organisation_id, action)"
	    "  DO UPDATE SET n = audit_counts.n + excluded.n)"
	    " INSERT INTO audit_links (event_id, chain, seq, key_version,"
	    " prev_mac, mac) SELECT e, c, q, k, decode(pm, 'hex'),"
	    " decode(m, 'hex') FROM unnest($1::uuid[], $2::uuid[],"
	    " $3::bigint[], $4::integer[], $5::text[], $6::text[])"
	    " AS u(e, c, q, k, pm, m)", 7 },

	/* The chain keys, sealed. */
	[STMT_AUDIT_KEYS_LIST] = { "audit_keys_list",
	    "SELECT version, encode(sealed, 'hex') FROM audit_keys"
	    " ORDER BY version", 0 },
	[STMT_AUDIT_KEYS_LOCK] = { "audit_keys_lock",
	    "SELECT pg_advisory_xact_lock(4242005)", 0 },
	[STMT_AUDIT_KEY_INSERT] = { "audit_key_insert",
	    "INSERT INTO audit_keys (version, sealed)"
	    " VALUES ($1::integer, decode($2, 'hex'))", 2 },
	[STMT_AUDIT_KEYS_SEALED] = { "audit_keys_sealed",
	    "SELECT version, encode(sealed, 'hex') FROM audit_keys"
	    " ORDER BY version FOR UPDATE", 0 },
	[STMT_AUDIT_KEY_RESEAL] = { "audit_key_reseal",
	    "UPDATE audit_keys SET sealed = decode($2, 'hex')"
	    " WHERE version = $1::integer", 2 },

	/*
	 * Verifying one chain ($1): its anchor, then its links in order
	 * with the event each names (absent: taken out), then any event of
	 * the chain that has neither a link nor a pending row.
	 */
	[STMT_AUDIT_ANCHOR_GET] = { "audit_anchor_get",
	    "SELECT seq, encode(mac, 'hex') FROM audit_anchor"
	    " WHERE chain = $1::uuid", 1 },
	[STMT_AUDIT_CHAIN_PAGE] = { "audit_chain_page",
	    "SELECT l.seq, l.key_version, encode(l.prev_mac, 'hex'),"
	    " encode(l.mac, 'hex'), l.event_id, a.id IS NOT NULL," AUDIT_CANON
	    ", encode(a.personal_salt, 'hex'), a.actor_email, a.ip,"
	    " a.user_agent, a.erased_at IS NOT NULL"
	    " FROM audit_links l LEFT JOIN audit_log a ON a.id = l.event_id"
	    " WHERE l.chain = $1::uuid AND l.seq > $2::bigint"
	    " ORDER BY l.seq LIMIT $3::integer", 3 },
	[STMT_AUDIT_UNLINKED] = { "audit_unlinked",
	    "SELECT a.id FROM audit_log a"
	    " WHERE (a.organisation_id = $1::uuid OR ($1::uuid ="
	    "  '00000000-0000-0000-0000-000000000000'"
	    "  AND a.organisation_id IS NULL))"
	    " AND NOT EXISTS (SELECT 1 FROM audit_links l"
	    "  WHERE l.event_id = a.id)"
	    " AND NOT EXISTS (SELECT 1 FROM audit_pending p"
	    "  WHERE p.event_id = a.id)"
	    " ORDER BY a.created_at, a.id LIMIT 1", 1 },
	/* Every chain there is, for iamctl audit verify. */
	[STMT_AUDIT_CHAINS] = { "audit_chains",
	    "SELECT coalesce(organisation_id,"
	    "  '00000000-0000-0000-0000-000000000000') FROM audit_log"
	    " GROUP BY 1 UNION SELECT chain FROM audit_links GROUP BY 1"
	    " UNION SELECT chain FROM audit_anchor ORDER BY 1", 0 },

	/* The exporter ships linked events in the order they were linked. */
	[STMT_AUDIT_EXPORT_CURSOR] = { "audit_export_cursor",
	    "SELECT last_id FROM audit_export WHERE id = 1", 0 },
	[STMT_AUDIT_EXPORT_BATCH] = { "audit_export_batch",
	    "SELECT l.n, (audit_doc(a) || jsonb_build_object("
	    " 'organisationId', a.organisation_id, 'chain', l.chain,"
	    " 'seq', l.seq, 'keyVersion', l.key_version,"
	    " 'prevMac', encode(l.prev_mac, 'hex'),"
	    " 'mac', encode(l.mac, 'hex')))::text"
	    " FROM audit_links l JOIN audit_log a ON a.id = l.event_id"
	    " WHERE l.n > $1::bigint ORDER BY l.n LIMIT $2::integer", 2 },
	[STMT_AUDIT_EXPORT_ADVANCE] = { "audit_export_advance",
	    "UPDATE audit_export SET last_id = $1::bigint, updated_at = now()"
	    " WHERE id = 1 AND last_id < $1::bigint", 1 },

	/*
	 * The retention purge (the owner's connection, under the chain
	 * lock): in each chain, the links before the first one to keep go
	 * with their events; the first kept is the oldest younger than $1
	 * days, or not yet shipped (past $2, when exporting), or naming a
	 * missing event, and never past the chain's last link (the chain
	 * goes on from it).  The last link taken out becomes the anchor.
	 */
	[STMT_AUDIT_PURGE_ALLOW] = { "audit_purge_allow",
	    "SELECT set_config('iam.audit_purge', 'on', true)", 0 },
	[STMT_AUDIT_PURGE] = { "audit_purge",
	    "WITH h AS (SELECT l.chain, max(l.seq) AS last,"
	    "  min(l.seq) FILTER (WHERE a.id IS NULL"
	    "  OR a.created_at >= now() - $1::bigint * interval '1 day'"
	    "  OR l.n > coalesce($2::bigint, 9223372036854775806)) AS young"
	    "  FROM audit_links l LEFT JOIN audit_log a ON a.id = l.event_id"
	    "  GROUP BY l.chain),"
	    " cut AS (SELECT chain, least(coalesce(young, last), last) AS keep"
	    "  FROM h),"
	    " gone AS (DELETE FROM audit_links l USING cut"
	    "  WHERE l.chain = cut.chain AND l.seq < cut.keep"
	    "  RETURNING l.chain, l.seq, l.mac, l.event_id),"
	    " an AS (INSERT INTO audit_anchor (chain, seq, mac, purged)"
	    "  SELECT DISTINCT ON (chain) chain, seq, mac,"
	    "  count(*) OVER (PARTITION BY chain) FROM gone"
	    "  ORDER BY chain, seq DESC ON CONFLICT (chain) DO UPDATE"
	    "  SET seq = excluded.seq, mac = excluded.mac, purged_at = now(),"
	    "  purged = audit_anchor.purged + excluded.purged),"
	    " ev AS (DELETE FROM audit_log a USING gone"
	    "  WHERE a.id = gone.event_id RETURNING a.id)"
	    " SELECT count(*) FROM ev", 2 },
	/* Erasing a user's personal fields (the owner's connection). */
	[STMT_AUDIT_ERASE_ALLOW] = { "audit_erase_allow",
	    "SELECT set_config('iam.audit_erase', 'on', true)", 0 },
	[STMT_AUDIT_ERASE] = { "audit_erase",
	    "UPDATE audit_log SET actor_email = NULL, ip = NULL,"
	    " user_agent = NULL, personal_salt = NULL, erased_at = now()"
	    " WHERE actor_id = $1::uuid AND erased_at IS NULL", 1 },

	/* The caller as the database has it now: every admin call. */
	[STMT_CALLER] = { "caller",
	    "SELECT u.status, o.status, u.is_system_admin, u.organisation_id,"
	    " u.email," USER_PERMS
	    " FROM users u JOIN organisations o ON o.id = u.organisation_id"
	    " WHERE u.id = $1 AND u.deleted_at IS NULL"
	    " AND o.deleted_at IS NULL", 1 },
	[STMT_ORG_POLICY] = { "org_policy",
	    "SELECT settings->'passwordPolicy', name, slug FROM organisations"
	    " WHERE id = coalesce($1::uuid,"
	    "  (SELECT id FROM organisations WHERE is_default))", 1 },
	[STMT_USER_ROLE_ADD_SLUG] = { "user_role_add_slug",
	    "INSERT INTO user_roles (user_id, role_id)"
	    " SELECT $1, id FROM roles WHERE organisation_id = $2"
	    " AND slug = $3 ON CONFLICT DO NOTHING", 3 },
	[STMT_USER_ROLES_CLEAR] = { "user_roles_clear",
	    "DELETE FROM user_roles WHERE user_id = $1", 1 },
	[STMT_ROLES_BY_SLUGS] = { "roles_by_slugs",
	    "SELECT id, slug, array_to_string(permissions, ',') FROM roles"
	    " WHERE organisation_id = $1"
	    " AND slug = ANY (string_to_array($2, ','))", 2 },
	/* Serialises role changes in one organisation (last-owner rule). */
	[STMT_ORG_LOCK] = { "org_lock",
	    "SELECT pg_advisory_xact_lock(4242004, hashtext($1::text))", 1 },
	[STMT_OWNERS_OTHER] = { "owners_other",
	    "SELECT count(*) FROM user_roles ur"
	    " JOIN roles r ON r.id = ur.role_id"
	    " JOIN users u ON u.id = ur.user_id"
	    " WHERE r.organisation_id = $1 AND r.slug = 'owner'"
	    " AND u.deleted_at IS NULL AND u.id <> $2", 2 },
	[STMT_ROLES_LIST] = { "roles_list",
	    "SELECT role_doc(r)::text FROM roles r"
	    " WHERE r.organisation_id = $1 ORDER BY NOT r.builtin,"
	    " r.created_at, r.slug", 1 },
	[STMT_ROLE_GET] = { "role_get",
	    "SELECT role_doc(r)::text, r.slug,"
	    " array_to_string(r.permissions, ','), r.builtin FROM roles r"
	    " WHERE r.organisation_id = $1 AND r.id = $2", 2 },
	[STMT_ROLE_INSERT] = { "role_insert",
	    "INSERT INTO roles (organisation_id, slug, name, description,"
	    " permissions) VALUES ($1, $2, $3, coalesce($4, ''),"
	    " string_to_array($5, ','))"
	    " ON CONFLICT (organisation_id, slug) DO NOTHING"
	    " RETURNING role_doc(roles)::text, id", 5 },
	[STMT_ROLE_UPDATE] = { "role_update",
	    "UPDATE roles SET slug = coalesce($3, slug),"
	    " name = coalesce($4, name),"
	    " description = coalesce($5, description),"
	    " permissions = coalesce(string_to_array($6, ','), permissions),"
	    " updated_at = now() WHERE organisation_id = $1 AND id = $2"
	    " RETURNING role_doc(roles)::text", 6 },
	[STMT_ROLE_DELETE] = { "role_delete",
	    "DELETE FROM roles WHERE organisation_id = $1 AND id = $2"
	    " AND NOT builtin RETURNING slug", 2 },

	[STMT_ORG_GET] = { "org_get",
	    "SELECT id, slug, name, status, is_default, settings::text,"
	    " iso(created_at), iso(updated_at) FROM organisations"
	    " WHERE id = $1 AND deleted_at IS NULL", 1 },
	[STMT_ORG_UPDATE] = { "org_update",
	    "UPDATE organisations SET name = coalesce($2, name),"
	    " settings = coalesce($3::jsonb, settings), updated_at = now()"
	    " WHERE id = $1 AND deleted_at IS NULL", 3 },
	[STMT_ORG_INSERT] = { "org_insert",
	    "INSERT INTO organisations (slug, name, settings)"
	    " VALUES ($1, $2, coalesce($3::jsonb, '{}'))"
	    " ON CONFLICT (slug) DO NOTHING RETURNING id", 3 },
	[STMT_ORG_LIST] = { "org_list",
	    "SELECT jsonb_build_object('id', o.id, 'slug', o.slug,"
	    " 'name', o.name, 'status', o.status, 'isDefault', o.is_default,"
	    " 'createdAt', iso(o.created_at), 'updatedAt', iso(o.updated_at),"
	    " 'members', (SELECT count(*) FROM users u"
	    "  WHERE u.organisation_id = o.id AND u.deleted_at IS NULL))::text"
	    " FROM organisations o WHERE o.deleted_at IS NULL"
	    " AND ($3::text IS NULL OR o.status = $3)"
	    " ORDER BY o.created_at, o.id LIMIT $1::integer"
	    " OFFSET $2::bigint", 3 },
	[STMT_ORG_COUNT] = { "org_count",
	    "SELECT count(*) FROM organisations WHERE deleted_at IS NULL"
	    " AND ($1::text IS NULL OR status = $1)", 1 },
	[STMT_ORG_SET_STATUS] = { "org_set_status",
	    "UPDATE organisations SET status = coalesce($2, status),"
	    " name = coalesce($3, name), updated_at = now()"
	    " WHERE id = $1 AND deleted_at IS NULL RETURNING is_default", 3 },
	[STMT_ORG_DELETE] = { "org_delete",
	    "UPDATE organisations SET deleted_at = now(), status = 'suspended',"
	    " updated_at = now() WHERE id = $1 AND deleted_at IS NULL"
	    " AND NOT is_default RETURNING id", 1 },
	[STMT_ORG_REVOKE_SESSIONS] = { "org_revoke_sessions",
	    "UPDATE sessions s SET revoked_at = now() FROM users u"
	    " WHERE u.id = s.user_id AND u.organisation_id = $1"
	    " AND s.revoked_at IS NULL", 1 },
	[STMT_ORG_REVOKE_TOKENS] = { "org_revoke_tokens",
	    "UPDATE refresh_tokens t SET revoked_at = now() FROM users u"
	    " WHERE u.id = t.user_id AND u.organisation_id = $1"
	    " AND t.revoked_at IS NULL", 1 },

	/* A member of the caller's organisation, or nothing. */
	/* As STMT_USER_GET (15 unused), then 18: an owner? */
	[STMT_MEMBER_GET] = { "member_get",
	    "SELECT" USER_COLS ", NULL," USER_SETS ", coalesce(rs.owner, false)"
	    USER_FROM USER_ROLE_SETS
	    " WHERE u.id = $2 AND u.organisation_id = $1"
	    " AND u.deleted_at IS NULL", 2 },
	/*
	 * A page of users, ids in page order, as plain columns: the worker
	 * writes the documents (dom_user_text), cheaper than JSON built in
	 * PostgreSQL.  The columns are those of STMT_USER_GET, in its order.
	 */
	[STMT_USERS_DOCS] = { "users_docs",
	    "SELECT" USER_COLS ", NULL, coalesce(rl.roles, '')"
	    " FROM unnest($1::uuid[]) WITH ORDINALITY AS s (id, n)"
	    " JOIN users u ON u.id = s.id"
	    " JOIN organisations o ON o.id = u.organisation_id"
	    " LEFT JOIN profiles p ON p.user_id = u.id"
	    /* a join, not a subquery per row */
	    " LEFT JOIN LATERAL (SELECT string_agg(r.slug, ',' ORDER BY r.slug)"
	    "  AS roles FROM user_roles ur JOIN roles r ON r.id = ur.role_id"
	    "  WHERE ur.user_id = u.id) rl ON true ORDER BY s.n", 1 },
	/* A page of a search, documents' columns and the total (0003). */
	[STMT_USERS_SEARCH] = { "users_search",
	    "SELECT * FROM users_search($1, $2, $3, $4, $5, $6::integer,"
	    " $7::bigint)", 7 },
	[STMT_MEMBER_SET] = { "member_set",
	    "UPDATE users SET status = coalesce($2, status),"
	    " email_verified_at = CASE WHEN $3::boolean IS NULL"
	    "  THEN email_verified_at WHEN $3::boolean"
	    "  THEN coalesce(email_verified_at, now()) END,"
	    " updated_at = now() WHERE id = $1 AND deleted_at IS NULL", 3 },
	[STMT_USER_FORCE_RESET] = { "user_force_reset",
	    "UPDATE users SET must_reset_password = true, updated_at = now()"
	    " WHERE id = $1 AND deleted_at IS NULL", 1 },
	[STMT_USER_MAKE_ADMIN] = { "user_make_admin",
	    "UPDATE users SET is_system_admin = true,"
	    " email_verified_at = coalesce(email_verified_at, now()),"
	    " updated_at = now() WHERE id = $1", 1 },

	[STMT_INVITE_INSERT] = { "invite_insert",
	    "INSERT INTO invitations (organisation_id, email, role_id,"
	    " token_hash, invited_by, expires_at) VALUES ($1, $2, $3, $4, $5,"
	    " now() + $6 * interval '1 second')"
	    " RETURNING invite_doc(invitations)::text", 6 },
	[STMT_INVITE_PENDING_FOR] = { "invite_pending_for",
	    "SELECT 1 FROM invitations WHERE organisation_id = $1"
	    " AND lower(email) = lower($2) AND accepted_at IS NULL"
	    " AND revoked_at IS NULL AND expires_at > now()", 2 },
	[STMT_INVITE_LIST] = { "invite_list",
	    "SELECT invite_doc(i)::text FROM invitations i"
	    " WHERE i.organisation_id = $1 ORDER BY i.created_at DESC, i.id"
	    " LIMIT $2::integer OFFSET $3::bigint", 3 },
	[STMT_INVITE_COUNT] = { "invite_count",
	    "SELECT count(*) FROM invitations WHERE organisation_id = $1", 1 },
	[STMT_INVITE_REVOKE] = { "invite_revoke",
	    "UPDATE invitations SET revoked_at = now()"
	    " WHERE organisation_id = $1 AND id = $2 AND accepted_at IS NULL"
	    " AND revoked_at IS NULL RETURNING id", 2 },
	/* Resend: a new token (the old link dies) and a new expiry. */
	[STMT_INVITE_RETOKEN] = { "invite_retoken",
	    "UPDATE invitations i SET token_hash = $3,"
	    " expires_at = now() + $4 * interval '1 second'"
	    " FROM organisations o, roles r"
	    " WHERE o.id = i.organisation_id AND r.id = i.role_id"
	    " AND i.organisation_id = $1 AND i.id = $2"
	    " AND i.accepted_at IS NULL AND i.revoked_at IS NULL"
	    " RETURNING i.email, o.name, r.slug", 4 },
	[STMT_INVITE_BY_TOKEN] = { "invite_by_token",
	    "SELECT i.id, i.email, r.slug, o.name, o.slug, iso(i.expires_at),"
	    " i.organisation_id, i.role_id"
	    " FROM invitations i JOIN roles r ON r.id = i.role_id"
	    " JOIN organisations o ON o.id = i.organisation_id"
	    " WHERE i.token_hash = $1 AND i.accepted_at IS NULL"
	    " AND i.revoked_at IS NULL AND i.expires_at > now()"
	    " AND o.deleted_at IS NULL AND o.status = 'active'"
	    " FOR UPDATE OF i", 1 },
	[STMT_INVITE_ACCEPTED] = { "invite_accepted",
	    "UPDATE invitations SET accepted_at = now(), accepted_user = $2"
	    " WHERE id = $1", 2 },

	[STMT_ALL_REVOKE_SESSIONS] = { "all_revoke_sessions",
	    "UPDATE sessions SET revoked_at = now() WHERE revoked_at IS NULL",
	    0 },
	[STMT_ALL_REVOKE_TOKENS] = { "all_revoke_tokens",
	    "UPDATE refresh_tokens SET revoked_at = now()"
	    " WHERE revoked_at IS NULL", 0 },
	[STMT_ALL_FORCE_RESET] = { "all_force_reset",
	    "UPDATE users SET must_reset_password = true, updated_at = now()"
	    " WHERE deleted_at IS NULL AND NOT must_reset_password", 0 },
	/*
	 * The cutoff is the next whole second: tokens (iat in seconds)
	 * issued before it are void.  The caller waits for it to pass
	 * before answering, so a token issued after the answer is good.
	 */
	[STMT_REVOCATION_INSERT] = { "revocation_insert",
	    "WITH r AS (INSERT INTO token_revocations (scope, subject, cutoff)"
	    " VALUES ($1, $2, date_trunc('second', clock_timestamp())"
	    " + interval '1 second') RETURNING cutoff)"
	    " SELECT extract(epoch FROM cutoff)::bigint,"
	    " pg_notify('iam_tokens', '') FROM r", 2 },
	[STMT_REVOCATIONS_LIST] = { "revocations_list",
	    "SELECT scope, coalesce(subject::text, ''),"
	    " extract(epoch FROM cutoff)::bigint FROM token_revocations"
	    " WHERE cutoff > now() - $1 * interval '1 second'"
	    " ORDER BY scope = 'all' DESC, cutoff DESC LIMIT 65536", 1 },
	[STMT_NOTIFY_TOKENS] = { "notify_tokens",
	    "SELECT pg_notify('iam_tokens', '')", 0 },
	[STMT_KEYS_REVOKE_ALL] = { "keys_revoke_all",
	    "UPDATE signing_keys SET revoked_at = now()"
	    " WHERE revoked_at IS NULL", 0 },
	[STMT_KEYS_SEALED] = { "keys_sealed",
	    "SELECT kid, private_key_enc FROM signing_keys ORDER BY kid"
	    " FOR UPDATE", 0 },
	[STMT_KEYS_RESEAL] = { "keys_reseal",
	    "UPDATE signing_keys SET private_key_enc = $2 WHERE kid = $1", 2 },
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

const struct sandbox_rule store_sandbox_rules[] = {
	SB_ARG(socket, 0, AF_UNIX), SB_ARG(socket, 0, AF_INET),
	SB_ARG(socket, 0, AF_INET6), SB_CALL(connect),
};
const struct sandbox_frag store_sandbox = SB_FRAG("store",
    store_sandbox_rules);

/* 1 if h is an address (or a socket directory), not a name to look up. */
static int
numeric_host(const char *h)
{
	unsigned char	a[16];

	return h[0] == '/' || h[0] == '@' || inet_pton(AF_INET, h, a) == 1 ||
	    inet_pton(AF_INET6, h, a) == 1;
}

/* Fills s->hostaddr when DATABASE_URL names hosts by name (each in the
 * comma list resolved to its first address), else leaves it empty. */
static void
resolve_hosts(struct store *s)
{
	PQconninfoOption	*o, *opts;
	struct addrinfo		 hints, *ai;
	const char		*host = NULL, *addr = NULL;
	char			*copy, *h, *save = NULL, num[INET6_ADDRSTRLEN];
	size_t			 len = 0;
	int			 names = 0, bad = 0;

	if ((opts = PQconninfoParse(s->cfg->database_url, NULL)) == NULL)
		return;
	for (o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "hostaddr") == 0)
			addr = o->val;
	}
	if (host == NULL || host[0] == '\0' || (addr != NULL && addr[0]) ||
	    (copy = strdup(host)) == NULL) {
		PQconninfoFree(opts);
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	for (h = strtok_r(copy, ",", &save); h != NULL && !bad;
	    h = strtok_r(NULL, ",", &save)) {
		if (numeric_host(h))
			snprintf(num, sizeof(num), "%s", h[0] == '/' ||
			    h[0] == '@' ? "" : h);
		else if (getaddrinfo(h, NULL, &hints, &ai) != 0)
			bad = 1;
		else {
			names = 1;
			bad = getnameinfo(ai->ai_addr, ai->ai_addrlen, num,
			    sizeof(num), NULL, 0, NI_NUMERICHOST) != 0;
			freeaddrinfo(ai);
		}
		if (!bad && len + strlen(num) + 2 > sizeof(s->hostaddr))
			bad = 1;
		if (!bad)
			len += (size_t)snprintf(s->hostaddr + len,
			    sizeof(s->hostaddr) - len, "%s%s", len ? "," : "",
			    num);
	}
	free(copy);
	PQconninfoFree(opts);
	/* Nothing to add, or a name that does not resolve now: libpq looks
	 * it up itself (and says why it cannot). */
	if (!names || bad)
		s->hostaddr[0] = '\0';
}

static int
connect_now(struct store *s)
{
	char		 timeout[32], options[64];
	const char	*keys[] = { "dbname", "connect_timeout", "options",
	    "application_name", "hostaddr", NULL };
	const char	*vals[6];
	PGresult	*r;
	int		 ok;

	snprintf(timeout, sizeof(timeout), "%lld",
	    (long long)s->cfg->db_connect_timeout);
	snprintf(options, sizeof(options), "-c statement_timeout=%lld",
	    (long long)s->cfg->db_statement_timeout * 1000);
	vals[0] = s->cfg->database_url;
	vals[1] = timeout;
	vals[2] = options;
	vals[3] = "iam";
	vals[4] = s->hostaddr;
	vals[5] = NULL;
	if (s->hostaddr[0] == '\0')
		keys[4] = NULL;
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
	/* Revocations and withdrawn keys reach every worker at once. */
	r = PQexec(s->conn, "LISTEN iam_tokens");
	ok = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (!ok) {
		drop(s);
		return -1;
	}
	s->notified = 1;	/* what was missed while away */
	log_kv(LOG_INFO, "db.connected", LOG_END);
	return 0;
}

void
store_init(struct store *s, const struct config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	resolve_hosts(s);
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

PGresult *
store_exec_text(struct store *s, const char *sql, int n,
    const char *const *params)
{
	PGresult	*r;
	ExecStatusType	 rs;

	if (store_ready(s) != 1)
		return NULL;
	r = PQexecParams(s->conn, sql, n, NULL, params, NULL, NULL, 0);
	rs = r == NULL ? PGRES_FATAL_ERROR : PQresultStatus(r);
	if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK)
		return r;
	metrics_event(EV_DB_ERROR);
	log_kv(LOG_ERROR, "db.error", "statement", "composed",
	    "sqlstate", r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL,
	    "error", PQerrorMessage(s->conn), LOG_END);
	PQclear(r);
	if (PQstatus(s->conn) != CONNECTION_OK)
		drop(s);
	return NULL;
}

int
store_notified(struct store *s)
{
	PGnotify	*n;
	int		 got = s->notified;

	s->notified = 0;
	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK)
		return got;
	(void)PQconsumeInput(s->conn);
	while ((n = PQnotifies(s->conn)) != NULL) {
		got = 1;
		PQfreemem(n);
	}
	return got;
}

int
store_wait(struct store *s, int ms)
{
	struct pollfd	 p;
	PGnotify	*n;

	if (s->conn != NULL && PQstatus(s->conn) == CONNECTION_OK &&
	    !s->notified && (p.fd = PQsocket(s->conn)) >= 0) {
		p.events = POLLIN;
		(void)PQconsumeInput(s->conn);
		if ((n = PQnotifies(s->conn)) != NULL) {
			PQfreemem(n);
			s->notified = 1;
		} else
			(void)poll(&p, 1, ms);
	} else if (!s->notified)
		(void)poll(NULL, 0, ms);
	return store_notified(s);
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
