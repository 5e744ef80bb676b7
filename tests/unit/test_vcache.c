/*
 * test_vcache.c: the per-worker cache of verified things: a hit only
 * within its ttl and before its expiry, a drop forgets, a collision
 * replaces, a key differing in one bit misses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "arena.h"
#include "vcache.h"

static void
hits_only_within_ttl_and_before_expiry(void **state)
{
	struct vcache	 c;
	struct arena	 a;
	unsigned char	 k[32], other[32];
	const char	*b;
	size_t		 n;
	time_t		 put;

	(void)state;
	arena_init(&a, 0);
	assert_int_equal(vcache_init(&c, 64), 0);
	memset(k, 7, sizeof(k));
	memcpy(other, k, sizeof(k));
	other[31] ^= 1;		/* same slot, another key */
	vcache_put(&c, k, 1000, 1100, "a\0bc", 4);
	assert_non_null(b = vcache_get(&c, k, 1005, 10, &a, &n, &put));
	assert_int_equal(n, 4);
	assert_memory_equal(b, "a\0bc", 4);
	assert_int_equal(put, 1000);
	assert_null(vcache_get(&c, other, 1005, 10, &a, &n, &put));
	/* past its ttl: gone */
	assert_null(vcache_get(&c, k, 1010, 10, &a, &n, &put));
	assert_null(vcache_get(&c, k, 1001, 10, &a, &n, &put));
	/* past its expiry, whatever the ttl */
	vcache_put(&c, k, 1000, 1100, "x", 1);
	assert_null(vcache_get(&c, k, 1100, 1000, &a, &n, &put));
	/* a clock that went back does not revive it */
	vcache_put(&c, k, 1000, 1100, "x", 1);
	assert_null(vcache_get(&c, k, 999, 1000, &a, &n, &put));
	/* an entry already expired is not kept */
	vcache_put(&c, k, 1000, 1000, "x", 1);
	assert_null(vcache_get(&c, k, 1000, 1000, &a, &n, &put));
	vcache_free(&c);
	arena_free(&a);
}

static void
drop_forgets_and_a_collision_replaces(void **state)
{
	struct vcache	 c;
	struct arena	 a;
	unsigned char	 k[32], k2[32];
	size_t		 n;
	time_t		 put;

	(void)state;
	arena_init(&a, 0);
	assert_int_equal(vcache_init(&c, 1), 0);	/* one slot */
	memset(k, 1, sizeof(k));
	memset(k2, 2, sizeof(k2));
	vcache_put(&c, k, 10, 100, "one", 3);
	vcache_put(&c, k2, 11, 100, "two", 3);
	assert_null(vcache_get(&c, k, 12, 50, &a, &n, &put));
	assert_string_equal(vcache_get(&c, k2, 12, 50, &a, &n, &put), "two");
	vcache_drop(&c, k);			/* not its key: kept */
	assert_non_null(vcache_get(&c, k2, 12, 50, &a, &n, &put));
	vcache_drop(&c, k2);
	assert_null(vcache_get(&c, k2, 12, 50, &a, &n, &put));
	vcache_free(&c);
	arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hits_only_within_ttl_and_before_expiry),
		cmocka_unit_test(drop_forgets_and_a_collision_replaces),
	};

	return cmocka_run_group_tests_name("vcache", tests, NULL, NULL);
}
