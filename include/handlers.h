/*
 * handlers.h: every route handler, grouped by the file that holds it.
 * A handler returns IAM_OK after setting an answer, or the error that the
 * dispatcher turns into the error envelope.
 */
#ifndef IAM_HANDLERS_H
#define IAM_HANDLERS_H

#include "errors.h"

struct req;

/* h_auth.c: /v1/auth (public). */
enum iam_err	auth_register(struct req *);
enum iam_err	auth_login(struct req *);
enum iam_err	auth_refresh(struct req *);
enum iam_err	auth_logout(struct req *);
enum iam_err	auth_logout_all(struct req *);
enum iam_err	auth_verify_email(struct req *);
enum iam_err	auth_resend_verification(struct req *);
enum iam_err	auth_forgot_password(struct req *);
enum iam_err	auth_reset_password(struct req *);
enum iam_err	auth_onboard(struct req *);

/* h_me.c: /v1/me (authenticated). */
enum iam_err	me_get(struct req *);
enum iam_err	me_update(struct req *);
enum iam_err	me_password(struct req *);
enum iam_err	me_sessions(struct req *);
enum iam_err	me_end_session(struct req *);
enum iam_err	me_end_other_sessions(struct req *);
enum iam_err	me_export(struct req *);
enum iam_err	me_delete(struct req *);

/* h_users.c: /v1/admin/users. */
enum iam_err	adm_users_list(struct req *);
enum iam_err	adm_users_create(struct req *);
enum iam_err	adm_users_get(struct req *);
enum iam_err	adm_users_update(struct req *);
enum iam_err	adm_users_delete(struct req *);
enum iam_err	adm_users_roles(struct req *);
enum iam_err	adm_users_revoke(struct req *);
enum iam_err	adm_users_force_reset(struct req *);

/* h_roles.c: /v1/admin/roles, /v1/admin/permissions. */
enum iam_err	adm_roles_list(struct req *);
enum iam_err	adm_roles_create(struct req *);
enum iam_err	adm_roles_get(struct req *);
enum iam_err	adm_roles_update(struct req *);
enum iam_err	adm_roles_delete(struct req *);
enum iam_err	adm_permissions(struct req *);

/* h_org.c: /v1/admin/organisation and /v1/system/organisations. */
enum iam_err	adm_org_get(struct req *);
enum iam_err	adm_org_update(struct req *);
enum iam_err	sys_orgs_list(struct req *);
enum iam_err	sys_orgs_create(struct req *);
enum iam_err	sys_orgs_update(struct req *);
enum iam_err	sys_orgs_delete(struct req *);

/* h_invites.c: /v1/admin/invitations, /v1/public/invitations. */
enum iam_err	adm_invites_list(struct req *);
enum iam_err	adm_invites_create(struct req *);
enum iam_err	adm_invites_revoke(struct req *);
enum iam_err	adm_invites_resend(struct req *);
enum iam_err	pub_invite_get(struct req *);
enum iam_err	pub_invite_accept(struct req *);

/* h_audit.c: /v1/admin/audit-logs. */
enum iam_err	adm_audit_list(struct req *);
enum iam_err	adm_audit_get(struct req *);
enum iam_err	adm_audit_verify(struct req *);

/* h_system.c: breach response. */
enum iam_err	sys_revoke_tokens(struct req *);
enum iam_err	sys_force_reset(struct req *);
enum iam_err	sys_rotate_signing(struct req *);
enum iam_err	sys_rotate_encryption(struct req *);

/* h_keys.c: the JWKS. */
enum iam_err	keys_jwks(struct req *);

/* h_ops.c: health, readiness, metrics. */
enum iam_err	ops_health(struct req *);
enum iam_err	ops_ready(struct req *);
enum iam_err	ops_metrics(struct req *);
enum iam_err	ops_openapi(struct req *);

/* h_clients.c: /v1/admin/clients. */
enum iam_err	adm_clients_list(struct req *);
enum iam_err	adm_clients_create(struct req *);
enum iam_err	adm_clients_get(struct req *);
enum iam_err	adm_clients_update(struct req *);
enum iam_err	adm_clients_delete(struct req *);
enum iam_err	adm_clients_rotate(struct req *);

/* pages/: the hosted HTML pages (pg_*.c). */
enum iam_err	pg_login_get(struct req *);
enum iam_err	pg_login_post(struct req *);
enum iam_err	pg_logout_get(struct req *);
enum iam_err	pg_logout_post(struct req *);
enum iam_err	pg_account_get(struct req *);
enum iam_err	pg_account_password(struct req *);
enum iam_err	pg_account_end_session(struct req *);
enum iam_err	pg_forgot_get(struct req *);
enum iam_err	pg_forgot_post(struct req *);
enum iam_err	pg_reset_get(struct req *);
enum iam_err	pg_reset_post(struct req *);
enum iam_err	pg_verify_get(struct req *);
enum iam_err	pg_verify_post(struct req *);
enum iam_err	pg_invite_get(struct req *);
enum iam_err	pg_invite_post(struct req *);
enum iam_err	pg_css(struct req *);
/* Replaces r's error answer (set before or by a page's handler) with
 * the HTML page saying it, status and headers kept. */
void		pg_error_page(struct req *);

/* oauth/oa_token.c: POST /oauth2/token. */
enum iam_err	oa_token(struct req *);

/* oauth/oa_verify.c: GET /auth/verify, for NGINX auth_request. */
enum iam_err	oa_verify(struct req *);

#endif
