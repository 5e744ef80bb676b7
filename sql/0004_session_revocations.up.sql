-- Ending a session ends its access tokens at once: a revocation of scope
-- 'session' names the session id, and voids every access token that
-- carries it (its sid claim), whatever its iat.
ALTER TABLE token_revocations DROP CONSTRAINT token_revocations_scope_check;
ALTER TABLE token_revocations ADD CONSTRAINT token_revocations_scope_check
    CHECK (scope IN ('all', 'org', 'user', 'session'));
