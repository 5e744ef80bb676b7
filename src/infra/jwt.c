/*
 * jwt.c: building and checking compact JWS tokens.  Only EdDSA is ever
 * accepted, so "alg":"none" and HS256-with-the-public-key confusion have
 * no code path to succeed through.
 */
#include <string.h>

#include "arena.h"
#include "crypto.h"
#include "jwt.h"
#include "text.h"

#define MAX_TOKEN	8192

static void
put_cb(void *p)
{
	json_object_put(p);
}

char *
jwt_sign(struct arena *a, const struct jwt_key *k, json_object *claims)
{
	json_object	*h;
	const char	*hs, *ps;
	char		*h64, *p64, *s64, *input;
	unsigned char	 sig[64];

	if (k->sign == NULL || (h = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(h, "alg", json_object_new_string("EdDSA"));
	json_object_object_add(h, "typ", json_object_new_string("at+jwt"));
	json_object_object_add(h, "kid", json_object_new_string(k->kid));
	hs = json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	h64 = b64url_encode(a, hs, strlen(hs));
	json_object_put(h);
	ps = json_object_to_json_string_ext(claims, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	p64 = b64url_encode(a, ps, strlen(ps));
	if (h64 == NULL || p64 == NULL ||
	    (input = arena_printf(a, "%s.%s", h64, p64)) == NULL)
		return NULL;
	if (crypto_ed25519_sign(k->sign, input, strlen(input), sig) == -1 ||
	    (s64 = b64url_encode(a, sig, sizeof(sig))) == NULL)
		return NULL;
	return arena_printf(a, "%s.%s", input, s64);
}

/*
 * The members of the top-level object of well-formed JSON text s, as
 * written: a name given twice counts twice (json-c keeps only the last,
 * so a token could say one thing to us and another to a peer).
 */
static size_t
members(const unsigned char *s, size_t len)
{
	size_t	i, n = 0;
	int	depth = 0, instr = 0, any = 0;

	for (i = 0; i < len; i++) {
		if (instr) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				instr = 0;
			continue;
		}
		switch (s[i]) {
		case '"':
			instr = 1;
			if (depth == 1)
				any = 1;
			break;
		case '{': case '[':
			depth++;
			break;
		case '}': case ']':
			depth--;
			break;
		case ',':
			if (depth == 1)
				n++;
			break;
		}
	}
	return any ? n + 1 : 0;
}

/* Parses a decoded JSON part into an object, or NULL; an object that
 * names a member twice is refused. */
static json_object *
part(struct arena *a, const unsigned char *s, size_t len)
{
	json_object	*o;
	json_tokener	*t;

	if (json_check((const char *)s, len, 8) != JSON_OK)
		return NULL;
	if ((t = json_tokener_new_ex(9)) == NULL)
		return NULL;
	o = json_tokener_parse_ex(t, (const char *)s, (int)len + 1);
	json_tokener_free(t);
	if (o == NULL)
		return NULL;
	if (arena_defer(a, put_cb, o) == -1) {
		json_object_put(o);
		return NULL;
	}
	if (!json_object_is_type(o, json_type_object) ||
	    (size_t)json_object_object_length(o) != members(s, len))
		return NULL;
	return o;
}

static const char *
str(json_object *o, const char *key)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* An integer claim; 0 if absent, -1 if present but not an integer. */
static int
num(json_object *o, const char *key, int64_t *out)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return -1;
	*out = json_object_get_int64(v);
	return 1;
}

json_object *
jwt_claims_parse(struct arena *a, const char *json, size_t len)
{
	return part(a, (const unsigned char *)json, len);
}

const char *
jwt_kid(struct arena *a, const char *tok, size_t len)
{
	const char	*d1;
	unsigned char	*hb;
	size_t		 hl;
	json_object	*h;

	if ((d1 = memchr(tok, '.', len)) == NULL ||
	    (hb = b64url_decode(a, tok, (size_t)(d1 - tok), &hl)) == NULL ||
	    (h = part(a, hb, hl)) == NULL)
		return NULL;
	return str(h, "kid");
}

enum jwt_result
jwt_verify(struct arena *a, const char *tok, size_t len, jwt_find_fn find,
    void *ctx, const char *iss, const char *aud, time_t now, int skew,
    json_object **claims)
{
	const char		*d1, *d2, *alg, *typ, *kid, *v;
	unsigned char		*hb, *pb, *sig;
	size_t			 hl, pl, sl;
	json_object		*h, *p;
	const struct jwt_key	*k;
	int64_t			 exp, t;
	int			 rc;

	*claims = NULL;
	if (len == 0 || len > MAX_TOKEN)
		return JWT_INVALID;
	if ((d1 = memchr(tok, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok))) == NULL ||
	    memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)) != NULL)
		return JWT_INVALID;
	hb = b64url_decode(a, tok, (size_t)(d1 - tok), &hl);
	pb = b64url_decode(a, d1 + 1, (size_t)(d2 - d1 - 1), &pl);
	sig = b64url_decode(a, d2 + 1, len - (size_t)(d2 + 1 - tok), &sl);
	if (hb == NULL || pb == NULL || sig == NULL || sl != 64)
		return JWT_INVALID;
	if ((h = part(a, hb, hl)) == NULL)
		return JWT_INVALID;
	/* Exactly our header: nothing to negotiate, nothing "crit". */
	if (json_object_object_length(h) != 3 ||
	    (alg = str(h, "alg")) == NULL || strcmp(alg, "EdDSA") != 0 ||
	    (typ = str(h, "typ")) == NULL || strcmp(typ, "at+jwt") != 0 ||
	    (kid = str(h, "kid")) == NULL)
		return JWT_INVALID;
	if ((k = find(ctx, kid)) == NULL)
		return JWT_UNKNOWN_KID;
	rc = crypto_ed25519_verify(k->verify, tok, (size_t)(d2 - tok), sig, sl);
	if (rc != 1)
		return rc == 0 ? JWT_INVALID : JWT_ERROR;
	/* Signed by us from here on; still check what it claims. */
	if ((p = part(a, pb, pl)) == NULL)
		return JWT_INVALID;
	if ((v = str(p, "iss")) == NULL || strcmp(v, iss) != 0 ||
	    (v = str(p, "aud")) == NULL || strcmp(v, aud) != 0 ||
	    str(p, "sub") == NULL || num(p, "exp", &exp) != 1)
		return JWT_INVALID;
	/* Every token we issue says when: one that does not is not ours. */
	if (num(p, "iat", &t) != 1 || t > now + skew)
		return JWT_INVALID;
	if ((rc = num(p, "nbf", &t)) == -1 || (rc == 1 && t > now + skew))
		return JWT_INVALID;
	if (now > exp + skew)
		return JWT_EXPIRED;
	*claims = p;
	return JWT_OK;
}
