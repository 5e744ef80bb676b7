/*
 * test_html.c: the escaping writer and the page templates: every value
 * escaped, sections and lists, the operator's override directory, and
 * each way a template is refused at load (naming the file).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "arena.h"
#include "html.h"

static const char *const pages[] = { "layout", "login", "logout",
	"account", "forgot", "reset", "verify", "invite", "message" };

static char	 dir[64], over[64];

static void
put(const char *d, const char *name, const char *text)
{
	char	 path[256];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", d, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/* A complete shipped set: layout wraps, each page says its name. */
static void
shipped(void)
{
	char	 body[64], name[32];
	size_t	 i;

	put(dir, "layout.html", "<main>{{>content}}</main>");
	for (i = 1; i < sizeof(pages) / sizeof(pages[0]); i++) {
		snprintf(name, sizeof(name), "%s.html", pages[i]);
		snprintf(body, sizeof(body), "%s:{{message}}", pages[i]);
		put(dir, name, body);
	}
	put(dir, "iam.css", "body{}");
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/iam-html-XXXXXX");
	snprintf(over, sizeof(over), "/tmp/iam-html-o-XXXXXX");
	if (mkdtemp(dir) == NULL || mkdtemp(over) == NULL)
		return -1;
	shipped();
	return 0;
}

static int
teardown(void **state)
{
	char	cmd[200];

	(void)state;
	tmpl_free();
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", dir, over);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *
render(struct arena *a, const char *page, struct tscope *s)
{
	struct buf	b;

	buf_init(&b, a);
	assert_int_equal(tmpl_render(&b, page, s), 0);
	return b.data != NULL ? b.data : "";
}

static void
every_special_character_is_escaped(void **state)
{
	struct arena	a;
	struct buf	b;

	(void)state;
	arena_init(&a, 0);
	buf_init(&b, &a);
	html_puts(&b, "<script>alert('x') & \"y\"</script>ok");
	assert_string_equal(b.data, "&lt;script&gt;alert(&#39;x&#39;) &amp; "
	    "&quot;y&quot;&lt;/script&gt;ok");
	buf_init(&b, &a);
	html_puts(&b, "");
	assert_true(b.data == NULL || b.data[0] == '\0');
	arena_free(&a);
}

static void
values_print_escaped_inside_the_layout(void **state)
{
	struct arena	 a;
	struct tscope	*s;
	char		 err[256];

	(void)state;
	assert_int_equal(tmpl_load(dir, NULL, err, sizeof(err)), 0);
	arena_init(&a, 0);
	s = ts_new(&a, NULL);
	ts_set(s, "message", "<b>\"hi\"</b>");
	assert_string_equal(render(&a, "message", s),
	    "<main>message:&lt;b&gt;&quot;hi&quot;&lt;/b&gt;</main>");
	/* an absent value prints nothing */
	assert_string_equal(render(&a, "login", ts_new(&a, NULL)),
	    "<main>login:</main>");
	/* the layout is not a page */
	{
		struct buf	b;

		buf_init(&b, &a);
		assert_int_equal(tmpl_render(&b, "layout", s), -1);
		assert_int_equal(tmpl_render(&b, "nosuch", s), -1);
	}
	arena_free(&a);
}

static void
sections_lists_and_inverted_sections(void **state)
{
	struct arena	 a;
	struct tscope	*s, *i;
	char		 err[256];

	(void)state;
	put(over, "account.html", "{{#rows}}[{{id}}{{#cur}}*{{/cur}} "
	    "{{who}}]{{/rows}}{{^rows}}none{{/rows}}{{#flag}}F{{/flag}}"
	    "{{^flag}}-{{/flag}}{{! a comment }}");
	assert_int_equal(tmpl_load(dir, over, err, sizeof(err)), 0);
	arena_init(&a, 0);
	s = ts_new(&a, NULL);
	assert_string_equal(render(&a, "account", s), "<main>none-</main>");
	ts_set(s, "who", "<me>");
	i = ts_item(s, "rows");
	ts_set(i, "id", "1");
	ts_set(i, "cur", "1");
	i = ts_item(s, "rows");
	ts_set(i, "id", "2&");
	ts_set(s, "flag", "yes");
	/* items see their parent's values (who) */
	assert_string_equal(render(&a, "account", s),
	    "<main>[1* &lt;me&gt;][2&amp; &lt;me&gt;]F</main>");
	ts_set(s, "flag", "");		/* empty is false */
	assert_string_equal(render(&a, "account", s),
	    "<main>[1* &lt;me&gt;][2&amp; &lt;me&gt;]-</main>");
	arena_free(&a);
}

static void
the_override_directory_replaces_only_the_files_it_holds(void **state)
{
	struct arena	 a;
	struct tscope	*s;
	char		 err[256];
	const char	*css;
	size_t		 n;

	(void)state;
	put(over, "login.html", "BRANDED {{message}}");
	put(over, "account.html", "x");
	put(over, "iam.css", "main{color:red}");
	assert_int_equal(tmpl_load(dir, over, err, sizeof(err)), 0);
	arena_init(&a, 0);
	s = ts_new(&a, NULL);
	ts_set(s, "message", "<x>");
	assert_string_equal(render(&a, "login", s),
	    "<main>BRANDED &lt;x&gt;</main>");
	assert_string_equal(render(&a, "forgot", s),
	    "<main>forgot:&lt;x&gt;</main>");
	assert_non_null(css = tmpl_css(&n));
	assert_string_equal(css, "main{color:red}");
	assert_int_equal(strlen(tmpl_css_version()), 16);
	arena_free(&a);
}

/* A broken template is refused, naming its file, and the set in force
 * stays. */
static void
refused(const char *text, const char *why)
{
	struct arena	 a;
	char		 err[256];

	put(over, "reset.html", text);
	assert_int_equal(tmpl_load(dir, over, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "reset.html"));
	assert_non_null(strstr(err, why));
	arena_init(&a, 0);
	assert_string_equal(render(&a, "login", ts_new(&a, NULL)),
	    "<main>BRANDED </main>");
	arena_free(&a);
}

static void
broken_templates_are_refused_with_one_line_naming_them(void **state)
{
	char	err[256];

	(void)state;
	put(over, "login.html", "BRANDED {{message}}");
	assert_int_equal(tmpl_load(dir, over, err, sizeof(err)), 0);
	refused("{{#a}}never closed", "never closed");
	refused("{{/a}}", "closes nothing");
	refused("{{#a}}{{/b}}", "closes nothing");
	refused("{{{raw}}}", "no raw output");
	refused("{{&raw}}", "no raw output");
	refused("{{x", "without }}");
	refused("{{>nosuch}}", "names no template");
	refused("{{>content}}", "names no template");	/* layout only */
	refused("{{a.b}}", "bad tag");
	refused("{{}}", "bad tag");
	{
		char	p[256];

		snprintf(p, sizeof(p), "%s/reset.html", over);
		unlink(p);
		snprintf(p, sizeof(p), "%s/verify.html", dir);
		unlink(p);
		assert_int_equal(tmpl_load(dir, over, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "verify.html"));
		shipped();
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_special_character_is_escaped),
		cmocka_unit_test(values_print_escaped_inside_the_layout),
		cmocka_unit_test(sections_lists_and_inverted_sections),
		cmocka_unit_test(
		    the_override_directory_replaces_only_the_files_it_holds),
		cmocka_unit_test(
		    broken_templates_are_refused_with_one_line_naming_them),
	};

	return cmocka_run_group_tests_name("html", tests, setup, teardown);
}
