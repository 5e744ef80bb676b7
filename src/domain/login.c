/*
 * login.c: registration, and the password step of a sign-in: the same
 * cost for known, unknown and password-less addresses, lockout, and the
 * throttle of unknown addresses.
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

static const char *const registration_modes[] = { "open", "invite",
	"closed" };

enum iam_err
acct_register(struct actx *x, const char *email, const char *password,
    const char *first, const char *last, char **user_id)
{
	const char	*why;
	char		*hash;
	struct org_brief o;
	enum iam_err	 e;
	char		*org;
	struct pwpolicy	 pol;
	int		 rc;

	if ((e = acct_org_policy(x, NULL, &pol)) != IAM_OK)
		return e;
	if ((e = password_policy(x, &pol, password, email, &why)) != IAM_OK)
		return dom_field(x, e, "password", why);
	if ((rc = store_org_default(&x->w->db, x->a,
	    registration_modes[x->w->cfg->registration_mode], &o)) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	if (rc == 0 || strcmp(o.mode, "open") != 0 ||
	    strcmp(o.status, "active") != 0)
		return IAM_E_REGISTRATION_CLOSED;
	org = (char *)o.id;
	if ((hash = dom_hash_password(x, password)) == NULL)
		return dom_hash_failed(x);
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = dom_user_insert(x, org, email, hash, first, last, "user",
	    user_id)) != IAM_OK ||
	    (e = dom_token_mail(x, *user_id, email, "verify")) != IAM_OK)
		goto out;
	if (audit(x, "user.register", 1, *user_id, email, "user", *user_id,
	    org, NULL) == -1) {
		e = IAM_E_SERVICE_UNAVAILABLE;
		goto out;
	}
	e = dom_commit(x);
out:
	if (e != IAM_OK)
		store_rollback(&x->w->db);
	return e;
}

/*
 * Spends the time a real check costs, against a hash made at start-up
 * with the current parameters; its answer means nothing but whether the
 * hash cap let it run (DOM_HASH_BUSY), which must show alike.
 */
static int
dummy_verify(struct env *w, const char *pw)
{
	return dom_password_verify(w->dummy_hash, pw) == DOM_HASH_BUSY ?
	    DOM_HASH_BUSY : 0;
}

/* Counts a failed attempt on an unknown address; 0 allowed, 1 over. */
enum iam_err
dom_login_failed(struct actx *x, const char *uid, const char *email,
    const char *org, const char *reason)
{
	const struct config	*c = x->w->cfg;
	const char		*key;
	json_object		*d = json_object_new_object();
	int64_t			 n = 0;

	metrics_event(EV_LOGIN_FAILED);
	log_kv(LOG_WARN, "security.login_failed", "ip", x->ip, LOG_END);
	json_object_object_add(d, "reason", dom_str(reason));
	/* Known or not, the same statement counts the failure. */
	key = uid == NULL ? dom_address_key(x, email) : NULL;
	if (uid != NULL || key != NULL)
		(void)store_login_failed(&x->w->db, uid, dom_num(x,
		    c->lockout_threshold), dom_num(x, c->lockout_sec), key, &n);
	(void)audit(x, "auth.login_failed", 0, uid, email, "user", uid, org, d);
	/* The failure that reaches the threshold locks: say so. */
	if (n == c->lockout_threshold) {
		log_kv(LOG_WARN, "security.lockout", "ip", x->ip, LOG_END);
		(void)audit(x, "auth.lockout", 0, uid, email, "user", uid, org,
		    NULL);
	}
	json_object_put(d);
	return IAM_E_INVALID_CREDENTIALS;
}

/* An attempt while locked: audited, and 429 until the lock's end. */
static enum iam_err
locked_out(struct actx *x, const char *uid, const char *email,
    const char *org, int64_t until)
{
	(void)audit(x, "auth.login_locked", 0, uid, email, "user", uid, org,
	    NULL);
	x->retry_after = until - time(NULL);
	return IAM_E_TOO_MANY_ATTEMPTS;
}

/* Who a sign-in's password step found. */
struct signin {
	const char	*uid, *org, *email;
};

/*
 * The password step every sign-in takes (the JSON login, the hosted
 * page): IAM_OK with the user found in *si, or the error to answer.
 */
static enum iam_err
password_step(struct actx *x, const char *email, const char *password,
    struct signin *si)
{
	struct env		*w = x->w;
	const struct config	*c = w->cfg;
	const char		*key, *akey, *uid, *org, *stored;
	char			*hash;
	struct login_row	 l;
	int			 ok;
	uint64_t		 n;
	uint32_t		 rr, pp;

	/* Look-alike forms of an address are one account, and one count. */
	if ((key = dom_email_key(x, email)) == NULL ||
	    (akey = dom_address_key(x, key)) == NULL)
		return IAM_E_INTERNAL;
	switch (store_user_for_login(&w->db, x->a, key, akey, &l)) {
	case -1:
		return IAM_E_SERVICE_UNAVAILABLE;
	case 0:
		/* Same answer and the same work as for a known address: the
		 * lock of the address, one hash, one counted failure. */
		if (l.locked > time(NULL))
			return locked_out(x, NULL, email, NULL, l.locked);
		if (dummy_verify(w, password) == DOM_HASH_BUSY)
			return IAM_E_SERVICE_UNAVAILABLE;
		return dom_login_failed(x, NULL, email, NULL, "unknown");
	}
	uid = l.uid;
	email = l.email;
	stored = l.hash;
	org = l.org;
	if (l.locked > time(NULL))
		return locked_out(x, uid, email, org, l.locked);
	if (stored != NULL)
		ok = dom_password_verify(stored, password);
	else			/* no password set: the same cost */
		ok = dummy_verify(w, password);
	if (ok == DOM_HASH_BUSY)	/* nothing counted: answer 503 now */
		return IAM_E_SERVICE_UNAVAILABLE;
	if (ok == -1)
		return IAM_E_INTERNAL;
	if (ok == 0)
		return dom_login_failed(x, uid, email, org, "password");
	/* The password is right: only now say why the login cannot go on. */
	if (strcmp(l.status, "active") != 0 ||
	    strcmp(l.org_status, "active") != 0) {
		(void)audit(x, "auth.login_failed", 0, uid, email, "user", uid,
		    org, NULL);
		return IAM_E_ACCOUNT_SUSPENDED;
	}
	if (l.must_reset) {
		(void)acct_forgot_password(x, email);
		return IAM_E_PASSWORD_RESET_REQUIRED;
	}
	if (c->require_email_verification && !l.verified)
		return IAM_E_EMAIL_NOT_VERIFIED;
	/* Upgrade a hash made with other parameters. */
	if (crypto_password_params(stored, &n, &rr, &pp) == 0 &&
	    (n != (uint64_t)c->scrypt_n || rr != (uint32_t)c->scrypt_r ||
	    pp != (uint32_t)c->scrypt_p) &&
	    (hash = dom_hash_password(x, password)) != NULL)
		(void)store_user_set_hash(&w->db, uid, hash);
	metrics_event(EV_LOGIN_OK);
	si->uid = uid;
	si->org = org;
	si->email = email;
	return IAM_OK;
}

enum iam_err
acct_login(struct actx *x, const char *email, const char *password,
    struct tokens *t)
{
	struct signin	si;
	enum iam_err	e;

	if ((e = password_step(x, email, password, &si)) != IAM_OK)
		return e;
	return dom_start_session(x, si.uid, si.org, si.email, "auth.login", t);
}

enum iam_err
acct_login_browser(struct actx *x, const char *email, const char *password,
    struct browser_login *b)
{
	struct signin	si;
	enum iam_err	e;

	if ((e = password_step(x, email, password, &si)) != IAM_OK) {
		metrics_event(EV_PAGE_LOGIN_FAILED);
		return e;
	}
	if ((e = dom_start_browser(x, si.uid, si.org, si.email, b)) != IAM_OK)
		return e;
	metrics_event(EV_PAGE_LOGIN_OK);
	return IAM_OK;
}
