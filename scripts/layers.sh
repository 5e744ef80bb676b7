#!/bin/sh
# The layer rules of the tree (README, "Layout"), checked: each file of
# src/<layer>/ may include only headers of the layers below it.  A header
# belongs to the layer whose folder holds the .c file of its name.  Prints
# every file that breaks a rule and exits 1; prints nothing and exits 0
# when the tree holds.  Run by `make lint`.
#
#   server/              the driver: may include everything
#   api/ oauth/ pages/   handlers: http, domain, infra
#   http/                the vocabulary: infra only (no handler, no domain)
#   domain/              the rules: infra only (no HTTP, no driver)
#   infra/               libraries and other processes: infra only
#   tools/               the other programs: domain, infra
set -u
cd "$(dirname "$0")/.." || exit 2

layer_of_header() {
	case "$1" in
	admin|accounts|oauth) echo domain; return ;;	# the domain's public face
	ctl) echo tools; return ;;		# what the files of iamctl share
	store_int) echo infra; return ;;	# the store's files' own
	handlers) echo api; return ;;
	pages) echo pages; return ;;
	oacommon) echo oauth; return ;;		# oa_common.c's face		# pg_common.c's face
	esac
	for d in src/*/; do
		if [ -f "$d$1.c" ]; then
			basename "$d"
			return
		fi
	done
	echo unknown
}

allowed() {	# layer of the including file, layer of the header
	[ "$1" = "$2" ] && return 0
	case "$1:$2" in
	server:*) return 0 ;;
	api:http|api:domain|api:infra) return 0 ;;
	oauth:http|oauth:domain|oauth:infra) return 0 ;;
	pages:http|pages:domain|pages:infra) return 0 ;;
	oauth:api|pages:api) return 0 ;;	# the shared handler glue
	http:infra|domain:infra) return 0 ;;
	tools:domain|tools:infra) return 0 ;;
	esac
	return 1
}

bad=0
# dom.h is the domain's own: handlers and the driver see the domain
# through accounts.h and admin.h.
for f in $(grep -l '"dom.h"' src/*/*.c include/*.h); do
	case "$f" in
	src/domain/*|src/tools/*|include/dom.h) ;;
	*) echo "$f includes dom.h (domain-internal)"; bad=1 ;;
	esac
done
for f in src/*/*.c include/*.h; do
	case "$f" in
	include/*) fl=$(layer_of_header "$(basename "$f" .h)") ;;
	*) fl=$(basename "$(dirname "$f")") ;;
	esac
	for h in $(sed -n 's/^#include "\([a-z_0-9]*\)\.h".*/\1/p' "$f"); do
		hl=$(layer_of_header "$h")
		if [ "$hl" = unknown ] || ! allowed "$fl" "$hl"; then
			echo "$f ($fl) includes $h.h ($hl)"
			bad=1
		fi
	done
done

# Files over their size: handlers 300 lines, domain files 600, any other
# file 800 unless its opening paragraph says why it is one thing (a line
# "One file because ...").
for f in src/api/*.c src/oauth/*.c src/pages/*.c; do
	[ -f "$f" ] || continue
	n=$(wc -l < "$f")
	[ "$n" -gt 300 ] && { echo "$f: $n lines (handler files: 300)"; bad=1; }
done
for f in src/domain/*.c; do
	n=$(wc -l < "$f")
	[ "$n" -gt 600 ] && { echo "$f: $n lines (domain files: 600)"; bad=1; }
done
for f in src/server/*.c src/http/*.c src/infra/*.c src/tools/*.c; do
	n=$(wc -l < "$f")
	if [ "$n" -gt 800 ] && ! head -n 20 "$f" | grep -q "One file because"; then
		echo "$f: $n lines, and its opening does not say why it is one file"
		bad=1
	fi
done

# The store returns typed rows: no libpq type, column read or statement
# name above infra/ (LAYOUT.md, section 0), and the store's own header
# and libpq only inside it.
if grep -n 'PQgetvalue\|PGresult\|PQntuples\|STMT_' src/domain/*.c src/api/*.c \
    src/server/*.c src/http/*.c src/tools/*.c $(ls src/oauth/*.c \
    src/pages/*.c 2>/dev/null); then
	echo "(above: libpq results or statement names outside infra/)"
	bad=1
fi
for f in $(grep -l '"store_int.h"\|<libpq-fe.h>' src/*/*.c include/*.h); do
	case "$f" in
	src/infra/*|include/store_int.h) ;;
	*) echo "$f includes the store's internals or libpq"; bad=1 ;;
	esac
done
exit $bad
