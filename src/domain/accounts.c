/*
 * accounts.c: registration, login, refresh rotation, logout, email
 * verification and password reset, and the caller's own account.
 * Bearer secrets (refresh tokens, email tokens) are 256-bit random values
 * given to the client once and stored only as SHA-256 hashes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounts.h"
#include "domain.h"
#include "conf.h"
#include "crypto.h"
#include "jwt.h"
#include "log.h"
#include "metrics.h"
#include "parse.h"
#include "perm.h"
#include "store.h"
#include "env.h"

static const char *const registration_modes[] = { "open", "invite",
	"closed" };

#define VERIFY_TTL	86400
#define RESET_TTL	3600

json_object *
dom_str(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* The store form of a presented secret's hash. */
char *
dom_secret_hash(struct actx *x, const char *plain)
{
	unsigned char	d[32];

	if (crypto_sha256(plain, strlen(plain), d) == -1)
		return NULL;
	return arena_printf(x->a, "\\x%s", hex_encode(x->a, d, 32));
}

/*
 * A new bearer secret: *plain (base64url of 32 random bytes) for the
 * client, *hash ("\x..." hex of its SHA-256) for the store.
 */
int
dom_fresh_secret(struct actx *x, char **plain, char **hash)
{
	unsigned char	rnd[32];

	if (crypto_random(rnd, sizeof(rnd)) == -1)
		return -1;
	*plain = b64url_encode(x->a, rnd, sizeof(rnd));
	crypto_wipe(rnd, sizeof(rnd));
	if (*plain == NULL || (*hash = dom_secret_hash(x, *plain)) == NULL)
		return -1;
	return 0;
}

char *
dom_num(struct actx *x, int64_t v)
{
	return arena_printf(x->a, "%lld", (long long)v);
}

/* Runs a statement whose result is not needed: IAM_OK or unavailable. */
enum iam_err
dom_run(struct actx *x, enum stmt st, int n, const char *const *p)
{
	PGresult	*r;

	if ((r = store_exec(&x->w->db, st, n, p)) == NULL)
		return IAM_E_SERVICE_UNAVAILABLE;
	PQclear(r);
	return IAM_OK;
}

enum iam_err
dom_begin(struct actx *x)
{
	return store_begin(&x->w->db) == 0 ? IAM_OK :
	    IAM_E_SERVICE_UNAVAILABLE;
}

enum iam_err
dom_commit(struct actx *x)
{
	return store_commit(&x->w->db) == 0 ? IAM_OK :
	    IAM_E_SERVICE_UNAVAILABLE;
}

enum iam_err
dom_query(struct actx *x, enum stmt st, int n, const char *const *p,
    PGresult **out)
{
	if ((*out = store_exec(&x->w->db, st, n, p)) == NULL)
		return IAM_E_SERVICE_UNAVAILABLE;
	return IAM_OK;
}

enum iam_err
dom_end(struct actx *x, enum iam_err e)
{
	if (e != IAM_OK)
		store_rollback(&x->w->db);
	return e;
}

enum iam_err
dom_field(struct actx *x, enum iam_err e, const char *field, const char *msg)
{
	x->field = field;
	x->message = msg;
	return e;
}

json_object *
dom_keep(struct actx *x, json_object *o)
{
	if (o != NULL && arena_defer(x->a, dom_put, o) == -1) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

json_object *
dom_json(struct actx *x, const char *text)
{
	return dom_keep(x, json_tokener_parse(text));
}

/*
 * Checks pw against a stored hash (crypto_password_verify's answer), and
 * counts the hash in iam_password_hashes_total: every path of a password
 * check spends exactly one, which a test reads off the metric.
 */
int
dom_password_verify(const char *stored, const char *pw)
{
	metrics_event(EV_PASSWORD_HASH);
	return crypto_password_verify(stored, pw);
}

/* Hashes a password with the configured parameters into the arena. */
char *
dom_hash_password(struct actx *x, const char *pw)
{
	const struct config	*c = x->w->cfg;
	char			*out;

	if ((out = arena_alloc(x->a, CRYPTO_PASSWORD_LEN)) == NULL)
		return NULL;
	metrics_event(EV_PASSWORD_HASH);
	if (crypto_password_hash(pw, (uint64_t)c->scrypt_n,
	    (uint32_t)c->scrypt_r, (uint32_t)c->scrypt_p, out) == -1)
		return NULL;
	return out;
}

/* Signs an access token for the user and session. */
/* roles: comma-separated slugs, for the token's roles claim. */
static enum iam_err
access_token(struct actx *x, const char *user_id, const char *org_id,
    const char *sid, const char *roles, struct tokens *t)
{
	struct env		*w = x->w;
	const struct jwt_key	*k;
	json_object		*c;
	unsigned char		 jti[16];
	time_t			 now = time(NULL);

	if (keys_refresh(&w->keys, &w->db, w->cfg, now, 0) == -1 &&
	    w->keys.n == 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	if ((k = keys_current(&w->keys, now)) == NULL) {
		if (keys_refresh(&w->keys, &w->db, w->cfg, now, 1) == -1 ||
		    (k = keys_current(&w->keys, now)) == NULL)
			return IAM_E_SERVICE_UNAVAILABLE;
	}
	if (crypto_random(jti, sizeof(jti)) == -1)
		return IAM_E_INTERNAL;
	c = json_object_new_object();
	json_object_object_add(c, "iss", dom_str(w->cfg->issuer_url));
	json_object_object_add(c, "sub", dom_str(user_id));
	json_object_object_add(c, "aud", dom_str(w->cfg->jwt_audience));
	json_object_object_add(c, "iat", json_object_new_int64(now));
	json_object_object_add(c, "exp",
	    json_object_new_int64(now + w->cfg->jwt_expires_in));
	json_object_object_add(c, "jti",
	    dom_str(b64url_encode(x->a, jti, sizeof(jti))));
	json_object_object_add(c, "scope", dom_str(""));
	json_object_object_add(c, "org", dom_str(org_id));
	json_object_object_add(c, "sid", dom_str(sid));
	json_object_object_add(c, "roles", dom_csv_array(roles));
	t->access = jwt_sign(x->a, k, c);
	json_object_put(c);
	if (t->access == NULL)
		return IAM_E_INTERNAL;
	t->expires_in = w->cfg->jwt_expires_in;
	metrics_event(EV_TOKEN_ISSUED);
	return IAM_OK;
}

/* Inserts a refresh token (in the open transaction). */
static enum iam_err
refresh_token(struct actx *x, const char *user_id, const char *sid,
    const char *family, const char *parent, int64_t expires,
    struct tokens *t, char **new_id)
{
	const char	*p[6];
	char		*hash;
	PGresult	*r;

	if (dom_fresh_secret(x, &t->refresh, &hash) == -1)
		return IAM_E_INTERNAL;
	p[0] = hash;
	p[1] = family;
	p[2] = parent;
	p[3] = sid;
	p[4] = user_id;
	p[5] = dom_num(x, expires);
	if ((r = store_exec(&x->w->db, STMT_REFRESH_INSERT, 6, p)) == NULL)
		return IAM_E_SERVICE_UNAVAILABLE;
	if (PQntuples(r) != 1) {	/* the session is gone */
		PQclear(r);
		return IAM_E_INVALID_TOKEN;
	}
	if (new_id != NULL)
		*new_id = arena_strdup(x->a, PQgetvalue(r, 0, 0));
	PQclear(r);
	return IAM_OK;
}

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
	if (dom_run(x, STMT_EMAIL_TOKEN_INSERT, 4, p) != IAM_OK)
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

enum iam_err
dom_user_insert(struct actx *x, const char *org, const char *email,
    const char *hash, const char *first, const char *last, const char *role,
    char **uid)
{
	const char	*p[3];
	PGresult	*r;
	enum iam_err	 e;

	p[0] = org;
	p[1] = email;
	p[2] = hash;
	if ((e = dom_query(x, STMT_USER_INSERT, 3, p, &r)) != IAM_OK)
		return e;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return dom_field(x, IAM_E_EMAIL_EXISTS, "email",
		    "An account with this email exists");
	}
	*uid = arena_strdup(x->a, PQgetvalue(r, 0, 0));
	PQclear(r);
	p[0] = *uid;
	p[1] = first ? first : "";
	p[2] = last ? last : "";
	if ((e = dom_run(x, STMT_PROFILE_INSERT, 3, p)) != IAM_OK)
		return e;
	if (role == NULL)
		return IAM_OK;
	p[0] = *uid;
	p[1] = org;
	p[2] = role;
	return dom_run(x, STMT_USER_ROLE_ADD_SLUG, 3, p);
}

enum iam_err
acct_org_policy(struct actx *x, const char *org, struct pwpolicy *pol)
{
	PGresult	*r;
	enum iam_err	 e;

	if ((e = dom_query(x, STMT_ORG_POLICY, 1, &org, &r)) != IAM_OK)
		return e;
	pwpolicy_from_json(pol, PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ?
	    dom_json(x, PQgetvalue(r, 0, 0)) : NULL);
	PQclear(r);
	return IAM_OK;
}

enum iam_err
acct_caller(struct actx *x, struct caller *c)
{
	PGresult	*r;
	enum iam_err	 e;
	int		 active;

	if ((e = dom_query(x, STMT_CALLER, 1, &x->user_id, &r)) != IAM_OK)
		return e;
	if (PQntuples(r) != 1 || x->org_id == NULL ||
	    strcmp(PQgetvalue(r, 0, 3), x->org_id) != 0) {
		PQclear(r);
		return IAM_E_INVALID_TOKEN;
	}
	active = strcmp(PQgetvalue(r, 0, 0), "active") == 0 &&
	    strcmp(PQgetvalue(r, 0, 1), "active") == 0;
	c->system_admin = PQgetvalue(r, 0, 2)[0] == 't';
	c->email = arena_strdup(x->a, PQgetvalue(r, 0, 4));
	c->perms = arena_strdup(x->a, PQgetvalue(r, 0, 5));
	PQclear(r);
	return active ? IAM_OK : IAM_E_ACCOUNT_SUSPENDED;
}

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
		return IAM_E_INTERNAL;
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
 * with the current parameters; its answer means nothing.
 */
static void
dummy_verify(struct env *w, const char *pw)
{
	int	burnt = dom_password_verify(w->dummy_hash, pw);

	(void)burnt;
}

/* Counts a failed attempt on an unknown address; 0 allowed, 1 over. */
static int
unknown_throttled(struct actx *x, const char *email, int64_t *retry)
{
	const struct config	*c = x->w->cfg;
	struct rl_result	 res;
	unsigned char		 d[32];
	char			*lower, *id, *p;

	if ((lower = arena_strdup(x->a, email)) == NULL)
		return 0;
	for (p = lower; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (crypto_sha256(lower, strlen(lower), d) == -1 ||
	    (id = hex_encode(x->a, d, 16)) == NULL)
		return 0;
	if (rl_hit(&x->w->rl, "login", id, c->lockout_threshold,
	    c->lockout_sec, time(NULL), &res) == 0) {
		*retry = res.reset;
		return 1;
	}
	return 0;
}

static enum iam_err
login_failed(struct actx *x, const char *uid, const char *email,
    const char *org, const char *reason)
{
	const struct config	*c = x->w->cfg;
	const char		*p[3];
	json_object		*d = json_object_new_object();

	metrics_event(EV_LOGIN_FAILED);
	log_kv(LOG_WARN, "security.login_failed", "ip", x->ip, LOG_END);
	json_object_object_add(d, "reason", dom_str(reason));
	if (uid != NULL) {
		p[0] = uid;
		p[1] = dom_num(x, c->lockout_threshold);
		p[2] = dom_num(x, c->lockout_sec);
		(void)dom_run(x, STMT_USER_LOGIN_FAILED, 3, p);
	}
	(void)audit(x, "auth.login_failed", 0, uid, email, "user", uid, org, d);
	json_object_put(d);
	return IAM_E_INVALID_CREDENTIALS;
}

/* The user's role slugs, comma-separated, from a sanitised user. */
static const char *
user_roles_csv(struct actx *x, json_object *u)
{
	json_object	*a = json_object_object_get(u, "roles");
	struct buf	 b;
	size_t		 i;

	buf_init(&b, x->a);
	for (i = 0; i < json_object_array_length(a); i++)
		buf_printf(&b, "%s%s", i ? "," : "", json_object_get_string(
		    json_object_array_get_idx(a, i)));
	return b.oom ? "" : b.len ? b.data : "";
}

/* Issues a session, a refresh family and an access token for a login. */
enum iam_err
dom_start_session(struct actx *x, const char *uid, const char *org,
    const char *email, const char *action, struct tokens *t)
{
	const struct config	*c = x->w->cfg;
	const char		*p[4];
	char			*sid;
	int64_t			 exp;
	PGresult		*r;
	enum iam_err		 e;

	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	p[0] = uid;
	p[1] = x->ip;
	if (strcmp(action, "auth.login") == 0 &&
	    (e = dom_run(x, STMT_USER_LOGIN_OK, 2, p)) != IAM_OK)
		goto out;
	p[0] = uid;
	p[1] = dom_num(x, c->jwt_refresh_expires_in);
	p[2] = x->ip;
	p[3] = x->ua;
	if ((r = store_exec(&x->w->db, STMT_SESSION_INSERT, 4, p)) == NULL) {
		e = IAM_E_SERVICE_UNAVAILABLE;
		goto out;
	}
	sid = arena_strdup(x->a, PQgetvalue(r, 0, 0));
	exp = atoll(PQgetvalue(r, 0, 1));
	PQclear(r);
	if ((e = refresh_token(x, uid, sid, NULL, NULL, exp, t, NULL)) !=
	    IAM_OK)
		goto out;
	if (audit(x, action, 1, uid, email, "session", sid, org, NULL) == -1) {
		e = IAM_E_SERVICE_UNAVAILABLE;
		goto out;
	}
	if ((e = dom_commit(x)) != IAM_OK)
		goto out;
	x->sid = sid;
	if ((t->user = acct_user(x, uid, 0, &e)) == NULL)
		return e;
	return access_token(x, uid, org, sid, user_roles_csv(x, t->user), t);
out:
	store_rollback(&x->w->db);
	return e;
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

	if ((r = store_exec(&w->db, STMT_USER_FOR_LOGIN, 1, &email)) == NULL)
		return IAM_E_SERVICE_UNAVAILABLE;
	if (PQntuples(r) != 1) {
		PQclear(r);
		/* Same answer and the same work as for a known address. */
		if (unknown_throttled(x, email, &x->retry_after))
			return IAM_E_TOO_MANY_ATTEMPTS;
		dummy_verify(w, password);
		return login_failed(x, NULL, email, NULL, "unknown");
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
	if (locked > time(NULL)) {
		x->retry_after = locked - time(NULL);
		return IAM_E_TOO_MANY_ATTEMPTS;
	}
	if (ok)
		ok = dom_password_verify(stored, password);
	else
		dummy_verify(w, password);	/* no password set: same cost */
	if (ok == -1)
		return IAM_E_INTERNAL;
	if (ok == 0)
		return login_failed(x, uid, email, org, "password");
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

/* The row of a presented refresh token, locked (open transaction). */
static enum iam_err
refresh_row(struct actx *x, const char *token, PGresult **r)
{
	char		*hash;
	enum iam_err	 e;

	if ((hash = dom_secret_hash(x, token)) == NULL)
		return IAM_E_INTERNAL;
	if ((e = dom_query(x, STMT_REFRESH_LOOKUP, 1, (const char **)&hash,
	    r)) != IAM_OK)
		return e;
	if (PQntuples(*r) == 1)
		return IAM_OK;
	PQclear(*r);
	return IAM_E_INVALID_TOKEN;
}

enum iam_err
acct_refresh(struct actx *x, const char *refresh, struct tokens *t)
{
	const char	*p[2];
	char		*id, *family, *sid, *uid, *email, *org, *nid;
	char		*roles;
	int		 spent, expired, ended, inactive;
	int64_t		 exp;
	PGresult	*r;
	enum iam_err	 e;
	json_object	*d;

	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	/* The row lock makes concurrent refreshes of one token take turns. */
	if ((e = refresh_row(x, refresh, &r)) != IAM_OK)
		goto out;
	id = arena_strdup(x->a, PQgetvalue(r, 0, 0));
	family = arena_strdup(x->a, PQgetvalue(r, 0, 1));
	sid = arena_strdup(x->a, PQgetvalue(r, 0, 2));
	uid = arena_strdup(x->a, PQgetvalue(r, 0, 3));
	spent = PQgetvalue(r, 0, 4)[0] == 't';
	expired = PQgetvalue(r, 0, 5)[0] == 't';
	ended = PQgetvalue(r, 0, 6)[0] == 't';
	inactive = strcmp(PQgetvalue(r, 0, 7), "active") != 0 ||
	    PQgetvalue(r, 0, 8)[0] == 't' ||
	    strcmp(PQgetvalue(r, 0, 9), "active") != 0;
	exp = atoll(PQgetvalue(r, 0, 10));
	email = arena_strdup(x->a, PQgetvalue(r, 0, 11));
	org = arena_strdup(x->a, PQgetvalue(r, 0, 12));
	roles = arena_strdup(x->a, PQgetvalue(r, 0, 13));
	PQclear(r);
	if (spent) {
		/* A spent token came back: someone holds a copy.  End the
		 * whole family and its session, and say so. */
		p[0] = family;
		if ((e = dom_run(x, STMT_REFRESH_REVOKE_FAMILY, 1, p)) != IAM_OK)
			goto out;
		p[0] = sid;
		p[1] = uid;
		if ((e = dom_run(x, STMT_SESSION_REVOKE, 2, p)) != IAM_OK)
			goto out;
		d = json_object_new_object();
		json_object_object_add(d, "family", dom_str(family));
		(void)audit(x, "token.reuse_detected", 0, uid, email,
		    "session", sid, org, d);
		json_object_put(d);
		metrics_event(EV_TOKEN_REVOKED);
		log_kv(LOG_WARN, "security.refresh_reuse", "ip", x->ip,
		    LOG_END);
		if ((e = dom_commit(x)) == IAM_OK)
			e = IAM_E_INVALID_TOKEN;
		goto out;
	}
	if (expired || ended || inactive) {
		e = IAM_E_INVALID_TOKEN;
		goto out;
	}
	if ((e = refresh_token(x, uid, sid, family, id, exp, t, &nid)) !=
	    IAM_OK)
		goto out;
	p[0] = id;
	p[1] = nid;
	if ((e = dom_run(x, STMT_REFRESH_MARK_REPLACED, 2, p)) != IAM_OK)
		goto out;
	if (audit(x, "token.refresh", 1, uid, email, "session", sid, org,
	    NULL) == -1) {
		e = IAM_E_SERVICE_UNAVAILABLE;
		goto out;
	}
	if ((e = dom_commit(x)) != IAM_OK)
		goto out;
	metrics_event(EV_TOKEN_REFRESHED);
	x->sid = sid;
	/* A new pair is the answer; the user is not read again. */
	t->user = NULL;
	return access_token(x, uid, org, sid, roles, t);
out:
	store_rollback(&x->w->db);
	return e;
}

/* Ends one session of uid and its refresh tokens (open transaction). */
static enum iam_err
end_session(struct actx *x, const char *sid, const char *uid)
{
	const char	*p[2] = { sid, uid };
	enum iam_err	 e;

	if ((e = dom_run(x, STMT_SESSION_REVOKE, 2, p)) != IAM_OK)
		return e;
	return dom_run(x, STMT_SESSION_REVOKE_TOKENS, 1, p);
}

enum iam_err
acct_logout(struct actx *x, const char *refresh)
{
	const char	*sid = x->sid, *uid = x->user_id;
	PGresult	*r;
	enum iam_err	 e;

	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if (refresh != NULL) {
		if ((e = refresh_row(x, refresh, &r)) != IAM_OK)
			goto out;
		sid = arena_strdup(x->a, PQgetvalue(r, 0, 2));
		uid = arena_strdup(x->a, PQgetvalue(r, 0, 3));
		PQclear(r);
	}
	if (sid == NULL || uid == NULL) {
		e = IAM_E_UNAUTHORIZED;
		goto out;
	}
	if ((e = end_session(x, sid, uid)) != IAM_OK)
		goto out;
	(void)audit(x, "auth.logout", 1, uid, NULL, "session", sid, x->org_id,
	    NULL);
	metrics_event(EV_TOKEN_REVOKED);
	e = dom_commit(x);
out:
	if (e != IAM_OK)
		store_rollback(&x->w->db);
	return e;
}

/* Ends every session of uid, or every one but keep (open transaction). */
enum iam_err
dom_end_all(struct actx *x, const char *uid, const char *keep)
{
	const char	*p[2] = { uid, keep };
	enum iam_err	 e;

	if (keep == NULL) {
		if ((e = dom_run(x, STMT_USER_REVOKE_SESSIONS, 1, p)) != IAM_OK)
			return e;
		return dom_run(x, STMT_USER_REVOKE_TOKENS, 1, p);
	}
	if ((e = dom_run(x, STMT_USER_REVOKE_OTHER_SESSIONS, 2, p)) != IAM_OK)
		return e;
	return dom_run(x, STMT_USER_REVOKE_OTHER_TOKENS, 2, p);
}

/* Ends the caller's sessions (all, or all but keep), audited as action. */
static enum iam_err
end_caller_sessions(struct actx *x, const char *keep, const char *action)
{
	enum iam_err	e;

	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = dom_end_all(x, x->user_id, keep)) == IAM_OK) {
		(void)audit(x, action, 1, x->user_id, NULL, "user", x->user_id,
		    x->org_id, NULL);
		e = dom_commit(x);
	}
	if (e != IAM_OK)
		store_rollback(&x->w->db);
	return e;
}

enum iam_err
acct_logout_all(struct actx *x)
{
	return end_caller_sessions(x, NULL, "auth.logout_all");
}

/* Consumes a one-time token (open transaction): *uid, or INVALID_TOKEN. */
static enum iam_err
consume(struct actx *x, const char *token, const char *purpose, char **uid)
{
	const char	*p[2];
	PGresult	*r;

	if ((p[0] = dom_secret_hash(x, token)) == NULL)
		return IAM_E_INTERNAL;
	p[1] = purpose;
	if ((r = store_exec(&x->w->db, STMT_EMAIL_TOKEN_CONSUME, 2, p)) ==
	    NULL)
		return IAM_E_SERVICE_UNAVAILABLE;
	if (PQntuples(r) != 1) {
		PQclear(r);
		x->field = "token";
		return IAM_E_INVALID_ONE_TIME_TOKEN;
	}
	*uid = arena_strdup(x->a, PQgetvalue(r, 0, 0));
	PQclear(r);
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
	    (e = dom_run(x, STMT_USER_VERIFY_EMAIL, 1, (const char **)&uid)) !=
	    IAM_OK)
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
	PGresult	*r;

	if ((r = store_exec(&x->w->db, STMT_USER_FOR_EMAIL, 1, &email)) ==
	    NULL)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return 0;
	}
	*uid = arena_strdup(x->a, PQgetvalue(r, 0, 0));
	*addr = arena_strdup(x->a, PQgetvalue(r, 0, 1));
	*verified = PQgetvalue(r, 0, 2)[0] == 't';
	*org = arena_strdup(x->a, PQgetvalue(r, 0, 4));
	PQclear(r);
	return 1;
}

/* Sends a token mail if the address is known (and, for verification,
 * not yet verified).  The caller answers 202 either way. */
static enum iam_err
mail_if_known(struct actx *x, const char *email, const char *purpose)
{
	char		*uid, *addr, *org;
	int		 verified, found;
	enum iam_err	 e;

	if ((found = find_email(x, email, &uid, &addr, &verified, &org)) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if (found && !(verified && strcmp(purpose, "verify") == 0)) {
		if ((e = dom_token_mail(x, uid, addr, purpose)) != IAM_OK)
			goto out;
		(void)audit(x, strcmp(purpose, "verify") == 0 ?
		    "email.verification_sent" : "password.reset_requested", 1,
		    NULL, NULL, "user", uid, org, NULL);
	} else
		(void)audit(x, strcmp(purpose, "verify") == 0 ?
		    "email.verification_sent" : "password.reset_requested", 0,
		    NULL, NULL, NULL, NULL, NULL, NULL);
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
	const char	*p[2], *why;
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
		return IAM_E_INTERNAL;
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
	p[0] = uid;
	p[1] = hash;
	if ((e = dom_run(x, STMT_USER_RESET_PASSWORD, 2, p)) != IAM_OK ||
	    (e = dom_end_all(x, uid, NULL)) != IAM_OK)
		goto out;
	(void)audit(x, "password.reset", 1, uid, NULL, "user", uid, NULL,
	    NULL);
	e = dom_commit(x);
out:
	if (e != IAM_OK)
		store_rollback(&x->w->db);
	return e;
}

void
dom_put(void *o)
{
	json_object_put(o);
}

json_object *
acct_user(struct actx *x, const char *uid, int with_permissions,
    enum iam_err *err)
{
	json_object	*u, *o;
	PGresult	*r;
	struct buf	 b;
	size_t		 i;

	if ((r = store_exec(&x->w->db, STMT_USER_GET, 1, &uid)) == NULL) {
		*err = IAM_E_SERVICE_UNAVAILABLE;
		return NULL;
	}
	if (PQntuples(r) != 1) {
		PQclear(r);
		*err = IAM_E_NOT_FOUND;
		return NULL;
	}
	/* The one writer of the shape (lists use it too). */
	buf_init(&b, x->a);
	dom_user_text(&b, r, 0);
	if (b.oom || (u = json_tokener_parse(b.data)) == NULL) {
		PQclear(r);
		*err = IAM_E_INTERNAL;
		return NULL;
	}
	if (with_permissions) {
		/* Every listed permission the held set covers. */
		o = json_object_new_array();
		for (i = 0; i < nperm_list; i++)
			if (perm_has(PQgetvalue(r, 0, UCOL_PERMS),
			    perm_list[i].name))
				json_object_array_add(o, json_object_new_string(
				    perm_list[i].name));
		json_object_object_add(u, "permissions", o);
	}
	PQclear(r);
	if (arena_defer(x->a, dom_put, u) == -1) {
		json_object_put(u);
		*err = IAM_E_INTERNAL;
		return NULL;
	}
	return u;
}

/* The caller's stored password hash, checked against pw: IAM_OK,
 * INVALID_CREDENTIALS or an error. */
static enum iam_err
check_password(struct actx *x, const char *pw)
{
	PGresult	*r;
	int		 ok;

	if ((r = store_exec(&x->w->db, STMT_USER_GET, 1, &x->user_id)) ==
	    NULL)
		return IAM_E_SERVICE_UNAVAILABLE;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return IAM_E_UNAUTHORIZED;
	}
	ok = PQgetisnull(r, 0, UCOL_HASH) ? 0 :
	    dom_password_verify(PQgetvalue(r, 0, UCOL_HASH), pw);
	PQclear(r);
	if (ok == -1)
		return IAM_E_INTERNAL;
	return ok ? IAM_OK : IAM_E_INVALID_CREDENTIALS;
}

static const char *
field_text(json_object *f, const char *key)
{
	json_object	*v;

	if (!json_object_object_get_ex(f, key, &v))
		return NULL;
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

static const char *
field_str(json_object *f, const char *key)
{
	json_object	*v;

	if (!json_object_object_get_ex(f, key, &v))
		return NULL;
	return json_object_get_string(v);
}

enum iam_err
acct_update_profile(struct actx *x, json_object *f)
{
	const char	*p[6];
	enum iam_err	 e;
	json_object	*d;

	p[0] = x->user_id;
	p[1] = field_str(f, "firstName");
	p[2] = field_str(f, "lastName");
	p[3] = field_str(f, "phone");
	p[4] = field_text(f, "preferences");
	p[5] = field_text(f, "addresses");
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = dom_run(x, STMT_PROFILE_UPDATE, 6, p)) == IAM_OK) {
		d = json_object_new_array();
		json_object_object_foreach(f, k, v) {
			(void)v;
			json_object_array_add(d, dom_str(k));
		}
		(void)audit(x, "user.update", 1, x->user_id, NULL, "user",
		    x->user_id, x->org_id, d);
		json_object_put(d);
		e = dom_commit(x);
	}
	if (e != IAM_OK)
		store_rollback(&x->w->db);
	return e;
}

enum iam_err
acct_change_password(struct actx *x, const char *current, const char *next)
{
	const char	*p[2], *why;
	char		*hash;
	json_object	*u;
	enum iam_err	 e;
	struct pwpolicy	 pol;

	if ((e = check_password(x, current)) != IAM_OK) {
		if (e == IAM_E_INVALID_CREDENTIALS)
			(void)audit(x, "password.change", 0, x->user_id, NULL,
			    "user", x->user_id, x->org_id, NULL);
		return e;
	}
	if ((u = acct_user(x, x->user_id, 0, &e)) == NULL ||
	    (e = acct_org_policy(x, x->org_id, &pol)) != IAM_OK)
		return e;
	if ((e = password_policy(x, &pol, next, json_object_get_string(
	    json_object_object_get(u, "email")), &why)) != IAM_OK) {
		x->field = "newPassword";
		x->message = why;
		return e;
	}
	if ((hash = dom_hash_password(x, next)) == NULL)
		return IAM_E_INTERNAL;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	p[0] = x->user_id;
	p[1] = hash;
	if ((e = dom_run(x, STMT_USER_CHANGE_PASSWORD, 2, p)) != IAM_OK ||
	    (e = dom_end_all(x, x->user_id, x->sid)) != IAM_OK)
		goto out;
	(void)audit(x, "password.change", 1, x->user_id, NULL, "user",
	    x->user_id, x->org_id, NULL);
	e = dom_commit(x);
out:
	if (e != IAM_OK)
		store_rollback(&x->w->db);
	return e;
}

enum iam_err
acct_sessions(struct actx *x, json_object **list)
{
	PGresult	*r;
	json_object	*a, *s;
	int		 i;

	if ((r = store_exec(&x->w->db, STMT_SESSIONS_LIST, 1, &x->user_id)) ==
	    NULL)
		return IAM_E_SERVICE_UNAVAILABLE;
	a = json_object_new_array();
	for (i = 0; i < PQntuples(r); i++) {
		s = json_object_new_object();
		json_object_object_add(s, "id", dom_str(PQgetvalue(r, i, 0)));
		json_object_object_add(s, "createdAt", dom_str(PQgetvalue(r, i, 1)));
		json_object_object_add(s, "lastSeenAt",
		    dom_str(PQgetvalue(r, i, 2)));
		json_object_object_add(s, "expiresAt", dom_str(PQgetvalue(r, i, 3)));
		json_object_object_add(s, "ip", dom_str(PQgetvalue(r, i, 4)));
		json_object_object_add(s, "userAgent", dom_str(PQgetvalue(r, i, 5)));
		json_object_object_add(s, "current", json_object_new_boolean(
		    x->sid != NULL && strcmp(x->sid, PQgetvalue(r, i, 0)) == 0));
		json_object_array_add(a, s);
	}
	PQclear(r);
	*list = a;
	return IAM_OK;
}

enum iam_err
acct_end_session(struct actx *x, const char *sid)
{
	const char	*p[2] = { sid, x->user_id };
	PGresult	*r;
	enum iam_err	 e;
	int		 found;

	if (!uuid_valid(sid))
		return IAM_E_NOT_FOUND;
	if ((r = store_exec(&x->w->db, STMT_SESSION_OF_USER, 2, p)) == NULL)
		return IAM_E_SERVICE_UNAVAILABLE;
	found = PQntuples(r) == 1;
	PQclear(r);
	if (!found)
		return IAM_E_NOT_FOUND;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = end_session(x, sid, x->user_id)) == IAM_OK) {
		(void)audit(x, "session.revoke", 1, x->user_id, NULL,
		    "session", sid, x->org_id, NULL);
		e = dom_commit(x);
	}
	if (e != IAM_OK)
		store_rollback(&x->w->db);
	return e;
}

enum iam_err
acct_end_other_sessions(struct actx *x)
{
	return end_caller_sessions(x, x->sid, "session.revoke_others");
}

enum iam_err
acct_export(struct actx *x, json_object **doc)
{
	PGresult	*r;
	json_object	*u, *extra;
	enum iam_err	 e;

	if ((u = acct_user(x, x->user_id, 1, &e)) == NULL)
		return e;
	if ((r = store_exec(&x->w->db, STMT_USER_EXPORT, 1, &x->user_id)) ==
	    NULL)
		return IAM_E_SERVICE_UNAVAILABLE;
	extra = json_tokener_parse(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (extra == NULL)
		return IAM_E_INTERNAL;
	json_object_object_add(extra, "user", json_object_get(u));
	(void)audit(x, "user.export", 1, x->user_id, NULL, "user", x->user_id,
	    x->org_id, NULL);
	*doc = extra;
	return IAM_OK;
}

enum iam_err
acct_delete(struct actx *x, const char *password)
{
	const char	*p[2] = { x->org_id, x->user_id };
	PGresult	*r;
	enum iam_err	 e;
	int		 owner;

	if ((e = check_password(x, password)) != IAM_OK)
		return e;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = dom_query(x, STMT_MEMBER_GET, 2, p, &r)) != IAM_OK)
		goto out;
	owner = PQntuples(r) == 1 &&
	    PQgetvalue(r, 0, UCOL_OWNER)[0] == 't';
	PQclear(r);
	/* The last owner may not leave its organisation without one. */
	if ((owner && (e = dom_not_last_owner(x, x->org_id, x->user_id)) !=
	    IAM_OK) ||
	    (e = dom_run(x, STMT_USER_SOFT_DELETE, 1, &x->user_id)) != IAM_OK ||
	    (e = dom_end_all(x, x->user_id, NULL)) != IAM_OK ||
	    (e = dom_revoke(x, "user", x->user_id)) != IAM_OK)
		goto out;
	(void)audit(x, "user.delete", 1, x->user_id, NULL, "user", x->user_id,
	    x->org_id, NULL);
	if ((e = dom_commit(x)) == IAM_OK)
		dom_settle(x);
out:
	if (e != IAM_OK)
		store_rollback(&x->w->db);
	return e;
}
