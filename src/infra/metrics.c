/*
 * metrics.c: shared-memory counters and their Prometheus rendering.
 * Status codes are folded into a fixed set so the region has a fixed size.
 */
#include <sys/mman.h>

#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "metrics.h"

static const int codes[] = { 200, 201, 202, 204, 301, 302, 303, 304, 400,
	401, 403, 404, 405, 409, 413, 415, 429, 500, 502, 503, 0 };
#define NCODES	(sizeof(codes) / sizeof(codes[0]))	/* last: other */

/* Upper bounds of the latency buckets, in microseconds. */
static const uint64_t bounds[] = { 1000, 2500, 5000, 10000, 25000, 50000,
	100000, 250000, 500000, 1000000, 2500000 };
#define NBOUNDS	(sizeof(bounds) / sizeof(bounds[0]))

static const char *const evnames[EV__MAX] = {
	[EV_LOGIN_OK] = "iam_logins_total{result=\"ok\"}",
	[EV_LOGIN_FAILED] = "iam_logins_total{result=\"failed\"}",
	[EV_TOKEN_ISSUED] = "iam_tokens_total{event=\"issued\"}",
	[EV_TOKEN_REFRESHED] = "iam_tokens_total{event=\"refreshed\"}",
	[EV_TOKEN_REVOKED] = "iam_tokens_total{event=\"revoked\"}",
	[EV_RATE_LIMITED] = "iam_rate_limited_total",
	[EV_DB_ERROR] = "iam_database_errors_total",
	[EV_MEMCACHED_ERROR] = "iam_memcached_errors_total",
	[EV_WORKER_RESTART] = "iam_worker_restarts_total",
	[EV_PASSWORD_HASH] = "iam_password_hashes_total",
	[EV_PASSWORD_HASH_BUSY] = "iam_password_hashes_refused_total",
	[EV_PAGE_LOGIN_OK] = "iam_page_logins_total{result=\"ok\"}",
	[EV_PAGE_LOGIN_FAILED] = "iam_page_logins_total{result=\"failed\"}",
	[EV_CLIENT_AUTH_FAILED] = "iam_client_auth_failures_total",
	[EV_TOKEN_CLIENT_CREDENTIALS] =
	    "iam_oauth_tokens_total{grant=\"client_credentials\"}",
};

struct shm {
	uint64_t	events[EV__MAX];
	uint64_t	lat[NBOUNDS + 1];
	uint64_t	lat_sum_us;
	uint64_t	lat_count;
	int64_t		workers;
	int64_t		hashing;	/* password hashes in flight */
	size_t		nroutes;
	uint64_t	req[];		/* (nroutes + 1) * NCODES */
};

static struct shm	*m;

int
metrics_init(size_t count)
{
	size_t	size;
	void	*p;

	size = sizeof(struct shm) + (count + 1) * NCODES * sizeof(uint64_t);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		return -1;
	m = p;		/* mmap memory is zeroed */
	m->nroutes = count;
	return 0;
}

static void
add(uint64_t *p, uint64_t v)
{
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static uint64_t
get(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void
metrics_request(size_t route, int status, uint64_t usec)
{
	size_t	c, b;

	if (m == NULL)
		return;
	if (route > m->nroutes)
		route = m->nroutes;
	for (c = 0; c < NCODES - 1 && codes[c] != status; c++)
		;
	add(&m->req[route * NCODES + c], 1);
	for (b = 0; b < NBOUNDS && usec > bounds[b]; b++)
		;
	add(&m->lat[b], 1);
	add(&m->lat_sum_us, usec);
	add(&m->lat_count, 1);
}

void
metrics_event(enum metric_event e)
{
	if (m != NULL && (unsigned)e < EV__MAX)
		add(&m->events[e], 1);
}

void
metrics_workers(int64_t alive)
{
	if (m != NULL)
		__atomic_store_n(&m->workers, alive, __ATOMIC_RELAXED);
}

void
metrics_hashing(int delta)
{
	if (m != NULL)
		__atomic_add_fetch(&m->hashing, delta, __ATOMIC_RELAXED);
}

void
metrics_render(struct buf *b, const char *const *labels, size_t nrt)
{
	size_t		 r, c;
	uint64_t	 v, cum = 0;
	const char	*pat;

	if (m == NULL)
		return;
	buf_puts(b, "# HELP iam_http_requests_total Requests by route and "
	    "status.\n# TYPE iam_http_requests_total counter\n");
	for (r = 0; r <= nrt && r <= m->nroutes; r++) {
		for (c = 0; c < NCODES; c++) {
			if ((v = get(&m->req[r * NCODES + c])) == 0)
				continue;
			buf_printf(b, "iam_http_requests_total{%s,code=\"",
			    r < nrt ? labels[r] :
			    "method=\"\",route=\"(unmatched)\"");
			if (codes[c] != 0)
				buf_printf(b, "%d", codes[c]);
			else
				buf_puts(b, "other");
			buf_printf(b, "\"} %llu\n", (unsigned long long)v);
		}
	}
	buf_puts(b, "# HELP iam_http_request_duration_seconds Time to answer."
	    "\n# TYPE iam_http_request_duration_seconds histogram\n");
	for (c = 0; c <= NBOUNDS; c++) {
		cum += get(&m->lat[c]);
		if (c < NBOUNDS)
			buf_printf(b, "iam_http_request_duration_seconds_bucket"
			    "{le=\"%g\"} %llu\n", (double)bounds[c] / 1e6,
			    (unsigned long long)cum);
		else
			buf_printf(b, "iam_http_request_duration_seconds_bucket"
			    "{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
	}
	buf_printf(b, "iam_http_request_duration_seconds_sum %.6f\n"
	    "iam_http_request_duration_seconds_count %llu\n",
	    (double)get(&m->lat_sum_us) / 1e6,
	    (unsigned long long)get(&m->lat_count));
	for (c = 0; c < EV__MAX; c++) {
		pat = evnames[c];
		if (c == 0 || strncmp(evnames[c - 1], pat,
		    strcspn(pat, "{") + 1) != 0)
			buf_printf(b, "# TYPE %.*s counter\n",
			    (int)strcspn(pat, "{"), pat);
		buf_printf(b, "%s %llu\n", pat,
		    (unsigned long long)get(&m->events[c]));
	}
	buf_printf(b, "# TYPE iam_password_hashes_in_flight gauge\n"
	    "iam_password_hashes_in_flight %lld\n",
	    (long long)__atomic_load_n(&m->hashing, __ATOMIC_RELAXED));
	buf_printf(b, "# TYPE iam_workers gauge\niam_workers %lld\n",
	    (long long)__atomic_load_n(&m->workers, __ATOMIC_RELAXED));
}
