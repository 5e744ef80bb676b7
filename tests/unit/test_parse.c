/* Unit tests: query/form, cookies, Authorization, paths, request ids,
 * durations, integers, content types, percent-decoding, UTF-8. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "arena.h"
#include "parse.h"

static struct arena	a;

static int
setup(void **state)
{
	(void)state;
	arena_init(&a, 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	arena_free(&a);
	return 0;
}

static void
urlencoded_pairs_are_decoded(void **state)
{
	struct kvlist	l;
	const char	*q = "a=1&b=x+y%20z&empty=&flag&&c=%C3%A9";

	(void)state;
	assert_int_equal(parse_urlencoded(&a, q, strlen(q), 16, &l), 0);
	assert_int_equal(l.n, 5);
	assert_string_equal(kv_get(&l, "a"), "1");
	assert_string_equal(kv_get(&l, "b"), "x y z");
	assert_string_equal(kv_get(&l, "empty"), "");
	assert_string_equal(kv_get(&l, "flag"), "");
	assert_string_equal(kv_get(&l, "c"), "\xc3\xa9");
	assert_null(kv_get(&l, "missing"));
	assert_int_equal(parse_urlencoded(&a, "", 0, 16, &l), 0);
	assert_int_equal(l.n, 0);
}

static void
urlencoded_bad_input_is_refused(void **state)
{
	struct kvlist	 l;
	static const char *const bad[] = { "a=%", "a=%4", "a=%zz", "a=%00",
	    "a=%ff", "%c3=1", "a=%ed%a0%80" };
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse_urlencoded(&a, bad[i], strlen(bad[i]), 16, &l) != -1)
			fail_msg("accepted %s", bad[i]);
	assert_int_equal(parse_urlencoded(&a, "a&b&c", 5, 2, &l), -1);
}

static void
cookies_are_split_and_bad_ones_skipped(void **state)
{
	struct kvlist	l;

	(void)state;
	assert_int_equal(parse_cookies(&a, "iam_sid=abc; iam_csrf=\"q1\";"
	    "  other=x=y ; junk; bad name=1; ctl=a\x01; =v", 8, &l), 0);
	assert_string_equal(kv_get(&l, "iam_sid"), "abc");
	assert_string_equal(kv_get(&l, "iam_csrf"), "q1");
	assert_string_equal(kv_get(&l, "other"), "x=y");
	assert_null(kv_get(&l, "junk"));
	assert_null(kv_get(&l, "bad name"));
	assert_null(kv_get(&l, "ctl"));
	assert_int_equal(l.n, 3);
	assert_int_equal(parse_cookies(&a, NULL, 8, &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(parse_cookies(&a, "a=1; b=2; c=3", 2, &l), -1);
}

static void
bearer_header_must_be_exact(void **state)
{
	const char	*tok;
	size_t		 len;

	(void)state;
	assert_int_equal(parse_bearer("Bearer abc.DEF-_~+/==", &tok, &len), 1);
	assert_int_equal(len, 14);
	assert_memory_equal(tok, "abc.DEF-_~+/==", 14);
	assert_int_equal(parse_bearer(NULL, &tok, &len), 0);
	assert_int_equal(parse_bearer("", &tok, &len), 0);
	assert_int_equal(parse_bearer("bearer abc", &tok, &len), -1);
	assert_int_equal(parse_bearer("Bearer  abc", &tok, &len), -1);
	assert_int_equal(parse_bearer("Bearer", &tok, &len), -1);
	assert_int_equal(parse_bearer("Bearer ", &tok, &len), -1);
	assert_int_equal(parse_bearer("Bearer a b", &tok, &len), -1);
	assert_int_equal(parse_bearer("Bearer a=b", &tok, &len), -1);
	assert_int_equal(parse_bearer("Basic dXNlcjpwYXNz", &tok, &len), -1);
}

static void
paths_are_normalised_once(void **state)
{
	(void)state;
	assert_string_equal(path_normalise(&a, "/"), "/");
	assert_string_equal(path_normalise(&a, "/health"), "/health");
	assert_string_equal(path_normalise(&a, "/health/"), "/health");
	assert_string_equal(path_normalise(&a, "//v1//me"), "/v1/me");
	assert_string_equal(path_normalise(&a, "/v1/./me"), "/v1/me");
	assert_string_equal(path_normalise(&a, "/v1/admin/../me"), "/v1/me");
	assert_string_equal(path_normalise(&a, "/../../etc"), "/etc");
	assert_string_equal(path_normalise(&a, "/a/b/../.."), "/");
	assert_string_equal(path_normalise(&a, "/a/..b/c"), "/a/..b/c");
	assert_null(path_normalise(&a, "health"));
	assert_null(path_normalise(&a, ""));
	assert_null(path_normalise(&a, NULL));
	assert_null(path_normalise(&a, "/a\x01"));
	assert_null(path_normalise(&a, "/a\\b"));
	assert_null(path_normalise(&a, "/\xff"));
}

static void
request_ids_must_be_sane(void **state)
{
	char	long_id[130];

	(void)state;
	assert_true(request_id_sane("abc-DEF_1.2"));
	assert_false(request_id_sane(""));
	assert_false(request_id_sane(NULL));
	assert_false(request_id_sane("a b"));
	assert_false(request_id_sane("a\"b"));
	assert_false(request_id_sane("a\nb"));
	memset(long_id, 'x', 128);
	long_id[128] = '\0';
	assert_true(request_id_sane(long_id));
	long_id[128] = 'x';
	long_id[129] = '\0';
	assert_false(request_id_sane(long_id));
}

static void
durations_and_integers(void **state)
{
	int64_t	v;

	(void)state;
	assert_int_equal(parse_duration("30s", &v), 0);
	assert_int_equal(v, 30);
	assert_int_equal(parse_duration("15m", &v), 0);
	assert_int_equal(v, 900);
	assert_int_equal(parse_duration("12h", &v), 0);
	assert_int_equal(v, 43200);
	assert_int_equal(parse_duration("7d", &v), 0);
	assert_int_equal(v, 604800);
	assert_int_equal(parse_duration("60", &v), 0);
	assert_int_equal(v, 60);
	assert_int_equal(parse_duration("", &v), -1);
	assert_int_equal(parse_duration("s", &v), -1);
	assert_int_equal(parse_duration("-5s", &v), -1);
	assert_int_equal(parse_duration("5w", &v), -1);
	assert_int_equal(parse_duration("1.5h", &v), -1);
	assert_int_equal(parse_duration("99999999999d", &v), -1);
	assert_int_equal(parse_int("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_int("101", 0, 100, &v), -1);
	assert_int_equal(parse_int(" 1", 0, 100, &v), -1);
	assert_int_equal(parse_int("1x", 0, 100, &v), -1);
	assert_int_equal(parse_int("99999999999999999999", 0, INT64_MAX, &v),
	    -1);
}

static void
content_types_are_parsed(void **state)
{
	char	*t, *cs;

	(void)state;
	assert_int_equal(parse_content_type(&a, "application/json", &t, &cs),
	    0);
	assert_string_equal(t, "application/json");
	assert_null(cs);
	assert_int_equal(parse_content_type(&a,
	    "Application/JSON ; charset=\"UTF-8\"", &t, &cs), 0);
	assert_string_equal(t, "application/json");
	assert_string_equal(cs, "utf-8");
	assert_int_equal(parse_content_type(&a, "json", &t, &cs), -1);
	assert_int_equal(parse_content_type(&a, "", &t, &cs), -1);
	assert_int_equal(parse_content_type(&a, "a/b; nonsense", &t, &cs),
	    -1);
	assert_int_equal(parse_content_type(&a, "a b/c", &t, &cs), -1);
}

static void
utf8_validation(void **state)
{
	(void)state;
	assert_true(utf8_valid("plain", 5));
	assert_true(utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
	assert_false(utf8_valid("\x80", 1));
	assert_false(utf8_valid("\xc3", 1));
	assert_false(utf8_valid("\xc1\xbf", 2));
	assert_false(utf8_valid("\xed\xbf\xbf", 3));
	assert_false(utf8_valid("\xf5\x80\x80\x80", 4));
}

static void
rfc3339_times_and_dates(void **state)
{
	(void)state;
	assert_true(rfc3339_valid("2026-11-23T05:57:16Z"));
	assert_true(rfc3339_valid("2026-11-23t05:57:16z"));
	assert_true(rfc3339_valid("2026-11-23T05:57:16.123456Z"));
	assert_true(rfc3339_valid("2026-11-23T05:57:16+01:00"));
	assert_true(rfc3339_valid("2026-11-23T05:57:16-08:30"));
	assert_true(rfc3339_valid("2026-11-23"));
	assert_true(rfc3339_valid("2024-02-29"));
	assert_true(rfc3339_valid("2000-02-29"));
	assert_false(rfc3339_valid("2100-02-29"));
	assert_false(rfc3339_valid("2026-02-29"));
	assert_false(rfc3339_valid("2026-04-31"));
	assert_false(rfc3339_valid("2026-13-01"));
	assert_false(rfc3339_valid("2026-00-10"));
	assert_false(rfc3339_valid("0000-01-01"));
	assert_false(rfc3339_valid("2026-11-23T24:00:00Z"));
	assert_false(rfc3339_valid("2026-11-23T23:60:00Z"));
	assert_false(rfc3339_valid("2026-11-23T23:00:00"));
	assert_false(rfc3339_valid("2026-11-23T23:00:00.Z"));
	assert_false(rfc3339_valid("2026-11-23T23:00:00+1:00"));
	assert_false(rfc3339_valid("2026-11-23T23:00:00+01:00x"));
	assert_false(rfc3339_valid("2026-11-23 23:00:00Z"));
	assert_false(rfc3339_valid("yesterday"));
	assert_false(rfc3339_valid(""));
	assert_false(rfc3339_valid("2026-1-1"));
	assert_false(rfc3339_valid("2026-11-23T"));
}

static void
basic_credentials_are_decoded_strictly(void **state)
{
	struct arena	 ar;
	char		*id, *sec;

	(void)state;
	arena_init(&ar, 0);
	/* RFC 7617 §2: "Aladdin:open sesame" */
	assert_int_equal(parse_basic(&ar, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
	    &id, &sec), 1);
	assert_string_equal(id, "Aladdin");
	assert_string_equal(sec, "open sesame");
	/* RFC 6749 §2.3.1: each half form-encoded ("a:b" id, "c d" secret) */
	assert_int_equal(parse_basic(&ar, "basic YSUzQWI6YytkJTI2", &id, &sec),
	    1);
	assert_string_equal(id, "a:b");
	assert_string_equal(sec, "c d&");
	/* the secret may be empty, the id may not */
	assert_int_equal(parse_basic(&ar, "Basic aWQ6", &id, &sec), 1);
	assert_string_equal(sec, "");
	assert_int_equal(parse_basic(&ar, "Basic OnNlY3JldA==", &id, &sec), -1);
	/* not Basic at all */
	assert_int_equal(parse_basic(&ar, NULL, &id, &sec), 0);
	assert_int_equal(parse_basic(&ar, "Bearer abc", &id, &sec), 0);
	/* malformed */
	assert_int_equal(parse_basic(&ar, "Basic ", &id, &sec), -1);
	assert_int_equal(parse_basic(&ar, "Basic !!!!", &id, &sec), -1);
	assert_int_equal(parse_basic(&ar, "Basic bm9jb2xvbg==", &id, &sec), -1);
	assert_int_equal(parse_basic(&ar, "Basic YQBiOmM=", &id, &sec), -1);
	assert_int_equal(parse_basic(&ar, "Basic YTpi===", &id, &sec), -1);
	assert_int_equal(parse_basic(&ar, "Basic YT-i", &id, &sec), -1);
	assert_int_equal(parse_basic(&ar, "Basic YSUyOg==", &id, &sec), -1);
	arena_free(&ar);
}

static void
return_to_never_leaves_the_origin_or_the_cookie_domain(void **state)
{
	(void)state;
	/* same-origin paths */
	assert_true(return_to_ok("/account", NULL));
	assert_true(return_to_ok("/", ""));
	assert_true(return_to_ok("/a?b=c&d=%2F", NULL));
	assert_false(return_to_ok("//evil.example", NULL));
	assert_false(return_to_ok("/\\evil.example", NULL));
	assert_false(return_to_ok("/a\\b", NULL));
	assert_false(return_to_ok("https:evil.example", NULL));
	assert_false(return_to_ok("javascript:alert(1)", NULL));
	assert_false(return_to_ok("/a b", NULL));
	assert_false(return_to_ok("/a\r\nSet-Cookie: x", NULL));
	assert_false(return_to_ok("", NULL));
	assert_false(return_to_ok(NULL, NULL));
	assert_false(return_to_ok("account", NULL));
	/* absolute URLs: only under the cookie domain, and only then */
	assert_false(return_to_ok("https://app.example.com/", NULL));
	assert_false(return_to_ok("https://app.example.com/", ""));
	assert_true(return_to_ok("https://app.example.com/", "example.com"));
	assert_true(return_to_ok("https://example.com", "example.com"));
	assert_true(return_to_ok("https://a.b.example.com:8443/x?y#z",
	    "example.com"));
	assert_false(return_to_ok("https://evil-example.com/", "example.com"));
	assert_false(return_to_ok("https://example.com.evil.test/",
	    "example.com"));
	assert_false(return_to_ok("https://xexample.com/", "example.com"));
	assert_false(return_to_ok("https://example.com@evil.test/",
	    "example.com"));
	assert_false(return_to_ok("https://evil.test\\@example.com/",
	    "example.com"));
	assert_false(return_to_ok("https://app.example.com:/", "example.com"));
	assert_false(return_to_ok("https://app.example.com:8x/", "example.com"));
	assert_false(return_to_ok("https://APP.example.com/", "example.com"));
	assert_false(return_to_ok("ftp://app.example.com/", "example.com"));
	assert_false(return_to_ok("https://[::1]/", "example.com"));
	/* http only on a loopback host */
	assert_false(return_to_ok("http://app.example.com/", "example.com"));
	assert_true(return_to_ok("http://localhost:3000/", "localhost"));
	assert_false(return_to_ok("http://localhost.evil/", "localhost"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(urlencoded_pairs_are_decoded),
		cmocka_unit_test(urlencoded_bad_input_is_refused),
		cmocka_unit_test(cookies_are_split_and_bad_ones_skipped),
		cmocka_unit_test(bearer_header_must_be_exact),
		cmocka_unit_test(paths_are_normalised_once),
		cmocka_unit_test(request_ids_must_be_sane),
		cmocka_unit_test(durations_and_integers),
		cmocka_unit_test(content_types_are_parsed),
		cmocka_unit_test(utf8_validation),
		cmocka_unit_test(rfc3339_times_and_dates),
		cmocka_unit_test(
		    return_to_never_leaves_the_origin_or_the_cookie_domain),
		cmocka_unit_test(basic_credentials_are_decoded_strictly),
	};

	return cmocka_run_group_tests_name("parse", tests, setup, teardown);
}
