-- The identity of this installation: one row, created with the schema.
-- Workers read it by primary key in /health/ready, so readiness proves the
-- schema is in place and not just that PostgreSQL answers.
CREATE TABLE instance (
	id boolean PRIMARY KEY DEFAULT true CHECK (id),
	instance_id uuid NOT NULL DEFAULT gen_random_uuid(),
	created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO instance DEFAULT VALUES;
