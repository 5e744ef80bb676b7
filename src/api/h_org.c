/*
 * h_org.c: the caller's organisation (/v1/admin/organisation) and every
 * organisation for system administrators (/v1/system/organisations).
 */
#include "admin.h"
#include "handlers.h"
#include "hcommon.h"
#include "validate.h"

#define NF(spec)	(sizeof(spec) / sizeof(spec[0]))

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
	static const struct field spec[] = {
		{ "name", F_STRING, 0, 100 },
		{ "settings", F_OBJECT, 0, 0 },
	};
	json_object	*v[NF(spec)], *o = NULL;
	struct actx	 x;
	enum iam_err	 e;

	if ((e = req_fields(r, spec, NF(spec), v)) != IAM_OK ||
	    (e = hc_nonempty(r, v[0], "name")) != IAM_OK)
		return e;
	hc_actx(&x, r);
	return hc_answer(r, &x, org_update(&x, r->json, &o), &o, 200);
}

enum iam_err
sys_orgs_list(struct req *r)
{
	struct page	 pg;
	struct listq	 lq;
	struct actx	 x;
	enum iam_err	 e;

	if ((e = hc_listq(r, &pg, &lq)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	if ((e = org_list(&x, hc_query(r, "status"), &lq)) != IAM_OK)
		return hc_fail(r, &x, e);
	hc_list(r, &pg, lq.items, lq.total);
	return IAM_OK;
}

enum iam_err
sys_orgs_create(struct req *r)
{
	static const struct field spec[] = {
		{ "name", F_STRING, 1, 100 },
		{ "slug", F_STRING, 1, 63 },
		{ "settings", F_OBJECT, 0, 0 },
	};
	json_object	*v[NF(spec)], *o = NULL;
	struct actx	 x;
	enum iam_err	 e;

	if ((e = req_fields(r, spec, NF(spec), v)) != IAM_OK ||
	    (e = hc_nonempty(r, v[0], "name")) != IAM_OK)
		return e;
	hc_actx(&x, r);
	return hc_answer(r, &x, org_create(&x, r->json, &o), &o, 201);
}

enum iam_err
sys_orgs_update(struct req *r)
{
	static const struct field spec[] = {
		{ "name", F_STRING, 0, 100 },
		{ "status", F_STRING, 0, 20 },
	};
	const char	*id = hc_uuid(r, "id");
	json_object	*v[NF(spec)], *o = NULL;
	struct actx	 x;
	enum iam_err	 e;

	if (id == NULL)
		return IAM_E_NOT_FOUND;
	if ((e = req_fields(r, spec, NF(spec), v)) != IAM_OK ||
	    (e = hc_nonempty(r, v[0], "name")) != IAM_OK)
		return e;
	hc_actx(&x, r);
	return hc_answer(r, &x, org_patch(&x, id, r->json, &o), &o, 200);
}

enum iam_err
sys_orgs_delete(struct req *r)
{
	return hc_id_action(r, org_delete);
}
