/*
 * h_system.c: breach response routes (under /v1/system/), for system
 * administrators.  Each answers {affected: n}.
 */
#include "admin.h"
#include "handlers.h"
#include "hcommon.h"
#include "parse.h"
#include "validate.h"

static enum iam_err
affected(struct req *r, struct actx *x, enum iam_err e, int64_t n)
{
	json_object	*o;

	if (e != IAM_OK)
		return hc_fail(r, x, e);
	o = json_object_new_object();
	json_object_object_add(o, "affected", json_object_new_int64(n));
	resp_data(r, 200, o);
	return IAM_OK;
}

/* A POST that may come without a body, or with an empty JSON object. */
static enum iam_err
no_fields(struct req *r)
{
	json_object	*v[1];

	if (!r->has_json)
		return IAM_OK;
	return req_fields(r, &fs_empty, v);
}

enum iam_err
sys_revoke_tokens(struct req *r)
{
	json_object	*v[FS_MAX];
	struct actx	 x;
	enum iam_err	 e;
	int64_t		 n = 0;
	size_t		 i;

	for (i = 0; i < FS_MAX; i++)
		v[i] = NULL;
	if (r->has_json && (e = req_fields(r, &fs_breach_revoke, v)) != IAM_OK)
		return e;
	if (v[0] != NULL && v[1] != NULL) {
		resp_field_error(r, IAM_E_VALIDATION, "userId",
		    "give organisationId or userId, not both");
		return IAM_E_VALIDATION;
	}
	hc_actx(&x, r);
	e = breach_revoke(&x, fstr(v[0]), fstr(v[1]), &n);
	return affected(r, &x, e, n);
}

/* A breach action without arguments. */
static enum iam_err
bare(struct req *r, enum iam_err (*fn)(struct actx *, int64_t *))
{
	struct actx	x;
	enum iam_err	e;
	int64_t		n = 0;

	if ((e = no_fields(r)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	e = fn(&x, &n);
	return affected(r, &x, e, n);
}

enum iam_err
sys_force_reset(struct req *r)
{
	return bare(r, breach_force_reset);
}

enum iam_err
sys_rotate_signing(struct req *r)
{
	return bare(r, breach_rotate_signing);
}

enum iam_err
sys_rotate_encryption(struct req *r)
{
	return bare(r, breach_rotate_encryption);
}
