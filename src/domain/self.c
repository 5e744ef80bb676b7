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
#include "store_user.h"
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
	struct password_state	ps;
	int			ok;

	switch (store_password_state(&x->w->db, x->a, x->user_id, &ps)) {
	case -1:
		return IAM_E_SERVICE_UNAVAILABLE;
	case 0:
		return IAM_E_UNAUTHORIZED;
	}
	/* A guess of the current password is a login attempt: a locked
	 * account takes none, and a wrong one counts toward the lock. */
	if (ps.locked > time(NULL)) {
		x->retry_after = ps.locked - time(NULL);
		return IAM_E_TOO_MANY_ATTEMPTS;
	}
	ok = ps.hash == NULL ? 0 : dom_password_verify(ps.hash, pw);
	if (ok == DOM_HASH_BUSY)
		return IAM_E_SERVICE_UNAVAILABLE;
	if (ok == -1)
		return IAM_E_INTERNAL;
	if (ok)
		return IAM_OK;
	return dom_login_failed(x, x->user_id, ps.email, ps.org,
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
	if ((e = dom_db(store_profile_update(&x->w->db, p[0], p + 1))) ==
	    IAM_OK) {
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
	const char	*why;
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
	if ((e = dom_db(store_user_change_password(&x->w->db, x->user_id,
	    hash))) != IAM_OK ||
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
	json_object	*u, *extra;
	char		*text;
	enum iam_err	 e;

	if ((u = acct_user(x, x->user_id, 1, &e)) == NULL)
		return e;
	if (store_user_export(&x->w->db, x->a, x->user_id, &text) != 1)
		return IAM_E_SERVICE_UNAVAILABLE;
	if ((extra = dom_parse(text)) == NULL)
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
	struct user_row	 u;
	enum iam_err	 e;
	int		 owner, rc;

	if ((e = check_password(x, password)) != IAM_OK)
		return e;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((rc = store_member_get(&x->w->db, x->a, x->org_id, x->user_id,
	    &u)) < 0) {
		e = IAM_E_SERVICE_UNAVAILABLE;
		goto out;
	}
	owner = rc == 1 && u.owner;
	/* The last owner may not leave its organisation without one. */
	if ((owner && (e = dom_not_last_owner(x, x->org_id, x->user_id)) !=
	    IAM_OK) ||
	    (e = dom_db(store_user_soft_delete(&x->w->db, x->user_id))) !=
	    IAM_OK ||
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
