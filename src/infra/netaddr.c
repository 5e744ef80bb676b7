/*
 * netaddr.c: address parsing and CIDR matching for the trusted-proxy and
 * metrics allow lists, and the client-address rule of the contract.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"
#include "text.h"

int
ip_parse(const char *s, unsigned char out[16])
{
	struct in_addr	v4;

	if (strchr(s, ':') != NULL)
		return inet_pton(AF_INET6, s, out) == 1 ? 0 : -1;
	if (inet_pton(AF_INET, s, &v4) != 1)
		return -1;
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, &v4, 4);
	return 0;
}

int
cidr_parse(const char *s, struct cidr *c)
{
	char		 tmp[64];
	char		*slash;
	int64_t		 bits;
	int		 v4;
	size_t		 len = strlen(s);

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len + 1);
	v4 = strchr(tmp, ':') == NULL;
	if ((slash = strchr(tmp, '/')) != NULL)
		*slash++ = '\0';
	if (ip_parse(tmp, c->addr) == -1)
		return -1;
	if (slash == NULL)
		bits = v4 ? 32 : 128;
	else if (parse_int(slash, 0, v4 ? 32 : 128, &bits) == -1)
		return -1;
	c->bits = (int)(v4 ? bits + 96 : bits);
	return 0;
}

void
cidrlist_free(struct cidrlist *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
cidrlist_parse(const char *s, struct cidrlist *l)
{
	char		 item[64];
	const char	*p, *comma, *b, *e;
	size_t		 n = 1, len;

	l->v = NULL;
	l->n = 0;
	for (p = s; *p != '\0'; p++)
		if (*p == ',')
			n++;
	if ((l->v = calloc(n, sizeof(*l->v))) == NULL)
		return -1;
	for (p = s;; p = comma + 1) {
		if ((comma = strchr(p, ',')) == NULL)
			comma = p + strlen(p);
		for (b = p; b < comma && (*b == ' ' || *b == '\t'); b++)
			;
		for (e = comma; e > b && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		len = (size_t)(e - b);
		if (len > 0) {
			if (len >= sizeof(item))
				goto fail;
			memcpy(item, b, len);
			item[len] = '\0';
			if (cidr_parse(item, &l->v[l->n]) == -1)
				goto fail;
			l->n++;
		}
		if (*comma == '\0')
			break;
	}
	return 0;
fail:
	cidrlist_free(l);
	return -1;
}

static int
cidr_match(const struct cidr *c, const unsigned char a[16])
{
	int	full = c->bits / 8, rest = c->bits % 8;

	if (memcmp(c->addr, a, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((c->addr[full] ^ a[full]) & (0xff << (8 - rest))) == 0;
}

int
cidrlist_match(const struct cidrlist *l, const unsigned char a[16])
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (cidr_match(&l->v[i], a))
			return 1;
	return 0;
}

/* Copies s[0..n), trimmed of blanks, into buf; returns 0 if it parses. */
static int
take_addr(const char *s, size_t n, char *buf, size_t bufsz,
    unsigned char addr[16])
{
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= bufsz)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return ip_parse(buf, addr);
}

const char *
client_ip(const char *remote, const char *xff, const struct cidrlist *trusted,
    char *buf, size_t bufsz)
{
	unsigned char	 addr[16];
	char		 cand[64];
	const char	*end, *p;

	if (remote == NULL || take_addr(remote, strlen(remote), buf, bufsz,
	    addr) == -1) {
		snprintf(buf, bufsz, "0.0.0.0");
		return buf;
	}
	if (xff == NULL || !cidrlist_match(trusted, addr))
		return buf;
	/* Walk right to left while the hop we stand on is trusted. */
	end = xff + strlen(xff);
	while (end > xff) {
		for (p = end; p > xff && p[-1] != ','; p--)
			;
		if (take_addr(p, (size_t)(end - p), cand, sizeof(cand),
		    addr) == -1)
			break;
		snprintf(buf, bufsz, "%s", cand);
		if (!cidrlist_match(trusted, addr))
			break;
		end = p > xff ? p - 1 : xff;
	}
	return buf;
}

const char *
ip_bucket(const char *s, int prefix, char *buf, size_t len)
{
	unsigned char	a[16];
	char		txt[INET6_ADDRSTRLEN];
	int		i;

	if (s == NULL || strchr(s, ':') == NULL ||
	    inet_pton(AF_INET6, s, a) != 1)
		return s;
	if (prefix < 0 || prefix > 128)
		prefix = 128;
	for (i = 0; i < 16; i++) {
		if (prefix >= (i + 1) * 8)
			continue;
		a[i] &= (unsigned char)(prefix <= i * 8 ? 0 :
		    0xff << (8 - (prefix - i * 8)));
	}
	if (inet_ntop(AF_INET6, a, txt, sizeof(txt)) == NULL)
		return s;
	snprintf(buf, len, "%s/%d", txt, prefix);
	return buf;
}
