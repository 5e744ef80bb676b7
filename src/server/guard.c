/*
 * guard.c: the central access checks the dispatcher runs before any
 * handler: the bearer token (signature, claims, revocation), and a
 * route's permission against the caller's roles as the database holds
 * them now.  Handlers never see a request these refuse.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "accounts.h"
#include "conf.h"
#include "cookie.h"
#include "crypto.h"
#include "env.h"
#include "guard.h"
#include "hcommon.h"
#include "jwt.h"
#include "keys.h"
#include "log.h"
#include "parse.h"
#include "perm.h"
#include "store_session.h"

static const char *
claim(json_object *c, const char *key)
{
	json_object	*v;

	if (!json_object_object_get_ex(c, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/*
 * Verifies the bearer token: IAM_OK with r->user_id etc. set, or the
 * contract's 401.  A token signed by a key this worker has not loaded yet
 * makes it reload its keyring once before deciding.
 */
enum iam_err
guard_bearer(struct req *r)
{
	struct env		*w = r->w;
	const struct config	*cfg = w->cfg;
	const char		*tok;
	size_t			 len;
	json_object		*c;
	enum jwt_result		 rc;
	time_t			 now = time(NULL);

	switch (parse_bearer(r->authorization, &tok, &len)) {
	case 0:
		return IAM_E_UNAUTHORIZED;
	case -1:
		return IAM_E_INVALID_TOKEN;
	}
	(void)env_sync(w, now);
	rc = jwt_verify(r->a, tok, len, keys_find, &w->keys, cfg->issuer_url,
	    cfg->jwt_audience, now, 30, &c);
	if (rc == JWT_UNKNOWN_KID &&
	    keys_refresh(&w->keys, &w->db, cfg, now, 1) == 0)
		rc = jwt_verify(r->a, tok, len, keys_find, &w->keys,
		    cfg->issuer_url, cfg->jwt_audience, now, 30, &c);
	switch (rc) {
	case JWT_OK:
		break;
	case JWT_EXPIRED:
		return IAM_E_TOKEN_EXPIRED;
	case JWT_ERROR:
		return IAM_E_INTERNAL;
	default:
		log_kv(LOG_WARN, "security.bad_token", "requestId", r->id,
		    "ip", r->ip, LOG_END);
		return IAM_E_INVALID_TOKEN;
	}
	r->claims = c;
	r->user_id = claim(c, "sub");
	r->org_id = claim(c, "org");
	r->sid = claim(c, "sid");
	r->iat = json_object_get_int64(json_object_object_get(c, "iat"));
	/* Never longer-lived than this server issues (a forged or foreign
	 * token signed by a stolen key would claim years). */
	if (json_object_get_int64(json_object_object_get(c, "exp")) - r->iat >
	    cfg->jwt_expires_in + 30) {
		log_kv(LOG_WARN, "security.bad_token", "ip", r->ip, LOG_END);
		return IAM_E_INVALID_TOKEN;
	}
	if (r->user_id == NULL || !uuid_valid(r->user_id))
		return IAM_E_INVALID_TOKEN;
	if (revoke_voids(&w->revoked, r->org_id, r->user_id, r->sid,
	    r->iat)) {
		log_kv(LOG_WARN, "security.revoked_token", "requestId", r->id,
		    "ip", r->ip, LOG_END);
		return IAM_E_INVALID_TOKEN;
	}
	return IAM_OK;
}

enum iam_err
guard_cookie(struct req *r)
{
	struct actx		x;
	struct cookie_session	cs;
	const char		*v;
	enum iam_err		e;

	if ((v = kv_get(&r->cookies, COOKIE_SID)) == NULL || *v == '\0' ||
	    strlen(v) > 64)
		return IAM_E_UNAUTHORIZED;
	hc_actx(&x, r);
	if ((e = acct_cookie_session(&x, v, &cs)) != IAM_OK)
		return e;
	r->user_id = cs.uid;
	r->org_id = cs.org;
	r->sid = cs.sid;
	r->email = cs.email;
	r->roles = cs.roles;
	r->csrf_hash = cs.csrf_hash;
	r->auth_time = cs.auth_time;
	r->via_cookie = 1;
	return IAM_OK;
}

enum iam_err
guard_csrf(struct req *r)
{
	struct actx		x;
	struct cookie_session	cs;
	const char		*tok, *ck;

	if ((tok = kv_get(&r->form, "_csrf")) == NULL)
		tok = req_param(r, "HTTP_X_CSRF_TOKEN");
	if (r->via_cookie) {
		memset(&cs, 0, sizeof(cs));
		cs.csrf_hash = r->csrf_hash;
		hc_actx(&x, r);
		if (acct_csrf_ok(&x, &cs, tok))
			return IAM_OK;
	} else {
		ck = kv_get(&r->cookies, COOKIE_CSRF);
		if (tok != NULL && ck != NULL && *ck != '\0' &&
		    strlen(ck) >= 32 && crypto_secret_eq(tok, strlen(tok), ck,
		    strlen(ck)) == 1)
			return IAM_OK;
	}
	log_kv(LOG_WARN, "security.csrf_failed", "requestId", r->id, "ip",
	    r->ip, "path", r->path, LOG_END);
	return IAM_E_CSRF_FAILED;
}

enum iam_err
guard_permission(struct req *r, const struct route *rt)
{
	struct actx	x;
	struct caller	c;
	enum iam_err	e;

	hc_actx(&x, r);
	if ((e = acct_caller(&x, &c)) != IAM_OK)
		return e;
	r->perms = c.perms;
	r->email = c.email;
	r->system_admin = c.system_admin;
	if (((rt->flags & R_SYSTEM) && !c.system_admin) ||
	    (rt->perm != NULL && !perm_has(c.perms, rt->perm))) {
		log_kv(LOG_WARN, "security.forbidden", "requestId", r->id,
		    "user", r->user_id, "route", rt->pattern, LOG_END);
		return IAM_E_FORBIDDEN;
	}
	return IAM_OK;
}
