DELETE FROM token_revocations WHERE scope = 'session';
ALTER TABLE token_revocations DROP CONSTRAINT token_revocations_scope_check;
ALTER TABLE token_revocations ADD CONSTRAINT token_revocations_scope_check
    CHECK (scope IN ('all', 'org', 'user'));
