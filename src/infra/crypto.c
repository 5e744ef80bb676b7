/*
 * crypto.c: random bytes, hashing and constant-time comparison over
 * OpenSSL.  Temporaries holding secrets are wiped before returning.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <libscrypt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

int
crypto_random(void *buf, size_t n)
{
	if (n > 0x7fffffff)
		return -1;
	return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

int
crypto_sha256(const void *in, size_t n, unsigned char out[32])
{
	unsigned int	len = 0;

	if (EVP_Digest(in, n, out, &len, EVP_sha256(), NULL) != 1 ||
	    len != 32)
		return -1;
	return 0;
}

int
crypto_hmac_sha256(const unsigned char *key, size_t keylen, const void *in,
    size_t n, unsigned char out[32])
{
	unsigned int	len = 0;

	if (keylen > 0x7fffffff ||
	    HMAC(EVP_sha256(), key, (int)keylen, in, n, out, &len) == NULL ||
	    len != 32)
		return -1;
	return 0;
}

/* 1 equal, 0 different: for fixed-length values (MACs, digests). */
int
crypto_eq32(const unsigned char a[32], const unsigned char b[32])
{
	return CRYPTO_memcmp(a, b, 32) == 0;
}

int
crypto_secret_eq(const void *a, size_t alen, const void *b, size_t blen)
{
	unsigned char	ha[32], hb[32];
	int		rc = -1;

	if (crypto_sha256(a, alen, ha) == 0 && crypto_sha256(b, blen, hb) == 0)
		rc = CRYPTO_memcmp(ha, hb, sizeof(ha)) == 0;
	OPENSSL_cleanse(ha, sizeof(ha));
	OPENSSL_cleanse(hb, sizeof(hb));
	return rc;
}

void
crypto_wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}

struct crypto_pkey {
	EVP_PKEY	*k;
};

int
crypto_ed25519_keygen(unsigned char pub[32], unsigned char priv[32])
{
	EVP_PKEY_CTX	*c;
	EVP_PKEY	*k = NULL;
	size_t		 pl = 32, sl = 32;
	int		 rc = -1;

	if ((c = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL)) == NULL)
		return -1;
	if (EVP_PKEY_keygen_init(c) == 1 && EVP_PKEY_keygen(c, &k) == 1 &&
	    EVP_PKEY_get_raw_public_key(k, pub, &pl) == 1 &&
	    EVP_PKEY_get_raw_private_key(k, priv, &sl) == 1 &&
	    pl == 32 && sl == 32)
		rc = 0;
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(c);
	return rc;
}

static struct crypto_pkey *
wrap(EVP_PKEY *k)
{
	struct crypto_pkey	*p;

	if (k == NULL)
		return NULL;
	if ((p = malloc(sizeof(*p))) == NULL) {
		EVP_PKEY_free(k);
		return NULL;
	}
	p->k = k;
	return p;
}

struct crypto_pkey *
crypto_ed25519_private(const unsigned char priv[32])
{
	return wrap(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv,
	    32));
}

struct crypto_pkey *
crypto_ed25519_public(const unsigned char pub[32])
{
	return wrap(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
	    32));
}

void
crypto_pkey_free(struct crypto_pkey *p)
{
	if (p == NULL)
		return;
	EVP_PKEY_free(p->k);
	free(p);
}

int
crypto_ed25519_sign(struct crypto_pkey *p, const void *msg, size_t len,
    unsigned char sig[64])
{
	EVP_MD_CTX	*c;
	size_t		 sl = 64;
	int		 rc = -1;

	if ((c = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestSignInit(c, NULL, NULL, NULL, p->k) == 1 &&
	    EVP_DigestSign(c, sig, &sl, msg, len) == 1 && sl == 64)
		rc = 0;
	EVP_MD_CTX_free(c);
	return rc;
}

int
crypto_ed25519_verify(struct crypto_pkey *p, const void *msg, size_t len,
    const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX	*c;
	int		 rc;

	if (siglen != 64)
		return 0;
	if ((c = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestVerifyInit(c, NULL, NULL, NULL, p->k) != 1)
		rc = -1;
	else
		rc = EVP_DigestVerify(c, sig, siglen, msg, len) == 1;
	EVP_MD_CTX_free(c);
	return rc;
}

int
crypto_aead_seal(const unsigned char key[32], const void *aad, size_t aadlen,
    const void *in, size_t len, unsigned char *out)
{
	EVP_CIPHER_CTX	*c;
	int		 n, rc = -1;

	if (len > INT32_MAX || aadlen > INT32_MAX ||
	    crypto_random(out, 12) == -1)
		return -1;
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	if (EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, out) == 1 &&
	    EVP_EncryptUpdate(c, NULL, &n, aad, (int)aadlen) == 1 &&
	    EVP_EncryptUpdate(c, out + 12, &n, in, (int)len) == 1 &&
	    EVP_EncryptFinal_ex(c, out + 12 + n, &n) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + 12 + len)
	    == 1)
		rc = 0;
	EVP_CIPHER_CTX_free(c);
	return rc;
}

int
crypto_aead_open(const unsigned char key[32], const void *aad, size_t aadlen,
    const unsigned char *in, size_t len, unsigned char *out)
{
	EVP_CIPHER_CTX	*c;
	unsigned char	 tag[16];
	size_t		 ct;
	int		 n, rc = -1;

	if (len < CRYPTO_AEAD_OVERHEAD || len > INT32_MAX || aadlen > INT32_MAX)
		return -1;
	ct = len - CRYPTO_AEAD_OVERHEAD;
	memcpy(tag, in + 12 + ct, 16);
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, in) == 1 &&
	    EVP_DecryptUpdate(c, NULL, &n, aad, (int)aadlen) == 1 &&
	    EVP_DecryptUpdate(c, out, &n, in + 12, (int)ct) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1 &&
	    EVP_DecryptFinal_ex(c, out + n, &n) == 1)
		rc = 0;
	EVP_CIPHER_CTX_free(c);
	if (rc == -1)
		OPENSSL_cleanse(out, ct);
	return rc;
}

int
crypto_password_hash(const char *pw, uint64_t n, uint32_t r, uint32_t p,
    char out[CRYPTO_PASSWORD_LEN])
{
	if (n > UINT32_MAX || r > 255 || p > 255)
		return -1;
	return libscrypt_hash(out, pw, (uint32_t)n, (uint8_t)r, (uint8_t)p) > 0
	    ? 0 : -1;
}

int
crypto_password_verify(const char *mcf, const char *pw)
{
	char	copy[CRYPTO_PASSWORD_LEN];
	size_t	len;
	int	rc;

	if (mcf == NULL || (len = strlen(mcf)) >= sizeof(copy) ||
	    strncmp(mcf, "$s1$", 4) != 0)
		return -1;
	memcpy(copy, mcf, len + 1);
	rc = libscrypt_check(copy, pw);
	OPENSSL_cleanse(copy, sizeof(copy));
	return rc > 0 ? 1 : rc == 0 ? 0 : -1;
}

int
crypto_password_params(const char *mcf, uint64_t *n, uint32_t *r, uint32_t *p)
{
	unsigned long	v;
	char		*end;

	if (mcf == NULL || strncmp(mcf, "$s1$", 4) != 0)
		return -1;
	v = strtoul(mcf + 4, &end, 16);
	if (end != mcf + 10 || *end != '$' || (v >> 16) == 0 || (v >> 16) > 63)
		return -1;
	*n = (uint64_t)1 << (v >> 16);
	*r = (v >> 8) & 0xff;
	*p = v & 0xff;
	return 0;
}

int
crypto_aead_open_either(const unsigned char key[32], const unsigned char *prev,
    const void *aad, size_t aadlen, const unsigned char *in, size_t len,
    unsigned char *out)
{
	if (crypto_aead_open(key, aad, aadlen, in, len, out) == 0)
		return 0;
	if (prev != NULL && crypto_aead_open(prev, aad, aadlen, in, len,
	    out) == 0)
		return 1;
	return -1;
}
