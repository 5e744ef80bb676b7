/*
 * breach.c: breach response for system administrators (routes and
 * iamctl): end every session and token (all, one organisation, one user),
 * force every user to reset, withdraw every signing key, re-seal stored
 * secrets under a new SECRET_ENCRYPTION_KEY.  Access tokens die with
 * their sessions (dom_revoke), not when they expire.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "chainkeys.h"
#include "dom.h"
#include "store_admin.h"
#include "store_user.h"
#include "store_session.h"
#include "keys.h"
#include "log.h"
#include "env.h"

static json_object *
count_doc(struct actx *x, const char *scope, const char *id, int64_t n)
{
	json_object	*d = dom_keep(x, json_object_new_object());

	json_object_object_add(d, "scope", json_object_new_string(scope));
	if (id != NULL)
		json_object_object_add(d, "id", json_object_new_string(id));
	json_object_object_add(d, "affected", json_object_new_int64(n));
	return d;
}

/* Does the live user exist?  IAM_OK or NOT_FOUND. */
static enum iam_err
user_exists(struct actx *x, const char *id)
{
	struct user_row	u;
	int		rc;

	if ((rc = store_user_get(&x->w->db, x->a, id, &u)) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	return rc == 1 ? IAM_OK : dom_field(x, IAM_E_NOT_FOUND, "userId",
	    "No such user");
}

/* Does the live organisation exist?  IAM_OK or NOT_FOUND. */
static enum iam_err
org_exists(struct actx *x, const char *id)
{
	struct org_row	o;
	int		rc;

	if ((rc = store_org_get(&x->w->db, x->a, id, &o)) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	return rc == 1 ? IAM_OK : dom_field(x, IAM_E_NOT_FOUND,
	    "organisationId", "No such organisation");
}

enum iam_err
breach_revoke(struct actx *x, const char *org, const char *user,
    int64_t *n)
{
	const char	*scope = user ? "user" : org ? "org" : "all";
	const char	*id = user ? user : org;
	enum iam_err	 e;

	if (user != NULL && (e = user_exists(x, user)) != IAM_OK)
		return e;
	if (org != NULL && (e = org_exists(x, org)) != IAM_OK)
		return e;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((*n = store_sessions_end_scope(&x->w->db, org, user)) < 0)
		return dom_end(x, IAM_E_SERVICE_UNAVAILABLE);
	if ((e = dom_revoke(x, scope, id)) != IAM_OK ||
	    (e = dom_audit(x, "system.revoke_tokens", scope, id,
	    count_doc(x, scope, id, *n))) != IAM_OK ||
	    (e = dom_commit(x)) != IAM_OK)
		return dom_end(x, e);
	log_kv(LOG_WARN, "security.breach_revoke", "scope", scope, LOG_END);
	dom_settle(x);
	return IAM_OK;
}

enum iam_err
breach_force_reset(struct actx *x, int64_t *n)
{
	enum iam_err	 e;

	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((*n = store_all_force_reset(&x->w->db)) < 0)
		return dom_end(x, IAM_E_SERVICE_UNAVAILABLE);
	if (store_sessions_end_scope(&x->w->db, NULL, NULL) < 0)
		return dom_end(x, IAM_E_SERVICE_UNAVAILABLE);
	if ((e = dom_revoke(x, "all", NULL)) != IAM_OK ||
	    (e = dom_audit(x, "system.force_password_reset", "all", NULL,
	    count_doc(x, "all", NULL, *n))) != IAM_OK ||
	    (e = dom_commit(x)) != IAM_OK)
		return dom_end(x, e);
	log_kv(LOG_WARN, "security.breach_force_reset", LOG_END);
	dom_settle(x);
	return IAM_OK;
}

enum iam_err
breach_rotate_signing(struct actx *x, int64_t *n)
{
	struct env	*w = x->w;
	long		 k;

	if (keys_withdraw(&w->db, w->cfg, time(NULL), &k) == -1)
		return IAM_E_SERVICE_UNAVAILABLE;
	*n = k;
	/* This worker signs with the new key from the next request on. */
	w->keys.loaded = 0;
	log_kv(LOG_WARN, "security.breach_rotate_signing", LOG_END);
	/*
	 * Answer only once every worker has heard: the NOTIFY went out at
	 * commit, and a worker reads it before it signs or serves the JWKS
	 * (env_sync); a second covers its delivery to every connection, so
	 * no token issued after the answer names a withdrawn key.
	 */
	x->cutoff = (int64_t)time(NULL) + 1;
	dom_settle(x);
	return dom_audit(x, "system.rotate_signing_key", "signing_key", NULL,
	    count_doc(x, "keys", NULL, *n));
}

enum iam_err
breach_rotate_encryption(struct actx *x, int64_t *n)
{
	struct env	*w = x->w;
	long		 done, bad, cdone, cbad;
	json_object	*d;

	/* Signing keys and the audit chain's keys. */
	if (keys_reseal(&w->db, w->cfg, &done, &bad) == -1 ||
	    chainkeys_reseal(&w->db, w->cfg, &cdone, &cbad) == -1)
		return IAM_E_SERVICE_UNAVAILABLE;
	done += cdone;
	bad += cbad;
	*n = done;
	d = count_doc(x, "secrets", NULL, done);
	json_object_object_add(d, "unreadable", json_object_new_int64(bad));
	log_kv(LOG_WARN, "security.rotate_encryption_key", LOG_END);
	return dom_audit(x, "system.rotate_encryption_key", "secrets", NULL,
	    d);
}
