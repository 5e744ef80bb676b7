/*
 * ratelimit.c: fixed windows aligned to multiples of their length, counted
 * in memcached with one increment-with-initial round trip (binary
 * protocol).  Keys are "rl:<bucket>:<window start>:<ident>" and expire with
 * their window, so nothing needs cleaning.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <libmemcached/memcached.h>
#include <netdb.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"

static int
mc_incr(void *h, const char *key, size_t keylen, uint32_t ttl, uint64_t *out)
{
	memcached_return_t	rc;

	rc = memcached_increment_with_initial(h, key, keylen, 1, 1,
	    (time_t)ttl, out);
	return memcached_success(rc) ? 0 : -1;
}

static int
mc_ping(void *h)
{
	uint64_t	v;

	return mc_incr(h, "rl:ping", 7, 60, &v) == 0 ? 1 : 0;
}

static void
mc_close(void *h)
{
	memcached_free(h);
}

static const struct rl_backend mc_backend = {
	"memcached", mc_incr, mc_ping, mc_close
};

static int
null_incr(void *h, const char *key, size_t keylen, uint32_t ttl,
    uint64_t *out)
{
	(void)h; (void)key; (void)keylen; (void)ttl;
	*out = 0;
	return 0;
}

static int
null_ping(void *h)
{
	(void)h;
	return -1;
}

static void
null_close(void *h)
{
	(void)h;
}

static const struct rl_backend null_backend = {
	"null", null_incr, null_ping, null_close
};

const struct sandbox_rule rl_sandbox_rules[] = {
	SB_ARG(socket, 0, AF_UNIX), SB_ARG(socket, 0, AF_INET),
	SB_ARG(socket, 0, AF_INET6), SB_CALL(connect),
};
const struct sandbox_frag rl_sandbox = SB_FRAG("ratelimit",
    rl_sandbox_rules);

/*
 * The address a server name stands for, looked up now, so that
 * libmemcached's reconnects need no DNS under the sandbox (a reload looks
 * it up again).  A name that does not resolve is kept: libmemcached then
 * says why it cannot connect.
 */
static const char *
resolved(const char *host, char *buf, size_t len)
{
	struct addrinfo	 hints, *ai;
	unsigned char	 a[16];
	int		 rc;

	if (inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1)
		return host;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &ai) != 0)
		return host;
	rc = getnameinfo(ai->ai_addr, ai->ai_addrlen, buf, len, NULL, 0,
	    NI_NUMERICHOST);
	freeaddrinfo(ai);
	return rc == 0 ? buf : host;
}

/* Adds "host:port" or "/socket" entries of a comma list. Returns 0/-1. */
static int
add_servers(memcached_st *mc, const char *list)
{
	char		*copy, *s, *save = NULL, *colon, num[INET6_ADDRSTRLEN];
	long		 port;
	int		 rc = 0;

	if ((copy = strdup(list)) == NULL)
		return -1;
	for (s = strtok_r(copy, ", ", &save); s != NULL && rc == 0;
	    s = strtok_r(NULL, ", ", &save)) {
		if (*s == '/') {
			if (!memcached_success(
			    memcached_server_add_unix_socket(mc, s)))
				rc = -1;
			continue;
		}
		port = 11211;
		if ((colon = strrchr(s, ':')) != NULL) {
			*colon = '\0';
			port = strtol(colon + 1, NULL, 10);
		}
		if (port < 1 || port > 65535 || *s == '\0' ||
		    !memcached_success(memcached_server_add(mc,
		    resolved(s, num, sizeof(num)), (in_port_t)port)))
			rc = -1;
	}
	free(copy);
	return rc;
}

int
rl_open(struct ratelimit *rl, const struct config *cfg)
{
	memcached_st	*mc;
	uint64_t	 ms = (uint64_t)cfg->memcached_timeout_ms;

	memset(rl, 0, sizeof(*rl));
	if (cfg->memcached_servers[0] == '\0') {
		rl->be = &null_backend;
		return 0;
	}
	if ((mc = memcached_create(NULL)) == NULL)
		return -1;
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_DISTRIBUTION,
	    MEMCACHED_DISTRIBUTION_CONSISTENT);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, ms);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, ms);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_RCV_TIMEOUT, ms * 1000);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_SND_TIMEOUT, ms * 1000);
	/* A dead server is retried after a second, not forgotten. */
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 1);
	if (add_servers(mc, cfg->memcached_servers) == -1) {
		memcached_free(mc);
		return -1;
	}
	rl->be = &mc_backend;
	rl->h = mc;
	return 0;
}

void
rl_close(struct ratelimit *rl)
{
	if (rl->be != NULL)
		rl->be->close(rl->h);
	rl->be = NULL;
	rl->h = NULL;
}

int
rl_hit(struct ratelimit *rl, const char *bucket, const char *ident,
    int64_t max, int64_t window, time_t now, struct rl_result *res)
{
	char		key[250];
	uint64_t	count;
	int64_t		start = (int64_t)now - (int64_t)now % window;
	int		n;

	res->limit = max;
	res->remaining = max;
	res->reset = start + window - (int64_t)now;
	if (rl->be == &null_backend)
		return 2;
	n = snprintf(key, sizeof(key), "rl:%s:%lld:%s", bucket,
	    (long long)start, ident);
	if (n < 0 || (size_t)n >= sizeof(key))
		return -1;
	/* Keep the key a little past its window to absorb clock skew. */
	if (rl->be->incr(rl->h, key, (size_t)n, (uint32_t)window + 5,
	    &count) == -1) {
		metrics_event(EV_MEMCACHED_ERROR);
		if (now - rl->last_warn >= 60) {
			rl->last_warn = now;
			log_kv(LOG_WARN, "ratelimit.backend_down", "backend",
			    rl->be->name, LOG_END);
		}
		return -1;
	}
	res->remaining = count >= (uint64_t)max ? 0 : max - (int64_t)count;
	return count > (uint64_t)max ? 0 : 1;
}

int
rl_ping(struct ratelimit *rl)
{
	return rl->be->ping(rl->h);
}
