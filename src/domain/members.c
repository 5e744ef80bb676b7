/*
 * members.c: user administration within the caller's organisation.
 * Rules, in order: a member not in the caller's organisation does not
 * exist (404); nobody changes their own roles or status here (403); a
 * caller acts only on members whose permissions they hold themselves
 * (403), and grants or removes only roles whose permissions they hold
 * (403); the last owner stays (409).  Ending a member's sessions also
 * voids their access tokens at once (dom_revoke).
 */
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "conf.h"
#include "dom.h"
#include "store_admin.h"
#include "store_user.h"
#include "text.h"
#include "perm.h"
#include "env.h"

static const char *const statuses[] = { "active", "inactive", "suspended",
	NULL };

static const char *const sorts[US__MAX] = {
	[US_CREATED] = "createdAt", [US_CREATED_DESC] = "-createdAt",
	[US_EMAIL] = "email", [US_EMAIL_DESC] = "-email",
	[US_LOGIN] = "lastLoginAt", [US_LOGIN_DESC] = "-lastLoginAt",
	[US_STATUS] = "status", [US_STATUS_DESC] = "-status",
};

struct target {
	const char	*id;
	json_object	*doc;
	const char	*email;
	const char	*status;
	const char	*perms;
	const char	*roles;		/* slugs, comma-separated */
	int		 owner;
};

static int
one_of(const char *v, const char *const *set)
{
	size_t	i;

	for (i = 0; set[i] != NULL; i++)
		if (strcmp(set[i], v) == 0)
			return 1;
	return 0;
}

static int
is_self(const struct actx *x, const char *id)
{
	return x->user_id != NULL && strcmp(x->user_id, id) == 0;
}

static enum iam_err
load(struct actx *x, const char *id, struct target *t)
{
	struct user_row	 u;
	struct buf	 b;
	int		 rc;

	if ((rc = store_member_get(&x->w->db, x->a, x->org_id, id, &u)) <= 0)
		return rc < 0 ? IAM_E_SERVICE_UNAVAILABLE : IAM_E_NOT_FOUND;
	buf_init(&b, x->a);
	dom_user_text(&b, &u);
	t->id = id;
	t->doc = b.oom ? NULL : dom_json(x, b.data);
	t->email = u.email;
	t->status = u.status;
	t->roles = u.roles;
	t->perms = u.perms;
	t->owner = u.owner;
	return t->doc != NULL ? IAM_OK : IAM_E_INTERNAL;
}

/* The caller may manage t: themselves, or someone they outrank. */
static enum iam_err
may_manage(struct actx *x, const struct target *t)
{
	if (is_self(x, t->id) || perm_covers(x->perms, t->perms))
		return IAM_OK;
	x->message = "The member holds permissions you do not";
	return IAM_E_FORBIDDEN;
}

static enum iam_err
not_last_owner(struct actx *x, const char *uid)
{
	return dom_not_last_owner(x, x->org_id, uid);
}

/* A search term taken literally: LIKE's \, % and _ escaped. */
static char *
like_literal(struct actx *x, const char *s)
{
	char	*out, *o;

	if ((out = arena_alloc(x->a, strlen(s) * 2 + 1)) == NULL)
		return NULL;
	for (o = out; *s != '\0'; s++) {
		if (*s == '\\' || *s == '%' || *s == '_')
			*o++ = '\\';
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

enum iam_err
member_list(struct actx *x, const struct user_query *uq, struct listq *lq)
{
	struct user_filter	 f;
	const unsigned char	*c;
	struct user_row		*rows;
	struct role_brief	*rb;
	enum iam_err		 e;
	size_t			 i;
	struct buf		 docs;
	const char		*p[7];
	char			*csv, *perms, *role_id = NULL, *ids;
	int			 more, j, n;

	memset(&f, 0, sizeof(f));
	f.org = x->org_id;
	if (uq->search != NULL) {
		if (!utf8_valid(uq->search, strlen(uq->search)) ||
		    utf8_chars(uq->search) > 100)
			return dom_field(x, IAM_E_VALIDATION, "search",
			    "search must be at most 100 characters of UTF-8");
		for (c = (const unsigned char *)uq->search; *c; c++)
			if (*c < 0x20 || *c == 0x7f)
				return dom_field(x, IAM_E_VALIDATION, "search",
				    "search must not contain control "
				    "characters");
		if ((f.search = like_literal(x, uq->search)) == NULL)
			return IAM_E_INTERNAL;
	}
	if (uq->status != NULL && !one_of(uq->status, statuses))
		return dom_field(x, IAM_E_VALIDATION, "status",
		    "status is one of active, inactive, suspended");
	f.status = uq->status;
	f.sort = US_CREATED;
	if (uq->sort != NULL) {
		for (i = 0; i < US__MAX; i++)
			if (strcmp(sorts[i], uq->sort) == 0)
				break;
		if (i == US__MAX)
			return dom_field(x, IAM_E_VALIDATION, "sort",
			    "sort is one of email, createdAt, lastLoginAt, "
			    "status, each with an optional leading -");
		f.sort = (enum user_sort)i;
	}
	if (uq->role != NULL) {
		struct strlist	one = { &uq->role, 1 };

		if ((e = role_resolve(x, &one, "role", &csv, &perms)) !=
		    IAM_OK)
			return e;
		f.role = uq->role;
		/* users_search() takes the role's id */
		if ((n = store_roles_by_slugs(&x->w->db, x->a, x->org_id,
		    uq->role, &rb)) < 0)
			return IAM_E_SERVICE_UNAVAILABLE;
		role_id = n == 1 ? (char *)rb[0].id : NULL;
	}
	f.limit = dom_num(x, lq->limit);
	f.offset = dom_num(x, lq->offset);
	if (f.search != NULL) {
		/* One call: matches, page, documents' columns and total. */
		p[0] = f.org;
		p[1] = f.search;
		p[2] = f.status;
		p[3] = role_id;
		p[4] = sorts[f.sort];
		p[5] = f.limit;
		p[6] = f.offset;
		if ((n = store_users_search(&x->w->db, x->a, p, &rows,
		    &lq->total)) < 0)
			return IAM_E_SERVICE_UNAVAILABLE;
		more = n == 0;
	} else {
		if (store_user_ids(&x->w->db, x->a, &f, &ids) < 0 ||
		    (n = store_users_docs(&x->w->db, x->a, ids, &rows)) < 0)
			return IAM_E_SERVICE_UNAVAILABLE;
		more = 1;
	}
	buf_init(&docs, x->a);
	buf_putc(&docs, '[');
	for (j = 0; j < n; j++) {
		if (j)
			buf_putc(&docs, ',');
		dom_user_text(&docs, &rows[j]);
	}
	buf_putc(&docs, ']');
	if (docs.oom)
		return IAM_E_INTERNAL;
	lq->items = docs.data;
	if (more && store_users_count(&x->w->db, &f, &lq->total) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	return IAM_OK;
}

enum iam_err
member_get(struct actx *x, const char *id, json_object **out)
{
	struct target	t;
	enum iam_err	e;

	if ((e = load(x, id, &t)) != IAM_OK)
		return e;
	*out = t.doc;
	return IAM_OK;
}

/* Adds each slug of csv to uid (open tx). */
static enum iam_err
add_roles(struct actx *x, const char *uid, const char *csv)
{
	const char	*p[3], *s = csv, *c;
	enum iam_err	 e;

	while (s != NULL && *s != '\0') {
		c = strchr(s, ',');
		p[0] = uid;
		p[1] = x->org_id;
		p[2] = c ? arena_strndup(x->a, s, (size_t)(c - s)) : s;
		if ((e = dom_db(store_user_role_add_slug(&x->w->db, p[0], p[1],
		    p[2]))) != IAM_OK)
			return e;
		s = c ? c + 1 : NULL;
	}
	return IAM_OK;
}

enum iam_err
member_create(struct actx *x, const struct member_in *in, json_object **out)
{
	static const char *const user[] = { "user" };
	static const struct strlist users = { user, 1 };
	const char	*email = in->email, *pw = in->password;
	const char	*status = in->status, *p[3], *why;
	json_object	*d;
	char		*csv, *perms, *hash = NULL, *uid;
	struct pwpolicy	 pol;
	enum iam_err	 e;

	if (status != NULL && !one_of(status, statuses))
		return dom_field(x, IAM_E_VALIDATION, "status",
		    "status is one of active, inactive, suspended");
	if ((e = role_resolve(x, in->roles != NULL ? in->roles : &users,
	    "roles", &csv, &perms)) != IAM_OK)
		return e;
	if (!perm_covers(x->perms, perms))
		return dom_field(x, IAM_E_FORBIDDEN, "roles",
		    "You cannot grant permissions you do not hold");
	if (pw != NULL) {
		if ((e = acct_org_policy(x, x->org_id, &pol)) != IAM_OK)
			return e;
		if ((e = password_policy(x, &pol, pw, email, &why)) != IAM_OK)
			return dom_field(x, e, "password", why);
		if ((hash = dom_hash_password(x, pw)) == NULL)
			return dom_hash_failed(x);
	}
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = dom_user_insert(x, x->org_id, email, hash, in->first,
	    in->last, NULL, &uid)) != IAM_OK ||
	    (e = add_roles(x, uid, csv)) != IAM_OK)
		goto out;
	p[0] = uid;
	p[1] = status;
	p[2] = in->verified < 0 ? NULL : in->verified ? "true" : "false";
	if ((e = dom_db(store_member_set(&x->w->db, p[0], p[1], p[2]))) !=
	    IAM_OK)
		goto out;
	if (hash == NULL &&
	    (e = dom_token_mail(x, uid, email, "welcome")) != IAM_OK)
		goto out;
	d = dom_keep(x, json_object_new_object());
	json_object_object_add(d, "roles", dom_csv_array(csv));
	json_object_object_add(d, "password", json_object_new_boolean(
	    hash != NULL));
	/* The answer is read before the commit: nothing is kept that
	 * cannot be answered. */
	if ((e = dom_audit(x, "user.create", "user", uid, d)) != IAM_OK ||
	    (e = member_get(x, uid, out)) != IAM_OK ||
	    (e = dom_commit(x)) != IAM_OK)
		goto out;
	return IAM_OK;
out:
	return dom_end(x, e);
}

/* Ends every session and access token of uid (open tx). */
static enum iam_err
end_member(struct actx *x, const char *uid)
{
	enum iam_err	e;

	if ((e = dom_end_all(x, uid, NULL)) != IAM_OK)
		return e;
	return dom_revoke(x, "user", uid);
}

enum iam_err
member_update(struct actx *x, const char *id, const struct member_patch *in,
    json_object **out)
{
	const char	*status = in->status, *p[6];
	json_object	*d;
	struct target	 t;
	enum iam_err	 e;
	int		 ends = 0, profile;

	if (status != NULL && !one_of(status, statuses))
		return dom_field(x, IAM_E_VALIDATION, "status",
		    "status is one of active, inactive, suspended");
	if ((e = load(x, id, &t)) != IAM_OK ||
	    (e = may_manage(x, &t)) != IAM_OK)
		return e;
	if (status != NULL && strcmp(status, t.status) != 0) {
		if (is_self(x, id)) {
			x->message = "You cannot change your own status";
			return IAM_E_FORBIDDEN;
		}
		ends = strcmp(status, "active") != 0;
	}
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if (ends && t.owner && (e = not_last_owner(x, id)) != IAM_OK)
		goto out;
	p[0] = id;
	d = dom_keep(x, json_object_new_array());
	profile = dom_profile(&in->profile, p + 1, d);
	if (status != NULL)
		json_object_array_add(d, json_object_new_string("status"));
	if (profile && (e = dom_db(store_profile_update(&x->w->db, id,
	    p + 1))) != IAM_OK)
		goto out;
	if ((e = dom_db(store_member_set(&x->w->db, id, status, NULL))) !=
	    IAM_OK ||
	    (ends && (e = end_member(x, id)) != IAM_OK) ||
	    (e = dom_audit(x, ends ? "user.suspend" : "user.update", "user",
	    id, d)) != IAM_OK || (e = member_get(x, id, out)) != IAM_OK ||
	    (e = dom_commit(x)) != IAM_OK)
		goto out;
	dom_settle(x);
	return IAM_OK;
out:
	return dom_end(x, e);
}

/* The slugs of csv that are not in other (in the arena). */
static struct strlist *
minus(struct actx *x, const char *csv, const char *other)
{
	struct strlist	*l;
	const char	**v;
	char		*copy, *s, *save = NULL;
	size_t		 n = 0;

	if ((l = arena_alloc(x->a, sizeof(*l))) == NULL ||
	    (copy = arena_strdup(x->a, csv)) == NULL ||
	    (v = arena_alloc(x->a, (strlen(csv) / 2 + 1) * sizeof(*v))) ==
	    NULL)
		return NULL;
	for (s = strtok_r(copy, ",", &save); s != NULL;
	    s = strtok_r(NULL, ",", &save))
		if (!dom_csv_has(other, s))
			v[n++] = s;
	l->v = v;
	l->n = n;
	return l;
}

enum iam_err
member_set_roles(struct actx *x, const char *id, const struct strlist *roles,
    json_object **out)
{
	struct strlist	*add, *del;
	struct target	 t;
	char		*csv, *perms, *c2, *addp, *delp;
	json_object	*d;
	enum iam_err	 e;

	/* Before any other rule. */
	if (is_self(x, id)) {
		x->message = "You cannot change your own roles";
		return IAM_E_FORBIDDEN;
	}
	if ((e = load(x, id, &t)) != IAM_OK)
		return e;
	if ((e = role_resolve(x, roles, "roles", &csv, &perms)) != IAM_OK)
		return e;
	if ((add = minus(x, csv, t.roles)) == NULL ||
	    (del = minus(x, t.roles, csv)) == NULL)
		return IAM_E_INTERNAL;
	if ((e = role_resolve(x, add, "roles", &c2, &addp)) != IAM_OK ||
	    (e = role_resolve(x, del, "roles", &c2, &delp)) != IAM_OK)
		return e;
	if ((e = may_manage(x, &t)) != IAM_OK)
		return e;
	if (!perm_covers(x->perms, addp) || !perm_covers(x->perms, delp)) {
		x->field = "roles";
		x->message = "You cannot grant or remove permissions you do "
		    "not hold";
		return IAM_E_FORBIDDEN;
	}
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if (t.owner && !dom_csv_has(csv, "owner") &&
	    (e = not_last_owner(x, id)) != IAM_OK)
		goto out;
	if ((e = dom_db(store_user_roles_clear(&x->w->db, id))) != IAM_OK ||
	    (e = add_roles(x, id, csv)) != IAM_OK)
		goto out;
	d = dom_keep(x, json_object_new_object());
	json_object_object_add(d, "from", dom_csv_array(t.roles));
	json_object_object_add(d, "to", dom_csv_array(csv));
	if ((e = dom_audit(x, "user.roles", "user", id, d)) != IAM_OK ||
	    (e = member_get(x, id, out)) != IAM_OK ||
	    (e = dom_commit(x)) != IAM_OK)
		goto out;
	return IAM_OK;
out:
	return dom_end(x, e);
}

/* The member ended in one of three ways (open tx, member loaded). */
enum ending { END_DELETE, END_SESSIONS, END_FORCE_RESET };

/*
 * Ends member id's sessions and tokens and, as how says, deletes it or
 * forces a password reset; audited; the answer waits for the cutoff.
 */
static enum iam_err
end_with(struct actx *x, const char *id, enum ending how)
{
	static const char *const action[] = { "user.delete",
	    "user.sessions_revoke", "user.force_password_reset" };
	struct target	t;
	enum iam_err	e;

	if ((e = load(x, id, &t)) != IAM_OK ||
	    (e = may_manage(x, &t)) != IAM_OK)
		return e;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((how == END_DELETE && ((t.owner && (e = not_last_owner(x, id)) !=
	    IAM_OK) || (e = dom_db(store_user_soft_delete(&x->w->db, id))) !=
	    IAM_OK)) ||
	    (how == END_FORCE_RESET && (e = dom_db(store_user_force_reset(
	    &x->w->db, id))) != IAM_OK) ||
	    (e = end_member(x, id)) != IAM_OK ||
	    (how == END_FORCE_RESET && (e = dom_token_mail(x, id, t.email,
	    "reset")) != IAM_OK) ||
	    (e = dom_audit(x, action[how], "user", id, NULL)) != IAM_OK ||
	    (e = dom_commit(x)) != IAM_OK)
		return dom_end(x, e);
	dom_settle(x);
	return IAM_OK;
}

enum iam_err
member_delete(struct actx *x, const char *id)
{
	return end_with(x, id, END_DELETE);
}

enum iam_err
member_revoke_sessions(struct actx *x, const char *id)
{
	return end_with(x, id, END_SESSIONS);
}

enum iam_err
member_force_reset(struct actx *x, const char *id)
{
	return end_with(x, id, END_FORCE_RESET);
}

enum iam_err
member_create_admin(struct actx *x, const char *email, const char *password,
    char **uid)
{
	const char	*why, *org;
	struct pwpolicy	 pol;
	struct org_brief o;
	char		*hash;
	enum iam_err	 e;
	int		 rc;

	if ((rc = store_org_default(&x->w->db, x->a, "open", &o)) <= 0)
		return rc < 0 ? IAM_E_SERVICE_UNAVAILABLE : IAM_E_NOT_FOUND;
	org = o.id;
	if ((e = acct_org_policy(x, org, &pol)) != IAM_OK)
		return e;
	if ((e = password_policy(x, &pol, password, email, &why)) != IAM_OK)
		return dom_field(x, e, "password", why);
	if ((hash = dom_hash_password(x, password)) == NULL)
		return dom_hash_failed(x);
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = dom_user_insert(x, org, email, hash, "", "", "owner", uid)) !=
	    IAM_OK || (e = dom_db(store_user_make_admin(&x->w->db, *uid))) !=
	    IAM_OK)
		return dom_end(x, e);
	x->org_id = org;
	if ((e = dom_audit(x, "system.create_admin", "user", *uid, NULL)) !=
	    IAM_OK)
		return dom_end(x, e);
	return dom_end(x, dom_commit(x));
}
