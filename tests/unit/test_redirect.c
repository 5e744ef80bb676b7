/*
 * test_redirect.c: which redirect URIs a client may register (API.md;
 * RFC 8252 §7.1-7.3, RFC 9700 §4.1) and what a scope-token is (RFC 6749
 * §3.3).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "oauth.h"

static void
redirect_uris_follow_rfc_8252(void **state)
{
	(void)state;
	assert_true(redirect_uri_valid("https://app.example.com/cb"));
	assert_true(redirect_uri_valid("https://app.example.com:8443/cb?x=1"));
	assert_true(redirect_uri_valid("https://app.example.com"));
	assert_true(redirect_uri_valid("http://127.0.0.1/cb"));
	assert_true(redirect_uri_valid("http://127.0.0.1:51004/cb"));
	assert_true(redirect_uri_valid("http://[::1]:8080/cb"));
	assert_true(redirect_uri_valid("http://localhost:3000/cb"));
	assert_true(redirect_uri_valid("com.example.app:/oauth2redirect"));
	assert_true(redirect_uri_valid("com.example.app:/cb?x=y"));
	/* refused */
	assert_false(redirect_uri_valid(NULL));
	assert_false(redirect_uri_valid(""));
	assert_false(redirect_uri_valid("/cb"));
	assert_false(redirect_uri_valid("app.example.com/cb"));
	assert_false(redirect_uri_valid("http://app.example.com/cb"));
	assert_false(redirect_uri_valid("http://localhost.evil.example/cb"));
	assert_false(redirect_uri_valid("http://127.0.0.2/cb"));
	assert_false(redirect_uri_valid("https://app.example.com/cb#frag"));
	assert_false(redirect_uri_valid("https://app.example.com/cb#"));
	assert_false(redirect_uri_valid("https://user@app.example.com/cb"));
	assert_false(redirect_uri_valid("https://user:pw@app.example.com/"));
	assert_false(redirect_uri_valid("https:///cb"));
	assert_false(redirect_uri_valid("https://:443/cb"));
	assert_false(redirect_uri_valid("https://app.example.com:/cb"));
	assert_false(redirect_uri_valid("https://app.example.com:44x/cb"));
	assert_false(redirect_uri_valid("https://*.example.com/cb"));
	assert_false(redirect_uri_valid("https://app.example.com/c b"));
	assert_false(redirect_uri_valid("https://app.example.com/\\cb"));
	assert_false(redirect_uri_valid("https:/app.example.com/cb"));
	assert_false(redirect_uri_valid("javascript:alert(1)"));
	assert_false(redirect_uri_valid("data:text/html,x"));
	assert_false(redirect_uri_valid("myapp:/cb"));		/* no dot */
	assert_false(redirect_uri_valid("com.example.app:"));
	assert_false(redirect_uri_valid("1com.example:/cb"));
}

static void
scope_tokens_follow_rfc_6749(void **state)
{
	(void)state;
	assert_true(scope_token_valid("openid"));
	assert_true(scope_token_valid("read:users"));
	assert_true(scope_token_valid("https://api.example.com/x"));
	assert_true(scope_token_valid("!#[]~"));
	assert_false(scope_token_valid(""));
	assert_false(scope_token_valid(NULL));
	assert_false(scope_token_valid("two words"));
	assert_false(scope_token_valid("quote\""));
	assert_false(scope_token_valid("back\\slash"));
	assert_false(scope_token_valid("tab\t"));
	assert_false(scope_token_valid("\xc3\xa9"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(redirect_uris_follow_rfc_8252),
		cmocka_unit_test(scope_tokens_follow_rfc_6749),
	};

	return cmocka_run_group_tests_name("redirect", tests, NULL, NULL);
}
