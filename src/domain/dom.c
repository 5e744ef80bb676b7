/*
 * dom.c: what every domain file shares: statements through the store with
 * the three-way answer kept (IAM_OK, not found, unavailable), transactions,
 * validation answers, JSON kept in the arena, bearer secrets and password
 * hashes, auditing the caller's action, voiding access tokens, lists as
 * text.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "crypto.h"
#include "dom.h"
#include "revoke.h"
#include "store_admin.h"
#include "store_user.h"
#include "env.h"
#include "hashcap.h"
#include "ident.h"
#include "log.h"
#include "metrics.h"
#include "text.h"

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

/*
 * What the store hands back was checked on its way in, but documents
 * nest what was stored a few levels deeper (user -> profile ->
 * preferences), and rows written before a bound was tightened must stay
 * readable: read with four times the request's depth.
 */
#define READ_DEPTH	128

json_object *
dom_parse(const char *text)
{
	json_tokener	*t;
	json_object	*o;

	if (text == NULL || (t = json_tokener_new_ex(READ_DEPTH)) == NULL)
		return NULL;
	o = json_tokener_parse_ex(t, text, (int)strlen(text) + 1);
	if (json_tokener_get_error(t) != json_tokener_success) {
		log_kv(LOG_ERROR, "json.unreadable", "error",
		    json_tokener_error_desc(json_tokener_get_error(t)),
		    LOG_END);
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(t);
	return o;
}

json_object *
dom_json(struct actx *x, const char *text)
{
	return dom_keep(x, dom_parse(text));
}

/*
 * Checks pw against a stored hash (crypto_password_verify's answer), and
 * counts the hash in iam_password_hashes_total: every path of a password
 * check spends exactly one, which a test reads off the metric.
 */
int
dom_password_verify(const char *stored, const char *pw)
{
	int	slot, rc;

	if ((slot = hashcap_acquire()) == HASHCAP_BUSY)
		return DOM_HASH_BUSY;
	metrics_event(EV_PASSWORD_HASH);
	rc = crypto_password_verify(stored, pw);
	hashcap_release(slot);
	return rc;
}

/*
 * The key an address is counted under (mail throttles in memcached, the
 * login throttle of unknown addresses): the SHA-256 of its lower-cased
 * form, in hex, so no address is stored and every key is a safe
 * memcached key.  NULL on failure.
 */
char *
dom_address_key(struct actx *x, const char *email)
{
	unsigned char	 d[32];
	char		*lower, *p;

	if ((lower = arena_strdup(x->a, email)) == NULL)
		return NULL;
	for (p = lower; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (crypto_sha256(lower, strlen(lower), d) == -1)
		return NULL;
	return hex_encode(x->a, d, sizeof(d));
}

/*
 * The canonical key of an address (ident.c) in the arena: what accounts
 * are looked up and kept unique by.  An address that has none (mixed
 * scripts, a bad domain) gets "", which matches no account.
 */
char *
dom_email_key(struct actx *x, const char *email)
{
	char		 key[IDENT_KEY_MAX];
	const char	*why;

	if (email == NULL || ident_email_key(email, key, sizeof(key),
	    &why) != 1)
		return arena_strdup(x->a, "");
	return arena_strdup(x->a, key);
}

/* Hashes a password with the configured parameters into the arena. */
char *
dom_hash_password(struct actx *x, const char *pw)
{
	const struct config	*c = x->w->cfg;
	char			*out;
	int			 slot, rc;

	x->hash_busy = 0;
	if ((out = arena_alloc(x->a, CRYPTO_PASSWORD_LEN)) == NULL)
		return NULL;
	if ((slot = hashcap_acquire()) == HASHCAP_BUSY) {
		x->hash_busy = 1;
		return NULL;
	}
	metrics_event(EV_PASSWORD_HASH);
	rc = crypto_password_hash(pw, (uint64_t)c->scrypt_n,
	    (uint32_t)c->scrypt_r, (uint32_t)c->scrypt_p, out);
	hashcap_release(slot);
	return rc == -1 ? NULL : out;
}

enum iam_err
dom_hash_failed(const struct actx *x)
{
	return x->hash_busy ? IAM_E_SERVICE_UNAVAILABLE : IAM_E_INTERNAL;
}

void
dom_put(void *o)
{
	json_object_put(o);
}

enum iam_err
dom_audit(struct actx *x, const char *action, const char *target_type,
    const char *target_id, json_object *details)
{
	return audit(x, action, 1, x->user_id, x->email, target_type,
	    target_id, x->org_id, details) == 0 ? IAM_OK :
	    IAM_E_SERVICE_UNAVAILABLE;
}

enum iam_err
dom_revoke(struct actx *x, const char *scope, const char *subject)
{
	return revoke_record(&x->w->db, scope, subject, &x->cutoff) == -1 ?
	    IAM_E_SERVICE_UNAVAILABLE : IAM_OK;
}

void
dom_settle(struct actx *x)
{
	struct timespec	now, d;

	if (x->cutoff == 0)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec >= x->cutoff)
		return;
	d.tv_sec = x->cutoff - now.tv_sec - 1;
	d.tv_nsec = 1000000000L - now.tv_nsec;
	if (d.tv_nsec >= 1000000000L) {
		d.tv_sec++;
		d.tv_nsec -= 1000000000L;
	}
	while (nanosleep(&d, &d) == -1 && errno == EINTR)
		;
}

json_object *
dom_csv_array(const char *csv)
{
	json_object	*a = json_object_new_array();
	const char	*p = csv, *c;

	while (p != NULL && *p != '\0') {
		c = strchr(p, ',');
		json_object_array_add(a, c ? json_object_new_string_len(p,
		    (int)(c - p)) : json_object_new_string(p));
		p = c ? c + 1 : NULL;
	}
	return a;
}

int
dom_csv_has(const char *csv, const char *slug)
{
	size_t		 n = strlen(slug);
	const char	*p = csv, *c;

	while (p != NULL && *p != '\0') {
		c = strchr(p, ',');
		if ((c ? (size_t)(c - p) : strlen(p)) == n &&
		    strncmp(p, slug, n) == 0)
			return 1;
		p = c ? c + 1 : NULL;
	}
	return 0;
}

enum iam_err
dom_not_last_owner(struct actx *x, const char *org, const char *uid)
{
	int64_t	others;

	if ((others = store_owners_other(&x->w->db, org, uid)) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	if (others > 0)
		return IAM_OK;
	x->message = "The organisation must keep an owner";
	return IAM_E_CONFLICT;
}

const char *
dom_jstr(json_object *o, const char *key)
{
	json_object	*v;

	return json_object_object_get_ex(o, key, &v) && v != NULL ?
	    json_object_get_string(v) : NULL;
}

enum iam_err
dom_db(int rc)
{
	return rc < 0 ? IAM_E_SERVICE_UNAVAILABLE : IAM_OK;
}

int
dom_profile(const struct profile_in *in, const char *p[5],
    json_object *names)
{
	static const char *const key[] = { "firstName", "lastName", "phone",
	    "preferences", "addresses" };
	size_t	i;
	int	any = 0;

	p[0] = in->first;
	p[1] = in->last;
	p[2] = in->phone;
	p[3] = in->preferences != NULL ? json_object_to_json_string_ext(
	    in->preferences, JSON_C_TO_STRING_PLAIN) : NULL;
	p[4] = in->addresses != NULL ? json_object_to_json_string_ext(
	    in->addresses, JSON_C_TO_STRING_PLAIN) : NULL;
	for (i = 0; i < 5; i++)
		if (p[i] != NULL) {
			any = 1;
			if (names != NULL)
				json_object_array_add(names,
				    json_object_new_string(key[i]));
		}
	return any;
}

json_object *
dom_strlist_json(struct actx *x, const struct strlist *sl)
{
	json_object	*a = dom_keep(x, json_object_new_array());
	size_t		 i;

	for (i = 0; a != NULL && i < sl->n; i++)
		json_object_array_add(a, json_object_new_string(sl->v[i]));
	return a;
}

/* "name":"escaped", (comma first unless first) */
static void
jkey_str(struct buf *b, const char *key, const char *v, int first)
{
	buf_printf(b, "%s\"%s\":\"", first ? "" : ",", key);
	buf_json_str(b, v, strlen(v));
	buf_putc(b, '"');
}

static void
jkey_time(struct buf *b, const char *key, int set, int64_t v)
{
	char		t[32];
	time_t		s;
	struct tm	tm;

	if (!set) {
		buf_printf(b, ",\"%s\":null", key);
		return;
	}
	s = (time_t)v;
	gmtime_r(&s, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_printf(b, ",\"%s\":\"%s\"", key, t);
}

void
dom_user_text(struct buf *b, const struct user_row *u)
{
	const char	*roles = u->roles, *c;

	buf_putc(b, '{');
	jkey_str(b, "id", u->id, 1);
	jkey_str(b, "email", u->email, 0);
	buf_printf(b, ",\"emailVerified\":%s", u->verified ? "true" :
	    "false");
	jkey_str(b, "status", u->status, 0);
	buf_puts(b, ",\"organisation\":{");
	jkey_str(b, "id", u->org_id, 1);
	jkey_str(b, "slug", u->org_slug, 0);
	jkey_str(b, "name", u->org_name, 0);
	buf_puts(b, "},\"roles\":[");
	while (*roles != '\0') {
		c = strchr(roles, ',');
		buf_putc(b, '"');
		buf_json_str(b, roles, c ? (size_t)(c - roles) : strlen(roles));
		buf_putc(b, '"');
		if (c == NULL)
			break;
		buf_putc(b, ',');
		roles = c + 1;
	}
	buf_puts(b, "],\"profile\":{");
	jkey_str(b, "firstName", u->first, 1);
	jkey_str(b, "lastName", u->last, 0);
	jkey_str(b, "phone", u->phone, 0);
	/* jsonb's text: already JSON */
	buf_printf(b, ",\"preferences\":%s,\"addresses\":%s}",
	    u->preferences, u->addresses);
	buf_puts(b, ",\"mfaEnabled\":false");
	jkey_time(b, "createdAt", 1, u->created);
	jkey_time(b, "updatedAt", 1, u->updated);
	jkey_time(b, "lastLoginAt", u->has_last_login, u->last_login);
	buf_putc(b, '}');
}
