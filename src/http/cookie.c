/*
 * cookie.c: Set-Cookie for the two cookies iam sets.  Their attributes
 * come from the configuration, never from the request; values are ours
 * (base64url), so nothing here needs quoting.
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "cookie.h"
#include "env.h"
#include "http.h"

static void
emit(struct req *r, const char *name, const char *value, int64_t max_age,
    int clear)
{
	const struct config	*c = r->w->cfg;
	struct buf		 b;
	int			 sid = strcmp(name, COOKIE_SID) == 0;

	buf_init(&b, r->a);
	buf_printf(&b, "%s=%s; Path=/", name, value);
	if (clear)
		buf_puts(&b, "; Max-Age=0");
	else if (max_age > 0)
		buf_printf(&b, "; Max-Age=%lld", (long long)max_age);
	if (c->session_cookie_domain[0] != '\0')
		buf_printf(&b, "; Domain=%s", c->session_cookie_domain);
	if (c->session_cookie_secure)
		buf_puts(&b, "; Secure");
	buf_puts(&b, sid ? "; HttpOnly; SameSite=Lax" : "; SameSite=Strict");
	if (!b.oom)
		resp_header(r, "Set-Cookie", b.data);
}

void
cookie_set(struct req *r, const char *name, const char *value,
    int64_t max_age)
{
	emit(r, name, value, max_age, 0);
}

void
cookie_clear(struct req *r, const char *name)
{
	emit(r, name, "", 0, 1);
}
