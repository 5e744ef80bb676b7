/*
 * h_users.c: /v1/admin/users.  The dispatcher has checked the route's
 * permission against the database; the domain (members.c) applies the
 * rules about whom the caller may change.
 */
#include "admin.h"
#include "handlers.h"
#include "hcommon.h"
#include "validate.h"

#define NF(spec)	(sizeof(spec) / sizeof(spec[0]))

enum iam_err
adm_users_list(struct req *r)
{
	struct user_query	 q;
	struct page		 pg;
	struct listq		 lq;
	struct actx		 x;
	enum iam_err		 e;

	if ((e = hc_listq(r, &pg, &lq)) != IAM_OK)
		return e;
	q.search = hc_query(r, "search");
	q.role = hc_query(r, "role");
	q.status = hc_query(r, "status");
	q.sort = hc_query(r, "sort");
	hc_actx(&x, r);
	if ((e = member_list(&x, &q, &lq)) != IAM_OK)
		return hc_fail(r, &x, e);
	hc_list(r, &pg, lq.items, lq.total);
	return IAM_OK;
}

enum iam_err
adm_users_get(struct req *r)
{
	const char	*id = hc_uuid(r, "id");
	json_object	*u = NULL;
	struct actx	 x;

	if (id == NULL)
		return IAM_E_NOT_FOUND;
	hc_actx(&x, r);
	return hc_answer(r, &x, member_get(&x, id, &u), &u, 200);
}

enum iam_err
adm_users_create(struct req *r)
{
	static const struct field spec[] = {
		{ "email", F_EMAIL, 1, 0 },
		{ "password", F_SECRET, 0, 1024 },
		{ "firstName", F_STRING, 0, 100 },
		{ "lastName", F_STRING, 0, 100 },
		{ "roles", F_STRINGS, 0, 20 },
		{ "status", F_STRING, 0, 20 },
		{ "emailVerified", F_BOOL, 0, 0 },
	};
	json_object	*v[NF(spec)], *u = NULL;
	struct actx	 x;
	enum iam_err	 e;

	if ((e = req_fields(r, spec, NF(spec), v)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	return hc_answer(r, &x, member_create(&x, r->json, &u), &u, 201);
}

enum iam_err
adm_users_update(struct req *r)
{
	static const struct field spec[] = {
		{ "firstName", F_STRING, 0, 100 },
		{ "lastName", F_STRING, 0, 100 },
		{ "phone", F_STRING, 0, 32 },
		{ "preferences", F_OBJECT, 0, 0 },
		{ "addresses", F_ADDRESSES, 0, 10 },
		{ "status", F_STRING, 0, 20 },
	};
	const char	*id = hc_uuid(r, "id");
	json_object	*v[NF(spec)], *u = NULL;
	struct actx	 x;
	enum iam_err	 e;

	if (id == NULL)
		return IAM_E_NOT_FOUND;
	if ((e = req_fields(r, spec, NF(spec), v)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	return hc_answer(r, &x, member_update(&x, id, r->json, &u), &u, 200);
}

enum iam_err
adm_users_roles(struct req *r)
{
	static const struct field spec[] = {
		{ "roles", F_STRINGS, 1, 20 },
	};
	const char	*id = hc_uuid(r, "id");
	json_object	*v[NF(spec)], *u = NULL;
	struct actx	 x;
	enum iam_err	 e;

	if (id == NULL)
		return IAM_E_NOT_FOUND;
	if ((e = req_fields(r, spec, NF(spec), v)) != IAM_OK)
		return e;
	hc_actx(&x, r);
	return hc_answer(r, &x, member_set_roles(&x, id, v[0], &u), &u, 200);
}

enum iam_err
adm_users_delete(struct req *r)
{
	return hc_id_action(r, member_delete);
}

enum iam_err
adm_users_revoke(struct req *r)
{
	return hc_id_action(r, member_revoke_sessions);
}

enum iam_err
adm_users_force_reset(struct req *r)
{
	return hc_id_action(r, member_force_reset);
}
