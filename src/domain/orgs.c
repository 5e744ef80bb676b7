/*
 * orgs.c: organisations: the caller's own (settings), the system
 * administrators' list, and onboarding.  Settings are stored as given
 * (checked key by key) and answered merged over their defaults.
 * Suspending or deleting an organisation ends every session and token
 * of its members at once; the default organisation can be neither.
 */
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "conf.h"
#include "dom.h"
#include "store_admin.h"
#include "store_session.h"
#include "text.h"
#include "env.h"

static const char *const modes[] = { "open", "invite", "closed" };

static json_object *
defaults(struct actx *x, int is_default)
{
	const struct config	*c = x->w->cfg;
	json_object		*s = json_object_new_object(), *p;

	json_object_object_add(s, "registrationMode", json_object_new_string(
	    is_default ? modes[c->registration_mode] : "invite"));
	json_object_object_add(s, "requireMfa", json_object_new_boolean(0));
	p = json_object_new_object();
	json_object_object_add(p, "minLength",
	    json_object_new_int64(c->password_min_length));
	json_object_object_add(p, "requireUpper", json_object_new_boolean(0));
	json_object_object_add(p, "requireLower", json_object_new_boolean(0));
	json_object_object_add(p, "requireDigit", json_object_new_boolean(0));
	json_object_object_add(p, "requireSymbol", json_object_new_boolean(0));
	json_object_object_add(s, "passwordPolicy", p);
	json_object_object_add(s, "sessionLifetime",
	    json_object_new_int64(c->jwt_refresh_expires_in));
	json_object_object_add(s, "sessionIdleTimeout",
	    json_object_new_int64(0));
	json_object_object_add(s, "allowedOrigins", json_object_new_array());
	return s;
}

/* Lays patch over base, one level deep for passwordPolicy. */
static void
merge(json_object *base, json_object *patch)
{
	json_object	*b;

	json_object_object_foreach(patch, k, v) {
		if (strcmp(k, "passwordPolicy") == 0 &&
		    json_object_object_get_ex(base, k, &b) &&
		    json_object_is_type(b, json_type_object) &&
		    json_object_is_type(v, json_type_object)) {
			json_object_object_foreach(v, k2, v2) {
				json_object_object_add(b, k2,
				    json_object_get(v2));
			}
		} else
			json_object_object_add(base, k, json_object_get(v));
	}
}

struct org {
	const char	*id, *slug, *name, *status, *created, *updated;
	int		 is_default;
	json_object	*stored;	/* settings as stored */
};

static enum iam_err
load(struct actx *x, const char *id, struct org *o)
{
	struct org_row	row;
	int		rc;

	if ((rc = store_org_get(&x->w->db, x->a, id, &row)) <= 0)
		return rc < 0 ? IAM_E_SERVICE_UNAVAILABLE : IAM_E_NOT_FOUND;
	o->id = row.id;
	o->slug = row.slug;
	o->name = row.name;
	o->status = row.status;
	o->is_default = row.is_default;
	o->stored = dom_json(x, row.settings);
	o->created = row.created;
	o->updated = row.updated;
	return o->stored != NULL ? IAM_OK : IAM_E_INTERNAL;
}

static json_object *
doc(struct actx *x, const struct org *o)
{
	json_object	*d = dom_keep(x, json_object_new_object()), *s;

	if (d == NULL)
		return NULL;
	s = defaults(x, o->is_default);
	merge(s, o->stored);
	json_object_object_add(d, "id", json_object_new_string(o->id));
	json_object_object_add(d, "slug", json_object_new_string(o->slug));
	json_object_object_add(d, "name", json_object_new_string(o->name));
	json_object_object_add(d, "status", json_object_new_string(o->status));
	json_object_object_add(d, "isDefault",
	    json_object_new_boolean(o->is_default));
	json_object_object_add(d, "settings", s);
	json_object_object_add(d, "createdAt",
	    json_object_new_string(o->created));
	json_object_object_add(d, "updatedAt",
	    json_object_new_string(o->updated));
	return d;
}

enum iam_err
org_get(struct actx *x, const char *id, json_object **out)
{
	struct org	o;
	enum iam_err	e;

	if ((e = load(x, id, &o)) != IAM_OK)
		return e;
	*out = doc(x, &o);
	return *out != NULL ? IAM_OK : IAM_E_INTERNAL;
}

static int
is_int(json_object *v, int64_t lo, int64_t hi)
{
	return json_object_is_type(v, json_type_int) &&
	    json_object_get_int64(v) >= lo && json_object_get_int64(v) <= hi;
}

/* "scheme://host[:port]" and nothing else. */
static int
origin_valid(const char *s)
{
	const char	*h;
	size_t		 i;

	if (strncmp(s, "https://", 8) == 0)
		h = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		h = s + 7;
	else
		return 0;
	if (*h == '\0' || strlen(s) > 253)
		return 0;
	for (i = 0; h[i] != '\0'; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') ||
		    (h[i] >= '0' && h[i] <= '9') || h[i] == '.' ||
		    h[i] == '-' || h[i] == ':' || h[i] == '[' || h[i] == ']'))
			return 0;
	return 1;
}

/* Checks a settings patch key by key: IAM_OK or VALIDATION naming it. */
static enum iam_err
check_settings(struct actx *x, json_object *s)
{
	size_t	i, n;

	json_object_object_foreach(s, k, v) {
		const char *f = arena_printf(x->a, "settings.%s", k);

		if (strcmp(k, "registrationMode") == 0) {
			if (!json_object_is_type(v, json_type_string) ||
			    (strcmp(json_object_get_string(v), "open") != 0 &&
			    strcmp(json_object_get_string(v), "invite") != 0 &&
			    strcmp(json_object_get_string(v), "closed") != 0))
				return dom_field(x, IAM_E_VALIDATION, f,
				    "registrationMode is open, invite or "
				    "closed");
		} else if (strcmp(k, "requireMfa") == 0) {
			if (!json_object_is_type(v, json_type_boolean))
				return dom_field(x, IAM_E_VALIDATION, f,
				    "requireMfa is true or false");
		} else if (strcmp(k, "sessionLifetime") == 0) {
			if (!is_int(v, 300, 31536000))
				return dom_field(x, IAM_E_VALIDATION, f,
				    "sessionLifetime is seconds, 300 to "
				    "31536000");
		} else if (strcmp(k, "sessionIdleTimeout") == 0) {
			if (!is_int(v, 0, 31536000) ||
			    (json_object_get_int64(v) > 0 &&
			    json_object_get_int64(v) < 60))
				return dom_field(x, IAM_E_VALIDATION, f,
				    "sessionIdleTimeout is 0 (none) or "
				    "seconds, 60 to 31536000");
		} else if (strcmp(k, "allowedOrigins") == 0) {
			if (!json_object_is_type(v, json_type_array) ||
			    (n = json_object_array_length(v)) > 50)
				return dom_field(x, IAM_E_VALIDATION, f,
				    "allowedOrigins is an array of at most 50 "
				    "origins");
			for (i = 0; i < n; i++) {
				json_object *o = json_object_array_get_idx(v,
				    i);

				if (!json_object_is_type(o, json_type_string)
				    || !origin_valid(json_object_get_string(o)))
					return dom_field(x, IAM_E_VALIDATION,
					    f, "allowedOrigins entries are "
					    "http(s)://host[:port]");
			}
		} else if (strcmp(k, "passwordPolicy") == 0) {
			if (!json_object_is_type(v, json_type_object))
				return dom_field(x, IAM_E_VALIDATION, f,
				    "passwordPolicy is an object");
			json_object_object_foreach(v, k2, v2) {
				const char *f2 = arena_printf(x->a,
				    "settings.passwordPolicy.%s", k2);

				if (strcmp(k2, "minLength") == 0) {
					if (!is_int(v2, 8, 128))
						return dom_field(x,
						    IAM_E_VALIDATION, f2,
						    "minLength is 8 to 128");
				} else if (strcmp(k2, "requireUpper") == 0 ||
				    strcmp(k2, "requireLower") == 0 ||
				    strcmp(k2, "requireDigit") == 0 ||
				    strcmp(k2, "requireSymbol") == 0) {
					if (!json_object_is_type(v2,
					    json_type_boolean))
						return dom_field(x,
						    IAM_E_VALIDATION, f2,
						    "must be true or false");
				} else
					return dom_field(x, IAM_E_VALIDATION,
					    f2, arena_printf(x->a,
					    "Unknown field %s", k2));
			}
		} else
			return dom_field(x, IAM_E_VALIDATION, f,
			    arena_printf(x->a, "Unknown setting %s", k));
	}
	return IAM_OK;
}

/* The fields in gives, as a JSON array (for the audit details). */
static json_object *
keys_of(struct actx *x, const struct org_in *in)
{
	json_object	*a = dom_keep(x, json_object_new_array());

	if (in->name != NULL)
		json_object_array_add(a, json_object_new_string("name"));
	if (in->slug != NULL)
		json_object_array_add(a, json_object_new_string("slug"));
	if (in->status != NULL)
		json_object_array_add(a, json_object_new_string("status"));
	if (in->settings != NULL)
		json_object_array_add(a, json_object_new_string("settings"));
	return a;
}

enum iam_err
org_update(struct actx *x, const struct org_in *in, json_object **out)
{
	const char	*p[3];
	struct org	 o;
	enum iam_err	 e;

	p[2] = NULL;
	if (in->settings != NULL) {
		if ((e = check_settings(x, in->settings)) != IAM_OK)
			return e;
		if ((e = load(x, x->org_id, &o)) != IAM_OK)
			return e;
		merge(o.stored, in->settings);
		p[2] = json_object_to_json_string_ext(o.stored,
		    JSON_C_TO_STRING_PLAIN);
	}
	p[0] = x->org_id;
	p[1] = in->name;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = dom_db(store_org_update(&x->w->db, p[0], p[1], p[2]))) !=
	    IAM_OK ||
	    (e = dom_audit(x, "organisation.update", "organisation",
	    x->org_id, keys_of(x, in))) != IAM_OK ||
	    (e = dom_commit(x)) != IAM_OK)
		return dom_end(x, e);
	return org_get(x, x->org_id, out);
}

enum iam_err
org_list(struct actx *x, const char *status, struct listq *lq)
{
	char	*items;

	if (status != NULL && strcmp(status, "active") != 0 &&
	    strcmp(status, "suspended") != 0)
		return dom_field(x, IAM_E_VALIDATION, "status",
		    "status is active or suspended");
	if (store_org_count(&x->w->db, status, &lq->total) == -1 ||
	    store_org_list(&x->w->db, x->a, dom_num(x, lq->limit),
	    dom_num(x, lq->offset), status, &items) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	lq->items = items;
	return IAM_OK;
}

static int
org_slug_valid(const char *s)
{
	size_t	i, n = strlen(s);

	if (n < 1 || n > 63)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || (i > 0 && s[i] == '-')))
			return 0;
	return 1;
}

/* Inserts an organisation (open tx): *id, or CONFLICT on its slug. */
static enum iam_err
insert(struct actx *x, const char *slug, const char *name,
    json_object *settings, const char *field, char **id)
{
	if (!org_slug_valid(slug))
		return dom_field(x, IAM_E_VALIDATION, field, "slug is 1-63 "
		    "of a-z, 0-9 and -, not starting with -");
	switch (store_org_insert(&x->w->db, x->a, slug, name, settings !=
	    NULL ? json_object_to_json_string_ext(settings,
	    JSON_C_TO_STRING_PLAIN) : NULL, id)) {
	case -1:
		return IAM_E_SERVICE_UNAVAILABLE;
	case 0:
		return dom_field(x, IAM_E_CONFLICT, field,
		    "An organisation with this slug exists");
	}
	return IAM_OK;
}

enum iam_err
org_create(struct actx *x, const struct org_in *in, json_object **out)
{
	char		*id;
	enum iam_err	 e;

	if (in->settings != NULL &&
	    (e = check_settings(x, in->settings)) != IAM_OK)
		return e;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = insert(x, in->slug, in->name, in->settings, "slug", &id)) !=
	    IAM_OK ||
	    (e = dom_audit(x, "organisation.create", "organisation", id,
	    NULL)) != IAM_OK || (e = dom_commit(x)) != IAM_OK)
		return dom_end(x, e);
	return org_get(x, id, out);
}

/* Ends every session and token of the organisation's members (tx). */
static enum iam_err
end_org(struct actx *x, const char *id)
{
	if (store_sessions_end_scope(&x->w->db, id, NULL) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	return dom_revoke(x, "org", id);
}

enum iam_err
org_patch(struct actx *x, const char *id, const struct org_in *in,
    json_object **out)
{
	const char	*p[3], *status = in->status;
	struct org	 o;
	enum iam_err	 e;
	int		 suspend;

	if (status != NULL && strcmp(status, "active") != 0 &&
	    strcmp(status, "suspended") != 0)
		return dom_field(x, IAM_E_VALIDATION, "status",
		    "status is active or suspended");
	if ((e = load(x, id, &o)) != IAM_OK)
		return e;
	suspend = status != NULL && strcmp(status, "suspended") == 0 &&
	    strcmp(o.status, "suspended") != 0;
	if (suspend && o.is_default)
		return dom_field(x, IAM_E_CONFLICT, "status",
		    "The default organisation cannot be suspended");
	p[0] = id;
	p[1] = status;
	p[2] = in->name;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = dom_db(store_org_set_status(&x->w->db, p[0], p[1], p[2]))) !=
	    IAM_OK ||
	    (suspend && (e = end_org(x, id)) != IAM_OK) ||
	    (e = dom_audit(x, suspend ? "organisation.suspend" :
	    "organisation.update", "organisation", id, keys_of(x, in))) !=
	    IAM_OK || (e = dom_commit(x)) != IAM_OK)
		return dom_end(x, e);
	dom_settle(x);
	return org_get(x, id, out);
}

enum iam_err
org_delete(struct actx *x, const char *id)
{
	struct org	o;
	enum iam_err	e;

	if ((e = load(x, id, &o)) != IAM_OK)
		return e;
	if (o.is_default) {
		x->message = "The default organisation cannot be deleted";
		return IAM_E_CONFLICT;
	}
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = dom_db(store_org_delete(&x->w->db, id))) != IAM_OK ||
	    (e = end_org(x, id)) != IAM_OK ||
	    (e = dom_audit(x, "organisation.delete", "organisation", id,
	    NULL)) != IAM_OK || (e = dom_commit(x)) != IAM_OK)
		return dom_end(x, e);
	dom_settle(x);
	return IAM_OK;
}

enum iam_err
org_onboard(struct actx *x, const struct onboard_in *in, json_object **out)
{
	const char	*email = in->email, *pw, *why, *name, *slug;
	char		*hash, *oid, *uid;
	struct tokens	 t;
	struct org	 o;
	struct pwpolicy	 pol;
	enum iam_err	 e;

	name = in->org.name;
	slug = in->org.slug;
	pw = in->password;
	/* The new organisation's own policy: its name and slug too. */
	memset(&pol, 0, sizeof(pol));
	pol.org_name = name;
	pol.org_slug = slug;
	if ((e = password_policy(x, &pol, pw, email, &why)) != IAM_OK)
		return dom_field(x, e, "password", why);
	if ((hash = dom_hash_password(x, pw)) == NULL)
		return dom_hash_failed(x);
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((e = insert(x, slug, name, NULL, "organisation.slug", &oid)) !=
	    IAM_OK ||
	    (e = dom_user_insert(x, oid, email, hash, in->first, in->last,
	    "owner", &uid)) != IAM_OK ||
	    (e = dom_token_mail(x, uid, email, "verify")) != IAM_OK)
		return dom_end(x, e);
	if (audit(x, "organisation.onboard", 1, uid, email, "organisation",
	    oid, oid, NULL) == -1)
		return dom_end(x, IAM_E_SERVICE_UNAVAILABLE);
	if ((e = dom_commit(x)) != IAM_OK)
		return dom_end(x, e);
	memset(&t, 0, sizeof(t));
	if ((e = dom_start_session(x, uid, oid, email, "auth.onboard", &t)) !=
	    IAM_OK || (e = load(x, oid, &o)) != IAM_OK)
		return e;
	*out = dom_keep(x, json_object_new_object());
	json_object_object_add(*out, "organisation", json_object_get(doc(x,
	    &o)));
	json_object_object_add(*out, "user", json_object_get(t.user));
	json_object_object_add(*out, "accessToken",
	    json_object_new_string(t.access));
	json_object_object_add(*out, "refreshToken",
	    json_object_new_string(t.refresh));
	json_object_object_add(*out, "tokenType",
	    json_object_new_string("Bearer"));
	json_object_object_add(*out, "expiresIn",
	    json_object_new_int64(t.expires_in));
	return IAM_OK;
}
