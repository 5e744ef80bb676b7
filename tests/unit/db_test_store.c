/*
 * The store's typed loaders against the real PostgreSQL of the test
 * stack (scripts/test.sh runs this after the stack is up, with IAM_CONF
 * naming its configuration): each loader's three states, found (>0),
 * not found (0) and broken (<0, a store whose database does not answer).
 * Each test writes inside a transaction of its own, rolled back after it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "log.h"
#include "store.h"
#include "store_admin.h"
#include "store_audit.h"
#include "store_session.h"
#include "store_user.h"

#define NOBODY	"00000000-0000-4000-8000-000000000001"
/* Stored secrets are SHA-256 hashes: 32 bytes. */
#define H(c)	"\\x" c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
		c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
		c c c c

static struct config	 cfg, dead_cfg;
static struct store	 db, dead;
static struct arena	 a;

static int
setup(void **state)
{
	const char	*path = getenv("IAM_CONF");
	char		 err[512];

	(void)state;
	if (path == NULL) {
		fprintf(stderr, "db_test_store: IAM_CONF names the stack's "
		    "configuration\n");
		return -1;
	}
	log_init(LOG_ERROR, "test");
	if (conf_load(path, &cfg, err, sizeof(err)) == -1 ||
	    conf_load(path, &dead_cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "db_test_store: %s\n", err);
		return -1;
	}
	/* Nothing listens on port 1: every call of this one is broken. */
	free(dead_cfg.database_url);
	dead_cfg.database_url = strdup("postgresql://iam@127.0.0.1:1/iam");
	store_init(&db, &cfg);
	store_init(&dead, &dead_cfg);
	arena_init(&a, 0);
	if (store_ready(&db) != 1) {
		fprintf(stderr, "db_test_store: the stack's database does not "
		    "answer\n");
		return -1;
	}
	return 0;
}

/* Each test in a transaction of its own, rolled back after it. */
static int
begin(void **state)
{
	(void)state;
	return store_begin(&db) == 0 ? 0 : -1;
}

static int
rollback(void **state)
{
	(void)state;
	store_rollback(&db);
	arena_reset(&a);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	store_close(&db);
	store_close(&dead);
	arena_free(&a);
	conf_free(&cfg);
	conf_free(&dead_cfg);
	return 0;
}

/* A user of the default organisation, made in the open transaction. */
static void
make_user(const char *email, struct org_brief *o, char **uid)
{
	assert_int_equal(store_org_default(&db, &a, "open", o), 1);
	assert_int_equal(store_user_insert(&db, &a, o->id, email, NULL, email,
	    uid), 1);
	assert_int_equal(store_profile_insert(&db, *uid, "Ada", "L"), 0);
}

static void
users_are_found_missed_and_broken(void **state)
{
	struct org_brief	 o;
	struct user_row		 u;
	struct user_brief	 b;
	struct caller_row	 c;
	char			*uid, *again;

	(void)state;
	make_user("db-test-ada@example.test", &o, &uid);
	assert_int_equal(store_user_get(&db, &a, uid, &u), 1);
	assert_string_equal(u.id, uid);
	assert_string_equal(u.email, "db-test-ada@example.test");
	assert_string_equal(u.org_id, o.id);
	assert_string_equal(u.first, "Ada");
	assert_null(u.hash);			/* no password set */
	assert_false(u.has_last_login);
	assert_int_equal(store_user_get(&db, &a, NOBODY, &u), 0);
	assert_int_equal(store_user_get(&dead, &a, uid, &u), -1);
	/* The same address (its key) again: no second account. */
	assert_int_equal(store_user_insert(&db, &a, o.id,
	    "db-test-ada@example.test", NULL, "db-test-ada@example.test",
	    &again), 0);
	assert_int_equal(store_user_for_email(&db, &a,
	    "db-test-ada@example.test", &b), 1);
	assert_string_equal(b.id, uid);
	assert_int_equal(store_user_for_email(&db, &a,
	    "db-test-nobody@example.test", &b), 0);
	assert_int_equal(store_user_for_email(&dead, &a, "x", &b), -1);
	assert_int_equal(store_member_get(&db, &a, o.id, uid, &u), 1);
	assert_false(u.owner);
	assert_int_equal(store_member_get(&db, &a, NOBODY, uid, &u), 0);
	assert_int_equal(store_caller(&db, &a, uid, &c), 1);
	assert_string_equal(c.org, o.id);
	assert_int_equal(store_caller(&db, &a, NOBODY, &c), 0);
	assert_int_equal(store_caller(&dead, &a, uid, &c), -1);
}

static void
sessions_and_refresh_tokens(void **state)
{
	struct org_brief	 o;
	struct refresh_state	 st;
	struct session_row	*rows;
	char			*uid, *sid, *rid;
	int64_t			 exp;

	(void)state;
	make_user("db-test-sessions@example.test", &o, &uid);
	assert_int_equal(store_session_insert(&db, &a, uid, "3600", "192.0.2.1",
	    "test", &sid, &exp), 1);
	assert_true(exp > 0);
	assert_int_equal(store_refresh_insert(&db, &a, H("1"), NULL, NULL,
	    sid, uid, "4102444800", &rid), 1);
	/* A refresh token for a session that is not there: none made. */
	assert_int_equal(store_refresh_insert(&db, &a, H("2"), NULL, NULL,
	    NOBODY, uid, "4102444800", &rid), 0);
	assert_int_equal(store_refresh_lookup(&db, &a, H("1"), &st), 1);
	assert_string_equal(st.sid, sid);
	assert_string_equal(st.uid, uid);
	assert_false(st.spent);
	assert_int_equal(store_refresh_lookup(&db, &a, H("3"), &st), 0);
	assert_int_equal(store_refresh_lookup(&dead, &a, H("1"), &st), -1);
	assert_int_equal(store_sessions_list(&db, &a, uid, &rows), 1);
	assert_string_equal(rows[0].id, sid);
	assert_string_equal(rows[0].ip, "192.0.2.1");
	assert_int_equal(store_sessions_list(&dead, &a, uid, &rows), -1);
	assert_int_equal(store_session_of_user(&db, sid, uid), 1);
	assert_int_equal(store_session_of_user(&db, sid, NOBODY), 0);
	assert_int_equal(store_session_of_user(&dead, sid, uid), -1);
	assert_int_equal(store_session_end(&db, sid, uid), 0);
	assert_int_equal(store_session_of_user(&db, sid, uid), 0);
	assert_int_equal(store_sessions_list(&db, &a, uid, &rows), 0);
}

static void
mailed_tokens_are_spent_once(void **state)
{
	struct org_brief	 o;
	char			*uid, *who;

	(void)state;
	make_user("db-test-token@example.test", &o, &uid);
	assert_int_equal(store_email_token_insert(&db, uid, "verify", H("a"),
	    "3600"), 0);
	assert_int_equal(store_email_token_consume(&db, &a, H("a"), "verify",
	    &who), 1);
	assert_string_equal(who, uid);
	assert_int_equal(store_email_token_consume(&db, &a, H("a"), "verify",
	    &who), 0);
	assert_int_equal(store_email_token_consume(&dead, &a, H("a"),
	    "verify", &who), -1);
}

static void
organisations_roles_invitations_and_events(void **state)
{
	struct org_brief	 o;
	struct org_row		 org;
	struct role_row		 ro;
	struct role_brief	*rb;
	struct invite_row	 iv;
	char			*doc;

	(void)state;
	assert_int_equal(store_org_default(&db, &a, "open", &o), 1);
	assert_int_equal(store_org_default(&dead, &a, "open", &o), -1);
	assert_int_equal(store_org_get(&db, &a, o.id, &org), 1);
	assert_string_equal(org.slug, o.slug);
	assert_true(org.is_default);
	assert_int_equal(store_org_get(&db, &a, NOBODY, &org), 0);
	assert_int_equal(store_org_get(&dead, &a, o.id, &org), -1);
	assert_int_equal(store_roles_by_slugs(&db, &a, o.id, "user,owner",
	    &rb), 2);
	assert_int_equal(store_roles_by_slugs(&db, &a, o.id, "no-such-role",
	    &rb), 0);
	assert_int_equal(store_roles_by_slugs(&dead, &a, o.id, "user", &rb),
	    -1);
	assert_int_equal(store_role_get(&db, &a, o.id, NOBODY, &ro), 0);
	assert_int_equal(store_role_get(&dead, &a, o.id, NOBODY, &ro), -1);
	assert_int_equal(store_invite_by_token(&db, &a, H("c"), &iv), 0);
	assert_int_equal(store_invite_by_token(&dead, &a, H("c"), &iv), -1);
	assert_int_equal(store_audit_get(&db, &a, o.id, NOBODY, &doc), 0);
	assert_int_equal(store_audit_get(&dead, &a, o.id, NOBODY, &doc), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(users_are_found_missed_and_broken, begin,
		    rollback),
		cmocka_unit_test_setup_teardown(sessions_and_refresh_tokens, begin,
		    rollback),
		cmocka_unit_test_setup_teardown(mailed_tokens_are_spent_once, begin,
		    rollback),
		cmocka_unit_test_setup_teardown(organisations_roles_invitations_and_events, begin,
		    rollback),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
