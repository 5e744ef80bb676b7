-- Failed sign-ins of addresses that have no account, counted and locked
-- exactly as users.failed_logins / users.locked_until are for those that
-- do: the answers (Retry-After included) and the work in the request are
-- the same whether an address exists or not.  The key is the SHA-256 of
-- the lower-cased address, so no address is stored.
CREATE TABLE login_throttle (
	address_key bytea PRIMARY KEY CHECK (length(address_key) = 32),
	failed integer NOT NULL DEFAULT 0,
	locked_until timestamptz,
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_throttle_updated ON login_throttle (updated_at);
