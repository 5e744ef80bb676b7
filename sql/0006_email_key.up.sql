-- Addresses are compared on a canonical key (the server computes it:
-- NFKC + case fold of the local part, IDNA of the domain), so that
-- look-alike forms of an address (fullwidth letters, the Kelvin sign)
-- are the same account.  Rows from before hold their lower-cased address.
ALTER TABLE users ADD COLUMN email_key text;
UPDATE users SET email_key = lower(email);
ALTER TABLE users ALTER COLUMN email_key SET NOT NULL;
CREATE UNIQUE INDEX users_email_key_live ON users (email_key)
    WHERE deleted_at IS NULL;
DROP INDEX users_email_live;
