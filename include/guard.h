/*
 * guard.h: the driver's central checks (server/guard.c, server/cors.c).
 */
#ifndef IAM_GUARD_H
#define IAM_GUARD_H

#include "errors.h"
#include "router.h"

struct req;

/*
 * Verifies the bearer token: IAM_OK with r->user_id, r->org_id, r->sid
 * and r->iat set, or the contract's 401.  A token signed by a key this
 * worker has not loaded yet makes it reload its keyring once first.
 */
enum iam_err	 guard_bearer(struct req *r);
/*
 * The iam_sid cookie's session: IAM_OK with r->user_id, r->org_id,
 * r->sid, r->email, r->roles set and r->via_cookie, UNAUTHORIZED when
 * the cookie holds no live session, or SERVICE_UNAVAILABLE.
 */
enum iam_err	 guard_cookie(struct req *r);
/*
 * CSRF for an unsafe method: with a cookie session, the _csrf form
 * field or X-CSRF-Token header must be that session's token; on a page
 * without one (a sign-in form), it must equal the iam_csrf cookie.
 * IAM_OK or IAM_E_CSRF_FAILED.
 */
enum iam_err	 guard_csrf(struct req *r);
/*
 * The permission check of a route with a permission or R_SYSTEM,
 * against the caller's roles as the database holds them now.  Fills
 * r->perms, r->email, r->system_admin.  IAM_OK or the error.
 */
enum iam_err	 guard_permission(struct req *r, const struct route *rt);

/* 1 if the request's Origin may use the API with credentials. */
int		 cors_allowed(const struct req *r);
/* The CORS answer headers for an allowed origin. */
void		 cors_headers(struct req *r);
/* A preflight: 204 with what may follow, or 403 for another origin. */
void		 cors_preflight(struct req *r, unsigned allow, int allowed);

#endif
