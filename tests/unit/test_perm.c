/*
 * test_perm.c: the permission list and its matching rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "perm.h"

static void
test_valid(void **state)
{
	size_t	i;

	(void)state;
	for (i = 0; i < nperm_list; i++)
		assert_true(perm_valid(perm_list[i].name));
	assert_true(perm_valid("*"));
	assert_true(perm_valid("users:*"));
	assert_true(perm_valid("audit:*"));
	assert_false(perm_valid("users:fly"));
	assert_false(perm_valid("user:read"));
	assert_false(perm_valid("users:"));
	assert_false(perm_valid(":read"));
	assert_false(perm_valid("nothing:*"));
	assert_false(perm_valid("**"));
	assert_false(perm_valid(""));
	assert_false(perm_valid("users:read,roles:read"));
}

static void
test_has(void **state)
{
	(void)state;
	assert_true(perm_has("*", "users:read"));
	assert_true(perm_has("users:*", "users:delete"));
	assert_true(perm_has("audit:read,users:read", "users:read"));
	assert_false(perm_has("users:read", "users:update"));
	assert_false(perm_has("users:*", "usersx:read"));
	assert_false(perm_has("userss:*", "users:read"));
	assert_false(perm_has("", "users:read"));
	assert_false(perm_has("users:read", ""));
	assert_false(perm_has("users:rea", "users:read"));
	assert_false(perm_has("users:readx", "users:read"));
	assert_false(perm_has(",,", "users:read"));
	/* the store's lists: a role without permissions leaves an empty
	 * element, a permission two roles carry comes twice */
	assert_true(perm_has("audit:read,,users:read,audit:read", "users:read"));
	assert_false(perm_has("audit:read,,audit:read", "users:read"));
	assert_true(perm_covers("users:read,,users:read", "users:read,users:read"));
	assert_false(perm_covers("users:read,,", "users:read,users:update"));
	assert_false(perm_has(NULL, "users:read"));
	/* "roles:write" is an action of its own, not a wildcard. */
	assert_false(perm_has("roles:write", "roles:read"));
}

static void
test_covers(void **state)
{
	(void)state;
	assert_true(perm_covers("*", "*"));
	assert_true(perm_covers("*", "users:*,roles:read"));
	assert_true(perm_covers("users:*", "users:read,users:*"));
	assert_true(perm_covers("users:read", ""));
	assert_false(perm_covers("users:*", "*"));
	assert_false(perm_covers("users:read", "users:*"));
	assert_false(perm_covers("users:read,users:update", "users:*"));
	assert_false(perm_covers("users:*,audit:read",
	    "users:read,roles:read"));
	assert_false(perm_covers("", "users:read"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_has),
		cmocka_unit_test(test_covers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
