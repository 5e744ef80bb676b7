/* Unit tests: configuration file, environment overrides, bad values. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

static char	path[64];

#define KEY_HEX	"000102030405060708090a0b0c0d0e0f" \
		"101112131415161718191a1b1c1d1e1f"


static void
write_conf(const char *text)
{
	FILE	*f;
	int	 fd;

	snprintf(path, sizeof(path), "/tmp/iam-conf-test.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
load_text(const char *text, struct config *c, char *err, size_t len)
{
	int	rc;

	write_conf(text);
	rc = conf_load(path, c, err, len);
	unlink(path);
	return rc;
}

static int
clear_env(void **state)
{
	(void)state;
	/* Every key may be overridden by the environment: start empty but
	 * for the one secret every configuration needs. */
	clearenv();
	setenv("SECRET_ENCRYPTION_KEY", KEY_HEX, 1);
	return 0;
}

static void
file_values_and_defaults_are_read(void **state)
{
	struct config	c;
	char		err[256];

	(void)state;
	assert_int_equal(load_text("# comment\n\nDATABASE_URL = dbname=x\n"
	    "RATE_MAX=7\nRATE_WINDOW_SEC = 2m\nRATE_LIMIT_FAIL = closed\n"
	    "METRICS_TOKEN = \"quoted value\"\n", &c, err, sizeof(err)), 0);
	assert_string_equal(c.database_url, "dbname=x");
	assert_int_equal(c.rate_max, 7);
	assert_int_equal(c.rate_window, 120);
	assert_int_equal(c.rate_fail_closed, 1);
	assert_string_equal(c.metrics_token, "quoted value");
	assert_int_equal(c.max_body_bytes, 65536);
	assert_int_equal(c.shutdown_timeout, 10);
	assert_true(c.workers >= 1);
	assert_int_equal(c.metrics_allow.n, 2);
	conf_free(&c);
}

static void
environment_overrides_the_file(void **state)
{
	struct config	c;
	char		err[256];

	(void)state;
	setenv("RATE_MAX", "9", 1);
	setenv("IAM_WORKERS", "0", 1);
	assert_int_equal(load_text("DATABASE_URL = a\nRATE_MAX = 7\n", &c, err,
	    sizeof(err)), 0);
	assert_int_equal(c.rate_max, 9);
	assert_int_equal(c.workers, 0);
	conf_free(&c);
	clear_env(NULL);
}

static void
unknown_key_names_file_line_and_key(void **state)
{
	struct config	c;
	char		err[256];

	(void)state;
	assert_int_equal(load_text("DATABASE_URL = a\nRATE_MAXX = 1\n", &c,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2: unknown key RATE_MAXX"));
}

static void
bad_values_name_the_key_without_echoing_it(void **state)
{
	/* Each value carries a marker that must not reach the message: a
	 * value may be a secret (a key, a password inside a URL). */
	static const struct { const char *key, *value; } bad[] = {
	    { "RATE_MAX", "0zq7" }, { "RATE_MAX", "xzq7" },
	    { "RATE_WINDOW_SEC", "5wzq7" }, { "RATE_LIMIT_FAIL", "maybezq7" },
	    { "TRUSTED_PROXIES", "10.0.0.0/99zq7" },
	    { "MAX_BODY_BYTES", "10zq7" }, { "IAM_WORKERS", "-1zq7" },
	    { "LOG_LEVEL", "loudzq7" },
	    { "SECRET_ENCRYPTION_KEY", "hunter2-not-a-key-zq7" },
	    { "SECRET_ENCRYPTION_KEY_PREVIOUS", "0001020304zq7" } };
	struct config	c;
	char		err[256], text[256];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "DATABASE_URL = a\n%s = %s\n",
		    bad[i].key, bad[i].value);
		/* The environment overrides the file: the secret comes from
		 * the file here. */
		unsetenv("SECRET_ENCRYPTION_KEY");
		if (strcmp(bad[i].key, "SECRET_ENCRYPTION_KEY") != 0)
			strncat(text, "SECRET_ENCRYPTION_KEY = " KEY_HEX "\n",
			    sizeof(text) - strlen(text) - 1);
		assert_int_equal(load_text(text, &c, err, sizeof(err)), -1);
		setenv("SECRET_ENCRYPTION_KEY", KEY_HEX, 1);
		/* The message starts with the key and says what is wrong... */
		assert_int_equal(strncmp(err, bad[i].key, strlen(bad[i].key)),
		    0);
		assert_int_equal(err[strlen(bad[i].key)], ':');
		assert_non_null(strstr(err, "invalid value"));
		/* ...and carries neither the value nor its marker. */
		assert_null(strstr(err, bad[i].value));
		assert_null(strstr(err, "zq7"));
	}
	/* A line without '=' (a pasted secret) is not echoed either. */
	assert_int_equal(load_text("DATABASE_URL = a\nhunter2zq7\n", &c, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, ":2: expected KEY = value"));
	assert_null(strstr(err, "zq7"));
}

static void
missing_required_key_and_malformed_lines(void **state)
{
	struct config	c;
	char		err[256];

	(void)state;
	assert_int_equal(load_text("RATE_MAX = 5\n", &c, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "DATABASE_URL: required but not set");
	assert_int_equal(load_text("DATABASE_URL\n", &c, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, ":1: expected KEY = value"));
	assert_int_equal(conf_load("/nonexistent/iam.conf", &c, err,
	    sizeof(err)), -1);
}

static void
the_secret_key_takes_hex_or_base64_and_nothing_else(void **state)
{
	static const char *const bad[] = { "", "00", "zz0102030405060708090a0b0c"
	    "0d0e0f101112131415161718191a1b1c1d1e1f", "AAECAwQFBgcICQoLDA0ODxAREh"
	    "MUFRYXGBkaGxwdHh8=extra", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGx"
	    "wdHg==" };
	struct config	c;
	char		err[256];
	size_t		i;

	(void)state;
	assert_int_equal(load_text("DATABASE_URL = a\n", &c, err, sizeof(err)),
	    0);
	assert_int_equal(c.secret_key[0], 0x00);
	assert_int_equal(c.secret_key[31], 0x1f);
	conf_free(&c);
	setenv("SECRET_ENCRYPTION_KEY",
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", 1);
	assert_int_equal(load_text("DATABASE_URL = a\n", &c, err, sizeof(err)),
	    0);
	assert_int_equal(c.secret_key[1], 0x01);
	assert_int_equal(c.secret_key[31], 0x1f);
	conf_free(&c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("SECRET_ENCRYPTION_KEY", bad[i], 1);
		assert_int_equal(load_text("DATABASE_URL = a\n", &c, err,
		    sizeof(err)), -1);
		assert_non_null(strstr(err, "SECRET_ENCRYPTION_KEY"));
		/* The value itself is never echoed. */
		if (strlen(bad[i]) > 4)
			assert_null(strstr(err, bad[i]));
	}
}

static void
keys_are_listed(void **state)
{
	(void)state;
	assert_true(conf_is_key("DATABASE_URL"));
	assert_true(conf_is_key("RATE_MAX"));
	assert_false(conf_is_key("PATH"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(file_values_and_defaults_are_read,
		    clear_env),
		cmocka_unit_test_setup(environment_overrides_the_file,
		    clear_env),
		cmocka_unit_test_setup(unknown_key_names_file_line_and_key,
		    clear_env),
		cmocka_unit_test_setup(
		    bad_values_name_the_key_without_echoing_it, clear_env),
		cmocka_unit_test_setup(missing_required_key_and_malformed_lines,
		    clear_env),
		cmocka_unit_test_setup(
		    the_secret_key_takes_hex_or_base64_and_nothing_else,
		    clear_env),
		cmocka_unit_test(keys_are_listed),
	};

	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
