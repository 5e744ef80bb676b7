/*
 * crypto.h: the only place that calls OpenSSL.  libsodium-style names,
 * 0/-1 returns, results that must be checked.
 */
#ifndef IAM_CRYPTO_H
#define IAM_CRYPTO_H

#include <stddef.h>

#define IAM_WUR	__attribute__((warn_unused_result))

/* Fills buf with n bytes from the CSPRNG.  Returns 0 or -1. */
int	 crypto_random(void *buf, size_t n) IAM_WUR;
/* SHA-256 of n bytes into out[32].  Returns 0 or -1. */
int	 crypto_sha256(const void *in, size_t n, unsigned char out[32]) IAM_WUR;
/*
 * Compares two secrets of any length in time that depends only on their
 * lengths' hashes, not their contents: both are hashed, then the digests
 * are compared with CRYPTO_memcmp.  Returns 1 equal, 0 different, -1 error.
 */
int	 crypto_secret_eq(const void *a, size_t alen, const void *b,
	    size_t blen) IAM_WUR;
/* Wipes n bytes in a way the compiler keeps. */
void	 crypto_wipe(void *, size_t);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void	 crypto_hex(const unsigned char *in, size_t n, char *out);

#endif
