-- OAuth 2.0 / OpenID Connect clients of an organisation.  client_id is
-- the public identifier; the secret (confidential clients) is stored as
-- its SHA-256 only, shown once at creation or rotation.  The arrays are
-- JSON arrays of strings, checked by the server before they are written.
CREATE TABLE oauth_clients (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	client_id text NOT NULL UNIQUE CHECK (length(client_id) BETWEEN 16 AND 64),
	organisation_id uuid NOT NULL REFERENCES organisations (id)
	    ON DELETE CASCADE,
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	redirect_uris jsonb NOT NULL DEFAULT '[]'
	    CHECK (jsonb_typeof(redirect_uris) = 'array'),
	post_logout_redirect_uris jsonb NOT NULL DEFAULT '[]'
	    CHECK (jsonb_typeof(post_logout_redirect_uris) = 'array'),
	grant_types jsonb NOT NULL CHECK (jsonb_typeof(grant_types) = 'array'),
	token_endpoint_auth_method text NOT NULL CHECK (token_endpoint_auth_method
	    IN ('client_secret_basic', 'client_secret_post', 'none')),
	scopes jsonb NOT NULL CHECK (jsonb_typeof(scopes) = 'array'),
	first_party boolean NOT NULL DEFAULT false,
	require_pkce boolean NOT NULL DEFAULT true,
	id_token_alg text NOT NULL DEFAULT 'RS256'
	    CHECK (id_token_alg IN ('RS256', 'EdDSA')),
	secret_hash bytea CHECK (length(secret_hash) = 32),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	-- a public client has no secret and always uses PKCE
	CHECK ((token_endpoint_auth_method = 'none') = (secret_hash IS NULL)),
	CHECK (token_endpoint_auth_method <> 'none' OR require_pkce)
);
CREATE INDEX oauth_clients_org ON oauth_clients (organisation_id, created_at);

CREATE FUNCTION client_doc(c oauth_clients) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', c.id, 'clientId', c.client_id,
	    'name', c.name, 'redirectUris', c.redirect_uris,
	    'postLogoutRedirectUris', c.post_logout_redirect_uris,
	    'grantTypes', c.grant_types,
	    'tokenEndpointAuthMethod', c.token_endpoint_auth_method,
	    'scopes', c.scopes, 'firstParty', c.first_party,
	    'requirePkce', c.require_pkce,
	    'idTokenSignedResponseAlg', c.id_token_alg,
	    'createdAt', iso(c.created_at), 'updatedAt', iso(c.updated_at))
$$;
