/*
 * errors.h: the one error enumeration of the server, with its message,
 * HTTP status and contract code kept in one table (errors.c).
 */
#ifndef IAM_ERRORS_H
#define IAM_ERRORS_H

enum iam_err {
	IAM_OK = 0,
	IAM_E_VALIDATION,
	IAM_E_INVALID_JSON,
	IAM_E_WEAK_PASSWORD,
	IAM_E_UNAUTHORIZED,
	IAM_E_INVALID_CREDENTIALS,
	IAM_E_INVALID_TOKEN,
	IAM_E_TOKEN_EXPIRED,
	IAM_E_INVALID_ONE_TIME_TOKEN,	/* body tokens: 400 INVALID_TOKEN */
	IAM_E_FORBIDDEN,
	IAM_E_EMAIL_NOT_VERIFIED,
	IAM_E_ACCOUNT_SUSPENDED,
	IAM_E_PASSWORD_RESET_REQUIRED,
	IAM_E_CSRF_FAILED,
	IAM_E_REGISTRATION_CLOSED,
	IAM_E_NOT_FOUND,
	IAM_E_METHOD_NOT_ALLOWED,
	IAM_E_EMAIL_EXISTS,
	IAM_E_CONFLICT,
	IAM_E_PAYLOAD_TOO_LARGE,
	IAM_E_UNSUPPORTED_MEDIA_TYPE,
	IAM_E_RATE_LIMIT_EXCEEDED,
	IAM_E_TOO_MANY_ATTEMPTS,
	IAM_E_INTERNAL,
	IAM_E_SERVICE_UNAVAILABLE,
	IAM_E__MAX
};

/* HTTP status of an error, e.g. 404. */
int		 iam_err_status(enum iam_err);
/* Contract code, e.g. "NOT_FOUND". */
const char	*iam_err_code(enum iam_err);
/* Default human message, e.g. "Resource not found". */
const char	*iam_err_message(enum iam_err);

#endif
