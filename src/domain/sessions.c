/*
 * sessions.c: a session's life: started at sign-in, refreshed by
 * rotating its refresh token (reuse ends the family), ended by logout,
 * logout-all, the caller ending one or all others.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounts.h"
#include "conf.h"
#include "crypto.h"
#include "dom.h"
#include "env.h"
#include "jwt.h"
#include "log.h"
#include "metrics.h"
#include "text.h"
#include "perm.h"
#include "store.h"

/* The user's role slugs, comma-separated, from a sanitised user. */
static const char *
user_roles_csv(struct actx *x, json_object *u)
{
	json_object	*a = json_object_object_get(u, "roles");
	struct buf	 b;
	size_t		 i;

	buf_init(&b, x->a);
	for (i = 0; i < json_object_array_length(a); i++)
		buf_printf(&b, "%s%s", i ? "," : "", json_object_get_string(
		    json_object_array_get_idx(a, i)));
	return b.oom ? "" : b.len ? b.data : "";
}

/* Issues a session, a refresh family and an access token for a login. */
enum iam_err
dom_start_session(struct actx *x, const char *uid, const char *org,
    const char *email, const char *action, struct tokens *t)
{
	const struct config	*c = x->w->cfg;
	const char		*p[4];
	char			*sid;
	int64_t			 exp;
	PGresult		*r;
	enum iam_err		 e;

	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	p[0] = uid;
	p[1] = x->ip;
	if (strcmp(action, "auth.login") == 0 &&
	    (e = dom_run(x, STMT_USER_LOGIN_OK, 2, p)) != IAM_OK)
		goto out;
	p[0] = uid;
	p[1] = dom_num(x, c->jwt_refresh_expires_in);
	p[2] = x->ip;
	p[3] = x->ua;
	if ((r = store_exec(&x->w->db, STMT_SESSION_INSERT, 4, p)) == NULL) {
		e = IAM_E_SERVICE_UNAVAILABLE;
		goto out;
	}
	sid = arena_strdup(x->a, PQgetvalue(r, 0, 0));
	exp = atoll(PQgetvalue(r, 0, 1));
	PQclear(r);
	if ((e = dom_refresh_token(x, uid, sid, NULL, NULL, exp, t, NULL)) !=
	    IAM_OK)
		goto out;
	if (audit(x, action, 1, uid, email, "session", sid, org, NULL) == -1) {
		e = IAM_E_SERVICE_UNAVAILABLE;
		goto out;
	}
	if ((e = dom_commit(x)) != IAM_OK)
		goto out;
	x->sid = sid;
	if ((t->user = acct_user(x, uid, 0, &e)) == NULL)
		return e;
	return dom_access_token(x, uid, org, sid, user_roles_csv(x, t->user), t);
out:
	store_rollback(&x->w->db);
	return e;
}

/* The row of a presented refresh token, locked (open transaction). */
static enum iam_err
refresh_row(struct actx *x, const char *token, PGresult **r)
{
	char		*hash;
	enum iam_err	 e;

	if ((hash = dom_secret_hash(x, token)) == NULL)
		return IAM_E_INTERNAL;
	if ((e = dom_query(x, STMT_REFRESH_LOOKUP, 1, (const char **)&hash,
	    r)) != IAM_OK)
		return e;
	if (PQntuples(*r) == 1)
		return IAM_OK;
	PQclear(*r);
	return IAM_E_INVALID_TOKEN;
}

/* A spent token came back: someone holds a copy.  End the whole family
 * and its session, and say so.  Always answers invalid_token. */
static enum iam_err
reuse_detected(struct actx *x, const char *refresh)
{
	const char	*p[2];
	char		*family, *sid, *uid, *email, *org;
	PGresult	*r;
	enum iam_err	 e;
	json_object	*d;

	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = refresh_row(x, refresh, &r)) != IAM_OK)
		goto out;
	if (PQgetvalue(r, 0, 4)[0] != 't') {	/* revoked meanwhile */
		PQclear(r);
		e = IAM_E_INVALID_TOKEN;
		goto out;
	}
	family = arena_strdup(x->a, PQgetvalue(r, 0, 1));
	sid = arena_strdup(x->a, PQgetvalue(r, 0, 2));
	uid = arena_strdup(x->a, PQgetvalue(r, 0, 3));
	email = arena_strdup(x->a, PQgetvalue(r, 0, 11));
	org = arena_strdup(x->a, PQgetvalue(r, 0, 12));
	PQclear(r);
	p[0] = family;
	if ((e = dom_run(x, STMT_REFRESH_REVOKE_FAMILY, 1, p)) != IAM_OK)
		goto out;
	p[0] = sid;
	p[1] = uid;
	if ((e = dom_run(x, STMT_SESSION_REVOKE, 2, p)) != IAM_OK)
		goto out;
	d = json_object_new_object();
	json_object_object_add(d, "family", dom_str(family));
	(void)audit(x, "token.reuse_detected", 0, uid, email, "session", sid,
	    org, d);
	json_object_put(d);
	metrics_event(EV_TOKEN_REVOKED);
	log_kv(LOG_WARN, "security.refresh_reuse", "ip", x->ip, LOG_END);
	if ((e = dom_commit(x)) == IAM_OK)
		e = IAM_E_INVALID_TOKEN;
out:
	store_rollback(&x->w->db);
	return e;
}

/*
 * One statement rotates a live token (STMT_REFRESH_ROTATE: lock, new
 * token, the old one spent, the session seen, the event recorded); only
 * a spent token takes the slow path.
 */
enum iam_err
acct_refresh(struct actx *x, const char *refresh, struct tokens *t)
{
	const char	*p[4];
	char		*sid, *uid, *org, *roles, *hash;
	PGresult	*r;
	int		 spent, rotated;

	if ((p[0] = dom_secret_hash(x, refresh)) == NULL ||
	    dom_fresh_secret(x, &t->refresh, &hash) == -1)
		return IAM_E_INTERNAL;
	p[1] = hash;
	p[2] = x->ip;
	p[3] = x->ua;
	if ((r = store_exec(&x->w->db, STMT_REFRESH_ROTATE, 4, p)) == NULL)
		return IAM_E_SERVICE_UNAVAILABLE;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return IAM_E_INVALID_TOKEN;
	}
	spent = PQgetvalue(r, 0, 4)[0] == 't';
	rotated = PQgetvalue(r, 0, 14)[0] == 't';
	sid = arena_strdup(x->a, PQgetvalue(r, 0, 2));
	uid = arena_strdup(x->a, PQgetvalue(r, 0, 3));
	org = arena_strdup(x->a, PQgetvalue(r, 0, 12));
	roles = arena_strdup(x->a, PQgetvalue(r, 0, 13));
	PQclear(r);
	if (!rotated)
		return spent ? reuse_detected(x, refresh) :
		    IAM_E_INVALID_TOKEN;
	metrics_event(EV_TOKEN_REFRESHED);
	x->sid = sid;
	/* A new pair is the answer; the user is not read again. */
	t->user = NULL;
	return dom_access_token(x, uid, org, sid, roles, t);
}

/* Ends one session of uid and its refresh tokens (open transaction). */
static enum iam_err
end_session(struct actx *x, const char *sid, const char *uid)
{
	const char	*p[2] = { sid, uid };
	enum iam_err	 e;

	if ((e = dom_run(x, STMT_SESSION_REVOKE, 2, p)) != IAM_OK)
		return e;
	return dom_run(x, STMT_SESSION_REVOKE_TOKENS, 1, p);
}

enum iam_err
acct_logout(struct actx *x, const char *refresh)
{
	const char	*sid = x->sid, *uid = x->user_id;
	PGresult	*r;
	enum iam_err	 e;

	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if (refresh != NULL) {
		if ((e = refresh_row(x, refresh, &r)) != IAM_OK)
			goto out;
		sid = arena_strdup(x->a, PQgetvalue(r, 0, 2));
		uid = arena_strdup(x->a, PQgetvalue(r, 0, 3));
		PQclear(r);
	}
	if (sid == NULL || uid == NULL) {
		e = IAM_E_UNAUTHORIZED;
		goto out;
	}
	if ((e = end_session(x, sid, uid)) != IAM_OK)
		goto out;
	(void)audit(x, "auth.logout", 1, uid, NULL, "session", sid, x->org_id,
	    NULL);
	metrics_event(EV_TOKEN_REVOKED);
	e = dom_commit(x);
out:
	if (e != IAM_OK)
		store_rollback(&x->w->db);
	return e;
}

/* Ends every session of uid, or every one but keep (open transaction). */
enum iam_err
dom_end_all(struct actx *x, const char *uid, const char *keep)
{
	const char	*p[2] = { uid, keep };
	enum iam_err	 e;

	if (keep == NULL) {
		if ((e = dom_run(x, STMT_USER_REVOKE_SESSIONS, 1, p)) != IAM_OK)
			return e;
		return dom_run(x, STMT_USER_REVOKE_TOKENS, 1, p);
	}
	if ((e = dom_run(x, STMT_USER_REVOKE_OTHER_SESSIONS, 2, p)) != IAM_OK)
		return e;
	return dom_run(x, STMT_USER_REVOKE_OTHER_TOKENS, 2, p);
}

/* Ends the caller's sessions (all, or all but keep), audited as action. */
static enum iam_err
end_caller_sessions(struct actx *x, const char *keep, const char *action)
{
	enum iam_err	e;

	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = dom_end_all(x, x->user_id, keep)) == IAM_OK) {
		(void)audit(x, action, 1, x->user_id, NULL, "user", x->user_id,
		    x->org_id, NULL);
		e = dom_commit(x);
	}
	if (e != IAM_OK)
		store_rollback(&x->w->db);
	return e;
}

enum iam_err
acct_logout_all(struct actx *x)
{
	return end_caller_sessions(x, NULL, "auth.logout_all");
}

enum iam_err
acct_sessions(struct actx *x, json_object **list)
{
	PGresult	*r;
	json_object	*a, *s;
	int		 i;

	if ((r = store_exec(&x->w->db, STMT_SESSIONS_LIST, 1, &x->user_id)) ==
	    NULL)
		return IAM_E_SERVICE_UNAVAILABLE;
	a = json_object_new_array();
	for (i = 0; i < PQntuples(r); i++) {
		s = json_object_new_object();
		json_object_object_add(s, "id", dom_str(PQgetvalue(r, i, 0)));
		json_object_object_add(s, "createdAt", dom_str(PQgetvalue(r, i, 1)));
		json_object_object_add(s, "lastSeenAt",
		    dom_str(PQgetvalue(r, i, 2)));
		json_object_object_add(s, "expiresAt", dom_str(PQgetvalue(r, i, 3)));
		json_object_object_add(s, "ip", dom_str(PQgetvalue(r, i, 4)));
		json_object_object_add(s, "userAgent", dom_str(PQgetvalue(r, i, 5)));
		json_object_object_add(s, "current", json_object_new_boolean(
		    x->sid != NULL && strcmp(x->sid, PQgetvalue(r, i, 0)) == 0));
		json_object_array_add(a, s);
	}
	PQclear(r);
	*list = a;
	return IAM_OK;
}

enum iam_err
acct_end_session(struct actx *x, const char *sid)
{
	const char	*p[2] = { sid, x->user_id };
	PGresult	*r;
	enum iam_err	 e;
	int		 found;

	if (!uuid_valid(sid))
		return IAM_E_NOT_FOUND;
	if ((r = store_exec(&x->w->db, STMT_SESSION_OF_USER, 2, p)) == NULL)
		return IAM_E_SERVICE_UNAVAILABLE;
	found = PQntuples(r) == 1;
	PQclear(r);
	if (!found)
		return IAM_E_NOT_FOUND;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = end_session(x, sid, x->user_id)) == IAM_OK) {
		(void)audit(x, "session.revoke", 1, x->user_id, NULL,
		    "session", sid, x->org_id, NULL);
		e = dom_commit(x);
	}
	if (e != IAM_OK)
		store_rollback(&x->w->db);
	return e;
}

enum iam_err
acct_end_other_sessions(struct actx *x)
{
	return end_caller_sessions(x, x->sid, "session.revoke_others");
}
