/*
 * h_keys.c: the JWKS, as resource servers fetch it.  The document is built
 * when the keyring loads, so serving it costs a copy.
 */
#include <time.h>

#include "handlers.h"
#include "http.h"
#include "keys.h"
#include "env.h"

enum iam_err
keys_jwks(struct req *r)
{
	struct env	*w = r->w;

	if (env_sync(w, time(NULL)) == -1 &&
	    w->keys.jwks == NULL)
		return IAM_E_SERVICE_UNAVAILABLE;
	if (w->keys.jwks == NULL)
		return IAM_E_SERVICE_UNAVAILABLE;
	resp_header(r, "Cache-Control", "public, max-age=300");
	resp_text(r, 200, "application/jwk-set+json", w->keys.jwks,
	    w->keys.jwks_len);
	return IAM_OK;
}
