-- Accounts: organisations, users and profiles, sessions, refresh tokens,
-- signing keys, one-time email tokens, the email outbox and the audit log.
-- Bearer secrets are stored only as SHA-256 hashes; signing private keys
-- only encrypted (AES-256-GCM under SECRET_ENCRYPTION_KEY).

CREATE TABLE organisations (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
	name text NOT NULL,
	status text NOT NULL DEFAULT 'active'
	    CHECK (status IN ('active', 'suspended')),
	is_default boolean NOT NULL DEFAULT false,
	settings jsonb NOT NULL DEFAULT '{}',
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	deleted_at timestamptz
);
CREATE UNIQUE INDEX organisations_one_default ON organisations (is_default)
    WHERE is_default;
-- Its registrationMode is REGISTRATION_MODE until an administrator sets one.
INSERT INTO organisations (slug, name, is_default)
    VALUES ('default', 'Default', true);

CREATE TABLE users (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organisation_id uuid NOT NULL REFERENCES organisations (id),
	email text NOT NULL CHECK (length(email) <= 254),
	password_hash text,
	status text NOT NULL DEFAULT 'active'
	    CHECK (status IN ('active', 'inactive', 'suspended')),
	email_verified_at timestamptz,
	failed_logins integer NOT NULL DEFAULT 0,
	locked_until timestamptz,
	last_login_at timestamptz,
	last_login_ip text,
	login_count integer NOT NULL DEFAULT 0,
	password_changed_at timestamptz,
	must_reset_password boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	deleted_at timestamptz
);
-- One live account per address, whatever its letter case.
CREATE UNIQUE INDEX users_email_live ON users (lower(email))
    WHERE deleted_at IS NULL;
CREATE INDEX users_organisation ON users (organisation_id);

CREATE TABLE profiles (
	user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	first_name text NOT NULL DEFAULT '' CHECK (length(first_name) <= 100),
	last_name text NOT NULL DEFAULT '' CHECK (length(last_name) <= 100),
	phone text NOT NULL DEFAULT '' CHECK (length(phone) <= 32),
	preferences jsonb NOT NULL DEFAULT '{}'
	    CHECK (jsonb_typeof(preferences) = 'object'),
	addresses jsonb NOT NULL DEFAULT '[]'
	    CHECK (jsonb_typeof(addresses) = 'array'),
	updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL DEFAULT now(),
	last_seen_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	ip text,
	user_agent text,
	revoked_at timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	family_id uuid NOT NULL,
	parent_id uuid REFERENCES refresh_tokens (id) ON DELETE SET NULL,
	session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	replaced_by uuid,
	revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id)
    WHERE revoked_at IS NULL;

CREATE TABLE signing_keys (
	kid text PRIMARY KEY,
	alg text NOT NULL CHECK (alg IN ('EdDSA')),
	public_key bytea NOT NULL,
	private_key_enc bytea NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	activates_at timestamptz NOT NULL,	-- signs from then on
	retires_at timestamptz NOT NULL,	-- signs no more after
	expires_at timestamptz NOT NULL,	-- leaves the JWKS
	revoked_at timestamptz
);

CREATE TABLE email_tokens (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	purpose text NOT NULL CHECK (purpose IN ('verify', 'reset')),
	token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	consumed_at timestamptz
);
CREATE INDEX email_tokens_user ON email_tokens (user_id, purpose);

CREATE TABLE email_outbox (
	id bigserial PRIMARY KEY,
	to_addr text NOT NULL,
	subject text NOT NULL,
	body text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	attempts integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	sent_at timestamptz,
	failed_at timestamptz,
	last_error text
);
CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at)
    WHERE sent_at IS NULL AND failed_at IS NULL;

-- Append-only: each row carries the hash of the one before it.
CREATE TABLE audit_log (
	id bigserial PRIMARY KEY,
	created_at timestamptz NOT NULL DEFAULT now(),
	organisation_id uuid,
	action text NOT NULL,
	category text NOT NULL,
	success boolean NOT NULL,
	actor_type text NOT NULL,
	actor_id uuid,
	actor_email text,
	target_type text,
	target_id text,
	ip text,
	user_agent text,
	details jsonb NOT NULL DEFAULT '{}',
	prev_hash bytea,
	hash bytea NOT NULL
);
CREATE INDEX audit_log_org_time ON audit_log (organisation_id, id DESC);

-- The bytes an audit row's hash covers: every column but the hashes, as a
-- canonical JSON array (NULLs included, so nothing is ambiguous).
CREATE FUNCTION audit_payload(a audit_log) RETURNS bytea
LANGUAGE sql STABLE AS $$
	SELECT convert_to(jsonb_build_array(a.id,
	    to_char(a.created_at AT TIME ZONE 'UTC',
	        'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
	    a.organisation_id, a.action, a.category, a.success, a.actor_type,
	    a.actor_id, a.actor_email, a.target_type, a.target_id, a.ip,
	    a.user_agent, a.details)::text, 'UTF8')
$$;
