-- Browser sessions: a session the hosted pages start is held by the
-- iam_sid cookie, stored as its SHA-256 (cookie_hash), with the SHA-256
-- of its CSRF token (csrf_hash), so a form's _csrf or X-CSRF-Token is
-- checked against the session itself and a cookie planted by a sibling
-- host cannot stand in for it.  API sessions (kind 'api') are held by
-- their refresh tokens, as before.  auth_time is when the user last
-- proved who they are (OIDC auth_time, max_age).
ALTER TABLE sessions ADD COLUMN kind text NOT NULL DEFAULT 'api'
    CHECK (kind IN ('api', 'browser'));
ALTER TABLE sessions ADD COLUMN cookie_hash bytea UNIQUE
    CHECK (length(cookie_hash) = 32);
ALTER TABLE sessions ADD COLUMN csrf_hash bytea
    CHECK (length(csrf_hash) = 32);
ALTER TABLE sessions ADD COLUMN auth_time timestamptz NOT NULL
    DEFAULT now();
ALTER TABLE sessions ADD CONSTRAINT sessions_browser_cookie
    CHECK ((kind = 'browser') = (cookie_hash IS NOT NULL AND
    csrf_hash IS NOT NULL));
CREATE INDEX sessions_live_browser ON sessions (expires_at)
    WHERE kind = 'browser' AND revoked_at IS NULL;
