/*
 * store_user.c: users, their profiles, passwords and sign-in counts, the
 * caller check, the mailed one-time tokens, and the sanitised user read
 * (struct user_row: USER_COLS, the one shape every user answer is made
 * from).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "store_int.h"
#include "store_user.h"

enum {
	UQ_ORG_DEFAULT,
	UQ_USER_INSERT,
	UQ_PROFILE_INSERT,
	UQ_USER_FOR_LOGIN,
	UQ_USER_PASSWORD_STATE,
	UQ_USER_LOGIN_FAILED,
	UQ_USER_LOGIN_OK,
	UQ_USER_SET_HASH,
	UQ_USER_GET,
	UQ_USER_FOR_EMAIL,
	UQ_USER_VERIFY_EMAIL,
	UQ_USER_RESET_PASSWORD,
	UQ_PROFILE_UPDATE,
	UQ_USER_CHANGE_PASSWORD,
	UQ_USER_SOFT_DELETE,
	UQ_USER_EXPORT,
	UQ_CALLER,
	UQ_ORG_POLICY,
	UQ_EMAIL_TOKEN_INSERT,
	UQ_EMAIL_TOKENS_VOID,
	UQ_EMAIL_TOKEN_CONSUME,
	UQ_MEMBER_GET,
	UQ_USERS_DOCS,
	UQ_USERS_SEARCH,
	UQ_MEMBER_SET,
	UQ_USER_FORCE_RESET,
	UQ_USER_MAKE_ADMIN,
	UQ_ALL_FORCE_RESET,
	UQ__MAX
};

static const struct stmt_def defs[UQ__MAX] = {
	[UQ_ORG_DEFAULT] = { "org_default",
	    "SELECT id, slug, name, status,"
	    " coalesce(settings->>'registrationMode', $1)"
	    " FROM organisations WHERE is_default AND deleted_at IS NULL", 1 },
	[UQ_USER_INSERT] = { "user_insert",
	    "INSERT INTO users (organisation_id, email, password_hash,"
	    " password_changed_at, email_key) VALUES ($1, $2, $3, now(), $4)"
	    " ON CONFLICT (email_key) WHERE deleted_at IS NULL DO NOTHING"
	    " RETURNING id", 4 },
	[UQ_PROFILE_INSERT] = { "profile_insert",
	    "INSERT INTO profiles (user_id, first_name, last_name)"
	    " VALUES ($1, $2, $3)", 3 },
	/*
	 * One row for every address, known or not (id NULL when unknown): the
	 * same statement and the same lock either way, the lock of an
	 * unknown address coming from login_throttle.  $2 is the address key.
	 */
	[UQ_USER_FOR_LOGIN] = { "user_for_login",
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
	[UQ_USER_PASSWORD_STATE] = { "user_password_state",
	    "SELECT u.password_hash, coalesce(floor(extract(epoch FROM"
	    " u.locked_until))::bigint, 0), u.email, u.organisation_id"
	    " FROM users u WHERE u.id = $1 AND u.deleted_at IS NULL", 1 },
	/*
	 * A failed password: the user's count ($1), or the address's ($4,
	 * its key, when $1 is NULL), in the one statement either way.  A
	 * lock that has run out starts the count again; the failure that
	 * reaches $2 locks for $3 seconds from now.
	 */
	[UQ_USER_LOGIN_FAILED] = { "user_login_failed",
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
	[UQ_USER_LOGIN_OK] = { "user_login_ok",
	    "UPDATE users SET failed_logins = 0, locked_until = NULL,"
	    " last_login_at = now(), last_login_ip = $2,"
	    " login_count = login_count + 1 WHERE id = $1", 2 },
	[UQ_USER_SET_HASH] = { "user_set_hash",
	    "UPDATE users SET password_hash = $2 WHERE id = $1", 2 },
	/* 15 the password hash, 16 roles, 17 permissions */
	[UQ_USER_GET] = { "user_get",
	    "SELECT" USER_COLS ", u.password_hash," USER_SETS
	    USER_FROM USER_ROLE_SETS " WHERE u.id = $1 AND u.deleted_at IS NULL",
	    1 },
	[UQ_USER_FOR_EMAIL] = { "user_for_email",
	    "SELECT u.id, u.email, u.email_verified_at IS NOT NULL, u.status,"
	    " u.organisation_id FROM users u"
	    " WHERE u.email_key = $1 AND u.deleted_at IS NULL", 1 },
	[UQ_USER_VERIFY_EMAIL] = { "user_verify_email",
	    "UPDATE users SET email_verified_at = coalesce(email_verified_at,"
	    " now()), updated_at = now() WHERE id = $1 AND deleted_at IS NULL",
	    1 },
	[UQ_USER_RESET_PASSWORD] = { "user_reset_password",
	    "UPDATE users SET password_hash = $2, password_changed_at = now(),"
	    " must_reset_password = false, failed_logins = 0,"
	    " locked_until = NULL,"
	    " email_verified_at = coalesce(email_verified_at, now()),"
	    " updated_at = now() WHERE id = $1 AND deleted_at IS NULL", 2 },
	[UQ_PROFILE_UPDATE] = { "profile_update",
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
	[UQ_USER_CHANGE_PASSWORD] = { "user_change_password",
	    "UPDATE users SET password_hash = $2, password_changed_at = now(),"
	    " must_reset_password = false, updated_at = now()"
	    " WHERE id = $1 AND deleted_at IS NULL", 2 },
	[UQ_USER_SOFT_DELETE] = { "user_soft_delete",
	    "UPDATE users SET deleted_at = now(), status = 'inactive',"
	    " password_hash = NULL, updated_at = now()"
	    " WHERE id = $1 AND deleted_at IS NULL", 1 },
	[UQ_USER_EXPORT] = { "user_export",
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
	/* The caller as the database has it now: every admin call. */
	[UQ_CALLER] = { "caller",
	    "SELECT u.status, o.status, u.is_system_admin, u.organisation_id,"
	    " u.email," USER_PERMS
	    " FROM users u JOIN organisations o ON o.id = u.organisation_id"
	    " WHERE u.id = $1 AND u.deleted_at IS NULL"
	    " AND o.deleted_at IS NULL", 1 },
	[UQ_ORG_POLICY] = { "org_policy",
	    "SELECT settings->'passwordPolicy', name, slug FROM organisations"
	    " WHERE id = coalesce($1::uuid,"
	    "  (SELECT id FROM organisations WHERE is_default))", 1 },
	/* A new token of a purpose voids the older ones of that purpose. */
	[UQ_EMAIL_TOKEN_INSERT] = { "email_token_insert",
	    "WITH v AS (UPDATE email_tokens SET consumed_at = now()"
	    " WHERE user_id = $1 AND purpose = $2 AND consumed_at IS NULL)"
	    " INSERT INTO email_tokens (user_id, purpose, token_hash, expires_at)"
	    /* no user (an unknown address): the same statement, no row */
	    " SELECT $1::uuid, $2::text, $3::bytea,"
	    " now() + $4 * interval '1 second'"
	    " WHERE $1::uuid IS NOT NULL", 4 },
	/* A completed reset voids every reset token of the user. */
	[UQ_EMAIL_TOKENS_VOID] = { "email_tokens_void",
	    "UPDATE email_tokens SET consumed_at = now()"
	    " WHERE user_id = $1 AND purpose = $2 AND consumed_at IS NULL", 2 },
	/* Single use in one statement: whoever updates the row owns it. */
	[UQ_EMAIL_TOKEN_CONSUME] = { "email_token_consume",
	    "UPDATE email_tokens SET consumed_at = now()"
	    " WHERE token_hash = $1 AND purpose = $2 AND consumed_at IS NULL"
	    " AND expires_at > now() RETURNING user_id", 2 },
	/* A member of the caller's organisation, or nothing. */
	/* As user_get (15 unused), then 18: an owner? */
	[UQ_MEMBER_GET] = { "member_get",
	    "SELECT" USER_COLS ", NULL," USER_SETS ", coalesce(rs.owner, false)"
	    USER_FROM USER_ROLE_SETS
	    " WHERE u.id = $2 AND u.organisation_id = $1"
	    " AND u.deleted_at IS NULL", 2 },
	/*
	 * A page of users, ids in page order, as plain columns: the worker
	 * writes the documents (dom_user_text), cheaper than JSON built in
	 * PostgreSQL.  The columns are those of user_get, in its order.
	 */
	[UQ_USERS_DOCS] = { "users_docs",
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
	[UQ_USERS_SEARCH] = { "users_search",
	    "SELECT * FROM users_search($1, $2, $3, $4, $5, $6::integer,"
	    " $7::bigint)", 7 },
	[UQ_MEMBER_SET] = { "member_set",
	    "UPDATE users SET status = coalesce($2, status),"
	    " email_verified_at = CASE WHEN $3::boolean IS NULL"
	    "  THEN email_verified_at WHEN $3::boolean"
	    "  THEN coalesce(email_verified_at, now()) END,"
	    " updated_at = now() WHERE id = $1 AND deleted_at IS NULL", 3 },
	[UQ_USER_FORCE_RESET] = { "user_force_reset",
	    "UPDATE users SET must_reset_password = true, updated_at = now()"
	    " WHERE id = $1 AND deleted_at IS NULL", 1 },
	[UQ_USER_MAKE_ADMIN] = { "user_make_admin",
	    "UPDATE users SET is_system_admin = true,"
	    " email_verified_at = coalesce(email_verified_at, now()),"
	    " updated_at = now() WHERE id = $1", 1 },
	[UQ_ALL_FORCE_RESET] = { "all_force_reset",
	    "UPDATE users SET must_reset_password = true, updated_at = now()"
	    " WHERE deleted_at IS NULL AND NOT must_reset_password", 0 },
};
const struct stmt_set store_set_user = { defs, UQ__MAX,
    STORE_SERVER | STORE_CTL };

static PGresult *
q(struct store *s, int i, int n, const char *const *p)
{
	return store_run(s, &store_set_user, i, n, p);
}

static int
run(struct store *s, int i, int n, const char *const *p)
{
	return store_do(s, &store_set_user, i, n, p);
}

/* Columns after USER_COLS (store_int.h's user_col). */
int
store_user_row(struct arena *a, PGresult *r, int i, int extra,
    struct user_row *u)
{
	memset(u, 0, sizeof(*u));
	u->id = store_str(a, r, i, 0);
	u->email = store_str(a, r, i, 1);
	u->verified = store_bool(r, i, 2);
	u->status = store_str(a, r, i, 3);
	u->org_id = store_str(a, r, i, 4);
	u->org_slug = store_str(a, r, i, 5);
	u->org_name = store_str(a, r, i, 6);
	u->first = store_str(a, r, i, 7);
	u->last = store_str(a, r, i, 8);
	u->phone = store_str(a, r, i, 9);
	u->preferences = store_str(a, r, i, 10);
	u->addresses = store_str(a, r, i, 11);
	u->created = store_int(r, i, 12);
	u->updated = store_int(r, i, 13);
	u->has_last_login = !PQgetisnull(r, i, 14);
	u->last_login = store_int(r, i, 14);
	if (extra & UROW_HASH)
		u->hash = store_str(a, r, i, UCOL_HASH);
	u->roles = store_str(a, r, i, UCOL_ROLES);
	if (extra & UROW_PERMS)
		u->perms = store_str(a, r, i, UCOL_PERMS);
	if (extra & UROW_OWNER)
		u->owner = store_bool(r, i, UCOL_OWNER);
	if (u->id == NULL || u->email == NULL || u->status == NULL ||
	    u->org_id == NULL || u->org_slug == NULL || u->org_name == NULL ||
	    u->first == NULL || u->last == NULL || u->phone == NULL ||
	    u->preferences == NULL || u->addresses == NULL ||
	    u->roles == NULL || ((extra & UROW_PERMS) && u->perms == NULL))
		return -1;
	return 1;
}

/* One row read by fill, or none: 1, 0, -1. */
#define ONE(r, fill) do {						\
	int	rc_ = 0;						\
	if ((r) == NULL)						\
		return -1;						\
	if (PQntuples(r) == 1)						\
		rc_ = (fill);						\
	PQclear(r);							\
	return rc_;							\
} while (0)

int
store_user_get(struct store *s, struct arena *a, const char *uid,
    struct user_row *u)
{
	PGresult	*r = q(s, UQ_USER_GET, 1, &uid);

	ONE(r, store_user_row(a, r, 0, UROW_HASH | UROW_PERMS, u));
}

int
store_member_get(struct store *s, struct arena *a, const char *org,
    const char *uid, struct user_row *u)
{
	const char	*p[2] = { org, uid };
	PGresult	*r = q(s, UQ_MEMBER_GET, 2, p);

	ONE(r, store_user_row(a, r, 0, UROW_PERMS | UROW_OWNER, u));
}

/* Every row of r as a user (USER_COLS and roles): how many, or -1. */
static int
user_rows(struct arena *a, PGresult *r, struct user_row **rows)
{
	int	i, n = PQntuples(r);

	if ((*rows = arena_alloc(a, (size_t)(n + 1) * sizeof(**rows))) ==
	    NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (store_user_row(a, r, i, 0, &(*rows)[i]) == -1)
			return -1;
	return n;
}

int
store_users_docs(struct store *s, struct arena *a, const char *ids,
    struct user_row **rows)
{
	PGresult	*r;
	int		 n;

	if ((r = q(s, UQ_USERS_DOCS, 1, &ids)) == NULL)
		return -1;
	n = user_rows(a, r, rows);
	PQclear(r);
	return n;
}

static int
org_brief(struct arena *a, PGresult *r, struct org_brief *o)
{
	o->id = store_str(a, r, 0, 0);
	o->slug = store_str(a, r, 0, 1);
	o->name = store_str(a, r, 0, 2);
	o->status = store_str(a, r, 0, 3);
	o->mode = store_str(a, r, 0, 4);
	return o->id && o->slug && o->name && o->status && o->mode ? 1 : -1;
}

int
store_org_default(struct store *s, struct arena *a, const char *mode,
    struct org_brief *o)
{
	PGresult	*r = q(s, UQ_ORG_DEFAULT, 1, &mode);

	ONE(r, org_brief(a, r, o));
}

int
store_user_insert(struct store *s, struct arena *a, const char *org,
    const char *email, const char *hash, const char *key, char **uid)
{
	const char	*p[4] = { org, email, hash, key };
	return store_one_str(a, q(s, UQ_USER_INSERT, 4, p), uid);
}

int
store_profile_insert(struct store *s, const char *uid, const char *first,
    const char *last)
{
	const char	*p[3] = { uid, first, last };

	return run(s, UQ_PROFILE_INSERT, 3, p);
}

static int
login_row(struct arena *a, PGresult *r, struct login_row *l)
{
	memset(l, 0, sizeof(*l));
	l->locked = store_int(r, 0, 6);
	if (PQgetisnull(r, 0, 0))
		return 0;		/* unknown address */
	l->uid = store_str(a, r, 0, 0);
	l->email = store_str(a, r, 0, 1);
	l->hash = store_str(a, r, 0, 2);
	l->status = store_str(a, r, 0, 3);
	l->verified = store_bool(r, 0, 4);
	l->must_reset = store_bool(r, 0, 7);
	l->org_status = store_str(a, r, 0, 8);
	l->org = store_str(a, r, 0, 9);
	return l->uid && l->email && l->status && l->org_status && l->org ?
	    1 : -1;
}

int
store_user_for_login(struct store *s, struct arena *a, const char *key,
    const char *addr_key, struct login_row *l)
{
	const char	*p[2] = { key, addr_key };
	PGresult	*r;
	int		 rc = -1;

	/* One row for every address, known or not. */
	if ((r = q(s, UQ_USER_FOR_LOGIN, 2, p)) == NULL)
		return -1;
	if (PQntuples(r) == 1)
		rc = login_row(a, r, l);
	PQclear(r);
	return rc;
}

static int
pw_state(struct arena *a, PGresult *r, struct password_state *ps)
{
	ps->hash = store_str(a, r, 0, 0);
	ps->locked = store_int(r, 0, 1);
	ps->email = store_str(a, r, 0, 2);
	ps->org = store_str(a, r, 0, 3);
	return ps->email && ps->org ? 1 : -1;
}

int
store_password_state(struct store *s, struct arena *a, const char *uid,
    struct password_state *ps)
{
	PGresult	*r = q(s, UQ_USER_PASSWORD_STATE, 1, &uid);

	ONE(r, pw_state(a, r, ps));
}

int
store_login_failed(struct store *s, const char *uid, const char *threshold,
    const char *lock_sec, const char *addr_key, int64_t *count)
{
	const char	*p[4] = { uid, threshold, lock_sec, addr_key };
	PGresult	*r;

	if ((r = q(s, UQ_USER_LOGIN_FAILED, 4, p)) == NULL)
		return -1;
	*count = PQntuples(r) == 1 ? store_int(r, 0, uid != NULL ? 0 : 1) :
	    0;
	PQclear(r);
	return 0;
}

int
store_login_ok(struct store *s, const char *uid, const char *ip)
{
	const char	*p[2] = { uid, ip };

	return run(s, UQ_USER_LOGIN_OK, 2, p);
}

int
store_user_set_hash(struct store *s, const char *uid, const char *hash)
{
	const char	*p[2] = { uid, hash };

	return run(s, UQ_USER_SET_HASH, 2, p);
}

static int
user_brief(struct arena *a, PGresult *r, struct user_brief *b)
{
	b->id = store_str(a, r, 0, 0);
	b->email = store_str(a, r, 0, 1);
	b->verified = store_bool(r, 0, 2);
	b->status = store_str(a, r, 0, 3);
	b->org = store_str(a, r, 0, 4);
	return b->id && b->email && b->status && b->org ? 1 : -1;
}

int
store_user_for_email(struct store *s, struct arena *a, const char *key,
    struct user_brief *b)
{
	PGresult	*r = q(s, UQ_USER_FOR_EMAIL, 1, &key);

	ONE(r, user_brief(a, r, b));
}

int
store_user_verify_email(struct store *s, const char *uid)
{
	return run(s, UQ_USER_VERIFY_EMAIL, 1, &uid);
}

int
store_user_reset_password(struct store *s, const char *uid, const char *hash)
{
	const char	*p[2] = { uid, hash };

	return run(s, UQ_USER_RESET_PASSWORD, 2, p);
}

int
store_user_change_password(struct store *s, const char *uid,
    const char *hash)
{
	const char	*p[2] = { uid, hash };

	return run(s, UQ_USER_CHANGE_PASSWORD, 2, p);
}

int
store_profile_update(struct store *s, const char *uid,
    const char *const fields[5])
{
	const char	*p[6] = { uid, fields[0], fields[1], fields[2],
	    fields[3], fields[4] };

	return run(s, UQ_PROFILE_UPDATE, 6, p);
}

int
store_user_soft_delete(struct store *s, const char *uid)
{
	return run(s, UQ_USER_SOFT_DELETE, 1, &uid);
}

int
store_user_export(struct store *s, struct arena *a, const char *uid,
    char **doc)
{
	return store_one_str(a, q(s, UQ_USER_EXPORT, 1, &uid), doc);
}

static int
caller_row(struct arena *a, PGresult *r, struct caller_row *c)
{
	c->status = store_str(a, r, 0, 0);
	c->org_status = store_str(a, r, 0, 1);
	c->system_admin = store_bool(r, 0, 2);
	c->org = store_str(a, r, 0, 3);
	c->email = store_str(a, r, 0, 4);
	c->perms = store_str(a, r, 0, 5);
	return c->status && c->org_status && c->org && c->email && c->perms ?
	    1 : -1;
}

int
store_caller(struct store *s, struct arena *a, const char *uid,
    struct caller_row *c)
{
	PGresult	*r = q(s, UQ_CALLER, 1, &uid);

	ONE(r, caller_row(a, r, c));
}

static int
policy_row(struct arena *a, PGresult *r, struct org_policy *p)
{
	p->policy = store_str(a, r, 0, 0);	/* NULL: none set */
	p->name = store_str(a, r, 0, 1);
	p->slug = store_str(a, r, 0, 2);
	return p->name && p->slug ? 1 : -1;
}

int
store_org_policy(struct store *s, struct arena *a, const char *org,
    struct org_policy *p)
{
	PGresult	*r = q(s, UQ_ORG_POLICY, 1, &org);

	ONE(r, policy_row(a, r, p));
}

int
store_email_token_insert(struct store *s, const char *uid,
    const char *purpose, const char *hash, const char *ttl)
{
	const char	*p[4] = { uid, purpose, hash, ttl };

	return run(s, UQ_EMAIL_TOKEN_INSERT, 4, p);
}

int
store_email_tokens_void(struct store *s, const char *uid,
    const char *purpose)
{
	const char	*p[2] = { uid, purpose };

	return run(s, UQ_EMAIL_TOKENS_VOID, 2, p);
}

int
store_email_token_consume(struct store *s, struct arena *a,
    const char *hash, const char *purpose, char **uid)
{
	const char	*p[2] = { hash, purpose };
	return store_one_str(a, q(s, UQ_EMAIL_TOKEN_CONSUME, 2, p), uid);
}

int
store_users_search(struct store *s, struct arena *a, const char *const p[7],
    struct user_row **rows, int64_t *total)
{
	PGresult	*r;
	int		 n;

	if ((r = q(s, UQ_USERS_SEARCH, 7, p)) == NULL)
		return -1;
	*total = PQntuples(r) > 0 ? store_int(r, 0, UCOL_TOTAL) : 0;
	n = user_rows(a, r, rows);
	PQclear(r);
	return n;
}

int
store_member_set(struct store *s, const char *uid, const char *status,
    const char *verified)
{
	const char	*p[3] = { uid, status, verified };

	return run(s, UQ_MEMBER_SET, 3, p);
}

int
store_user_force_reset(struct store *s, const char *uid)
{
	return run(s, UQ_USER_FORCE_RESET, 1, &uid);
}

int
store_user_make_admin(struct store *s, const char *uid)
{
	return run(s, UQ_USER_MAKE_ADMIN, 1, &uid);
}

int64_t
store_all_force_reset(struct store *s)
{
	return store_affected(q(s, UQ_ALL_FORCE_RESET, 0, NULL));
}
