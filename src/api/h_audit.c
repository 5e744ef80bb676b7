/*
 * h_audit.c: /v1/admin/audit-logs.
 */
#include "admin.h"
#include "handlers.h"
#include "hcommon.h"
#include "validate.h"

enum iam_err
adm_audit_list(struct req *r)
{
	struct audit_query	 q;
	struct page		 pg;
	struct listq		 lq;
	struct actx		 x;
	json_object		*v[FS_MAX];
	enum iam_err		 e;

	if ((e = hc_listq(r, &fs_audit_query, v, &pg, &lq)) != IAM_OK)
		return e;
	q.actor = fstr(v[2]);
	q.action = fstr(v[3]);
	q.category = fstr(v[4]);
	q.target = fstr(v[5]);
	q.success = fstr(v[6]);
	q.since = fstr(v[7]);
	q.until = fstr(v[8]);
	hc_actx(&x, r);
	if ((e = auditq_list(&x, &q, &lq)) != IAM_OK)
		return hc_fail(r, &x, e);
	hc_list(r, &pg, lq.items, lq.total);
	return IAM_OK;
}

enum iam_err
adm_audit_get(struct req *r)
{
	const char	*id = kv_get(&r->params, "id");
	json_object	*o = NULL;
	struct actx	 x;
	enum iam_err	 e;

	hc_actx(&x, r);
	if ((e = auditq_get(&x, id, &o)) != IAM_OK)
		return hc_fail(r, &x, e);
	return hc_data(r, 200, o);
}

enum iam_err
adm_audit_verify(struct req *r)
{
	json_object	*o = NULL;
	struct actx	 x;
	enum iam_err	 e;

	hc_actx(&x, r);
	if ((e = auditq_verify(&x, &o)) != IAM_OK)
		return hc_fail(r, &x, e);
	return hc_data(r, 200, o);
}
