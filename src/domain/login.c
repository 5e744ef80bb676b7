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
	const char	*p[3], *why;
	char		*hash;
	PGresult	*r;
	enum iam_err	 e;
	char		*org;
	struct pwpolicy	 pol;

	if ((e = acct_org_policy(x, NULL, &pol)) != IAM_OK)
		return e;
	if ((e = password_policy(x, &pol, password, email, &why)) != IAM_OK)
		return dom_field(x, e, "password", why);
	p[0] = registration_modes[x->w->cfg->registration_mode];
	if ((r = store_exec(&x->w->db, STMT_ORG_DEFAULT, 1, p)) == NULL)
		return IAM_E_SERVICE_UNAVAILABLE;
	if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 4), "open") != 0 ||
	    strcmp(PQgetvalue(r, 0, 3), "active") != 0) {
		PQclear(r);
		return IAM_E_REGISTRATION_CLOSED;
	}
	org = arena_strdup(x->a, PQgetvalue(r, 0, 0));
	PQclear(r);
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
	const char		*p[4];
	json_object		*d = json_object_new_object();
	PGresult		*r;
	int64_t			 n = 0;

	metrics_event(EV_LOGIN_FAILED);
	log_kv(LOG_WARN, "security.login_failed", "ip", x->ip, LOG_END);
	json_object_object_add(d, "reason", dom_str(reason));
	/* Known or not, the same statement counts the failure. */
	p[0] = uid;
	p[1] = dom_num(x, c->lockout_threshold);
	p[2] = dom_num(x, c->lockout_sec);
	p[3] = uid == NULL ? dom_address_key(x, email) : NULL;
	if ((uid != NULL || p[3] != NULL) &&
	    (r = store_exec(&x->w->db, STMT_USER_LOGIN_FAILED, 4, p)) != NULL) {
		n = atoll(PQgetvalue(r, 0, uid != NULL ? 0 : 1));
		PQclear(r);
	}
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

enum iam_err
acct_login(struct actx *x, const char *email, const char *password,
    struct tokens *t)
{
	struct env		*w = x->w;
	const struct config	*c = w->cfg;
	const char		*p[2];
	char			*uid, *org, *hash, *status, *ostatus, *stored;
	int			 verified, must_reset, ok;
	int64_t			 locked;
	uint64_t		 n;
	uint32_t		 rr, pp;
	PGresult		*r;

	/* Look-alike forms of an address are one account, and one count. */
	if ((p[0] = dom_email_key(x, email)) == NULL ||
	    (p[1] = dom_address_key(x, p[0])) == NULL)
		return IAM_E_INTERNAL;
	if ((r = store_exec(&w->db, STMT_USER_FOR_LOGIN, 2, p)) == NULL)
		return IAM_E_SERVICE_UNAVAILABLE;
	if (PQntuples(r) != 1) {	/* one row, known or not */
		PQclear(r);
		return IAM_E_INTERNAL;
	}
	if (PQgetisnull(r, 0, 0)) {
		/* Same answer and the same work as for a known address: the
		 * lock of the address, one hash, one counted failure. */
		locked = atoll(PQgetvalue(r, 0, 6));
		PQclear(r);
		if (locked > time(NULL))
			return locked_out(x, NULL, email, NULL, locked);
		if (dummy_verify(w, password) == DOM_HASH_BUSY)
			return IAM_E_SERVICE_UNAVAILABLE;
		return dom_login_failed(x, NULL, email, NULL, "unknown");
	}
	uid = arena_strdup(x->a, PQgetvalue(r, 0, 0));
	email = arena_strdup(x->a, PQgetvalue(r, 0, 1));
	stored = arena_strdup(x->a, PQgetvalue(r, 0, 2));
	status = arena_strdup(x->a, PQgetvalue(r, 0, 3));
	verified = PQgetvalue(r, 0, 4)[0] == 't';
	locked = atoll(PQgetvalue(r, 0, 6));
	must_reset = PQgetvalue(r, 0, 7)[0] == 't';
	ostatus = arena_strdup(x->a, PQgetvalue(r, 0, 8));
	org = arena_strdup(x->a, PQgetvalue(r, 0, 9));
	ok = !PQgetisnull(r, 0, 2);
	PQclear(r);
	if (locked > time(NULL))
		return locked_out(x, uid, email, org, locked);
	if (ok)
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
	if (strcmp(status, "active") != 0 || strcmp(ostatus, "active") != 0) {
		(void)audit(x, "auth.login_failed", 0, uid, email, "user", uid,
		    org, NULL);
		return IAM_E_ACCOUNT_SUSPENDED;
	}
	if (must_reset) {
		(void)acct_forgot_password(x, email);
		return IAM_E_PASSWORD_RESET_REQUIRED;
	}
	if (c->require_email_verification && !verified)
		return IAM_E_EMAIL_NOT_VERIFIED;
	/* Upgrade a hash made with other parameters. */
	if (crypto_password_params(stored, &n, &rr, &pp) == 0 &&
	    (n != (uint64_t)c->scrypt_n || rr != (uint32_t)c->scrypt_r ||
	    pp != (uint32_t)c->scrypt_p) &&
	    (hash = dom_hash_password(x, password)) != NULL) {
		p[0] = uid;
		p[1] = hash;
		(void)dom_run(x, STMT_USER_SET_HASH, 2, p);
	}
	metrics_event(EV_LOGIN_OK);
	return dom_start_session(x, uid, org, email, "auth.login", t);
}
