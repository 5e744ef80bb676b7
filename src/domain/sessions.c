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
#include "store_user.h"
#include "store_session.h"
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
	const char		*p[2];
	char			*sid;
	int64_t			 exp;
	enum iam_err		 e;

	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	p[0] = uid;
	p[1] = x->ip;
	if (strcmp(action, "auth.login") == 0 &&
	    (e = dom_db(store_login_ok(&x->w->db, p[0], p[1]))) != IAM_OK)
		goto out;
	if (store_session_insert(&x->w->db, x->a, uid, dom_num(x,
	    c->jwt_refresh_expires_in), x->ip, x->ua, &sid, &exp) != 1) {
		e = IAM_E_SERVICE_UNAVAILABLE;
		goto out;
	}
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
	return dom_access_token(x, uid, org, sid, email,
	    user_roles_csv(x, t->user), t);
out:
	store_rollback(&x->w->db);
	return e;
}

enum iam_err
dom_start_browser(struct actx *x, const char *uid, const char *org,
    const char *email, struct browser_login *b)
{
	const struct config	*c = x->w->cfg;
	char			*chash, *xhash;
	enum iam_err		 e;

	memset(b, 0, sizeof(*b));
	if (dom_fresh_secret(x, &b->cookie, &chash) == -1 ||
	    dom_fresh_secret(x, &b->csrf, &xhash) == -1)
		return IAM_E_INTERNAL;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = dom_db(store_login_ok(&x->w->db, uid, x->ip))) != IAM_OK)
		goto out;
	switch (store_browser_insert(&x->w->db, x->a, uid, chash, xhash,
	    dom_num(x, c->session_lifetime), x->ip, x->ua, &b->sid,
	    &b->expires)) {
	case -1:
		e = IAM_E_SERVICE_UNAVAILABLE;
		goto out;
	case 0:
		e = IAM_E_INVALID_CREDENTIALS;
		goto out;
	}
	if (audit(x, "auth.login", 1, uid, email, "session", b->sid, org,
	    NULL) == -1 || audit(x, "session.create", 1, uid, email, "session",
	    b->sid, org, NULL) == -1) {
		e = IAM_E_SERVICE_UNAVAILABLE;
		goto out;
	}
	if ((e = dom_commit(x)) != IAM_OK)
		goto out;
	b->uid = uid;
	x->sid = b->sid;
	return IAM_OK;
out:
	store_rollback(&x->w->db);
	return e;
}

/* How long a worker trusts a session it looked up (vcache.h). */
#define SESSION_TTL	10

/* A session as the worker's cache keeps it: its fields, NUL-separated. */
static void
session_keep(struct actx *x, const unsigned char d[32], time_t now,
    const struct cookie_session *cs)
{
	const char *const	 f[] = { cs->sid, cs->uid, cs->org, cs->email,
		cs->roles, cs->csrf_hash };
	struct buf		 b;
	size_t			 i;

	buf_init(&b, x->a);
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		buf_add(&b, f[i], strlen(f[i]) + 1);
	buf_printf(&b, "%lld", (long long)cs->auth_time);
	buf_add(&b, "", 1);
	buf_printf(&b, "%lld", (long long)cs->expires);
	if (!b.oom)
		vcache_put(&x->w->sessions, d, now, (time_t)cs->expires,
		    b.data, b.len);
}

static int
session_read(const char *blob, size_t len, struct cookie_session *cs)
{
	const char	**f[] = { &cs->sid, &cs->uid, &cs->org, &cs->email,
		&cs->roles, &cs->csrf_hash };
	const char	*p = blob, *end = blob + len;
	size_t		 i;

	memset(cs, 0, sizeof(*cs));
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (p >= end)
			return -1;
		*f[i] = p;
		p += strlen(p) + 1;
	}
	if (p >= end)
		return -1;
	cs->auth_time = strtoll(p, NULL, 10);
	p += strlen(p) + 1;
	if (p >= end)
		return -1;
	cs->expires = strtoll(p, NULL, 10);
	return 0;
}

enum iam_err
acct_cookie_session(struct actx *x, const char *cookie,
    struct cookie_session *cs)
{
	struct env	*w = x->w;
	unsigned char	 d[32];
	char		*hash, *hex;
	const char	*blob;
	size_t		 len;
	time_t		 now = time(NULL), put;

	if (crypto_sha256(cookie, strlen(cookie), d) == -1)
		return IAM_E_INTERNAL;
	/*
	 * What this worker read a moment ago holds unless a revocation of
	 * the session, its user or its organisation came since (NOTIFY
	 * brings them, as for access tokens) or it has run out.
	 */
	(void)env_sync(w, now);
	if ((blob = vcache_get(&w->sessions, d, now, SESSION_TTL, x->a, &len,
	    &put)) != NULL) {
		if (session_read(blob, len, cs) == 0 &&
		    !revoke_voids(&w->revoked, cs->org, cs->uid, cs->sid,
		    (int64_t)put))
			return IAM_OK;
		vcache_drop(&w->sessions, d);
	}
	if ((hex = hex_encode(x->a, d, sizeof(d))) == NULL ||
	    (hash = arena_printf(x->a, "\\x%s", hex)) == NULL)
		return IAM_E_INTERNAL;
	switch (store_cookie_session(&w->db, x->a, hash, dom_num(x,
	    w->cfg->session_idle_timeout), cs)) {
	case -1:
		return IAM_E_SERVICE_UNAVAILABLE;
	case 0:
		return IAM_E_UNAUTHORIZED;
	}
	/* An idle limit under two minutes is checked on every request. */
	if (cs->idle == 0 || cs->idle >= 120)
		session_keep(x, d, now, cs);
	return IAM_OK;
}

int
acct_csrf_ok(struct actx *x, const struct cookie_session *cs,
    const char *token)
{
	char	*hash;

	if (token == NULL || *token == '\0' ||
	    (hash = dom_secret_hash(x, token)) == NULL)
		return 0;
	return crypto_secret_eq(hash, strlen(hash), cs->csrf_hash,
	    strlen(cs->csrf_hash)) == 1;
}

enum iam_err
acct_end_browser_session(struct actx *x)
{
	enum iam_err	e;
	json_object	*d;

	if (x->sid == NULL || x->user_id == NULL)
		return IAM_E_UNAUTHORIZED;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if (store_session_end(&x->w->db, x->sid, x->user_id) == -1) {
		e = IAM_E_SERVICE_UNAVAILABLE;
		goto out;
	}
	d = json_object_new_object();
	json_object_object_add(d, "reason", dom_str("logout"));
	(void)audit(x, "session.end", 1, x->user_id, x->email, "session",
	    x->sid, x->org_id, d);
	json_object_put(d);
	e = dom_commit(x);
out:
	if (e != IAM_OK)
		store_rollback(&x->w->db);
	return e;
}

/* The row of a presented refresh token, locked (open transaction). */
static enum iam_err
refresh_row(struct actx *x, const char *token, struct refresh_state *st)
{
	char	*hash;

	if ((hash = dom_secret_hash(x, token)) == NULL)
		return IAM_E_INTERNAL;
	switch (store_refresh_lookup(&x->w->db, x->a, hash, st)) {
	case -1:
		return IAM_E_SERVICE_UNAVAILABLE;
	case 0:
		return IAM_E_INVALID_TOKEN;
	}
	return IAM_OK;
}

/* A spent token came back: someone holds a copy.  End the whole family
 * and its session, and say so.  Always answers invalid_token. */
static enum iam_err
reuse_detected(struct actx *x, const char *refresh)
{
	struct refresh_state	 st;
	enum iam_err		 e;
	json_object		*d;

	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = refresh_row(x, refresh, &st)) != IAM_OK)
		goto out;
	if (!st.spent) {			/* revoked meanwhile */
		e = IAM_E_INVALID_TOKEN;
		goto out;
	}
	if (store_refresh_revoke_family(&x->w->db, st.family) == -1 ||
	    store_session_revoke(&x->w->db, st.sid, st.uid) == -1) {
		e = IAM_E_SERVICE_UNAVAILABLE;
		goto out;
	}
	d = json_object_new_object();
	json_object_object_add(d, "family", dom_str(st.family));
	(void)audit(x, "token.reuse_detected", 0, st.uid, st.email, "session",
	    st.sid, st.org, d);
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
 * One statement rotates a live token (store_refresh_rotate: lock, new
 * token, the old one spent, the session seen, the event recorded); only
 * a spent token takes the slow path.
 */
enum iam_err
acct_refresh(struct actx *x, const char *refresh, struct tokens *t)
{
	struct refresh_state	 st;
	char			*old, *hash;

	if ((old = dom_secret_hash(x, refresh)) == NULL ||
	    dom_fresh_secret(x, &t->refresh, &hash) == -1)
		return IAM_E_INTERNAL;
	switch (store_refresh_rotate(&x->w->db, x->a, old, hash, x->ip, x->ua,
	    &st)) {
	case -1:
		return IAM_E_SERVICE_UNAVAILABLE;
	case 0:
		return IAM_E_INVALID_TOKEN;
	}
	if (!st.rotated)
		return st.spent ? reuse_detected(x, refresh) :
		    IAM_E_INVALID_TOKEN;
	metrics_event(EV_TOKEN_REFRESHED);
	x->sid = st.sid;
	/* A new pair is the answer; the user is not read again. */
	t->user = NULL;
	return dom_access_token(x, st.uid, st.org, st.sid, st.email, st.roles,
	    t);
}

/* Ends one session of uid and its refresh tokens (open transaction). */
static enum iam_err
end_session(struct actx *x, const char *sid, const char *uid)
{
	return store_session_end(&x->w->db, sid, uid) == -1 ?
	    IAM_E_SERVICE_UNAVAILABLE : IAM_OK;
}

enum iam_err
acct_logout(struct actx *x, const char *refresh)
{
	const char		*sid = x->sid, *uid = x->user_id;
	struct refresh_state	 st;
	enum iam_err		 e;

	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if (refresh != NULL) {
		if ((e = refresh_row(x, refresh, &st)) != IAM_OK)
			goto out;
		sid = st.sid;
		uid = st.uid;
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
	return store_sessions_end_user(&x->w->db, uid, keep) == -1 ?
	    IAM_E_SERVICE_UNAVAILABLE : IAM_OK;
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
	struct session_row	*rows;
	json_object		*a, *s;
	int			 i, n;

	if ((n = store_sessions_list(&x->w->db, x->a, x->user_id, &rows)) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	a = json_object_new_array();
	for (i = 0; i < n; i++) {
		s = json_object_new_object();
		json_object_object_add(s, "id", dom_str(rows[i].id));
		json_object_object_add(s, "createdAt",
		    dom_str(rows[i].created));
		json_object_object_add(s, "lastSeenAt", dom_str(rows[i].seen));
		json_object_object_add(s, "expiresAt",
		    dom_str(rows[i].expires));
		json_object_object_add(s, "ip", dom_str(rows[i].ip));
		json_object_object_add(s, "userAgent", dom_str(rows[i].ua));
		json_object_object_add(s, "type", dom_str(rows[i].kind));
		json_object_object_add(s, "current", json_object_new_boolean(
		    x->sid != NULL && strcmp(x->sid, rows[i].id) == 0));
		json_object_array_add(a, s);
	}
	*list = a;
	return IAM_OK;
}

enum iam_err
acct_end_session(struct actx *x, const char *sid)
{
	enum iam_err	 e;

	if (!uuid_valid(sid))
		return IAM_E_NOT_FOUND;
	switch (store_session_of_user(&x->w->db, sid, x->user_id)) {
	case -1:
		return IAM_E_SERVICE_UNAVAILABLE;
	case 0:
		return IAM_E_NOT_FOUND;
	}
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
