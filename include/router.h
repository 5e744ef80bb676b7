/*
 * router.h: the route table is data.  Each route names its method, its
 * path pattern (":name" matches one segment), its handler and its flags;
 * the dispatcher enforces the flags before the handler runs, and a route
 * is public only if its entry says so.
 */
#ifndef IAM_ROUTER_H
#define IAM_ROUTER_H

#include <stddef.h>

#include "errors.h"
#include "parse.h"

struct req;
struct fspec;

enum method {
	M_GET = 1 << 0,
	M_HEAD = 1 << 1,
	M_POST = 1 << 2,
	M_PUT = 1 << 3,
	M_PATCH = 1 << 4,
	M_DELETE = 1 << 5,
	M_OPTIONS = 1 << 6,
	M_OTHER = 1 << 7,
};

#define R_PUBLIC	0x0001	/* no caller identity needed */
#define R_NORATE	0x0002	/* exempt from the RATE_MAX bucket */
#define R_AUTHRATE	0x0004	/* also counts against AUTH_RATE_MAX */
#define R_AUTH_OPTIONAL	0x0008	/* public, but a bearer token is checked */
#define R_SYSTEM	0x0010	/* system administrators only */
/* The path carries a secret from its first ':' on: the access log writes
 * the prefix and "(redacted)" for any path under it, matched or not. */
#define R_SECRET_PATH	0x0020
/* The iam_sid cookie session is accepted when no Authorization header
 * is sent; unsafe methods then need the session's CSRF token. */
#define R_COOKIE	0x0040
/* A hosted HTML page: takes the cookie session; without one (when not
 * public) 302 to /login?return_to=; refusals are HTML pages; unsafe
 * methods always need a CSRF token. */
#define R_PAGE		0x0080
/* Exempt from the CSRF check (deny by default: only a route that must
 * take cross-site posts sets it). */
#define R_NOCSRF	0x0100
/* Counts only its failed authentications, per IP, in RATE_MAX (forward
 * auth runs on every request of the application it guards). */
#define R_FAILRATE	0x0200

struct route {
	enum method	 method;
	const char	*pattern;
	enum iam_err	(*handler)(struct req *);
	unsigned	 flags;
	/*
	 * The permission the caller must hold, checked against the database
	 * on every call (NULL: none beyond the flags).
	 */
	const char	*perm;
	const char	*summary;	/* one line, for OpenAPI and docs */
	/* The shapes of the field catalogue its body and query string take
	 * (NULL: none), for /openapi.json; the handler checks the same. */
	const struct fspec *body;
	const struct fspec *query;
};

/* The table (routes.c). */
extern const struct route	routes[];
extern const size_t		nroutes;

enum method	 method_parse(const char *);
const char	*method_name(enum method);

/*
 * Finds the route for (method, path).  Returns its index and fills params
 * (in the arena) when found; -1 when the path matches no route (404); -2
 * when it matches only under other methods, with their mask in *allow.
 * HEAD is served by a GET route.
 */
long	 route_find(struct arena *, enum method, const char *path,
	    struct kvlist *params, unsigned *allow);

#endif
