/*
 * text.h: the codecs every layer shares (UTF-8, strict JSON
 * well-formedness, integers and durations, base64url, hex, UUIDs,
 * addresses, RFC 3339).  Pure functions; strings they return live in the
 * caller's arena.
 */
#ifndef IAM_TEXT_H
#define IAM_TEXT_H

#include <stddef.h>
#include <stdint.h>

struct arena;

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
 * Parses a duration: "30s", "15m", "12h", "7d" or plain seconds, into
 * seconds.  Returns 0, or -1 if malformed, negative or over INT32_MAX.
 */
int	 parse_duration(const char *, int64_t *secs);

/* Parses a decimal integer in [min, max] with nothing after it. */
int	 parse_int(const char *, int64_t min, int64_t max, int64_t *out);

/* The value of one hex digit (either case), or -1. */
int	 hex_digit(int c);
/* base64url without padding (RFC 4648 §5), as JWTs use it. */
char	*b64url_encode(struct arena *, const void *, size_t);
/* Percent-encodes s for a query value (RFC 3986 unreserved and '/'
 * kept), into the arena; NULL when out of memory. */
char	*pct_encode(struct arena *, const char *s);
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
