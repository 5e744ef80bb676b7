/*
 * h_me.c: /v1/me, the caller's own account.  The dispatcher has already
 * verified the access token; r->user_id is the caller.
 */
#include "handlers.h"
#include "hcommon.h"
#include "parse.h"
#include "validate.h"

enum iam_err
me_get(struct req *r)
{
	struct actx	 x;
	json_object	*u;
	enum iam_err	 e;

	hc_actx(&x, r);
	if ((u = acct_user(&x, r->user_id, 1, &e)) == NULL)
		return e == IAM_E_NOT_FOUND ? IAM_E_UNAUTHORIZED : e;
	resp_data(r, 200, json_object_get(u));
	return IAM_OK;
}

enum iam_err
me_update(struct req *r)
{
	json_object	*v[FS_MAX], *u;
	struct profile_in p;
	struct actx	 x;
	enum iam_err	 e;

	if ((e = req_fields(r, &fs_profile, v)) != IAM_OK)
		return e;
	hc_profile(v, &p);
	hc_actx(&x, r);
	if ((e = acct_update_profile(&x, &p, &u)) != IAM_OK)
		return hc_fail(r, &x, e);
	resp_data(r, 200, json_object_get(u));
	return IAM_OK;
}

enum iam_err
me_password(struct req *r)
{
	json_object	*v[FS_MAX], *o;
	struct actx	 x;
	enum iam_err	 e;

	if ((e = req_fields(r, &fs_password_change, v)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	if ((e = acct_change_password(&x, fstr(v[0]), fstr(v[1]))) != IAM_OK)
		return hc_fail(r, &x, e);
	o = json_object_new_object();
	json_object_object_add(o, "message", json_object_new_string(
	    "Password changed; other sessions ended"));
	resp_data(r, 200, o);
	return IAM_OK;
}

enum iam_err
me_sessions(struct req *r)
{
	struct actx	 x;
	json_object	*list;
	enum iam_err	 e;

	hc_actx(&x, r);
	if ((e = acct_sessions(&x, &list)) != IAM_OK)
		return hc_fail(r, &x, e);
	resp_data(r, 200, list);
	return IAM_OK;
}

enum iam_err
me_end_session(struct req *r)
{
	struct actx	x;
	enum iam_err	e;

	hc_actx(&x, r);
	if ((e = acct_end_session(&x, kv_get(&r->params, "id"))) != IAM_OK)
		return hc_fail(r, &x, e);
	resp_empty(r, 204);
	return IAM_OK;
}

enum iam_err
me_end_other_sessions(struct req *r)
{
	return hc_empty(r, acct_end_other_sessions);
}

enum iam_err
me_export(struct req *r)
{
	struct actx	 x;
	json_object	*doc;
	enum iam_err	 e;

	hc_actx(&x, r);
	if ((e = acct_export(&x, &doc)) != IAM_OK)
		return hc_fail(r, &x, e);
	resp_data(r, 200, doc);
	return IAM_OK;
}

enum iam_err
me_delete(struct req *r)
{
	json_object	*v[FS_MAX];
	struct actx	 x;
	enum iam_err	 e;

	if ((e = req_fields(r, &fs_password_confirm, v)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	if ((e = acct_delete(&x, fstr(v[0]))) != IAM_OK)
		return hc_fail(r, &x, e);
	resp_empty(r, 204);
	return IAM_OK;
}
