/*
 * oa_verify.c: GET /auth/verify, the answer NGINX auth_request asks
 * for on every request to an application iam protects.  The dispatcher
 * has authenticated the caller (a Bearer token, verified in memory with
 * no database round trip, or the iam_sid cookie, one indexed select);
 * this says who it is in X-Auth-* headers and applies ?role= (from the
 * token or session) and ?permission= (the caller's permissions as the
 * database holds them now, as every permission check does).
 */
#include <string.h>

#include "accounts.h"
#include "handlers.h"
#include "hcommon.h"
#include "perm.h"
#include "validate.h"

/* 1 if role is one of the comma list csv. */
static int
csv_has(const char *csv, const char *role)
{
	size_t	n = strlen(role), k;

	while (csv != NULL && *csv != '\0') {
		k = strcspn(csv, ",");
		if (k == n && strncmp(csv, role, n) == 0)
			return 1;
		csv += k + (csv[k] == ',');
	}
	return 0;
}

/* The token's roles claim as a comma list. */
static const char *
token_roles(struct req *r)
{
	json_object	*a, *v;
	struct buf	 b;
	size_t		 i;

	if (r->claims == NULL ||
	    !json_object_object_get_ex(r->claims, "roles", &a) ||
	    !json_object_is_type(a, json_type_array))
		return "";
	buf_init(&b, r->a);
	for (i = 0; i < json_object_array_length(a); i++) {
		v = json_object_array_get_idx(a, i);
		if (!json_object_is_type(v, json_type_string) ||
		    strchr(json_object_get_string(v), ',') != NULL)
			continue;
		buf_printf(&b, "%s%s", b.len ? "," : "",
		    json_object_get_string(v));
	}
	return b.oom || b.len == 0 ? "" : b.data;
}

static const char *
token_str(struct req *r, const char *k)
{
	json_object	*v;

	if (r->claims == NULL || !json_object_object_get_ex(r->claims, k, &v)
	    || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

enum iam_err
oa_verify(struct req *r)
{
	json_object	*v[FS_MAX];
	const char	*roles, *email, *aud;
	struct actx	 x;
	struct caller	 c;
	enum iam_err	 e;

	if ((e = req_query(r, &fs_verify_query, v)) != IAM_OK)
		return e;
	if (r->via_cookie) {
		roles = r->roles;
		email = r->email;
		if (fstr(v[2]) != NULL)		/* ?aud= is about tokens */
			return IAM_E_UNAUTHORIZED;
	} else {
		roles = token_roles(r);
		email = token_str(r, "email");
		aud = token_str(r, "aud");
		if (fstr(v[2]) != NULL && (aud == NULL ||
		    strcmp(aud, fstr(v[2])) != 0))
			return IAM_E_UNAUTHORIZED;
	}
	if (fstr(v[0]) != NULL && !csv_has(roles, fstr(v[0])))
		return IAM_E_FORBIDDEN;
	if (fstr(v[1]) != NULL) {
		hc_actx(&x, r);
		if ((e = acct_caller(&x, &c)) != IAM_OK)
			return e == IAM_E_SERVICE_UNAVAILABLE ? e :
			    IAM_E_UNAUTHORIZED;
		if (!perm_has(c.perms, fstr(v[1])))
			return IAM_E_FORBIDDEN;
	}
	resp_header(r, "X-Auth-User", r->user_id);
	if (email != NULL)
		resp_header(r, "X-Auth-Email", email);
	if (r->org_id != NULL)
		resp_header(r, "X-Auth-Org", r->org_id);
	resp_header(r, "X-Auth-Roles", roles);
	resp_empty(r, 200);
	return IAM_OK;
}
