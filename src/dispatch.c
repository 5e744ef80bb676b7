/*
 * dispatch.c: the one path every request takes.  The order is fixed:
 * parse the request, find its route, count it against its rate buckets,
 * read and check the body, answer 404/405, enforce the route's access
 * flags (deny by default), run the handler, write, count, log, free.
 * Handlers fail closed: the answer is an error until a handler sets one.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "hcommon.h"
#include "http.h"
#include "jwt.h"
#include "keys.h"
#include "log.h"
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
	char			 v[24];

	if (!(flags & R_NORATE))
		b[nb++] = (struct bucket){ "global", cfg->rate_max,
		    cfg->rate_window };
	if (flags & R_AUTHRATE)
		b[nb++] = (struct bucket){ "auth", cfg->auth_rate_max,
		    cfg->auth_rate_window };
	for (i = 0; i < nb; i++) {
		rc = rl_hit(&r->w->rl, b[i].name, r->ip, b[i].max,
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

/*
 * CORS for the browser admin console: only origins listed in
 * ADMIN_WEB_ORIGIN, only under /v1/, echoed (never "*") with credentials.
 */
static int
origin_allowed(const struct req *r)
{
	const char	*list = r->w->cfg->admin_web_origin, *p, *c;
	size_t		 n, ol;

	if (r->origin == NULL || strncmp(r->path, "/v1/", 4) != 0 ||
	    list[0] == '\0')
		return 0;
	ol = strlen(r->origin);
	for (p = list; *p != '\0'; p = c + 1) {
		while (*p == ' ')
			p++;
		c = strchr(p, ',');
		n = c ? (size_t)(c - p) : strlen(p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n == ol && strncmp(p, r->origin, n) == 0)
			return 1;
		if (c == NULL)
			break;
	}
	return 0;
}

static void
cors_headers(struct req *r)
{
	resp_header(r, "Access-Control-Allow-Origin", r->origin);
	resp_header(r, "Access-Control-Allow-Credentials", "true");
	resp_header(r, "Access-Control-Expose-Headers", "X-Request-Id, "
	    "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, "
	    "Retry-After");
}

static void allow_header(struct req *, unsigned);

/* A preflight: 204 with what may follow, or 403 for another origin. */
static void
preflight(struct req *r, unsigned allow, int allowed)
{
	if (!allowed) {
		resp_error(r, IAM_E_FORBIDDEN, "Origin not allowed", NULL);
		return;
	}
	resp_empty(r, 204);
	allow_header(r, allow);
	resp_header(r, "Access-Control-Allow-Methods",
	    r->hdrs[r->nhdrs - 1].val);
	resp_header(r, "Access-Control-Allow-Headers",
	    "Authorization, Content-Type, X-CSRF-Token, X-Request-Id");
	resp_header(r, "Access-Control-Max-Age", "600");
}

static const char *
claim(json_object *c, const char *key)
{
	json_object	*v;

	if (!json_object_object_get_ex(c, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/*
 * Verifies the bearer token: IAM_OK with r->user_id etc. set, or the
 * contract's 401.  A token signed by a key this worker has not loaded yet
 * makes it reload its keyring once before deciding.
 */
static enum iam_err
authenticate(struct req *r)
{
	struct worker		*w = r->w;
	const struct config	*cfg = w->cfg;
	const char		*tok;
	size_t			 len;
	json_object		*c;
	enum jwt_result		 rc;
	time_t			 now = time(NULL);

	switch (parse_bearer(r->authorization, &tok, &len)) {
	case 0:
		return IAM_E_UNAUTHORIZED;
	case -1:
		return IAM_E_INVALID_TOKEN;
	}
	(void)worker_sync(w, now);
	rc = jwt_verify(r->a, tok, len, keys_find, &w->keys, cfg->issuer_url,
	    cfg->jwt_audience, now, 30, &c);
	if (rc == JWT_UNKNOWN_KID &&
	    keys_refresh(&w->keys, &w->db, cfg, now, 1) == 0)
		rc = jwt_verify(r->a, tok, len, keys_find, &w->keys,
		    cfg->issuer_url, cfg->jwt_audience, now, 30, &c);
	switch (rc) {
	case JWT_OK:
		break;
	case JWT_EXPIRED:
		return IAM_E_TOKEN_EXPIRED;
	case JWT_ERROR:
		return IAM_E_INTERNAL;
	default:
		log_kv(LOG_WARN, "security.bad_token", "requestId", r->id,
		    "ip", r->ip, LOG_END);
		return IAM_E_INVALID_TOKEN;
	}
	r->user_id = claim(c, "sub");
	r->org_id = claim(c, "org");
	r->sid = claim(c, "sid");
	r->iat = json_object_get_int64(json_object_object_get(c, "iat"));
	if (r->user_id == NULL || !uuid_valid(r->user_id))
		return IAM_E_INVALID_TOKEN;
	if (revoke_voids(&w->revoked, r->org_id, r->user_id, r->iat)) {
		log_kv(LOG_WARN, "security.revoked_token", "requestId", r->id,
		    "ip", r->ip, LOG_END);
		return IAM_E_INVALID_TOKEN;
	}
	return IAM_OK;
}

static void
allow_header(struct req *r, unsigned allow)
{
	static const enum method order[] = { M_GET, M_HEAD, M_POST, M_PUT,
	    M_PATCH, M_DELETE, M_OPTIONS };
	struct buf	b;
	size_t		i;

	buf_init(&b, r->a);
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (allow & order[i])
			buf_printf(&b, "%s%s", b.len ? ", " : "",
			    method_name(order[i]));
	if (!b.oom)
		resp_header(r, "Allow", b.data);
}

static void
access_log(struct req *r, uint64_t usec)
{
	struct buf	 b;
	const char	*ua = r->user_agent;

	buf_init(&b, r->a);
	buf_puts(&b, "\"requestId\":\"");
	buf_json_str(&b, r->id, strlen(r->id));
	buf_printf(&b, "\",\"method\":\"%s\",\"path\":\"",
	    method_name(r->method));
	/* The path only: a query string may carry a token, and so may a
	 * path (an invitation's): then the route's pattern stands in. */
	if (r->route >= 0 && strstr(routes[r->route].pattern, ":token"))
		buf_json_str(&b, routes[r->route].pattern,
		    strlen(routes[r->route].pattern));
	else
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

static void
answer(struct req *r)
{
	const struct route	*rt;
	const char		*msg;
	enum iam_err		 e;
	unsigned		 allow, flags;
	long			 idx;
	int			 cors;

	if ((e = http_parse(r)) != IAM_OK) {
		resp_error(r, e, "Malformed request path, query or cookie",
		    NULL);
		return;
	}
	idx = route_find(r->a, r->method, r->path, &r->params, &allow);
	flags = idx >= 0 ? routes[idx].flags : 0;
	if (idx >= 0)
		r->route = idx;
	if ((cors = origin_allowed(r)))
		cors_headers(r);
	if (!rate_check(r, flags))
		return;
	if (r->method == M_OPTIONS && idx == -2 && r->origin != NULL &&
	    req_param(r, "HTTP_ACCESS_CONTROL_REQUEST_METHOD") != NULL) {
		preflight(r, allow, cors);
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
		allow_header(r, allow);
		resp_error(r, IAM_E_METHOD_NOT_ALLOWED, NULL, NULL);
		return;
	}
	rt = &routes[idx];
	r->route = idx;
	/* Deny by default: a route that is not public needs a caller. */
	if (!(rt->flags & R_PUBLIC) || ((rt->flags & R_AUTH_OPTIONAL) &&
	    r->authorization != NULL)) {
		if ((e = authenticate(r)) != IAM_OK) {
			resp_error(r, e, NULL, NULL);
			return;
		}
	}
	/* Permissions: from the database as it is now, not from the token. */
	if ((rt->perm != NULL || (rt->flags & R_SYSTEM)) &&
	    (e = hc_authorise(r, rt)) != IAM_OK) {
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
dispatch(struct worker *w, struct io *io)
{
	struct req	r;
	uint64_t	t0 = now_us(), dt;

	memset(&r, 0, sizeof(r));
	r.a = &w->arena;
	r.w = w;
	r.io = io;
	r.route = -1;
	answer(&r);
	if (r.status == 0)
		resp_error(&r, IAM_E_INTERNAL, NULL, NULL);
	if (http_write(&r) == -1)
		log_kv(LOG_WARN, "http.write_failed", "requestId", r.id, LOG_END);
	dt = now_us() - t0;
	metrics_request(r.route < 0 ? nroutes : (size_t)r.route, r.status,
	    dt);
	access_log(&r, dt);
	w->served++;
	arena_reset(&w->arena);
}
