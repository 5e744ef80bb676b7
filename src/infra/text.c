/*
 * text.c: the codecs every layer shares: UTF-8, a strict JSON
 * well-formedness check, integers and durations, base64url, hex, UUIDs,
 * addresses and RFC 3339 dates.  Pure: no network, no database, no global
 * state; strings they return live in the caller's arena.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "text.h"

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if there
 * is none: overlong forms, surrogates and code points over U+10FFFF are
 * refused, as RFC 3629 requires.
 */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	uint32_t	cp;
	size_t		len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

int
utf8_valid(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = utf8_seq(p + i, len - i)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

size_t
utf8_chars(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads four hex digits at s (n bytes available); -1 if malformed. */
static long
hex4(const unsigned char *s, size_t n)
{
	long	v = 0;
	int	d, i;

	if (n < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((d = hex_digit(s[i])) < 0)
			return -1;
		v = (v << 4) | d;
	}
	return v;
}

/* Scans a JSON string whose opening quote is at s[*pos]. */
static int
json_string(const unsigned char *s, size_t len, size_t *pos)
{
	size_t	i = *pos + 1, n;
	long	cp, lo;

	while (i < len) {
		if (s[i] == '"') {
			*pos = i + 1;
			return JSON_OK;
		}
		if (s[i] < 0x20)
			return s[i] == 0 ? JSON_E_NUL : JSON_E_SYNTAX;
		if (s[i] >= 0x80) {
			if ((n = utf8_seq(s + i, len - i)) == 0)
				return JSON_E_UTF8;
			i += n;
			continue;
		}
		if (s[i] != '\\') {
			i++;
			continue;
		}
		if (++i >= len)
			return JSON_E_SYNTAX;
		switch (s[i]) {
		case '"': case '\\': case '/': case 'b':
		case 'f': case 'n': case 'r': case 't':
			i++;
			continue;
		case 'u':
			break;
		default:
			return JSON_E_SYNTAX;
		}
		if ((cp = hex4(s + i + 1, len - i - 1)) < 0)
			return JSON_E_SYNTAX;
		i += 5;
		if (cp == 0)
			return JSON_E_NUL;
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return JSON_E_SURROGATE;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (len - i < 6 || s[i] != '\\' || s[i + 1] != 'u')
				return JSON_E_SURROGATE;
			lo = hex4(s + i + 2, len - i - 2);
			if (lo < 0)
				return JSON_E_SYNTAX;
			if (lo < 0xdc00 || lo > 0xdfff)
				return JSON_E_SURROGATE;
			i += 6;
		}
	}
	return JSON_E_SYNTAX;
}

static int
json_number(const unsigned char *s, size_t len, size_t *pos)
{
	size_t	i = *pos;

	if (i < len && s[i] == '-')
		i++;
	if (i >= len || !isdigit(s[i]))
		return JSON_E_SYNTAX;
	if (s[i] == '0')
		i++;
	else
		while (i < len && isdigit(s[i]))
			i++;
	if (i < len && s[i] == '.') {
		if (++i >= len || !isdigit(s[i]))
			return JSON_E_SYNTAX;
		while (i < len && isdigit(s[i]))
			i++;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= len || !isdigit(s[i]))
			return JSON_E_SYNTAX;
		while (i < len && isdigit(s[i]))
			i++;
	}
	*pos = i;
	return JSON_OK;
}

static size_t
json_ws(const unsigned char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '\r'))
		i++;
	return i;
}

int
json_check(const char *text, size_t len, int maxdepth)
{
	const unsigned char	*s = (const unsigned char *)text;
	unsigned char		 stack[256];
	size_t			 i, n;
	int			 depth = 0, rc;

	if (maxdepth < 1 || maxdepth > (int)sizeof(stack))
		return JSON_E_DEPTH;
	i = json_ws(s, len, 0);
	if (i == len)
		return JSON_E_EMPTY;
value:
	if (i >= len)
		return JSON_E_SYNTAX;
	switch (s[i]) {
	case '{':
	case '[':
		if (depth == maxdepth)
			return JSON_E_DEPTH;
		stack[depth++] = s[i++];
		i = json_ws(s, len, i);
		if (i < len && s[i] == (stack[depth - 1] == '{' ? '}' : ']')) {
			depth--;
			i++;
			goto after;
		}
		if (stack[depth - 1] == '{')
			goto key;
		goto value;
	case '"':
		if ((rc = json_string(s, len, &i)) != JSON_OK)
			return rc;
		goto after;
	case 't':
	case 'f':
	case 'n':
		n = s[i] == 'f' ? 5 : 4;
		if (len - i < n || memcmp(s + i, s[i] == 't' ? "true" :
		    s[i] == 'f' ? "false" : "null", n) != 0)
			return JSON_E_SYNTAX;
		i += n;
		goto after;
	default:
		if ((rc = json_number(s, len, &i)) != JSON_OK)
			return rc;
		goto after;
	}
key:
	if (i >= len || s[i] != '"')
		return JSON_E_SYNTAX;
	if ((rc = json_string(s, len, &i)) != JSON_OK)
		return rc;
	i = json_ws(s, len, i);
	if (i >= len || s[i] != ':')
		return JSON_E_SYNTAX;
	i = json_ws(s, len, i + 1);
	goto value;
after:
	i = json_ws(s, len, i);
	if (depth == 0)
		return i == len ? JSON_OK : JSON_E_SYNTAX;
	if (i >= len)
		return JSON_E_SYNTAX;
	if (s[i] == ',') {
		i = json_ws(s, len, i + 1);
		if (stack[depth - 1] == '{')
			goto key;
		goto value;
	}
	if (s[i] == (stack[depth - 1] == '{' ? '}' : ']')) {
		depth--;
		i++;
		goto after;
	}
	return JSON_E_SYNTAX;
}

const char *
json_check_message(int rc)
{
	switch (rc) {
	case JSON_OK:
		return "ok";
	case JSON_E_DEPTH:
		return "JSON nesting is too deep";
	case JSON_E_NUL:
		return "JSON strings must not contain NUL";
	case JSON_E_UTF8:
		return "JSON strings must be valid UTF-8";
	case JSON_E_SURROGATE:
		return "JSON string has an unpaired surrogate escape";
	case JSON_E_EMPTY:
		return "Request body is empty";
	default:
		return "Request body is not well-formed JSON";
	}
}

int
parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
parse_duration(const char *s, int64_t *secs)
{
	char		 num[32];
	size_t		 len;
	int64_t		 v, mult = 1;

	if (s == NULL || (len = strlen(s)) == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	default:
		mult = 0;
		break;
	}
	if (mult != 0)
		num[--len] = '\0';
	else
		mult = 1;
	if (len == 0 || !isdigit((unsigned char)num[0]))
		return -1;
	if (parse_int(num, 0, INT32_MAX, &v) == -1 || v > INT32_MAX / mult)
		return -1;
	*secs = v * mult;
	return 0;
}

static const char b64u[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *
b64url_encode(struct arena *a, const void *in, size_t n)
{
	const unsigned char	*s = in;
	char			*out, *o;
	size_t			 i;
	uint32_t		 v;

	if (n > SIZE_MAX / 2 || (out = arena_alloc(a, (n + 2) / 3 * 4 + 1))
	    == NULL)
		return NULL;
	o = out;
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		*o++ = b64u[v >> 18];
		*o++ = b64u[(v >> 12) & 63];
		*o++ = b64u[(v >> 6) & 63];
		*o++ = b64u[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)s[i] << 16;
		*o++ = b64u[v >> 18];
		*o++ = b64u[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
		*o++ = b64u[v >> 18];
		*o++ = b64u[(v >> 12) & 63];
		*o++ = b64u[(v >> 6) & 63];
	}
	*o = '\0';
	return out;
}

static int
b64u_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

unsigned char *
b64url_decode(struct arena *a, const char *s, size_t n, size_t *outlen)
{
	unsigned char	*out;
	size_t		 i, o = 0;
	uint32_t	 v = 0;
	int		 d, bits = 0;

	if (n % 4 == 1 || (out = arena_alloc(a, n / 4 * 3 + 3)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((d = b64u_val((unsigned char)s[i])) < 0)
			return NULL;
		v = v << 6 | (uint32_t)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(v >> bits);
		}
	}
	/* Leftover bits must be zero: one encoding per value. */
	if ((v & ((1u << bits) - 1)) != 0)
		return NULL;
	out[o] = '\0';
	*outlen = o;
	return out;
}

int
hex_decode(const char *s, unsigned char *out, size_t n)
{
	size_t	i;
	int	hi, lo;

	if (s == NULL || strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if ((hi = hex_digit(s[2 * i])) < 0 || (lo = hex_digit(s[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

char *
hex_encode(struct arena *a, const void *in, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*s = in;
	char			*out;
	size_t			 i;

	if ((out = arena_alloc(a, 2 * n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[s[i] >> 4];
		out[2 * i + 1] = hex[s[i] & 15];
	}
	return out;
}

int
uuid_valid(const char *s)
{
	size_t	i;

	if (s == NULL || strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

int
email_valid(const char *s)
{
	const char	*at, *p, *dot;
	size_t		 len;

	if (s == NULL || (len = strlen(s)) < 3 || len > 254 ||
	    !utf8_valid(s, len))
		return 0;
	if ((at = strchr(s, '@')) == NULL || strchr(at + 1, '@') != NULL ||
	    at == s || at - s > 64)
		return 0;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f ||
		    strchr("\"(),:;<>[\\]", *p) != NULL)
			return 0;
	dot = strrchr(at + 1, '.');
	if (dot == NULL || dot == at + 1 || dot[1] == '\0' ||
	    strstr(at + 1, "..") != NULL || at[1] == '.' || s[len - 1] == '.')
		return 0;
	return s[0] != '.' && at[-1] != '.';
}

/* n digits at s as a number, or -1. */
static int
digits(const char *s, int n)
{
	int	v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
rfc3339_valid(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int	y, mo, d, h, mi, se;
	size_t	i = 19;

	if (strlen(s) < 10 || (y = digits(s, 4)) < 1 || s[4] != '-' ||
	    (mo = digits(s + 5, 2)) < 1 || mo > 12 || s[7] != '-' ||
	    (d = digits(s + 8, 2)) < 1 || d > mdays[mo - 1])
		return 0;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0)))
		return 0;
	if (s[10] == '\0')
		return 1;
	if ((s[10] != 'T' && s[10] != 't') || strlen(s) < 20 ||
	    (h = digits(s + 11, 2)) < 0 || h > 23 || s[13] != ':' ||
	    (mi = digits(s + 14, 2)) < 0 || mi > 59 || s[16] != ':' ||
	    (se = digits(s + 17, 2)) < 0 || se > 60)
		return 0;
	if (s[i] == '.') {
		for (i++; s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == 20 || i > 29)
			return 0;
	}
	if ((s[i] == 'Z' || s[i] == 'z') && s[i + 1] == '\0')
		return 1;
	return (s[i] == '+' || s[i] == '-') && digits(s + i + 1, 2) >= 0 &&
	    digits(s + i + 1, 2) <= 23 && s[i + 3] == ':' &&
	    digits(s + i + 4, 2) >= 0 && digits(s + i + 4, 2) <= 59 &&
	    s[i + 6] == '\0';
}

char *
pct_encode(struct arena *a, const char *s)
{
	static const char	 hx[] = "0123456789ABCDEF";
	char			*o, *p;
	unsigned char		 c;

	if ((o = arena_alloc(a, strlen(s) * 3 + 1)) == NULL)
		return NULL;
	for (p = o; (c = (unsigned char)*s) != '\0'; s++) {
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || c == '/')
			*p++ = (char)c;
		else {
			*p++ = '%';
			*p++ = hx[c >> 4];
			*p++ = hx[c & 15];
		}
	}
	*p = '\0';
	return o;
}
