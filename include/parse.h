/*
 * parse.h: the pure parsers of the transport layer (query strings, forms,
 * cookies, the Authorization header, paths, content types).  None of them
 * touch the network, the database or global state, so each is unit-tested
 * and fuzzed on its own.  Strings they return live in the caller's arena.
 * The codecs under them are text.h's.
 */
#ifndef IAM_PARSE_H
#define IAM_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "text.h"

struct arena;

/* A decoded name/value pair (query, form, cookie). */
struct kv {
	const char	*key;
	const char	*val;
};

struct kvlist {
	struct kv	*v;
	size_t		 n;
};

/* Looks up the first pair named key; NULL if absent. */
const char	*kv_get(const struct kvlist *, const char *key);

/*
 * Percent-decodes s[0..len) ('+' as space when plus is set) into the arena.
 * Returns NULL on a bad escape, a decoded NUL or invalid UTF-8.
 */
char	*pct_decode(struct arena *, const char *s, size_t len, int plus,
	    size_t *outlen);

/*
 * Parses "a=1&b=2" (query strings and application/x-www-form-urlencoded
 * bodies) into out.  At most maxpairs pairs.  Returns 0, or -1 on a bad
 * escape, NUL, invalid UTF-8 or too many pairs (out is then undefined).
 */
int	 parse_urlencoded(struct arena *, const char *s, size_t len,
	    size_t maxpairs, struct kvlist *out);

/*
 * Parses a Cookie header ("a=1; b=2").  Values are kept as sent (cookie
 * values are not percent-encoded by contract); surrounding double quotes are
 * removed.  Pairs without '=' or with control characters are skipped, so a
 * stray bad cookie from another application does not break the request.
 * Returns 0, or -1 when out of memory or over maxpairs.
 */
int	 parse_cookies(struct arena *, const char *hdr, size_t maxpairs,
	    struct kvlist *out);

/*
 * Parses an Authorization header that must be exactly "Bearer <token>"
 * with one space and a token of RFC 6750 b64token characters.
 * Returns 1 and sets *tok (pointing into hdr), 0 if hdr is NULL or empty,
 * -1 if malformed.
 */
int	 parse_bearer(const char *hdr, const char **tok, size_t *toklen);

/*
 * Parses "Basic <base64(id:secret)>" (RFC 7617; each half form-encoded,
 * RFC 6749 §2.3.1) into *id and *secret in the arena.  Returns 1, 0 if
 * hdr is not a Basic header, -1 if it is a malformed one.
 */
int	 parse_basic(struct arena *, const char *hdr, char **id,
	    char **secret);
/*
 * Normalises a decoded URL path: must start with '/', no control bytes,
 * valid UTF-8; "//" collapsed, "." and ".." segments resolved (never above
 * the root), a trailing '/' removed except for the root.  Returns the new
 * path or NULL if it is invalid.
 */
char	*path_normalise(struct arena *, const char *path);

/*
 * 1 if v may be a return_to (an open redirect never): a same-origin path
 * ('/' not followed by '/' or '\\'), or, when domain is set, an absolute
 * https URL (http only on localhost or 127.0.0.1) without userinfo whose
 * host is domain or ends with '.' + domain.  No control byte, space or
 * backslash anywhere; at most 2048 bytes.
 */
int	 return_to_ok(const char *v, const char *domain);
/* Returns 1 if id is 1-128 characters of [A-Za-z0-9._-]. */
int	 request_id_sane(const char *id);

/*
 * Parses a Content-Type value into its media type (lower-cased, in the
 * arena) and its charset parameter (NULL if none).  Returns 0 or -1.
 */
int	 parse_content_type(struct arena *, const char *hdr, char **type,
	    char **charset);

#endif
