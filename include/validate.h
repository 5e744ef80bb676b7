/*
 * validate.h: a route's input checked against its shape in the field
 * catalogue (fields.h) before the handler reads it: the JSON body, a
 * nested object, form or query pairs.  A handler receives the checked
 * values (vals[i] for spec->use[i]) and never reads the raw input.
 * Unknown fields are refused, not ignored (query shapes excepted).
 */
#ifndef IAM_VALIDATE_H
#define IAM_VALIDATE_H

#include <json-c/json.h>
#include <stddef.h>

#include "errors.h"
#include "fields.h"

struct req;
struct kvlist;

/*
 * Checks the JSON body against spec.  On error the answer is set (400
 * VALIDATION_ERROR naming the field) and the error returned.
 */
enum iam_err	 req_fields(struct req *, const struct fspec *spec,
		    json_object **vals);

/* The same for a nested object obj, naming fields "prefix" + name. */
enum iam_err	 req_fields_in(struct req *, json_object *obj,
		    const char *prefix, const struct fspec *spec,
		    json_object **vals);

/* The same for form or query pairs (fields_from_pairs); the values live
 * until the request ends. */
enum iam_err	 req_pairs(struct req *, const struct kvlist *pairs,
		    const struct fspec *spec, json_object **vals);
/* req_pairs on the query string. */
enum iam_err	 req_query(struct req *, const struct fspec *spec,
		    json_object **vals);

/* The string value of a checked field, or NULL. */
const char	*fstr(json_object *);
/* A checked F_BOOL value: -1 absent, 0 or 1. */
int		 fbool(json_object *);

#endif
