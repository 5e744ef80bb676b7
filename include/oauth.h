/*
 * oauth.h: the domain's face for OAuth 2.0 / OpenID Connect clients
 * (domain/clients.c) and the pure rules they follow (domain/redirect.c).
 */
#ifndef IAM_OAUTH_H
#define IAM_OAUTH_H

#include <json-c/json.h>

#include "errors.h"

struct actx;
struct listq;

/*
 * 1 if uri may be registered as a redirect URI (API.md, RFC 8252 §7):
 * absolute, no fragment, no userinfo, and https with a host; or http on
 * a loopback host (127.0.0.1, [::1], localhost); or a private-use
 * scheme holding a dot (com.example.app:/cb).
 */
int	 redirect_uri_valid(const char *uri);
/* 1 if s is an RFC 6749 §3.3 scope-token. */
int	 scope_token_valid(const char *s);

/* A client as given: NULL (or -1) is "not given". */
struct client_in {
	const char	*name, *method, *alg;
	json_object	*redirect_uris, *post_logout_uris, *grant_types,
			*scopes;
	int		 first_party, require_pkce;
};

/* The organisation's clients, newest first. */
enum iam_err	client_list(struct actx *, struct listq *);
/* Creates a client: *doc its document, with clientSecret when it is
 * confidential (shown this once). */
enum iam_err	client_create(struct actx *, const struct client_in *,
		    json_object **doc);
enum iam_err	client_get(struct actx *, const char *id, json_object **doc);
enum iam_err	client_update(struct actx *, const char *id,
		    const struct client_in *, json_object **doc);
enum iam_err	client_delete(struct actx *, const char *id);
/* A new secret (the old one ends at once): *doc {clientId, clientSecret}. */
enum iam_err	client_rotate_secret(struct actx *, const char *id,
		    json_object **doc);

/* A client that authenticated at the token endpoint. */
struct oauth_client {
	const char	*id, *client_id, *org;
	json_object	*grant_types, *scopes;
	int		 confidential;
};

/*
 * Authenticates client_id with secret (NULL for a public client) sent by
 * method ("client_secret_basic", "client_secret_post" or "none"; it must
 * be the client's own): IAM_OK, IAM_E_INVALID_CREDENTIALS (unknown, wrong
 * secret or method, organisation not active; audited client.auth_failed)
 * or SERVICE_UNAVAILABLE.  The secret is compared in constant time.
 */
enum iam_err	client_authenticate(struct actx *, const char *client_id,
		    const char *secret, const char *method,
		    struct oauth_client *);
/* 1 if the client may use grant. */
int		client_has_grant(const struct oauth_client *, const char *grant);
/*
 * The client_credentials grant: an access token for the client itself
 * (sub and aud its client_id) with scope (NULL: every scope it may ask
 * for but the OpenID ones), nothing written to the database.  IAM_OK,
 * or IAM_E_VALIDATION for an invalid_scope (*why says which).
 */
struct tokens;
enum iam_err	client_credentials(struct actx *, const struct oauth_client *,
		    const char *scope, struct tokens *, const char **granted,
		    const char **why);

#endif
