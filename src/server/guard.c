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

/* How long a worker trusts a signature it checked (within the token's
 * own life, and while its key is in the keyring). */
#define TOKEN_TTL	300

/*
 * The claims of a token this worker verified before (vcache.h): kid,
 * NUL, the payload.  NULL when none, or when its key has left the
 * keyring (a withdrawn key's tokens die at once, cached or not).
 */
static json_object *
verified_before(struct req *r, const unsigned char d[32], time_t now)
{
	struct env	*w = r->w;
	const char	*blob, *payload;
	size_t		 n, k;
	time_t		 put;
	json_object	*c;

	if ((blob = vcache_get(&w->tokens, d, now, TOKEN_TTL, r->a, &n,
	    &put)) == NULL)
		return NULL;
	k = strlen(blob);
	payload = blob + k + 1;
	if (k >= n || keys_find(&w->keys, blob) == NULL ||
	    (c = jwt_claims_parse(r->a, payload, n - k - 1)) == NULL) {
		vcache_drop(&w->tokens, d);
		return NULL;
	}
	return c;
}

/* Remembers a token whose signature and claims passed. */
static void
remember(struct req *r, const unsigned char d[32], const char *tok,
    size_t len, json_object *c, time_t now)
{
	const char	*kid, *js;
	struct buf	 b;
	size_t		 n;

	if ((kid = jwt_kid(r->a, tok, len)) == NULL ||
	    (js = json_object_to_json_string_length(c, JSON_C_TO_STRING_PLAIN,
	    &n)) == NULL)
		return;
	buf_init(&b, r->a);
	buf_add(&b, kid, strlen(kid) + 1);
	buf_add(&b, js, n);
	if (!b.oom)
		vcache_put(&r->w->tokens, d, now, (time_t)json_object_get_int64(
		    json_object_object_get(c, "exp")), b.data, b.len);
}

/*
 * Verifies the bearer token: IAM_OK with r->user_id etc. set, or the
 * contract's 401.  A token signed by a key this worker has not loaded yet
 * makes it reload its keyring once before deciding.  A token verified
 * here before is not verified again (its digest is the key), but its
 * revocations are checked on every request.
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
	unsigned char		 d[32];
	time_t			 now = time(NULL);

	switch (parse_bearer(r->authorization, &tok, &len)) {
	case 0:
		return IAM_E_UNAUTHORIZED;
	case -1:
		return IAM_E_INVALID_TOKEN;
	}
	(void)env_sync(w, now);
	if (crypto_sha256(tok, len, d) == -1)
		return IAM_E_INTERNAL;
	if ((c = verified_before(r, d, now)) != NULL)
		goto verified;
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
	/* Never longer-lived than this server issues (a forged or foreign
	 * token signed by a stolen key would claim years). */
	if (json_object_get_int64(json_object_object_get(c, "exp")) -
	    json_object_get_int64(json_object_object_get(c, "iat")) >
	    cfg->jwt_expires_in + 30) {
		log_kv(LOG_WARN, "security.bad_token", "ip", r->ip, LOG_END);
		return IAM_E_INVALID_TOKEN;
	}
	if (claim(c, "sub") == NULL || !uuid_valid(claim(c, "sub")))
		return IAM_E_INVALID_TOKEN;
	remember(r, d, tok, len, c, now);
verified:
	r->claims = c;
	r->user_id = claim(c, "sub");
	r->org_id = claim(c, "org");
	r->sid = claim(c, "sid");
	r->iat = json_object_get_int64(json_object_object_get(c, "iat"));
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
