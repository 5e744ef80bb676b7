/* Unit tests: addresses, CIDR lists and the client-address rule. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "netaddr.h"

static int
in_list(const char *list, const char *ip)
{
	struct cidrlist	l;
	unsigned char	addr[16];
	int		r;

	assert_int_equal(cidrlist_parse(list, &l), 0);
	assert_int_equal(ip_parse(ip, addr), 0);
	r = cidrlist_match(&l, addr);
	cidrlist_free(&l);
	return r;
}

static void
cidr_lists_match_v4_and_v6(void **state)
{
	(void)state;
	assert_true(in_list("10.0.0.0/8", "10.255.1.2"));
	assert_false(in_list("10.0.0.0/8", "11.0.0.1"));
	assert_true(in_list("192.168.1.0/25", "192.168.1.127"));
	assert_false(in_list("192.168.1.0/25", "192.168.1.128"));
	assert_true(in_list(" 127.0.0.1 , ::1/128", "::1"));
	assert_true(in_list("127.0.0.1", "127.0.0.1"));
	assert_false(in_list("127.0.0.1", "127.0.0.2"));
	assert_true(in_list("0.0.0.0/0", "8.8.8.8"));
	assert_false(in_list("0.0.0.0/0", "2001:db8::1"));
	assert_true(in_list("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(in_list("", "127.0.0.1"));
}

static void
bad_cidrs_are_refused(void **state)
{
	struct cidrlist	 l;
	static const char *const bad[] = { "10.0.0.0/33", "::/129", "x",
	    "10.0.0/8", "10.0.0.0/-1", "10.0.0.0/", "1.2.3.4.5" };
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cidrlist_parse(bad[i], &l) != -1)
			fail_msg("accepted %s", bad[i]);
}

static void
client_ip_follows_only_trusted_proxies(void **state)
{
	struct cidrlist	 t;
	char		 buf[64];

	(void)state;
	assert_int_equal(cidrlist_parse("127.0.0.1, 10.0.0.0/8", &t), 0);
	/* Not from a proxy: the header is ignored. */
	assert_string_equal(client_ip("203.0.113.9", "1.2.3.4", &t, buf,
	    sizeof(buf)), "203.0.113.9");
	/* From a proxy: right-most untrusted entry. */
	assert_string_equal(client_ip("127.0.0.1",
	    "6.6.6.6, 198.51.100.7, 10.1.1.1", &t, buf, sizeof(buf)),
	    "198.51.100.7");
	/* A forged left part cannot win over the proxy-appended entry. */
	assert_string_equal(client_ip("127.0.0.1", "1.1.1.1,198.51.100.7",
	    &t, buf, sizeof(buf)), "198.51.100.7");
	/* Garbage in the header stops the walk at the last good hop. */
	assert_string_equal(client_ip("127.0.0.1", "198.51.100.7, junk",
	    &t, buf, sizeof(buf)), "127.0.0.1");
	/* All hops trusted: the left-most one. */
	assert_string_equal(client_ip("127.0.0.1", "10.0.0.2", &t, buf,
	    sizeof(buf)), "10.0.0.2");
	assert_string_equal(client_ip(NULL, NULL, &t, buf, sizeof(buf)),
	    "0.0.0.0");
	assert_string_equal(client_ip("::1", NULL, &t, buf, sizeof(buf)),
	    "::1");
	cidrlist_free(&t);
}

static void
ipv6_clients_are_counted_by_prefix(void **state)
{
	char	buf[64];

	(void)state;
	assert_string_equal(ip_bucket("2001:db8:1:2:aaaa:bbbb:cccc:dddd", 64,
	    buf, sizeof(buf)), "2001:db8:1:2::/64");
	assert_string_equal(ip_bucket("2001:db8:1:2::1", 64, buf,
	    sizeof(buf)), "2001:db8:1:2::/64");
	assert_string_equal(ip_bucket("2001:db8:1:2ff::1", 56, buf,
	    sizeof(buf)), "2001:db8:1:200::/56");
	assert_string_equal(ip_bucket("2001:db8::1", 128, buf, sizeof(buf)),
	    "2001:db8::1/128");
	/* IPv4 and what is not an address stay as they are. */
	assert_string_equal(ip_bucket("198.51.100.7", 64, buf, sizeof(buf)),
	    "198.51.100.7");
	assert_string_equal(ip_bucket("nope:", 64, buf, sizeof(buf)), "nope:");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv6_clients_are_counted_by_prefix),
		cmocka_unit_test(cidr_lists_match_v4_and_v6),
		cmocka_unit_test(bad_cidrs_are_refused),
		cmocka_unit_test(client_ip_follows_only_trusted_proxies),
	};

	return cmocka_run_group_tests_name("netaddr", tests, NULL, NULL);
}
