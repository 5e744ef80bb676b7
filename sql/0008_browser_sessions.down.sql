DELETE FROM sessions WHERE kind = 'browser';
DROP INDEX sessions_live_browser;
ALTER TABLE sessions DROP CONSTRAINT sessions_browser_cookie;
ALTER TABLE sessions DROP COLUMN auth_time;
ALTER TABLE sessions DROP COLUMN csrf_hash;
ALTER TABLE sessions DROP COLUMN cookie_hash;
ALTER TABLE sessions DROP COLUMN kind;
