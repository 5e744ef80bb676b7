/*
 * validate.h: every input field is declared once, with its type and
 * limits; a handler receives the checked values and never reads the raw
 * body.  Unknown fields are refused, not ignored.
 */
#ifndef IAM_VALIDATE_H
#define IAM_VALIDATE_H

#include <json-c/json.h>
#include <stddef.h>

#include "errors.h"

struct req;

enum ftype {
	F_STRING,	/* a string of at most max characters */
	F_EMAIL,	/* a well-formed address */
	F_SECRET,	/* a password or token: a string, at most max bytes */
	F_OBJECT,	/* a JSON object */
	F_ADDRESSES,	/* an array of address objects */
	F_BOOL,		/* true or false */
	F_STRINGS,	/* an array of at most max strings of 1-64 chars */
};

struct field {
	const char	*name;
	enum ftype	 type;
	int		 required;
	size_t		 max;
};

/*
 * Checks the JSON body against spec (n fields): it must be an object with
 * no other keys, each value of its type.  vals[i] gets the value of
 * spec[i] (borrowed) or NULL.  On error the answer is set (400
 * VALIDATION_ERROR naming the field) and the error returned.
 */
enum iam_err	 req_fields(struct req *, const struct field *spec, size_t n,
		    json_object **vals);

/* The same for a nested object obj, naming fields "prefix" + name. */
enum iam_err	 req_fields_in(struct req *, json_object *obj,
		    const char *prefix, const struct field *spec, size_t n,
		    json_object **vals);

/* The string value of a checked field, or NULL. */
const char	*fstr(json_object *);

#endif
