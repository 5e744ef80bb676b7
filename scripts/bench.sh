#!/usr/bin/env bash
# make bench: drives the stack with wrk through NGINX and prints, for each
# endpoint, requests/s, p50 and p99 beside baselines measured in the same
# run: NGINX answering by itself, and a minimal libfcgi responder
# (tests/bench/responder.c, same worker count, same NGINX) doing only the
# primitive work the endpoint needs.  Ratios, not absolute figures, are
# what to compare between machines.
#   BENCH_DURATION (10s)  BENCH_CONNS ("16 64")  IAM_WORKERS (cores)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
"$ROOT/scripts/deps.sh" test

DURATION=${BENCH_DURATION:-10s}
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
export METRICS_TOKEN=bench-metrics-token
export LOG_LEVEL=warn
URL="http://127.0.0.1:$IAM_HTTP_PORT"
D=$IAM_STACK_DIR

teardown() {
	[ -f "$D/run/responder.pid" ] && pkill -TERM -P "$(cat "$D/run/responder.pid")" 2>/dev/null
	[ -f "$D/run/responder.pid" ] && kill "$(cat "$D/run/responder.pid")" 2>/dev/null
	pkill -f "$D/bin/responder" 2>/dev/null
	"$ROOT/scripts/stack.sh" down >/dev/null 2>&1
	rm -rf "$D"
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
BENCH_PG="postgresql:///iam?host=$D/run&user=iam" BENCH_MC="127.0.0.1:$IAM_MC_PORT" \
    spawn-fcgi -F "$IAM_WORKERS" -s "$D/run/bench.sock" -M 0600 "${u[@]}" \
    -P "$D/run/responder.pid" -- "$D/bin/responder" >/dev/null
for _ in $(seq 50); do
	curl -fs -o /dev/null "$URL/bench/responder?mode=pk,incr,verify" && break
	sleep 0.1
done
for m in none sign verify incr pk tx2; do
	curl -fs -o /dev/null "$URL/bench/responder?mode=$m" || { echo "responder mode $m fails"; exit 1; }
done

# run NAME PATH [HEADER]: prints "rps p50 p99" for each connection count
declare -A RPS P50 P99
run() {
	local name=$1 path=$2 hdr=${3:-} c out
	for c in $CONNS; do
		if [ -n "$hdr" ]; then
			out=$(wrk -t2 -c"$c" -d"$DURATION" --latency -H "$hdr" "$URL$path")
		else
			out=$(wrk -t2 -c"$c" -d"$DURATION" --latency "$URL$path")
		fi
		if echo "$out" | grep -q "Non-2xx or 3xx responses"; then
			case "$name" in *404*) ;; *) echo "warning: $name answered errors under load" >&2 ;; esac
		fi
		RPS[$name/$c]=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
		P50[$name/$c]=$(echo "$out" | awk '$1 == "50%" {print $2}')
		P99[$name/$c]=$(echo "$out" | awk '$1 == "99%" {print $2}')
	done
}

echo "bench: $IAM_WORKERS workers, wrk -t2, $DURATION per run, connections: $CONNS"
run "nginx return 200" "/bench/static"
run "responder none" "/bench/responder?mode=none"
run "responder incr" "/bench/responder?mode=incr"
run "responder pk,pk,incr" "/bench/responder?mode=pk,pk,incr"
run "GET /health" "/health"
run "GET /404 (rate-limited)" "/no-such-route"
run "GET /metrics (rate-limited)" "/metrics" "Authorization: Bearer $METRICS_TOKEN"
run "GET /health/ready" "/health/ready"

row() {
	local name=$1 base=$2 c ratio
	for c in $CONNS; do
		ratio=$(awk -v a="${RPS[$name/$c]:-0}" -v b="${RPS[$base/$c]:-0}" \
		    'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "-" }')
		printf '| %-28s | %3s | %9s | %8s | %8s | %-22s | %9s | %6s |\n' \
		    "$name" "$c" "${RPS[$name/$c]:-?}" "${P50[$name/$c]:-?}" \
		    "${P99[$name/$c]:-?}" "$base" "${RPS[$base/$c]:-?}" "$ratio"
	done
}
echo
printf '| %-28s | %3s | %9s | %8s | %8s | %-22s | %9s | %6s |\n' endpoint conn "req/s" p50 p99 "baseline" "base req/s" ratio
printf '|%s|\n' "------------------------------|-----|-----------|----------|----------|------------------------|-----------|--------"
row "responder none" "nginx return 200"
row "GET /health" "responder none"
row "GET /404 (rate-limited)" "responder incr"
row "GET /metrics (rate-limited)" "responder incr"
row "GET /health/ready" "responder pk,pk,incr"

echo
echo "worker memory after the benchmark (VmRSS; RssAnon is the worker's own):"
master=$(cat "$D/run/iam-fcgi.pid")
for p in $(pgrep -P "$master"); do
	awk -v p="$p" '/^(VmRSS|RssAnon|RssFile)/ {s = s " " $1 " " $2 " " $3} END {print "  worker " p ":" s}' "/proc/$p/status"
done
