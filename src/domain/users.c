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
	const char	*p[4];
	PGresult	*r;
	enum iam_err	 e;

	p[0] = org;
	p[1] = email;
	p[2] = hash;
	if ((p[3] = dom_email_key(x, email)) == NULL)
		return IAM_E_INTERNAL;
	if (p[3][0] == '\0')
		return dom_field(x, IAM_E_VALIDATION, "email",
		    "email must be a valid email address");
	if ((e = dom_query(x, STMT_USER_INSERT, 4, p, &r)) != IAM_OK)
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
	if (PQntuples(r) == 1) {
		pol->org_name = arena_strdup(x->a, PQgetvalue(r, 0, 1));
		pol->org_slug = arena_strdup(x->a, PQgetvalue(r, 0, 2));
	}
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
	if (b.oom || (u = dom_parse(b.data)) == NULL) {
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
