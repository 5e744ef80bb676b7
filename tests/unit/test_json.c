/* Unit tests: the strict JSON well-formedness check. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define CHECK(s)	json_check((s), sizeof(s) - 1, 32)

static void
well_formed_documents_pass(void **state)
{
	(void)state;
	assert_int_equal(CHECK("{}"), JSON_OK);
	assert_int_equal(CHECK(" [ ] "), JSON_OK);
	assert_int_equal(CHECK("{\"a\":1,\"b\":[true,false,null],\"c\":{}}"),
	    JSON_OK);
	assert_int_equal(CHECK("-0.5e+10"), JSON_OK);
	assert_int_equal(CHECK("\"\\u00e9\\ud83d\\ude00 caf\xc3\xa9\""),
	    JSON_OK);
	assert_int_equal(CHECK("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]"), JSON_OK);
	assert_int_equal(CHECK("\"\xf0\x9f\x98\x80\""), JSON_OK);
}

static void
syntax_errors_are_refused(void **state)
{
	static const char *const bad[] = { "{", "}", "[1,]", "{\"a\":}",
	    "{\"a\" 1}", "{a:1}", "[1 2]", "01", "1.", ".5", "-", "1e",
	    "tru", "nul", "truex", "[1]]", "{}{}", "\"abc", "'a'",
	    "[\"\\x\"]", "\"\\u12\"", "\"\\uZZZZ\"", "{\"a\":1,}", "NaN",
	    "\xef\xbb\xbf{}", "[1,\n", "\"a\tb\"" };
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (json_check(bad[i], strlen(bad[i]), 32) == JSON_OK)
			fail_msg("accepted: %s", bad[i]);
	}
}

static void
empty_and_blank_bodies_are_refused(void **state)
{
	(void)state;
	assert_int_equal(json_check("", 0, 32), JSON_E_EMPTY);
	assert_int_equal(CHECK(" \n\t"), JSON_E_EMPTY);
}

static void
nul_is_refused_escaped_or_raw(void **state)
{
	(void)state;
	assert_int_equal(CHECK("{\"a\":\"x\\u0000y\"}"), JSON_E_NUL);
	assert_int_equal(CHECK("{\"a\\u0000\":1}"), JSON_E_NUL);
	assert_int_equal(json_check("\"a\0b\"", 5, 32), JSON_E_NUL);
	assert_int_not_equal(json_check("{}\0", 3, 32), JSON_OK);
}

static void
invalid_utf8_is_refused(void **state)
{
	(void)state;
	assert_int_equal(CHECK("\"\xff\""), JSON_E_UTF8);
	assert_int_equal(CHECK("\"\xc3\""), JSON_E_UTF8);
	assert_int_equal(CHECK("\"\xc0\xaf\""), JSON_E_UTF8);	/* overlong */
	assert_int_equal(CHECK("\"\xed\xa0\x80\""), JSON_E_UTF8); /* surrogate */
	assert_int_equal(CHECK("\"\xf4\x90\x80\x80\""), JSON_E_UTF8);
	assert_int_equal(CHECK("\"\xe0\x80\xaf\""), JSON_E_UTF8);
}

static void
lone_surrogate_escapes_are_refused(void **state)
{
	(void)state;
	assert_int_equal(CHECK("\"\\ud800\""), JSON_E_SURROGATE);
	assert_int_equal(CHECK("\"\\udc00\""), JSON_E_SURROGATE);
	assert_int_equal(CHECK("\"\\ud800\\u0041\""), JSON_E_SURROGATE);
	assert_int_equal(CHECK("\"\\ud800x\""), JSON_E_SURROGATE);
}

static void
nesting_is_limited_to_the_given_depth(void **state)
{
	char	doc[200];
	int	i;

	(void)state;
	for (i = 0; i < 32; i++)
		doc[i] = '[';
	for (i = 0; i < 32; i++)
		doc[32 + i] = ']';
	assert_int_equal(json_check(doc, 64, 32), JSON_OK);
	for (i = 0; i < 33; i++)
		doc[i] = '[';
	for (i = 0; i < 33; i++)
		doc[33 + i] = ']';
	assert_int_equal(json_check(doc, 66, 32), JSON_E_DEPTH);
	memset(doc, '[', sizeof(doc));
	assert_int_equal(json_check(doc, sizeof(doc), 32), JSON_E_DEPTH);
}

static void
truncated_input_never_reads_past_length(void **state)
{
	static const char full[] = "{\"key\":[1,2,{\"x\":\"\\ud83d\\ude00\"}]}";
	size_t	n;

	char	*exact;

	(void)state;
	/* Each prefix is copied to a heap block of exactly its length, with
	 * no terminating NUL: under ASan a read past the end is reported. */
	for (n = 0; n < sizeof(full) - 1; n++) {
		exact = malloc(n ? n : 1);
		assert_non_null(exact);
		memcpy(exact, full, n);
		assert_int_not_equal(json_check(exact, n, 32), JSON_OK);
		free(exact);
	}
	n = sizeof(full) - 1;
	exact = malloc(n);
	assert_non_null(exact);
	memcpy(exact, full, n);
	assert_int_equal(json_check(exact, n, 32), JSON_OK);
	free(exact);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(well_formed_documents_pass),
		cmocka_unit_test(syntax_errors_are_refused),
		cmocka_unit_test(empty_and_blank_bodies_are_refused),
		cmocka_unit_test(nul_is_refused_escaped_or_raw),
		cmocka_unit_test(invalid_utf8_is_refused),
		cmocka_unit_test(lone_surrogate_escapes_are_refused),
		cmocka_unit_test(nesting_is_limited_to_the_given_depth),
		cmocka_unit_test(truncated_input_never_reads_past_length),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
