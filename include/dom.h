/*
 * dom.h: what the domain files share (dom.c, and the signing-in files
 * login.c, sessions.c, tokens.c, email.c, self.c, users.c).  Not for
 * handlers: they see the domain through accounts.h and admin.h.
 * Everything returned lives in the actx's arena unless said otherwise.
 */
#ifndef IAM_DOM_H
#define IAM_DOM_H

#include <json-c/json.h>
#include <stdint.h>

#include "accounts.h"
#include "arena.h"
#include "admin.h"
#include "store.h"

/* A JSON string, or NULL (JSON null) for NULL. */
json_object	*dom_str(const char *s);
char		*dom_num(struct actx *, int64_t v);
/* The store form ("\x" hex) of a presented secret's SHA-256. */
char		*dom_secret_hash(struct actx *, const char *plain);
/* A fresh 256-bit bearer secret and its store hash. 0 or -1. */
int		 dom_fresh_secret(struct actx *, char **plain, char **hash);
char		*dom_hash_password(struct actx *, const char *pw);
/* The memcached key an address is counted under (a hash, never it). */
char		*dom_address_key(struct actx *, const char *email);
/* The canonical key accounts are found by ("" for an address that has
 * none: it matches nothing). */
char		*dom_email_key(struct actx *, const char *email);
/* crypto_password_verify's 1 / 0 / -1 through the hash cap, or
 * DOM_HASH_BUSY when every slot is taken (answer 503). */
#define DOM_HASH_BUSY	(-2)
int		 dom_password_verify(const char *stored, const char *pw);
/* What a NULL from dom_hash_password means: 503 when the cap refused,
 * else 500. */
enum iam_err	 dom_hash_failed(const struct actx *);

enum iam_err	 dom_begin(struct actx *);
enum iam_err	 dom_commit(struct actx *);
/* Rolls back the open transaction when e is an error; returns e. */
enum iam_err	 dom_end(struct actx *, enum iam_err e);
/* Sets a validation answer naming field: returns e. */
enum iam_err	 dom_field(struct actx *, enum iam_err e, const char *field,
		    const char *msg);
/* Parses JSON text from the store, however deep what was stored may
 * nest; the caller owns the result (NULL, logged, when unreadable). */
json_object	*dom_parse(const char *text);
/* dom_parse, and the arena releases it. */
json_object	*dom_json(struct actx *, const char *text);
/* Hands a json object to the arena (released with it); returns o. */
json_object	*dom_keep(struct actx *, json_object *o);

/* Queues a verification or reset mail (purpose "verify" or "reset"). */
enum iam_err	 dom_token_mail(struct actx *, const char *user_id,
		    const char *email, const char *purpose);
/* Ends every session and refresh token of uid but keep (may be NULL). */
enum iam_err	 dom_end_all(struct actx *, const char *uid,
		    const char *keep);
/* A session, refresh family and access token for uid (own tx). */
/* A browser session for a sign-in: cookie values into *b, audited
 * auth.login and session.create. */
struct browser_login;
enum iam_err	 dom_start_browser(struct actx *, const char *uid,
		    const char *org, const char *email, struct browser_login *);
enum iam_err	 dom_start_session(struct actx *, const char *uid,
		    const char *org, const char *email, const char *action,
		    struct tokens *);
void		 dom_put(void *json_object);

/* login.c: a failed password check of uid (NULL: unknown address):
 * counted toward the account's lockout, logged, audited.  Returns
 * INVALID_CREDENTIALS. */
enum iam_err	 dom_login_failed(struct actx *, const char *uid,
		    const char *email, const char *org, const char *reason);

/* tokens.c: an access token (t->access, t->expires_in) for uid's
 * session sid with roles (comma list), and a refresh token of the session
 * (t->refresh; its row id in *new_id when asked), in the open tx. */
enum iam_err	 dom_access_token(struct actx *, const char *uid,
		    const char *org, const char *sid, const char *email,
		    const char *roles,
		    struct tokens *);
/* An access token of a client itself (client_credentials): sub and aud
 * its client_id, with scope. */
enum iam_err	 dom_client_token(struct actx *, const char *client_id,
		    const char *org, const char *scope, struct tokens *);
enum iam_err	 dom_refresh_token(struct actx *, const char *uid,
		    const char *sid, const char *family, const char *parent,
		    int64_t expires, struct tokens *, char **new_id);

/* dom.c */
/* Audits a successful action of the caller (open tx): IAM_OK or 503. */
enum iam_err	 dom_audit(struct actx *, const char *action,
		    const char *target_type, const char *target_id,
		    json_object *details);
/*
 * Voids the access tokens of scope ("all", "org", "user") issued until
 * now (open tx); every worker hears of it at commit.  Remembers the
 * cutoff in x for dom_settle.
 */
enum iam_err	 dom_revoke(struct actx *, const char *scope,
		    const char *subject);
/* After commit: waits until the cutoff of dom_revoke has passed, so a
 * token issued after the answer is not void. */
void		 dom_settle(struct actx *);
/*
 * CONFLICT (with a message) if uid is its organisation's only owner;
 * takes the organisation's lock in the open transaction first.
 */
enum iam_err	 dom_not_last_owner(struct actx *, const char *org,
		    const char *uid);
/* The string member key of o, or NULL. */
const char	*dom_jstr(json_object *o, const char *key);
/*
 * The fields of store_profile_update from a profile (NULL: keep
 * the stored value), and the names of the fields it gives, added to the
 * JSON array names (for the audit event).  Returns 1 if any was given.
 */
int		 dom_profile(const struct profile_in *, const char *p[5],
		    json_object *names);
/* IAM_OK, or SERVICE_UNAVAILABLE for a store call that answered <0. */
enum iam_err	 dom_db(int rc);
/* The strings of sl as a JSON array (kept by the arena). */
json_object	*dom_strlist_json(struct actx *, const struct strlist *);
/*
 * Appends the sanitised user u (store_user.h) to b as JSON: the one
 * writer of the shape, for one user and for lists alike.
 */
struct user_row;
void		 dom_user_text(struct buf *b, const struct user_row *);
/* A JSON array of the items of a comma-separated list. */
json_object	*dom_csv_array(const char *csv);
/* 1 if slug is in the comma-separated list csv. */
int		 dom_csv_has(const char *csv, const char *slug);
/*
 * Creates a user (hash may be NULL: no password yet) with an empty
 * profile and, when role is set, that role: in the open transaction.
 * EMAIL_EXISTS (field email) when a live account has the address.
 */
enum iam_err	 dom_user_insert(struct actx *, const char *org,
		    const char *email, const char *hash, const char *first,
		    const char *last, const char *role, char **uid);

#endif
