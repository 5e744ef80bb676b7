/*
 * jwt.h: compact JWS access tokens, EdDSA (Ed25519) only.  Signing and
 * verification call the crypto module; this file knows the format.
 */
#ifndef IAM_JWT_H
#define IAM_JWT_H

#include <json-c/json.h>
#include <time.h>

struct arena;
struct crypto_pkey;

struct jwt_key {
	char			 kid[40];
	unsigned char		 pub[32];
	struct crypto_pkey	*sign;		/* NULL: verify only */
	struct crypto_pkey	*verify;
	time_t			 activates, retires, expires;
};

/* Finds a key by kid for verification; NULL if unknown. */
typedef const struct jwt_key *(*jwt_find_fn)(void *ctx, const char *kid);

enum jwt_result {
	JWT_ERROR = -1,		/* could not check (out of memory) */
	JWT_INVALID = 0,	/* forged, tampered, malformed, wrong alg/kid/iss/aud */
	JWT_OK = 1,
	JWT_EXPIRED = 2,	/* genuine but past exp (+ skew) */
	JWT_UNKNOWN_KID = 3,	/* well-formed, kid not in the ring */
};

/* Signs claims (borrowed) with key; returns the token in the arena. */
char	*jwt_sign(struct arena *, const struct jwt_key *, json_object *claims);

/*
 * Verifies token: header exactly {alg: EdDSA, typ: at+jwt, kid}, the
 * signature, then iss, aud, exp (with skew) and iat/nbf not in the future.
 * On JWT_OK *claims is set (freed when the arena is reset).
 */
/* A payload verified earlier (kept as JSON text), parsed into the
 * arena as jwt_verify parses one; NULL if it is not. */
json_object	*jwt_claims_parse(struct arena *, const char *json, size_t len);
/* The kid its header names (unverified: for a token verified already),
 * or NULL. */
const char	*jwt_kid(struct arena *, const char *token, size_t len);
enum jwt_result jwt_verify(struct arena *, const char *token, size_t len,
	    jwt_find_fn, void *ctx, const char *iss, const char *aud,
	    time_t now, int skew, json_object **claims);

#endif
