/*
 * h_ops.c: the operations routes.  They answer unwrapped JSON (or the
 * Prometheus text format), as load balancers and scrapers expect; only a
 * refusal uses the error envelope.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "crypto.h"
#include "handlers.h"
#include "http.h"
#include "metrics.h"
#include "netaddr.h"
#include "env.h"
#include "store_session.h"

static json_object *
timestamp(void)
{
	char		b[32];
	time_t		t = time(NULL);
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_object_new_string(b);
}

enum iam_err
ops_health(struct req *r)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string("ok"));
	json_object_object_add(o, "timestamp", timestamp());
	resp_json(r, 200, o);
	return IAM_OK;
}

enum iam_err
ops_ready(struct req *r)
{
	json_object	*o, *checks, *db, *mc;
	char		 id[64];
	double		 ms = 0;
	int		 dbok, mcok;
	const char	*status;

	/* Reading the instance row by key proves the schema, not just a
	 * socket that answers. */
	dbok = store_ready(&r->w->db) == 1 && store_ping(&r->w->db, &ms) == 1
	    && store_instance(&r->w->db, id, sizeof(id)) == 1;
	mcok = rl_ping(&r->w->rl);

	checks = json_object_new_object();
	db = json_object_new_object();
	json_object_object_add(db, "status",
	    json_object_new_string(dbok ? "up" : "down"));
	if (dbok)
		json_object_object_add(db, "latencyMs",
		    json_object_new_double(ms));
	json_object_object_add(checks, "database", db);
	mc = json_object_new_object();
	json_object_object_add(mc, "status", json_object_new_string(
	    mcok == 1 ? "up" : mcok == 0 ? "down" : "disabled"));
	json_object_object_add(checks, "memcached", mc);

	/*
	 * Without the database nothing works: not ready.  Without memcached
	 * the service still answers when RATE_LIMIT_FAIL is open (degraded),
	 * and refuses everything when it is closed (not ready).
	 */
	if (!dbok || (mcok == 0 && r->w->cfg->rate_fail_closed))
		status = "unavailable";
	else if (mcok == 0)
		status = "degraded";
	else
		status = "ok";
	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "timestamp", timestamp());
	json_object_object_add(o, "checks", checks);
	if (strcmp(status, "unavailable") == 0)
		resp_header(r, "Retry-After", "5");
	resp_json(r, strcmp(status, "unavailable") == 0 ? 503 : 200, o);
	return IAM_OK;
}

/* 1 if the caller may read metrics: the token, or an allowed address. */
static int
metrics_allowed(struct req *r)
{
	const struct config	*cfg = r->w->cfg;
	const char		*tok;
	size_t			 len;
	unsigned char		 addr[16];

	if (cfg->metrics_token[0] != '\0' &&
	    parse_bearer(r->authorization, &tok, &len) == 1 &&
	    crypto_secret_eq(tok, len, cfg->metrics_token,
	    strlen(cfg->metrics_token)) == 1)
		return 1;
	return ip_parse(r->ip, addr) == 0 &&
	    cidrlist_match(&cfg->metrics_allow, addr);
}

enum iam_err
ops_metrics(struct req *r)
{
	/* The routes' label sets, made once per process (the table is
	 * static); the process's lifetime owns them. */
	static char	**labels;
	struct buf	 b;
	size_t		 i;
	int64_t		 n;

	if (!metrics_allowed(r))
		return IAM_E_FORBIDDEN;
	if (labels == NULL) {
		if ((labels = calloc(nroutes + 1, sizeof(*labels))) == NULL)
			return IAM_E_INTERNAL;
		for (i = 0; i < nroutes; i++)
			if (asprintf(&labels[i], "method=\"%s\",route=\"%s\"",
			    method_name(routes[i].method),
			    routes[i].pattern) == -1) {
				while (i > 0)
					free(labels[--i]);
				free(labels);
				labels = NULL;
				return IAM_E_INTERNAL;
			}
	}
	buf_init(&b, r->a);
	metrics_render(&b, (const char *const *)labels, nroutes);
	/* Live browser sessions, as the database counts them now (absent
	 * while it is down: no number is better than a wrong one). */
	if ((n = store_browser_count(&r->w->db)) >= 0)
		buf_printf(&b, "# HELP iam_browser_sessions_active Live "
		    "browser sessions.\n# TYPE iam_browser_sessions_active "
		    "gauge\niam_browser_sessions_active %lld\n", (long long)n);
	if (b.oom)
		return IAM_E_INTERNAL;
	resp_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.data,
	    b.len);
	return IAM_OK;
}
