#!/usr/bin/env bash
# make bench: drives the stack with wrk through NGINX and prints, for each
# endpoint, requests/s, p50 and p99 beside baselines measured in the same
# run: NGINX answering by itself, and a minimal libfcgi responder
# (tests/bench/responder.c, same worker count, same NGINX) doing only the
# primitive work the endpoint needs.  Ratios, not absolute figures, are
# what to compare between machines.
#   BENCH_DURATION (10s)  BENCH_CONNS ("16 64")  IAM_WORKERS (cores)
#   BENCH_ROUNDS (3): each endpoint and its baseline run back to back this
#   many times; the table shows the median of the per-round ratios, so a
#   machine that drifts during the run moves both sides alike.
#   BENCH_ONLY: an extended regex; only endpoints (and baselines) whose
#   name matches are run, e.g. BENCH_ONLY='me|verify'
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
"$ROOT/scripts/deps.sh" test

DURATION=${BENCH_DURATION:-10s}
ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNS:-16 64}
export IAM_WORKERS=${IAM_WORKERS:-$(nproc)}
free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
export IAM_STACK_DIR; IAM_STACK_DIR=$(mktemp -d /tmp/iam-bench.XXXXXX)
chmod 0755 "$IAM_STACK_DIR"
export IAM_STACK_MODE=bench
export IAM_HTTP_PORT; IAM_HTTP_PORT=$(free_port)
export IAM_MC_PORT; IAM_MC_PORT=$(free_port)
# Every request is counted in memcached as usual; the limit is set out of
# reach so that the benchmark measures serving, not refusing.
export RATE_MAX=1000000000
export AUTH_RATE_MAX=1000000000
# The login burst below must keep hashing, not hit the lockout.
export LOCKOUT_THRESHOLD=1000
export METRICS_TOKEN=bench-metrics-token
export LOG_LEVEL=warn
# A long run seeds millions of rows between sign-in and measuring.
export JWT_EXPIRES_IN=12h
export ONBOARDING_ENABLED=true
# BENCH_ADMIN=0 skips the administration lists (and their seeding);
# BENCH_SIZES ("10000:100000 1000000:10000000") are users:events.
SIZES=${BENCH_SIZES:-10000:100000 1000000:10000000}
URL="http://127.0.0.1:$IAM_HTTP_PORT"
D=$IAM_STACK_DIR

teardown() {
	[ -f "$D/run/responder.pid" ] && pkill -TERM -P "$(cat "$D/run/responder.pid")" 2>/dev/null
	[ -f "$D/run/responder.pid" ] && kill "$(cat "$D/run/responder.pid")" 2>/dev/null
	pkill -f "$D/bin/responder" 2>/dev/null
	"$ROOT/scripts/stack.sh" down >/dev/null 2>&1
	[ "${IAM_KEEP_STACK:-0}" = 1 ] || rm -rf "$D"
}
trap teardown EXIT INT TERM

mkdir -p "$D/nginx" "$D/bin"
cat > "$D/nginx/extra.conf" <<EOT
location = /bench/static {
	default_type application/json;
	return 200 '{"status":"ok"}';
}
location = /bench/responder {
	include /etc/nginx/fastcgi_params;
	fastcgi_pass unix:$D/run/bench.sock;
}
EOT
"$ROOT/scripts/stack.sh" up || exit 1

cp "$ROOT/build/bench/responder" "$D/bin/"
u=()
[ "$(id -u)" -eq 0 ] && u=(-u iam -U iam)
# The responder writes (tx2, ins, insa) where the runtime role may not:
# it connects as the owner.
psql_bench0() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u iam -- psql -h "$D/run" -U iam_owner -d iam -qAtc "$1"
	else
		psql -h "$D/run" -U iam_owner -d iam -qAtc "$1"
	fi
}
psql_bench0 "CREATE TABLE IF NOT EXISTS bench_writes (id bigserial PRIMARY KEY, org uuid NOT NULL, at timestamptz NOT NULL DEFAULT now())"
BENCH_PG="postgresql:///iam?host=$D/run&user=iam_owner" BENCH_MC="127.0.0.1:$IAM_MC_PORT" \
    spawn-fcgi -F "$IAM_WORKERS" -s "$D/run/bench.sock" -M 0600 "${u[@]}" \
    -P "$D/run/responder.pid" -- "$D/bin/responder" >/dev/null
for _ in $(seq 50); do
	curl -fs -o /dev/null "$URL/bench/responder?mode=pk,incr,verify" && break
	sleep 0.1
done
for m in none sign verify incr pk tx2 ins insa; do
	curl -fs -o /dev/null "$URL/bench/responder?mode=$m" || { echo "responder mode $m fails"; exit 1; }
done

# A user to log in as, an access token for /v1/me, and refresh tokens:
# each refresh request spends one, so enough are seeded straight into
# PostgreSQL (one session each, as real clients have), named
# bench-<run>-<thread>-<n> for the Lua script below.
PW="Stable kettle 42 orbit"
curl -fs -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"email\":\"bench@example.test\",\"password\":\"$PW\"}" "$URL/v1/auth/register"
AT=$(curl -fs -H 'Content-Type: application/json' \
    -d "{\"email\":\"bench@example.test\",\"password\":\"$PW\"}" "$URL/v1/auth/login" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["accessToken"])')
# A browser session for the cookie row: the sign-in form as a browser
# sends it.
CSRF=$(curl -fs -D - -o /dev/null "$URL/login" | sed -n 's/^Set-Cookie: iam_csrf=\([^;]*\).*/\1/p' | tr -d '\r')
SID=$(curl -fs -D - -o /dev/null -H "Cookie: iam_csrf=$CSRF" \
    --data-urlencode "email=bench@example.test" --data-urlencode "password=$PW" \
    --data-urlencode "_csrf=$CSRF" "$URL/login" |
    sed -n 's/^Set-Cookie: iam_sid=\([^;]*\).*/\1/p' | tr -d '\r')
[ -n "$SID" ] || { echo "bench: no browser session"; exit 1; }
psql_bench() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u iam -- psql -h "$D/run" -U postgres -d iam -qAtc "$1"
	else
		psql -h "$D/run" -U postgres -d iam -qAtc "$1"
	fi
}
for c in $CONNS; do
for k in $(seq "$ROUNDS"); do
	psql_bench "
	WITH u AS (SELECT id FROM users WHERE email = 'bench@example.test'),
	g AS (SELECT t, n FROM generate_series(0, 1) t, generate_series(1, 40000) n),
	s AS (INSERT INTO sessions (user_id, expires_at)
	      SELECT u.id, now() + interval '1 day' FROM u, g RETURNING id),
	sn AS (SELECT id, row_number() OVER () AS k FROM s),
	gn AS (SELECT t, n, row_number() OVER (ORDER BY t, n) AS k FROM g)
	INSERT INTO refresh_tokens (token_hash, family_id, session_id, user_id, expires_at)
	SELECT sha256(convert_to('bench-$c.$k-' || gn.t || '-' || gn.n, 'UTF8')),
	       gen_random_uuid(), sn.id, u.id, now() + interval '1 day'
	FROM gn JOIN sn USING (k), u"
done
done
cat > "$D/post.lua" <<'EOT'
-- "threadno" is set per thread by setup(); nothing local may shadow it.
local counter = 0
function setup(thread) thread:set("threadno", counter); counter = counter + 1 end
function init(args) run = args[1]; path = args[2]; body = args[3]; n = 0 end
request = function()
	n = n + 1
	local b = body
	if b == "refresh" then
		b = '{"refreshToken":"bench-' .. run .. '-' .. threadno .. '-' .. n .. '"}'
	end
	return wrk.format("POST", path, {["Content-Type"] = "application/json"}, b)
end
EOT

cat > "$D/form.lua" <<'EOT'
-- An OAuth token request: a form, client_secret_basic.
function init(args) path = args[1]; auth = args[2]; body = args[3] end
request = function()
	return wrk.format("POST", path, {["Content-Type"] =
	    "application/x-www-form-urlencoded", ["Authorization"] = auth}, body)
end
EOT
# A confidential client of an onboarded organisation, for the token row.
OWNER_AT=$(curl -fs -H 'Content-Type: application/json' -d "{\"organisation\":{\"name\":\"Bench\",\"slug\":\"bench\"},\"email\":\"owner@bench.test\",\"password\":\"$PW\",\"firstName\":\"B\",\"lastName\":\"O\"}" "$URL/v1/auth/onboard" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["accessToken"])')
CLIENT_BASIC=$(curl -fs -H 'Content-Type: application/json' -H "Authorization: Bearer $OWNER_AT" \
    -d '{"name":"bench","grantTypes":["client_credentials"],"scopes":["api:read"]}' "$URL/v1/admin/clients" |
    /usr/bin/python3 -c 'import base64,json,sys; d=json.load(sys.stdin)["data"]; print("Basic " + base64.b64encode((d["clientId"] + ":" + d["clientSecret"]).encode()).decode())')

# Requests still queued when wrk stops (64 connections of 200 ms logins)
# outlive it: wait until the workers answer quickly again.
at_rest() {
	local t
	for _ in $(seq 120); do
		t=$(curl -s -o /dev/null -w '%{time_total}' "$URL/health")
		awk -v t="$t" 'BEGIN { exit !(t < 0.05) }' && return 0
		sleep 0.5
	done
}

# measure PATH HEADER CONNS ROUND: prints "rps p50 p99 errors" of one wrk run
# (HEADER "lua:BODY" posts BODY, or a fresh refresh token when "refresh").
# Every run starts with the workers at rest.
measure() {
	local path=$1 hdr=$2 c=$3 k=$4 out
	at_rest
	if [ "${hdr#form:}" != "$hdr" ]; then
		out=$(wrk -t2 -c"$c" -d"$DURATION" --timeout 10s --latency -s "$D/form.lua" \
		    "$URL" -- "$path" "$CLIENT_BASIC" "${hdr#form:}")
	elif [ "${hdr#lua:}" != "$hdr" ]; then
		out=$(wrk -t2 -c"$c" -d"$DURATION" --timeout 10s --latency -s "$D/post.lua" \
		    "$URL" -- "$c.$k" "$path" "${hdr#lua:}")
	elif [ -n "$hdr" ]; then
		out=$(wrk -t2 -c"$c" -d"$DURATION" --timeout 10s --latency -H "$hdr" "$URL$path")
	else
		out=$(wrk -t2 -c"$c" -d"$DURATION" --timeout 10s --latency "$URL$path")
	fi
	# The fifth field: 2xx answers per second (requests less errors, over
	# the run's own duration).
	echo "$out" | awk '/Requests\/sec/ {r = $2} $1 == "50%" {p50 = $2}
	    $1 == "99%" {p99 = $2} /Non-2xx or 3xx/ {e = $NF}
	    / requests in / {n = $1; d = $4; sub(/s,?$/, "", d)}
	    END {printf "%s %s %s %s %.2f\n", r, p50, p99, e + 0,
	        (d > 0 ? (n - e) / d : 0)}'
}

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# pair NAME PATH HEADER BASE BASEPATH BASEHEADER: alternates endpoint and
# baseline ROUNDS times per connection count and keeps the medians.
# BASEPATH "bound:RPS" is a computed baseline (the scrypt bound).
declare -A RPS P50 P99 BRPS RATIO RMIN
pair() {
	local name=$1 path=$2 hdr=$3 base=$4 bpath=$5 bhdr=$6 c k m b
	if [ -n "${BENCH_ONLY:-}" ] && ! echo "$name $base" | grep -Eq "$BENCH_ONLY"; then
		return 0
	fi
	for c in $CONNS; do
		local rs="" ps="" qs="" bs="" xs=""
		for k in $(seq "$ROUNDS"); do
			m=($(measure "$path" "$hdr" "$c" "$k"))
			case "$name" in *login*)	# successes per second only
				m[0]=${m[4]}
				m[3]=0 ;;
			esac
			if [ "${bpath#bound:}" != "$bpath" ]; then
				b=${bpath#bound:}
			else
				b=$(measure "$bpath" "$bhdr" "$c" "$k" | awk '{print $1}')
			fi
			case "$name" in *404*) ;; *) [ "${m[3]}" -gt 0 ] && echo "warning: $name ($c connections, round $k) answered ${m[3]} errors" >&2 ;; esac
			rs="$rs ${m[0]}"; ps="$ps ${m[1]}"; qs="$qs ${m[2]}"; bs="$bs $b"
			xs="$xs $(awk -v a="${m[0]}" -v b="$b" 'BEGIN { if (b > 0) printf "%.4f", a / b; else print 0 }')"
		done
		RPS[$name/$c]=$(echo $rs | tr ' ' '\n' | median)
		BRPS[$name/$c]=$(echo $bs | tr ' ' '\n' | median)
		RATIO[$name/$c]=$(echo $xs | tr ' ' '\n' | median)
		RMIN[$name/$c]=$(echo $xs | tr ' ' '\n' | sort -g | head -n 1)
		# Latencies: those of the second round (the first if only one).
		P50[$name/$c]=$(echo $ps | awk '{print $2 ? $2 : $1}')
		P99[$name/$c]=$(echo $qs | awk '{print $2 ? $2 : $1}')
	done
}

echo "bench: $IAM_WORKERS workers, wrk -t2, $DURATION per run, connections: $CONNS"
# The scrypt bound on login: the hash cap (HASH_CONCURRENCY, by default
# half the workers) / one hash's time, this run.  Logins beyond the cap
# are answered 503 at once; the login row counts only the 200s.
HASH_MS=$("$D/bin/responder" -t 16384 8 5 20)
HASH_CAP=${HASH_CONCURRENCY:-$(( IAM_WORKERS > 1 ? IAM_WORKERS / 2 : 1 ))}
BOUND=$(awk -v w="$HASH_CAP" -v ms="$HASH_MS" 'BEGIN { printf "%.2f", w * 1000 / ms }')

pair "responder none" "/bench/responder?mode=none" "" "nginx return 200" "/bench/static" ""
pair "GET /health" "/health" "" "responder none" "/bench/responder?mode=none" ""
pair "GET /404 (rate-limited)" "/no-such-route" "" "responder incr" "/bench/responder?mode=incr" ""
pair "GET /metrics (rate-limited)" "/metrics" "Authorization: Bearer $METRICS_TOKEN" \
    "responder incr" "/bench/responder?mode=incr" ""
pair "GET /health/ready" "/health/ready" "" "responder pk,pk,incr" "/bench/responder?mode=pk,pk,incr" ""
pair "GET /v1/me" "/v1/me" "Authorization: Bearer $AT" \
    "responder verify,incr,pk" "/bench/responder?mode=verify,incr,pk" ""
pair "GET /oauth2/jwks" "/oauth2/jwks" "" "responder incr" "/bench/responder?mode=incr" ""
# Forward auth counts only failures: a good credential costs one verify
# (Bearer) or one primary-key select (cookie), and no memcached trip.
pair "GET /auth/verify (Bearer)" "/auth/verify" "Authorization: Bearer $AT" \
    "responder verify" "/bench/responder?mode=verify" ""
pair "GET /auth/verify (cookie)" "/auth/verify" "Cookie: iam_sid=$SID" \
    "responder pk" "/bench/responder?mode=pk" ""
pair "GET /login" "/login" "" "responder none" "/bench/responder?mode=none" ""
# client_credentials: one sign and the global count, nothing written.
pair "POST /oauth2/token (client_credentials)" "/oauth2/token" \
    "form:grant_type=client_credentials" "responder sign,incr" \
    "/bench/responder?mode=sign,incr" ""
pair "POST /v1/auth/refresh" "/v1/auth/refresh" "lua:refresh" \
    "responder sign,tx2" "/bench/responder?mode=sign,tx2" ""
# Audited writes of two organisations (the chainer linking them as they
# come) beside the same writes without their audit event.
pair "audited writes, 2 orgs (responder insa)" "/bench/responder?mode=insa" "" \
    "responder ins" "/bench/responder?mode=ins" ""
pair "POST /v1/auth/login" "/v1/auth/login" \
    "lua:{\"email\":\"bench@example.test\",\"password\":\"$PW\"}" \
    "scrypt bound" "bound:$BOUND" ""

# A wrong password for a known address and for an unknown one cost the
# same (one hash, the same statements): the median of 15 sequential
# attempts each, interleaved (the timing comparison the tests leave to
# the bench; one at a time, so the hash cap never refuses one).
if [ -z "${BENCH_ONLY:-}" ] || echo "enumeration" | grep -Eq "$BENCH_ONLY"; then
	at_rest
	kt="" ut=""
	for _ in $(seq 15); do
		for who in bench nobody-here; do
			t=$(curl -s -o /dev/null -w '%{time_total}' \
			    -H 'Content-Type: application/json' \
			    -d "{\"email\":\"$who@example.test\",\"password\":\"not it at all\"}" \
			    "$URL/v1/auth/login")
			if [ "$who" = bench ]; then kt="$kt $t"; else ut="$ut $t"; fi
		done
	done
	km=$(echo $kt | tr ' ' '\n' | median)
	um=$(echo $ut | tr ' ' '\n' | median)
	ENUM_LINE=$(awk -v k="$km" -v u="$um" 'BEGIN { printf "wrong-password login, median of 15 each: known address %.1f ms, unknown %.1f ms (unknown / known %.0f%%)", k * 1000, u * 1000, 100 * u / k }')
	# The bench user is not to stay locked for the rows after.
	psql_bench "UPDATE users SET failed_logins = 0, locked_until = NULL
	    WHERE email = 'bench@example.test'"
fi

# GET /v1/me while a burst of wrong logins runs (64 connections): the
# hash cap keeps the other routes' latency; its p99 beside the p99 alone.
if [ -z "${BENCH_ONLY:-}" ] || echo "burst" | grep -Eq "$BENCH_ONLY"; then
	at_rest
	alone=($(measure "/v1/me" "Authorization: Bearer $AT" 16 1))
	dsec=${DURATION%s}
	wrk -t1 -c64 -d"$((dsec + 4))s" --timeout 10s -s "$D/post.lua" "$URL" -- \
	    burst "/v1/auth/login" '{"email":"burst-ghost@example.test","password":"wrong one"}' \
	    >/dev/null 2>&1 &
	burst=$!
	sleep 2
	during=$(wrk -t1 -c16 -d"$DURATION" --timeout 10s --latency \
	    -H "Authorization: Bearer $AT" "$URL/v1/me" | awk '$1 == "99%" {print $2}')
	wait "$burst"
	BURST_LINE="GET /v1/me p99 at 16 connections: ${alone[2]} alone, $during during a 64-connection login burst (target under 50 ms)"
fi

# Administration lists, at each data size: the whole tables grow (users
# of the bench organisation, audit events), the queries stay the same.
# Baseline: GET /v1/me of the same caller, in the same run.
ADMIN_ROWS=()
if [ "${BENCH_ADMIN:-1}" = 1 ] && { [ -z "${BENCH_ONLY:-}" ] || echo admin | grep -Eq "$BENCH_ONLY"; }; then
	ADM=$(curl -fs -H 'Content-Type: application/json' -d "{\"organisation\":
	    {\"name\":\"Bench\",\"slug\":\"bench-org\"},\"email\":
	    \"owner@bench.example\",\"password\":\"$PW\",\"firstName\":\"B\",
	    \"lastName\":\"O\"}" "$URL/v1/auth/onboard" |
	    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["accessToken"])')
	ORG=$(psql_bench "SELECT id FROM organisations WHERE slug = 'bench-org'")
	USERS_Q="/v1/admin/users?limit=50&search=quillfeather"
	AUDIT_Q="/v1/admin/audit-logs?limit=50&action=user.update"
	explain() {
		echo "-- plans at $1 (users_search() as it plans, generic; the audit"
		echo "-- statements store_list.c composes, values inline)"
		# users_search()'s query, taken from the migration.
		body=$(sed -n '/^CREATE FUNCTION users_search(/,/^END/p' \
		    "$ROOT/sql/0003_admin.up.sql" | sed -n '/RETURN QUERY/,/ORDER BY pg.k;/p' |
		    sed -e '1d' -e 's/p_org/$1/g; s/p_term/$2/g; s/p_status/$3/g' \
		    -e 's/p_role/$4/g; s/p_sort/$5/g; s/p_limit/$6/g; s/p_offset/$7/g')
		psql_bench "SET plan_cache_mode = force_generic_plan;
		    PREPARE s (uuid, text, text, uuid, text, integer, bigint) AS $body
		    EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) EXECUTE s
		    ('$ORG', 'quillfeather', NULL, NULL, 'createdAt', 50, 0)" |
		    sed 's/^/   /'
		psql_bench "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON)
		    SELECT audit_doc(a)::text FROM audit_log a
		    WHERE a.organisation_id = '$ORG' AND a.action = 'user.update'
		    ORDER BY a.id DESC LIMIT 50 OFFSET 0" | sed 's/^/   /'
		psql_bench "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON)
		    SELECT coalesce(sum(n), 0) FROM audit_counts
		    WHERE organisation_id = '$ORG' AND action = 'user.update'" | sed 's/^/   /'
	}
	for size in $SIZES; do
		u=${size%%:*} e=${size##*:}
		echo "seeding $u users, $e audit events..."
		IAM_STACK_DIR=$D "$ROOT/scripts/seed.sh" bench-org "$u" "$e"
		n=$(curl -fs -H "Authorization: Bearer $ADM" "$URL$USERS_Q" |
		    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["meta"]["total"])')
		[ "$n" = 50 ] || echo "warning: the search found $n, not 50" >&2
		explain "$u users, $e events" > "$D/plans-$u.txt"
		pair "GET /v1/admin/users $u" "$USERS_Q" "Authorization: Bearer $ADM" \
		    "GET /v1/me" "/v1/me" "Authorization: Bearer $ADM"
		pair "GET /v1/admin/audit-logs $e" "$AUDIT_Q" "Authorization: Bearer $ADM" \
		    "GET /v1/me" "/v1/me" "Authorization: Bearer $ADM"
		ADMIN_ROWS+=("GET /v1/admin/users $u" "GET /v1/admin/audit-logs $e")
	done
fi

# Worker CPU time per request (us): the workers' user + system time (from
# /proc, clock ticks) over one 16-connection wrk run, divided by the
# requests it completed.  The chainer is not counted.
CPU_ROWS=()
worker_ticks() {
	local master p t=0
	master=$(cat "$D/run/iam-fcgi.pid")
	for p in $(pgrep -P "$master"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = iam-fcgi ] || continue
		t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
	done
	echo "$t"
}
cpu_per_request() {
	local name=$1 path=$2 hdr=$3 t0 t1 n out hz
	hz=$(getconf CLK_TCK)
	at_rest
	t0=$(worker_ticks)
	if [ -n "$hdr" ]; then
		out=$(wrk -t2 -c16 -d"$DURATION" --timeout 10s -H "$hdr" "$URL$path")
	else
		out=$(wrk -t2 -c16 -d"$DURATION" --timeout 10s "$URL$path")
	fi
	t1=$(worker_ticks)
	n=$(echo "$out" | awk '/ requests in / {print $1}')
	CPU_ROWS+=("$(awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$hz" \
	    -v name="$name" 'BEGIN { printf "| %-28s | %9d | %8.1f |", name, n,
	    (n > 0 ? (b - a) * 1e6 / hz / n : 0) }')")
}
if [ -z "${BENCH_ONLY:-}" ] || echo "cpu" | grep -Eq "$BENCH_ONLY"; then
	for k in $(seq "$ROUNDS"); do
		cpu_per_request "GET /health" "/health" ""
		cpu_per_request "GET /404 (rate-limited)" "/no-such-route" ""
		cpu_per_request "GET /v1/me" "/v1/me" "Authorization: Bearer $AT"
		cpu_per_request "GET /oauth2/jwks" "/oauth2/jwks" ""
		cpu_per_request "GET /health/ready" "/health/ready" ""
	done
fi

row() {
	local name=$1 c
	for c in $CONNS; do
		[ -n "${RPS[$name/$c]:-}" ] || continue
		printf '| %-28s | %4s | %9s | %8s | %8s | %-24s | %9s | %5.0f%% | %5.0f%% |\n' \
		    "$name" "$c" "${RPS[$name/$c]}" "${P50[$name/$c]:-?}" \
		    "${P99[$name/$c]:-?}" "$2" "${BRPS[$name/$c]}" \
		    "$(awk -v r="${RATIO[$name/$c]}" 'BEGIN { print 100 * r }')" \
		    "$(awk -v r="${RMIN[$name/$c]}" 'BEGIN { print 100 * r }')"
	done
}
echo
echo "medians of $ROUNDS rounds; each round runs the endpoint, then its baseline (lowest: the lowest round's ratio)"
printf '| %-28s | %4s | %9s | %8s | %8s | %-24s | %9s | %6s | %6s |\n' endpoint conn "req/s" p50 p99 baseline "base req/s" ratio lowest
printf '|%s|\n' "------------------------------|------|-----------|----------|----------|--------------------------|-----------|--------|--------"
row "responder none" "nginx return 200"
row "GET /health" "responder none"
row "GET /404 (rate-limited)" "responder incr"
row "GET /metrics (rate-limited)" "responder incr"
row "GET /health/ready" "responder pk,pk,incr"
row "GET /v1/me" "responder verify,incr,pk"
row "GET /oauth2/jwks" "responder incr"
row "GET /auth/verify (Bearer)" "responder verify"
row "GET /auth/verify (cookie)" "responder pk"
row "GET /login" "responder none"
row "POST /oauth2/token (client_credentials)" "responder sign,incr"
row "POST /v1/auth/refresh" "responder sign,tx2"
row "audited writes, 2 orgs (responder insa)" "responder ins"
row "POST /v1/auth/login" "scrypt bound"
for r in "${ADMIN_ROWS[@]}"; do
	row "$r" "GET /v1/me (same caller)"
done
if [ "${#ADMIN_ROWS[@]}" -ge 4 ]; then
	echo
	echo "larger size against smaller size, req/s (target: within 25%):"
	for c in $CONNS; do
		for i in 0 1; do
			small=${ADMIN_ROWS[$i]} large=${ADMIN_ROWS[$((i + 2))]}
			awk -v a="${RPS[$large/$c]:-0}" -v b="${RPS[$small/$c]:-0}" \
			    -v n="$large vs $small" -v c="$c" 'BEGIN {
			    printf "  %-60s %3s conns: %5.0f%%\n", n, c, (b > 0 ? 100 * a / b : 0) }'
		done
	done
	echo
	for f in "$D"/plans-*.txt; do cat "$f"; echo; done
fi
if [ "${#CPU_ROWS[@]}" -gt 0 ]; then
	echo
	echo "worker CPU time per request, 16 connections, $ROUNDS rounds (user + system, /proc):"
	printf '| %-28s | %9s | %8s |\n' endpoint requests "us/req"
	printf '|%s|\n' "------------------------------|-----------|----------"
	printf '%s\n' "${CPU_ROWS[@]}"
fi
echo
echo "one scrypt check (N=16384, r=8, p=5): $HASH_MS ms; bound = $HASH_CAP (HASH_CONCURRENCY) / that"
[ -n "${BURST_LINE:-}" ] && echo "$BURST_LINE"
[ -n "${ENUM_LINE:-}" ] && echo "$ENUM_LINE"

echo
at_rest
echo "worker memory after the benchmark, at rest (VmRSS; RssAnon is the worker's own):"
master=$(cat "$D/run/iam-fcgi.pid")
for p in $(pgrep -P "$master"); do
	awk -v p="$p" '/^(VmRSS|RssAnon|RssFile)/ {s = s " " $1 " " $2 " " $3} END {print "  worker " p ":" s}' "/proc/$p/status"
done
