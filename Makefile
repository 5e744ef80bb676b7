# iam: an identity and access management server (FastCGI, C).
#
#   make            build bin/iam-fcgi and bin/iamctl
#   make run        install what is missing, build, start the stack on loopback
#   make stop       stop what `make run` started
#   make test       the same set-up on other ports in a temporary directory,
#                   every test, and tear-down
#   make asan       the tests against an ASan + UBSan build
#   make valgrind   the unit tests under valgrind (no leaks allowed)
#   make bench      wrk through NGINX, beside baselines measured in the same run
#   make lint       the layer rules (scripts/layers.sh) and cppcheck
#   make fuzz       build the libFuzzer drivers (clang) and run each
#                   FUZZ_SECONDS; exits non-zero when a driver finds a crash

CC	?= cc
BUILD	?= build
BIN	?= bin
PG_INC	:= $(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)

CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	   -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
	   -Wformat=2 -Wno-format-nonliteral -fstack-protector-strong \
	   -D_FORTIFY_SOURCE=2 -fPIE
CPPFLAGS += -Iinclude -I$(PG_INC)
LDFLAGS	+= -pie -Wl,-z,relro,-z,now
LDLIBS	= -lfcgi -lpq -ljson-c -lmemcached -lscrypt -lcrypto -lcurl -lcrack -lidn2 -lunistring -lseccomp

# The layers are the folders of src/ (README, "Layout"); the object lists
# come from them.  server/ is the driver, http/ the vocabulary handlers
# speak, api/ oauth/ pages/ the handlers, domain/ the rules, infra/ what
# talks to libraries and other processes, tools/ the other programs.
layer	= $(patsubst src/%.c,$(BUILD)/%.o,$(wildcard src/$(1)/*.c))

# What every program links: the rules and the infrastructure.
LIB_OBJ	= $(call layer,domain) $(filter-out $(BUILD)/infra/migrate.o,\
	  $(call layer,infra))
SERVER_OBJ = $(sort $(LIB_OBJ) $(call layer,http) $(call layer,api) \
	  $(call layer,oauth) $(call layer,pages) $(call layer,server))
CTL_OBJ	= $(LIB_OBJ) $(BUILD)/infra/migrate.o $(BUILD)/tools/export.o \
	  $(BUILD)/tools/iamctl.o $(BUILD)/tools/ctl_audit.o \
	  $(BUILD)/tools/ctl_client.o
# The mailer holds the outbox and nothing of accounts.
MAILER_OBJ = $(addprefix $(BUILD)/,infra/arena.o infra/errors.o \
	  infra/text.o infra/netaddr.o infra/conf.o infra/log.o \
	  infra/crypto.o infra/metrics.o infra/ratelimit.o infra/sandbox.o \
	  infra/store.o infra/store_outbox.o tools/mailer.o)

UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT	= $(patsubst tests/unit/%.c,%,$(UNIT_SRC))
UNIT_BIN = $(UNIT:%=$(BUILD)/tests/%)

all: $(BIN)/iam-fcgi $(BIN)/iamctl $(BIN)/iam-mailer

$(BUILD)/%.o: src/%.c include/*.h Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CPPFLAGS) -c $< -o $@

$(BIN)/iam-fcgi: $(SERVER_OBJ)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(SERVER_OBJ) $(LDLIBS)

$(BIN)/iamctl: $(CTL_OBJ)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CTL_OBJ) $(LDLIBS)

$(BIN)/iam-mailer: $(MAILER_OBJ)
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(MAILER_OBJ) $(LDLIBS)

# Unit tests link the pure parts only.
UNIT_DEPS = $(addprefix $(BUILD)/,infra/arena.o infra/text.o http/parse.o infra/netaddr.o \
	    infra/conf.o infra/log.o infra/crypto.o infra/jwt.o domain/perm.o \
	    infra/ident.o http/fields.o http/html.o infra/vcache.o \
	    domain/redirect.o)

$(BUILD)/tests/%: tests/unit/%.c $(UNIT_DEPS)
	@mkdir -p $(BUILD)/tests
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< $(UNIT_DEPS) -lcmocka \
	    -ljson-c -lscrypt -lcrypto -lidn2 -lunistring

# The store's loaders against the test stack's PostgreSQL (scripts/test.sh
# runs them once the stack is up).  The store links only the areas named:
# the others' statement sets are weak references, never prepared.
DB_UNIT_DEPS = $(addprefix $(BUILD)/,infra/arena.o infra/text.o \
	    infra/netaddr.o infra/conf.o infra/log.o infra/metrics.o \
	    infra/store.o infra/store_user.o infra/store_session.o \
	    infra/store_admin.o infra/store_audit.o)
DB_UNIT_BIN = $(BUILD)/tests/db_test_store

$(DB_UNIT_BIN): tests/unit/db_test_store.c $(DB_UNIT_DEPS)
	@mkdir -p $(BUILD)/tests
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< $(DB_UNIT_DEPS) \
	    -lcmocka -lpq

unit: $(UNIT_BIN) $(DB_UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

# The responder that the benchmark compares against.
$(BUILD)/bench/responder: tests/bench/responder.c
	@mkdir -p $(BUILD)/bench
	$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< \
	    -lfcgi -lpq -lmemcached -lscrypt -lcrypto

deps:
	@scripts/deps.sh

# What the tests and the benchmark need besides (cmocka, pytest, wrk, ...),
# installed before any unit test is compiled.
deps-test:
	@scripts/deps.sh test

run: deps all
	@scripts/stack.sh up

stop:
	@scripts/stack.sh down

test: deps-test all $(UNIT_BIN) $(DB_UNIT_BIN)
	@scripts/test.sh

asan:
	@scripts/deps.sh test
	$(MAKE) BUILD=build/asan BIN=build/asan/bin \
	    CFLAGS="-O1 -g -DIAM_SANITIZED -fsanitize=address,undefined \
	    -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
	    LDFLAGS="-fsanitize=address,undefined" all \
	    $(UNIT:%=build/asan/tests/%) build/asan/tests/db_test_store
	IAM_BIN=build/asan/bin IAM_UNIT=build/asan/tests IAM_SANITIZED=1 \
	    scripts/test.sh

valgrind: deps-test $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do \
	    valgrind -q --leak-check=full --show-leak-kinds=all \
	    --errors-for-leak-kinds=all --error-exitcode=1 $$t; done

bench: deps-test all $(BUILD)/bench/responder
	@scripts/bench.sh

lint:
	scripts/layers.sh
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	    --inline-suppr -Iinclude -I$(PG_INC) --std=c11 src tests/unit

# libFuzzer drivers, one per parser, each run FUZZ_SECONDS from its corpus.
FUZZ	= json urlencoded cookies bearer path content_type basic
FUZZ_SECONDS ?= 10
FUZZ_SRC = src/infra/arena.c src/infra/text.c src/http/parse.c src/infra/netaddr.c

fuzz:
	@mkdir -p build/fuzz
	@set -e; for f in $(FUZZ); do \
	    clang -g -O1 -std=c11 -D_GNU_SOURCE -Iinclude \
	        -fsanitize=fuzzer,address,undefined \
	        -fno-sanitize-recover=undefined -o build/fuzz/$$f \
	        tests/fuzz/fuzz_$$f.c $(FUZZ_SRC) -ljson-c; \
	    mkdir -p build/fuzz/corpus_$$f; \
	    if build/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	        -artifact_prefix=build/fuzz/$$f- \
	        build/fuzz/corpus_$$f tests/fuzz/corpus/$$f \
	        >build/fuzz/$$f.log 2>&1; then \
	        echo "fuzz $$f: $$(tail -n 1 build/fuzz/$$f.log)"; \
	    else \
	        tail -n 40 build/fuzz/$$f.log; \
	        echo "fuzz $$f: FAILED (build/fuzz/$$f.log, crash input in build/fuzz/$$f-*)"; \
	        exit 1; \
	    fi; \
	done

clean:
	rm -rf build bin


.PHONY: all unit deps deps-test run stop test asan valgrind bench lint fuzz clean
