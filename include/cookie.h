/*
 * cookie.h: the session and CSRF cookies as API.md fixes them
 * (http/cookie.c): Path=/, Secure when SESSION_COOKIE_SECURE, Domain
 * when SESSION_COOKIE_DOMAIN; iam_sid HttpOnly and SameSite=Lax,
 * iam_csrf readable by scripts and SameSite=Strict.
 */
#ifndef IAM_COOKIE_H
#define IAM_COOKIE_H

#include <stdint.h>

struct req;

#define COOKIE_SID	"iam_sid"
#define COOKIE_CSRF	"iam_csrf"

/* Sets name=value (a base64url value) for max_age seconds (0: until
 * the browser closes). */
void	 cookie_set(struct req *, const char *name, const char *value,
	    int64_t max_age);
/* Tells the browser to drop name. */
void	 cookie_clear(struct req *, const char *name);

#endif
