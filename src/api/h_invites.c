/*
 * h_invites.c: invitations: the organisation's (/v1/admin/invitations)
 * and the invitee's (/v1/public/invitations/:token).
 */
#include <string.h>

#include "admin.h"
#include "handlers.h"
#include "hcommon.h"
#include "validate.h"

enum iam_err
adm_invites_list(struct req *r)
{
	return hc_paged(r, invite_list);
}

enum iam_err
adm_invites_create(struct req *r)
{
	json_object	*v[FS_MAX], *o = NULL;
	struct actx	 x;
	enum iam_err	 e;

	if ((e = req_fields(r, &fs_invite_create, v)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	if ((e = invite_create(&x, fstr(v[0]), fstr(v[1]), &o)) != IAM_OK)
		return hc_fail(r, &x, e);
	return hc_data(r, 201, o);
}

enum iam_err
adm_invites_revoke(struct req *r)
{
	return hc_id_action(r, invite_revoke);
}

enum iam_err
adm_invites_resend(struct req *r)
{
	return hc_id_action(r, invite_resend);
}

/* The token from the path: a base64url string of sane length, or NULL. */
static const char *
token(struct req *r)
{
	const char	*t = kv_get(&r->params, "token");
	size_t		 i;

	if (t == NULL || strlen(t) < 16 || strlen(t) > 128)
		return NULL;
	for (i = 0; t[i] != '\0'; i++)
		if (!((t[i] >= 'A' && t[i] <= 'Z') ||
		    (t[i] >= 'a' && t[i] <= 'z') ||
		    (t[i] >= '0' && t[i] <= '9') || t[i] == '-' ||
		    t[i] == '_'))
			return NULL;
	return t;
}

enum iam_err
pub_invite_get(struct req *r)
{
	const char	*t = token(r);
	json_object	*o = NULL;
	struct actx	 x;
	enum iam_err	 e;

	if (t == NULL)
		return IAM_E_NOT_FOUND;
	hc_actx(&x, r);
	if ((e = invite_public(&x, t, &o)) != IAM_OK)
		return hc_fail(r, &x, e);
	return hc_data(r, 200, o);
}

enum iam_err
pub_invite_accept(struct req *r)
{
	const char	*t = token(r);
	json_object	*v[FS_MAX], *o = NULL;
	struct actx	 x;
	enum iam_err	 e;

	if ((e = req_fields(r, &fs_invite_accept, v)) != IAM_OK)
		return e;
	if (t == NULL) {
		resp_field_error(r, IAM_E_INVALID_ONE_TIME_TOKEN, "token",
		    "The invitation is unknown, used or expired");
		return IAM_E_INVALID_ONE_TIME_TOKEN;
	}
	hc_actx(&x, r);
	if ((e = invite_accept(&x, t, fstr(v[0]), fstr(v[1]), fstr(v[2]),
	    &o)) != IAM_OK)
		return hc_fail(r, &x, e);
	return hc_data(r, 201, o);
}
