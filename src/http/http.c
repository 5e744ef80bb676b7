/*
 * http.c: building a request from FastCGI parameters and writing its
 * response.  The path that is routed is the path that is authorised: it is
 * taken once, from DOCUMENT_URI (NGINX, already percent-decoded and
 * dot-segment-merged by the server) or else PATH_INFO (Apache, CGI; the
 * mount point is SCRIPT_NAME), and normalised once more here so that a
 * server which did not merge dot segments cannot open a way around a rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "http.h"
#include "netaddr.h"
#include "env.h"

#define MAX_QUERY_PAIRS		64
#define MAX_FORM_PAIRS		64
#define MAX_COOKIES		32
#define MAX_JSON_DEPTH		32

const char *
req_param(const struct req *r, const char *name)
{
	size_t	 len = strlen(name);
	char	**e;

	for (e = r->io->env; e != NULL && *e != NULL; e++)
		if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
			return *e + len + 1;
	return NULL;
}

enum iam_err
http_parse(struct req *r)
{
	const struct config	*cfg = r->w->cfg;
	const char		*p, *q, *rid;
	char			*ipbuf;

	r->route = -1;
	r->method = method_parse(req_param(r, "REQUEST_METHOD"));

	/* The request id comes first so that every answer carries one. */
	rid = req_param(r, "HTTP_X_REQUEST_ID");
	if (request_id_sane(rid))
		snprintf(r->id, sizeof(r->id), "%s", rid);
	else
		env_request_id(r->w, r->id, sizeof(r->id));

	if ((ipbuf = arena_alloc(r->a, 64)) == NULL)
		return IAM_E_INTERNAL;
	r->ip = client_ip(req_param(r, "REMOTE_ADDR"),
	    req_param(r, "HTTP_X_FORWARDED_FOR"), &cfg->trusted_proxies,
	    ipbuf, 64);
	r->user_agent = req_param(r, "HTTP_USER_AGENT");
	r->authorization = req_param(r, "HTTP_AUTHORIZATION");
	r->origin = req_param(r, "HTTP_ORIGIN");

	if ((p = req_param(r, "DOCUMENT_URI")) == NULL &&
	    ((p = req_param(r, "PATH_INFO")) == NULL || *p == '\0'))
		p = "/";
	if ((r->path = path_normalise(r->a, p)) == NULL) {
		r->path = "/";
		return IAM_E_VALIDATION;
	}
	q = req_param(r, "QUERY_STRING");
	if (q != NULL && parse_urlencoded(r->a, q, strlen(q),
	    MAX_QUERY_PAIRS, &r->query) == -1)
		return IAM_E_VALIDATION;
	if (parse_cookies(r->a, req_param(r, "HTTP_COOKIE"), MAX_COOKIES,
	    &r->cookies) == -1)
		return IAM_E_VALIDATION;
	return IAM_OK;
}

static void
json_put_cb(void *p)
{
	json_object_put(p);
}

enum iam_err
http_body(struct req *r, const char **msg)
{
	const char	*cl, *ct;
	char		*type, *charset, *body;
	int64_t		 len;
	size_t		 got = 0;
	long		 n;
	int		 rc;
	json_tokener	*tok;

	*msg = NULL;
	cl = req_param(r, "CONTENT_LENGTH");
	ct = req_param(r, "CONTENT_TYPE");
	if (cl == NULL || *cl == '\0')
		len = 0;
	else if (parse_int(cl, 0, INT64_MAX, &len) == -1) {
		*msg = "Content-Length is not a number";
		return IAM_E_VALIDATION;
	}
	if (len > r->w->cfg->max_body_bytes)
		return IAM_E_PAYLOAD_TOO_LARGE;
	if (ct == NULL || *ct == '\0') {
		if (len == 0)
			return IAM_OK;
		*msg = "A body needs a Content-Type";
		return IAM_E_UNSUPPORTED_MEDIA_TYPE;
	}
	if (parse_content_type(r->a, ct, &type, &charset) == -1) {
		*msg = "Malformed Content-Type";
		return IAM_E_UNSUPPORTED_MEDIA_TYPE;
	}
	if (charset != NULL && strcmp(charset, "utf-8") != 0) {
		*msg = "Only UTF-8 bodies are accepted";
		return IAM_E_UNSUPPORTED_MEDIA_TYPE;
	}
	if (strcmp(type, "application/json") != 0 &&
	    strcmp(type, "application/x-www-form-urlencoded") != 0) {
		*msg = "Use application/json";
		return IAM_E_UNSUPPORTED_MEDIA_TYPE;
	}
	if ((body = arena_alloc(r->a, (size_t)len + 1)) == NULL)
		return IAM_E_INTERNAL;
	while (got < (size_t)len) {
		n = r->io->read(r->io->ctx, body + got, (size_t)len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != (size_t)len) {
		*msg = "Request body ended early";
		return IAM_E_VALIDATION;
	}
	body[len] = '\0';

	if (strcmp(type, "application/x-www-form-urlencoded") == 0) {
		if (parse_urlencoded(r->a, body, (size_t)len, MAX_FORM_PAIRS,
		    &r->form) == -1) {
			*msg = "Malformed form body";
			return IAM_E_VALIDATION;
		}
		return IAM_OK;
	}
	if (len == 0 && (r->method & (M_GET | M_HEAD | M_DELETE |
	    M_OPTIONS)))
		return IAM_OK;
	if ((rc = json_check(body, (size_t)len, MAX_JSON_DEPTH)) != JSON_OK) {
		*msg = json_check_message(rc);
		return IAM_E_INVALID_JSON;
	}
	/*
	 * Well-formed by the strict check above; json-c only builds it.  The
	 * terminating NUL is passed too: without it json-c cannot know that a
	 * top-level number such as "2" has ended (found by fuzz_json).
	 */
	if ((tok = json_tokener_new_ex(MAX_JSON_DEPTH + 1)) == NULL)
		return IAM_E_INTERNAL;
	r->json = json_tokener_parse_ex(tok, body, (int)len + 1);
	rc = json_tokener_get_error(tok);
	json_tokener_free(tok);
	/* A body of "null" is a NULL object with success: not an error. */
	if (rc != json_tokener_success) {
		json_object_put(r->json);
		r->json = NULL;
		*msg = "Request body is not well-formed JSON";
		return IAM_E_INVALID_JSON;
	}
	r->has_json = 1;
	if (r->json != NULL && arena_defer(r->a, json_put_cb, r->json) == -1) {
		json_object_put(r->json);
		r->json = NULL;
		return IAM_E_INTERNAL;
	}
	return IAM_OK;
}

void
resp_header(struct req *r, const char *name, const char *val)
{
	struct hdr	*h;

	if (r->nhdrs == r->hdrcap) {
		r->hdrcap = r->hdrcap ? r->hdrcap * 2 : 8;
		if ((h = arena_alloc(r->a, r->hdrcap * sizeof(*h))) == NULL)
			return;
		if (r->nhdrs)
			memcpy(h, r->hdrs, r->nhdrs * sizeof(*h));
		r->hdrs = h;
	}
	r->hdrs[r->nhdrs].name = arena_strdup(r->a, name);
	r->hdrs[r->nhdrs].val = arena_strdup(r->a, val);
	if (r->hdrs[r->nhdrs].name != NULL && r->hdrs[r->nhdrs].val != NULL)
		r->nhdrs++;
}

void
resp_json(struct req *r, int status, json_object *doc)
{
	const char	*s;
	size_t		 len;

	buf_init(&r->body, r->a);
	s = json_object_to_json_string_length(doc, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL) {
		json_object_put(doc);
		resp_error(r, IAM_E_INTERNAL, NULL, NULL);
		return;
	}
	buf_add(&r->body, s, len);
	json_object_put(doc);
	r->status = status;
	r->ctype = "application/json; charset=utf-8";
}

void
resp_data(struct req *r, int status, json_object *data)
{
	json_object	*env = json_object_new_object();

	json_object_object_add(env, "success", json_object_new_boolean(1));
	json_object_object_add(env, "data", data);
	resp_json(r, status, env);
}

void
resp_error(struct req *r, enum iam_err e, const char *msg,
    json_object *details)
{
	json_object	*env, *err;

	r->err = e;
	env = json_object_new_object();
	err = json_object_new_object();
	json_object_object_add(err, "code",
	    json_object_new_string(iam_err_code(e)));
	/* A 500 never shows internals, whatever the caller passed. */
	if (msg == NULL || iam_err_status(e) >= 500)
		msg = iam_err_message(e);
	json_object_object_add(err, "message", json_object_new_string(msg));
	if (details != NULL)
		json_object_object_add(err, "details", details);
	json_object_object_add(env, "success", json_object_new_boolean(0));
	json_object_object_add(env, "error", err);
	resp_json(r, iam_err_status(e), env);
}

void
resp_field_error(struct req *r, enum iam_err e, const char *field,
    const char *msg)
{
	json_object	*d = json_object_new_array(), *o;

	o = json_object_new_object();
	json_object_object_add(o, "field", json_object_new_string(field));
	json_object_object_add(o, "message", json_object_new_string(msg));
	json_object_array_add(d, o);
	resp_error(r, e, msg, d);
}

void
resp_text(struct req *r, int status, const char *ctype, const char *text,
    size_t len)
{
	buf_init(&r->body, r->a);
	buf_add(&r->body, text, len);
	r->status = status;
	r->ctype = ctype;
}

void
resp_empty(struct req *r, int status)
{
	buf_init(&r->body, r->a);
	r->status = status;
	r->ctype = NULL;
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

int
http_write(struct req *r)
{
	struct buf	h;
	size_t		i;
	int		rc, cache;

	buf_init(&h, r->a);
	buf_printf(&h, "Status: %d %s\r\n", r->status, reason(r->status));
	if (r->ctype != NULL && r->status != 204)
		buf_printf(&h, "Content-Type: %s\r\n", r->ctype);
	if (r->status != 204)
		buf_printf(&h, "Content-Length: %zu\r\n", r->body.len);
	buf_printf(&h, "X-Request-Id: %s\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "Referrer-Policy: no-referrer\r\n", r->id);
	cache = 0;
	for (i = 0; i < r->nhdrs; i++) {
		buf_puts(&h, r->hdrs[i].name);
		buf_add(&h, ": ", 2);
		buf_puts(&h, r->hdrs[i].val);
		buf_add(&h, "\r\n", 2);
		cache |= strcasecmp(r->hdrs[i].name, "Cache-Control") == 0;
	}
	/* no-store unless the handler chose (only public documents do). */
	if (!cache)
		buf_puts(&h, "Cache-Control: no-store\r\n");
	buf_puts(&h, "\r\n");
	if (h.oom || r->body.oom)
		return -1;
	rc = r->io->write(r->io->ctx, h.data, h.len);
	if (rc == 0 && r->body.len > 0 && r->method != M_HEAD &&
	    r->status != 204)
		rc = r->io->write(r->io->ctx, r->body.data, r->body.len);
	return rc;
}

/* The Allow header listing the methods of allow (a mask). */
void
resp_allow(struct req *r, unsigned allow)
{
	static const enum method order[] = { M_GET, M_HEAD, M_POST, M_PUT,
	    M_PATCH, M_DELETE, M_OPTIONS };
	struct buf	b;
	size_t		i;

	buf_init(&b, r->a);
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (allow & order[i])
			buf_printf(&b, "%s%s", b.len ? ", " : "",
			    method_name(order[i]));
	if (!b.oom)
		resp_header(r, "Allow", b.data);
}
