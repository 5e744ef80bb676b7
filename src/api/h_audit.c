/*
 * h_audit.c: /v1/admin/audit-logs.
 */
#include "admin.h"
#include "handlers.h"
#include "hcommon.h"

enum iam_err
adm_audit_list(struct req *r)
{
	struct audit_query	 q;
	struct page		 pg;
	struct listq		 lq;
	struct actx		 x;
	enum iam_err		 e;

	if ((e = hc_listq(r, &pg, &lq)) != IAM_OK)
		return e;
	q.actor = hc_query(r, "actor");
	q.action = hc_query(r, "action");
	q.category = hc_query(r, "category");
	q.target = hc_query(r, "target");
	q.success = hc_query(r, "success");
	q.since = hc_query(r, "since");
	q.until = hc_query(r, "until");
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
