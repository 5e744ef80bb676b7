-- Back to one unkeyed SHA-256 chain over integer ids (0002/0003), the
-- events renumbered in time order and chained anew.
DROP TRIGGER audit_guard ON audit_log;
DROP TRIGGER audit_guard ON audit_links;
DROP FUNCTION audit_total(uuid, text, text);
DROP TRIGGER audit_count_delete ON audit_log;
DROP FUNCTION audit_doc(audit_log);
DROP INDEX audit_log_org, audit_log_org_action, audit_log_org_category,
    audit_log_actor, audit_log_target, audit_log_time;
ALTER TABLE audit_log RENAME TO audit_log_v7;
ALTER TABLE audit_log_v7 RENAME CONSTRAINT audit_log_pkey
    TO audit_log_v7_pkey;

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
CREATE INDEX audit_log_org ON audit_log (organisation_id, id);
CREATE INDEX audit_log_org_action ON audit_log (organisation_id, action, id);
CREATE INDEX audit_log_org_category ON audit_log
    (organisation_id, category, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_target ON audit_log (target_id, id);
CREATE INDEX audit_log_time ON audit_log (created_at);

CREATE FUNCTION audit_payload(a audit_log) RETURNS bytea
LANGUAGE sql STABLE AS $$
	SELECT convert_to(jsonb_build_array(a.id,
	    to_char(a.created_at AT TIME ZONE 'UTC',
	        'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
	    a.organisation_id, a.action, a.category, a.success, a.actor_type,
	    a.actor_id, a.actor_email, a.target_type, a.target_id, a.ip,
	    a.user_agent, a.details)::text, 'UTF8')
$$;

INSERT INTO audit_log (created_at, organisation_id, action, category,
    success, actor_type, actor_id, actor_email, target_type, target_id, ip,
    user_agent, details, hash)
    SELECT created_at, organisation_id, action, category, success,
    actor_type, actor_id, actor_email, target_type, target_id, ip,
    user_agent, details, ''::bytea FROM audit_log_v7
    ORDER BY created_at, id;
DO $$
DECLARE
	a audit_log;
	prev bytea := NULL;
BEGIN
	FOR a IN SELECT * FROM audit_log ORDER BY id LOOP
		UPDATE audit_log SET prev_hash = prev,
		    hash = sha256(coalesce(prev, ''::bytea) || audit_payload(a))
		    WHERE id = a.id RETURNING hash INTO prev;
	END LOOP;
END $$;
DROP TABLE audit_log_v7;
DROP TABLE audit_links;
DROP TABLE audit_keys;
DROP TABLE audit_pending;
DROP TABLE audit_anchor;
CREATE TABLE audit_anchor (
	id integer PRIMARY KEY CHECK (id = 1),
	first_id bigint NOT NULL,
	prev_hash bytea NOT NULL,
	purged_at timestamptz NOT NULL DEFAULT now(),
	purged bigint NOT NULL
);
UPDATE audit_export SET last_id = (SELECT coalesce(max(id), 0)
    FROM audit_log), updated_at = now();

CREATE OR REPLACE FUNCTION audit_count_insert() RETURNS trigger
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
CREATE TRIGGER audit_count_delete AFTER DELETE ON audit_log
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION audit_count_delete();

CREATE OR REPLACE FUNCTION audit_guard() RETURNS trigger
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
DROP FUNCTION audit_links_guard();
DROP FUNCTION audit_personal(bytea, text, text, text);
DROP FUNCTION uuid7(timestamptz);
DROP FUNCTION uuid7_make(bigint, integer, bytea);
