#!/bin/sh
# Installs the Debian packages the stack and the tests need, only those
# missing.  Idempotent; works as root or through sudo.
#   scripts/deps.sh          what `make run` needs
#   scripts/deps.sh test     plus what `make test` and `make bench` need
set -eu

RUN_PKGS="gcc make pkg-config libc6-dev libfcgi-dev spawn-fcgi libpq-dev
postgresql postgresql-client libjson-c-dev libscrypt-dev libssl-dev
libmemcached-dev memcached nginx-light libcurl4-openssl-dev curl
libcrack2-dev cracklib-runtime libidn2-dev libunistring-dev
util-linux procps ca-certificates libseccomp-dev"
TEST_PKGS="libcmocka-dev python3 python3-pytest python3-pytest-random-order
python3-cryptography python3-aiosmtpd apache2 libapache2-mod-fcgid wrk
valgrind cppcheck openssl clang libclang-rt-14-dev gdb chromium"

pkgs=$RUN_PKGS
[ "${1:-}" = test ] && pkgs="$RUN_PKGS $TEST_PKGS nodejs"

missing=""
for p in $pkgs; do
	# nginx-light, nginx-core or nginx: any of them serves; so does a
	# Node.js with npm from any source.
	if [ "$p" = nginx-light ] && command -v nginx >/dev/null 2>&1; then
		continue
	fi
	if [ "$p" = nodejs ] && command -v node >/dev/null 2>&1 &&
	    command -v npm >/dev/null 2>&1; then
		continue
	fi
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p"
	   [ "$p" = nodejs ] && missing="$missing npm" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps: missing packages:$missing (run as root or install sudo)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Debian's packages start their own default services on install; ours run
# privately on other ports, so keep theirs from starting.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
	$SUDO chmod 755 "$policy"
	created_policy=1
fi
cleanup() { [ "$created_policy" -eq 1 ] && $SUDO rm -f "$policy"; return 0; }
trap cleanup EXIT
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
