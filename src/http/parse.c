/*
 * parse.c: pure parsers for what arrives in a request: query strings and
 * forms (percent-encoding), cookies, the Authorization header, paths,
 * request ids and content types.  Each takes lengths explicitly and never
 * reads past them; each is fuzzed (tests/fuzz/).  The codecs they build on
 * (UTF-8, JSON well-formedness, integers, base64url, hex) are in
 * infra/text.c.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "parse.h"

const char *
kv_get(const struct kvlist *l, const char *key)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0)
			return l->v[i].val;
	return NULL;
}

char *
pct_decode(struct arena *a, const char *s, size_t len, int plus,
    size_t *outlen)
{
	char	*out;
	size_t	 i, o = 0;
	int	 hi, lo;

	if ((out = arena_alloc(a, len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			if (len - i < 3 || (hi = hex_digit(s[i + 1])) < 0 ||
			    (lo = hex_digit(s[i + 2])) < 0)
				return NULL;
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+' && plus)
			out[o++] = ' ';
		else
			out[o++] = s[i];
		if (out[o - 1] == '\0')
			return NULL;
	}
	out[o] = '\0';
	if (!utf8_valid(out, o))
		return NULL;
	if (outlen != NULL)
		*outlen = o;
	return out;
}

int
parse_urlencoded(struct arena *a, const char *s, size_t len,
    size_t maxpairs, struct kvlist *out)
{
	const char	*p, *end = s + len, *amp, *eq;
	size_t		 n = 0, cap;

	out->v = NULL;
	out->n = 0;
	for (p = s, cap = 0; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp > p)
			cap++;
		if (amp == end)
			break;
	}
	if (cap == 0)
		return 0;
	if (cap > maxpairs)
		return -1;
	if ((out->v = arena_alloc(a, cap * sizeof(*out->v))) == NULL)
		return -1;
	for (p = s; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp > p) {
			eq = memchr(p, '=', (size_t)(amp - p));
			if (eq == NULL)
				eq = amp;
			out->v[n].key = pct_decode(a, p, (size_t)(eq - p), 1,
			    NULL);
			out->v[n].val = eq == amp ? arena_strdup(a, "") :
			    pct_decode(a, eq + 1, (size_t)(amp - eq - 1), 1,
			    NULL);
			if (out->v[n].key == NULL || out->v[n].val == NULL)
				return -1;
			n++;
		}
		if (amp == end)
			break;
	}
	out->n = n;
	return 0;
}

/* RFC 6265 token characters for a cookie name. */
static int
cookie_name_char(char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?={}", c) == NULL;
}

/* RFC 6265 cookie-octet. */
static int
cookie_octet(char c)
{
	unsigned char u = (unsigned char)c;

	return u == 0x21 || (u >= 0x23 && u <= 0x2b) || (u >= 0x2d && u <= 0x3a) ||
	    (u >= 0x3c && u <= 0x5b) || (u >= 0x5d && u <= 0x7e);
}

int
parse_cookies(struct arena *a, const char *hdr, size_t maxpairs,
    struct kvlist *out)
{
	const char	*p, *end, *semi, *eq, *k, *ke, *v, *ve, *q;
	size_t		 n = 0;
	int		 bad;

	out->v = NULL;
	out->n = 0;
	if (hdr == NULL || *hdr == '\0')
		return 0;
	if ((out->v = arena_alloc(a, maxpairs * sizeof(*out->v))) == NULL)
		return -1;
	end = hdr + strlen(hdr);
	for (p = hdr; p < end; p = semi + 1) {
		if ((semi = memchr(p, ';', (size_t)(end - p))) == NULL)
			semi = end;
		eq = memchr(p, '=', (size_t)(semi - p));
		if (eq != NULL) {
			for (k = p; k < eq && (*k == ' ' || *k == '\t'); k++)
				;
			for (ke = eq; ke > k && (ke[-1] == ' ' ||
			    ke[-1] == '\t'); ke--)
				;
			for (v = eq + 1; v < semi && (*v == ' ' ||
			    *v == '\t'); v++)
				;
			for (ve = semi; ve > v && (ve[-1] == ' ' ||
			    ve[-1] == '\t'); ve--)
				;
			if (ve - v >= 2 && *v == '"' && ve[-1] == '"') {
				v++;
				ve--;
			}
			bad = ke == k;
			for (q = k; q < ke && !bad; q++)
				bad = !cookie_name_char(*q);
			for (q = v; q < ve && !bad; q++)
				bad = !cookie_octet(*q);
			if (!bad) {
				if (n == maxpairs)
					return -1;
				out->v[n].key = arena_strndup(a, k,
				    (size_t)(ke - k));
				out->v[n].val = arena_strndup(a, v,
				    (size_t)(ve - v));
				if (out->v[n].key == NULL ||
				    out->v[n].val == NULL)
					return -1;
				n++;
			}
		}
		if (semi == end)
			break;
	}
	out->n = n;
	return 0;
}

int
parse_bearer(const char *hdr, const char **tok, size_t *toklen)
{
	const char	*p;
	size_t		 n;

	if (hdr == NULL || *hdr == '\0')
		return 0;
	if (strncmp(hdr, "Bearer ", 7) != 0)
		return -1;
	p = hdr + 7;
	for (n = 0; p[n] != '\0'; n++)
		if (!isalnum((unsigned char)p[n]) &&
		    strchr("-._~+/", p[n]) == NULL)
			break;
	/* b64token = 1*( ALPHA / DIGIT / "-._~+/" ) *"=" */
	if (n == 0)
		return -1;
	while (p[n] == '=')
		n++;
	if (p[n] != '\0' || n > 8192)
		return -1;
	*tok = p;
	*toklen = n;
	return 1;
}

char *
path_normalise(struct arena *a, const char *path)
{
	size_t	 len, i, o, seg, *stack, depth = 0;
	char	*out;

	if (path == NULL || path[0] != '/')
		return NULL;
	len = strlen(path);
	if (len > 4096 || !utf8_valid(path, len))
		return NULL;
	for (i = 0; i < len; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f ||
		    path[i] == '\\')
			return NULL;
	if ((out = arena_alloc(a, len + 2)) == NULL ||
	    (stack = arena_alloc(a, (len + 1) * sizeof(*stack))) == NULL)
		return NULL;
	/* out always ends without a '/'; each segment is "/name". */
	o = 0;
	for (i = 0; i < len;) {
		while (i < len && path[i] == '/')
			i++;
		if (i == len)
			break;
		for (seg = i; i < len && path[i] != '/'; i++)
			;
		if (i - seg == 1 && path[seg] == '.')
			continue;
		if (i - seg == 2 && path[seg] == '.' && path[seg + 1] == '.') {
			if (depth > 0)
				o = stack[--depth];
			continue;
		}
		stack[depth++] = o;
		out[o++] = '/';
		memcpy(out + o, path + seg, i - seg);
		o += i - seg;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}

int
request_id_sane(const char *id)
{
	size_t	n;

	if (id == NULL)
		return 0;
	for (n = 0; id[n] != '\0'; n++)
		if (n == 128 || (!isalnum((unsigned char)id[n]) &&
		    id[n] != '.' && id[n] != '_' && id[n] != '-'))
			return 0;
	return n > 0;
}

int
parse_content_type(struct arena *a, const char *hdr, char **type,
    char **charset)
{
	const char	*p, *semi, *e, *v;
	size_t		 i, n;
	char		*t;

	*type = *charset = NULL;
	if (hdr == NULL)
		return -1;
	while (*hdr == ' ' || *hdr == '\t')
		hdr++;
	if ((semi = strchr(hdr, ';')) == NULL)
		semi = hdr + strlen(hdr);
	for (e = semi; e > hdr && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	if (e == hdr || (size_t)(e - hdr) > 127)
		return -1;
	if ((t = arena_strndup(a, hdr, (size_t)(e - hdr))) == NULL)
		return -1;
	for (i = 0; t[i] != '\0'; i++) {
		if (!isalnum((unsigned char)t[i]) && strchr("/+-.!#$&^_", t[i])
		    == NULL)
			return -1;
		t[i] = (char)tolower((unsigned char)t[i]);
	}
	if (strchr(t, '/') == NULL)
		return -1;
	*type = t;
	/* Parameters: only charset matters to us. */
	for (p = semi; *p == ';'; p = semi) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if ((semi = strchr(p, ';')) == NULL)
			semi = p + strlen(p);
		if ((e = memchr(p, '=', (size_t)(semi - p))) == NULL)
			return -1;
		if ((size_t)(e - p) == 7 && strncasecmp(p, "charset", 7) == 0) {
			v = e + 1;
			for (n = (size_t)(semi - v); n > 0 && (v[n - 1] == ' ' ||
			    v[n - 1] == '\t'); n--)
				;
			if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
				v++;
				n -= 2;
			}
			if ((*charset = arena_strndup(a, v, n)) == NULL)
				return -1;
			for (i = 0; i < n; i++)
				(*charset)[i] = (char)tolower(
				    (unsigned char)(*charset)[i]);
		}
	}
	return 0;
}

int
return_to_ok(const char *v, const char *domain)
{
	const char	*h, *e, *colon;
	size_t		 i, n, hl, dl;
	int		 https, loop;

	if (v == NULL || (n = strlen(v)) == 0 || n > 2048)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] <= 0x20 || v[i] == 0x7f ||
		    v[i] == '\\')
			return 0;
	if (v[0] == '/')
		return v[1] != '/';
	if (domain == NULL || *domain == '\0')
		return 0;
	if (strncmp(v, "https://", 8) == 0)
		h = v + 8, https = 1;
	else if (strncmp(v, "http://", 7) == 0)
		h = v + 7, https = 0;
	else
		return 0;
	e = h + strcspn(h, "/?#");
	if (memchr(h, '@', (size_t)(e - h)) != NULL)
		return 0;
	colon = memchr(h, ':', (size_t)(e - h));
	if (colon != NULL) {
		if (colon + 1 == e)
			return 0;
		for (i = 1; colon + i < e; i++)
			if (colon[i] < '0' || colon[i] > '9')
				return 0;
	}
	hl = (size_t)((colon != NULL ? colon : e) - h);
	for (i = 0; i < hl; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') ||
		    (h[i] >= '0' && h[i] <= '9') || h[i] == '.' ||
		    h[i] == '-'))
			return 0;
	loop = (hl == 9 && strncmp(h, "localhost", 9) == 0) ||
	    (hl == 9 && strncmp(h, "127.0.0.1", 9) == 0);
	if (!https && !loop)
		return 0;
	dl = strlen(domain);
	if (hl == dl)
		return strncmp(h, domain, dl) == 0;
	return hl > dl + 1 && h[hl - dl - 1] == '.' &&
	    strncmp(h + hl - dl, domain, dl) == 0;
}

int
parse_basic(struct arena *a, const char *hdr, char **id, char **secret)
{
	const char	*b;
	char		*t, *c;
	unsigned char	*d;
	size_t		 n, i, dl;

	if (hdr == NULL || strncasecmp(hdr, "Basic ", 6) != 0)
		return 0;
	b = hdr + 6;
	n = strlen(b);
	while (n > 0 && b[n - 1] == '=')
		n--;
	if (n == 0 || n > 2048 || strlen(b) - n > 2 ||
	    (t = arena_strndup(a, b, n)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (t[i] == '+')
			t[i] = '-';
		else if (t[i] == '/')
			t[i] = '_';
		else if (t[i] == '-' || t[i] == '_')
			return -1;	/* not the standard alphabet */
	}
	if ((d = b64url_decode(a, t, n, &dl)) == NULL ||
	    memchr(d, '\0', dl) != NULL ||
	    (c = memchr(d, ':', dl)) == NULL)
		return -1;
	if ((*id = pct_decode(a, (char *)d, (size_t)(c - (char *)d), 1,
	    NULL)) == NULL || (*secret = pct_decode(a, c + 1, dl -
	    (size_t)(c + 1 - (char *)d), 1, NULL)) == NULL || **id == '\0')
		return -1;
	return 1;
}
