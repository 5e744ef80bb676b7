/*
 * self.c: the caller's own account: profile, password change, the data
 * export and deletion, each checked against the caller's password where
 * the contract says so.
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

/* The caller's stored password hash, checked against pw: IAM_OK,
 * INVALID_CREDENTIALS or an error. */
static enum iam_err
check_password(struct actx *x, const char *pw)
{
	PGresult	*r;
	int		 ok;
	int64_t		 locked;
	char		*email, *org;

	if ((r = store_exec(&x->w->db, STMT_USER_PASSWORD_STATE, 1,
	    &x->user_id)) == NULL)
		return IAM_E_SERVICE_UNAVAILABLE;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return IAM_E_UNAUTHORIZED;
	}
	/* A guess of the current password is a login attempt: a locked
	 * account takes none, and a wrong one counts toward the lock. */
	locked = atoll(PQgetvalue(r, 0, 1));
	if (locked > time(NULL)) {
		PQclear(r);
		x->retry_after = locked - time(NULL);
		return IAM_E_TOO_MANY_ATTEMPTS;
	}
	ok = PQgetisnull(r, 0, 0) ? 0 :
	    dom_password_verify(PQgetvalue(r, 0, 0), pw);
	email = arena_strdup(x->a, PQgetvalue(r, 0, 2));
	org = arena_strdup(x->a, PQgetvalue(r, 0, 3));
	PQclear(r);
	if (ok == DOM_HASH_BUSY)
		return IAM_E_SERVICE_UNAVAILABLE;
	if (ok == -1)
		return IAM_E_INTERNAL;
	if (ok)
		return IAM_OK;
	return dom_login_failed(x, x->user_id, email, org,
	    "current-password");
}

enum iam_err
acct_update_profile(struct actx *x, const struct profile_in *in,
    json_object **user)
{
	const char	*p[6];
	enum iam_err	 e;
	json_object	*d;

	p[0] = x->user_id;
	d = dom_keep(x, json_object_new_array());
	(void)dom_profile(in, p + 1, d);
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = dom_run(x, STMT_PROFILE_UPDATE, 6, p)) == IAM_OK) {
		(void)audit(x, "user.update", 1, x->user_id, NULL, "user",
		    x->user_id, x->org_id, d);
		/* Read back before the commit: what cannot be answered is
		 * not kept. */
		if ((*user = acct_user(x, x->user_id, 1, &e)) != NULL)
			e = dom_commit(x);
	}
	if (e != IAM_OK)
		store_rollback(&x->w->db);
	return e;
}

enum iam_err
acct_change_password(struct actx *x, const char *current, const char *next)
{
	const char	*p[2], *why;
	char		*hash;
	json_object	*u;
	enum iam_err	 e;
	struct pwpolicy	 pol;

	if ((e = check_password(x, current)) != IAM_OK) {
		if (e == IAM_E_INVALID_CREDENTIALS)
			(void)audit(x, "password.change", 0, x->user_id, NULL,
			    "user", x->user_id, x->org_id, NULL);
		return e;
	}
	if ((u = acct_user(x, x->user_id, 0, &e)) == NULL ||
	    (e = acct_org_policy(x, x->org_id, &pol)) != IAM_OK)
		return e;
	if ((e = password_policy(x, &pol, next, json_object_get_string(
	    json_object_object_get(u, "email")), &why)) != IAM_OK) {
		x->field = "newPassword";
		x->message = why;
		return e;
	}
	if ((hash = dom_hash_password(x, next)) == NULL)
		return dom_hash_failed(x);
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	p[0] = x->user_id;
	p[1] = hash;
	if ((e = dom_run(x, STMT_USER_CHANGE_PASSWORD, 2, p)) != IAM_OK ||
	    (e = dom_end_all(x, x->user_id, x->sid)) != IAM_OK)
		goto out;
	(void)audit(x, "password.change", 1, x->user_id, NULL, "user",
	    x->user_id, x->org_id, NULL);
	e = dom_commit(x);
out:
	if (e != IAM_OK)
		store_rollback(&x->w->db);
	return e;
}

enum iam_err
acct_export(struct actx *x, json_object **doc)
{
	PGresult	*r;
	json_object	*u, *extra;
	enum iam_err	 e;

	if ((u = acct_user(x, x->user_id, 1, &e)) == NULL)
		return e;
	if ((r = store_exec(&x->w->db, STMT_USER_EXPORT, 1, &x->user_id)) ==
	    NULL)
		return IAM_E_SERVICE_UNAVAILABLE;
	extra = dom_parse(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (extra == NULL)
		return IAM_E_INTERNAL;
	json_object_object_add(extra, "user", json_object_get(u));
	(void)audit(x, "user.export", 1, x->user_id, NULL, "user", x->user_id,
	    x->org_id, NULL);
	*doc = extra;
	return IAM_OK;
}

enum iam_err
acct_delete(struct actx *x, const char *password)
{
	const char	*p[2] = { x->org_id, x->user_id };
	PGresult	*r;
	enum iam_err	 e;
	int		 owner;

	if ((e = check_password(x, password)) != IAM_OK)
		return e;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = dom_query(x, STMT_MEMBER_GET, 2, p, &r)) != IAM_OK)
		goto out;
	owner = PQntuples(r) == 1 &&
	    PQgetvalue(r, 0, UCOL_OWNER)[0] == 't';
	PQclear(r);
	/* The last owner may not leave its organisation without one. */
	if ((owner && (e = dom_not_last_owner(x, x->org_id, x->user_id)) !=
	    IAM_OK) ||
	    (e = dom_run(x, STMT_USER_SOFT_DELETE, 1, &x->user_id)) != IAM_OK ||
	    (e = dom_end_all(x, x->user_id, NULL)) != IAM_OK ||
	    (e = dom_revoke(x, "user", x->user_id)) != IAM_OK)
		goto out;
	(void)audit(x, "user.delete", 1, x->user_id, NULL, "user", x->user_id,
	    x->org_id, NULL);
	if ((e = dom_commit(x)) == IAM_OK)
		dom_settle(x);
out:
	if (e != IAM_OK)
		store_rollback(&x->w->db);
	return e;
}
