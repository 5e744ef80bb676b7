/*
 * clients.c: OAuth 2.0 / OpenID Connect clients of an organisation
 * (API.md, "Clients"): their rules (redirect URIs, grants, the
 * authentication method, scopes, PKCE), defaults, secrets (256 random
 * bits, shown once, stored as SHA-256) and their audit events.  A PATCH
 * is checked as the whole client it leaves.
 */
#include <string.h>

#include "accounts.h"
#include "admin.h"
#include "crypto.h"
#include "dom.h"
#include "env.h"
#include "log.h"
#include "metrics.h"
#include "oauth.h"
#include "store.h"
#include "store_oauth.h"
#include "text.h"

static const char *const grants[] = { "authorization_code",
	"refresh_token", "client_credentials", NULL };
static const char *const methods[] = { "client_secret_basic",
	"client_secret_post", "none", NULL };
static const char *const algs[] = { "RS256", "EdDSA", NULL };

static int
one_of(const char *v, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(v, *set) == 0)
			return 1;
	return 0;
}

static int
has(json_object *a, const char *v)
{
	size_t	i;

	for (i = 0; a != NULL && i < json_object_array_length(a); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(a,
		    i)), v) == 0)
			return 1;
	return 0;
}

/* A whole client, as it would be stored. */
struct client {
	const char	*name, *method, *alg;
	json_object	*redirect_uris, *post_logout_uris, *grant_types,
			*scopes;
	int		 first_party, require_pkce;
};

static json_object *
strings(struct actx *x, const char *const *v)
{
	json_object	*a = dom_keep(x, json_object_new_array());

	for (; a != NULL && *v != NULL; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

static json_object *
member(json_object *o, const char *k)
{
	json_object	*v = NULL;

	(void)json_object_object_get_ex(o, k, &v);
	return v;
}

/* Starts c from the defaults (cur NULL) or from a stored document. */
static void
base(struct actx *x, struct client *c, json_object *cur)
{
	static const char *const dgrants[] = { "authorization_code",
		"refresh_token", NULL };
	static const char *const dscopes[] = { "openid", "profile", "email",
		NULL };
	static const char *const none[] = { NULL };

	if (cur == NULL) {
		memset(c, 0, sizeof(*c));
		c->method = "client_secret_basic";
		c->alg = "RS256";
		c->redirect_uris = strings(x, none);
		c->post_logout_uris = strings(x, none);
		c->grant_types = strings(x, dgrants);
		c->scopes = strings(x, dscopes);
		c->require_pkce = 1;
		return;
	}
	c->name = json_object_get_string(member(cur, "name"));
	c->method = json_object_get_string(member(cur,
	    "tokenEndpointAuthMethod"));
	c->alg = json_object_get_string(member(cur,
	    "idTokenSignedResponseAlg"));
	c->redirect_uris = member(cur, "redirectUris");
	c->post_logout_uris = member(cur, "postLogoutRedirectUris");
	c->grant_types = member(cur, "grantTypes");
	c->scopes = member(cur, "scopes");
	c->first_party = json_object_get_boolean(member(cur, "firstParty"));
	c->require_pkce = json_object_get_boolean(member(cur, "requirePkce"));
}

static void
apply(struct client *c, const struct client_in *in)
{
	if (in->name != NULL)
		c->name = in->name;
	if (in->method != NULL)
		c->method = in->method;
	if (in->alg != NULL)
		c->alg = in->alg;
	if (in->redirect_uris != NULL)
		c->redirect_uris = in->redirect_uris;
	if (in->post_logout_uris != NULL)
		c->post_logout_uris = in->post_logout_uris;
	if (in->grant_types != NULL)
		c->grant_types = in->grant_types;
	if (in->scopes != NULL)
		c->scopes = in->scopes;
	if (in->first_party != -1)
		c->first_party = in->first_party;
	if (in->require_pkce != -1)
		c->require_pkce = in->require_pkce;
}

/* Checks each URI of a; IAM_OK or the validation error naming field. */
static enum iam_err
uris_ok(struct actx *x, json_object *a, const char *field)
{
	size_t	i;

	for (i = 0; i < json_object_array_length(a); i++)
		if (!redirect_uri_valid(json_object_get_string(
		    json_object_array_get_idx(a, i))))
			return dom_field(x, IAM_E_VALIDATION, field, arena_printf(
			    x->a, "%s[%zu] must be an absolute https URI (http "
			    "only on a loopback host, or a private-use scheme "
			    "with a dot), without fragment or user info",
			    field, i));
	return IAM_OK;
}

/* The rules of API.md over a whole client. */
static enum iam_err
check(struct actx *x, const struct client *c)
{
	size_t		i, n;
	const char	*v;
	enum iam_err	e;

	if (c->name == NULL || *c->name == '\0')
		return dom_field(x, IAM_E_VALIDATION, "name",
		    "name must be 1-100 characters");
	if (!one_of(c->method, methods))
		return dom_field(x, IAM_E_VALIDATION, "tokenEndpointAuthMethod",
		    "tokenEndpointAuthMethod must be client_secret_basic, "
		    "client_secret_post or none");
	if (!one_of(c->alg, algs))
		return dom_field(x, IAM_E_VALIDATION,
		    "idTokenSignedResponseAlg",
		    "idTokenSignedResponseAlg must be RS256 or EdDSA");
	if ((n = json_object_array_length(c->grant_types)) == 0)
		return dom_field(x, IAM_E_VALIDATION, "grantTypes",
		    "grantTypes must name at least one grant");
	for (i = 0; i < n; i++) {
		v = json_object_get_string(json_object_array_get_idx(
		    c->grant_types, i));
		if (!one_of(v, grants))
			return dom_field(x, IAM_E_VALIDATION, "grantTypes",
			    "grantTypes may hold authorization_code, "
			    "refresh_token and client_credentials");
	}
	for (i = 0; i < json_object_array_length(c->scopes); i++)
		if (!scope_token_valid(json_object_get_string(
		    json_object_array_get_idx(c->scopes, i))))
			return dom_field(x, IAM_E_VALIDATION, "scopes",
			    "scopes must be RFC 6749 scope tokens");
	if ((e = uris_ok(x, c->redirect_uris, "redirectUris")) != IAM_OK ||
	    (e = uris_ok(x, c->post_logout_uris, "postLogoutRedirectUris")) !=
	    IAM_OK)
		return e;
	if (has(c->grant_types, "authorization_code") &&
	    json_object_array_length(c->redirect_uris) == 0)
		return dom_field(x, IAM_E_VALIDATION, "redirectUris",
		    "redirectUris is required for the authorization_code "
		    "grant");
	if (strcmp(c->method, "none") == 0) {
		if (has(c->grant_types, "client_credentials"))
			return dom_field(x, IAM_E_VALIDATION, "grantTypes",
			    "a public client (none) cannot use "
			    "client_credentials");
		if (!c->require_pkce)
			return dom_field(x, IAM_E_VALIDATION, "requirePkce",
			    "a public client always uses PKCE");
	}
	return IAM_OK;
}

static const char *
text(json_object *a)
{
	return json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);
}

static void
row_of(const struct client *c, struct client_row *r)
{
	memset(r, 0, sizeof(*r));
	r->name = c->name;
	r->method = c->method;
	r->alg = c->alg;
	r->redirect_uris = text(c->redirect_uris);
	r->post_logout_uris = text(c->post_logout_uris);
	r->grant_types = text(c->grant_types);
	r->scopes = text(c->scopes);
	r->first_party = c->first_party;
	r->require_pkce = c->require_pkce;
}

enum iam_err
client_list(struct actx *x, struct listq *lq)
{
	char	*items;

	if (store_client_count(&x->w->db, x->org_id, &lq->total) == -1 ||
	    store_client_list(&x->w->db, x->a, x->org_id, dom_num(x,
	    lq->limit), dom_num(x, lq->offset), &items) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	lq->items = items;
	return IAM_OK;
}

enum iam_err
client_create(struct actx *x, const struct client_in *in, json_object **doc)
{
	struct client		 c;
	struct client_row	 row;
	unsigned char		 rnd[18];
	char			*cid, *secret = NULL, *hash = NULL, *d;
	enum iam_err		 e;
	int			 rc;

	base(x, &c, NULL);
	apply(&c, in);
	if (strcmp(c.method, "none") == 0 && in->require_pkce == -1)
		c.require_pkce = 1;
	if ((e = check(x, &c)) != IAM_OK)
		return e;
	row_of(&c, &row);
	if (crypto_random(rnd, sizeof(rnd)) == -1 ||
	    (cid = b64url_encode(x->a, rnd, sizeof(rnd))) == NULL)
		return IAM_E_INTERNAL;
	if (strcmp(c.method, "none") != 0 &&
	    dom_fresh_secret(x, &secret, &hash) == -1)
		return IAM_E_INTERNAL;
	row.secret_hash = hash;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((rc = store_client_insert(&x->w->db, x->a, x->org_id, cid, &row,
	    &d)) <= 0)
		return dom_end(x, IAM_E_SERVICE_UNAVAILABLE);
	if ((*doc = dom_json(x, d)) == NULL)
		return dom_end(x, IAM_E_INTERNAL);
	if ((e = dom_audit(x, "client.create", "client", json_object_get_string(
	    member(*doc, "id")), *doc)) != IAM_OK)
		return dom_end(x, e);
	if ((e = dom_commit(x)) != IAM_OK)
		return dom_end(x, e);
	if (secret != NULL)
		json_object_object_add(*doc, "clientSecret",
		    json_object_new_string(secret));
	return IAM_OK;
}

enum iam_err
client_get(struct actx *x, const char *id, json_object **doc)
{
	char	*d;
	int	 rc;

	if (!uuid_valid(id))
		return IAM_E_NOT_FOUND;
	if ((rc = store_client_get(&x->w->db, x->a, x->org_id, id, 0, &d)) <=
	    0)
		return rc < 0 ? IAM_E_SERVICE_UNAVAILABLE : IAM_E_NOT_FOUND;
	return (*doc = dom_json(x, d)) != NULL ? IAM_OK : IAM_E_INTERNAL;
}

enum iam_err
client_update(struct actx *x, const char *id, const struct client_in *in,
    json_object **doc)
{
	struct client		 c;
	struct client_row	 row;
	json_object		*cur;
	char			*d;
	enum iam_err		 e;
	int			 rc;

	if (!uuid_valid(id))
		return IAM_E_NOT_FOUND;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((rc = store_client_get(&x->w->db, x->a, x->org_id, id, 1, &d)) <=
	    0)
		return dom_end(x, rc < 0 ? IAM_E_SERVICE_UNAVAILABLE :
		    IAM_E_NOT_FOUND);
	if ((cur = dom_json(x, d)) == NULL)
		return dom_end(x, IAM_E_INTERNAL);
	base(x, &c, cur);
	/* A public client has no secret to show, and a confidential one's
	 * secret is only ever shown by create and rotate-secret. */
	if (in->method != NULL && strcmp(c.method, "none") == 0 &&
	    strcmp(in->method, "none") != 0)
		return dom_end(x, dom_field(x, IAM_E_VALIDATION,
		    "tokenEndpointAuthMethod", "a public client cannot become "
		    "confidential: create a new client"));
	apply(&c, in);
	if ((e = check(x, &c)) != IAM_OK)
		return dom_end(x, e);
	row_of(&c, &row);
	if ((rc = store_client_update(&x->w->db, x->a, x->org_id, id, &row,
	    &d)) <= 0)
		return dom_end(x, rc < 0 ? IAM_E_SERVICE_UNAVAILABLE :
		    IAM_E_NOT_FOUND);
	if ((*doc = dom_json(x, d)) == NULL)
		return dom_end(x, IAM_E_INTERNAL);
	if ((e = dom_audit(x, "client.update", "client", id, *doc)) != IAM_OK)
		return dom_end(x, e);
	return dom_end(x, dom_commit(x));
}

enum iam_err
client_delete(struct actx *x, const char *id)
{
	char		*cid;
	enum iam_err	 e;
	int		 rc;

	if (!uuid_valid(id))
		return IAM_E_NOT_FOUND;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((rc = store_client_delete(&x->w->db, x->a, x->org_id, id, &cid)) <=
	    0)
		return dom_end(x, rc < 0 ? IAM_E_SERVICE_UNAVAILABLE :
		    IAM_E_NOT_FOUND);
	if ((e = dom_audit(x, "client.delete", "client", id, NULL)) != IAM_OK)
		return dom_end(x, e);
	return dom_end(x, dom_commit(x));
}

enum iam_err
client_rotate_secret(struct actx *x, const char *id, json_object **doc)
{
	char		*secret, *hash, *cid;
	enum iam_err	 e;
	int		 rc;

	if (!uuid_valid(id))
		return IAM_E_NOT_FOUND;
	if (dom_fresh_secret(x, &secret, &hash) == -1)
		return IAM_E_INTERNAL;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((rc = store_client_rotate(&x->w->db, x->a, x->org_id, id, hash,
	    &cid)) < 0)
		return dom_end(x, IAM_E_SERVICE_UNAVAILABLE);
	if (rc == 0) {
		/* Unknown, or public (nothing to rotate). */
		if (store_client_get(&x->w->db, x->a, x->org_id, id, 0,
		    &cid) == 1)
			return dom_end(x, dom_field(x, IAM_E_CONFLICT,
			    "tokenEndpointAuthMethod", "a public client has "
			    "no secret"));
		return dom_end(x, IAM_E_NOT_FOUND);
	}
	if ((e = dom_audit(x, "client.rotate_secret", "client", id, NULL)) !=
	    IAM_OK)
		return dom_end(x, e);
	if ((e = dom_commit(x)) != IAM_OK)
		return dom_end(x, e);
	*doc = dom_keep(x, json_object_new_object());
	json_object_object_add(*doc, "clientId", json_object_new_string(cid));
	json_object_object_add(*doc, "clientSecret",
	    json_object_new_string(secret));
	return IAM_OK;
}

/* A failed client authentication: audited, counted, one answer. */
static enum iam_err
auth_failed(struct actx *x, const char *client_id, const char *org,
    const char *reason)
{
	json_object	*d = json_object_new_object();

	metrics_event(EV_CLIENT_AUTH_FAILED);
	log_kv(LOG_WARN, "security.client_auth_failed", "ip", x->ip, LOG_END);
	json_object_object_add(d, "clientId", json_object_new_string(
	    client_id));
	json_object_object_add(d, "reason", json_object_new_string(reason));
	(void)audit(x, "client.auth_failed", 0, NULL, NULL, "client",
	    client_id, org, d);
	json_object_put(d);
	return IAM_E_INVALID_CREDENTIALS;
}

enum iam_err
client_authenticate(struct actx *x, const char *client_id,
    const char *secret, const char *method, struct oauth_client *oc)
{
	struct client_auth	 ca;
	unsigned char		 d[32];
	char			*hex;
	int			 rc, ok;

	memset(oc, 0, sizeof(*oc));
	if (strlen(client_id) > 64)
		return auth_failed(x, "(too long)", NULL, "unknown");
	if ((rc = store_client_auth(&x->w->db, x->a, client_id, &ca)) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	/* The same work whether or not the client exists. */
	if (crypto_sha256(secret != NULL ? secret : "", secret != NULL ?
	    strlen(secret) : 0, d) == -1 ||
	    (hex = hex_encode(x->a, d, sizeof(d))) == NULL) {
		crypto_wipe(d, sizeof(d));
		return IAM_E_INTERNAL;
	}
	crypto_wipe(d, sizeof(d));
	if (rc == 0)
		return auth_failed(x, client_id, NULL, "unknown");
	if (strcmp(ca.method, method) != 0)
		return auth_failed(x, client_id, ca.org, "method");
	if (strcmp(method, "none") != 0) {
		ok = crypto_secret_eq(hex, strlen(hex), ca.secret_hex,
		    strlen(ca.secret_hex));
		if (ok == -1)
			return IAM_E_INTERNAL;
		if (ok != 1)
			return auth_failed(x, client_id, ca.org, "secret");
	}
	if (!ca.org_active)
		return auth_failed(x, client_id, ca.org, "organisation");
	oc->id = ca.id;
	oc->client_id = arena_strdup(x->a, client_id);
	oc->org = ca.org;
	oc->confidential = strcmp(ca.method, "none") != 0;
	if ((oc->grant_types = dom_json(x, ca.grant_types)) == NULL ||
	    (oc->scopes = dom_json(x, ca.scopes)) == NULL ||
	    oc->client_id == NULL)
		return IAM_E_INTERNAL;
	return IAM_OK;
}

int
client_has_grant(const struct oauth_client *oc, const char *grant)
{
	return has(oc->grant_types, grant);
}

/* The scopes of OpenID Connect: about a user, so never a client's own. */
static int
openid_scope(const char *s, size_t n)
{
	static const char *const oidc[] = { "openid", "profile", "email",
		"phone", "address", "offline_access", NULL };
	size_t	i;

	for (i = 0; oidc[i] != NULL; i++)
		if (strlen(oidc[i]) == n && strncmp(oidc[i], s, n) == 0)
			return 1;
	return 0;
}

enum iam_err
client_credentials(struct actx *x, const struct oauth_client *oc,
    const char *scope, struct tokens *t, const char **granted,
    const char **why)
{
	struct buf	 b;
	const char	*s, *v;
	size_t		 i, n;
	enum iam_err	 e;

	buf_init(&b, x->a);
	if (scope == NULL) {
		/* every scope it may ask for, but OpenID's */
		for (i = 0; i < json_object_array_length(oc->scopes); i++) {
			v = json_object_get_string(json_object_array_get_idx(
			    oc->scopes, i));
			if (!openid_scope(v, strlen(v)))
				buf_printf(&b, "%s%s", b.len ? " " : "", v);
		}
	} else {
		for (s = scope; *s != '\0'; s += n) {
			if (*s == ' ') {
				n = 1;
				continue;
			}
			n = strcspn(s, " ");
			v = arena_strndup(x->a, s, n);
			if (v == NULL)
				return IAM_E_INTERNAL;
			if (openid_scope(s, n)) {
				*why = "OpenID scopes are about a user; a "
				    "client's own token cannot have them";
				return IAM_E_VALIDATION;
			}
			if (!scope_token_valid(v) || !has(oc->scopes, v)) {
				*why = "the client may not ask for this scope";
				return IAM_E_VALIDATION;
			}
			buf_printf(&b, "%s%s", b.len ? " " : "", v);
		}
	}
	if (b.oom)
		return IAM_E_INTERNAL;
	*granted = b.len ? b.data : "";
	if ((e = dom_client_token(x, oc->client_id, oc->org, *granted, t)) !=
	    IAM_OK)
		return e;
	metrics_event(EV_TOKEN_CLIENT_CREDENTIALS);
	return IAM_OK;
}
