/*
 * pg_password.c: /forgot-password and /reset-password, and
 * /verify-email (pages for mailed links).  A GET never spends a
 * one-time token (mail scanners open links): it shows a form whose POST
 * does, with the same domain calls as /v1/auth.  The answers never say
 * whether an address has an account.
 */
#include <string.h>

#include "accounts.h"
#include "handlers.h"
#include "hcommon.h"
#include "pages.h"
#include "validate.h"

static enum iam_err
message(struct req *r, int status, const char *title, const char *text,
    int link_login)
{
	struct tscope	*s = pg_scope(r, title);

	ts_set(s, "message", text);
	if (link_login)
		ts_set(s, "link_login", "1");
	return pg_render(r, status, "message", s);
}

enum iam_err
pg_forgot_get(struct req *r)
{
	return pg_render(r, 200, "forgot", pg_scope(r, "Forgot password"));
}

enum iam_err
pg_forgot_post(struct req *r)
{
	json_object	*v[FS_MAX];
	struct actx	 x;
	struct tscope	*s;
	enum iam_err	 e;

	if ((e = req_pairs(r, &r->form, &fs_pg_forgot, v)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	if ((e = acct_forgot_password(&x, fstr(v[0]))) != IAM_OK) {
		s = pg_scope(r, "Forgot password");
		ts_set(s, "email", fstr(v[0]));
		return pg_fail(r, &x, e, "forgot", s);
	}
	return message(r, 200, "Check your mail", "If an account has this "
	    "address, a link to choose a new password is on its way. It is "
	    "valid for one hour.", 0);
}

/* A page holding the token of its query in a form; the GET spends
 * nothing. */
static enum iam_err
token_page(struct req *r, const char *page, const char *title)
{
	json_object	*v[FS_MAX];
	struct tscope	*s;
	enum iam_err	 e;

	if ((e = req_query(r, &fs_pg_token_q, v)) != IAM_OK)
		return e;
	if (fstr(v[0]) == NULL)
		return message(r, 400, title, "This link is incomplete: open "
		    "the link from the mail as it is.", 0);
	s = pg_scope(r, title);
	ts_set(s, "token", fstr(v[0]));
	return pg_render(r, 200, page, s);
}

enum iam_err
pg_reset_get(struct req *r)
{
	return token_page(r, "reset", "Choose a new password");
}

enum iam_err
pg_reset_post(struct req *r)
{
	json_object	*v[FS_MAX];
	struct actx	 x;
	struct tscope	*s;
	enum iam_err	 e;

	if ((e = req_pairs(r, &r->form, &fs_pg_reset, v)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	if ((e = acct_reset_password(&x, fstr(v[0]), fstr(v[1]))) != IAM_OK) {
		if (e == IAM_E_INVALID_ONE_TIME_TOKEN ||
		    e == IAM_E_INVALID_TOKEN)
			return message(r, 400, "Choose a new password",
			    "This link is unknown, used or expired. Ask for "
			    "a new one.", 0);
		s = pg_scope(r, "Choose a new password");
		ts_set(s, "token", fstr(v[0]));
		if (e == IAM_E_WEAK_PASSWORD || x.field != NULL)
			x.field = "password";
		return pg_fail(r, &x, e, "reset", s);
	}
	return message(r, 200, "Password changed", "Your password is "
	    "changed, and every session of your account has ended.", 1);
}

enum iam_err
pg_verify_get(struct req *r)
{
	return token_page(r, "verify", "Confirm your address");
}

enum iam_err
pg_verify_post(struct req *r)
{
	json_object	*v[FS_MAX];
	struct actx	 x;
	enum iam_err	 e;

	if ((e = req_pairs(r, &r->form, &fs_pg_token, v)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	if ((e = acct_verify_email(&x, fstr(v[0]))) != IAM_OK) {
		if (e == IAM_E_INVALID_ONE_TIME_TOKEN ||
		    e == IAM_E_INVALID_TOKEN)
			return message(r, 400, "Confirm your address", "This "
			    "link is unknown, used or expired.", 0);
		return e;
	}
	return message(r, 200, "Address confirmed", "Your email address is "
	    "confirmed.", 1);
}
