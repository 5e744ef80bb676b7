/*
 * cors.c: CORS for the browser admin console: only origins listed in
 * ADMIN_WEB_ORIGIN, only under /v1/, echoed (never "*") with credentials,
 * and the preflight answer.
 */
#include <string.h>

#include "conf.h"
#include "env.h"
#include "guard.h"
#include "http.h"

int
cors_allowed(const struct req *r)
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

void
cors_headers(struct req *r)
{
	resp_header(r, "Access-Control-Allow-Origin", r->origin);
	resp_header(r, "Access-Control-Allow-Credentials", "true");
	resp_header(r, "Access-Control-Expose-Headers", "X-Request-Id, "
	    "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, "
	    "Retry-After");
}

/* A preflight: 204 with what may follow, or 403 for another origin. */
void
cors_preflight(struct req *r, unsigned allow, int allowed)
{
	if (!allowed) {
		resp_error(r, IAM_E_FORBIDDEN, "Origin not allowed", NULL);
		return;
	}
	resp_empty(r, 204);
	resp_allow(r, allow);
	resp_header(r, "Access-Control-Allow-Methods",
	    r->hdrs[r->nhdrs - 1].val);
	resp_header(r, "Access-Control-Allow-Headers",
	    "Authorization, Content-Type, X-CSRF-Token, X-Request-Id");
	resp_header(r, "Access-Control-Max-Age", "600");
}

