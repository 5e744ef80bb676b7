/*
 * oacommon.h: what the OAuth endpoints share (oauth/oa_common.c): RFC
 * 6749 §5.2 error answers and client authentication at the token
 * endpoint.
 */
#ifndef IAM_OACOMMON_H
#define IAM_OACOMMON_H

#include "errors.h"
#include "http.h"

struct actx;
struct oauth_client;

/*
 * {"error": code, "error_description": desc} with status, no caching;
 * invalid_client (always 401) says WWW-Authenticate: Basic when the
 * client used Basic or sent no credentials (basic set).  Returns IAM_OK
 * (the answer is set).
 */
enum iam_err	 oa_error(struct req *, int status, const char *code,
		    const char *desc, int basic);
/*
 * Authenticates the client of a token-endpoint request: the Basic
 * header (client_secret_basic), client_id and client_secret fields
 * (client_secret_post) or client_id alone (none); one method only.
 * IAM_OK with *oc, or the error already answered (returned non-OK).
 */
enum iam_err	 oa_client(struct req *, struct actx *, const char *form_id,
		    const char *form_secret, struct oauth_client *oc);

#endif
