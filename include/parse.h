/*
 * parse.h: the pure parsers of the transport layer.  None of them touch
 * the network, the database or global state, so each is unit-tested and
 * fuzzed on its own.  Strings they return live in the caller's arena.
 */
#ifndef IAM_PARSE_H
#define IAM_PARSE_H

#include <stddef.h>
#include <stdint.h>

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

/* Returns 1 if s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
int	 utf8_valid(const char *s, size_t len);
/* Characters (code points) in a valid UTF-8 string. */
size_t	 utf8_chars(const char *s);

/*
 * Strict RFC 8259 check of a JSON text: one value, optional white space
 * around it, strings in valid UTF-8 without control characters, no
 * "\u0000" and no unpaired surrogate escape, nesting at most maxdepth.
 * Returns JSON_OK or a negative JSON_E_*.
 */
enum {
	JSON_OK = 0,
	JSON_E_SYNTAX = -1,
	JSON_E_DEPTH = -2,
	JSON_E_NUL = -3,
	JSON_E_UTF8 = -4,
	JSON_E_SURROGATE = -5,
	JSON_E_EMPTY = -6,
};
int	 json_check(const char *s, size_t len, int maxdepth);
const char *json_check_message(int);

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
 * Normalises a decoded URL path: must start with '/', no control bytes,
 * valid UTF-8; "//" collapsed, "." and ".." segments resolved (never above
 * the root), a trailing '/' removed except for the root.  Returns the new
 * path or NULL if it is invalid.
 */
char	*path_normalise(struct arena *, const char *path);

/* Returns 1 if id is 1-128 characters of [A-Za-z0-9._-]. */
int	 request_id_sane(const char *id);

/*
 * Parses a duration: "30s", "15m", "12h", "7d" or plain seconds, into
 * seconds.  Returns 0, or -1 if malformed, negative or over INT32_MAX.
 */
int	 parse_duration(const char *, int64_t *secs);

/* Parses a decimal integer in [min, max] with nothing after it. */
int	 parse_int(const char *, int64_t min, int64_t max, int64_t *out);

/*
 * Parses a Content-Type value into its media type (lower-cased, in the
 * arena) and its charset parameter (NULL if none).  Returns 0 or -1.
 */
int	 parse_content_type(struct arena *, const char *hdr, char **type,
	    char **charset);


/* base64url without padding (RFC 4648 §5), as JWTs use it. */
char	*b64url_encode(struct arena *, const void *, size_t);
/* Decodes base64url without padding; NULL on any bad character or length.
 * *outlen gets the decoded length; the result is NUL-terminated. */
unsigned char *b64url_decode(struct arena *, const char *, size_t,
	    size_t *outlen);
/* Lower-case hex (2n+1 bytes in the arena). */
char	*hex_encode(struct arena *, const void *, size_t);
/* Exactly 2n hex digits (either case) into n bytes.  0 or -1. */
int	 hex_decode(const char *, unsigned char *, size_t n);
/* Returns 1 if s is a canonical lower- or upper-case UUID. */
int	 uuid_valid(const char *s);
/* Returns 1 if s is a plausible email address (RFC 5321 sizes, one '@',
 * a dotted domain, no spaces or control characters). */
int	 email_valid(const char *s);

/*
 * 1 if s is an RFC 3339 date-time ("2026-11-23T05:57:16Z", fraction and
 * a numeric offset allowed) or a full date ("2026-11-23"), with a real
 * calendar day.
 */
int	 rfc3339_valid(const char *s);

#endif
