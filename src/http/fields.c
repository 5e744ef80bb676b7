/*
 * fields.c: the catalogue of input fields and the shapes routes take
 * (fields.h), the one check they all go through, the pairs of forms and
 * query strings made into the object they stand for, and the JSON
 * Schema of a shape for /openapi.json.  One file because the catalogue
 * is data and the functions below are its only readers.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "fields.h"
#include "ident.h"
#include "parse.h"

/* The catalogue: each input field once. */
#define FIELD(var, nm, ty, lo, hi, d) \
	const struct field var = { nm, ty, lo, hi, d }

FIELD(fld_email, "email", F_EMAIL, 0, 254, "an email address");
FIELD(fld_password, "password", F_SECRET, 0, 1024,
    "a password (the policy decides what is strong enough)");
FIELD(fld_current_password, "currentPassword", F_SECRET, 0, 1024,
    "the caller's password now");
FIELD(fld_new_password, "newPassword", F_SECRET, 0, 1024,
    "the password to set");
FIELD(fld_first_name, "firstName", F_STRING, 0, 100, "given name");
FIELD(fld_last_name, "lastName", F_STRING, 0, 100, "family name");
FIELD(fld_phone, "phone", F_STRING, 0, 32, "telephone number");
FIELD(fld_preferences, "preferences", F_OBJECT, 0, 0,
    "free-form settings of the user's (at most 8 levels, 8192 bytes)");
FIELD(fld_addresses, "addresses", F_ADDRESSES, 0, 10,
    "postal addresses (line1, line2, city, region, postalCode, "
    "country)");
FIELD(fld_refresh_token, "refreshToken", F_SECRET, 0, 256,
    "a refresh token");
FIELD(fld_token, "token", F_SECRET, 0, 256, "a mailed one-time token");
FIELD(fld_organisation, "organisation", F_OBJECT, 0, 0,
    "the organisation to create");
FIELD(fld_name, "name", F_STRING, 0, 100, "display name");
FIELD(fld_slug, "slug", F_STRING, 0, 63, "short name used in URLs");
FIELD(fld_settings, "settings", F_OBJECT, 0, 0,
    "organisation settings (merged into the stored ones)");
FIELD(fld_status, "status", F_STRING, 0, 20, "lifecycle status");
FIELD(fld_role, "role", F_STRING, 0, 63, "a role slug");
FIELD(fld_description, "description", F_STRING, 0, 500,
    "what the role is for");
FIELD(fld_permissions, "permissions", F_STRINGS, 0, 64,
    "permissions (resource:action, resource:* or *)");
FIELD(fld_roles, "roles", F_STRINGS, 0, 20, "role slugs");
FIELD(fld_email_verified, "emailVerified", F_BOOL, 0, 0,
    "whether the address counts as verified");
FIELD(fld_organisation_id, "organisationId", F_UUID, 0, 36,
    "an organisation id (UUID)");
FIELD(fld_user_id, "userId", F_UUID, 0, 36, "a user id");
FIELD(fld_page, "page", F_INT, 1, 1000000, "page number, from 1");
FIELD(fld_limit, "limit", F_INT, 1, 100, "items per page");
FIELD(fld_search, "search", F_STRING, 0, 200,
    "words of the name or address");
FIELD(fld_sort, "sort", F_STRING, 0, 40, "order of the list");
FIELD(fld_actor, "actor", F_STRING, 0, 254, "who acted (id or address)");
FIELD(fld_action, "action", F_STRING, 0, 100, "event action");
FIELD(fld_category, "category", F_STRING, 0, 40, "event category");
FIELD(fld_target, "target", F_STRING, 0, 100, "event target id");
FIELD(fld_success, "success", F_STRING, 0, 5, "true or false");
FIELD(fld_since, "since", F_STRING, 0, 40, "RFC 3339 time, inclusive");
FIELD(fld_until, "until", F_STRING, 0, 40, "RFC 3339 time, exclusive");
FIELD(fld_permission, "permission", F_STRING, 0, 64,
    "a permission the caller must hold");
FIELD(fld_aud, "aud", F_STRING, 0, 2048, "the audience a token must have");
FIELD(fld_redirect_uris, "redirectUris", F_URIS, 0, 20,
    "where authorization answers may go (exact match)");
FIELD(fld_post_logout_uris, "postLogoutRedirectUris", F_URIS, 0, 20,
    "where RP-initiated logout may return");
FIELD(fld_grant_types, "grantTypes", F_STRINGS, 0, 3,
    "authorization_code, refresh_token, client_credentials");
FIELD(fld_auth_method, "tokenEndpointAuthMethod", F_STRING, 0, 32,
    "client_secret_basic, client_secret_post or none");
FIELD(fld_scopes, "scopes", F_STRINGS, 0, 32,
    "the scopes the client may ask for");
FIELD(fld_first_party, "firstParty", F_BOOL, 0, 0,
    "first-party clients skip consent");
FIELD(fld_require_pkce, "requirePkce", F_BOOL, 0, 0,
    "PKCE (S256) required (always for public clients)");
FIELD(fld_id_token_alg, "idTokenSignedResponseAlg", F_STRING, 0, 10,
    "RS256 or EdDSA");
FIELD(fld_grant_type, "grant_type", F_STRING, 0, 64, "the OAuth grant");
FIELD(fld_scope, "scope", F_STRING, 0, 1000, "space-separated scopes");
FIELD(fld_client_id, "client_id", F_STRING, 0, 64, "the OAuth client id");
FIELD(fld_client_secret, "client_secret", F_SECRET, 0, 256,
    "the client's secret (client_secret_post)");
FIELD(fld_code, "code", F_SECRET, 0, 256, "an authorization code");
FIELD(fld_redirect_uri, "redirect_uri", F_STRING, 0, 2048,
    "the redirect URI the code was sent to");
FIELD(fld_code_verifier, "code_verifier", F_SECRET, 0, 128,
    "the PKCE verifier (RFC 7636)");
FIELD(fld_oauth_refresh, "refresh_token", F_SECRET, 0, 256,
    "a refresh token (the refresh_token grant)");
FIELD(fld_csrf, "_csrf", F_SECRET, 0, 128,
    "the iam_csrf cookie's value (hosted pages' forms)");
FIELD(fld_return_to, "return_to", F_STRING, 0, 2048,
    "where to go after sign-in: a path here, or a URL under "
    "SESSION_COOKIE_DOMAIN");

/* The shapes, each a list of (field, required[, sub shape]). */
#define SHAPE(var, nm, open, ...) \
	static const struct fuse var##_use[] = { __VA_ARGS__ }; \
	const struct fspec var = { nm, var##_use, \
	    sizeof(var##_use) / sizeof(var##_use[0]), open }

/* A body that must be empty when sent. */
const struct fspec fs_empty = { "Empty", NULL, 0, 0 };
SHAPE(fs_register, "Register", 0, { &fld_email, 1, NULL },
    { &fld_password, 1, NULL }, { &fld_first_name, 0, NULL },
    { &fld_last_name, 0, NULL });
SHAPE(fs_login, "Login", 0, { &fld_email, 1, NULL },
    { &fld_password, 1, NULL });
SHAPE(fs_refresh, "Refresh", 0, { &fld_refresh_token, 1, NULL });
/* The hosted pages' forms and query strings. */
SHAPE(fs_pg_login, "PageLogin", 0, { &fld_email, 1, NULL },
    { &fld_password, 1, NULL }, { &fld_csrf, 1, NULL },
    { &fld_return_to, 0, NULL });
SHAPE(fs_pg_csrf, "PageForm", 0, { &fld_csrf, 1, NULL });
SHAPE(fs_pg_password, "PagePassword", 0,
    { &fld_current_password, 1, NULL }, { &fld_new_password, 1, NULL },
    { &fld_csrf, 1, NULL });
SHAPE(fs_pg_forgot, "PageForgot", 0, { &fld_email, 1, NULL },
    { &fld_csrf, 1, NULL });
SHAPE(fs_pg_reset, "PageReset", 0, { &fld_token, 1, NULL },
    { &fld_password, 1, NULL }, { &fld_csrf, 1, NULL });
SHAPE(fs_pg_token, "PageToken", 0, { &fld_token, 1, NULL },
    { &fld_csrf, 1, NULL });
SHAPE(fs_pg_invite, "PageInvitation", 0, { &fld_token, 1, NULL },
    { &fld_password, 1, NULL }, { &fld_first_name, 0, NULL },
    { &fld_last_name, 0, NULL }, { &fld_csrf, 1, NULL });
SHAPE(fs_pg_return_q, "PageReturnQuery", 1, { &fld_return_to, 0, NULL });
SHAPE(fs_pg_token_q, "PageTokenQuery", 1, { &fld_token, 0, NULL });
SHAPE(fs_client_create, "ClientCreate", 0, { &fld_name, 1, NULL },
    { &fld_redirect_uris, 0, NULL }, { &fld_post_logout_uris, 0, NULL },
    { &fld_grant_types, 0, NULL }, { &fld_auth_method, 0, NULL },
    { &fld_scopes, 0, NULL }, { &fld_first_party, 0, NULL },
    { &fld_require_pkce, 0, NULL }, { &fld_id_token_alg, 0, NULL });
SHAPE(fs_client_update, "ClientUpdate", 0, { &fld_name, 0, NULL },
    { &fld_redirect_uris, 0, NULL }, { &fld_post_logout_uris, 0, NULL },
    { &fld_grant_types, 0, NULL }, { &fld_auth_method, 0, NULL },
    { &fld_scopes, 0, NULL }, { &fld_first_party, 0, NULL },
    { &fld_require_pkce, 0, NULL }, { &fld_id_token_alg, 0, NULL });
/* RFC 6749 §3.2: unknown parameters are ignored; a repeated one is not. */
SHAPE(fs_oauth_token, "TokenRequest", 1, { &fld_grant_type, 1, NULL },
    { &fld_scope, 0, NULL }, { &fld_client_id, 0, NULL },
    { &fld_client_secret, 0, NULL }, { &fld_code, 0, NULL },
    { &fld_redirect_uri, 0, NULL }, { &fld_code_verifier, 0, NULL },
    { &fld_oauth_refresh, 0, NULL });
SHAPE(fs_verify_query, "ForwardAuthQuery", 1, { &fld_role, 0, NULL },
    { &fld_permission, 0, NULL }, { &fld_aud, 0, NULL });
SHAPE(fs_logout, "Logout", 0, { &fld_refresh_token, 0, NULL });
SHAPE(fs_token, "MailedToken", 0, { &fld_token, 1, NULL });
SHAPE(fs_email, "Email", 0, { &fld_email, 1, NULL });
SHAPE(fs_reset_password, "ResetPassword", 0, { &fld_token, 1, NULL },
    { &fld_password, 1, NULL });
SHAPE(fs_onboard_org, "OnboardOrganisation", 0, { &fld_name, 1, NULL },
    { &fld_slug, 1, NULL });
SHAPE(fs_onboard, "Onboard", 0, { &fld_organisation, 1, &fs_onboard_org },
    { &fld_email, 1, NULL }, { &fld_password, 1, NULL },
    { &fld_first_name, 1, NULL }, { &fld_last_name, 1, NULL });
SHAPE(fs_invite_create, "InvitationCreate", 0, { &fld_email, 1, NULL },
    { &fld_role, 1, NULL });
SHAPE(fs_invite_accept, "InvitationAccept", 0, { &fld_password, 1, NULL },
    { &fld_first_name, 0, NULL }, { &fld_last_name, 0, NULL });
SHAPE(fs_profile, "ProfileUpdate", 0, { &fld_first_name, 0, NULL },
    { &fld_last_name, 0, NULL }, { &fld_phone, 0, NULL },
    { &fld_preferences, 0, NULL }, { &fld_addresses, 0, NULL });
SHAPE(fs_password_change, "PasswordChange", 0,
    { &fld_current_password, 1, NULL }, { &fld_new_password, 1, NULL });
SHAPE(fs_password_confirm, "PasswordConfirm", 0,
    { &fld_password, 1, NULL });
SHAPE(fs_org_update, "OrganisationUpdate", 0, { &fld_name, 0, NULL },
    { &fld_settings, 0, NULL });
SHAPE(fs_org_create, "OrganisationCreate", 0, { &fld_name, 1, NULL },
    { &fld_slug, 1, NULL }, { &fld_settings, 0, NULL });
SHAPE(fs_org_patch, "OrganisationPatch", 0, { &fld_name, 0, NULL },
    { &fld_status, 0, NULL });
SHAPE(fs_role_create, "RoleCreate", 0, { &fld_slug, 1, NULL },
    { &fld_name, 1, NULL }, { &fld_description, 0, NULL },
    { &fld_permissions, 0, NULL });
SHAPE(fs_role_update, "RoleUpdate", 0, { &fld_slug, 0, NULL },
    { &fld_name, 0, NULL }, { &fld_description, 0, NULL },
    { &fld_permissions, 0, NULL });
SHAPE(fs_breach_revoke, "BreachRevoke", 0,
    { &fld_organisation_id, 0, NULL }, { &fld_user_id, 0, NULL });
SHAPE(fs_member_create, "MemberCreate", 0, { &fld_email, 1, NULL },
    { &fld_password, 0, NULL }, { &fld_first_name, 0, NULL },
    { &fld_last_name, 0, NULL }, { &fld_roles, 0, NULL },
    { &fld_status, 0, NULL }, { &fld_email_verified, 0, NULL });
SHAPE(fs_member_update, "MemberUpdate", 0, { &fld_first_name, 0, NULL },
    { &fld_last_name, 0, NULL }, { &fld_phone, 0, NULL },
    { &fld_preferences, 0, NULL }, { &fld_addresses, 0, NULL },
    { &fld_status, 0, NULL });
SHAPE(fs_member_roles, "MemberRoles", 0, { &fld_roles, 1, NULL });
SHAPE(fs_page_query, "PageQuery", 1, { &fld_page, 0, NULL },
    { &fld_limit, 0, NULL });
SHAPE(fs_status_query, "StatusQuery", 1, { &fld_page, 0, NULL },
    { &fld_limit, 0, NULL }, { &fld_status, 0, NULL });
SHAPE(fs_users_query, "UsersQuery", 1, { &fld_page, 0, NULL },
    { &fld_limit, 0, NULL }, { &fld_search, 0, NULL },
    { &fld_role, 0, NULL }, { &fld_status, 0, NULL },
    { &fld_sort, 0, NULL });
SHAPE(fs_audit_query, "AuditQuery", 1, { &fld_page, 0, NULL },
    { &fld_limit, 0, NULL }, { &fld_actor, 0, NULL },
    { &fld_action, 0, NULL }, { &fld_category, 0, NULL },
    { &fld_target, 0, NULL }, { &fld_success, 0, NULL },
    { &fld_since, 0, NULL }, { &fld_until, 0, NULL });

static const char *const addr_keys[] = { "line1", "line2", "city", "region",
	"postalCode", "country", NULL };

static int
is_addr_key(const char *k)
{
	size_t	i;

	for (i = 0; addr_keys[i] != NULL; i++)
		if (strcmp(addr_keys[i], k) == 0)
			return 1;
	return 0;
}

/*
 * Stored JSON is bounded where it is written (API.md, settled details):
 * at most STORED_DEPTH levels and STORED_BYTES bytes as stored text, so
 * every reader (the API, the admin routes, iamctl) can always read back
 * what was accepted.
 */
#define STORED_DEPTH	8
#define STORED_BYTES	8192

/* 1 if v nests at most max levels (an object or array is one level). */
static int
depth_within(json_object *v, int max)
{
	size_t	i, n;

	if (!json_object_is_type(v, json_type_object) &&
	    !json_object_is_type(v, json_type_array))
		return 1;
	if (max < 1)
		return 0;
	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			if (!depth_within(json_object_array_get_idx(v, i),
			    max - 1))
				return 0;
		return 1;
	}
	json_object_object_foreach(v, k, m) {
		(void)k;
		if (!depth_within(m, max - 1))
			return 0;
	}
	return 1;
}

/* The verdict on one entry of an F_STRINGS or F_URIS array. */
static const char *
entry_check(enum ftype t, const char *s, size_t len)
{
	size_t	k;

	if (len != strlen(s) || len < 1 || len > (t == F_URIS ? 2048 : 64))
		return t == F_URIS ? "entries must be 1-2048 bytes" :
		    "entries must be 1-64 characters, without commas";
	if (t == F_STRINGS)
		return strchr(s, ',') != NULL ? "entries must be 1-64 "
		    "characters, without commas" : NULL;
	for (k = 0; k < len; k++)
		if ((unsigned char)s[k] <= 0x20 || s[k] == 0x7f)
			return "entries must have no space or control character";
	return NULL;
}

const char *
field_check(const struct field *f, json_object *v, struct arena *a)
{
	const char	*s, *why;
	char		 key[IDENT_KEY_MAX];
	size_t		 i, n;

	switch (f->type) {
	case F_UUID:
		if (!json_object_is_type(v, json_type_string))
			return "must be a string";
		return uuid_valid(json_object_get_string(v)) ? NULL :
		    "must be a UUID";
	case F_STRING:
	case F_EMAIL:
	case F_SECRET:
		if (!json_object_is_type(v, json_type_string))
			return "must be a string";
		s = json_object_get_string(v);
		if ((size_t)json_object_get_string_len(v) != strlen(s))
			return "must not contain NUL";
		if (f->type == F_EMAIL) {
			if (!email_valid(s))
				return "must be a valid email address";
			/* An address must have a canonical form: one
			 * script in its local part, a valid domain. */
			return ident_email_key(s, key, sizeof(key), &why) ==
			    1 ? NULL : why;
		}
		if (f->type == F_SECRET)
			return strlen(s) <= (size_t)f->max ? NULL :
			    "is too long";
		/* A single line: no control characters (a name with CR/LF
		 * would be copied raw into a mail's headers or text). */
		for (i = 0; s[i] != '\0'; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				return "must not contain control characters";
		return utf8_chars(s) <= (size_t)f->max ? NULL : "is too long";
	case F_OBJECT:
		if (!json_object_is_type(v, json_type_object))
			return "must be an object";
		if (!depth_within(v, STORED_DEPTH))
			return "must nest at most 8 levels";
		if (strlen(json_object_to_json_string_ext(v,
		    JSON_C_TO_STRING_PLAIN)) > STORED_BYTES)
			return "must be at most 8192 bytes as JSON";
		return NULL;
	case F_ADDRESSES:
		if (!json_object_is_type(v, json_type_array))
			return "must be an array";
		n = json_object_array_length(v);
		if (n > (size_t)f->max)
			return "has too many entries";
		for (i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(v, i);

			if (!json_object_is_type(e, json_type_object))
				return "entries must be objects";
			json_object_object_foreach(e, k, s2) {
				if (!is_addr_key(k))
					return "entries take line1, line2, "
					    "city, region, postalCode, country";
				if (!json_object_is_type(s2,
				    json_type_string) || utf8_chars(
				    json_object_get_string(s2)) > 200)
					return "entry values must be strings "
					    "of at most 200 characters";
			}
		}
		return NULL;
	case F_BOOL:
		return json_object_is_type(v, json_type_boolean) ? NULL :
		    "must be true or false";
	case F_STRINGS:
	case F_URIS:
		if (!json_object_is_type(v, json_type_array))
			return "must be an array";
		n = json_object_array_length(v);
		if (n > (size_t)f->max)
			return "has too many entries";
		for (i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(v, i);

			if (!json_object_is_type(e, json_type_string))
				return "entries must be strings";
			if ((s = entry_check(f->type, json_object_get_string(e),
			    (size_t)json_object_get_string_len(e))) != NULL)
				return s;
		}
		return NULL;
	case F_INT:
		if (json_object_is_type(v, json_type_int) &&
		    json_object_get_int64(v) >= f->min &&
		    json_object_get_int64(v) <= f->max)
			return NULL;
		s = arena_printf(a, "must be a whole number from %lld to %lld",
		    (long long)f->min, (long long)f->max);
		return s != NULL ? s : "must be a whole number";
	}
	return "is invalid";
}


int
fields_check(const struct fspec *spec, json_object *obj, const char *prefix,
    json_object **vals, struct arena *a, const char **name, const char **msg)
{
	json_object	*sub[FS_MAX];
	const char	*m, *nm;
	size_t		 i;
	int		 known;

	for (i = 0; i < spec->n; i++)
		vals[i] = NULL;
	if (obj == NULL || !json_object_is_type(obj, json_type_object)) {
		*name = prefix[0] ? arena_printf(a, "%.*s",
		    (int)strlen(prefix) - 1, prefix) : "body";
		*msg = "The body must be a JSON object";
		return -1;
	}
	json_object_object_foreach(obj, key, val) {
		known = 0;
		nm = arena_printf(a, "%s%s", prefix, key);
		for (i = 0; i < spec->n; i++) {
			if (strcmp(spec->use[i].f->name, key) != 0)
				continue;
			known = 1;
			if ((m = field_check(spec->use[i].f, val, a)) != NULL) {
				*name = nm;
				*msg = arena_printf(a, "%s %s", nm, m);
				return -1;
			}
			vals[i] = val;
		}
		if (!known && !spec->open) {
			*name = nm;
			*msg = arena_printf(a, "Unknown field %s", nm);
			return -1;
		}
	}
	for (i = 0; i < spec->n; i++)
		if (spec->use[i].required && vals[i] == NULL) {
			*name = arena_printf(a, "%s%s", prefix,
			    spec->use[i].f->name);
			*msg = arena_printf(a, "%s is required", *name);
			return -1;
		}
	for (i = 0; i < spec->n; i++)
		if (spec->use[i].sub != NULL && vals[i] != NULL &&
		    fields_check(spec->use[i].sub, vals[i], arena_printf(a,
		    "%s%s.", prefix, spec->use[i].f->name), sub, a, name,
		    msg) == -1)
			return -1;
	return 0;
}

/* The catalogue entry of key in spec, or NULL. */
static const struct field *
lookup(const struct fspec *spec, const char *key)
{
	size_t	i;

	for (i = 0; i < spec->n; i++)
		if (strcmp(spec->use[i].f->name, key) == 0)
			return spec->use[i].f;
	return NULL;
}

/* A pair's value as the JSON value it stands for under f. */
static json_object *
pair_value(const struct field *f, const char *s)
{
	int64_t	n;

	if (f->type == F_BOOL && (strcmp(s, "true") == 0 ||
	    strcmp(s, "false") == 0))
		return json_object_new_boolean(s[0] == 't');
	if (f->type == F_INT && s[0] >= '0' && s[0] <= '9' &&
	    parse_int(s, 0, INT64_MAX, &n) == 0)
		return json_object_new_int64(n);
	return json_object_new_string(s);
}

json_object *
fields_from_pairs(const struct fspec *spec, const struct kvlist *pairs,
    struct arena *a, const char **name, const char **msg)
{
	json_object		*o, *prev, *arr;
	const struct field	*f;
	size_t			 i;

	if ((o = json_object_new_object()) == NULL) {
		*name = "body";
		*msg = "Out of memory";
		return NULL;
	}
	for (i = 0; i < pairs->n; i++) {
		const char *k = pairs->v[i].key, *v = pairs->v[i].val;

		if ((f = lookup(spec, k)) == NULL) {
			if (spec->open)
				continue;
			*name = arena_strdup(a, k);
			*msg = arena_printf(a, "Unknown field %s", k);
			json_object_put(o);
			return NULL;
		}
		if (v[0] == '\0')
			continue;
		prev = json_object_object_get(o, k);
		if (f->type == F_STRINGS || f->type == F_URIS) {
			if (prev == NULL) {
				arr = json_object_new_array();
				json_object_object_add(o, k, arr);
			} else
				arr = prev;
			json_object_array_add(arr, json_object_new_string(v));
			continue;
		}
		if (prev != NULL) {
			*name = arena_strdup(a, k);
			*msg = arena_printf(a, "%s must be given once", k);
			json_object_put(o);
			return NULL;
		}
		json_object_object_add(o, k, pair_value(f, v));
	}
	return o;
}

static json_object *
str(const char *s)
{
	return json_object_new_string(s);
}

static json_object *
field_schema(const struct fuse *u)
{
	const struct field	*f = u->f;
	json_object		*o, *it, *p;
	size_t			 i;

	if (u->sub != NULL)
		o = fields_schema(u->sub);
	else
		o = json_object_new_object();
	switch (f->type) {
	case F_STRING:
	case F_SECRET:
		json_object_object_add(o, "type", str("string"));
		json_object_object_add(o, "maxLength",
		    json_object_new_int64(f->max));
		if (f->type == F_SECRET)
			json_object_object_add(o, "format", str("password"));
		break;
	case F_UUID:
		json_object_object_add(o, "type", str("string"));
		json_object_object_add(o, "format", str("uuid"));
		break;
	case F_EMAIL:
		json_object_object_add(o, "type", str("string"));
		json_object_object_add(o, "format", str("email"));
		json_object_object_add(o, "maxLength",
		    json_object_new_int64(f->max));
		break;
	case F_OBJECT:
		if (u->sub == NULL)
			json_object_object_add(o, "type", str("object"));
		break;
	case F_ADDRESSES:
		json_object_object_add(o, "type", str("array"));
		json_object_object_add(o, "maxItems",
		    json_object_new_int64(f->max));
		it = json_object_new_object();
		json_object_object_add(it, "type", str("object"));
		json_object_object_add(it, "additionalProperties",
		    json_object_new_boolean(0));
		p = json_object_new_object();
		for (i = 0; addr_keys[i] != NULL; i++) {
			json_object *s = json_object_new_object();

			json_object_object_add(s, "type", str("string"));
			json_object_object_add(s, "maxLength",
			    json_object_new_int(200));
			json_object_object_add(p, addr_keys[i], s);
		}
		json_object_object_add(it, "properties", p);
		json_object_object_add(o, "items", it);
		break;
	case F_BOOL:
		json_object_object_add(o, "type", str("boolean"));
		break;
	case F_STRINGS:
		json_object_object_add(o, "type", str("array"));
		json_object_object_add(o, "maxItems",
		    json_object_new_int64(f->max));
		it = json_object_new_object();
		json_object_object_add(it, "type", str("string"));
		json_object_object_add(it, "minLength", json_object_new_int(1));
		json_object_object_add(it, "maxLength",
		    json_object_new_int(64));
		json_object_object_add(o, "items", it);
		break;
	case F_URIS:
		json_object_object_add(o, "type", str("array"));
		json_object_object_add(o, "maxItems",
		    json_object_new_int64(f->max));
		it = json_object_new_object();
		json_object_object_add(it, "type", str("string"));
		json_object_object_add(it, "format", str("uri"));
		json_object_object_add(it, "maxLength",
		    json_object_new_int(2048));
		json_object_object_add(o, "items", it);
		break;
	case F_INT:
		json_object_object_add(o, "type", str("integer"));
		json_object_object_add(o, "minimum",
		    json_object_new_int64(f->min));
		json_object_object_add(o, "maximum",
		    json_object_new_int64(f->max));
		break;
	}
	json_object_object_add(o, "description", str(f->doc));
	return o;
}

json_object *
fields_schema(const struct fspec *spec)
{
	json_object	*o = json_object_new_object(), *props, *req;
	size_t		 i;

	props = json_object_new_object();
	req = json_object_new_array();
	for (i = 0; i < spec->n; i++) {
		json_object_object_add(props, spec->use[i].f->name,
		    field_schema(&spec->use[i]));
		if (spec->use[i].required)
			json_object_array_add(req,
			    str(spec->use[i].f->name));
	}
	json_object_object_add(o, "type", str("object"));
	json_object_object_add(o, "properties", props);
	if (json_object_array_length(req) > 0)
		json_object_object_add(o, "required", req);
	else
		json_object_put(req);
	if (!spec->open)
		json_object_object_add(o, "additionalProperties",
		    json_object_new_boolean(0));
	return o;
}
