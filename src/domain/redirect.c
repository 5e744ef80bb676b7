/*
 * redirect.c: the pure rules of OAuth client registration: which
 * redirect URIs may be registered (API.md; RFC 8252 §7.1-7.3; RFC 9700
 * §4.1: no fragment, no wildcard, no userinfo) and what a scope-token is
 * (RFC 6749 §3.3).  No I/O; unit-tested in tests/unit/test_redirect.c.
 */
#include <ctype.h>
#include <string.h>

#include "oauth.h"

/* The length of the scheme of u (before ':'), or 0 if it has none. */
static size_t
scheme_len(const char *u)
{
	size_t	i;

	if (!isalpha((unsigned char)u[0]))
		return 0;
	for (i = 1; u[i] != '\0' && u[i] != ':'; i++)
		if (!isalnum((unsigned char)u[i]) && u[i] != '+' &&
		    u[i] != '-' && u[i] != '.')
			return 0;
	return u[i] == ':' ? i : 0;
}

/* Host [":" port] of authority a[0..n) is hl bytes long, the rest a port
 * of digits; 0 if malformed. */
static int
authority_ok(const char *a, size_t n, size_t *hl)
{
	const char	*c;
	size_t		 i;

	if (n == 0 || memchr(a, '@', n) != NULL)
		return 0;
	if (a[0] == '[') {			/* an IPv6 literal */
		if ((c = memchr(a, ']', n)) == NULL)
			return 0;
		*hl = (size_t)(c - a) + 1;
	} else {
		c = memchr(a, ':', n);
		*hl = c != NULL ? (size_t)(c - a) : n;
	}
	if (*hl == 0)
		return 0;
	if (*hl < n) {
		if (a[*hl] != ':' || *hl + 1 == n)
			return 0;
		for (i = *hl + 1; i < n; i++)
			if (!isdigit((unsigned char)a[i]))
				return 0;
	}
	for (i = 0; a[0] != '[' && i < *hl; i++)
		if (!isalnum((unsigned char)a[i]) && a[i] != '.' &&
		    a[i] != '-')
			return 0;
	return 1;
}

int
redirect_uri_valid(const char *u)
{
	size_t	 sl, n, hl, i;
	const char *a;

	if (u == NULL || *u == '\0' || strlen(u) > 2048 ||
	    strchr(u, '#') != NULL || strchr(u, '*') != NULL)
		return 0;
	for (i = 0; u[i] != '\0'; i++)
		if ((unsigned char)u[i] <= 0x20 || u[i] == 0x7f ||
		    u[i] == '\\')
			return 0;
	if ((sl = scheme_len(u)) == 0)
		return 0;
	if ((sl == 5 && strncmp(u, "https", 5) == 0) ||
	    (sl == 4 && strncmp(u, "http", 4) == 0)) {
		if (strncmp(u + sl, "://", 3) != 0)
			return 0;
		a = u + sl + 3;
		n = strcspn(a, "/?");
		if (!authority_ok(a, n, &hl))
			return 0;
		if (sl == 5)
			return 1;
		/* http only on a loopback host (RFC 8252 §7.3, §8.3) */
		return (hl == 9 && strncmp(a, "127.0.0.1", 9) == 0) ||
		    (hl == 5 && strncmp(a, "[::1]", 5) == 0) ||
		    (hl == 9 && strncmp(a, "localhost", 9) == 0);
	}
	/* a private-use scheme: reverse domain name, so it holds a dot */
	if (memchr(u, '.', sl) == NULL || u[sl + 1] == '\0')
		return 0;
	return 1;
}

int
scope_token_valid(const char *s)
{
	size_t	i;

	if (s == NULL || *s == '\0' || strlen(s) > 64)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!((unsigned char)s[i] == 0x21 ||
		    ((unsigned char)s[i] >= 0x23 && (unsigned char)s[i] <= 0x5b)
		    || ((unsigned char)s[i] >= 0x5d &&
		    (unsigned char)s[i] <= 0x7e)))
			return 0;
	return 1;
}
