/* Unit tests: the canonical key of an email address (ident.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "ident.h"

static const char *
key(const char *email)
{
	static char	 out[IDENT_KEY_MAX];
	const char	*why;

	return ident_email_key(email, out, sizeof(out), &why) == 1 ? out :
	    why;
}

static void
look_alike_forms_share_one_key(void **state)
{
	(void)state;
	assert_string_equal(key("Alice@Example.TEST"), "alice@example.test");
	/* Fullwidth letters (U+FF41...) fold onto ASCII under NFKC. */
	assert_string_equal(key("\xef\xbd\x81\xef\xbd\x8c\xef\xbd\x89\xef\xbd"
	    "\x83\xef\xbd\x85@example.test"), "alice@example.test");
	/* The Kelvin sign (U+212A) is a K. */
	assert_string_equal(key("\xe2\x84\xaa" "ate@example.test"),
	    "kate@example.test");
	/* German sharp s folds to ss; a ligature (U+FB01) to fi. */
	assert_string_equal(key("stra\xc3\x9f" "e@example.test"),
	    "strasse@example.test");
	assert_string_equal(key("\xef\xac\x81" "le@example.test"),
	    "file@example.test");
}

static void
domains_go_through_idna(void **state)
{
	(void)state;
	assert_string_equal(key("a@B\xc3\xbc" "cher.example"),
	    "a@xn--bcher-kva.example");
	assert_string_equal(key("a@xn--bcher-kva.EXAMPLE"),
	    "a@xn--bcher-kva.example");
	/* A fullwidth domain maps to the same name. */
	assert_string_equal(key("a@\xef\xbd\x85xample.test"),
	    "a@example.test");
}

static void
mixed_scripts_and_bad_input_are_refused(void **state)
{
	(void)state;
	/* Latin p, a Cyrillic a (U+0430), Latin ypal. */
	assert_string_equal(key("p\xd0\xb0ypal@example.test"),
	    "must not mix scripts in its local part");
	/* One script alone is fine, with digits and dots. */
	assert_string_equal(key("\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd.2@example.test"),
	    "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd.2@example.test");
	assert_string_equal(key("no-at-sign"), "must be a valid email address");
	assert_string_equal(key("@example.test"),
	    "must be a valid email address");
	assert_string_equal(key("a@"), "must be a valid email address");
	assert_string_equal(key("a@\xff.test"), "must be a valid email address");
	assert_string_equal(key("a@exa mple.test"),
	    "must be a valid email address");
	/* A label IDNA cannot take (a stray combining mark first). */
	assert_string_equal(key("a@\xcc\x81x.test"), "must have a valid domain");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(look_alike_forms_share_one_key),
		cmocka_unit_test(domains_go_through_idna),
		cmocka_unit_test(mixed_scripts_and_bad_input_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
