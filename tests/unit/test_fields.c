/*
 * Unit tests: the field catalogue (fields.c).  The same field gives the
 * same verdict whether it arrives in a JSON body, a form or a query
 * string; the shapes' schemas say what the checks enforce.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "fields.h"
#include "parse.h"

static struct arena	a;

/* "ok", or the message of the first fault. */
static const char *
json_verdict(const struct fspec *spec, const char *text)
{
	json_object	*o = json_tokener_parse(text), *v[FS_MAX];
	const char	*name = NULL, *msg = NULL, *out;

	assert_non_null(o);
	out = fields_check(spec, o, "", v, &a, &name, &msg) == 0 ? "ok" :
	    arena_strdup(&a, msg);
	json_object_put(o);
	return out;
}

/* The same for urlencoded pairs (a form body or a query string). */
static const char *
pairs_verdict(const struct fspec *spec, const char *text)
{
	struct kvlist	 kv;
	json_object	*o, *v[FS_MAX];
	const char	*name = NULL, *msg = NULL, *out;

	assert_int_equal(parse_urlencoded(&a, text, strlen(text), 64, &kv), 0);
	if ((o = fields_from_pairs(spec, &kv, &a, &name, &msg)) == NULL)
		return msg;
	out = fields_check(spec, o, "", v, &a, &name, &msg) == 0 ? "ok" :
	    arena_strdup(&a, msg);
	json_object_put(o);
	return out;
}

/* Asserts that a JSON body and pairs get the same verdict, and which. */
static void
same(const struct fspec *spec, const char *json, const char *pairs,
    const char *want)
{
	assert_string_equal(json_verdict(spec, json), want);
	assert_string_equal(pairs_verdict(spec, pairs), want);
}

static void
valid_input_passes_from_every_source(void **state)
{
	(void)state;
	same(&fs_login, "{\"email\":\"ann@example.test\",\"password\":\"pw\"}",
	    "email=ann%40example.test&password=pw", "ok");
	same(&fs_member_create, "{\"email\":\"b@example.test\","
	    "\"roles\":[\"user\",\"admin\"],\"emailVerified\":true}",
	    "email=b%40example.test&roles=user&roles=admin&emailVerified=true",
	    "ok");
	same(&fs_users_query, "{\"page\":2,\"limit\":100,\"search\":\"ann\"}",
	    "page=2&limit=100&search=ann", "ok");
	same(&fs_breach_revoke,
	    "{\"userId\":\"0190c3a2-7b1e-7c3d-8f00-123456789abc\"}",
	    "userId=0190c3a2-7b1e-7c3d-8f00-123456789abc", "ok");
}

static void
each_fault_gets_one_message_whatever_the_source(void **state)
{
	(void)state;
	same(&fs_login, "{\"email\":\"not-an-address\",\"password\":\"pw\"}",
	    "email=not-an-address&password=pw",
	    "email must be a valid email address");
	same(&fs_login, "{\"email\":\"ann@example.test\"}",
	    "email=ann%40example.test", "password is required");
	same(&fs_login, "{\"email\":\"ann@example.test\",\"password\":\"p\","
	    "\"admin\":\"1\"}", "email=ann%40example.test&password=p&admin=1",
	    "Unknown field admin");
	same(&fs_register, "{\"email\":\"ann@example.test\",\"password\":\"p\","
	    "\"firstName\":\"A\\u0001B\"}",
	    "email=ann%40example.test&password=p&firstName=A%01B",
	    "firstName must not contain control characters");
	same(&fs_register, "{\"email\":\"ann@example.test\",\"password\":\"p\","
	    "\"firstName\":\"\\r\\nBcc: x\"}",
	    "email=ann%40example.test&password=p&firstName=%0D%0ABcc:+x",
	    "firstName must not contain control characters");
	same(&fs_member_create, "{\"email\":\"b@example.test\","
	    "\"emailVerified\":\"yes\"}",
	    "email=b%40example.test&emailVerified=yes",
	    "emailVerified must be true or false");
	same(&fs_member_create, "{\"email\":\"b@example.test\","
	    "\"roles\":[\"a,b\"]}", "email=b%40example.test&roles=a%2Cb",
	    "roles entries must be 1-64 characters, without commas");
	same(&fs_users_query, "{\"page\":0}", "page=0",
	    "page must be a whole number from 1 to 1000000");
	same(&fs_users_query, "{\"limit\":\"ten\"}", "limit=ten",
	    "limit must be a whole number from 1 to 100");
	same(&fs_users_query, "{\"limit\":101}", "limit=101",
	    "limit must be a whole number from 1 to 100");
	same(&fs_breach_revoke, "{\"userId\":\"42\"}", "userId=42",
	    "userId must be a UUID");
}

static void
lengths_count_characters_and_bytes_as_declared(void **state)
{
	char	json[1024], form[1024], name[210];

	(void)state;
	/* 100 two-byte characters: a name of 100 characters passes. */
	memset(name, 0, sizeof(name));
	for (size_t i = 0; i < 100; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2);
	snprintf(json, sizeof(json), "{\"email\":\"a@example.test\","
	    "\"password\":\"p\",\"firstName\":\"%s\"}", name);
	form[0] = '\0';
	strcat(form, "email=a%40example.test&password=p&firstName=");
	for (size_t i = 0; i < 100; i++)
		strcat(form, "%C3%A9");
	same(&fs_register, json, form, "ok");
	/* One more is too long, from either source. */
	strcat(name, "x");
	snprintf(json, sizeof(json), "{\"email\":\"a@example.test\","
	    "\"password\":\"p\",\"firstName\":\"%s\"}", name);
	strcat(form, "x");
	same(&fs_register, json, form, "firstName is too long");
}

static void
pairs_have_rules_of_their_own(void **state)
{
	(void)state;
	/* A form cannot say a field twice, except a list field. */
	assert_string_equal(pairs_verdict(&fs_login,
	    "email=a%40example.test&email=b%40example.test&password=p"),
	    "email must be given once");
	/* An empty value is no value: a required one is then missing. */
	assert_string_equal(pairs_verdict(&fs_login,
	    "email=a%40example.test&password="), "password is required");
	/* Query shapes ignore keys they do not know (cache busters). */
	assert_string_equal(pairs_verdict(&fs_page_query, "_=123&page=1"),
	    "ok");
	assert_string_equal(json_verdict(&fs_page_query,
	    "{\"_\":\"123\",\"page\":1}"), "ok");
	/* Objects never come from pairs: the check says what it wants. */
	assert_string_equal(pairs_verdict(&fs_profile, "preferences=x"),
	    "preferences must be an object");
	/* A NUL byte never reaches the catalogue. */
	{
		struct kvlist	kv;

		assert_int_equal(parse_urlencoded(&a, "firstName=a%00b", 15,
		    64, &kv), -1);
	}
}

static void
nested_shapes_name_their_fields(void **state)
{
	(void)state;
	assert_string_equal(json_verdict(&fs_onboard, "{\"organisation\":"
	    "{\"slug\":\"acme\"},\"email\":\"o@example.test\",\"password\":"
	    "\"p\",\"firstName\":\"O\",\"lastName\":\"W\"}"),
	    "organisation.name is required");
	assert_string_equal(json_verdict(&fs_onboard, "{\"organisation\":"
	    "{\"name\":\"Acme\",\"slug\":\"acme\",\"x\":1},\"email\":"
	    "\"o@example.test\",\"password\":\"p\",\"firstName\":\"O\","
	    "\"lastName\":\"W\"}"), "Unknown field organisation.x");
	assert_string_equal(json_verdict(&fs_onboard, "{\"organisation\":"
	    "{\"name\":\"Acme\",\"slug\":\"acme\"},\"email\":"
	    "\"o@example.test\",\"password\":\"p\",\"firstName\":\"O\","
	    "\"lastName\":\"W\"}"), "ok");
}

static void
schemas_say_what_the_checks_enforce(void **state)
{
	json_object	*s, *p, *r;

	(void)state;
	s = fields_schema(&fs_login);
	assert_string_equal(json_object_get_string(json_object_object_get(s,
	    "type")), "object");
	assert_false(json_object_get_boolean(json_object_object_get(s,
	    "additionalProperties")));
	r = json_object_object_get(s, "required");
	assert_int_equal(json_object_array_length(r), 2);
	p = json_object_object_get(json_object_object_get(s, "properties"),
	    "email");
	assert_string_equal(json_object_get_string(json_object_object_get(p,
	    "format")), "email");
	json_object_put(s);
	s = fields_schema(&fs_users_query);
	assert_null(json_object_object_get(s, "additionalProperties"));
	p = json_object_object_get(json_object_object_get(s, "properties"),
	    "limit");
	assert_int_equal(json_object_get_int(json_object_object_get(p,
	    "maximum")), 100);
	json_object_put(s);
	s = fields_schema(&fs_onboard);
	p = json_object_object_get(json_object_object_get(s, "properties"),
	    "organisation");
	assert_int_equal(json_object_array_length(json_object_object_get(p,
	    "required")), 2);
	json_object_put(s);
}

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_input_passes_from_every_source),
		cmocka_unit_test(each_fault_gets_one_message_whatever_the_source),
		cmocka_unit_test(lengths_count_characters_and_bytes_as_declared),
		cmocka_unit_test(pairs_have_rules_of_their_own),
		cmocka_unit_test(nested_shapes_name_their_fields),
		cmocka_unit_test(schemas_say_what_the_checks_enforce),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
