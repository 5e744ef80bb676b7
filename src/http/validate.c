/*
 * validate.c: the catalogue's verdicts (fields.h) as answers: a shape
 * checked against the JSON body, a nested object, or the pairs of a form
 * or query string, the first fault answered 400 VALIDATION_ERROR naming
 * its field.
 */
#include <string.h>

#include "http.h"
#include "parse.h"
#include "validate.h"

enum iam_err
req_fields_in(struct req *r, json_object *obj, const char *prefix,
    const struct fspec *spec, json_object **vals)
{
	const char	*name, *msg;

	if (fields_check(spec, obj, prefix, vals, r->a, &name, &msg) == -1) {
		resp_field_error(r, IAM_E_VALIDATION, name, msg);
		return IAM_E_VALIDATION;
	}
	return IAM_OK;
}

enum iam_err
req_fields(struct req *r, const struct fspec *spec, json_object **vals)
{
	return req_fields_in(r, r->has_json ? r->json : NULL, "", spec, vals);
}

static void
put_cb(void *o)
{
	json_object_put(o);
}

enum iam_err
req_pairs(struct req *r, const struct kvlist *pairs,
    const struct fspec *spec, json_object **vals)
{
	const char	*name, *msg;
	json_object	*o;

	if ((o = fields_from_pairs(spec, pairs, r->a, &name, &msg)) == NULL) {
		resp_field_error(r, IAM_E_VALIDATION, name, msg);
		return IAM_E_VALIDATION;
	}
	/* The values live as long as the request. */
	if (arena_defer(r->a, put_cb, o) == -1) {
		json_object_put(o);
		resp_error(r, IAM_E_INTERNAL, NULL, NULL);
		return IAM_E_INTERNAL;
	}
	return req_fields_in(r, o, "", spec, vals);
}

enum iam_err
req_query(struct req *r, const struct fspec *spec, json_object **vals)
{
	size_t	i;

	/* No query string: every field absent, the verdict of no pairs. */
	if (r->query.n == 0) {
		for (i = 0; i < spec->n; i++) {
			if (spec->use[i].required) {
				resp_field_error(r, IAM_E_VALIDATION,
				    spec->use[i].f->name, arena_printf(r->a,
				    "%s is required", spec->use[i].f->name));
				return IAM_E_VALIDATION;
			}
			vals[i] = NULL;
		}
		return IAM_OK;
	}
	return req_pairs(r, &r->query, spec, vals);
}

const char *
fstr(json_object *v)
{
	return v != NULL ? json_object_get_string(v) : NULL;
}

int
fbool(json_object *v)
{
	return v == NULL ? -1 : json_object_get_boolean(v) ? 1 : 0;
}
