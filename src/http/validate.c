/*
 * validate.c: field declarations checked against a JSON body.
 */
#include <string.h>

#include "http.h"
#include "ident.h"
#include "parse.h"
#include "validate.h"

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

/* NULL if v is a valid value of f, else the message. */
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

static const char *
check(const struct field *f, json_object *v)
{
	const char	*s, *why;
	char		 key[IDENT_KEY_MAX];
	size_t		 i, n;

	switch (f->type) {
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
			return strlen(s) <= f->max ? NULL : "is too long";
		/* A single line: no control characters (a name with CR/LF
		 * would be copied raw into a mail's headers or text). */
		for (i = 0; s[i] != '\0'; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				return "must not contain control characters";
		return utf8_chars(s) <= f->max ? NULL : "is too long";
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
		if (n > f->max)
			return "has too many entries";
		for (i = 0; i < n; i++) {
			json_object *a = json_object_array_get_idx(v, i);

			if (!json_object_is_type(a, json_type_object))
				return "entries must be objects";
			json_object_object_foreach(a, k, s2) {
				if (!is_addr_key(k))
					return "entries take line1, line2, "
					    "city, region, postalCode, country";
				if (!json_object_is_type(s2, json_type_string) ||
				    utf8_chars(json_object_get_string(s2)) > 200)
					return "entry values must be strings "
					    "of at most 200 characters";
			}
		}
		return NULL;
	case F_BOOL:
		return json_object_is_type(v, json_type_boolean) ? NULL :
		    "must be true or false";
	case F_STRINGS:
		if (!json_object_is_type(v, json_type_array))
			return "must be an array";
		n = json_object_array_length(v);
		if (n > f->max)
			return "has too many entries";
		for (i = 0; i < n; i++) {
			json_object *a = json_object_array_get_idx(v, i);

			if (!json_object_is_type(a, json_type_string))
				return "entries must be strings";
			s = json_object_get_string(a);
			if ((size_t)json_object_get_string_len(a) !=
			    strlen(s) || strlen(s) < 1 || strlen(s) > 64 ||
			    strchr(s, ',') != NULL)
				return "entries must be 1-64 characters, "
				    "without commas";
		}
		return NULL;
	}
	return "is invalid";
}

enum iam_err
req_fields_in(struct req *r, json_object *obj, const char *prefix,
    const struct field *spec, size_t n, json_object **vals)
{
	const char	*msg, *name;
	size_t		 i;
	int		 known;

	for (i = 0; i < n; i++)
		vals[i] = NULL;
	if (obj == NULL || !json_object_is_type(obj, json_type_object)) {
		resp_field_error(r, IAM_E_VALIDATION, prefix[0] ? arena_printf(
		    r->a, "%.*s", (int)strlen(prefix) - 1, prefix) : "body",
		    "The body must be a JSON object");
		return IAM_E_VALIDATION;
	}
	json_object_object_foreach(obj, key, val) {
		known = 0;
		name = arena_printf(r->a, "%s%s", prefix, key);
		for (i = 0; i < n; i++) {
			if (strcmp(spec[i].name, key) != 0)
				continue;
			known = 1;
			if ((msg = check(&spec[i], val)) != NULL) {
				resp_field_error(r, IAM_E_VALIDATION, name,
				    arena_printf(r->a, "%s %s", name, msg));
				return IAM_E_VALIDATION;
			}
			vals[i] = val;
		}
		if (!known) {
			resp_field_error(r, IAM_E_VALIDATION, name,
			    arena_printf(r->a, "Unknown field %s", name));
			return IAM_E_VALIDATION;
		}
	}
	for (i = 0; i < n; i++)
		if (spec[i].required && vals[i] == NULL) {
			name = arena_printf(r->a, "%s%s", prefix, spec[i].name);
			resp_field_error(r, IAM_E_VALIDATION, name,
			    arena_printf(r->a, "%s is required", name));
			return IAM_E_VALIDATION;
		}
	return IAM_OK;
}

enum iam_err
req_fields(struct req *r, const struct field *spec, size_t n,
    json_object **vals)
{
	return req_fields_in(r, r->has_json ? r->json : NULL, "", spec, n,
	    vals);
}

const char *
fstr(json_object *v)
{
	return v != NULL ? json_object_get_string(v) : NULL;
}
