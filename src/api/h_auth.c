/*
 * h_auth.c: /v1/auth.  Each handler declares its fields, calls the
 * account rules and shapes the answer of API.md.
 */
#include "admin.h"
#include "conf.h"
#include "handlers.h"
#include "hcommon.h"
#include "validate.h"
#include "env.h"

static json_object *
tokens_json(const struct tokens *t)
{
	json_object	*o = json_object_new_object();

	if (t->user != NULL)
		json_object_object_add(o, "user", json_object_get(t->user));
	json_object_object_add(o, "accessToken",
	    json_object_new_string(t->access));
	json_object_object_add(o, "refreshToken",
	    json_object_new_string(t->refresh));
	json_object_object_add(o, "tokenType", json_object_new_string("Bearer"));
	json_object_object_add(o, "expiresIn",
	    json_object_new_int64(t->expires_in));
	return o;
}

static json_object *
message(const char *text)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "message", json_object_new_string(text));
	return o;
}

enum iam_err
auth_register(struct req *r)
{
	json_object	*v[FS_MAX], *o;
	struct actx	 x;
	enum iam_err	 e;
	char		*uid;

	if ((e = req_fields(r, &fs_register, v)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	if ((e = acct_register(&x, fstr(v[0]), fstr(v[1]), fstr(v[2]),
	    fstr(v[3]), &uid)) != IAM_OK)
		return hc_fail(r, &x, e);
	o = json_object_new_object();
	json_object_object_add(o, "userId", json_object_new_string(uid));
	json_object_object_add(o, "email", json_object_new_string(fstr(v[0])));
	json_object_object_add(o, "message", json_object_new_string(
	    "Registered; check your mail to verify the address"));
	resp_data(r, 201, o);
	return IAM_OK;
}

enum iam_err
auth_login(struct req *r)
{
	json_object	*v[FS_MAX];
	struct tokens	 t;
	struct actx	 x;
	enum iam_err	 e;

	if ((e = req_fields(r, &fs_login, v)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	if ((e = acct_login(&x, fstr(v[0]), fstr(v[1]), &t)) != IAM_OK)
		return hc_fail(r, &x, e);
	resp_data(r, 200, tokens_json(&t));
	return IAM_OK;
}

enum iam_err
auth_refresh(struct req *r)
{
	json_object	*v[FS_MAX];
	struct tokens	 t;
	struct actx	 x;
	enum iam_err	 e;

	if ((e = req_fields(r, &fs_refresh, v)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	if ((e = acct_refresh(&x, fstr(v[0]), &t)) != IAM_OK)
		return hc_fail(r, &x, e);
	resp_data(r, 200, tokens_json(&t));
	return IAM_OK;
}

enum iam_err
auth_logout(struct req *r)
{
	json_object	*v[FS_MAX] = { NULL };
	struct actx	 x;
	enum iam_err	 e;

	if (r->has_json && (e = req_fields(r, &fs_logout, v)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	if ((e = acct_logout(&x, fstr(v[0]))) != IAM_OK)
		return hc_fail(r, &x, e);
	resp_empty(r, 204);
	return IAM_OK;
}

enum iam_err
auth_logout_all(struct req *r)
{
	return hc_empty(r, acct_logout_all);
}

enum iam_err
auth_verify_email(struct req *r)
{
	json_object	*v[FS_MAX];
	struct actx	 x;
	enum iam_err	 e;

	if ((e = req_fields(r, &fs_token, v)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	if ((e = acct_verify_email(&x, fstr(v[0]))) != IAM_OK)
		return hc_fail(r, &x, e);
	resp_data(r, 200, message("Email address verified"));
	return IAM_OK;
}

/* resend-verification and forgot-password: 202 for any address. */
static enum iam_err
mail_request(struct req *r, enum iam_err (*fn)(struct actx *, const char *))
{
	json_object	*v[FS_MAX];
	struct actx	 x;
	enum iam_err	 e;

	if ((e = req_fields(r, &fs_email, v)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	if ((e = fn(&x, fstr(v[0]))) != IAM_OK)
		return hc_fail(r, &x, e);
	resp_data(r, 202, message("If the address is registered, a mail is "
	    "on its way"));
	return IAM_OK;
}

enum iam_err
auth_resend_verification(struct req *r)
{
	return mail_request(r, acct_resend_verification);
}

enum iam_err
auth_forgot_password(struct req *r)
{
	return mail_request(r, acct_forgot_password);
}

enum iam_err
auth_reset_password(struct req *r)
{
	json_object	*v[FS_MAX];
	struct actx	 x;
	enum iam_err	 e;

	if ((e = req_fields(r, &fs_reset_password, v)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	if ((e = acct_reset_password(&x, fstr(v[0]), fstr(v[1]))) != IAM_OK)
		return hc_fail(r, &x, e);
	resp_data(r, 200, message("Password changed; sign in again"));
	return IAM_OK;
}

enum iam_err
auth_onboard(struct req *r)
{
	json_object	*v[FS_MAX], *ov[FS_MAX], *o = NULL;
	struct onboard_in in;
	struct actx	 x;
	enum iam_err	 e;

	/* Off: the route does not exist. */
	if (!r->w->cfg->onboarding_enabled)
		return IAM_E_NOT_FOUND;
	if ((e = req_fields(r, &fs_onboard, v)) != IAM_OK)
		return e;
	/* The catalogue checked organisation as its shape; this reads it. */
	if ((e = req_fields_in(r, v[0], "organisation.", &fs_onboard_org,
	    ov)) != IAM_OK ||
	    (e = hc_nonempty(r, ov[0], "organisation.name")) != IAM_OK)
		return e;
	in.org.name = fstr(ov[0]);
	in.org.slug = fstr(ov[1]);
	in.org.status = NULL;
	in.org.settings = NULL;
	in.email = fstr(v[1]);
	in.password = fstr(v[2]);
	in.first = fstr(v[3]);
	in.last = fstr(v[4]);
	hc_actx(&x, r);
	if ((e = org_onboard(&x, &in, &o)) != IAM_OK)
		return hc_fail(r, &x, e);
	return hc_data(r, 201, o);
}
