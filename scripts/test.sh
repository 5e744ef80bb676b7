#!/usr/bin/env bash
# make test: brings up a private stack on free loopback ports in a temporary
# directory, runs the unit tests and the integration tests against it over
# HTTP, and tears everything down, also when a test fails.
#   IAM_BIN        binaries to test (default ./bin)
#   IAM_UNIT       unit test binaries (default ./build/tests)
#   IAM_SANITIZED  1: fail if any sanitizer report reaches a log
#   PYTEST_ARGS    extra pytest arguments (e.g. -k health)
#   IAM_TEST_SEED  the random order's seed (printed by every run): replays
#                  a run's order
#   FUZZ_SECONDS   each fuzz driver's budget (default 3; 0 skips fuzzing)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
"$ROOT/scripts/deps.sh" test

export IAM_BIN=${IAM_BIN:-$ROOT/bin}
UNIT=${IAM_UNIT:-$ROOT/build/tests}

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

export IAM_STACK_DIR
IAM_STACK_DIR=$(mktemp -d /tmp/iam-test.XXXXXX)
chmod 0755 "$IAM_STACK_DIR"
export IAM_STACK_MODE=test
export IAM_HTTP_PORT; IAM_HTTP_PORT=$(free_port)
export IAM_MC_PORT; IAM_MC_PORT=$(free_port)
export IAM_APACHE_PORT; IAM_APACHE_PORT=$(free_port)
export IAM_TEST_URL="http://127.0.0.1:$IAM_HTTP_PORT"

# The test stack's own settings.  Tests act as distinct clients through
# X-Forwarded-For, as behind a load balancer on loopback.
export TRUSTED_PROXIES="127.0.0.0/8"
export RATE_MAX=40
export RATE_WINDOW_SEC=60
export METRICS_TOKEN="test-metrics-token-0123456789"
export METRICS_ALLOW=""
export SHUTDOWN_TIMEOUT=10
export IAM_WORKERS=2
export LOG_LEVEL=info
export ONBOARDING_ENABLED=true
export ADMIN_WEB_ORIGIN="https://admin.example.test, https://console.example.test"

teardown() {
	rc=$?
	"$ROOT/scripts/stack.sh" down >/dev/null 2>&1
	if [ -f "$IAM_STACK_DIR/run/apache.pid" ]; then
		kill "$(cat "$IAM_STACK_DIR/run/apache.pid")" 2>/dev/null
	fi
	if [ "$rc" -ne 0 ] && [ -d "$IAM_STACK_DIR/log" ]; then
		echo "--- last lines of the stack's logs ($IAM_STACK_DIR/log)"
		tail -n 15 "$IAM_STACK_DIR"/log/*.log 2>/dev/null
	fi
	[ "${IAM_KEEP_STACK:-0}" = 1 ] || rm -rf "$IAM_STACK_DIR"
	exit "$rc"
}
trap teardown EXIT INT TERM

failed=0
echo "== unit tests"
nunit=0
for t in "$UNIT"/test_*; do
	[ -x "$t" ] || continue
	nunit=$((nunit + 1))
	"$t" || failed=1
done
if [ "$nunit" -eq 0 ]; then
	echo "no unit test program found in $UNIT" >&2
	exit 1
fi

if [ "${FUZZ_SECONDS:-3}" != 0 ]; then
	echo "== fuzz drivers, ${FUZZ_SECONDS:-3} s each"
	make -s -C "$ROOT" fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-3}" || failed=1
fi

echo "== stack in $IAM_STACK_DIR (http $IAM_HTTP_PORT)"
"$ROOT/scripts/stack.sh" up || exit 1

echo "== store loaders against the stack's PostgreSQL"
if [ -x "$UNIT/db_test_store" ]; then
	IAM_CONF="$IAM_STACK_DIR/iam.conf" "$UNIT/db_test_store" || failed=1
else
	echo "no $UNIT/db_test_store" >&2
	failed=1
fi

# jose, as a resource server would verify our tokens (npm registry).
if [ ! -d "$ROOT/tests/integration/jose/node_modules/jose" ]; then
	(cd "$ROOT/tests/integration/jose" && npm install --no-audit --no-fund --silent) || exit 1
fi

# playwright-core drives Debian's chromium (scripts/deps.sh installs it;
# playwright never downloads a browser of its own).
if [ ! -d "$ROOT/tests/integration/browser/node_modules/playwright-core" ]; then
	(cd "$ROOT/tests/integration/browser" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
	    npm install --no-audit --no-fund --silent) || exit 1
fi

# The tests run in a random order (modules shuffled, and tests within
# each), destructive ones last; the seed replays an order.
SEED=${IAM_TEST_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "== integration tests (random order, seed $SEED: IAM_TEST_SEED=$SEED make test replays it)"
/usr/bin/python3 -m pytest -o cache_dir="$IAM_STACK_DIR/pytest-cache" -p random_order -q \
    --random-order-bucket=module --random-order-seed="$SEED" \
    ${PYTEST_ARGS:-} "$ROOT/tests/integration" || failed=1

if [ "${IAM_SANITIZED:-0}" = 1 ] &&
    grep -lE "AddressSanitizer|LeakSanitizer|runtime error:" "$IAM_STACK_DIR"/log/*.log; then
	echo "sanitizer reports found in the logs above"
	failed=1
fi
exit $failed
