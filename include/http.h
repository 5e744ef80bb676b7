/*
 * http.h: one request and its response, as the transport layer builds them
 * from FastCGI (or CGI) parameters.  Everything hangs off the request's
 * arena; nothing outlives the response.
 */
#ifndef IAM_HTTP_H
#define IAM_HTTP_H

#include <json-c/json.h>
#include <stdint.h>

#include "arena.h"
#include "errors.h"
#include "parse.h"
#include "router.h"

struct env;

/* Where a request comes from and its response goes: FastCGI or CGI. */
struct io {
	void	 *ctx;
	char	**env;
	/* Reads up to n bytes; returns the count, 0 at the end, -1 on error. */
	long	(*read)(void *ctx, char *buf, size_t n);
	/* Writes n bytes; returns 0 or -1. */
	int	(*write)(void *ctx, const char *buf, size_t n);
};

struct hdr {
	const char	*name;
	const char	*val;
};

struct req {
	struct arena	*a;
	struct env	*w;		/* borrowed */
	struct io	*io;		/* borrowed */

	enum method	 method;
	const char	*path;		/* normalised; routed and authorised */
	struct kvlist	 query;
	struct kvlist	 cookies;
	struct kvlist	 params;	/* ":name" captures of the route */
	struct kvlist	 form;		/* urlencoded body */
	json_object	*json;		/* parsed JSON body (NULL: none or null) */
	int		 has_json;	/* a JSON body was sent */
	const char	*ip;		/* client address (see netaddr.h) */
	const char	*user_agent;
	const char	*authorization;
	char		 id[129];	/* request id, sane */
	long		 route;		/* index in routes[], or -1 */
	/* The authenticated caller (from a verified access token). */
	const char	*user_id;
	const char	*org_id;
	const char	*sid;
	int64_t		 iat;
	/* Loaded for routes with a permission or R_SYSTEM. */
	const char	*perms;		/* comma-separated, as held */
	const char	*email;
	int		 system_admin;
	const char	*origin;	/* Origin header, or NULL */
	/* Set when the caller came by the iam_sid cookie (guard_cookie). */
	int		 via_cookie;
	json_object	*claims;	/* a verified bearer token's */
	const char	*roles;		/* the session's role slugs */
	const char	*csrf_hash;	/* its CSRF token's, as stored */
	int64_t		 auth_time;

	enum iam_err	 err;		/* the last resp_error's, or IAM_OK */
	/* An origin a page's form may end at (its CSP's form-action), when
	 * the redirect after the POST leaves this origin. */
	const char	*form_origin;

	/* Response. */
	int		 status;	/* 0 until a response is set */
	struct hdr	*hdrs;
	size_t		 nhdrs, hdrcap;
	const char	*ctype;
	struct buf	 body;
};

/* FastCGI/CGI parameter by name, or NULL. */
const char	*req_param(const struct req *, const char *name);

/*
 * Builds the request from io->env: method, path, query, cookies, client
 * address, request id.  Returns IAM_OK or the error to answer with.
 */
enum iam_err	 http_parse(struct req *);

/*
 * Reads and checks the body: size against MAX_BODY_BYTES, content type,
 * JSON well-formedness (parsed into req->json) or form decoding.  Returns
 * IAM_OK or the error to answer with; *msg gets a precise message.
 */
enum iam_err	 http_body(struct req *, const char **msg);

/* Adds a response header (name and value copied into the arena). */
void	 resp_header(struct req *, const char *name, const char *val);
/* {"success":true,"data":data}; takes over data's reference. */
void	 resp_data(struct req *, int status, json_object *data);
/* Any JSON document as is (operations routes); takes over the reference. */
void	 resp_json(struct req *, int status, json_object *doc);
/* The error envelope; details (may be NULL) is taken over. */
void	 resp_error(struct req *, enum iam_err, const char *msg,
	    json_object *details);
/* A validation error naming one field. */
void	 resp_field_error(struct req *, enum iam_err, const char *field,
	    const char *msg);
/* Plain text or any other type; text is copied. */
void	 resp_text(struct req *, int status, const char *ctype,
	    const char *text, size_t len);
/* 204 No Content. */
void	 resp_empty(struct req *, int status);
/* Allow: the methods of the mask allow, in a fixed order. */
void	 resp_allow(struct req *, unsigned allow);

/* Writes status line, headers and body through io.  0 or -1. */
int	 http_write(struct req *);

#endif
