/*
 * oa_token.c: POST /oauth2/token (RFC 6749 §3.2): a form only, each
 * parameter at most once, client authentication first, then the grant.
 * Today: client_credentials (confidential clients, nothing written to
 * the database per token); the other grants answer
 * unsupported_grant_type until the authorization endpoint exists.
 */
#include <string.h>

#include "accounts.h"
#include "handlers.h"
#include "hcommon.h"
#include "oacommon.h"
#include "oauth.h"
#include "validate.h"

static void
put_cb(void *o)
{
	json_object_put(o);
}

enum iam_err
oa_token(struct req *r)
{
	json_object		*v[FS_MAX], *o, *pairs;
	const char		*name, *msg, *granted, *why = NULL, *grant;
	struct oauth_client	 oc;
	struct tokens		 t;
	struct actx		 x;
	enum iam_err		 e;

	if (r->has_json || r->json != NULL)
		return oa_error(r, 400, "invalid_request", "the token endpoint "
		    "takes application/x-www-form-urlencoded", 0);
	if ((pairs = fields_from_pairs(&fs_oauth_token, &r->form, r->a, &name,
	    &msg)) == NULL)
		return oa_error(r, 400, "invalid_request", msg, 0);
	if (arena_defer(r->a, put_cb, pairs) == -1) {
		json_object_put(pairs);
		return IAM_E_INTERNAL;
	}
	if (fields_check(&fs_oauth_token, pairs, "", v, r->a, &name, &msg) ==
	    -1)
		return oa_error(r, 400, "invalid_request", msg, 0);
	hc_actx(&x, r);
	if ((e = oa_client(r, &x, fstr(v[2]), fstr(v[3]), &oc)) != IAM_OK)
		return r->status != 0 ? IAM_OK : e;
	grant = fstr(v[0]);
	if (strcmp(grant, "client_credentials") != 0)
		return oa_error(r, 400, "unsupported_grant_type", "this server "
		    "issues client_credentials tokens here", 0);
	if (!oc.confidential || !client_has_grant(&oc, grant))
		return oa_error(r, 400, "unauthorized_client", "the client may "
		    "not use this grant", 0);
	if ((e = client_credentials(&x, &oc, fstr(v[1]), &t, &granted,
	    &why)) == IAM_E_VALIDATION)
		return oa_error(r, 400, "invalid_scope", why, 0);
	if (e != IAM_OK)
		return e;
	o = json_object_new_object();
	json_object_object_add(o, "access_token",
	    json_object_new_string(t.access));
	json_object_object_add(o, "token_type", json_object_new_string(
	    "Bearer"));
	json_object_object_add(o, "expires_in",
	    json_object_new_int64(t.expires_in));
	json_object_object_add(o, "scope", json_object_new_string(granted));
	resp_header(r, "Cache-Control", "no-store");
	resp_header(r, "Pragma", "no-cache");
	resp_json(r, 200, o);
	return IAM_OK;
}
