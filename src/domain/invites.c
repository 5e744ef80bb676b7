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
#include "store_admin.h"
#include "store_user.h"
#include "perm.h"
#include "env.h"

enum iam_err
invite_list(struct actx *x, struct listq *lq)
{
	char	*items;

	if (store_invite_count(&x->w->db, x->org_id, &lq->total) == -1 ||
	    store_invite_list(&x->w->db, x->a, x->org_id, dom_num(x,
	    lq->limit), dom_num(x, lq->offset), &items) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	lq->items = items;
	return IAM_OK;
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
	struct user_brief ub;
	char		*csv, *perms, *plain, *hash, *doc;
	const char	*key;
	struct role_brief *rb;
	struct org_row	 o;
	enum iam_err	 e;
	int		 n;

	if ((e = role_resolve(x, &slugs, "role", &csv, &perms)) != IAM_OK)
		return e;
	if (!perm_covers(x->perms, perms))
		return dom_field(x, IAM_E_FORBIDDEN, "role",
		    "You cannot grant permissions you do not hold");
	if ((key = dom_email_key(x, email)) == NULL)
		return IAM_E_INTERNAL;
	if ((n = store_user_for_email(&x->w->db, x->a, key, &ub)) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	if (n > 0)
		return dom_field(x, IAM_E_EMAIL_EXISTS, "email",
		    "An account with this email exists");
	if ((n = store_invite_pending_for(&x->w->db, x->org_id, email)) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	if (n > 0)
		return dom_field(x, IAM_E_CONFLICT, "email",
		    "A pending invitation for this address exists");
	/* role_resolve found it: one row. */
	if (store_roles_by_slugs(&x->w->db, x->a, x->org_id, role, &rb) != 1)
		return IAM_E_SERVICE_UNAVAILABLE;
	if ((n = store_org_get(&x->w->db, x->a, x->org_id, &o)) <= 0)
		return n < 0 ? IAM_E_SERVICE_UNAVAILABLE : IAM_E_NOT_FOUND;
	if (dom_fresh_secret(x, &plain, &hash) == -1)
		return IAM_E_INTERNAL;
	p[0] = x->org_id;
	p[1] = email;
	p[2] = rb[0].id;
	p[3] = hash;
	p[4] = x->user_id;
	p[5] = dom_num(x, x->w->cfg->invitation_expires_in);
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if (store_invite_insert(&x->w->db, x->a, p, &doc) != 1)
		return dom_end(x, IAM_E_SERVICE_UNAVAILABLE);
	if ((*out = dom_json(x, doc)) == NULL)
		return dom_end(x, IAM_E_INTERNAL);
	if ((e = invite_mail(x, email, o.name, role, plain)) != IAM_OK ||
	    (e = dom_audit(x, "invitation.create", "invitation",
	    json_object_get_string(json_object_object_get(*out, "id")),
	    *out)) != IAM_OK)
		return dom_end(x, e);
	return dom_end(x, dom_commit(x));
}

enum iam_err
invite_revoke(struct actx *x, const char *id)
{
	enum iam_err	 e;
	int		 rc;

	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((rc = store_invite_revoke(&x->w->db, x->org_id, id)) <= 0)
		return dom_end(x, rc < 0 ? IAM_E_SERVICE_UNAVAILABLE :
		    IAM_E_NOT_FOUND);
	if ((e = dom_audit(x, "invitation.revoke", "invitation", id, NULL)) !=
	    IAM_OK)
		return dom_end(x, e);
	return dom_end(x, dom_commit(x));
}

enum iam_err
invite_resend(struct actx *x, const char *id)
{
	struct invite_mailing	 m;
	char			*plain, *hash;
	enum iam_err		 e;
	int			 rc;

	if (dom_fresh_secret(x, &plain, &hash) == -1)
		return IAM_E_INTERNAL;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((rc = store_invite_retoken(&x->w->db, x->a, x->org_id, id, hash,
	    dom_num(x, x->w->cfg->invitation_expires_in), &m)) <= 0)
		return dom_end(x, rc < 0 ? IAM_E_SERVICE_UNAVAILABLE :
		    IAM_E_NOT_FOUND);
	e = invite_mail(x, m.email, m.org_name, m.role, plain);
	if (e != IAM_OK || (e = dom_audit(x, "invitation.resend",
	    "invitation", id, NULL)) != IAM_OK)
		return dom_end(x, e);
	return dom_end(x, dom_commit(x));
}

/* A pending invitation by token: 1, 0 none, or -1 (*e set). */
static int
by_token(struct actx *x, const char *token, struct invite_row *iv,
    enum iam_err *e)
{
	char	*hash;
	int	 rc;

	if ((hash = dom_secret_hash(x, token)) == NULL) {
		*e = IAM_E_INTERNAL;
		return -1;
	}
	if ((rc = store_invite_by_token(&x->w->db, x->a, hash, iv)) < 0)
		*e = IAM_E_SERVICE_UNAVAILABLE;
	return rc;
}

enum iam_err
invite_public(struct actx *x, const char *token, json_object **out)
{
	struct invite_row iv;
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
	struct invite_row iv;
	struct pwpolicy	 pol;
	const char	*why;
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
	if ((e = dom_db(store_member_set(&x->w->db, uid, NULL, "true"))) !=
	    IAM_OK)
		return dom_end(x, e);
	if ((e = dom_db(store_invite_accepted(&x->w->db, iv.id, uid))) !=
	    IAM_OK)
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
