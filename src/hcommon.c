/*
 * hcommon.c: glue shared by the handler files.
 */
#include <stdio.h>
#include <string.h>

#include "hcommon.h"

void
hc_actx(struct actx *x, struct req *r)
{
	memset(x, 0, sizeof(*x));
	x->w = r->w;
	x->a = r->a;
	x->ip = r->ip;
	x->ua = r->user_agent;
	x->user_id = r->user_id;
	x->org_id = r->org_id;
	x->sid = r->sid;
}

enum iam_err
hc_fail(struct req *r, const struct actx *x, enum iam_err e)
{
	json_object	*d, *o;
	char		 v[24];

	if (e == IAM_E_TOO_MANY_ATTEMPTS) {
		snprintf(v, sizeof(v), "%lld", (long long)(x->retry_after > 0 ?
		    x->retry_after : 1));
		resp_header(r, "Retry-After", v);
		d = json_object_new_array();
		o = json_object_new_object();
		json_object_object_add(o, "retryAfter",
		    json_object_new_int64(x->retry_after > 0 ?
		    x->retry_after : 1));
		json_object_array_add(d, o);
		resp_error(r, e, NULL, d);
	} else if (x->field != NULL)
		resp_field_error(r, e, x->field, x->message ? x->message :
		    iam_err_message(e));
	else
		resp_error(r, e, NULL, NULL);
	return e;
}

enum iam_err
hc_empty(struct req *r, enum iam_err (*fn)(struct actx *))
{
	struct actx	x;
	enum iam_err	e;

	hc_actx(&x, r);
	if ((e = fn(&x)) != IAM_OK)
		return hc_fail(r, &x, e);
	resp_empty(r, 204);
	return IAM_OK;
}
