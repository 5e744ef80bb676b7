/*
 * h_openapi.c: GET /openapi.json, made from the route table (routes.c)
 * and the field catalogue (fields.c) its routes' bodies and query
 * strings are checked against, so the document cannot drift from what is
 * served.  Built once per
 * worker and kept.
 */
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "handlers.h"
#include "http.h"
#include "router.h"
#include "env.h"
#include "fields.h"

static char	*doc;		/* built on first use, kept */
static size_t	 doclen;

static json_object *
ref(const char *what)
{
	json_object	*o = json_object_new_object();

	json_object_object_add(o, "$ref", json_object_new_string(what));
	return o;
}

static json_object *
response(const char *desc, const char *schema)
{
	json_object	*o = json_object_new_object(), *c, *m;

	json_object_object_add(o, "description", json_object_new_string(desc));
	if (schema != NULL) {
		c = json_object_new_object();
		m = json_object_new_object();
		json_object_object_add(m, "schema", ref(schema));
		json_object_object_add(c, "application/json", m);
		json_object_object_add(o, "content", c);
	}
	return o;
}

/* "/v1/admin/users/:id/roles" → "/v1/admin/users/{id}/roles"; the path
 * parameters are added to params. */
static char *
oapath(struct arena *a, const char *pat, json_object *params)
{
	struct buf	 b;
	const char	*p, *e;
	json_object	*o, *s;
	char		*name;

	buf_init(&b, a);
	for (p = pat; *p != '\0'; p++) {
		if (*p != ':') {
			buf_putc(&b, *p);
			continue;
		}
		e = strchr(p, '/');
		name = arena_strndup(a, p + 1, e ? (size_t)(e - p - 1) :
		    strlen(p + 1));
		buf_printf(&b, "{%s}", name);
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "in", json_object_new_string("path"));
		json_object_object_add(o, "required",
		    json_object_new_boolean(1));
		s = json_object_new_object();
		json_object_object_add(s, "type", json_object_new_string(
		    "string"));
		json_object_object_add(o, "schema", s);
		json_object_array_add(params, o);
		p += strlen(name);
	}
	return b.data;
}

static const char *
lower_method(enum method m)
{
	switch (m) {
	case M_GET:
		return "get";
	case M_POST:
		return "post";
	case M_PUT:
		return "put";
	case M_PATCH:
		return "patch";
	case M_DELETE:
		return "delete";
	default:
		return "options";
	}
}

/* The query parameters of shape q, added to params. */
static void
query_params(const struct fspec *q, json_object *params)
{
	json_object	*schema, *p, *v;
	size_t		 i;

	schema = fields_schema(q);
	for (i = 0; i < q->n; i++) {
		p = json_object_new_object();
		json_object_object_add(p, "name",
		    json_object_new_string(q->use[i].f->name));
		json_object_object_add(p, "in", json_object_new_string("query"));
		json_object_object_add(p, "required",
		    json_object_new_boolean(q->use[i].required));
		v = json_object_object_get(json_object_object_get(schema,
		    "properties"), q->use[i].f->name);
		json_object_object_add(p, "description", json_object_get(
		    json_object_object_get(v, "description")));
		json_object_object_add(p, "schema", json_object_get(v));
		json_object_array_add(params, p);
	}
	json_object_put(schema);
}

static json_object *
operation(struct arena *a, const struct route *rt, json_object *params,
    json_object *schemas)
{
	json_object	*op = json_object_new_object(), *resp, *sec, *req, *m;
	size_t		 i;
	int		 needed = 0;

	json_object_object_add(op, "summary",
	    json_object_new_string(rt->summary));
	json_object_object_add(op, "operationId", json_object_new_string(
	    arena_printf(a, "%s %s", lower_method(rt->method), rt->pattern)));
	if (rt->query != NULL)
		query_params(rt->query, params);
	if (json_object_array_length(params) > 0)
		json_object_object_add(op, "parameters",
		    json_object_get(params));
	if (rt->body != NULL) {
		/* The body's schema, once in components. */
		if (!json_object_object_get_ex(schemas, rt->body->name, NULL))
			json_object_object_add(schemas, rt->body->name,
			    fields_schema(rt->body));
		for (i = 0; i < rt->body->n; i++)
			needed |= rt->body->use[i].required;
		req = json_object_new_object();
		json_object_object_add(req, "required",
		    json_object_new_boolean(needed));
		json_object_object_add(req, "content", json_object_new_object());
		m = json_object_new_object();
		json_object_object_add(m, "schema", ref(arena_printf(a,
		    "#/components/schemas/%s", rt->body->name)));
		json_object_object_add(json_object_object_get(req, "content"),
		    "application/json", m);
		json_object_object_add(op, "requestBody", req);
	}
	if (!(rt->flags & R_PUBLIC) || (rt->flags & R_AUTH_OPTIONAL)) {
		sec = json_object_new_array();
		json_object_array_add(sec, json_object_new_object());
		json_object_object_add(json_object_array_get_idx(sec, 0),
		    "bearerAuth", json_object_new_array());
		/* or the browser session, with X-CSRF-Token on writes */
		if (rt->flags & R_COOKIE) {
			json_object_array_add(sec, json_object_new_object());
			json_object_object_add(json_object_array_get_idx(sec,
			    1), "cookieAuth", json_object_new_array());
		}
		json_object_object_add(op, "security", sec);
	}
	if (rt->perm != NULL)
		json_object_object_add(op, "x-permission",
		    json_object_new_string(rt->perm));
	if (rt->flags & R_SYSTEM)
		json_object_object_add(op, "x-system-administrator",
		    json_object_new_boolean(1));
	resp = json_object_new_object();
	json_object_object_add(resp, "2XX", response("Success", NULL));
	json_object_object_add(resp, "400", response("Invalid request",
	    "#/components/schemas/Error"));
	if (!(rt->flags & R_PUBLIC)) {
		json_object_object_add(resp, "401", response(
		    "No or bad bearer token", "#/components/schemas/Error"));
		json_object_object_add(resp, "403", response(
		    "Not permitted", "#/components/schemas/Error"));
	}
	json_object_object_add(resp, "404", response("Not found",
	    "#/components/schemas/Error"));
	if (!(rt->flags & R_NORATE))
		json_object_object_add(resp, "429", response("Rate limited",
		    "#/components/schemas/Error"));
	json_object_object_add(op, "responses", resp);
	return op;
}

static json_object *
error_schema(void)
{
	return json_tokener_parse("{\"type\":\"object\",\"required\":"
	    "[\"success\",\"error\"],\"properties\":{\"success\":{\"const\":"
	    "false},\"error\":{\"type\":\"object\",\"required\":[\"code\","
	    "\"message\"],\"properties\":{\"code\":{\"type\":\"string\"},"
	    "\"message\":{\"type\":\"string\"},\"details\":{\"type\":"
	    "\"array\"}}}}}");
}

static int
build(struct env *w)
{
	struct arena	 a;
	json_object	*root, *info, *paths, *item, *params, *srv, *comp, *o;
	json_object	*schemas;
	const char	*s, *path;
	size_t		 i;

	arena_init(&a, 0);
	root = json_object_new_object();
	json_object_object_add(root, "openapi", json_object_new_string(
	    "3.1.0"));
	info = json_object_new_object();
	json_object_object_add(info, "title", json_object_new_string("iam"));
	json_object_object_add(info, "version", json_object_new_string("1"));
	json_object_object_add(info, "description", json_object_new_string(
	    "Identity and access management: accounts, tokens, "
	    "organisations, roles, audit. Generated from the route table."));
	json_object_object_add(root, "info", info);
	srv = json_object_new_array();
	o = json_object_new_object();
	json_object_object_add(o, "url", json_object_new_string(
	    w->cfg->issuer_url));
	json_object_array_add(srv, o);
	json_object_object_add(root, "servers", srv);
	paths = json_object_new_object();
	schemas = json_object_new_object();
	json_object_object_add(schemas, "Error", error_schema());
	for (i = 0; i < nroutes; i++) {
		/* HTML pages and their stylesheet are not the API */
		if ((routes[i].flags & R_PAGE) ||
		    strncmp(routes[i].pattern, "/static/", 8) == 0)
			continue;
		params = json_object_new_array();
		path = oapath(&a, routes[i].pattern, params);
		if (!json_object_object_get_ex(paths, path, &item)) {
			item = json_object_new_object();
			json_object_object_add(paths, path, item);
		}
		json_object_object_add(item, lower_method(routes[i].method),
		    operation(&a, &routes[i], params, schemas));
		json_object_put(params);
	}
	json_object_object_add(root, "paths", paths);
	comp = json_object_new_object();
	json_object_object_add(comp, "schemas", schemas);
	o = json_tokener_parse("{\"bearerAuth\":{\"type\":\"http\","
	    "\"scheme\":\"bearer\",\"bearerFormat\":\"JWT\"},"
	    "\"cookieAuth\":{\"type\":\"apiKey\",\"in\":\"cookie\","
	    "\"name\":\"iam_sid\",\"description\":\"The hosted pages' "
	    "session; unsafe methods also need X-CSRF-Token: the iam_csrf "
	    "cookie's value\"}}");
	json_object_object_add(comp, "securitySchemes", o);
	json_object_object_add(root, "components", comp);
	s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	doclen = strlen(s);
	if ((doc = malloc(doclen + 1)) != NULL)
		memcpy(doc, s, doclen + 1);
	json_object_put(root);
	arena_free(&a);
	return doc != NULL ? 0 : -1;
}

enum iam_err
ops_openapi(struct req *r)
{
	if (doc == NULL && build(r->w) == -1)
		return IAM_E_INTERNAL;
	resp_header(r, "Cache-Control", "public, max-age=300");
	resp_text(r, 200, "application/json", doc, doclen);
	return IAM_OK;
}
