/*
 * pg_invite.c: /invitations/accept: what the invitation is for, and a
 * form to accept it (password and name), with invite_public and
 * invite_accept, as /v1/public/invitations.  The GET spends nothing.
 */
#include <string.h>

#include "admin.h"
#include "handlers.h"
#include "hcommon.h"
#include "pages.h"
#include "validate.h"

/* The page for token: the invitation's terms and the form. */
static enum iam_err
invite_page(struct req *r, const char *token, struct tscope **out,
    struct actx *x)
{
	struct tscope	*s = pg_scope(r, "Join an organisation");
	json_object	*o = NULL, *org = NULL;
	enum iam_err	 e;

	*out = s;
	ts_set(s, "token", token);
	/* o is the arena's (dom_keep) */
	if ((e = invite_public(x, token, &o)) != IAM_OK)
		return e;
	(void)json_object_object_get_ex(o, "organisation", &org);
	ts_set(s, "organisation", pg_jstr(org, "name"));
	ts_set(s, "role", pg_jstr(o, "role"));
	ts_set(s, "email", pg_jstr(o, "email"));
	return IAM_OK;
}

static enum iam_err
gone(struct req *r)
{
	struct tscope	*s = pg_scope(r, "Join an organisation");

	ts_set(s, "message", "This invitation is unknown, used or expired. "
	    "Ask for a new one.");
	return pg_render(r, 400, "message", s);
}

enum iam_err
pg_invite_get(struct req *r)
{
	json_object	*v[FS_MAX];
	struct tscope	*s;
	struct actx	 x;
	enum iam_err	 e;

	if ((e = req_query(r, &fs_pg_token_q, v)) != IAM_OK)
		return e;
	if (fstr(v[0]) == NULL)
		return gone(r);
	hc_actx(&x, r);
	if ((e = invite_page(r, fstr(v[0]), &s, &x)) != IAM_OK)
		return e == IAM_E_NOT_FOUND || e == IAM_E_INVALID_TOKEN ||
		    e == IAM_E_INVALID_ONE_TIME_TOKEN ? gone(r) : e;
	return pg_render(r, 200, "invite", s);
}

enum iam_err
pg_invite_post(struct req *r)
{
	json_object	*v[FS_MAX], *o = NULL;
	struct tscope	*s;
	struct actx	 x;
	enum iam_err	 e;

	if ((e = req_pairs(r, &r->form, &fs_pg_invite, v)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	if ((e = invite_page(r, fstr(v[0]), &s, &x)) != IAM_OK)
		return e == IAM_E_NOT_FOUND || e == IAM_E_INVALID_TOKEN ||
		    e == IAM_E_INVALID_ONE_TIME_TOKEN ? gone(r) : e;
	ts_set(s, "first_name", fstr(v[2]));
	ts_set(s, "last_name", fstr(v[3]));
	hc_actx(&x, r);
	if ((e = invite_accept(&x, fstr(v[0]), fstr(v[1]), fstr(v[2]),
	    fstr(v[3]), &o)) != IAM_OK) {
		if (e == IAM_E_INVALID_ONE_TIME_TOKEN ||
		    e == IAM_E_INVALID_TOKEN || e == IAM_E_NOT_FOUND)
			return gone(r);
		if (e == IAM_E_WEAK_PASSWORD)
			x.field = "password";
		return pg_fail(r, &x, e, "invite", s);
	}
	s = pg_scope(r, "Welcome");
	ts_set(s, "message", "You have joined. Sign in with your address "
	    "and the password you chose.");
	ts_set(s, "link_login", "1");
	return pg_render(r, 200, "message", s);
}
