/*
 * h_org.c: the caller's organisation (/v1/admin/organisation) and every
 * organisation for system administrators (/v1/system/organisations).
 */
#include "admin.h"
#include "handlers.h"
#include "hcommon.h"
#include "validate.h"

enum iam_err
adm_org_get(struct req *r)
{
	json_object	*o = NULL;
	struct actx	 x;

	hc_actx(&x, r);
	return hc_answer(r, &x, org_get(&x, r->org_id, &o), &o, 200);
}

enum iam_err
adm_org_update(struct req *r)
{
	json_object	*v[FS_MAX], *o = NULL;
	struct actx	 x;
	enum iam_err	 e;

	struct org_in	 in = { NULL, NULL, NULL, NULL };

	if ((e = req_fields(r, &fs_org_update, v)) != IAM_OK ||
	    (e = hc_nonempty(r, v[0], "name")) != IAM_OK)
		return e;
	in.name = fstr(v[0]);
	in.settings = v[1];
	hc_actx(&x, r);
	return hc_answer(r, &x, org_update(&x, &in, &o), &o, 200);
}

enum iam_err
sys_orgs_list(struct req *r)
{
	struct page	 pg;
	struct listq	 lq;
	struct actx	 x;
	json_object	*v[FS_MAX];
	enum iam_err	 e;

	if ((e = hc_listq(r, &fs_status_query, v, &pg, &lq)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	if ((e = org_list(&x, fstr(v[2]), &lq)) != IAM_OK)
		return hc_fail(r, &x, e);
	hc_list(r, &pg, lq.items, lq.total);
	return IAM_OK;
}

enum iam_err
sys_orgs_create(struct req *r)
{
	json_object	*v[FS_MAX], *o = NULL;
	struct actx	 x;
	enum iam_err	 e;

	struct org_in	 in = { NULL, NULL, NULL, NULL };

	if ((e = req_fields(r, &fs_org_create, v)) != IAM_OK ||
	    (e = hc_nonempty(r, v[0], "name")) != IAM_OK)
		return e;
	in.name = fstr(v[0]);
	in.slug = fstr(v[1]);
	in.settings = v[2];
	hc_actx(&x, r);
	return hc_answer(r, &x, org_create(&x, &in, &o), &o, 201);
}

enum iam_err
sys_orgs_update(struct req *r)
{
	const char	*id = hc_uuid(r, "id");
	json_object	*v[FS_MAX], *o = NULL;
	struct actx	 x;
	enum iam_err	 e;

	if (id == NULL)
		return IAM_E_NOT_FOUND;
	struct org_in	 in = { NULL, NULL, NULL, NULL };

	if ((e = req_fields(r, &fs_org_patch, v)) != IAM_OK ||
	    (e = hc_nonempty(r, v[0], "name")) != IAM_OK)
		return e;
	in.name = fstr(v[0]);
	in.status = fstr(v[1]);
	hc_actx(&x, r);
	return hc_answer(r, &x, org_patch(&x, id, &in, &o), &o, 200);
}

enum iam_err
sys_orgs_delete(struct req *r)
{
	return hc_id_action(r, org_delete);
}
