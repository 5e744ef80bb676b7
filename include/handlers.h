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

/* h_me.c: /v1/me (authenticated). */
enum iam_err	me_get(struct req *);
enum iam_err	me_update(struct req *);
enum iam_err	me_password(struct req *);
enum iam_err	me_sessions(struct req *);
enum iam_err	me_end_session(struct req *);
enum iam_err	me_end_other_sessions(struct req *);
enum iam_err	me_export(struct req *);
enum iam_err	me_delete(struct req *);

/* h_keys.c: the JWKS. */
enum iam_err	keys_jwks(struct req *);

/* h_ops.c: health, readiness, metrics. */
enum iam_err	ops_health(struct req *);
enum iam_err	ops_ready(struct req *);
enum iam_err	ops_metrics(struct req *);

#endif
