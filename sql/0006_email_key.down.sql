CREATE UNIQUE INDEX users_email_live ON users (lower(email))
    WHERE deleted_at IS NULL;
DROP INDEX users_email_key_live;
ALTER TABLE users DROP COLUMN email_key;
