-- Administration: roles and their permissions, system administrators,
-- invitations, user search, audit query indexes and counters, the audit
-- log's append-only guard, retention anchors and the export cursor.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE FUNCTION iso(t timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;

ALTER TABLE users ADD COLUMN is_system_admin boolean NOT NULL DEFAULT false;

-- What a user search looks in: email, first and last name, lower-cased,
-- joined by U+001F (which a search term may not contain), so a term
-- matches inside one field only.  Kept by the triggers below.
ALTER TABLE users ADD COLUMN search_text text NOT NULL DEFAULT '';
CREATE INDEX users_search ON users USING gin (search_text gin_trgm_ops);
CREATE INDEX users_org_created ON users (organisation_id, created_at, id)
    WHERE deleted_at IS NULL;
CREATE INDEX users_org_email ON users (organisation_id, lower(email))
    WHERE deleted_at IS NULL;

CREATE FUNCTION users_search_text() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	NEW.search_text := lower(NEW.email) || chr(31) || coalesce((SELECT
	    lower(p.first_name) || chr(31) || lower(p.last_name)
	    FROM profiles p WHERE p.user_id = NEW.id), chr(31));
	RETURN NEW;
END $$;
CREATE TRIGGER users_search_text BEFORE INSERT OR UPDATE OF email ON users
    FOR EACH ROW EXECUTE FUNCTION users_search_text();

CREATE FUNCTION profiles_search_text() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE users SET search_text = lower(email) || chr(31) ||
	    lower(NEW.first_name) || chr(31) || lower(NEW.last_name)
	    WHERE id = NEW.user_id;
	RETURN NULL;
END $$;
CREATE TRIGGER profiles_search_text
    AFTER INSERT OR UPDATE OF first_name, last_name ON profiles
    FOR EACH ROW EXECUTE FUNCTION profiles_search_text();

UPDATE users u SET search_text = lower(u.email) || chr(31) ||
    coalesce((SELECT lower(p.first_name) || chr(31) || lower(p.last_name)
    FROM profiles p WHERE p.user_id = u.id), chr(31));

CREATE TABLE roles (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organisation_id uuid NOT NULL REFERENCES organisations (id)
	    ON DELETE CASCADE,
	slug text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
	permissions text[] NOT NULL DEFAULT '{}',
	builtin boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (organisation_id, slug)
);

CREATE TABLE user_roles (
	user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role_id uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role ON user_roles (role_id, user_id);

-- The four roles every organisation starts with (API.md, "Seeded roles").
-- The permission strings are checked against the list in src/perm.c by a
-- test.
CREATE FUNCTION seed_roles(org uuid) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO roles (organisation_id, slug, name, description,
	    permissions, builtin) VALUES
	(org, 'owner', 'Owner', 'Everything, including the organisation',
	    '{*}', true),
	(org, 'admin', 'Administrator', 'Manages members, roles and clients',
	    '{users:*,roles:*,invitations:*,clients:*,audit:read,'
	    'organisation:read,organisation:update}', true),
	(org, 'moderator', 'Moderator', 'Reads and updates members',
	    '{users:read,users:update,audit:read}', true),
	(org, 'user', 'User', 'A member', '{}', true)
	ON CONFLICT (organisation_id, slug) DO NOTHING
$$;

CREATE FUNCTION organisations_seed_roles() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM seed_roles(NEW.id);
	RETURN NULL;
END $$;
CREATE TRIGGER organisations_seed_roles AFTER INSERT ON organisations
    FOR EACH ROW EXECUTE FUNCTION organisations_seed_roles();

SELECT seed_roles(id) FROM organisations;
INSERT INTO user_roles (user_id, role_id)
    SELECT u.id, r.id FROM users u JOIN roles r
    ON r.organisation_id = u.organisation_id AND r.slug = 'user'
    WHERE u.deleted_at IS NULL;

-- A user search: the matches (found through the trigram index, never by
-- an ordered scan: MATERIALIZED), sorted, one page of them with the
-- columns of USER_COLS in src/store.c (which dom_user_text writes as the
-- sanitised user), and the number of matches.
-- PL/pgSQL with a generic plan: planned once per connection, not at every
-- request (its plan is the same for every term).
CREATE FUNCTION users_search(p_org uuid, p_term text, p_status text,
    p_role uuid, p_sort text, p_limit integer, p_offset bigint)
RETURNS TABLE (id uuid, email text, verified boolean, status text,
    org_id uuid, org_slug text, org_name text, first_name text,
    last_name text, phone text, preferences text, addresses text,
    created bigint, updated bigint, last_login bigint, unused text,
    roles text, total bigint)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
BEGIN
	RETURN QUERY
	WITH m AS MATERIALIZED (SELECT u.id, u.created_at, u.email,
	    u.last_login_at, u.status FROM users u
	    WHERE u.organisation_id = p_org AND u.deleted_at IS NULL
	    AND u.search_text LIKE '%' || lower(p_term) || '%'
	    AND (p_status IS NULL OR u.status = p_status)
	    AND (p_role IS NULL OR EXISTS (SELECT 1 FROM user_roles ur
	        WHERE ur.user_id = u.id AND ur.role_id = p_role))),
	pg AS (SELECT m.id, count(*) OVER () AS n,
	    row_number() OVER (ORDER BY
	    CASE WHEN p_sort = 'createdAt' THEN m.created_at END,
	    CASE WHEN p_sort = '-createdAt' THEN m.created_at END DESC,
	    CASE WHEN p_sort = 'email' THEN lower(m.email) END,
	    CASE WHEN p_sort = '-email' THEN lower(m.email) END DESC,
	    CASE WHEN p_sort = 'lastLoginAt' THEN m.last_login_at END
	        NULLS FIRST,
	    CASE WHEN p_sort = '-lastLoginAt' THEN m.last_login_at END DESC
	        NULLS LAST,
	    CASE WHEN p_sort = 'status' THEN m.status END,
	    CASE WHEN p_sort = '-status' THEN m.status END DESC,
	    CASE WHEN left(p_sort, 1) = '-' THEN m.id END DESC,
	    m.id) AS k FROM m)
	SELECT u.id, u.email, u.email_verified_at IS NOT NULL, u.status,
	    o.id, o.slug, o.name, coalesce(p.first_name, ''),
	    coalesce(p.last_name, ''), coalesce(p.phone, ''),
	    coalesce(p.preferences, '{}')::text,
	    coalesce(p.addresses, '[]')::text,
	    floor(extract(epoch FROM u.created_at))::bigint,
	    floor(extract(epoch FROM greatest(u.updated_at,
	        p.updated_at)))::bigint,
	    floor(extract(epoch FROM u.last_login_at))::bigint,
	    NULL::text, coalesce(rl.roles, ''), pg.n
	FROM pg JOIN users u ON u.id = pg.id
	JOIN organisations o ON o.id = u.organisation_id
	LEFT JOIN profiles p ON p.user_id = u.id
	LEFT JOIN LATERAL (SELECT string_agg(r.slug, ',' ORDER BY r.slug)
	    AS roles FROM user_roles ur JOIN roles r ON r.id = ur.role_id
	    WHERE ur.user_id = u.id) rl ON true
	WHERE pg.k > p_offset AND pg.k <= p_offset + p_limit
	ORDER BY pg.k;
END $$;

CREATE TABLE invitations (
	id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	organisation_id uuid NOT NULL REFERENCES organisations (id)
	    ON DELETE CASCADE,
	email text NOT NULL CHECK (length(email) <= 254),
	role_id uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
	token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	accepted_at timestamptz,
	accepted_user uuid REFERENCES users (id) ON DELETE SET NULL,
	revoked_at timestamptz
);
CREATE INDEX invitations_org ON invitations (organisation_id, created_at);

-- Audit queries: by organisation and id, optionally by action, category,
-- actor or target; counters answer the totals of the common filters
-- without counting millions of rows.
DROP INDEX audit_log_org_time;
CREATE INDEX audit_log_org ON audit_log (organisation_id, id);
CREATE INDEX audit_log_org_action ON audit_log (organisation_id, action, id);
CREATE INDEX audit_log_org_category ON audit_log
    (organisation_id, category, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_target ON audit_log (target_id, id);
CREATE INDEX audit_log_time ON audit_log (created_at);

CREATE TABLE audit_counts (
	organisation_id uuid NOT NULL,
	action text NOT NULL,
	category text NOT NULL,
	n bigint NOT NULL,
	PRIMARY KEY (organisation_id, action)
);
INSERT INTO audit_counts
    SELECT organisation_id, action, min(category), count(*) FROM audit_log
    WHERE organisation_id IS NOT NULL GROUP BY organisation_id, action;

-- Statement-level, so a purge of a million rows costs one grouped update.
CREATE FUNCTION audit_count_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO audit_counts SELECT organisation_id, action,
	    min(category), count(*) FROM added
	    WHERE organisation_id IS NOT NULL GROUP BY organisation_id, action
	    ON CONFLICT (organisation_id, action)
	    DO UPDATE SET n = audit_counts.n + excluded.n;
	RETURN NULL;
END $$;
CREATE TRIGGER audit_count_insert AFTER INSERT ON audit_log
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION audit_count_insert();

CREATE FUNCTION audit_count_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE audit_counts c SET n = c.n - g.n FROM (SELECT organisation_id,
	    action, count(*) AS n FROM gone WHERE organisation_id IS NOT NULL
	    GROUP BY organisation_id, action) g
	    WHERE c.organisation_id = g.organisation_id
	    AND c.action = g.action;
	RETURN NULL;
END $$;
CREATE TRIGGER audit_count_delete AFTER DELETE ON audit_log
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION audit_count_delete();

-- Append-only: no UPDATE ever; DELETE only by the retention purge, which
-- says so with SET LOCAL iam.audit_purge = 'on'.
CREATE FUNCTION audit_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' AND
	    current_setting('iam.audit_purge', true) = 'on' THEN
		RETURN OLD;
	END IF;
	RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = '42501';
END $$;
CREATE TRIGGER audit_guard BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_guard();

-- After a purge the first kept row's prev_hash points at a row that is
-- gone; the anchor records that hash so the chain still verifies.
CREATE TABLE audit_anchor (
	id integer PRIMARY KEY CHECK (id = 1),
	first_id bigint NOT NULL,
	prev_hash bytea NOT NULL,
	purged_at timestamptz NOT NULL DEFAULT now(),
	purged bigint NOT NULL
);

-- How far the exporter has shipped events to LOG_REMOTE_URL.
CREATE TABLE audit_export (
	id integer PRIMARY KEY CHECK (id = 1),
	last_id bigint NOT NULL DEFAULT 0,
	updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO audit_export (id) VALUES (1);

CREATE FUNCTION role_doc(r roles) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', r.id, 'slug', r.slug, 'name', r.name,
	    'description', r.description,
	    'permissions', to_jsonb(r.permissions), 'builtin', r.builtin,
	    'createdAt', iso(r.created_at), 'updatedAt', iso(r.updated_at))
$$;

CREATE FUNCTION invite_doc(i invitations) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', i.id, 'email', i.email,
	    'role', (SELECT slug FROM roles WHERE id = i.role_id),
	    'status', CASE WHEN i.accepted_at IS NOT NULL THEN 'accepted'
	        WHEN i.revoked_at IS NOT NULL THEN 'revoked'
	        WHEN i.expires_at <= now() THEN 'expired' ELSE 'pending' END,
	    'expiresAt', iso(i.expires_at), 'createdAt', iso(i.created_at))
$$;

CREATE FUNCTION audit_doc(a audit_log) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', a.id, 'createdAt', iso(a.created_at),
	    'action', a.action, 'category', a.category, 'success', a.success,
	    'actor', jsonb_build_object('type', a.actor_type, 'id', a.actor_id,
	        'email', a.actor_email),
	    'target', jsonb_build_object('type', a.target_type,
	        'id', a.target_id),
	    'ip', a.ip, 'userAgent', a.user_agent, 'details', a.details)
$$;

-- Access tokens are verified without the database; to end them before
-- they expire, a revocation says "tokens of this scope issued before
-- cutoff are void".  Workers load the recent ones (younger than the
-- longest access-token life) and hear of new ones by NOTIFY iam_tokens.
CREATE TABLE token_revocations (
	id bigserial PRIMARY KEY,
	scope text NOT NULL CHECK (scope IN ('all', 'org', 'user')),
	subject uuid,
	cutoff timestamptz NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	CHECK ((scope = 'all') = (subject IS NULL))
);
CREATE INDEX token_revocations_cutoff ON token_revocations (cutoff);
