/*
 * pg_account.c: /account: who is signed in, their sessions (each may
 * be ended), and a password change.  The same domain calls as
 * /v1/me, /v1/me/sessions and /v1/me/password.
 */
#include <string.h>

#include "accounts.h"
#include "cookie.h"
#include "handlers.h"
#include "hcommon.h"
#include "pages.h"
#include "validate.h"

static void
put_cb(void *o)
{
	json_object_put(o);
}

/* The account page's scope, or NULL with *e. */
static struct tscope *
account_scope(struct req *r, struct actx *x, enum iam_err *e)
{
	struct tscope	*s, *it;
	json_object	*u, *list, *o, *p;
	size_t		 i;
	const char	*id;

	if ((u = acct_user(x, r->user_id, 0, e)) == NULL ||
	    (*e = acct_sessions(x, &list)) != IAM_OK)
		return NULL;
	if (arena_defer(r->a, put_cb, list) == -1) {
		json_object_put(list);
		*e = IAM_E_INTERNAL;
		return NULL;
	}
	s = pg_scope(r, "Your account");
	ts_set(s, "email", pg_jstr(u, "email"));
	if (json_object_object_get_ex(u, "profile", &p)) {
		ts_set(s, "first_name", pg_jstr(p, "firstName"));
		ts_set(s, "last_name", pg_jstr(p, "lastName"));
	}
	for (i = 0; i < json_object_array_length(list); i++) {
		o = json_object_array_get_idx(list, i);
		it = ts_item(s, "sessions");
		id = pg_jstr(o, "id");
		ts_set(it, "id", id);
		ts_set(it, "created", pg_jstr(o, "createdAt"));
		ts_set(it, "seen", pg_jstr(o, "lastSeenAt"));
		ts_set(it, "ip", pg_jstr(o, "ip"));
		ts_set(it, "user_agent", pg_jstr(o, "userAgent"));
		ts_set(it, "browser", strcmp(pg_jstr(o, "type") ? pg_jstr(o, "type") :
		    "", "browser") == 0 ? "1" : NULL);
		if (id != NULL && r->sid != NULL && strcmp(id, r->sid) == 0)
			ts_set(it, "current", "1");
	}
	return s;
}

enum iam_err
pg_account_get(struct req *r)
{
	struct actx	 x;
	struct tscope	*s;
	enum iam_err	 e;

	hc_actx(&x, r);
	if ((s = account_scope(r, &x, &e)) == NULL)
		return e;
	return pg_render(r, 200, "account", s);
}

enum iam_err
pg_account_password(struct req *r)
{
	json_object	*v[FS_MAX];
	struct actx	 x;
	struct tscope	*s;
	enum iam_err	 e, e2;

	if ((e = req_pairs(r, &r->form, &fs_pg_password, v)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	e = acct_change_password(&x, fstr(v[0]), fstr(v[1]));
	hc_actx(&x, r);
	if ((s = account_scope(r, &x, &e2)) == NULL)
		return e2;
	if (e != IAM_OK) {
		if (e == IAM_E_INVALID_CREDENTIALS) {
			x.field = "currentPassword";
			x.message = "The current password is not right.";
		} else if (e == IAM_E_WEAK_PASSWORD)
			x.field = "newPassword";
		return pg_fail(r, &x, e, "account", s);
	}
	ts_set(s, "notice", "Your password is changed; your other sessions "
	    "have ended.");
	return pg_render(r, 200, "account", s);
}

enum iam_err
pg_account_end_session(struct req *r)
{
	json_object	*v[FS_MAX];
	const char	*id = hc_uuid(r, "id");
	struct actx	 x;
	struct tscope	*s;
	enum iam_err	 e;

	if ((e = req_pairs(r, &r->form, &fs_pg_csrf, v)) != IAM_OK)
		return e;
	if (id == NULL)
		return IAM_E_NOT_FOUND;
	hc_actx(&x, r);
	if ((e = acct_end_session(&x, id)) != IAM_OK)
		return e;
	if (r->sid != NULL && strcmp(id, r->sid) == 0) {
		cookie_clear(r, COOKIE_SID);
		cookie_clear(r, COOKIE_CSRF);
		return pg_redirect(r, "/login");
	}
	hc_actx(&x, r);
	if ((s = account_scope(r, &x, &e)) == NULL)
		return e;
	ts_set(s, "notice", "The session has ended.");
	return pg_render(r, 200, "account", s);
}
