/*
 * invites.c: invitations.  An invitation names an address and a role;
 * its link carries a 256-bit token stored only as a hash, good once and
 * until it expires (INVITATION_EXPIRES_IN).  Accepting creates the member,
 * verified, with that role.  Inviting with a role needs its permissions.
 */
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "conf.h"
#include "dom.h"
#include "perm.h"
#include "env.h"

enum iam_err
invite_list(struct actx *x, struct listq *lq)
{
	const char	*p[3];
	PGresult	*r;
	enum iam_err	 e;

	if ((e = dom_query(x, STMT_INVITE_COUNT, 1, &x->org_id, &r)) != IAM_OK)
		return e;
	lq->total = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	p[0] = x->org_id;
	p[1] = dom_num(x, lq->limit);
	p[2] = dom_num(x, lq->offset);
	if ((e = dom_query(x, STMT_INVITE_LIST, 3, p, &r)) != IAM_OK)
		return e;
	lq->items = dom_rows_text(x, r);
	PQclear(r);
	return lq->items != NULL ? IAM_OK : IAM_E_INTERNAL;
}

/* Queues the invitation mail (open tx). */
static enum iam_err
invite_mail(struct actx *x, const char *email, const char *org,
    const char *role, const char *token)
{
	const struct config	*c = x->w->cfg;
	char			*body;

	body = arena_printf(x->a, "Hello,\n\nyou are invited to join %s "
	    "as %s. To accept, open this link and choose a password:\n\n"
	    "%s/invitations/accept?token=%s\n\nThe link can be used once. "
	    "If you did not expect this, ignore this message.\n", org, role,
	    c->issuer_url, token);
	if (body == NULL || mail_queue(x, email, "You are invited",
	    body) == -1)
		return IAM_E_SERVICE_UNAVAILABLE;
	return IAM_OK;
}

enum iam_err
invite_create(struct actx *x, const char *email, const char *role,
    json_object **out)
{
	const char	*p[6];
	struct strlist	 slugs = { &role, 1 };
	char		*csv, *perms, *plain, *hash, *role_id, *org_name;
	const char	*key;
	PGresult	*r;
	enum iam_err	 e;
	int		 n;

	if ((e = role_resolve(x, &slugs, "role", &csv, &perms)) != IAM_OK)
		return e;
	if (!perm_covers(x->perms, perms))
		return dom_field(x, IAM_E_FORBIDDEN, "role",
		    "You cannot grant permissions you do not hold");
	if ((key = dom_email_key(x, email)) == NULL)
		return IAM_E_INTERNAL;
	if ((e = dom_query(x, STMT_USER_FOR_EMAIL, 1, &key, &r)) != IAM_OK)
		return e;
	n = PQntuples(r);
	PQclear(r);
	if (n > 0)
		return dom_field(x, IAM_E_EMAIL_EXISTS, "email",
		    "An account with this email exists");
	p[0] = x->org_id;
	p[1] = email;
	if ((e = dom_query(x, STMT_INVITE_PENDING_FOR, 2, p, &r)) != IAM_OK)
		return e;
	n = PQntuples(r);
	PQclear(r);
	if (n > 0)
		return dom_field(x, IAM_E_CONFLICT, "email",
		    "A pending invitation for this address exists");
	p[1] = role;
	if ((e = dom_query(x, STMT_ROLES_BY_SLUGS, 2, p, &r)) != IAM_OK)
		return e;
	role_id = arena_strdup(x->a, PQgetvalue(r, 0, 0));
	PQclear(r);
	if ((e = dom_query(x, STMT_ORG_GET, 1, &x->org_id, &r)) != IAM_OK)
		return e;
	org_name = PQntuples(r) == 1 ? arena_strdup(x->a,
	    PQgetvalue(r, 0, 2)) : NULL;
	PQclear(r);
	if (org_name == NULL)
		return IAM_E_NOT_FOUND;
	if (dom_fresh_secret(x, &plain, &hash) == -1)
		return IAM_E_INTERNAL;
	p[0] = x->org_id;
	p[1] = email;
	p[2] = role_id;
	p[3] = hash;
	p[4] = x->user_id;
	p[5] = dom_num(x, x->w->cfg->invitation_expires_in);
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = dom_query(x, STMT_INVITE_INSERT, 6, p, &r)) != IAM_OK)
		return dom_end(x, e);
	*out = dom_json(x, PQgetvalue(r, 0, 0));
	PQclear(r);
	if (*out == NULL)
		return dom_end(x, IAM_E_INTERNAL);
	if ((e = invite_mail(x, email, org_name, role, plain)) != IAM_OK ||
	    (e = dom_audit(x, "invitation.create", "invitation",
	    json_object_get_string(json_object_object_get(*out, "id")),
	    *out)) != IAM_OK)
		return dom_end(x, e);
	return dom_end(x, dom_commit(x));
}

enum iam_err
invite_revoke(struct actx *x, const char *id)
{
	const char	*p[2] = { x->org_id, id };
	PGresult	*r;
	enum iam_err	 e;

	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = dom_query(x, STMT_INVITE_REVOKE, 2, p, &r)) != IAM_OK)
		return dom_end(x, e);
	if (PQntuples(r) != 1) {
		PQclear(r);
		return dom_end(x, IAM_E_NOT_FOUND);
	}
	PQclear(r);
	if ((e = dom_audit(x, "invitation.revoke", "invitation", id, NULL)) !=
	    IAM_OK)
		return dom_end(x, e);
	return dom_end(x, dom_commit(x));
}

enum iam_err
invite_resend(struct actx *x, const char *id)
{
	const char	*p[4];
	char		*plain, *hash;
	PGresult	*r;
	enum iam_err	 e;

	if (dom_fresh_secret(x, &plain, &hash) == -1)
		return IAM_E_INTERNAL;
	p[0] = x->org_id;
	p[1] = id;
	p[2] = hash;
	p[3] = dom_num(x, x->w->cfg->invitation_expires_in);
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = dom_query(x, STMT_INVITE_RETOKEN, 4, p, &r)) != IAM_OK)
		return dom_end(x, e);
	if (PQntuples(r) != 1) {
		PQclear(r);
		return dom_end(x, IAM_E_NOT_FOUND);
	}
	e = invite_mail(x, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1),
	    PQgetvalue(r, 0, 2), plain);
	PQclear(r);
	if (e != IAM_OK || (e = dom_audit(x, "invitation.resend",
	    "invitation", id, NULL)) != IAM_OK)
		return dom_end(x, e);
	return dom_end(x, dom_commit(x));
}

struct invite {
	const char	*id, *email, *role, *org_name, *org_slug, *expires;
	const char	*org, *role_id;
};

/* A pending invitation by token: 1, 0 none, or -1 (*e set). */
static int
by_token(struct actx *x, const char *token, struct invite *iv,
    enum iam_err *e)
{
	char		*hash;
	PGresult	*r;

	if ((hash = dom_secret_hash(x, token)) == NULL) {
		*e = IAM_E_INTERNAL;
		return -1;
	}
	if ((*e = dom_query(x, STMT_INVITE_BY_TOKEN, 1, (const char **)&hash,
	    &r)) != IAM_OK)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return 0;
	}
	iv->id = arena_strdup(x->a, PQgetvalue(r, 0, 0));
	iv->email = arena_strdup(x->a, PQgetvalue(r, 0, 1));
	iv->role = arena_strdup(x->a, PQgetvalue(r, 0, 2));
	iv->org_name = arena_strdup(x->a, PQgetvalue(r, 0, 3));
	iv->org_slug = arena_strdup(x->a, PQgetvalue(r, 0, 4));
	iv->expires = arena_strdup(x->a, PQgetvalue(r, 0, 5));
	iv->org = arena_strdup(x->a, PQgetvalue(r, 0, 6));
	iv->role_id = arena_strdup(x->a, PQgetvalue(r, 0, 7));
	PQclear(r);
	return 1;
}

enum iam_err
invite_public(struct actx *x, const char *token, json_object **out)
{
	struct invite	 iv;
	json_object	*o;
	enum iam_err	 e;
	int		 rc;

	if ((rc = by_token(x, token, &iv, &e)) <= 0)
		return rc == 0 ? IAM_E_NOT_FOUND : e;
	*out = dom_keep(x, json_object_new_object());
	json_object_object_add(*out, "email", json_object_new_string(
	    iv.email));
	json_object_object_add(*out, "role", json_object_new_string(iv.role));
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(
	    iv.org_name));
	json_object_object_add(o, "slug", json_object_new_string(
	    iv.org_slug));
	json_object_object_add(*out, "organisation", o);
	json_object_object_add(*out, "expiresAt", json_object_new_string(
	    iv.expires));
	return IAM_OK;
}

enum iam_err
invite_accept(struct actx *x, const char *token, const char *password,
    const char *first, const char *last, json_object **out)
{
	struct invite	 iv;
	struct pwpolicy	 pol;
	const char	*p[3], *why;
	char		*hash, *uid;
	enum iam_err	 e;
	int		 rc;

	if ((rc = by_token(x, token, &iv, &e)) <= 0)
		return rc == 0 ? dom_field(x, IAM_E_INVALID_ONE_TIME_TOKEN,
		    "token", "The invitation is unknown, used or expired") : e;
	if ((e = acct_org_policy(x, iv.org, &pol)) != IAM_OK)
		return e;
	if ((e = password_policy(x, &pol, password, iv.email, &why)) !=
	    IAM_OK)
		return dom_field(x, e, "password", why);
	if ((hash = dom_hash_password(x, password)) == NULL)
		return dom_hash_failed(x);
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	/* Again, under the row lock: one accept wins. */
	if ((rc = by_token(x, token, &iv, &e)) <= 0)
		return dom_end(x, rc == 0 ? dom_field(x,
		    IAM_E_INVALID_ONE_TIME_TOKEN, "token",
		    "The invitation is unknown, used or expired") : e);
	if ((e = dom_user_insert(x, iv.org, iv.email, hash, first, last,
	    iv.role, &uid)) != IAM_OK)
		return dom_end(x, e);
	p[0] = uid;
	p[1] = NULL;
	p[2] = "true";
	if ((e = dom_run(x, STMT_MEMBER_SET, 3, p)) != IAM_OK)
		return dom_end(x, e);
	p[0] = iv.id;
	p[1] = uid;
	if ((e = dom_run(x, STMT_INVITE_ACCEPTED, 2, p)) != IAM_OK)
		return dom_end(x, e);
	if (audit(x, "invitation.accept", 1, uid, iv.email, "invitation",
	    iv.id, iv.org, NULL) == -1)
		return dom_end(x, IAM_E_SERVICE_UNAVAILABLE);
	if ((e = dom_commit(x)) != IAM_OK)
		return dom_end(x, e);
	*out = dom_keep(x, json_object_new_object());
	json_object_object_add(*out, "user", json_object_get(acct_user(x, uid,
	    0, &e)));
	return IAM_OK;
}
