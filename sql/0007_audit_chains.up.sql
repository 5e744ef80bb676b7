-- The audit log as per-organisation keyed chains (issue 10).
--
-- A request only inserts its event (UUIDv7 id, RFC 9562) and a row of
-- audit_pending, in the same statement, taking no lock of its own.  A chainer (a
-- child of the fcgi master, or iamctl audit chain) links committed events
-- in its own order into audit_links, insert-only: for each chain (an
-- organisation, or the instance chain of events about none) a sequence
-- number and an HMAC-SHA256 under a versioned random chain key that is
-- stored only sealed under SECRET_ENCRYPTION_KEY (audit_keys).  Whoever
-- can write the database cannot recompute a valid link.
--
-- Personal data (actor email, IP address, user agent) stays erasable: the
-- link covers a salted digest of those fields, kept apart, so erasing
-- them (and the salt) leaves the chain valid.

-- RFC 9562 UUIDv7 from its parts: 48 bits of Unix milliseconds, the
-- version, 12 bits rand_a, the variant and 62 bits of rand_b.
CREATE FUNCTION uuid7_make(ms bigint, rand_a integer, rand_b bytea)
RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
	SELECT encode(substring(int8send(ms) FROM 3 FOR 6)
	    || int2send((28672 | (rand_a & 4095))::int2)
	    || set_byte(substring(rand_b FROM 1 FOR 8), 0,
	        (get_byte(rand_b, 0) & 63) | 128), 'hex')::uuid
$$;

-- A UUIDv7 for time t: rand_a holds the sub-millisecond fraction
-- (RFC 9562 §6.2 method 3), so ids of one clock sort by time.
CREATE FUNCTION uuid7(t timestamptz) RETURNS uuid
LANGUAGE sql VOLATILE AS $$
	SELECT uuid7_make(floor(extract(epoch FROM t) * 1000)::bigint,
	    floor((extract(epoch FROM t) * 1000
	        - floor(extract(epoch FROM t) * 1000)) * 4096)::integer,
	    substring(uuid_send(gen_random_uuid()) FROM 9 FOR 8))
$$;

-- The digest of an event's personal fields: SHA-256 over the salt, then
-- each field as a 4-byte big-endian length and its UTF-8 bytes (a NULL
-- as length -1).  The verifier recomputes it in C.  STABLE, as convert_to
-- is, so that the planner inlines it into the insert (declared
-- IMMUTABLE it ran as a function call per event).
CREATE FUNCTION audit_personal(salt bytea, email text, ip text, ua text)
RETURNS bytea LANGUAGE sql STABLE AS $$
	SELECT sha256(salt
	    || coalesce(int4send(octet_length(convert_to(email, 'UTF8')))
	        || convert_to(email, 'UTF8'), int4send(-1))
	    || coalesce(int4send(octet_length(convert_to(ip, 'UTF8')))
	        || convert_to(ip, 'UTF8'), int4send(-1))
	    || coalesce(int4send(octet_length(convert_to(ua, 'UTF8')))
	        || convert_to(ua, 'UTF8'), int4send(-1)))
$$;

DROP TRIGGER audit_guard ON audit_log;
DROP TRIGGER audit_count_insert ON audit_log;
DROP TRIGGER audit_count_delete ON audit_log;
DROP FUNCTION audit_doc(audit_log);
DROP FUNCTION audit_payload(audit_log);
DROP INDEX audit_log_org, audit_log_org_action, audit_log_org_category,
    audit_log_actor, audit_log_target, audit_log_time;
ALTER TABLE audit_log RENAME TO audit_log_v6;
ALTER TABLE audit_log_v6 RENAME CONSTRAINT audit_log_pkey
    TO audit_log_v6_pkey;

CREATE TABLE audit_log (
	id uuid PRIMARY KEY,
	created_at timestamptz NOT NULL,
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
	-- personal fields: the salt goes when they are erased
	personal_salt bytea,
	personal_digest bytea NOT NULL,
	erased_at timestamptz
);
CREATE INDEX audit_log_org ON audit_log (organisation_id, created_at);
CREATE INDEX audit_log_org_action ON audit_log
    (organisation_id, action, created_at);
CREATE INDEX audit_log_org_category ON audit_log
    (organisation_id, category, created_at);
CREATE INDEX audit_log_actor ON audit_log (actor_id, created_at);
CREATE INDEX audit_log_target ON audit_log (target_id, created_at);
CREATE INDEX audit_log_time ON audit_log (created_at);

-- Events not yet linked, in the order they committed their insert.
CREATE TABLE audit_pending (
	n bigserial PRIMARY KEY,
	event_id uuid NOT NULL
);

-- The chain keys: 32 random bytes each, sealed (AES-256-GCM, the
-- version as associated data) under SECRET_ENCRYPTION_KEY.
CREATE TABLE audit_keys (
	version integer PRIMARY KEY CHECK (version > 0),
	sealed bytea NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);

-- chain: the organisation, or the nil UUID for the instance chain.
-- mac = HMAC-SHA256(key[key_version], the link's canonical bytes, which
-- include prev_mac); n numbers every link in the order made (the
-- exporter's cursor).
CREATE TABLE audit_links (
	event_id uuid PRIMARY KEY,
	chain uuid NOT NULL,
	seq bigint NOT NULL,
	key_version integer NOT NULL,
	prev_mac bytea NOT NULL,
	mac bytea NOT NULL,
	n bigserial NOT NULL UNIQUE,
	UNIQUE (chain, seq)
);

-- Rows carried over: chained anew, oldest first, by the first chainer.
INSERT INTO audit_log SELECT uuid7(created_at), created_at,
    organisation_id, action, category, success, actor_type, actor_id,
    actor_email, target_type, target_id, ip, user_agent, details, s,
    audit_personal(s, actor_email, ip, user_agent), NULL
    FROM (SELECT *, uuid_send(gen_random_uuid()) AS s FROM audit_log_v6) o
    ORDER BY o.id;
INSERT INTO audit_pending (event_id)
    SELECT id FROM audit_log ORDER BY created_at, id;
DROP TABLE audit_log_v6;

-- The anchor of each chain after a purge: the last link taken out.
DROP TABLE audit_anchor;
CREATE TABLE audit_anchor (
	chain uuid PRIMARY KEY,
	seq bigint NOT NULL,
	mac bytea NOT NULL,
	purged_at timestamptz NOT NULL DEFAULT now(),
	purged bigint NOT NULL
);
-- The exporter's cursor is now a link number: carried-over events are
-- shipped again under their new ids.
UPDATE audit_export SET last_id = 0, updated_at = now();

-- The insert statements (store.c) queue their events for the chainer
-- themselves, in the same statement: a trigger did the same for a
-- quarter of an audited write's time.  An event inserted without its
-- queue row is never linked, and verify names it.  No NOTIFY either:
-- PostgreSQL serialises every notifying commit on one lock, which made
-- each audited write wait for all others; the chainer polls its
-- (indexed, usually empty) queue.  Nor counters: an upsert of the
-- (organisation, action) row made every write of one organisation wait
-- for the one before it to commit; the chainer counts what it links (one
-- upsert per batch), and audit_total() adds what is still queued.

-- The number of an organisation's events (of an action, of a category,
-- when given): the chainer's counters and the queue, in one snapshot (the
-- chainer counts an event in the transaction that takes it off the queue).
CREATE FUNCTION audit_total(o uuid, act text, cat text) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT sum(c.n) FROM audit_counts c
	    WHERE c.organisation_id = o AND (act IS NULL OR c.action = act)
	    AND (cat IS NULL OR c.category = cat)), 0)
	    + (SELECT count(*) FROM audit_pending p
	    JOIN audit_log a ON a.id = p.event_id WHERE a.organisation_id = o
	    AND (act IS NULL OR a.action = act)
	    AND (cat IS NULL OR a.category = cat))
$$;
CREATE TRIGGER audit_count_delete AFTER DELETE ON audit_log
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION audit_count_delete();

-- Append-only beyond the grants (sql/grants.sql gives the runtime role no
-- UPDATE or DELETE here): even the owner deletes only inside the
-- retention purge (SET LOCAL iam.audit_purge = 'on'), and updates only
-- to erase personal fields (iam.audit_erase = 'on').
CREATE OR REPLACE FUNCTION audit_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' AND
	    current_setting('iam.audit_purge', true) = 'on' THEN
		RETURN OLD;
	END IF;
	IF TG_OP = 'UPDATE' AND
	    current_setting('iam.audit_erase', true) = 'on' AND
	    NEW.actor_email IS NULL AND NEW.ip IS NULL AND
	    NEW.user_agent IS NULL AND NEW.personal_salt IS NULL AND
	    NEW.erased_at IS NOT NULL AND
	    (NEW.id, NEW.created_at, NEW.organisation_id, NEW.action,
	     NEW.category, NEW.success, NEW.actor_type, NEW.actor_id,
	     NEW.target_type, NEW.target_id, NEW.details,
	     NEW.personal_digest) IS NOT DISTINCT FROM
	    (OLD.id, OLD.created_at, OLD.organisation_id, OLD.action,
	     OLD.category, OLD.success, OLD.actor_type, OLD.actor_id,
	     OLD.target_type, OLD.target_id, OLD.details,
	     OLD.personal_digest) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = '42501';
END $$;
CREATE TRIGGER audit_guard BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_guard();
-- Links: deleted only by the purge, never updated.
CREATE FUNCTION audit_links_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' AND
	    current_setting('iam.audit_purge', true) = 'on' THEN
		RETURN OLD;
	END IF;
	RAISE EXCEPTION 'audit_links is append-only' USING ERRCODE = '42501';
END $$;
CREATE TRIGGER audit_guard BEFORE UPDATE OR DELETE ON audit_links
    FOR EACH ROW EXECUTE FUNCTION audit_links_guard();

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
