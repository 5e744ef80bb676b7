/*
 * dispatch.c: the one path every request takes.  The order is fixed:
 * parse the request, find its route, count it against its rate buckets,
 * read and check the body, answer 404/405, enforce the route's access
 * flags (deny by default, guard.c), run the handler, write, count, log,
 * free.  CORS is cors.c's.
 * Handlers fail closed: the answer is an error until a handler sets one.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "cookie.h"
#include "handlers.h"
#include "guard.h"
#include "http.h"
#include "log.h"
#include "netaddr.h"
#include "metrics.h"
#include "ratelimit.h"
#include "worker.h"

struct bucket {
	const char	*name;
	int64_t		 max;
	int64_t		 window;
};

static uint64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void
retry_after(struct req *r, int64_t secs)
{
	char	v[24];

	snprintf(v, sizeof(v), "%lld", (long long)(secs > 0 ? secs : 1));
	resp_header(r, "Retry-After", v);
}

/*
 * Counts the request in every bucket that applies to its route and sets
 * the RateLimit-* headers from the most restrictive one.  Returns 1 to go
 * on, 0 when an answer (429 or 503) has been set.
 */
static int
rate_check(struct req *r, unsigned flags)
{
	const struct config	*cfg = r->w->cfg;
	struct bucket		 b[2];
	struct rl_result	 res, worst = { 0, 0, 0 };
	json_object		*d, *o;
	size_t			 nb = 0, i;
	int			 rc, limited = 0, have = 0;
	time_t			 now = time(NULL);
	char			 v[24], whobuf[64];
	const char		*who;

	if (!(flags & R_NORATE))
		b[nb++] = (struct bucket){ "global", cfg->rate_max,
		    cfg->rate_window };
	if (flags & R_AUTHRATE)
		b[nb++] = (struct bucket){ "auth", cfg->auth_rate_max,
		    cfg->auth_rate_window };
	who = ip_bucket(r->ip, (int)cfg->rate_ipv6_prefix, whobuf,
	    sizeof(whobuf));
	for (i = 0; i < nb; i++) {
		rc = rl_hit(&r->w->rl, b[i].name, who, b[i].max,
		    b[i].window, now, &res);
		if (rc == 2)
			continue;
		if (rc == -1) {
			if (!cfg->rate_fail_closed)
				continue;
			retry_after(r, 5);
			resp_error(r, IAM_E_SERVICE_UNAVAILABLE, NULL, NULL);
			return 0;
		}
		if (rc == 0)
			limited = 1;
		if (!have || res.remaining < worst.remaining ||
		    (rc == 0 && res.reset > worst.reset)) {
			worst = res;
			have = 1;
		}
	}
	if (!have)
		return 1;
	snprintf(v, sizeof(v), "%lld", (long long)worst.limit);
	resp_header(r, "RateLimit-Limit", v);
	snprintf(v, sizeof(v), "%lld", (long long)worst.remaining);
	resp_header(r, "RateLimit-Remaining", v);
	snprintf(v, sizeof(v), "%lld", (long long)worst.reset);
	resp_header(r, "RateLimit-Reset", v);
	if (!limited)
		return 1;
	metrics_event(EV_RATE_LIMITED);
	log_kv(LOG_WARN, "security.rate_limited", "requestId", r->id, "ip",
	    r->ip, "path", r->path, LOG_END);
	retry_after(r, worst.reset);
	d = json_object_new_array();
	o = json_object_new_object();
	json_object_object_add(o, "retryAfter",
	    json_object_new_int64(worst.reset > 0 ? worst.reset : 1));
	json_object_array_add(d, o);
	resp_error(r, IAM_E_RATE_LIMIT_EXCEEDED, NULL, d);
	return 0;
}

/* The length of the secret-path prefix (R_SECRET_PATH) path is under,
 * or 0. */
static size_t
secret_prefix(const char *path)
{
	size_t	i, n;

	for (i = 0; i < nroutes; i++) {
		if (!(routes[i].flags & R_SECRET_PATH))
			continue;
		n = strcspn(routes[i].pattern, ":");
		if (strncmp(path, routes[i].pattern, n) == 0)
			return n;
	}
	return 0;
}

static void
access_log(struct req *r, uint64_t usec)
{
	struct buf	 b;
	const char	*ua = r->user_agent;
	size_t		 n;

	buf_init(&b, r->a);
	buf_puts(&b, "\"requestId\":\"");
	buf_json_str(&b, r->id, strlen(r->id));
	buf_printf(&b, "\",\"method\":\"%s\",\"path\":\"",
	    method_name(r->method));
	/* The path only: a query string may carry a token, and so may a
	 * path (an invitation's), mistyped or not: under a secret prefix
	 * only the prefix is written. */
	if ((n = secret_prefix(r->path)) > 0) {
		buf_json_str(&b, r->path, n);
		buf_puts(&b, "(redacted)");
	} else
		buf_json_str(&b, r->path, strlen(r->path));
	buf_printf(&b, "\",\"status\":%d,\"durationMs\":%.3f,\"bytes\":%zu,"
	    "\"ip\":\"", r->status, (double)usec / 1000.0, r->body.len);
	buf_json_str(&b, r->ip, strlen(r->ip));
	buf_puts(&b, "\",\"userAgent\":\"");
	if (ua != NULL && utf8_valid(ua, strlen(ua)))
		buf_json_str(&b, ua, strlen(ua) > 256 ? 256 : strlen(ua));
	buf_putc(&b, '"');
	if (!b.oom)
		log_raw(LOG_INFO, "http.access", b.data, b.len);
}

/*
 * A failed authentication on a route that counts only those: one
 * increment in the "verify" bucket of the IP; over RATE_MAX the answer
 * becomes 429.  Success costs no memcached round trip at all.
 */
static void
failure_count(struct req *r)
{
	const struct config	*cfg = r->w->cfg;
	struct rl_result	 res;
	const char		*who;
	char			 whobuf[64];

	who = ip_bucket(r->ip, (int)cfg->rate_ipv6_prefix, whobuf,
	    sizeof(whobuf));
	if (rl_hit(&r->w->rl, "verify", who, cfg->rate_max, cfg->rate_window,
	    time(NULL), &res) != 0)
		return;
	metrics_event(EV_RATE_LIMITED);
	log_kv(LOG_WARN, "security.rate_limited", "requestId", r->id, "ip",
	    r->ip, "path", r->path, LOG_END);
	retry_after(r, res.reset);
	resp_error(r, IAM_E_RATE_LIMIT_EXCEEDED, NULL, NULL);
}

/* A page that needs a session, without one: to /login, and back. */
static void
page_to_login(struct req *r)
{
	const char	*q = req_param(r, "QUERY_STRING");
	struct buf	 b;
	const char	*p = pct_encode(r->a, r->path), *pq = NULL;

	if (q != NULL && *q != '\0' && (pq = pct_encode(r->a, q)) == NULL)
		p = NULL;
	buf_init(&b, r->a);
	if (p != NULL)
		buf_printf(&b, "/login?return_to=%s%s%s", p, pq ? "%3F" : "",
		    pq ? pq : "");
	if (p == NULL || b.oom) {
		resp_error(r, IAM_E_INTERNAL, NULL, NULL);
		return;
	}
	resp_header(r, "Location", b.data);
	resp_text(r, 302, "text/plain; charset=utf-8", "", 0);
}

static void
answer(struct req *r)
{
	const struct route	*rt;
	const char		*msg;
	enum iam_err		 e;
	unsigned		 allow, flags;
	long			 idx;
	int			 cors, need;

	if ((e = http_parse(r)) != IAM_OK) {
		resp_error(r, e, "Malformed request path, query or cookie",
		    NULL);
		return;
	}
	idx = route_find(r->a, r->method, r->path, &r->params, &allow);
	flags = idx >= 0 ? routes[idx].flags : 0;
	if (idx >= 0)
		r->route = idx;
	if ((cors = cors_allowed(r)))
		cors_headers(r);
	if (!rate_check(r, flags))
		return;
	if (r->method == M_OPTIONS && idx == -2 && r->origin != NULL &&
	    req_param(r, "HTTP_ACCESS_CONTROL_REQUEST_METHOD") != NULL) {
		cors_preflight(r, allow, cors);
		return;
	}
	if ((e = http_body(r, &msg)) != IAM_OK) {
		resp_error(r, e, msg, NULL);
		return;
	}
	if (idx == -1) {
		resp_error(r, IAM_E_NOT_FOUND, NULL, NULL);
		return;
	}
	if (idx == -2) {
		resp_allow(r, allow);
		resp_error(r, IAM_E_METHOD_NOT_ALLOWED, NULL, NULL);
		return;
	}
	rt = &routes[idx];
	r->route = idx;
	need = !(rt->flags & R_PUBLIC) || ((rt->flags & R_AUTH_OPTIONAL) &&
	    r->authorization != NULL);
	/* A Bearer header, when sent, decides alone; else a route that
	 * takes the cookie session reads it.  A public page with a dead
	 * cookie is served as to anyone. */
	if (r->authorization == NULL && (rt->flags & (R_COOKIE | R_PAGE)) &&
	    kv_get(&r->cookies, COOKIE_SID) != NULL) {
		e = guard_cookie(r);
		if (e == IAM_E_SERVICE_UNAVAILABLE || (e != IAM_OK && need &&
		    !(rt->flags & R_PAGE))) {
			resp_error(r, e, NULL, NULL);
			if (rt->flags & R_FAILRATE)
				failure_count(r);
			return;
		}
		if (e == IAM_OK)
			need = 0;
	}
	if (need && (rt->flags & R_PAGE) && r->authorization == NULL) {
		page_to_login(r);
		return;
	}
	/* Deny by default: a route that is not public needs a caller. */
	if (need) {
		if ((e = guard_bearer(r)) != IAM_OK) {
			/* RFC 6750 section 3: say how to authenticate, and
			 * why a token presented was refused. */
			if (e != IAM_E_INTERNAL)
				resp_header(r, "WWW-Authenticate",
				    e == IAM_E_UNAUTHORIZED ?
				    "Bearer realm=\"iam\"" : "Bearer "
				    "realm=\"iam\", error=\"invalid_token\"");
			resp_error(r, e, NULL, NULL);
			if (rt->flags & R_FAILRATE)
				failure_count(r);
			return;
		}
	}
	/* CSRF, deny by default: an unsafe method with the cookie session,
	 * or on a page, carries the token unless the route opts out. */
	if ((r->method & (M_POST | M_PUT | M_PATCH | M_DELETE)) &&
	    !(rt->flags & R_NOCSRF) && (r->via_cookie ||
	    (rt->flags & R_PAGE)) && (e = guard_csrf(r)) != IAM_OK) {
		resp_error(r, e, NULL, NULL);
		return;
	}
	/* Permissions: from the database as it is now, not from the token. */
	if ((rt->perm != NULL || (rt->flags & R_SYSTEM)) &&
	    (e = guard_permission(r, rt)) != IAM_OK) {
		resp_error(r, e, NULL, NULL);
		return;
	}
	r->status = 0;
	e = rt->handler(r);
	/* A handler that failed may have set its own detailed answer. */
	if (e != IAM_OK && r->status != 0 && r->status >= 400) {
		if (e == IAM_E_SERVICE_UNAVAILABLE)
			retry_after(r, 5);
	} else if (e != IAM_OK) {
		if (e == IAM_E_SERVICE_UNAVAILABLE)
			retry_after(r, 5);
		resp_error(r, e, NULL, NULL);
	} else if (r->status == 0) {
		log_kv(LOG_ERROR, "http.no_answer", "requestId", r->id,
		    "route", rt->pattern, LOG_END);
		resp_error(r, IAM_E_INTERNAL, NULL, NULL);
	}
}

void
dispatch(struct env *w, struct io *io)
{
	struct req	r;
	uint64_t	t0 = now_us(), dt;

	memset(&r, 0, sizeof(r));
	r.a = &w->arena;
	r.w = w;
	r.io = io;
	r.route = -1;
	log_request(r.id);	/* filled in as the request is parsed */
	answer(&r);
	/* A page's refusal from before its handler (rate limit, CSRF, a
	 * bad body) or its handler's plain error is shown as a page. */
	if (r.route >= 0 && (routes[r.route].flags & R_PAGE) &&
	    r.status >= 400 && r.err != IAM_OK)
		pg_error_page(&r);
	/* Whatever a handler left open is not kept: a transaction still
	 * open here belongs to a path that failed on its way out. */
	if (w->db.in_tx) {
		log_kv(LOG_ERROR, "http.open_transaction", LOG_END);
		store_rollback(&w->db);
		if (r.status < 500)
			resp_error(&r, IAM_E_INTERNAL, NULL, NULL);
	}
	if (r.status == 0)
		resp_error(&r, IAM_E_INTERNAL, NULL, NULL);
	/* A 500 leaves its cause in the log: the lines above carry its
	 * request id, and this one says which route failed. */
	if (r.status == 500)
		log_kv(LOG_ERROR, "http.internal_error", "route",
		    r.route >= 0 ? routes[r.route].pattern : "(none)",
		    LOG_END);
	if (http_write(&r) == -1)
		log_kv(LOG_WARN, "http.write_failed", "requestId", r.id, LOG_END);
	dt = now_us() - t0;
	metrics_request(r.route < 0 ? nroutes : (size_t)r.route, r.status,
	    dt);
	access_log(&r, dt);
	log_request(NULL);
	w->served++;
	arena_reset(&w->arena);
}
