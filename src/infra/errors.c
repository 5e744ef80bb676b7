/*
 * errors.c: the table behind errors.h.  Each error has exactly one status
 * and one code, so a handler names the error and never a number.
 */
#include <stddef.h>

#include "errors.h"

struct errinfo {
	int		 status;
	const char	*code;
	const char	*message;
};

static const struct errinfo errs[] = {
	[IAM_OK] = { 200, "OK", "OK" },
	[IAM_E_VALIDATION] = { 400, "VALIDATION_ERROR", "Request validation failed" },
	[IAM_E_INVALID_JSON] = { 400, "INVALID_JSON", "Request body is not well-formed JSON" },
	[IAM_E_WEAK_PASSWORD] = { 400, "WEAK_PASSWORD", "Password does not meet the policy" },
	[IAM_E_UNAUTHORIZED] = { 401, "UNAUTHORIZED", "Authentication required" },
	[IAM_E_INVALID_CREDENTIALS] = { 401, "INVALID_CREDENTIALS", "Invalid email or password" },
	[IAM_E_INVALID_TOKEN] = { 401, "INVALID_TOKEN", "Token is invalid" },
	[IAM_E_TOKEN_EXPIRED] = { 401, "TOKEN_EXPIRED", "Token has expired" },
	[IAM_E_INVALID_ONE_TIME_TOKEN] = { 400, "INVALID_TOKEN",
	    "The link is invalid, used or expired" },
	[IAM_E_FORBIDDEN] = { 403, "FORBIDDEN", "Insufficient permissions" },
	[IAM_E_EMAIL_NOT_VERIFIED] = { 403, "EMAIL_NOT_VERIFIED", "Email address is not verified" },
	[IAM_E_ACCOUNT_SUSPENDED] = { 403, "ACCOUNT_SUSPENDED", "Account is suspended" },
	[IAM_E_PASSWORD_RESET_REQUIRED] = { 403, "PASSWORD_RESET_REQUIRED", "A password reset is required" },
	[IAM_E_CSRF_FAILED] = { 403, "CSRF_FAILED", "CSRF token missing or invalid" },
	[IAM_E_REGISTRATION_CLOSED] = { 403, "REGISTRATION_CLOSED", "Registration is closed" },
	[IAM_E_NOT_FOUND] = { 404, "NOT_FOUND", "Resource not found" },
	[IAM_E_METHOD_NOT_ALLOWED] = { 405, "METHOD_NOT_ALLOWED", "Method not allowed" },
	[IAM_E_EMAIL_EXISTS] = { 409, "EMAIL_EXISTS", "Email address already registered" },
	[IAM_E_CONFLICT] = { 409, "CONFLICT", "Conflict" },
	[IAM_E_PAYLOAD_TOO_LARGE] = { 413, "PAYLOAD_TOO_LARGE", "Request body too large" },
	[IAM_E_UNSUPPORTED_MEDIA_TYPE] = { 415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported content type" },
	[IAM_E_RATE_LIMIT_EXCEEDED] = { 429, "RATE_LIMIT_EXCEEDED", "Too many requests" },
	[IAM_E_TOO_MANY_ATTEMPTS] = { 429, "TOO_MANY_ATTEMPTS", "Too many attempts" },
	[IAM_E_INTERNAL] = { 500, "INTERNAL_ERROR", "Internal server error" },
	[IAM_E_SERVICE_UNAVAILABLE] = { 503, "SERVICE_UNAVAILABLE", "Service temporarily unavailable" },
};

_Static_assert(sizeof(errs) / sizeof(errs[0]) == IAM_E__MAX,
    "every error needs a table entry");

static const struct errinfo *
lookup(enum iam_err e)
{
	if ((unsigned)e >= IAM_E__MAX || errs[e].code == NULL)
		e = IAM_E_INTERNAL;
	return &errs[e];
}

int
iam_err_status(enum iam_err e)
{
	return lookup(e)->status;
}

const char *
iam_err_code(enum iam_err e)
{
	return lookup(e)->code;
}

const char *
iam_err_message(enum iam_err e)
{
	return lookup(e)->message;
}
