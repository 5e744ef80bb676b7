/*
 * routes.c: the route table.  A route is public only if its entry says
 * R_PUBLIC; every route but those marked R_NORATE counts against RATE_MAX.
 */
#include "handlers.h"
#include "router.h"

const struct route routes[] = {
	{ M_POST, "/v1/auth/register", auth_register, R_PUBLIC | R_AUTHRATE,
	  "Create an account in the default organisation" },
	{ M_POST, "/v1/auth/login", auth_login, R_PUBLIC | R_AUTHRATE,
	  "Email and password for tokens" },
	{ M_POST, "/v1/auth/refresh", auth_refresh, R_PUBLIC | R_AUTHRATE,
	  "Rotate a refresh token for a new pair" },
	{ M_POST, "/v1/auth/logout", auth_logout,
	  R_PUBLIC | R_AUTHRATE | R_AUTH_OPTIONAL,
	  "End a session (by refresh token, or the caller's)" },
	{ M_POST, "/v1/auth/logout-all", auth_logout_all, R_AUTHRATE,
	  "End every session of the caller" },
	{ M_POST, "/v1/auth/verify-email", auth_verify_email,
	  R_PUBLIC | R_AUTHRATE, "Confirm an address with its mailed token" },
	{ M_POST, "/v1/auth/resend-verification", auth_resend_verification,
	  R_PUBLIC | R_AUTHRATE, "Mail a new verification link" },
	{ M_POST, "/v1/auth/forgot-password", auth_forgot_password,
	  R_PUBLIC | R_AUTHRATE, "Mail a password reset link" },
	{ M_POST, "/v1/auth/reset-password", auth_reset_password,
	  R_PUBLIC | R_AUTHRATE, "Set a new password with a reset token" },
	{ M_GET, "/v1/me", me_get, 0, "The caller, with permissions" },
	{ M_PATCH, "/v1/me", me_update, 0, "Update the caller's profile" },
	{ M_POST, "/v1/me/password", me_password, 0,
	  "Change password; ends the other sessions" },
	{ M_GET, "/v1/me/sessions", me_sessions, 0, "The caller's sessions" },
	{ M_DELETE, "/v1/me/sessions", me_end_other_sessions, 0,
	  "End every other session" },
	{ M_DELETE, "/v1/me/sessions/:id", me_end_session, 0,
	  "End one session" },
	{ M_GET, "/v1/me/export", me_export, 0,
	  "Everything held about the caller" },
	{ M_DELETE, "/v1/me", me_delete, 0,
	  "Delete the account (password required)" },
	{ M_GET, "/oauth2/jwks", keys_jwks, R_PUBLIC, "Public signing keys" },
	{ M_GET, "/.well-known/jwks.json", keys_jwks, R_PUBLIC,
	  "Public signing keys" },
	{ M_GET, "/health", ops_health, R_PUBLIC | R_NORATE,
	  "Liveness: answers without touching the database" },
	{ M_GET, "/health/ready", ops_ready, R_PUBLIC | R_NORATE,
	  "Readiness: database and memcached reachable" },
	{ M_GET, "/metrics", ops_metrics, R_PUBLIC,
	  "Prometheus metrics (METRICS_TOKEN or METRICS_ALLOW)" },
};

const size_t nroutes = sizeof(routes) / sizeof(routes[0]);
