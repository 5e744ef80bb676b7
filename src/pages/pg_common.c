/*
 * pg_common.c: what every hosted page shares: its scope (title, the
 * CSRF value its forms carry, who is signed in), its headers (a strict
 * CSP, no framing, no caching), redirects, return_to, and the error
 * page the dispatcher shows for a refusal made before a handler ran.
 * Every value reaches the browser through a template (html.h).
 */
#include <stdio.h>
#include <string.h>

#include "accounts.h"
#include "conf.h"
#include "cookie.h"
#include "crypto.h"
#include "env.h"
#include "handlers.h"
#include "pages.h"
#include "parse.h"

#define CSP	"default-src 'none'; style-src 'self'; img-src 'self' data:; " \
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

/* The value a form's _csrf carries: the iam_csrf cookie the browser
 * holds, or a new one set now (before sign-in: a double-submit token). */
static const char *
csrf_value(struct req *r)
{
	const char	*v = kv_get(&r->cookies, COOKIE_CSRF);
	unsigned char	 rnd[32];
	char		*s;
	size_t		 n;

	if (v != NULL && strlen(v) == 43 &&
	    b64url_decode(r->a, v, 43, &n) != NULL && n == 32)
		return v;
	if (crypto_random(rnd, sizeof(rnd)) == -1)
		return "";
	s = b64url_encode(r->a, rnd, sizeof(rnd));
	crypto_wipe(rnd, sizeof(rnd));
	if (s == NULL)
		return "";
	cookie_set(r, COOKIE_CSRF, s, 0);
	return s;
}

struct tscope *
pg_scope(struct req *r, const char *title)
{
	struct tscope	*s = ts_new(r->a, NULL);

	ts_set(s, "title", title);
	ts_set(s, "csrf", csrf_value(r));
	ts_set(s, "css_version", tmpl_css_version());
	if (r->via_cookie)
		ts_set(s, "signed_in", r->email);
	return s;
}

static void
page_headers(struct req *r)
{
	const char	*csp = NULL;

	if (r->form_origin != NULL)
		csp = arena_printf(r->a, "default-src 'none'; style-src "
		    "'self'; img-src 'self' data:; form-action 'self' %s; "
		    "frame-ancestors 'none'; base-uri 'none'", r->form_origin);
	resp_header(r, "Content-Security-Policy", csp != NULL ? csp : CSP);
	resp_header(r, "X-Frame-Options", "DENY");
	resp_header(r, "Cache-Control", "no-store");
}

enum iam_err
pg_render(struct req *r, int status, const char *page, struct tscope *s)
{
	struct buf	b;

	buf_init(&b, r->a);
	if (s == NULL || tmpl_render(&b, page, s) == -1) {
		resp_error(r, IAM_E_INTERNAL, NULL, NULL);
		return IAM_E_INTERNAL;
	}
	page_headers(r);
	resp_text(r, status, "text/html; charset=utf-8", b.data, b.len);
	r->err = IAM_OK;
	return IAM_OK;
}

enum iam_err
pg_redirect(struct req *r, const char *location)
{
	resp_header(r, "Location", location);
	resp_header(r, "Cache-Control", "no-store");
	resp_text(r, 303, "text/plain; charset=utf-8", "", 0);
	r->err = IAM_OK;
	return IAM_OK;
}

const char *
pg_return_to(struct req *r, const char *v)
{
	size_t	n;

	if (!return_to_ok(v, r->w->cfg->session_cookie_domain))
		return NULL;
	if (v[0] != '/') {		/* scheme://host[:port], checked */
		n = strcspn(strstr(v, "//") + 2, "/?#");
		r->form_origin = arena_strndup(r->a, v, (size_t)(strstr(v,
		    "//") + 2 - v) + n);
	}
	return v;
}

const char *
pg_jstr(json_object *o, const char *k)
{
	json_object	*v;

	if (o == NULL || !json_object_object_get_ex(o, k, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

const char *
pg_wait_words(struct req *r, int64_t s)
{
	if (s < 1)
		s = 1;
	if (s < 60)
		return arena_printf(r->a, "%lld second%s", (long long)s,
		    s == 1 ? "" : "s");
	if (s < 5400)
		return arena_printf(r->a, "%lld minute%s",
		    (long long)((s + 59) / 60), s <= 60 ? "" : "s");
	return arena_printf(r->a, "%lld hours", (long long)((s + 3599) / 3600));
}

/* The sentence a page shows for a domain error. */
static const char *
sentence(enum iam_err e)
{
	switch (e) {
	case IAM_E_INVALID_CREDENTIALS:
		return "The email address or the password is not right.";
	case IAM_E_EMAIL_NOT_VERIFIED:
		return "Confirm your email address first: we sent you a link.";
	case IAM_E_ACCOUNT_SUSPENDED:
		return "This account is suspended.";
	case IAM_E_PASSWORD_RESET_REQUIRED:
		return "You must choose a new password: we sent you a link.";
	case IAM_E_INVALID_ONE_TIME_TOKEN:
	case IAM_E_INVALID_TOKEN:
		return "This link is unknown, used or expired.";
	case IAM_E_WEAK_PASSWORD:
		return "Choose a stronger password.";
	case IAM_E_CSRF_FAILED:
		return "This form has expired. Go back, reload the page and "
		    "try again.";
	case IAM_E_SERVICE_UNAVAILABLE:
		return "The service is unavailable for a moment. Try again "
		    "shortly.";
	default:
		return iam_err_message(e);
	}
}

enum iam_err
pg_fail(struct req *r, const struct actx *x, enum iam_err e,
    const char *page, struct tscope *s)
{
	char	v[24];

	if (e == IAM_E_TOO_MANY_ATTEMPTS) {
		snprintf(v, sizeof(v), "%lld", (long long)(x->retry_after > 0 ?
		    x->retry_after : 1));
		resp_header(r, "Retry-After", v);
		ts_set(s, "error", arena_printf(r->a, "Too many attempts. Try "
		    "again in %s.", pg_wait_words(r, x->retry_after)));
	} else if (x->field != NULL) {
		ts_set(s, "error", x->message != NULL ? x->message :
		    sentence(e));
		ts_set(s, arena_printf(r->a, "error_%s", x->field), "1");
	} else
		ts_set(s, "error", sentence(e));
	if (e == IAM_E_SERVICE_UNAVAILABLE)
		resp_header(r, "Retry-After", "5");
	return pg_render(r, iam_err_status(e), page, s);
}

void
pg_error_page(struct req *r)
{
	struct tscope	*s;
	const char	*ra = NULL;
	int64_t		 secs;
	int		 status = r->status;
	size_t		 i;

	for (i = 0; i < r->nhdrs; i++)
		if (strcmp(r->hdrs[i].name, "Retry-After") == 0)
			ra = r->hdrs[i].val;
	s = ts_new(r->a, NULL);
	ts_set(s, "css_version", tmpl_css_version());
	ts_set(s, "title", status == 403 ? "Not allowed" : status == 429 ?
	    "Slow down" : "Something is wrong");
	if (ra != NULL && parse_int(ra, 1, 86400 * 366, &secs) == 0 &&
	    status == 429)
		ts_set(s, "message", arena_printf(r->a, "Too many requests. "
		    "Try again in %s.", pg_wait_words(r, secs)));
	else
		ts_set(s, "message", sentence(r->err));
	r->body.len = 0;
	(void)pg_render(r, status, "message", s);
}

enum iam_err
pg_css(struct req *r)
{
	const char	*css;
	size_t		 len;

	if ((css = tmpl_css(&len)) == NULL)
		return IAM_E_NOT_FOUND;
	/* The layout links it with its version: a new one is a new URL. */
	resp_header(r, "Cache-Control", "public, max-age=31536000, immutable");
	resp_text(r, 200, "text/css; charset=utf-8", css, len);
	return IAM_OK;
}
