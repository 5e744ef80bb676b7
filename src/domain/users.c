/*
 * users.c: the read model of a user: the sanitised user document, the
 * caller as the database has it now, the organisation's password policy,
 * and the insert of a new user with its profile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounts.h"
#include "conf.h"
#include "crypto.h"
#include "dom.h"
#include "store_admin.h"
#include "store_user.h"
#include "env.h"
#include "jwt.h"
#include "log.h"
#include "metrics.h"
#include "text.h"
#include "perm.h"
#include "store.h"

enum iam_err
dom_user_insert(struct actx *x, const char *org, const char *email,
    const char *hash, const char *first, const char *last, const char *role,
    char **uid)
{
	const char	*key;

	if ((key = dom_email_key(x, email)) == NULL)
		return IAM_E_INTERNAL;
	if (key[0] == '\0')
		return dom_field(x, IAM_E_VALIDATION, "email",
		    "email must be a valid email address");
	switch (store_user_insert(&x->w->db, x->a, org, email, hash, key,
	    uid)) {
	case -1:
		return IAM_E_SERVICE_UNAVAILABLE;
	case 0:
		return dom_field(x, IAM_E_EMAIL_EXISTS, "email",
		    "An account with this email exists");
	}
	if (store_profile_insert(&x->w->db, *uid, first ? first : "",
	    last ? last : "") == -1)
		return IAM_E_SERVICE_UNAVAILABLE;
	if (role == NULL)
		return IAM_OK;
	return dom_db(store_user_role_add_slug(&x->w->db, *uid, org, role));
}

enum iam_err
acct_org_policy(struct actx *x, const char *org, struct pwpolicy *pol)
{
	struct org_policy	op;
	int			rc;

	if ((rc = store_org_policy(&x->w->db, x->a, org, &op)) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	pwpolicy_from_json(pol, rc > 0 && op.policy != NULL ?
	    dom_json(x, op.policy) : NULL);
	if (rc > 0) {
		pol->org_name = op.name;
		pol->org_slug = op.slug;
	}
	return IAM_OK;
}

enum iam_err
acct_caller(struct actx *x, struct caller *c)
{
	struct caller_row	cr;
	int			rc, active;

	if ((rc = store_caller(&x->w->db, x->a, x->user_id, &cr)) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	if (rc == 0 || x->org_id == NULL || strcmp(cr.org, x->org_id) != 0)
		return IAM_E_INVALID_TOKEN;
	active = strcmp(cr.status, "active") == 0 &&
	    strcmp(cr.org_status, "active") == 0;
	c->system_admin = cr.system_admin;
	c->email = cr.email;
	c->perms = cr.perms;
	return active ? IAM_OK : IAM_E_ACCOUNT_SUSPENDED;
}

json_object *
acct_user(struct actx *x, const char *uid, int with_permissions,
    enum iam_err *err)
{
	json_object	*u, *o;
	struct user_row	 row;
	struct buf	 b;
	size_t		 i;
	int		 rc;

	if ((rc = store_user_get(&x->w->db, x->a, uid, &row)) <= 0) {
		*err = rc < 0 ? IAM_E_SERVICE_UNAVAILABLE : IAM_E_NOT_FOUND;
		return NULL;
	}
	/* The one writer of the shape (lists use it too). */
	buf_init(&b, x->a);
	dom_user_text(&b, &row);
	if (b.oom || (u = dom_parse(b.data)) == NULL) {
		*err = IAM_E_INTERNAL;
		return NULL;
	}
	if (with_permissions) {
		/* Every listed permission the held set covers. */
		o = json_object_new_array();
		for (i = 0; i < nperm_list; i++)
			if (perm_has(row.perms, perm_list[i].name))
				json_object_array_add(o, json_object_new_string(
				    perm_list[i].name));
		json_object_object_add(u, "permissions", o);
	}
	if (arena_defer(x->a, dom_put, u) == -1) {
		json_object_put(u);
		*err = IAM_E_INTERNAL;
		return NULL;
	}
	return u;
}
