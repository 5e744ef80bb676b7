/*
 * tokens.c: the claims of the access token a sign-in or a refresh issues,
 * and the opaque refresh token that goes with it (stored as its hash).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounts.h"
#include "conf.h"
#include "crypto.h"
#include "dom.h"
#include "store_session.h"
#include "env.h"
#include "jwt.h"
#include "log.h"
#include "metrics.h"
#include "text.h"
#include "perm.h"
#include "store.h"

/*
 * The claims every access token carries (iss, sub, aud, iat, exp, jti)
 * in a new object, and the key to sign it with, or NULL and *e.
 */
static json_object *
claims_for(struct actx *x, const char *sub, const char *aud,
    const struct jwt_key **k, enum iam_err *e)
{
	struct env	*w = x->w;
	json_object	*c;
	unsigned char	 jti[16];
	time_t		 now = time(NULL);

	/* env_sync, not keys_refresh alone: a key withdrawn by another
	 * worker (a breach rotation, announced by NOTIFY) must not sign
	 * here again, whatever route this worker last served. */
	*e = IAM_E_SERVICE_UNAVAILABLE;
	if (env_sync(w, now) == -1 && w->keys.n == 0)
		return NULL;
	if ((*k = keys_current(&w->keys, now)) == NULL &&
	    (keys_refresh(&w->keys, &w->db, w->cfg, now, 1) == -1 ||
	    (*k = keys_current(&w->keys, now)) == NULL))
		return NULL;
	*e = IAM_E_INTERNAL;
	if (crypto_random(jti, sizeof(jti)) == -1)
		return NULL;
	c = json_object_new_object();
	json_object_object_add(c, "iss", dom_str(w->cfg->issuer_url));
	json_object_object_add(c, "sub", dom_str(sub));
	json_object_object_add(c, "aud", dom_str(aud));
	json_object_object_add(c, "iat", json_object_new_int64(now));
	json_object_object_add(c, "exp",
	    json_object_new_int64(now + w->cfg->jwt_expires_in));
	json_object_object_add(c, "jti",
	    dom_str(b64url_encode(x->a, jti, sizeof(jti))));
	return c;
}

/* Signs c (taken over) into t. */
static enum iam_err
sign_into(struct actx *x, const struct jwt_key *k, json_object *c,
    struct tokens *t)
{
	t->access = jwt_sign(x->a, k, c);
	json_object_put(c);
	if (t->access == NULL)
		return IAM_E_INTERNAL;
	t->expires_in = x->w->cfg->jwt_expires_in;
	metrics_event(EV_TOKEN_ISSUED);
	return IAM_OK;
}

/* Signs an access token for the user and session. */
/* roles: comma-separated slugs, for the token's roles claim. */
enum iam_err
dom_access_token(struct actx *x, const char *user_id, const char *org_id,
    const char *sid, const char *email, const char *roles, struct tokens *t)
{
	const struct jwt_key	*k;
	json_object		*c;
	enum iam_err		 e;

	if ((c = claims_for(x, user_id, x->w->cfg->jwt_audience, &k, &e)) ==
	    NULL)
		return e;
	json_object_object_add(c, "scope", dom_str(""));
	json_object_object_add(c, "org", dom_str(org_id));
	json_object_object_add(c, "sid", dom_str(sid));
	json_object_object_add(c, "roles", dom_csv_array(roles));
	/* for resource servers and forward auth, which read no database */
	json_object_object_add(c, "email", dom_str(email));
	return sign_into(x, k, c, t);
}

enum iam_err
dom_client_token(struct actx *x, const char *client_id, const char *org,
    const char *scope, struct tokens *t)
{
	const struct jwt_key	*k;
	json_object		*c;
	enum iam_err		 e;

	if ((c = claims_for(x, client_id, client_id, &k, &e)) == NULL)
		return e;
	json_object_object_add(c, "client_id", dom_str(client_id));
	json_object_object_add(c, "scope", dom_str(scope));
	json_object_object_add(c, "org", dom_str(org));
	t->refresh = NULL;
	t->user = NULL;
	return sign_into(x, k, c, t);
}

/* Inserts a refresh token (in the open transaction). */
enum iam_err
dom_refresh_token(struct actx *x, const char *user_id, const char *sid,
    const char *family, const char *parent, int64_t expires,
    struct tokens *t, char **new_id)
{
	char		*hash;

	if (dom_fresh_secret(x, &t->refresh, &hash) == -1)
		return IAM_E_INTERNAL;
	switch (store_refresh_insert(&x->w->db, x->a, hash, family, parent,
	    sid, user_id, dom_num(x, expires), new_id)) {
	case -1:
		return IAM_E_SERVICE_UNAVAILABLE;
	case 0:				/* the session is gone */
		return IAM_E_INVALID_TOKEN;
	}
	return IAM_OK;
}
