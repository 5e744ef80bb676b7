/*
 * roles.c: an organisation's roles.  A role holds permissions from the
 * list in perm.c; nobody creates, changes or deletes a role carrying a
 * permission they do not hold themselves.  The built-in roles keep their
 * slugs and cannot be deleted; the owner role keeps "*".
 */
#include <string.h>

#include "admin.h"
#include "dom.h"
#include "store_admin.h"
#include "perm.h"
#include "env.h"

static int
slug_valid(const char *s)
{
	size_t	i, n = strlen(s);

	if (n < 1 || n > 63 || !((s[0] >= 'a' && s[0] <= 'z') ||
	    (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '_'))
			return 0;
	return 1;
}

/* The permissions array as a comma list, each checked: or NULL + error. */
static char *
perm_csv(struct actx *x, const struct strlist *a, enum iam_err *e)
{
	struct buf	 b;
	size_t		 i;
	const char	*p;

	buf_init(&b, x->a);
	for (i = 0; i < a->n; i++) {
		p = a->v[i];
		if (!perm_valid(p)) {
			*e = dom_field(x, IAM_E_VALIDATION, "permissions",
			    arena_printf(x->a, "Unknown permission %s", p));
			return NULL;
		}
		buf_printf(&b, "%s%s", i ? "," : "", p);
	}
	if (b.oom) {
		*e = IAM_E_INTERNAL;
		return NULL;
	}
	return b.len ? b.data : arena_strdup(x->a, "");
}

enum iam_err
role_resolve(struct actx *x, const struct strlist *slugs, const char *field,
    char **csv, char **perms)
{
	struct buf	 s, p;
	const char		*v;
	struct role_brief	*rb;
	size_t			 i, n = 0;
	int			 j, rows;

	buf_init(&s, x->a);
	for (i = 0; i < slugs->n; i++) {
		v = slugs->v[i];
		if (strchr(v, ',') != NULL || !slug_valid(v))
			return dom_field(x, IAM_E_VALIDATION, field,
			    arena_printf(x->a, "Unknown role %s", v));
		if (s.len && dom_csv_has(s.data, v))
			continue;
		buf_printf(&s, "%s%s", n++ ? "," : "", v);
	}
	*csv = s.len ? s.data : arena_strdup(x->a, "");
	*perms = arena_strdup(x->a, "");
	if (n == 0)
		return IAM_OK;
	if ((rows = store_roles_by_slugs(&x->w->db, x->a, x->org_id, *csv,
	    &rb)) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	buf_init(&p, x->a);
	for (j = 0; j < rows; j++)
		if (rb[j].perms[0] != '\0')
			buf_printf(&p, "%s%s", p.len ? "," : "", rb[j].perms);
	if ((size_t)rows != n)
		return dom_field(x, IAM_E_VALIDATION, field,
		    "Unknown role in the list");
	if (p.oom || s.oom)
		return IAM_E_INTERNAL;
	*perms = p.len ? p.data : *perms;
	return IAM_OK;
}

enum iam_err
role_list(struct actx *x, json_object **out)
{
	char	*items;

	if (store_roles_list(&x->w->db, x->a, x->org_id, &items) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	*out = dom_json(x, items);
	return *out != NULL ? IAM_OK : IAM_E_INTERNAL;
}

struct role {
	json_object	*doc;
	const char	*slug, *perms;
	int		 builtin;
};

static enum iam_err
load(struct actx *x, const char *id, struct role *ro)
{
	struct role_row	row;
	int		rc;

	if ((rc = store_role_get(&x->w->db, x->a, x->org_id, id, &row)) <= 0)
		return rc < 0 ? IAM_E_SERVICE_UNAVAILABLE : IAM_E_NOT_FOUND;
	ro->doc = dom_json(x, row.doc);
	ro->slug = row.slug;
	ro->perms = row.perms;
	ro->builtin = row.builtin;
	return ro->doc != NULL ? IAM_OK : IAM_E_INTERNAL;
}

enum iam_err
role_get(struct actx *x, const char *id, json_object **out)
{
	struct role	ro;
	enum iam_err	e;

	if ((e = load(x, id, &ro)) != IAM_OK)
		return e;
	*out = ro.doc;
	return IAM_OK;
}

json_object *
role_permissions(struct actx *x)
{
	json_object	*a = dom_keep(x, json_object_new_array()), *o;
	size_t		 i;

	for (i = 0; a != NULL && i < nperm_list; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "name",
		    json_object_new_string(perm_list[i].name));
		json_object_object_add(o, "description",
		    json_object_new_string(perm_list[i].description));
		json_object_array_add(a, o);
	}
	return a;
}

static enum iam_err
not_granting(struct actx *x, const char *perms)
{
	if (perm_covers(x->perms, perms))
		return IAM_OK;
	return dom_field(x, IAM_E_FORBIDDEN, "permissions",
	    "You cannot grant permissions you do not hold");
}

/* CONFLICT if another role of the organisation has slug. */
static enum iam_err
slug_free(struct actx *x, const char *slug)
{
	struct role_brief	*rb;
	int			 taken;

	if ((taken = store_roles_by_slugs(&x->w->db, x->a, x->org_id, slug,
	    &rb)) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	return taken > 0 ? dom_field(x, IAM_E_CONFLICT, "slug",
	    "A role with this slug exists") : IAM_OK;
}

enum iam_err
role_create(struct actx *x, const struct role_in *in, json_object **out)
{
	const char	*p[5], *slug = in->slug;
	char		*doc, *rid;
	int		 rc;
	char		*perms = "";
	enum iam_err	 e;

	if (!slug_valid(slug))
		return dom_field(x, IAM_E_VALIDATION, "slug", "slug is 1-63 "
		    "of a-z, 0-9, - and _, starting with a letter or digit");
	if (in->permissions != NULL &&
	    (perms = perm_csv(x, in->permissions, &e)) == NULL)
		return e;
	if ((e = not_granting(x, perms)) != IAM_OK)
		return e;
	p[0] = x->org_id;
	p[1] = slug;
	p[2] = in->name;
	p[3] = in->description;
	p[4] = perms;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((rc = store_role_insert(&x->w->db, x->a, p, &doc, &rid)) <= 0)
		return dom_end(x, rc < 0 ? IAM_E_SERVICE_UNAVAILABLE :
		    dom_field(x, IAM_E_CONFLICT, "slug",
		    "A role with this slug exists"));
	*out = dom_json(x, doc);
	if ((e = dom_audit(x, "role.create", "role", rid, *out)) != IAM_OK)
		return dom_end(x, e);
	return dom_end(x, dom_commit(x));
}

enum iam_err
role_update(struct actx *x, const char *id, const struct role_in *in,
    json_object **out)
{
	const char	*p[6], *slug = in->slug;
	struct role	 ro;
	char		*doc;
	int		 rc;
	char		*perms = NULL;
	enum iam_err	 e;

	if ((e = load(x, id, &ro)) != IAM_OK)
		return e;
	if (slug != NULL && !slug_valid(slug))
		return dom_field(x, IAM_E_VALIDATION, "slug", "slug is 1-63 "
		    "of a-z, 0-9, - and _, starting with a letter or digit");
	if (in->permissions != NULL &&
	    (perms = perm_csv(x, in->permissions, &e)) == NULL)
		return e;
	if (ro.builtin && slug != NULL && strcmp(slug, ro.slug) != 0)
		return dom_field(x, IAM_E_CONFLICT, "slug",
		    "A built-in role keeps its slug");
	if (strcmp(ro.slug, "owner") == 0 && perms != NULL &&
	    strcmp(perms, "*") != 0)
		return dom_field(x, IAM_E_CONFLICT, "permissions",
		    "The owner role keeps every permission");
	/* A caller edits only roles whose permissions it holds (an admin
	 * renames no owner role), and changing what a role carries grants
	 * it to all its members: the new permissions too. */
	if ((e = not_granting(x, ro.perms)) != IAM_OK ||
	    (perms != NULL && (e = not_granting(x, perms)) != IAM_OK))
		return e;
	if (slug != NULL && strcmp(slug, ro.slug) != 0 &&
	    (e = slug_free(x, slug)) != IAM_OK)
		return e;
	p[0] = x->org_id;
	p[1] = id;
	p[2] = slug;
	p[3] = in->name;
	p[4] = in->description;
	p[5] = perms;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((rc = store_role_update(&x->w->db, x->a, p, &doc)) < 0)
		return dom_end(x, IAM_E_SERVICE_UNAVAILABLE);
	if (rc == 0 || (*out = dom_json(x, doc)) == NULL)
		return dom_end(x, rc == 0 ? IAM_E_NOT_FOUND : IAM_E_INTERNAL);
	if ((e = dom_audit(x, "role.update", "role", id, *out)) != IAM_OK)
		return dom_end(x, e);
	return dom_end(x, dom_commit(x));
}

enum iam_err
role_delete(struct actx *x, const char *id)
{
	const char	*p[2] = { x->org_id, id };
	struct role	 ro;
	enum iam_err	 e;

	if ((e = load(x, id, &ro)) != IAM_OK)
		return e;
	if (ro.builtin) {
		x->message = "A built-in role cannot be deleted";
		return IAM_E_CONFLICT;
	}
	if ((e = not_granting(x, ro.perms)) != IAM_OK)
		return e;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = dom_db(store_role_delete(&x->w->db, p[0], p[1]))) != IAM_OK ||
	    (e = dom_audit(x, "role.delete", "role", id, ro.doc)) != IAM_OK)
		return dom_end(x, e);
	return dom_end(x, dom_commit(x));
}
