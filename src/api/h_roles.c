/*
 * h_roles.c: /v1/admin/roles and /v1/admin/permissions.
 */
#include "admin.h"
#include "handlers.h"
#include "hcommon.h"
#include "validate.h"

#define NF(spec)	(sizeof(spec) / sizeof(spec[0]))

static const struct field role_spec[] = {
	{ "slug", F_STRING, 1, 63 },
	{ "name", F_STRING, 1, 100 },
	{ "description", F_STRING, 0, 500 },
	{ "permissions", F_STRINGS, 0, 64 },
};

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

enum iam_err
adm_roles_create(struct req *r)
{
	json_object	*v[NF(role_spec)], *o = NULL;
	struct actx	 x;
	enum iam_err	 e;

	if ((e = req_fields(r, role_spec, NF(role_spec), v)) != IAM_OK)
		return e;
	if ((e = hc_nonempty(r, v[1], "name")) != IAM_OK)
		return e;
	hc_actx(&x, r);
	return hc_answer(r, &x, role_create(&x, r->json, &o), &o, 201);
}

enum iam_err
adm_roles_update(struct req *r)
{
	static const struct field spec[] = {
		{ "slug", F_STRING, 0, 63 },
		{ "name", F_STRING, 0, 100 },
		{ "description", F_STRING, 0, 500 },
		{ "permissions", F_STRINGS, 0, 64 },
	};
	const char	*id = hc_uuid(r, "id");
	json_object	*v[NF(spec)], *o = NULL;
	struct actx	 x;
	enum iam_err	 e;

	if (id == NULL)
		return IAM_E_NOT_FOUND;
	if ((e = req_fields(r, spec, NF(spec), v)) != IAM_OK)
		return e;
	if ((e = hc_nonempty(r, v[1], "name")) != IAM_OK)
		return e;
	hc_actx(&x, r);
	return hc_answer(r, &x, role_update(&x, id, r->json, &o), &o, 200);
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
