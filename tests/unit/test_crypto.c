/* Unit tests: Ed25519, AES-256-GCM, scrypt passwords, constant-time
 * comparison, base64url; the JWT format; email and UUID validators. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "crypto.h"
#include "jwt.h"
#include "parse.h"

static struct arena	a;

static int
setup(void **state)
{
	(void)state;
	arena_init(&a, 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	arena_free(&a);
	return 0;
}

static void
hex32(const unsigned char m[32], char out[65])
{
	int	i;

	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", m[i]);
}

/* RFC 4231 §4.2, §4.3 and §4.7 (a key longer than the block). */
static void
hmac_sha256_matches_rfc4231(void **state)
{
	unsigned char	k1[20], k6[131], m[32], n[32];
	char		h[65];

	(void)state;
	memset(k1, 0x0b, sizeof(k1));
	assert_int_equal(crypto_hmac_sha256(k1, sizeof(k1), "Hi There", 8, m),
	    0);
	hex32(m, h);
	assert_string_equal(h, "b0344c61d8db38535ca8afceaf0bf12b"
	    "881dc200c9833da726e9376c2e32cff7");
	assert_int_equal(crypto_hmac_sha256((const unsigned char *)"Jefe", 4,
	    "what do ya want for nothing?", 28, m), 0);
	hex32(m, h);
	assert_string_equal(h, "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
	memset(k6, 0xaa, sizeof(k6));
	assert_int_equal(crypto_hmac_sha256(k6, sizeof(k6), "Test Using "
	    "Larger Than Block-Size Key - Hash Key First", 54, m), 0);
	hex32(m, h);
	assert_string_equal(h, "60e431591ee0b67f0d8a26aacbf5b77f"
	    "8e0bc6213728c5140546040f0ee37f54");
	/* constant-time comparison of MACs */
	memcpy(n, m, 32);
	assert_int_equal(crypto_eq32(m, n), 1);
	n[31] ^= 1;
	assert_int_equal(crypto_eq32(m, n), 0);
}

static void
ed25519_signs_and_verifies_only_the_message(void **state)
{
	unsigned char		 pub[32], priv[32], sig[64];
	struct crypto_pkey	*s, *v;

	(void)state;
	assert_int_equal(crypto_ed25519_keygen(pub, priv), 0);
	s = crypto_ed25519_private(priv);
	v = crypto_ed25519_public(pub);
	assert_non_null(s);
	assert_non_null(v);
	assert_int_equal(crypto_ed25519_sign(s, "hello", 5, sig), 0);
	assert_int_equal(crypto_ed25519_verify(v, "hello", 5, sig, 64), 1);
	assert_int_equal(crypto_ed25519_verify(v, "hellO", 5, sig, 64), 0);
	assert_int_equal(crypto_ed25519_verify(v, "hello", 5, sig, 63), 0);
	sig[10] ^= 1;
	assert_int_equal(crypto_ed25519_verify(v, "hello", 5, sig, 64), 0);
	crypto_pkey_free(s);
	crypto_pkey_free(v);
}

/* During a key rotation: the current key first, then the previous one. */
static void
aead_opens_with_either_key(void **state)
{
	unsigned char	k1[32], k2[32], k3[32], msg[16] = "sealed secret!!";
	unsigned char	out[16 + CRYPTO_AEAD_OVERHEAD], back[16];

	(void)state;
	memset(k1, 1, sizeof(k1));
	memset(k2, 2, sizeof(k2));
	memset(k3, 3, sizeof(k3));
	assert_int_equal(crypto_aead_seal(k2, "v1", 2, msg, 16, out), 0);
	assert_int_equal(crypto_aead_open_either(k2, k1, "v1", 2, out,
	    sizeof(out), back), 0);
	assert_memory_equal(back, msg, 16);
	assert_int_equal(crypto_aead_open_either(k1, k2, "v1", 2, out,
	    sizeof(out), back), 1);
	assert_memory_equal(back, msg, 16);
	assert_int_equal(crypto_aead_open_either(k1, NULL, "v1", 2, out,
	    sizeof(out), back), -1);
	assert_int_equal(crypto_aead_open_either(k1, k3, "v1", 2, out,
	    sizeof(out), back), -1);
	/* the associated data binds it: another version's label fails */
	assert_int_equal(crypto_aead_open_either(k2, k1, "v2", 2, out,
	    sizeof(out), back), -1);
}

static void
aead_round_trips_and_refuses_tampering(void **state)
{
	unsigned char	key[32] = { 1 }, other[32] = { 2 };
	unsigned char	out[16 + CRYPTO_AEAD_OVERHEAD], back[16];
	const char	msg[16] = "sixteen bytes!!";

	(void)state;
	assert_int_equal(crypto_aead_seal(key, "kid", 3, msg, 16, out), 0);
	assert_int_equal(crypto_aead_open(key, "kid", 3, out, sizeof(out), back),
	    0);
	assert_memory_equal(back, msg, 16);
	assert_int_equal(crypto_aead_open(other, "kid", 3, out, sizeof(out),
	    back), -1);
	assert_int_equal(crypto_aead_open(key, "kie", 3, out, sizeof(out),
	    back), -1);
	out[20] ^= 1;
	assert_int_equal(crypto_aead_open(key, "kid", 3, out, sizeof(out),
	    back), -1);
	assert_int_equal(crypto_aead_open(key, "kid", 3, out, 10, back), -1);
}

static void
passwords_verify_only_with_the_right_password(void **state)
{
	char		h[CRYPTO_PASSWORD_LEN];
	uint64_t	n;
	uint32_t	r, p;

	(void)state;
	assert_int_equal(crypto_password_hash("correct horse", 1024, 8, 1, h),
	    0);
	assert_int_equal(strncmp(h, "$s1$0a0801$", 11), 0);
	assert_int_equal(crypto_password_verify(h, "correct horse"), 1);
	assert_int_equal(crypto_password_verify(h, "correct hors"), 0);
	assert_int_equal(crypto_password_verify(h, ""), 0);
	/* The stored hash is untouched by the check (it gets a copy). */
	assert_int_equal(crypto_password_verify(h, "correct horse"), 1);
	assert_int_equal(crypto_password_params(h, &n, &r, &p), 0);
	assert_true(n == 1024 && r == 8 && p == 1);
	assert_int_equal(crypto_password_verify("$2b$10$bcrypt", "x"), -1);
	assert_int_equal(crypto_password_verify(NULL, "x"), -1);
	assert_int_equal(crypto_password_params("$s1$zz$", &n, &r, &p), -1);
}

static void
secret_comparison(void **state)
{
	(void)state;
	assert_int_equal(crypto_secret_eq("abc", 3, "abc", 3), 1);
	assert_int_equal(crypto_secret_eq("abc", 3, "abd", 3), 0);
	assert_int_equal(crypto_secret_eq("abc", 3, "abcd", 4), 0);
	assert_int_equal(crypto_secret_eq("", 0, "", 0), 1);
}

static void
base64url_round_trips_and_refuses_bad_input(void **state)
{
	unsigned char	 bin[64], *d;
	char		*e;
	size_t		 n, len;

	(void)state;
	for (n = 0; n < sizeof(bin); n++)
		bin[n] = (unsigned char)(n * 37 + 1);
	for (n = 0; n <= sizeof(bin); n++) {
		e = b64url_encode(&a, bin, n);
		assert_non_null(e);
		assert_null(strchr(e, '='));
		d = b64url_decode(&a, e, strlen(e), &len);
		assert_non_null(d);
		assert_int_equal(len, n);
		assert_memory_equal(d, bin, n);
	}
	assert_string_equal(b64url_encode(&a, "\xfb\xff", 2), "-_8");
	assert_null(b64url_decode(&a, "a", 1, &len));
	assert_null(b64url_decode(&a, "ab=", 3, &len));
	assert_null(b64url_decode(&a, "a+b/", 4, &len));
	/* Non-zero leftover bits: a second spelling of the same bytes. */
	assert_null(b64url_decode(&a, "-_9", 3, &len));
}

static struct jwt_key	 jk;

static const struct jwt_key *
find(void *ctx, const char *kid)
{
	(void)ctx;
	return strcmp(kid, jk.kid) == 0 ? &jk : NULL;
}

static void
jwt_signs_and_verifies_with_every_check(void **state)
{
	unsigned char	 priv[32];
	json_object	*c, *out;
	char		*tok, *bad;
	time_t		 now = time(NULL);

	(void)state;
	assert_int_equal(crypto_ed25519_keygen(jk.pub, priv), 0);
	strcpy(jk.kid, "k1");
	jk.sign = crypto_ed25519_private(priv);
	jk.verify = crypto_ed25519_public(jk.pub);
	c = json_object_new_object();
	json_object_object_add(c, "iss", json_object_new_string("I"));
	json_object_object_add(c, "aud", json_object_new_string("A"));
	json_object_object_add(c, "sub", json_object_new_string("S"));
	json_object_object_add(c, "iat", json_object_new_int64(now));
	json_object_object_add(c, "exp", json_object_new_int64(now + 60));
	tok = jwt_sign(&a, &jk, c);
	assert_non_null(tok);
	assert_int_equal(jwt_verify(&a, tok, strlen(tok), find, NULL, "I", "A",
	    now, 30, &out), JWT_OK);
	assert_string_equal(json_object_get_string(json_object_object_get(out,
	    "sub")), "S");
	assert_int_equal(jwt_verify(&a, tok, strlen(tok), find, NULL, "X", "A",
	    now, 30, &out), JWT_INVALID);
	assert_int_equal(jwt_verify(&a, tok, strlen(tok), find, NULL, "I", "X",
	    now, 30, &out), JWT_INVALID);
	assert_int_equal(jwt_verify(&a, tok, strlen(tok), find, NULL, "I", "A",
	    now + 91, 30, &out), JWT_EXPIRED);
	assert_int_equal(jwt_verify(&a, tok, strlen(tok), find, NULL, "I", "A",
	    now - 100, 30, &out), JWT_INVALID);		/* iat in the future */
	assert_int_equal(jwt_verify(&a, tok, strlen(tok) - 1, find, NULL, "I",
	    "A", now, 30, &out), JWT_INVALID);
	bad = arena_strdup(&a, tok);
	bad[strlen(bad) / 2] ^= 1;
	assert_int_not_equal(jwt_verify(&a, bad, strlen(bad), find, NULL, "I",
	    "A", now, 30, &out), JWT_OK);
	assert_int_equal(jwt_verify(&a, "a.b", 3, find, NULL, "I", "A", now, 30,
	    &out), JWT_INVALID);
	assert_int_equal(jwt_verify(&a, "", 0, find, NULL, "I", "A", now, 30,
	    &out), JWT_INVALID);
	/* Signed by the key, but a claim given twice, or no iat: refused. */
	{
		static const char *const payloads[] = {
		    "{\"iss\":\"I\",\"aud\":\"A\",\"sub\":\"S\",\"sub\":\"T\","
		    "\"iat\":%lld,\"exp\":%lld}",
		    "{\"iss\":\"I\",\"aud\":\"A\",\"sub\":\"S\",\"exp\":%lld}",
		    "{\"iss\":\"I\",\"aud\":\"A\",\"sub\":\"S\","
		    "\"iat\":%lld,\"exp\":%lld,\"iss\":\"I\"}" };
		const char *hdr = "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\","
		    "\"kid\":\"k1\"}";
		unsigned char sig[64];
		char pl[256], *in, *t;
		size_t i;
		long long iat[] = { now, now, now };
		long long exp[] = { now + 60, now + 60, now + 60 };

		for (i = 0; i < 3; i++) {
			if (i == 1)
				snprintf(pl, sizeof(pl), payloads[i], exp[i]);
			else
				snprintf(pl, sizeof(pl), payloads[i], iat[i],
				    exp[i]);
			in = arena_printf(&a, "%s.%s", b64url_encode(&a, hdr,
			    strlen(hdr)), b64url_encode(&a, pl, strlen(pl)));
			assert_int_equal(crypto_ed25519_sign(jk.sign, in,
			    strlen(in), sig), 0);
			t = arena_printf(&a, "%s.%s", in,
			    b64url_encode(&a, sig, sizeof(sig)));
			assert_int_equal(jwt_verify(&a, t, strlen(t), find,
			    NULL, "I", "A", now + 10, 30, &out), JWT_INVALID);
		}
	}
	strcpy(jk.kid, "k2");
	assert_int_equal(jwt_verify(&a, tok, strlen(tok), find, NULL, "I", "A",
	    now, 30, &out), JWT_UNKNOWN_KID);
	json_object_put(c);
	crypto_pkey_free(jk.sign);
	crypto_pkey_free(jk.verify);
	crypto_wipe(priv, sizeof(priv));
}

static void
email_and_uuid_validators(void **state)
{
	static const char *const good[] = { "a@b.co", "first.last+tag@sub.example.org",
	    "x@\xc3\xa9xample.com" };
	static const char *const bad[] = { "", "a", "a@b", "@b.co", "a@.co",
	    "a@b.", "a@@b.co", "a b@c.co", "a@b..co", ".a@b.co", "a.@b.co",
	    "a@b.co\n", "a\"b@c.co", "a@b,c.co" };
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(email_valid(good[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (email_valid(bad[i]))
			fail_msg("accepted %s", bad[i]);
	assert_true(uuid_valid("123e4567-e89b-12d3-a456-426614174000"));
	assert_false(uuid_valid("123e4567e89b12d3a456426614174000"));
	assert_false(uuid_valid("123e4567-e89b-12d3-a456-42661417400g"));
	assert_false(uuid_valid(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hmac_sha256_matches_rfc4231),
		cmocka_unit_test(ed25519_signs_and_verifies_only_the_message),
		cmocka_unit_test(aead_round_trips_and_refuses_tampering),
		cmocka_unit_test(aead_opens_with_either_key),
		cmocka_unit_test(passwords_verify_only_with_the_right_password),
		cmocka_unit_test(secret_comparison),
		cmocka_unit_test(base64url_round_trips_and_refuses_bad_input),
		cmocka_unit_test(jwt_signs_and_verifies_with_every_check),
		cmocka_unit_test(email_and_uuid_validators),
	};

	return cmocka_run_group_tests_name("crypto", tests, setup, teardown);
}
