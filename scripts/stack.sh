#!/usr/bin/env bash
# Starts and stops the whole stack on loopback, under one directory:
# a private PostgreSQL 15 cluster, memcached, the FastCGI master (through
# spawn-fcgi, on a unix socket) and NGINX with its own prefix.
#
#   scripts/stack.sh up | down | status
#   scripts/stack.sh start|stop postgres|memcached|fcgi|nginx
#   scripts/stack.sh reload          SIGHUP to the FastCGI master
#
# Environment: IAM_STACK_DIR (default ./var), IAM_HTTP_PORT (8080),
# IAM_MC_PORT (11311), IAM_BIN (./bin), IAM_STACK_MODE (run|test|bench),
# IAM_RUN_USER (when root; default iam).  Every configuration key of
# iam-fcgi found in the environment is written into the rendered
# $IAM_STACK_DIR/iam.conf, so it reaches the server and iamctl alike.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${IAM_STACK_DIR:-$ROOT/var}
HTTP_PORT=${IAM_HTTP_PORT:-8080}
MC_PORT=${IAM_MC_PORT:-11311}
BIN=${IAM_BIN:-$ROOT/bin}
MODE=${IAM_STACK_MODE:-run}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$PGBIN" ] || { echo "stack: PostgreSQL server binaries not found" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
	RUN_USER=${IAM_RUN_USER:-iam}
else
	RUN_USER=$(id -un)
fi

say() { printf 'stack: %s\n' "$*"; }
die() { printf 'stack: %s\n' "$*" >&2; exit 1; }

# Runs a command as the service user.
as_user() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$RUN_USER" -- "$@"
	else
		"$@"
	fi
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

ensure_user() {
	[ "$(id -u)" -eq 0 ] || return 0
	id "$RUN_USER" >/dev/null 2>&1 && return 0
	say "creating system user $RUN_USER"
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin "$RUN_USER"
}

# The service user must be able to reach $DIR: give search (not read)
# permission on any ancestor that denies it.
ensure_reachable() {
	[ "$(id -u)" -eq 0 ] || return 0
	local d=$DIR
	while [ "$d" != / ]; do
		d=$(dirname "$d")
		if ! runuser -u "$RUN_USER" -- test -x "$d" 2>/dev/null; then
			say "granting search permission on $d to others (for $RUN_USER)"
			chmod o+x "$d"
		fi
	done
}

layout() {
	mkdir -p "$DIR"/{run,log,bin,nginx/tmp,mail}
	chmod 0755 "$DIR"
	chmod 0700 "$DIR/run"
	if [ "$(id -u)" -eq 0 ]; then
		chown -R "$RUN_USER:" "$DIR"
	fi
}

pg_dir() { echo "$DIR/pg"; }
# Three PostgreSQL roles: postgres, the cluster's superuser (the stack's
# own maintenance and the tests' tampering); iam_owner, which owns the
# database and its schema and runs migrations and the audit purge; iam,
# the runtime role of the workers, mailer and exporter (no DDL, no
# superuser, no UPDATE or DELETE on the audit log: sql/grants.sql).
pg_url() { echo "postgresql:///iam?host=$DIR/run&user=iam"; }
pg_owner_url() { echo "postgresql:///iam?host=$DIR/run&user=iam_owner"; }
pg_su() { as_user "$PGBIN/psql" -h "$DIR/run" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

start_postgres() {
	local pg; pg=$(pg_dir)
	if [ -f "$pg/postmaster.pid" ] && as_user "$PGBIN/pg_ctl" -D "$pg" status >/dev/null 2>&1; then
		pg_roles
		return 0
	fi
	if [ ! -f "$pg/PG_VERSION" ]; then
		say "initdb $pg"
		as_user "$PGBIN/initdb" -D "$pg" -U postgres -E UTF8 --locale=C \
		    --auth-local=trust --auth-host=reject >"$DIR/log/initdb.log" 2>&1 \
		    || { cat "$DIR/log/initdb.log"; die "initdb failed"; }
		{
			echo "listen_addresses = ''"
			echo "unix_socket_directories = '$DIR/run'"
			echo "max_connections = 100"
			echo "shared_buffers = 128MB"
			if [ "$MODE" != run ]; then
				# Throw-away test clusters trade durability for speed.
				echo "fsync = off"
				echo "synchronous_commit = off"
				echo "full_page_writes = off"
			fi
		} | as_user tee -a "$pg/postgresql.conf" >/dev/null
	fi
	as_user "$PGBIN/pg_ctl" -D "$pg" -l "$DIR/log/postgres.log" -w -t 60 start >/dev/null \
	    || { tail -n 20 "$DIR/log/postgres.log" >&2; die "postgres did not start"; }
	pg_roles
}

pg_roles() {
	# A cluster made before the roles were split has "iam" as its
	# bootstrap superuser, which cannot be demoted: it is renamed
	# postgres, and a new, unprivileged iam is made.
	if [ "$(as_user "$PGBIN/psql" -h "$DIR/run" -U iam -d postgres -tAc \
	    "SELECT rolname FROM pg_roles WHERE oid = 10" 2>/dev/null)" = iam ]; then
		say "splitting the database roles of an older stack"
		as_user "$PGBIN/psql" -h "$DIR/run" -U iam -d postgres -qtAc \
		    "CREATE ROLE iam_upgrade SUPERUSER LOGIN" >/dev/null
		as_user "$PGBIN/psql" -h "$DIR/run" -U iam_upgrade -d postgres -qtAc \
		    "ALTER ROLE iam RENAME TO postgres" >/dev/null
		pg_su -d postgres -c "DROP ROLE iam_upgrade" >/dev/null
	fi
	pg_su -d postgres <<-'SQL' >/dev/null
	DO $$ BEGIN
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'iam_owner') THEN
			CREATE ROLE iam_owner LOGIN;
		END IF;
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'iam') THEN
			CREATE ROLE iam LOGIN;
		END IF;
	END $$;
	ALTER ROLE iam NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
	ALTER ROLE iam_owner NOSUPERUSER NOCREATEDB NOCREATEROLE;
	SQL
	if ! pg_su -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'iam'" | grep -q 1; then
		pg_su -d postgres -c "CREATE DATABASE iam OWNER iam_owner" >/dev/null
	fi
	# Whatever an older stack made belongs to the owner from now on.
	pg_su -d iam <<-'SQL' >/dev/null
	ALTER DATABASE iam OWNER TO iam_owner;
	ALTER SCHEMA public OWNER TO iam_owner;
	REVOKE CREATE ON SCHEMA public FROM PUBLIC;
	DO $$ DECLARE o record; BEGIN
		FOR o IN SELECT c.oid::regclass AS n FROM pg_class c
		    JOIN pg_namespace s ON s.oid = c.relnamespace
		    WHERE s.nspname = 'public' AND c.relkind IN ('r', 'p', 'v')
		    AND pg_get_userbyid(c.relowner) <> 'iam_owner' LOOP
			EXECUTE format('ALTER TABLE %s OWNER TO iam_owner', o.n);
		END LOOP;
		FOR o IN SELECT c.oid::regclass AS n FROM pg_class c
		    JOIN pg_namespace s ON s.oid = c.relnamespace
		    WHERE s.nspname = 'public' AND c.relkind = 'S'
		    AND pg_get_userbyid(c.relowner) <> 'iam_owner' LOOP
			EXECUTE format('ALTER SEQUENCE %s OWNER TO iam_owner', o.n);
		END LOOP;
		FOR o IN SELECT p.oid::regprocedure AS n FROM pg_proc p
		    JOIN pg_namespace s ON s.oid = p.pronamespace
		    WHERE s.nspname = 'public'
		    AND pg_get_userbyid(p.proowner) <> 'iam_owner' LOOP
			EXECUTE format('ALTER FUNCTION %s OWNER TO iam_owner', o.n);
		END LOOP;
	END $$;
	SQL
}

stop_postgres() {
	local pg; pg=$(pg_dir)
	[ -f "$pg/postmaster.pid" ] || return 0
	as_user "$PGBIN/pg_ctl" -D "$pg" -m fast -w stop >/dev/null 2>&1 || true
}

start_memcached() {
	alive "$DIR/run/memcached.pid" && return 0
	local u=()
	[ "$(id -u)" -eq 0 ] && u=(-u "$RUN_USER")
	memcached -d "${u[@]}" -l 127.0.0.1 -p "$MC_PORT" -U 0 -m 64 -c 1024 \
	    -P "$DIR/run/memcached.pid"
	for _ in $(seq 50); do
		alive "$DIR/run/memcached.pid" && return 0
		sleep 0.1
	done
	die "memcached did not start"
}

# The stack's SECRET_ENCRYPTION_KEY: made once, kept in $DIR (mode 0600).
secret_key() {
	local f=$DIR/secret.key
	if [ ! -s "$f" ]; then
		(umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$f")
		[ "$(id -u)" -eq 0 ] && chown "$RUN_USER:" "$f"
	fi
	cat "$f"
}

# Renders $DIR/iam.conf: conf/iam.conf, then the stack's own keys, then
# every configuration key present in the environment.
render_conf() {
	local out=$DIR/iam.conf tmp key
	# The server's user may not be able to read the checkout (a mode 700
	# directory): it reads its copy of the password list.
	cp -f "$ROOT/conf/common-passwords.txt" "$DIR/common-passwords.txt"
	chmod 0644 "$DIR/common-passwords.txt"
	rm -rf "$DIR/templates.new"
	cp -R "$ROOT/conf/templates" "$DIR/templates.new"
	chmod -R a+rX "$DIR/templates.new"
	rm -rf "$DIR/templates"
	mv "$DIR/templates.new" "$DIR/templates"
	tmp=$(mktemp)
	{
		echo "# Rendered by scripts/stack.sh from conf/iam.conf; edits are lost."
		grep -v '^[[:space:]]*\(#\|$\)' "$ROOT/conf/iam.conf" || true
		echo "DATABASE_URL = $(pg_url)"
		echo "DATABASE_OWNER_URL = $(pg_owner_url)"
		echo "MEMCACHED_SERVERS = 127.0.0.1:$MC_PORT"
		echo "MIGRATIONS_DIR = $ROOT/sql"
		echo "COMMON_PASSWORDS_FILE = $DIR/common-passwords.txt"
		echo "TEMPLATES_DIR = $DIR/templates"
		echo "SECRET_ENCRYPTION_KEY = $(secret_key)"
		echo "MAIL_DIR = $DIR/mail"
		echo "ISSUER_URL = http://127.0.0.1:$HTTP_PORT"
		while IFS=$'\t' read -r key _; do
			if [ -n "${!key+x}" ]; then
				printf '%s = "%s"\n' "$key" "${!key}"
			fi
		done < <("$BIN/iam-fcgi" -K)
	} > "$tmp"
	# Later lines win: keep only the last occurrence of each key.
	tac "$tmp" | awk -F'[[:space:]]*=' '/^#/ {print; next} !seen[$1]++' | tac > "$out.new"
	rm -f "$tmp"
	chmod 0640 "$out.new"
	[ "$(id -u)" -eq 0 ] && chown "$RUN_USER:" "$out.new"
	mv "$out.new" "$out"
	"$BIN/iam-fcgi" -n -c "$out" >/dev/null
}

migrate() {
	"$BIN/iamctl" -c "$DIR/iam.conf" migrate up | sed 's/^/migrate: /'
}

start_fcgi() {
	alive "$DIR/run/iam-fcgi.pid" && return 0
	cp -f "$BIN/iam-fcgi" "$BIN/iamctl" "$DIR/bin/"
	rm -f "$DIR/run/iam.sock"
	local u=()
	[ "$(id -u)" -eq 0 ] && u=(-u "$RUN_USER" -U "$RUN_USER")
	# -n: spawn-fcgi execs iam-fcgi in place, so $! is the master's pid and
	# its stderr (the JSON log) goes to our file.  The environment is
	# emptied: the rendered file already carries every key it held, and a
	# key left in the environment would override the file on every reload.
	local keep=(PATH="$PATH")
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		[ -n "${!v+x}" ] && keep+=("$v=${!v}")
	done
	setsid env -i "${keep[@]}" \
	    spawn-fcgi -n -s "$DIR/run/iam.sock" -M 0600 "${u[@]}" \
	    -- "$DIR/bin/iam-fcgi" -c "$DIR/iam.conf" \
	    </dev/null >>"$DIR/log/iam.log" 2>&1 &
	echo $! > "$DIR/run/iam-fcgi.pid"
	for _ in $(seq 100); do
		[ -S "$DIR/run/iam.sock" ] && alive "$DIR/run/iam-fcgi.pid" && return 0
		sleep 0.05
	done
	tail -n 20 "$DIR/log/iam.log" >&2
	die "iam-fcgi did not start"
}

stop_pidfile() {
	local pidfile=$1 sig=${2:-TERM} wait=${3:-30}
	alive "$pidfile" || { rm -f "$pidfile"; return 0; }
	local pid; pid=$(cat "$pidfile")
	kill -"$sig" "$pid" 2>/dev/null || true
	for _ in $(seq $((wait * 10))); do
		kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$pidfile"
}

start_mailer() {
	alive "$DIR/run/iam-mailer.pid" && return 0
	cp -f "$BIN/iam-mailer" "$DIR/bin/"
	local cmd=("$DIR/bin/iam-mailer" -c "$DIR/iam.conf")
	# setpriv execs in place (runuser would fork and keep the pid we
	# record, and not pass SIGTERM on): $! is the mailer itself.
	if [ "$(id -u)" -eq 0 ]; then
		cmd=(setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups -- "${cmd[@]}")
	fi
	setsid "${cmd[@]}" </dev/null >>"$DIR/log/mailer.log" 2>&1 &
	echo $! > "$DIR/run/iam-mailer.pid"
	sleep 0.1
	alive "$DIR/run/iam-mailer.pid" || { tail -n 5 "$DIR/log/mailer.log" >&2; die "iam-mailer did not start"; }
}

# The audit exporter runs when LOG_REMOTE_URL is set (iamctl audit export
# --follow: it ships events in batches, retrying while the collector is
# down), and is stopped when it is not.
start_exporter() {
	if ! grep -q '^LOG_REMOTE_URL = ..*' "$DIR/iam.conf"; then
		stop_pidfile "$DIR/run/iam-export.pid" TERM 10
		return 0
	fi
	alive "$DIR/run/iam-export.pid" && return 0
	local cmd=("$DIR/bin/iamctl" -c "$DIR/iam.conf" audit export --follow)
	if [ "$(id -u)" -eq 0 ]; then
		cmd=(setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups -- "${cmd[@]}")
	fi
	setsid "${cmd[@]}" </dev/null >>"$DIR/log/export.log" 2>&1 &
	echo $! > "$DIR/run/iam-export.pid"
}

# make run: a system administrator to sign in with, made once; its
# password is kept (mode 600) in $DIR/bootstrap-admin and shown each run.
bootstrap_admin() {
	local f=$DIR/bootstrap-admin email=admin@iam.test pw rc
	if [ ! -s "$f" ]; then
		pw=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
		rc=0
		printf '%s\n' "$pw" | "$BIN/iamctl" -c "$DIR/iam.conf" create-admin \
		    --email "$email" >/dev/null || rc=$?
		if [ "$rc" -ne 0 ]; then
			say "bootstrap admin $email not created (iamctl exit $rc)"
			return 0
		fi
		( umask 077; printf '%s %s\n' "$email" "$pw" > "$f" )
	fi
	read -r email pw < "$f"
	printf '    admin:    %s / %s (system administrator; kept in %s)\n' \
	    "$email" "$pw" "$f"
}

render_nginx() {
	local user_line="" extra=""
	[ "$(id -u)" -eq 0 ] && user_line="user $RUN_USER;"
	[ -f "$DIR/nginx/extra.conf" ] || : > "$DIR/nginx/extra.conf"
	sed -e "s|@DIR@|$DIR|g" -e "s|@PORT@|$HTTP_PORT|g" \
	    -e "s|@USER_LINE@|$user_line|g" \
	    "$ROOT/conf/nginx-stack.conf.in" > "$DIR/nginx/nginx.conf"
	: "$extra"
}

start_nginx() {
	alive "$DIR/run/nginx.pid" && return 0
	render_nginx
	nginx -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -e "$DIR/log/nginx-error.log" -q \
	    || die "nginx did not start (see $DIR/log/nginx-error.log)"
	for _ in $(seq 50); do
		alive "$DIR/run/nginx.pid" && return 0
		sleep 0.1
	done
	die "nginx did not start"
}

wait_healthy() {
	for _ in $(seq 100); do
		if curl -fsS -o /dev/null "http://127.0.0.1:$HTTP_PORT/health/ready" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	die "the stack did not become ready; logs in $DIR/log"
}

up() {
	[ -x "$BIN/iam-fcgi" ] || die "$BIN/iam-fcgi missing: run make"
	ensure_user
	layout
	ensure_reachable
	start_postgres
	start_memcached
	render_conf
	migrate
	if alive "$DIR/run/iam-fcgi.pid"; then
		cp -f "$BIN/iam-fcgi" "$BIN/iamctl" "$DIR/bin/"
		kill -HUP "$(cat "$DIR/run/iam-fcgi.pid")"
		stop_pidfile "$DIR/run/iam-mailer.pid" TERM 10
		say "iam-fcgi was running: configuration reloaded"
	fi
	start_fcgi
	start_mailer
	start_exporter
	start_nginx
	wait_healthy
	if [ "$MODE" = run ]; then
		cat <<EOT

  iam is running at http://127.0.0.1:$HTTP_PORT
    sign in:  http://127.0.0.1:$HTTP_PORT/login (the hosted pages)
    health:   curl http://127.0.0.1:$HTTP_PORT/health/ready
    api:      http://127.0.0.1:$HTTP_PORT/openapi.json
    config:   $DIR/iam.conf (bin/iamctl reads it from this checkout)
    logs:     $DIR/log/
    stop:     make stop
EOT
		bootstrap_admin
		echo
	fi
}

down() {
	stop_pidfile "$DIR/run/nginx.pid" QUIT 10
	stop_pidfile "$DIR/run/iam-fcgi.pid" TERM 30
	stop_pidfile "$DIR/run/iam-mailer.pid" TERM 10
	stop_pidfile "$DIR/run/iam-export.pid" TERM 10
	stop_pidfile "$DIR/run/memcached.pid" TERM 10
	stop_postgres
	rm -f "$DIR/run/iam.sock"
}

status() {
	local f
	for f in nginx iam-fcgi iam-mailer iam-export memcached; do
		if alive "$DIR/run/$f.pid"; then echo "$f: running ($(cat "$DIR/run/$f.pid"))"
		else echo "$f: stopped"; fi
	done
	if [ -f "$(pg_dir)/postmaster.pid" ] && as_user "$PGBIN/pg_ctl" -D "$(pg_dir)" status >/dev/null 2>&1
	then echo "postgres: running"; else echo "postgres: stopped"; fi
}

ensure() {
	start_postgres
	start_memcached
	start_fcgi
	start_mailer
	start_nginx
	wait_healthy
}

case "${1:-}" in
up) up ;;
ensure) ensure ;;
down) down ;;
status) status ;;
reload) kill -HUP "$(cat "$DIR/run/iam-fcgi.pid")" ;;
start|stop)
	case "${2:-}" in
	postgres) [ "$1" = start ] && start_postgres || stop_postgres ;;
	memcached) [ "$1" = start ] && start_memcached || stop_pidfile "$DIR/run/memcached.pid" ;;
	fcgi) [ "$1" = start ] && start_fcgi || stop_pidfile "$DIR/run/iam-fcgi.pid" TERM 30 ;;
	mailer) [ "$1" = start ] && start_mailer || stop_pidfile "$DIR/run/iam-mailer.pid" TERM 10 ;;
	nginx) [ "$1" = start ] && start_nginx || stop_pidfile "$DIR/run/nginx.pid" QUIT 10 ;;
	*) die "usage: $0 start|stop postgres|memcached|fcgi|nginx" ;;
	esac ;;
*) die "usage: $0 up|down|status|reload|start|stop SERVICE" ;;
esac
