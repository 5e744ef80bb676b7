-- What the runtime role (the user of DATABASE_URL: workers, mailer,
-- exporter, chainer) may do, applied by `iamctl migrate up` as the owner
-- (DATABASE_OWNER_URL) after every migration run.  @RUNTIME@ is the
-- runtime role, quoted.  No DDL: the role owns nothing and has no CREATE
-- on the schema.  Audit rows, links and anchors: read and insert only, so
-- no setting a session can change lets it rewrite history.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM @RUNTIME@;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM @RUNTIME@;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM @RUNTIME@;
GRANT USAGE ON SCHEMA public TO @RUNTIME@;

GRANT SELECT, INSERT, UPDATE, DELETE ON
    organisations, users, profiles, sessions, refresh_tokens,
    signing_keys, email_tokens, email_outbox, roles, user_roles,
    invitations, token_revocations, login_throttle, audit_counts,
    oauth_clients
    TO @RUNTIME@;
GRANT SELECT ON instance, schema_migrations TO @RUNTIME@;
GRANT SELECT, INSERT ON audit_log, audit_links TO @RUNTIME@;
GRANT SELECT, INSERT, DELETE ON audit_pending TO @RUNTIME@;
-- keys are created by the first chainer and re-sealed on a key rotation
GRANT SELECT, INSERT, UPDATE ON audit_keys TO @RUNTIME@;
GRANT SELECT ON audit_anchor TO @RUNTIME@;
GRANT SELECT, UPDATE ON audit_export TO @RUNTIME@;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO @RUNTIME@;
