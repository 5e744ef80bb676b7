/*
 * email.c: the mailed one-time tokens: verification and password reset
 * (queued in the request's transaction, 256-bit, stored hashed, single
 * use), and what redeeming them does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounts.h"
#include "conf.h"
#include "crypto.h"
#include "dom.h"
#include "store_user.h"
#include "env.h"
#include "jwt.h"
#include "log.h"
#include "metrics.h"
#include "text.h"
#include "perm.h"
#include "store.h"

#define MAIL_MAX	3
#define MAIL_WINDOW	600

/* 1 when the address has had MAIL_MAX mails of purpose lately. */
static int
mail_throttled(struct actx *x, const char *email, const char *purpose)
{
	struct rl_result	 res;
	char			*id;

	if ((id = dom_address_key(x, email)) == NULL)
		return 0;
	return rl_hit(&x->w->rl, strcmp(purpose, "verify") == 0 ?
	    "mail-verify" : "mail-reset", id, MAIL_MAX, MAIL_WINDOW,
	    time(NULL), &res) == 0;
}

#define VERIFY_TTL	86400
#define RESET_TTL	3600

/* Queues the verification mail for user (in the open transaction). */
enum iam_err
dom_token_mail(struct actx *x, const char *user_id, const char *email,
    const char *purpose)
{
	const struct config	*c = x->w->cfg;
	const char		*p[4];
	char			*plain, *hash, *body;
	int			 verify = strcmp(purpose, "verify") == 0;
	int			 welcome = strcmp(purpose, "welcome") == 0;

	if (dom_fresh_secret(x, &plain, &hash) == -1)
		return IAM_E_INTERNAL;
	p[0] = user_id;
	/* A welcome link is a reset link that lives as long as an
	 * invitation: it sets the first password. */
	p[1] = welcome ? "reset" : purpose;
	p[2] = hash;
	p[3] = dom_num(x, verify ? VERIFY_TTL : welcome ?
	    c->invitation_expires_in : RESET_TTL);
	if (store_email_token_insert(&x->w->db, p[0], p[1], p[2], p[3]) == -1)
		return IAM_E_SERVICE_UNAVAILABLE;
	if (welcome) {
		body = arena_printf(x->a, "Hello,\n\nan account was created "
		    "for this address. To choose your password, open this "
		    "link:\n\n%s/reset-password?token=%s\n\nThe link can be "
		    "used once.\n", c->issuer_url, plain);
		if (body == NULL || mail_queue(x, email, "Your new account",
		    body) == -1)
			return IAM_E_SERVICE_UNAVAILABLE;
		return IAM_OK;
	}
	body = verify ? arena_printf(x->a,
	    "Hello,\n\nplease confirm your email address by opening this "
	    "link:\n\n%s/verify-email?token=%s\n\nThe link is valid for 24 "
	    "hours and can be used once. If you did not create an account, "
	    "ignore this message.\n", c->issuer_url, plain) :
	    arena_printf(x->a,
	    "Hello,\n\na password reset was requested for this address. "
	    "To choose a new password, open this link:\n\n"
	    "%s/reset-password?token=%s\n\nThe link is valid for one hour "
	    "and can be used once. If you did not ask for it, ignore this "
	    "message; your password stays as it is.\n", c->issuer_url, plain);
	if (body == NULL || mail_queue(x, email, verify ?
	    "Verify your email address" : "Reset your password", body) == -1)
		return IAM_E_SERVICE_UNAVAILABLE;
	return IAM_OK;
}

/* Consumes a one-time token (open transaction): *uid, or INVALID_TOKEN. */
static enum iam_err
consume(struct actx *x, const char *token, const char *purpose, char **uid)
{
	const char	*hash;

	if ((hash = dom_secret_hash(x, token)) == NULL)
		return IAM_E_INTERNAL;
	switch (store_email_token_consume(&x->w->db, x->a, hash, purpose,
	    uid)) {
	case -1:
		return IAM_E_SERVICE_UNAVAILABLE;
	case 0:
		x->field = "token";
		return IAM_E_INVALID_ONE_TIME_TOKEN;
	}
	return IAM_OK;
}

enum iam_err
acct_verify_email(struct actx *x, const char *token)
{
	char		*uid;
	enum iam_err	 e;

	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = consume(x, token, "verify", &uid)) != IAM_OK ||
	    (e = dom_db(store_user_verify_email(&x->w->db, uid))) != IAM_OK)
		goto out;
	(void)audit(x, "email.verify", 1, uid, NULL, "user", uid, NULL, NULL);
	e = dom_commit(x);
out:
	if (e != IAM_OK)
		store_rollback(&x->w->db);
	return e;
}

/* Looks up a live user by email: 1 found, 0 not, -1 broken. */
static int
find_email(struct actx *x, const char *email, char **uid, char **addr,
    int *verified, char **org)
{
	struct user_brief	 b;
	const char		*key;
	int			 rc;

	*uid = *addr = *org = NULL;
	*verified = 0;
	if ((key = dom_email_key(x, email)) == NULL)
		return -1;
	if ((rc = store_user_for_email(&x->w->db, x->a, key, &b)) != 1)
		return rc;
	*uid = (char *)b.id;
	*addr = (char *)b.email;
	*verified = b.verified;
	*org = (char *)b.org;
	return 1;
}

/* Sends a token mail if the address is known (and, for verification,
 * not yet verified).  The caller answers 202 either way. */
static enum iam_err
mail_if_known(struct actx *x, const char *email, const char *purpose)
{
	char		*uid, *addr, *org;
	int		 verified, found, send;
	enum iam_err	 e;

	/*
	 * At most MAIL_MAX mails per address and purpose in MAIL_WINDOW,
	 * counted for every address, known or not (the same work either
	 * way); beyond, the answer is the same 202 and nothing is created or
	 * voided.
	 */
	if (mail_throttled(x, email, purpose))
		return IAM_OK;
	if ((found = find_email(x, email, &uid, &addr, &verified, &org)) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	/*
	 * The same statements whether a mail goes out or not: for an
	 * unknown (or already verified) address they run with no user and
	 * no recipient, and write nothing.
	 */
	send = found && !(verified && strcmp(purpose, "verify") == 0);
	if ((e = dom_token_mail(x, send ? uid : NULL, send ? addr : NULL,
	    purpose)) != IAM_OK)
		goto out;
	(void)audit(x, strcmp(purpose, "verify") == 0 ?
	    "email.verification_sent" : "password.reset_requested", send,
	    NULL, NULL, "user", send ? uid : NULL, send ? org : NULL, NULL);
	e = dom_commit(x);
out:
	if (e != IAM_OK)
		store_rollback(&x->w->db);
	return e;
}

enum iam_err
acct_resend_verification(struct actx *x, const char *email)
{
	return mail_if_known(x, email, "verify");
}

enum iam_err
acct_forgot_password(struct actx *x, const char *email)
{
	return mail_if_known(x, email, "reset");
}

enum iam_err
acct_reset_password(struct actx *x, const char *token, const char *password)
{
	const char	*why;
	char		*uid, *hash;
	json_object	*u;
	enum iam_err	 e;
	struct pwpolicy	 pol;

	/* Policy first, so a weak password does not burn the token. */
	if ((e = password_policy(x, NULL, password, NULL, &why)) != IAM_OK) {
		x->field = "password";
		x->message = why;
		return e;
	}
	if ((hash = dom_hash_password(x, password)) == NULL)
		return dom_hash_failed(x);
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = consume(x, token, "reset", &uid)) != IAM_OK)
		goto out;
	if ((u = acct_user(x, uid, 0, &e)) == NULL ||
	    (e = acct_org_policy(x, json_object_get_string(
	    json_object_object_get(json_object_object_get(u, "organisation"),
	    "id")), &pol)) != IAM_OK)
		goto out;
	if (password_policy(x, &pol, password, json_object_get_string(
	    json_object_object_get(u, "email")), &why) != IAM_OK) {
		x->field = "password";
		x->message = why;
		e = IAM_E_WEAK_PASSWORD;
		goto out;
	}
	if ((e = dom_db(store_user_reset_password(&x->w->db, uid, hash))) !=
	    IAM_OK || (e = dom_end_all(x, uid, NULL)) != IAM_OK)
		goto out;
	/* every other reset link dies with this one */
	if ((e = dom_db(store_email_tokens_void(&x->w->db, uid, "reset"))) !=
	    IAM_OK)
		goto out;
	(void)audit(x, "password.reset", 1, uid, NULL, "user", uid,
	    json_object_get_string(json_object_object_get(
	    json_object_object_get(u, "organisation"), "id")), NULL);
	e = dom_commit(x);
out:
	if (e != IAM_OK)
		store_rollback(&x->w->db);
	return e;
}
