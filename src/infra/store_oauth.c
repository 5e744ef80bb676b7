/*
 * store_oauth.c: OAuth clients: written whole from what the domain
 * checked (client_doc() is their document), listed per organisation,
 * their secrets kept as SHA-256 only.
 */
#include <string.h>

#include "arena.h"
#include "store_int.h"
#include "store_oauth.h"

enum {
	OA_CLIENT_INSERT,
	OA_CLIENT_COUNT,
	OA_CLIENT_LIST,
	OA_CLIENT_GET,
	OA_CLIENT_GET_LOCK,
	OA_CLIENT_UPDATE,
	OA_CLIENT_DELETE,
	OA_CLIENT_ROTATE,
	OA_CLIENT_AUTH,
	OA__MAX
};

static const struct stmt_def defs[OA__MAX] = {
	[OA_CLIENT_INSERT] = { "client_insert",
	    "INSERT INTO oauth_clients (client_id, organisation_id, name,"
	    " redirect_uris, post_logout_redirect_uris, grant_types,"
	    " token_endpoint_auth_method, scopes, first_party, require_pkce,"
	    " id_token_alg, secret_hash) VALUES ($1, $2, $3, $4::jsonb,"
	    " $5::jsonb, $6::jsonb, $7, $8::jsonb, $9::boolean, $10::boolean,"
	    " $11, $12::bytea) RETURNING client_doc(oauth_clients)::text", 12 },
	[OA_CLIENT_COUNT] = { "client_count",
	    "SELECT count(*) FROM oauth_clients WHERE organisation_id = $1", 1 },
	[OA_CLIENT_LIST] = { "client_list",
	    "SELECT client_doc(c)::text FROM oauth_clients c"
	    " WHERE c.organisation_id = $1 ORDER BY c.created_at DESC, c.id"
	    " LIMIT $2::integer OFFSET $3::bigint", 3 },
	[OA_CLIENT_GET] = { "client_get",
	    "SELECT client_doc(c)::text FROM oauth_clients c"
	    " WHERE c.organisation_id = $1 AND c.id = $2", 2 },
	[OA_CLIENT_GET_LOCK] = { "client_get_lock",
	    "SELECT client_doc(c)::text FROM oauth_clients c"
	    " WHERE c.organisation_id = $1 AND c.id = $2 FOR UPDATE", 2 },
	/* The secret stays unless the client became public. */
	[OA_CLIENT_UPDATE] = { "client_update",
	    "UPDATE oauth_clients c SET name = $3, redirect_uris = $4::jsonb,"
	    " post_logout_redirect_uris = $5::jsonb, grant_types = $6::jsonb,"
	    " token_endpoint_auth_method = $7, scopes = $8::jsonb,"
	    " first_party = $9::boolean, require_pkce = $10::boolean,"
	    " id_token_alg = $11, secret_hash = CASE WHEN $7 = 'none'"
	    "  THEN NULL ELSE c.secret_hash END, updated_at = now()"
	    " WHERE c.organisation_id = $1 AND c.id = $2"
	    " RETURNING client_doc(c)::text", 11 },
	[OA_CLIENT_DELETE] = { "client_delete",
	    "DELETE FROM oauth_clients WHERE organisation_id = $1 AND id = $2"
	    " RETURNING client_id", 2 },
	[OA_CLIENT_ROTATE] = { "client_rotate",
	    "UPDATE oauth_clients SET secret_hash = $3, updated_at = now()"
	    " WHERE organisation_id = $1 AND id = $2"
	    " AND token_endpoint_auth_method <> 'none' RETURNING client_id", 3 },
	[OA_CLIENT_AUTH] = { "client_auth",
	    "SELECT c.id, c.organisation_id,"
	    " coalesce(encode(c.secret_hash, 'hex'), ''),"
	    " c.token_endpoint_auth_method, c.grant_types::text, c.scopes::text,"
	    " o.status = 'active' AND o.deleted_at IS NULL"
	    " FROM oauth_clients c JOIN organisations o"
	    " ON o.id = c.organisation_id WHERE c.client_id = $1", 1 },
};
const struct stmt_set store_set_oauth = { defs, OA__MAX,
    STORE_SERVER | STORE_CTL };

static PGresult *
q(struct store *s, int i, int n, const char *const *p)
{
	return store_run(s, &store_set_oauth, i, n, p);
}

/* The row's parameters from $3 on, in the statements' order. */
static void
params(const struct client_row *c, const char **p)
{
	p[0] = c->name;
	p[1] = c->redirect_uris;
	p[2] = c->post_logout_uris;
	p[3] = c->grant_types;
	p[4] = c->method;
	p[5] = c->scopes;
	p[6] = c->first_party ? "true" : "false";
	p[7] = c->require_pkce ? "true" : "false";
	p[8] = c->alg;
}

int
store_client_insert(struct store *s, struct arena *a, const char *org,
    const char *client_id, const struct client_row *c, char **doc)
{
	const char	*p[12] = { client_id, org };

	params(c, p + 2);
	p[11] = c->secret_hash;
	return store_one_str(a, q(s, OA_CLIENT_INSERT, 12, p), doc);
}

int
store_client_count(struct store *s, const char *org, int64_t *n)
{
	return store_count(q(s, OA_CLIENT_COUNT, 1, &org), n);
}

int
store_client_list(struct store *s, struct arena *a, const char *org,
    const char *limit, const char *offset, char **items)
{
	const char	*p[3] = { org, limit, offset };

	return store_docs(a, q(s, OA_CLIENT_LIST, 3, p), items);
}

int
store_client_get(struct store *s, struct arena *a, const char *org,
    const char *id, int for_update, char **doc)
{
	const char	*p[2] = { org, id };

	return store_one_str(a, q(s, for_update ? OA_CLIENT_GET_LOCK :
	    OA_CLIENT_GET, 2, p), doc);
}

int
store_client_update(struct store *s, struct arena *a, const char *org,
    const char *id, const struct client_row *c, char **doc)
{
	const char	*p[11] = { org, id };

	params(c, p + 2);
	return store_one_str(a, q(s, OA_CLIENT_UPDATE, 11, p), doc);
}

int
store_client_delete(struct store *s, struct arena *a, const char *org,
    const char *id, char **client_id)
{
	const char	*p[2] = { org, id };

	return store_one_str(a, q(s, OA_CLIENT_DELETE, 2, p), client_id);
}

int
store_client_rotate(struct store *s, struct arena *a, const char *org,
    const char *id, const char *hash, char **client_id)
{
	const char	*p[3] = { org, id, hash };

	return store_one_str(a, q(s, OA_CLIENT_ROTATE, 3, p), client_id);
}

int
store_client_auth(struct store *s, struct arena *a, const char *client_id,
    struct client_auth *ca)
{
	PGresult	*r;
	int		 rc = 0;

	memset(ca, 0, sizeof(*ca));
	if ((r = q(s, OA_CLIENT_AUTH, 1, &client_id)) == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		ca->id = store_str(a, r, 0, 0);
		ca->org = store_str(a, r, 0, 1);
		ca->secret_hex = store_str(a, r, 0, 2);
		ca->method = store_str(a, r, 0, 3);
		ca->grant_types = store_str(a, r, 0, 4);
		ca->scopes = store_str(a, r, 0, 5);
		ca->org_active = store_bool(r, 0, 6);
		rc = ca->id == NULL || ca->org == NULL || ca->secret_hex ==
		    NULL || ca->method == NULL || ca->grant_types == NULL ||
		    ca->scopes == NULL ? -1 : 1;
	}
	PQclear(r);
	return rc;
}
