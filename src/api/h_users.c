/*
 * h_users.c: /v1/admin/users.  The dispatcher has checked the route's
 * permission against the database; the domain (members.c) applies the
 * rules about whom the caller may change.
 */
#include "admin.h"
#include "handlers.h"
#include "hcommon.h"
#include "validate.h"

enum iam_err
adm_users_list(struct req *r)
{
	struct user_query	 q;
	struct page		 pg;
	struct listq		 lq;
	struct actx		 x;
	json_object		*v[FS_MAX];
	enum iam_err		 e;

	if ((e = hc_listq(r, &fs_users_query, v, &pg, &lq)) != IAM_OK)
		return e;
	q.search = fstr(v[2]);
	q.role = fstr(v[3]);
	q.status = fstr(v[4]);
	q.sort = fstr(v[5]);
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
	json_object	*v[FS_MAX], *u = NULL;
	struct member_in m;
	struct actx	 x;
	enum iam_err	 e;

	if ((e = req_fields(r, &fs_member_create, v)) != IAM_OK)
		return e;
	m.email = fstr(v[0]);
	m.password = fstr(v[1]);
	m.first = fstr(v[2]);
	m.last = fstr(v[3]);
	m.status = fstr(v[5]);
	m.verified = fbool(v[6]);
	if ((m.roles = hc_strlist(r, v[4], &e)) == NULL && e != IAM_OK)
		return e;
	hc_actx(&x, r);
	return hc_answer(r, &x, member_create(&x, &m, &u), &u, 201);
}

enum iam_err
adm_users_update(struct req *r)
{
	const char	*id = hc_uuid(r, "id");
	json_object	*v[FS_MAX], *u = NULL;
	struct member_patch m;
	struct actx	 x;
	enum iam_err	 e;

	if (id == NULL)
		return IAM_E_NOT_FOUND;
	if ((e = req_fields(r, &fs_member_update, v)) != IAM_OK)
		return e;
	hc_profile(v, &m.profile);
	m.status = fstr(v[5]);
	hc_actx(&x, r);
	return hc_answer(r, &x, member_update(&x, id, &m, &u), &u, 200);
}

enum iam_err
adm_users_roles(struct req *r)
{
	const char	*id = hc_uuid(r, "id");
	json_object	*v[FS_MAX], *u = NULL;
	struct actx	 x;
	enum iam_err	 e;

	if (id == NULL)
		return IAM_E_NOT_FOUND;
	struct strlist	*roles;

	if ((e = req_fields(r, &fs_member_roles, v)) != IAM_OK)
		return e;
	if ((roles = hc_strlist(r, v[0], &e)) == NULL)
		return e != IAM_OK ? e : IAM_E_INTERNAL;
	hc_actx(&x, r);
	return hc_answer(r, &x, member_set_roles(&x, id, roles, &u), &u, 200);
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
