/*
 * h_clients.c: /v1/admin/clients: the organisation's OAuth clients
 * (clients:read, clients:write).  The fields are the catalogue's
 * (fs_client_create, fs_client_update); the rules are clients.c's.
 */
#include "admin.h"
#include "handlers.h"
#include "hcommon.h"
#include "oauth.h"
#include "validate.h"

/* The checked values (fs_client_*'s order) as the domain's input. */
static void
client_in(json_object *const *v, struct client_in *in)
{
	in->name = fstr(v[0]);
	in->redirect_uris = v[1];
	in->post_logout_uris = v[2];
	in->grant_types = v[3];
	in->method = fstr(v[4]);
	in->scopes = v[5];
	in->first_party = fbool(v[6]);
	in->require_pkce = fbool(v[7]);
	in->alg = fstr(v[8]);
}

enum iam_err
adm_clients_list(struct req *r)
{
	return hc_paged(r, client_list);
}

enum iam_err
adm_clients_create(struct req *r)
{
	json_object		*v[FS_MAX], *o = NULL;
	struct client_in	 in;
	struct actx		 x;
	enum iam_err		 e;

	if ((e = req_fields(r, &fs_client_create, v)) != IAM_OK)
		return e;
	client_in(v, &in);
	hc_actx(&x, r);
	return hc_answer(r, &x, client_create(&x, &in, &o), &o, 201);
}

enum iam_err
adm_clients_get(struct req *r)
{
	const char	*id = hc_uuid(r, "id");
	json_object	*o = NULL;
	struct actx	 x;

	if (id == NULL)
		return IAM_E_NOT_FOUND;
	hc_actx(&x, r);
	return hc_answer(r, &x, client_get(&x, id, &o), &o, 200);
}

enum iam_err
adm_clients_update(struct req *r)
{
	const char		*id = hc_uuid(r, "id");
	json_object		*v[FS_MAX], *o = NULL;
	struct client_in	 in;
	struct actx		 x;
	enum iam_err		 e;

	if ((e = req_fields(r, &fs_client_update, v)) != IAM_OK)
		return e;
	if (id == NULL)
		return IAM_E_NOT_FOUND;
	if ((e = hc_nonempty(r, v[0], "name")) != IAM_OK)
		return e;
	client_in(v, &in);
	hc_actx(&x, r);
	return hc_answer(r, &x, client_update(&x, id, &in, &o), &o, 200);
}

enum iam_err
adm_clients_delete(struct req *r)
{
	return hc_id_action(r, client_delete);
}

enum iam_err
adm_clients_rotate(struct req *r)
{
	const char	*id = hc_uuid(r, "id");
	json_object	*v[FS_MAX], *o = NULL;
	struct actx	 x;
	enum iam_err	 e;

	if ((e = req_fields(r, &fs_empty, v)) != IAM_OK)
		return e;
	if (id == NULL)
		return IAM_E_NOT_FOUND;
	hc_actx(&x, r);
	return hc_answer(r, &x, client_rotate_secret(&x, id, &o), &o, 200);
}
