/*
 * netaddr.h: IP addresses and CIDR lists, for TRUSTED_PROXIES,
 * METRICS_ALLOW and the client address.  IPv4 is kept as IPv4-mapped IPv6
 * so that one comparison serves both families.
 */
#ifndef IAM_NETADDR_H
#define IAM_NETADDR_H

#include <stddef.h>

struct cidr {
	unsigned char	addr[16];
	int		bits;		/* prefix length over the 128 bits */
};

struct cidrlist {
	struct cidr	*v;
	size_t		 n;
};

/* Parses a textual IPv4 or IPv6 address. Returns 0 or -1. */
int	 ip_parse(const char *, unsigned char out[16]);
/*
 * The identity a client is counted under: an IPv4 address as it is, an
 * IPv6 address cut to its first prefix bits ("2001:db8:1:2::/64"), so
 * that one host's /64 is one client.  Written into buf; returns buf, or
 * s itself when it is not an address.
 */
const char *ip_bucket(const char *s, int prefix, char *buf, size_t len);
/* Parses "a.b.c.d/n", "x::y/n" or a bare address.  Returns 0 or -1. */
int	 cidr_parse(const char *, struct cidr *);
/* Parses a comma-separated list (blank entries ignored).  Allocates
 * list->v with malloc: free with cidrlist_free.  Returns 0 or -1. */
int	 cidrlist_parse(const char *, struct cidrlist *);
void	 cidrlist_free(struct cidrlist *);
/* Returns 1 if addr is inside one of the list's ranges. */
int	 cidrlist_match(const struct cidrlist *, const unsigned char addr[16]);

/*
 * The client address: remote itself, or when remote is a trusted proxy,
 * the right-most X-Forwarded-For entry that is not trusted.  A malformed
 * entry stops the walk there and the last good address wins, so a client
 * cannot smuggle an address past a proxy that appends.  Returns a pointer
 * into one of the arguments' copies in buf (of size bufsz).
 */
const char *client_ip(const char *remote, const char *xff,
	    const struct cidrlist *trusted, char *buf, size_t bufsz);

#endif
