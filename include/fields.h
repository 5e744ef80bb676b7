/*
 * fields.h: the catalogue of every input field, declared once with its
 * validator, and the shapes (bodies, forms, query strings) that routes
 * take, made of catalogue fields.  The same check runs whatever the
 * source: a JSON body is checked as it is; form and query pairs are first
 * made into the JSON object they stand for (fields_from_pairs), so a
 * value gives the same verdict from either.  /openapi.json renders its
 * request schemas from the same declarations.
 *
 * Pure: no request, no response; validate.h turns a verdict into the
 * 400 answer.
 */
#ifndef IAM_FIELDS_H
#define IAM_FIELDS_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct kvlist;

enum ftype {
	F_STRING,	/* one line of at most max characters */
	F_EMAIL,	/* a well-formed address with a canonical form */
	F_SECRET,	/* a password or token: a string, at most max bytes */
	F_OBJECT,	/* a JSON object, bounded as stored JSON */
	F_ADDRESSES,	/* an array of at most max address objects */
	F_BOOL,		/* true or false */
	F_STRINGS,	/* an array of at most max strings of 1-64 chars */
	F_INT,		/* a whole number from min to max */
	F_UUID,		/* a UUID in its canonical text form */
	F_URIS,		/* an array of at most max URIs (1-2048 bytes, no
			 * space or control byte) */
};

/* A field of the catalogue. */
struct field {
	const char	*name;
	enum ftype	 type;
	int64_t		 min;	/* F_INT only */
	int64_t		 max;
	const char	*doc;	/* one line, for OpenAPI */
};

struct fspec;

/* A field as one shape uses it. */
struct fuse {
	const struct field	*f;
	int			 required;
	const struct fspec	*sub;	/* F_OBJECT checked as this shape */
};

/* A shape: a body, a form or a query string. */
struct fspec {
	const char		*name;	/* OpenAPI schema name */
	const struct fuse	*use;
	size_t			 n;
	int			 open;	/* other keys ignored (query strings) */
};

#define FS_MAX	16	/* no shape has more fields */

/* The catalogue. */
extern const struct field fld_email, fld_password, fld_current_password,
    fld_new_password, fld_first_name, fld_last_name, fld_phone,
    fld_preferences, fld_addresses, fld_refresh_token, fld_token,
    fld_organisation, fld_name, fld_slug, fld_settings, fld_status,
    fld_role, fld_description, fld_permissions, fld_roles,
    fld_email_verified, fld_organisation_id, fld_user_id, fld_page,
    fld_limit, fld_search, fld_sort, fld_actor, fld_action, fld_category,
    fld_target, fld_success, fld_since, fld_until, fld_csrf, fld_return_to,
    fld_permission, fld_aud, fld_redirect_uris, fld_post_logout_uris,
    fld_grant_types, fld_auth_method, fld_scopes, fld_first_party,
    fld_require_pkce, fld_id_token_alg, fld_grant_type, fld_scope,
    fld_client_id, fld_client_secret, fld_code, fld_redirect_uri,
    fld_code_verifier, fld_oauth_refresh;

/* The shapes. */
extern const struct fspec fs_empty, fs_register, fs_login, fs_refresh,
    fs_logout,
    fs_token, fs_email, fs_reset_password, fs_onboard, fs_onboard_org,
    fs_invite_create, fs_invite_accept, fs_profile, fs_password_change,
    fs_password_confirm, fs_org_update, fs_org_create, fs_org_patch,
    fs_role_create, fs_role_update, fs_breach_revoke, fs_member_create,
    fs_member_update, fs_member_roles, fs_page_query, fs_status_query,
    fs_users_query, fs_audit_query, fs_pg_login, fs_pg_csrf,
    fs_pg_password, fs_pg_forgot, fs_pg_reset, fs_pg_token, fs_pg_invite,
    fs_pg_return_q, fs_pg_token_q, fs_verify_query, fs_client_create,
    fs_client_update, fs_oauth_token;

/* The verdict on one value of f: NULL if valid, else the message's tail
 * ("must be a string"). */
const char	*field_check(const struct field *f, json_object *v,
		    struct arena *);

/*
 * Checks obj against spec: an object whose keys are spec's fields (others
 * refused unless spec->open), each valid, the required ones present;
 * F_OBJECT fields with a sub shape are checked as that shape, their
 * fields named "outer.inner".  vals[i] gets the value of spec->use[i]
 * (borrowed from obj) or NULL.  Returns 0, or -1 with *name the field at
 * fault and *msg the whole message (both in the arena).
 */
int	 fields_check(const struct fspec *spec, json_object *obj,
	    const char *prefix, json_object **vals, struct arena *,
	    const char **name, const char **msg);

/*
 * The JSON object that form or query pairs stand for under spec: each
 * pair a string member, "true"/"false" a boolean for F_BOOL, digits a
 * number for F_INT, repeated pairs an array for F_STRINGS; an empty value
 * is no value (a form cannot tell them apart).  A pair repeated for any
 * other field, or a key not in spec (unless open), is refused with *name
 * and *msg as above.  Returns a new object (the caller puts it) or NULL.
 */
json_object	*fields_from_pairs(const struct fspec *spec,
		    const struct kvlist *pairs, struct arena *,
		    const char **name, const char **msg);

/* The JSON Schema of spec (a new object), for OpenAPI. */
json_object	*fields_schema(const struct fspec *spec);

#endif
