/*
 * crypto.h: the only place that calls OpenSSL.  libsodium-style names,
 * 0/-1 returns, results that must be checked.
 */
#ifndef IAM_CRYPTO_H
#define IAM_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define IAM_WUR	__attribute__((warn_unused_result))

/* Fills buf with n bytes from the CSPRNG.  Returns 0 or -1. */
int	 crypto_random(void *buf, size_t n) IAM_WUR;
/* SHA-256 of n bytes into out[32].  Returns 0 or -1. */
int	 crypto_sha256(const void *in, size_t n, unsigned char out[32]) IAM_WUR;
/* HMAC-SHA-256 (RFC 2104, RFC 4231) of n bytes into out[32].  0 or -1. */
int	 crypto_hmac_sha256(const unsigned char *key, size_t keylen,
	    const void *in, size_t n, unsigned char out[32]) IAM_WUR;
/* Compares two 32-byte values in constant time: 1 equal, 0 different. */
int	 crypto_eq32(const unsigned char a[32], const unsigned char b[32]);
/*
 * Compares two secrets of any length in time that depends only on their
 * lengths' hashes, not their contents: both are hashed, then the digests
 * are compared with CRYPTO_memcmp.  Returns 1 equal, 0 different, -1 error.
 */
int	 crypto_secret_eq(const void *a, size_t alen, const void *b,
	    size_t blen) IAM_WUR;
/* Wipes n bytes in a way the compiler keeps. */
void	 crypto_wipe(void *, size_t);


/* An Ed25519 key held by OpenSSL, loaded once and kept (keyring). */
struct crypto_pkey;

/* Generates a key pair.  Returns 0 or -1. */
int	 crypto_ed25519_keygen(unsigned char pub[32], unsigned char priv[32])
	    IAM_WUR;
/* Loads a raw key; NULL on error.  Free with crypto_pkey_free. */
struct crypto_pkey *crypto_ed25519_private(const unsigned char priv[32]);
struct crypto_pkey *crypto_ed25519_public(const unsigned char pub[32]);
void	 crypto_pkey_free(struct crypto_pkey *);
/* Signs msg.  Returns 0 or -1. */
int	 crypto_ed25519_sign(struct crypto_pkey *, const void *msg, size_t len,
	    unsigned char sig[64]) IAM_WUR;
/* Verifies: 1 good, 0 bad (including a wrong length), -1 error. */
int	 crypto_ed25519_verify(struct crypto_pkey *, const void *msg,
	    size_t len, const unsigned char *sig, size_t siglen) IAM_WUR;

/*
 * AES-256-GCM.  seal writes nonce (12) || ciphertext || tag (16), so out
 * has room for len + CRYPTO_AEAD_OVERHEAD; open reverses it and fails (-1)
 * on any tampering.  aad binds the ciphertext to its context.
 */
#define CRYPTO_AEAD_OVERHEAD	28
int	 crypto_aead_seal(const unsigned char key[32], const void *aad,
	    size_t aadlen, const void *in, size_t len, unsigned char *out)
	    IAM_WUR;
int	 crypto_aead_open(const unsigned char key[32], const void *aad,
	    size_t aadlen, const unsigned char *in, size_t len,
	    unsigned char *out) IAM_WUR;
/*
 * Opens with key, or else with prev (NULL: none) while a key rotation is
 * under way: 0 opened with key, 1 with prev, -1 with neither.
 */
int	 crypto_aead_open_either(const unsigned char key[32],
	    const unsigned char *prev, const void *aad, size_t aadlen,
	    const unsigned char *in, size_t len, unsigned char *out) IAM_WUR;

/*
 * Passwords (libscrypt).  hash writes a "$s1$" MCF string into out
 * (CRYPTO_PASSWORD_LEN bytes).  verify returns 1 match, 0 no match, -1
 * error: libscrypt_check gets a copy (it tokenises in place) and only a
 * result > 0 is a match.  params reads N, r, p back from a stored hash.
 */
#define CRYPTO_PASSWORD_LEN	128
int	 crypto_password_hash(const char *pw, uint64_t n, uint32_t r,
	    uint32_t p, char out[CRYPTO_PASSWORD_LEN]) IAM_WUR;
int	 crypto_password_verify(const char *mcf, const char *pw) IAM_WUR;
int	 crypto_password_params(const char *mcf, uint64_t *n, uint32_t *r,
	    uint32_t *p);

#endif
