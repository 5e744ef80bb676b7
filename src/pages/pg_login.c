/*
 * pg_login.c: /login and /logout.  Sign-in takes the password step the
 * JSON login takes (acct_login_browser) and starts a browser session:
 * a new iam_sid every time (a planted one is never kept) and a new
 * iam_csrf bound to it.  Sign-out is a confirming POST: a link cannot
 * sign anyone out.
 */
#include <string.h>
#include <time.h>

#include "accounts.h"
#include "cookie.h"
#include "handlers.h"
#include "hcommon.h"
#include "pages.h"
#include "validate.h"

static struct tscope *
login_scope(struct req *r, const char *email, const char *ret)
{
	struct tscope	*s = pg_scope(r, "Sign in");

	ts_set(s, "email", email);
	ts_set(s, "return_to", ret);
	return s;
}

enum iam_err
pg_login_get(struct req *r)
{
	json_object	*v[FS_MAX];
	const char	*ret;
	enum iam_err	 e;

	if ((e = req_query(r, &fs_pg_return_q, v)) != IAM_OK)
		return e;
	ret = pg_return_to(r, fstr(v[0]));
	if (r->via_cookie)
		return pg_redirect(r, ret != NULL ? ret : "/account");
	return pg_render(r, 200, "login", login_scope(r, NULL, ret));
}

enum iam_err
pg_login_post(struct req *r)
{
	json_object		*v[FS_MAX];
	struct browser_login	 b;
	struct actx		 x;
	const char		*ret;
	enum iam_err		 e;
	int64_t			 left;

	if ((e = req_pairs(r, &r->form, &fs_pg_login, v)) != IAM_OK)
		return e;
	ret = pg_return_to(r, fstr(v[3]));
	hc_actx(&x, r);
	if ((e = acct_login_browser(&x, fstr(v[0]), fstr(v[1]), &b)) !=
	    IAM_OK)
		return pg_fail(r, &x, e, "login", login_scope(r, fstr(v[0]),
		    ret));
	/* A session this browser held before (someone else's, maybe) ends:
	 * its cookie is replaced, and nobody else should hold it. */
	if (r->via_cookie) {
		hc_actx(&x, r);
		(void)acct_end_browser_session(&x);
	}
	left = b.expires - time(NULL);
	cookie_set(r, COOKIE_SID, b.cookie, left > 0 ? left : 1);
	cookie_set(r, COOKIE_CSRF, b.csrf, left > 0 ? left : 1);
	return pg_redirect(r, ret != NULL ? ret : "/account");
}

enum iam_err
pg_logout_get(struct req *r)
{
	struct tscope	*s = pg_scope(r, "Sign out");

	return pg_render(r, 200, "logout", s);
}

enum iam_err
pg_logout_post(struct req *r)
{
	json_object	*v[FS_MAX];
	struct actx	 x;
	struct tscope	*s;
	enum iam_err	 e;

	if ((e = req_pairs(r, &r->form, &fs_pg_csrf, v)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	if ((e = acct_end_browser_session(&x)) != IAM_OK)
		return pg_fail(r, &x, e, "logout", pg_scope(r, "Sign out"));
	cookie_clear(r, COOKIE_SID);
	cookie_clear(r, COOKIE_CSRF);
	r->via_cookie = 0;
	s = ts_new(r->a, NULL);
	ts_set(s, "title", "Signed out");
	ts_set(s, "css_version", tmpl_css_version());
	ts_set(s, "message", "You are signed out.");
	ts_set(s, "link_login", "1");
	return pg_render(r, 200, "message", s);
}
