/*
 * accounts.h: the account rules (domain layer).  No HTTP and no SQL text
 * here: handlers turn requests into these calls, and these calls use the
 * store's statements.  The hosted login pages call the same functions.
 * Every function returns IAM_OK or the error the caller answers with.
 */
#ifndef IAM_ACCOUNTS_H
#define IAM_ACCOUNTS_H

#include <json-c/json.h>
#include <stdint.h>

#include "errors.h"

struct arena;
struct config;

/*
 * What callers give the domain: C structs, filled by the handler from
 * whatever carried them (a JSON body, a form), already checked for shape
 * by the field catalogue (fields.h).  NULL (or -1) is "not given".
 */

/* A list of strings: role slugs, permissions. */
struct strlist {
	const char *const	*v;
	size_t			 n;
};

/* The profile a user or an administrator may change. */
struct profile_in {
	const char	*first, *last, *phone;
	json_object	*preferences;	/* a bounded JSON object */
	json_object	*addresses;	/* a checked array of addresses */
};
struct env;

/* Who is acting, from where.  Caller fields are NULL when anonymous. */
struct actx {
	struct env	*w;
	struct arena	*a;
	const char	*ip;
	const char	*ua;
	const char	*user_id;	/* authenticated caller */
	const char	*org_id;
	const char	*sid;
	const char	*perms;		/* caller's, when loaded */
	const char	*email;		/* caller's, when loaded */
	const char	*actor_type;	/* "system" for iamctl; else user */
	int64_t		 retry_after;	/* set with 429 answers */
	int64_t		 cutoff;	/* a token revocation to wait out */
	int		 hash_busy;	/* the last hash found no slot */
	const char	*field;		/* set with validation errors */
	const char	*message;
};

/* A login's result: tokens and the sanitised user. */
struct tokens {
	char		*access;
	char		*refresh;
	int64_t		 expires_in;
	json_object	*user;		/* borrowed from the arena */
};

/*
 * A browser sign-in's result: the values of the iam_sid and iam_csrf
 * cookies (plain: only their hashes are stored; they go into Set-Cookie
 * and nowhere else) and the session they hold.
 */
struct browser_login {
	char		*cookie, *csrf, *sid;
	const char	*uid;
	int64_t		 expires;	/* epoch seconds */
};
struct cookie_session;

/* The password step, then a new browser session (hosted /login). */
enum iam_err	acct_login_browser(struct actx *, const char *email,
		    const char *password, struct browser_login *);
/* The live browser session of a cookie value: IAM_OK, UNAUTHORIZED
 * (none: unknown, ended, expired, idle, user or organisation not
 * active) or SERVICE_UNAVAILABLE. */
enum iam_err	acct_cookie_session(struct actx *, const char *cookie,
		    struct cookie_session *);
/* 1 when token is the session's CSRF token, 0 when not (constant time). */
int		acct_csrf_ok(struct actx *, const struct cookie_session *,
		    const char *token);
/* Ends the caller's browser session (sign-out), audited session.end. */
enum iam_err	acct_end_browser_session(struct actx *);

enum iam_err	acct_register(struct actx *, const char *email,
		    const char *password, const char *first, const char *last,
		    char **user_id);
enum iam_err	acct_login(struct actx *, const char *email,
		    const char *password, struct tokens *);
enum iam_err	acct_refresh(struct actx *, const char *refresh,
		    struct tokens *);
/* Ends the session of refresh (if given) or of the caller's sid. */
enum iam_err	acct_logout(struct actx *, const char *refresh);
enum iam_err	acct_logout_all(struct actx *);
enum iam_err	acct_verify_email(struct actx *, const char *token);
enum iam_err	acct_resend_verification(struct actx *, const char *email);
enum iam_err	acct_forgot_password(struct actx *, const char *email);
enum iam_err	acct_reset_password(struct actx *, const char *token,
		    const char *password);

/* The sanitised user (with permissions when asked), or NULL + *err. */
json_object	*acct_user(struct actx *, const char *user_id,
		    int with_permissions, enum iam_err *err);
/* Updates the caller's profile; *user is the user as it then is (read in
 * the same transaction: nothing is kept that cannot be read back). */
enum iam_err	acct_update_profile(struct actx *, const struct profile_in *,
		    json_object **user);
enum iam_err	acct_change_password(struct actx *, const char *current,
		    const char *next);
enum iam_err	acct_sessions(struct actx *, json_object **list);
enum iam_err	acct_end_session(struct actx *, const char *sid);
enum iam_err	acct_end_other_sessions(struct actx *);
enum iam_err	acct_export(struct actx *, json_object **doc);
enum iam_err	acct_delete(struct actx *, const char *password);

/* The caller as the database has it now (admin routes). */
struct caller {
	const char	*email;
	const char	*perms;		/* comma-separated, as held */
	int		 system_admin;
};
/* IAM_OK, INVALID_TOKEN (gone, or another organisation's token) or
 * ACCOUNT_SUSPENDED (user or organisation not active). */
enum iam_err	acct_caller(struct actx *, struct caller *);

/* An organisation's passwordPolicy (character classes are ASCII). */
struct pwpolicy {
	int64_t		 min_length;
	int		 upper, lower, digit, symbol;
	const char	*org_name, *org_slug;	/* not to be contained */
};

/*
 * Password policy: the longer of PASSWORD_MIN_LENGTH and the policy's
 * minLength, at most 128 characters, the policy's character classes, not
 * a common password, not the email address.  pol may be NULL (the
 * configuration alone).  Returns IAM_OK or IAM_E_WEAK_PASSWORD with the
 * reason in *why.
 */
enum iam_err	password_policy(const struct actx *, const struct pwpolicy *,
		    const char *pw, const char *email, const char **why);
/* Reads COMMON_PASSWORDS_FILE now (else at the first check). */
void		password_preload(const struct config *);
/* Reads a passwordPolicy object (NULL or invalid parts: defaults). */
void		pwpolicy_from_json(struct pwpolicy *, json_object *);
/* The policy of organisation org (NULL: the default organisation). */
enum iam_err	acct_org_policy(struct actx *, const char *org,
		    struct pwpolicy *);
/* 1 if pw is on the common-password list (case-insensitive). */
int		password_common(const char *pw);

/*
 * Appends an audit event in the current transaction (or its own when none
 * is open).  details may be NULL; it is borrowed.
 */
int		audit(struct actx *, const char *action, int success,
		    const char *actor_id, const char *actor_email,
		    const char *target_type, const char *target_id,
		    const char *org_id, json_object *details);

/* Queues a mail in the current transaction.  0 or -1. */
int		mail_queue(struct actx *, const char *to, const char *subject,
		    const char *body);

#endif
