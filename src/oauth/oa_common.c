/*
 * oa_common.c: the OAuth endpoints' shared answers: RFC 6749 §5.2
 * errors (always with no caching) and client authentication (RFC 6749
 * §2.3.1: Basic or the form, never both; the registered method only).
 */
#include <string.h>
#include <strings.h>

#include "accounts.h"
#include "oacommon.h"
#include "oauth.h"
#include "parse.h"

enum iam_err
oa_error(struct req *r, int status, const char *code, const char *desc,
    int basic)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(code));
	if (desc != NULL)
		json_object_object_add(o, "error_description",
		    json_object_new_string(desc));
	if (strcmp(code, "invalid_client") == 0) {
		status = 401;
		if (basic)
			resp_header(r, "WWW-Authenticate",
			    "Basic realm=\"iam\", charset=\"UTF-8\"");
	}
	resp_header(r, "Cache-Control", "no-store");
	resp_header(r, "Pragma", "no-cache");
	resp_json(r, status, o);
	return IAM_OK;
}

/* Answers a refused client (invalid_client 401, else 400) and returns
 * the error the handler passes on. */
static enum iam_err
refused(struct req *r, const char *code, const char *desc, int basic)
{
	int	client = strcmp(code, "invalid_client") == 0;

	(void)oa_error(r, client ? 401 : 400, code, desc, basic);
	return client ? IAM_E_UNAUTHORIZED : IAM_E_VALIDATION;
}

enum iam_err
oa_client(struct req *r, struct actx *x, const char *form_id,
    const char *form_secret, struct oauth_client *oc)
{
	const char	*method;
	char		*id = NULL, *secret = NULL;
	int		 basic = 0;
	enum iam_err	 e;

	if (r->authorization != NULL && *r->authorization != '\0') {
		switch (parse_basic(r->a, r->authorization, &id, &secret)) {
		case 0:
			return refused(r, "invalid_client", "only Basic client "
			    "authentication is taken here", 1);
		case -1:
			return refused(r, "invalid_client", "malformed Basic "
			    "credentials", 1);
		}
		basic = 1;
		if (form_secret != NULL)
			return refused(r, "invalid_request", "one client "
			    "authentication method at a time", 0);
		if (form_id != NULL && strcmp(form_id, id) != 0)
			return refused(r, "invalid_request", "client_id differs "
			    "from the authenticated client", 0);
		method = "client_secret_basic";
	} else if (form_id == NULL)
		return refused(r, "invalid_client", "client authentication "
		    "required", 1);
	else {
		id = (char *)form_id;
		secret = (char *)form_secret;
		method = secret != NULL ? "client_secret_post" : "none";
	}
	e = client_authenticate(x, id, secret, method, oc);
	if (e == IAM_E_INVALID_CREDENTIALS)
		return refused(r, "invalid_client", "client authentication "
		    "failed", basic);
	return e;
}
