/*
 * h_roles.c: /v1/admin/roles and /v1/admin/permissions.
 */
#include "admin.h"
#include "handlers.h"
#include "hcommon.h"
#include "validate.h"

enum iam_err
adm_roles_list(struct req *r)
{
	json_object	*a = NULL;
	struct actx	 x;

	hc_actx(&x, r);
	return hc_answer(r, &x, role_list(&x, &a), &a, 200);
}

enum iam_err
adm_roles_get(struct req *r)
{
	const char	*id = hc_uuid(r, "id");
	json_object	*o = NULL;
	struct actx	 x;

	if (id == NULL)
		return IAM_E_NOT_FOUND;
	hc_actx(&x, r);
	return hc_answer(r, &x, role_get(&x, id, &o), &o, 200);
}

/* fs_role_create and fs_role_update share their order. */
static enum iam_err
role_in(struct req *r, json_object *const *v, struct role_in *in)
{
	enum iam_err	e;

	in->slug = fstr(v[0]);
	in->name = fstr(v[1]);
	in->description = fstr(v[2]);
	in->permissions = hc_strlist(r, v[3], &e);
	return e;
}

enum iam_err
adm_roles_create(struct req *r)
{
	json_object	*v[FS_MAX], *o = NULL;
	struct role_in	 in;
	struct actx	 x;
	enum iam_err	 e;

	if ((e = req_fields(r, &fs_role_create, v)) != IAM_OK)
		return e;
	if ((e = hc_nonempty(r, v[1], "name")) != IAM_OK ||
	    (e = role_in(r, v, &in)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	return hc_answer(r, &x, role_create(&x, &in, &o), &o, 201);
}

enum iam_err
adm_roles_update(struct req *r)
{
	const char	*id = hc_uuid(r, "id");
	json_object	*v[FS_MAX], *o = NULL;
	struct role_in	 in;
	struct actx	 x;
	enum iam_err	 e;

	if (id == NULL)
		return IAM_E_NOT_FOUND;
	if ((e = req_fields(r, &fs_role_update, v)) != IAM_OK)
		return e;
	if ((e = hc_nonempty(r, v[1], "name")) != IAM_OK ||
	    (e = role_in(r, v, &in)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	return hc_answer(r, &x, role_update(&x, id, &in, &o), &o, 200);
}

enum iam_err
adm_roles_delete(struct req *r)
{
	return hc_id_action(r, role_delete);
}

enum iam_err
adm_permissions(struct req *r)
{
	struct actx	x;

	hc_actx(&x, r);
	return hc_data(r, 200, role_permissions(&x));
}
