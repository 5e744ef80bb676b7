/*
 * crypto.c: random bytes, hashing and constant-time comparison over
 * OpenSSL.  Temporaries holding secrets are wiped before returning.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

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

void
crypto_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t	i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}
