/*
 * store_admin.c: what organisation administration reads and writes:
 * roles and role grants, organisations, invitations, the owner count
 * behind the last-owner rule.  Documents the database writes (role_doc,
 * invite_doc, the organisation list) come back as JSON text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "store_admin.h"
#include "store_int.h"

enum {
	AD_USER_ROLE_ADD_SLUG,
	AD_USER_ROLES_CLEAR,
	AD_ROLES_BY_SLUGS,
	AD_ORG_LOCK,
	AD_OWNERS_OTHER,
	AD_ROLES_LIST,
	AD_ROLE_GET,
	AD_ROLE_INSERT,
	AD_ROLE_UPDATE,
	AD_ROLE_DELETE,
	AD_ORG_GET,
	AD_ORG_UPDATE,
	AD_ORG_INSERT,
	AD_ORG_LIST,
	AD_ORG_COUNT,
	AD_ORG_SET_STATUS,
	AD_ORG_DELETE,
	AD_INVITE_INSERT,
	AD_INVITE_PENDING_FOR,
	AD_INVITE_LIST,
	AD_INVITE_COUNT,
	AD_INVITE_REVOKE,
	AD_INVITE_RETOKEN,
	AD_INVITE_BY_TOKEN,
	AD_INVITE_ACCEPTED,
	AD__MAX
};

static const struct stmt_def defs[AD__MAX] = {
	[AD_USER_ROLE_ADD_SLUG] = { "user_role_add_slug",
	    "INSERT INTO user_roles (user_id, role_id)"
	    " SELECT $1, id FROM roles WHERE organisation_id = $2"
	    " AND slug = $3 ON CONFLICT DO NOTHING", 3 },
	[AD_USER_ROLES_CLEAR] = { "user_roles_clear",
	    "DELETE FROM user_roles WHERE user_id = $1", 1 },
	[AD_ROLES_BY_SLUGS] = { "roles_by_slugs",
	    "SELECT id, slug, array_to_string(permissions, ',') FROM roles"
	    " WHERE organisation_id = $1"
	    " AND slug = ANY (string_to_array($2, ','))", 2 },
	/* Serialises role changes in one organisation (last-owner rule). */
	[AD_ORG_LOCK] = { "org_lock",
	    "SELECT pg_advisory_xact_lock(4242004, hashtext($1::text))", 1 },
	[AD_OWNERS_OTHER] = { "owners_other",
	    "SELECT count(*) FROM user_roles ur"
	    " JOIN roles r ON r.id = ur.role_id"
	    " JOIN users u ON u.id = ur.user_id"
	    " WHERE r.organisation_id = $1 AND r.slug = 'owner'"
	    " AND u.deleted_at IS NULL AND u.id <> $2", 2 },
	[AD_ROLES_LIST] = { "roles_list",
	    "SELECT role_doc(r)::text FROM roles r"
	    " WHERE r.organisation_id = $1 ORDER BY NOT r.builtin,"
	    " r.created_at, r.slug", 1 },
	[AD_ROLE_GET] = { "role_get",
	    "SELECT role_doc(r)::text, r.slug,"
	    " array_to_string(r.permissions, ','), r.builtin FROM roles r"
	    " WHERE r.organisation_id = $1 AND r.id = $2", 2 },
	[AD_ROLE_INSERT] = { "role_insert",
	    "INSERT INTO roles (organisation_id, slug, name, description,"
	    " permissions) VALUES ($1, $2, $3, coalesce($4, ''),"
	    " string_to_array($5, ','))"
	    " ON CONFLICT (organisation_id, slug) DO NOTHING"
	    " RETURNING role_doc(roles)::text, id", 5 },
	[AD_ROLE_UPDATE] = { "role_update",
	    "UPDATE roles SET slug = coalesce($3, slug),"
	    " name = coalesce($4, name),"
	    " description = coalesce($5, description),"
	    " permissions = coalesce(string_to_array($6, ','), permissions),"
	    " updated_at = now() WHERE organisation_id = $1 AND id = $2"
	    " RETURNING role_doc(roles)::text", 6 },
	[AD_ROLE_DELETE] = { "role_delete",
	    "DELETE FROM roles WHERE organisation_id = $1 AND id = $2"
	    " AND NOT builtin RETURNING slug", 2 },
	[AD_ORG_GET] = { "org_get",
	    "SELECT id, slug, name, status, is_default, settings::text,"
	    " iso(created_at), iso(updated_at) FROM organisations"
	    " WHERE id = $1 AND deleted_at IS NULL", 1 },
	[AD_ORG_UPDATE] = { "org_update",
	    "UPDATE organisations SET name = coalesce($2, name),"
	    " settings = coalesce($3::jsonb, settings), updated_at = now()"
	    " WHERE id = $1 AND deleted_at IS NULL", 3 },
	[AD_ORG_INSERT] = { "org_insert",
	    "INSERT INTO organisations (slug, name, settings)"
	    " VALUES ($1, $2, coalesce($3::jsonb, '{}'))"
	    " ON CONFLICT (slug) DO NOTHING RETURNING id", 3 },
	[AD_ORG_LIST] = { "org_list",
	    "SELECT jsonb_build_object('id', o.id, 'slug', o.slug,"
	    " 'name', o.name, 'status', o.status, 'isDefault', o.is_default,"
	    " 'createdAt', iso(o.created_at), 'updatedAt', iso(o.updated_at),"
	    " 'members', (SELECT count(*) FROM users u"
	    "  WHERE u.organisation_id = o.id AND u.deleted_at IS NULL))::text"
	    " FROM organisations o WHERE o.deleted_at IS NULL"
	    " AND ($3::text IS NULL OR o.status = $3)"
	    " ORDER BY o.created_at, o.id LIMIT $1::integer"
	    " OFFSET $2::bigint", 3 },
	[AD_ORG_COUNT] = { "org_count",
	    "SELECT count(*) FROM organisations WHERE deleted_at IS NULL"
	    " AND ($1::text IS NULL OR status = $1)", 1 },
	[AD_ORG_SET_STATUS] = { "org_set_status",
	    "UPDATE organisations SET status = coalesce($2, status),"
	    " name = coalesce($3, name), updated_at = now()"
	    " WHERE id = $1 AND deleted_at IS NULL RETURNING is_default", 3 },
	[AD_ORG_DELETE] = { "org_delete",
	    "UPDATE organisations SET deleted_at = now(), status = 'suspended',"
	    " updated_at = now() WHERE id = $1 AND deleted_at IS NULL"
	    " AND NOT is_default RETURNING id", 1 },
	[AD_INVITE_INSERT] = { "invite_insert",
	    "INSERT INTO invitations (organisation_id, email, role_id,"
	    " token_hash, invited_by, expires_at) VALUES ($1, $2, $3, $4, $5,"
	    " now() + $6 * interval '1 second')"
	    " RETURNING invite_doc(invitations)::text", 6 },
	[AD_INVITE_PENDING_FOR] = { "invite_pending_for",
	    "SELECT 1 FROM invitations WHERE organisation_id = $1"
	    " AND lower(email) = lower($2) AND accepted_at IS NULL"
	    " AND revoked_at IS NULL AND expires_at > now()", 2 },
	[AD_INVITE_LIST] = { "invite_list",
	    "SELECT invite_doc(i)::text FROM invitations i"
	    " WHERE i.organisation_id = $1 ORDER BY i.created_at DESC, i.id"
	    " LIMIT $2::integer OFFSET $3::bigint", 3 },
	[AD_INVITE_COUNT] = { "invite_count",
	    "SELECT count(*) FROM invitations WHERE organisation_id = $1", 1 },
	[AD_INVITE_REVOKE] = { "invite_revoke",
	    "UPDATE invitations SET revoked_at = now()"
	    " WHERE organisation_id = $1 AND id = $2 AND accepted_at IS NULL"
	    " AND revoked_at IS NULL RETURNING id", 2 },
	/* Resend: a new token (the old link dies) and a new expiry. */
	[AD_INVITE_RETOKEN] = { "invite_retoken",
	    "UPDATE invitations i SET token_hash = $3,"
	    " expires_at = now() + $4 * interval '1 second'"
	    " FROM organisations o, roles r"
	    " WHERE o.id = i.organisation_id AND r.id = i.role_id"
	    " AND i.organisation_id = $1 AND i.id = $2"
	    " AND i.accepted_at IS NULL AND i.revoked_at IS NULL"
	    " RETURNING i.email, o.name, r.slug", 4 },
	[AD_INVITE_BY_TOKEN] = { "invite_by_token",
	    "SELECT i.id, i.email, r.slug, o.name, o.slug, iso(i.expires_at),"
	    " i.organisation_id, i.role_id"
	    " FROM invitations i JOIN roles r ON r.id = i.role_id"
	    " JOIN organisations o ON o.id = i.organisation_id"
	    " WHERE i.token_hash = $1 AND i.accepted_at IS NULL"
	    " AND i.revoked_at IS NULL AND i.expires_at > now()"
	    " AND o.deleted_at IS NULL AND o.status = 'active'"
	    " FOR UPDATE OF i", 1 },
	[AD_INVITE_ACCEPTED] = { "invite_accepted",
	    "UPDATE invitations SET accepted_at = now(), accepted_user = $2"
	    " WHERE id = $1", 2 },
};
const struct stmt_set store_set_admin = { defs, AD__MAX,
    STORE_SERVER | STORE_CTL };

static PGresult *
q(struct store *s, int i, int n, const char *const *p)
{
	return store_run(s, &store_set_admin, i, n, p);
}

static int
run(struct store *s, int i, int n, const char *const *p)
{
	return store_do(s, &store_set_admin, i, n, p);
}

int
store_roles_by_slugs(struct store *s, struct arena *a, const char *org,
    const char *csv, struct role_brief **rows)
{
	const char	*p[2] = { org, csv };
	PGresult	*r;
	int		 i, n;

	if ((r = q(s, AD_ROLES_BY_SLUGS, 2, p)) == NULL)
		return -1;
	n = PQntuples(r);
	if ((*rows = arena_alloc(a, (size_t)(n + 1) * sizeof(**rows))) ==
	    NULL)
		n = -1;
	for (i = 0; n > 0 && i < n; i++) {
		(*rows)[i].id = store_str(a, r, i, 0);
		(*rows)[i].slug = store_str(a, r, i, 1);
		(*rows)[i].perms = store_str(a, r, i, 2);
		if ((*rows)[i].id == NULL || (*rows)[i].slug == NULL ||
		    (*rows)[i].perms == NULL)
			n = -1;
	}
	PQclear(r);
	return n;
}

int
store_user_role_add_slug(struct store *s, const char *uid, const char *org,
    const char *slug)
{
	const char	*p[3] = { uid, org, slug };

	return run(s, AD_USER_ROLE_ADD_SLUG, 3, p);
}

int
store_user_roles_clear(struct store *s, const char *uid)
{
	return run(s, AD_USER_ROLES_CLEAR, 1, &uid);
}

int64_t
store_owners_other(struct store *s, const char *org, const char *uid)
{
	const char	*p[2] = { org, uid };
	int64_t		 n;

	if (run(s, AD_ORG_LOCK, 1, p) == -1 ||
	    store_count(q(s, AD_OWNERS_OTHER, 2, p), &n) == -1)
		return -1;
	return n;
}

int
store_roles_list(struct store *s, struct arena *a, const char *org,
    char **items)
{
	return store_docs(a, q(s, AD_ROLES_LIST, 1, &org), items);
}

int
store_role_get(struct store *s, struct arena *a, const char *org,
    const char *id, struct role_row *ro)
{
	const char	*p[2] = { org, id };
	PGresult	*r;
	int		 rc = 0;

	if ((r = q(s, AD_ROLE_GET, 2, p)) == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		ro->doc = store_str(a, r, 0, 0);
		ro->slug = store_str(a, r, 0, 1);
		ro->perms = store_str(a, r, 0, 2);
		ro->builtin = store_bool(r, 0, 3);
		rc = ro->doc && ro->slug && ro->perms ? 1 : -1;
	}
	PQclear(r);
	return rc;
}

int
store_role_insert(struct store *s, struct arena *a,
    const char *const p[5], char **doc, char **id)
{
	PGresult	*r;
	int		 rc = 0;

	if ((r = q(s, AD_ROLE_INSERT, 5, p)) == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		*doc = store_str(a, r, 0, 0);
		*id = store_str(a, r, 0, 1);
		rc = *doc && *id ? 1 : -1;
	}
	PQclear(r);
	return rc;
}

int
store_role_update(struct store *s, struct arena *a, const char *const p[6],
    char **doc)
{
	return store_one_str(a, q(s, AD_ROLE_UPDATE, 6, p), doc);
}

int
store_role_delete(struct store *s, const char *org, const char *id)
{
	const char	*p[2] = { org, id };

	return run(s, AD_ROLE_DELETE, 2, p);
}

int
store_org_get(struct store *s, struct arena *a, const char *id,
    struct org_row *o)
{
	PGresult	*r;
	int		 rc = 0;

	if ((r = q(s, AD_ORG_GET, 1, &id)) == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		o->id = store_str(a, r, 0, 0);
		o->slug = store_str(a, r, 0, 1);
		o->name = store_str(a, r, 0, 2);
		o->status = store_str(a, r, 0, 3);
		o->is_default = store_bool(r, 0, 4);
		o->settings = store_str(a, r, 0, 5);
		o->created = store_str(a, r, 0, 6);
		o->updated = store_str(a, r, 0, 7);
		rc = o->id && o->slug && o->name && o->status &&
		    o->settings && o->created && o->updated ? 1 : -1;
	}
	PQclear(r);
	return rc;
}

int
store_org_update(struct store *s, const char *id, const char *name,
    const char *settings)
{
	const char	*p[3] = { id, name, settings };

	return run(s, AD_ORG_UPDATE, 3, p);
}

int
store_org_insert(struct store *s, struct arena *a, const char *slug,
    const char *name, const char *settings, char **id)
{
	const char	*p[3] = { slug, name, settings };

	return store_one_str(a, q(s, AD_ORG_INSERT, 3, p), id);
}

int
store_org_list(struct store *s, struct arena *a, const char *limit,
    const char *offset, const char *status, char **items)
{
	const char	*p[3] = { limit, offset, status };

	return store_docs(a, q(s, AD_ORG_LIST, 3, p), items);
}

int
store_org_count(struct store *s, const char *status, int64_t *n)
{
	return store_count(q(s, AD_ORG_COUNT, 1, &status), n);
}

int
store_org_set_status(struct store *s, const char *id, const char *status,
    const char *name)
{
	const char	*p[3] = { id, status, name };

	return run(s, AD_ORG_SET_STATUS, 3, p);
}

int
store_org_delete(struct store *s, const char *id)
{
	return run(s, AD_ORG_DELETE, 1, &id);
}

int
store_invite_count(struct store *s, const char *org, int64_t *n)
{
	return store_count(q(s, AD_INVITE_COUNT, 1, &org), n);
}

int
store_invite_list(struct store *s, struct arena *a, const char *org,
    const char *limit, const char *offset, char **items)
{
	const char	*p[3] = { org, limit, offset };

	return store_docs(a, q(s, AD_INVITE_LIST, 3, p), items);
}

int
store_invite_pending_for(struct store *s, const char *org,
    const char *email)
{
	const char	*p[2] = { org, email };

	return store_any(q(s, AD_INVITE_PENDING_FOR, 2, p));
}

int
store_invite_insert(struct store *s, struct arena *a,
    const char *const p[6], char **doc)
{
	return store_one_str(a, q(s, AD_INVITE_INSERT, 6, p), doc);
}

int
store_invite_revoke(struct store *s, const char *org, const char *id)
{
	const char	*p[2] = { org, id };

	return store_any(q(s, AD_INVITE_REVOKE, 2, p));
}

int
store_invite_retoken(struct store *s, struct arena *a, const char *org,
    const char *id, const char *hash, const char *ttl,
    struct invite_mailing *m)
{
	const char	*p[4] = { org, id, hash, ttl };
	PGresult	*r;
	int		 rc = 0;

	if ((r = q(s, AD_INVITE_RETOKEN, 4, p)) == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		m->email = store_str(a, r, 0, 0);
		m->org_name = store_str(a, r, 0, 1);
		m->role = store_str(a, r, 0, 2);
		rc = m->email && m->org_name && m->role ? 1 : -1;
	}
	PQclear(r);
	return rc;
}

int
store_invite_by_token(struct store *s, struct arena *a, const char *hash,
    struct invite_row *iv)
{
	PGresult	*r;
	int		 rc = 0;

	if ((r = q(s, AD_INVITE_BY_TOKEN, 1, &hash)) == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		iv->id = store_str(a, r, 0, 0);
		iv->email = store_str(a, r, 0, 1);
		iv->role = store_str(a, r, 0, 2);
		iv->org_name = store_str(a, r, 0, 3);
		iv->org_slug = store_str(a, r, 0, 4);
		iv->expires = store_str(a, r, 0, 5);
		iv->org = store_str(a, r, 0, 6);
		iv->role_id = store_str(a, r, 0, 7);
		rc = iv->id && iv->email && iv->role && iv->org_name &&
		    iv->org_slug && iv->expires && iv->org && iv->role_id ?
		    1 : -1;
	}
	PQclear(r);
	return rc;
}

int
store_invite_accepted(struct store *s, const char *id, const char *uid)
{
	const char	*p[2] = { id, uid };

	return run(s, AD_INVITE_ACCEPTED, 2, p);
}
