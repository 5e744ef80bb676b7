#!/usr/bin/env bash
# seed.sh ORG_SLUG USERS EVENTS: tops the organisation ORG_SLUG up to
# USERS members and the audit log up to EVENTS events of that
# organisation, straight in PostgreSQL (for the benchmark; the stack in
# $IAM_STACK_DIR, default var/).  Members get profiles and the user role;
# names come from small lists (whitespace in them is trimmed by the
# array syntax), except that exactly 50 members are called "Quillfeather"
# at every size (what the benchmark searches for).  Events
# cycle through 20 actions.  Seeded events carry placeholder hashes: the
# chain of a seeded log does not verify (and is not meant to).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${IAM_STACK_DIR:-$ROOT/var}
slug=$1 users=$2 events=$3

q() {
	local cmd=(psql -h "$DIR/run" -U postgres -d iam -v ON_ERROR_STOP=1 -qAtc "$1")
	if [ "$(id -u)" -eq 0 ]; then runuser -u iam -- "${cmd[@]}"; else "${cmd[@]}"; fi
}

org=$(q "SELECT id FROM organisations WHERE slug = '$slug'")
[ -n "$org" ] || { echo "seed: no organisation $slug" >&2; exit 1; }

have=$(q "SELECT count(*) FROM users WHERE organisation_id = '$org'")
quill=$(q "SELECT count(*) FROM users WHERE organisation_id = '$org'
    AND search_text LIKE '%quillfeather%'")
if [ "$have" -lt "$users" ]; then
	# Triggers off (session_replication_role): search_text is written here.
	q "SET session_replication_role = replica;
	CREATE TEMP TABLE seed AS SELECT n, gen_random_uuid() AS id,
	    'member' || n || '@' || '$slug' || '.bench.example' AS email,
	    ('{Ada,Ben,Cleo,Dev,Eli,Fay,Gus,Hana,Ivo,Jun,Kai,Lea,Milo,Nia,Otto,
	    Pia,Quin,Rosa,Sam,Tia,Uma,Vic,Wren,Xia,Yan,Zoe}'::text[])[n % 26 + 1]
	        AS first,
	    CASE WHEN n < $have + 50 - $quill THEN 'Quillfeather' ELSE ('{Smith,Jones,Taylor,
	    Brown,Williams,Wilson,Johnson,Davies,Robinson,Wright,Thompson,Evans,
	    Walker,White,Roberts,Green,Hall,Wood,Jackson,Clarke,Patel,Khan,Lewis,
	    James,Phillips,Mason,Mitchell,Rose,Davis,Rodriguez,Cox,Alexander,
	    Garden,Campbell,Johnston,Moore,Smyth,Oneill,Doherty,Stewart,Quinn,
	    Murphy,Graham,Mclaughlin,Hamilton,Murray,Hughes,Robertson,Thomson,
	    Scott}'::text[])[(n / 26) % 50 + 1] END AS last
	    FROM generate_series($have, $users - 1) n;
	INSERT INTO users (id, organisation_id, email, status, created_at,
	    updated_at, email_verified_at, search_text)
	    SELECT id, '$org', email, 'active',
	    now() - (n || ' seconds')::interval, now(), now(),
	    lower(email) || chr(31) || lower(first) || chr(31) || lower(last)
	    FROM seed;
	INSERT INTO profiles (user_id, first_name, last_name)
	    SELECT id, first, last FROM seed;
	INSERT INTO user_roles (user_id, role_id) SELECT s.id, r.id FROM seed s,
	    roles r WHERE r.organisation_id = '$org' AND r.slug = 'user';
	ANALYZE users; ANALYZE profiles; ANALYZE user_roles;"
fi

have=$(q "SELECT count(*) FROM audit_log")
if [ "$have" -lt "$events" ]; then
	step=1000000
	from=$have
	while [ "$from" -lt "$events" ]; do
		to=$(( from + step < events ? from + step : events ))
		q "SET session_replication_role = replica;
		INSERT INTO audit_log (organisation_id, action, category, success,
		    actor_type, actor_id, target_type, target_id, ip, user_agent,
		    details, hash, created_at)
		SELECT '$org', a.action, split_part(a.action, '.', 1), n % 17 <> 0,
		    'user', NULL, 'user', 'seed-' || n, '192.0.2.' || (n % 250),
		    'bench', '{}', sha256(int8send(n)),
		    now() - ((($events - n) / 10) || ' seconds')::interval
		FROM generate_series($from, $to - 1) n
		JOIN (SELECT row_number() OVER () - 1 AS i, action FROM unnest(
		    '{auth.login,auth.login_failed,auth.logout,token.refresh,
		    token.reuse_detected,password.change,password.reset,email.verify,
		    user.update,user.delete,user.create,user.roles,role.update,
		    session.revoke,invitation.create,invitation.accept,
		    organisation.update,user.export,auth.logout_all,
		    email.verification_sent}'::text[]) action) a ON a.i = n % 20"
		from=$to
	done
	# The insert trigger was off: count afresh.
	q "TRUNCATE audit_counts; INSERT INTO audit_counts SELECT organisation_id,
	    action, min(category), count(*) FROM audit_log
	    WHERE organisation_id IS NOT NULL GROUP BY organisation_id, action;
	    ANALYZE audit_log"
fi
echo "seed: $slug has $(q "SELECT count(*) FROM users WHERE organisation_id = '$org'") members; the log $(q "SELECT count(*) FROM audit_log") events"
