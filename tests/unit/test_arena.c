/* Unit tests: the request arena and its buffer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "arena.h"

static int cleaned;
static int order[8];
static size_t norder;

static void
cleanup_cb(void *p)
{
	cleaned += *(int *)p;
	if (norder < sizeof(order) / sizeof(order[0]))
		order[norder++] = *(int *)p;
}

static void
allocations_are_zeroed_and_aligned(void **state)
{
	struct arena	 a;
	unsigned char	*p;
	size_t		 i;

	(void)state;
	arena_init(&a, 0);
	for (i = 1; i < 100; i++) {
		p = arena_alloc(&a, i * 37);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		assert_int_equal(p[0], 0);
		assert_int_equal(p[i * 37 - 1], 0);
		memset(p, 0xAA, i * 37);
	}
	arena_free(&a);
}

static void
large_allocations_get_their_own_chunk(void **state)
{
	struct arena	 a;
	char		*big;

	(void)state;
	arena_init(&a, 0);
	big = arena_alloc(&a, 1 << 20);
	assert_non_null(big);
	memset(big, 1, 1 << 20);
	assert_non_null(arena_alloc(&a, 10));
	arena_free(&a);
}

static void
limit_refuses_what_goes_over(void **state)
{
	struct arena	a;

	(void)state;
	arena_init(&a, 4096);
	assert_non_null(arena_alloc(&a, 4000));
	assert_null(arena_alloc(&a, 200));
	assert_null(arena_alloc(&a, SIZE_MAX));
	arena_reset(&a);
	assert_non_null(arena_alloc(&a, 4000));
	arena_free(&a);
}

static void
reset_runs_cleanups_in_reverse_and_reuses(void **state)
{
	struct arena	 a;
	int		 one = 1, ten = 10;

	(void)state;
	cleaned = 0;
	norder = 0;
	arena_init(&a, 0);
	assert_int_equal(arena_defer(&a, cleanup_cb, &one), 0);
	assert_int_equal(arena_defer(&a, cleanup_cb, &ten), 0);
	arena_reset(&a);
	/* Both ran, the one registered last first. */
	assert_int_equal(cleaned, 11);
	assert_int_equal(norder, 2);
	assert_int_equal(order[0], 10);
	assert_int_equal(order[1], 1);
	/* A second reset runs nothing again. */
	arena_reset(&a);
	assert_int_equal(cleaned, 11);
	assert_int_equal(norder, 2);
	/* The arena is usable after a reset and its cleanups are new. */
	assert_int_equal(arena_defer(&a, cleanup_cb, &one), 0);
	arena_free(&a);
	assert_int_equal(cleaned, 12);
	assert_int_equal(norder, 3);
}

static void
strings_and_printf(void **state)
{
	struct arena	 a;
	char		*s;

	(void)state;
	arena_init(&a, 0);
	assert_string_equal(arena_strdup(&a, "abc"), "abc");
	assert_string_equal(arena_strndup(&a, "abcdef", 3), "abc");
	s = arena_printf(&a, "%d-%s", 42, "x");
	assert_string_equal(s, "42-x");
	arena_free(&a);
}

static void
buffer_grows_and_escapes_json(void **state)
{
	struct arena	a;
	struct buf	b;
	int		i;

	(void)state;
	arena_init(&a, 0);
	buf_init(&b, &a);
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "%04d", i);
	assert_int_equal(b.len, 4000);
	assert_memory_equal(b.data + 3996, "0999", 4);
	buf_init(&b, &a);
	buf_json_str(&b, "a\"b\\c\n\x01\x7f", 8);
	assert_string_equal(b.data, "a\\\"b\\\\c\\n\\u0001\\u007f");
	arena_free(&a);
}

static void
buffer_reports_out_of_memory(void **state)
{
	struct arena	a;
	struct buf	b;
	char		chunk[1024];

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	arena_init(&a, 2048);
	buf_init(&b, &a);
	buf_add(&b, chunk, sizeof(chunk));
	buf_add(&b, chunk, sizeof(chunk));
	assert_true(b.oom);
	arena_free(&a);
}

static void
last_buffer_grows_in_place_and_a_chunk_is_kept(void **state)
{
	struct arena	 a;
	struct buf	 b;
	char		*first, big[1000];
	size_t		 i, cap, grew = 0, in_place = 0;

	(void)state;
	arena_init(&a, 0);
	buf_init(&b, &a);
	buf_puts(&b, "x");
	first = b.data;
	memset(big, 'y', sizeof(big));
	/* 1000 bytes at a time to 100 kB: the one buffer is the last thing
	 * in its chunk, so a growth that fits the chunk keeps it where it is;
	 * it moves only when the chunk runs out. */
	for (i = 0; i < 100; i++) {
		cap = b.cap;
		buf_add(&b, big, sizeof(big));
		if (b.cap != cap) {
			grew++;
			if (b.data == first)
				in_place++;
		}
		first = b.data;
	}
	assert_true(grew >= 5);
	assert_true(in_place >= 1);
	assert_true(grew - in_place <= 4);
	assert_false(b.oom);
	assert_int_equal(b.len, 100001);
	assert_int_equal(b.data[0], 'x');
	assert_int_equal(b.data[100000], 'y');
	assert_int_equal(b.data[b.len], '\0');
	/* An allocation in between: the next growth must copy. */
	buf_init(&b, &a);
	buf_puts(&b, "abc");
	first = b.data;
	assert_non_null(arena_alloc(&a, 10));
	buf_add(&b, big, 300);
	assert_ptr_not_equal(b.data, first);
	assert_memory_equal(b.data, "abc", 3);
	/* After a reset the largest chunk under the cap serves again. */
	arena_reset(&a);
	assert_true(arena_capacity(&a) >= 64 * 1024);
	assert_true(arena_capacity(&a) <= 192 * 1024);
	i = arena_capacity(&a);
	assert_non_null(arena_alloc(&a, 60 * 1024));
	assert_int_equal(arena_capacity(&a), i);	/* no new chunk */
	arena_free(&a);
	assert_int_equal(arena_capacity(&a), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(allocations_are_zeroed_and_aligned),
		cmocka_unit_test(large_allocations_get_their_own_chunk),
		cmocka_unit_test(limit_refuses_what_goes_over),
		cmocka_unit_test(reset_runs_cleanups_in_reverse_and_reuses),
		cmocka_unit_test(strings_and_printf),
		cmocka_unit_test(buffer_grows_and_escapes_json),
		cmocka_unit_test(buffer_reports_out_of_memory),
		cmocka_unit_test(last_buffer_grows_in_place_and_a_chunk_is_kept),
	};

	return cmocka_run_group_tests_name("arena", tests, NULL, NULL);
}
