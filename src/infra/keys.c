/*
 * keys.c: signing-key lifecycle and the worker's keyring.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "crypto.h"
#include "keys.h"
#include "log.h"
#include "text.h"
#include "store_int.h"

/* The signing keys' own statements. */
enum {
	KQ_KEYS_LOCK,
	KQ_KEYS_LIST,
	KQ_KEYS_INSERT,
	KQ_KEYS_RETIRE_CURRENT,
	KQ_KEYS_REVOKE_ALL,
	KQ_KEYS_SEALED,
	KQ_KEYS_RESEAL,
	KQ_NOTIFY_TOKENS,
	KQ__MAX
};
static const struct stmt_def defs_keys[KQ__MAX] = {
	[KQ_KEYS_LOCK] = { "keys_lock",
	    "SELECT pg_advisory_xact_lock(4242002)", 0 },
	[KQ_KEYS_LIST] = { "keys_list",
	    "SELECT kid, public_key, private_key_enc,"
	    " extract(epoch FROM activates_at)::bigint,"
	    " extract(epoch FROM retires_at)::bigint,"
	    " extract(epoch FROM expires_at)::bigint"
	    " FROM signing_keys WHERE revoked_at IS NULL AND expires_at > now()"
	    " ORDER BY activates_at", 0 },
	[KQ_KEYS_INSERT] = { "keys_insert",
	    "INSERT INTO signing_keys (kid, alg, public_key, private_key_enc,"
	    " activates_at, retires_at, expires_at)"
	    " VALUES ($1, 'EdDSA', $2, $3, to_timestamp($4), to_timestamp($5),"
	    " to_timestamp($6))", 6 },
	[KQ_KEYS_RETIRE_CURRENT] = { "keys_retire_current",
	    "UPDATE signing_keys SET retires_at = now(),"
	    " expires_at = now() + $1 * interval '1 second'"
	    " WHERE revoked_at IS NULL AND retires_at > now()", 1 },
	[KQ_KEYS_REVOKE_ALL] = { "keys_revoke_all",
	    "UPDATE signing_keys SET revoked_at = now()"
	    " WHERE revoked_at IS NULL", 0 },
	[KQ_KEYS_SEALED] = { "keys_sealed",
	    "SELECT kid, private_key_enc FROM signing_keys ORDER BY kid"
	    " FOR UPDATE", 0 },
	[KQ_KEYS_RESEAL] = { "keys_reseal",
	    "UPDATE signing_keys SET private_key_enc = $2 WHERE kid = $1", 2 },
	[KQ_NOTIFY_TOKENS] = { "notify_tokens",
	    "SELECT pg_notify('iam_tokens', '')", 0 },
};
const struct stmt_set store_set_keys = { defs_keys, KQ__MAX,
    STORE_SERVER | STORE_CTL };

#define SKEW	30

/* Decodes a bytea in text form ("\x..." hex) into out (max bytes). */
static long
bytea(const char *s, unsigned char *out, size_t max)
{
	size_t	len, i;

	if (strncmp(s, "\\x", 2) != 0)
		return -1;
	s += 2;
	len = strlen(s);
	if (len % 2 != 0 || len / 2 > max)
		return -1;
	for (i = 0; i < len / 2; i++)
		if (sscanf(s + 2 * i, "%2hhx", &out[i]) != 1)
			return -1;
	return (long)(len / 2);
}

static void
clear(struct keyring *kr)
{
	size_t	i;

	for (i = 0; i < kr->n; i++) {
		crypto_pkey_free(kr->k[i].sign);
		crypto_pkey_free(kr->k[i].verify);
	}
	memset(kr->k, 0, sizeof(kr->k));
	kr->n = 0;
	free(kr->jwks);
	kr->jwks = NULL;
	kr->jwks_len = 0;
}

void
keys_free(struct keyring *kr)
{
	clear(kr);
	kr->loaded = 0;
}

/* Creates a key signing from act to ret, published until ret + lifetime. */
static int
create(struct store *s, const struct config *cfg, time_t act, time_t ret)
{
	struct arena	 a;
	unsigned char	 pub[32], priv[32], rnd[16];
	unsigned char	 sealed[32 + CRYPTO_AEAD_OVERHEAD];
	char		 t1[24], t2[24], t3[24];
	const char	*p[6];
	char		*kid;
	PGresult	*r;
	int		 rc = -1;

	arena_init(&a, 0);
	if (crypto_random(rnd, sizeof(rnd)) == -1 ||
	    crypto_ed25519_keygen(pub, priv) == -1 ||
	    (kid = b64url_encode(&a, rnd, sizeof(rnd))) == NULL ||
	    crypto_aead_seal(cfg->secret_key, kid, strlen(kid), priv, 32,
	    sealed) == -1)
		goto out;
	snprintf(t1, sizeof(t1), "%lld", (long long)act);
	snprintf(t2, sizeof(t2), "%lld", (long long)ret);
	snprintf(t3, sizeof(t3), "%lld", (long long)(ret +
	    cfg->jwt_expires_in + SKEW));
	p[0] = kid;
	p[1] = arena_printf(&a, "\\x%s", hex_encode(&a, pub, 32));
	p[2] = arena_printf(&a, "\\x%s", hex_encode(&a, sealed,
	    sizeof(sealed)));
	p[3] = t1;
	p[4] = t2;
	p[5] = t3;
	if (p[1] == NULL || p[2] == NULL)
		goto out;
	if ((r = store_run(s, &store_set_keys, KQ_KEYS_INSERT, 6, p)) == NULL)
		goto out;
	PQclear(r);
	log_kv(LOG_INFO, "keys.created", "kid", kid, LOG_END);
	rc = 0;
out:
	crypto_wipe(priv, sizeof(priv));
	arena_free(&a);
	return rc;
}

/* Opens a transaction holding the keys lock.  0, or -1 (nothing open). */
static int
begin_locked(struct store *s)
{
	PGresult	*r;

	if (store_begin(s) == -1)
		return -1;
	if ((r = store_run(s, &store_set_keys, KQ_KEYS_LOCK, 0, NULL)) == NULL) {
		store_rollback(s);
		return -1;
	}
	PQclear(r);
	return 0;
}

/* Under the keys lock: an active key, and its successor when due. */
static int
ensure(struct store *s, const struct config *cfg, time_t now)
{
	PGresult	*r;
	time_t		 act, ret, cur_ret = 0, last_ret = 0;
	time_t		 period = (time_t)cfg->jwks_rotate_days * 86400;
	time_t		 lead = period / 2 < 86400 ? period / 2 : 86400;
	int		 i, have = 0, rc = -1;

	if (begin_locked(s) == -1)
		return -1;
	if ((r = store_run(s, &store_set_keys, KQ_KEYS_LIST, 0, NULL)) == NULL)
		goto out;
	for (i = 0; i < PQntuples(r); i++) {
		act = atoll(PQgetvalue(r, i, 3));
		ret = atoll(PQgetvalue(r, i, 4));
		if (act <= now && now < ret) {
			have = 1;
			cur_ret = ret > cur_ret ? ret : cur_ret;
		}
		last_ret = ret > last_ret ? ret : last_ret;
	}
	PQclear(r);
	if (!have) {
		if (create(s, cfg, now, now + period) == -1)
			goto out;
	} else if (last_ret == cur_ret && now >= cur_ret - lead) {
		if (create(s, cfg, cur_ret, cur_ret + period) == -1)
			goto out;
	}
	rc = store_commit(s);
out:
	if (rc == -1)
		store_rollback(s);
	return rc;
}

static void
build_jwks(struct keyring *kr)
{
	struct arena	 a;
	struct buf	 b;
	size_t		 i;

	arena_init(&a, 0);
	buf_init(&b, &a);
	buf_puts(&b, "{\"keys\":[");
	for (i = 0; i < kr->n; i++)
		buf_printf(&b, "%s{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
		    "\"x\":\"%s\",\"kid\":\"%s\",\"use\":\"sig\","
		    "\"alg\":\"EdDSA\"}", i ? "," : "",
		    b64url_encode(&a, kr->k[i].pub, 32), kr->k[i].kid);
	buf_puts(&b, "]}");
	if (!b.oom && (kr->jwks = malloc(b.len + 1)) != NULL) {
		memcpy(kr->jwks, b.data, b.len + 1);
		kr->jwks_len = b.len;
	}
	arena_free(&a);
}

/*
 * Opens a sealed private key with SECRET_ENCRYPTION_KEY, or with the
 * previous key while a rotation is under way.  0, 1 (opened with the
 * previous key) or -1.
 */
static int
unseal(const struct config *cfg, const char *kid, const unsigned char *s,
    size_t sl, unsigned char priv[32])
{
	return crypto_aead_open_either(cfg->secret_key,
	    cfg->secret_key_prev[32] ? cfg->secret_key_prev : NULL, kid,
	    strlen(kid), s, sl, priv);
}

static int
load(struct keyring *kr, struct store *s, const struct config *cfg)
{
	PGresult	*r;
	struct keyring	 next;
	struct jwt_key	*k;
	unsigned char	 sealed[64], priv[32];
	const char	*kid;
	long		 sl;
	int		 i, rows;

	if ((r = store_run(s, &store_set_keys, KQ_KEYS_LIST, 0, NULL)) == NULL)
		return -1;
	memset(&next, 0, sizeof(next));
	rows = PQntuples(r);
	for (i = 0; i < rows && next.n < KEYS_MAX; i++) {
		k = &next.k[next.n];
		kid = PQgetvalue(r, i, 0);
		if (strlen(kid) >= sizeof(k->kid) ||
		    bytea(PQgetvalue(r, i, 1), k->pub, 32) != 32 ||
		    (sl = bytea(PQgetvalue(r, i, 2), sealed, sizeof(sealed)))
		    != 32 + CRYPTO_AEAD_OVERHEAD ||
		    unseal(cfg, kid, sealed, (size_t)sl, priv) == -1) {
			/* Wrong SECRET_ENCRYPTION_KEY or a damaged row. */
			log_kv(LOG_ERROR, "keys.unreadable", "kid", kid,
			    LOG_END);
			continue;
		}
		snprintf(k->kid, sizeof(k->kid), "%s", kid);
		k->activates = atoll(PQgetvalue(r, i, 3));
		k->retires = atoll(PQgetvalue(r, i, 4));
		k->expires = atoll(PQgetvalue(r, i, 5));
		k->sign = crypto_ed25519_private(priv);
		k->verify = crypto_ed25519_public(k->pub);
		crypto_wipe(priv, sizeof(priv));
		if (k->sign == NULL || k->verify == NULL) {
			crypto_pkey_free(k->sign);
			crypto_pkey_free(k->verify);
			continue;
		}
		next.n++;
	}
	PQclear(r);
	crypto_wipe(sealed, sizeof(sealed));
	clear(kr);
	memcpy(kr->k, next.k, sizeof(next.k));
	kr->n = next.n;
	build_jwks(kr);
	return 0;
}

int
keys_refresh(struct keyring *kr, struct store *s, const struct config *cfg,
    time_t now, int force)
{
	if (force) {
		if (now == kr->last_forced)
			return -1;
		kr->last_forced = now;
	} else if (kr->loaded != 0 && now - kr->loaded < KEYS_RELOAD_SEC)
		return 0;
	if (ensure(s, cfg, now) == -1 || load(kr, s, cfg) == -1)
		return -1;
	kr->loaded = now;
	return 0;
}

const struct jwt_key *
keys_current(const struct keyring *kr, time_t now)
{
	const struct jwt_key	*best = NULL;
	size_t			 i;

	for (i = 0; i < kr->n; i++)
		if (kr->k[i].activates <= now && now < kr->k[i].retires &&
		    (best == NULL || kr->k[i].activates > best->activates))
			best = &kr->k[i];
	return best;
}

const struct jwt_key *
keys_find(void *ctx, const char *kid)
{
	const struct keyring	*kr = ctx;
	size_t			 i;

	for (i = 0; i < kr->n; i++)
		if (strcmp(kr->k[i].kid, kid) == 0)
			return &kr->k[i];
	return NULL;
}

int
keys_rotate(struct store *s, const struct config *cfg, time_t now)
{
	char		 life[24];
	const char	*p[1] = { life };
	PGresult	*r;
	int		 rc = -1;

	snprintf(life, sizeof(life), "%lld",
	    (long long)(cfg->jwt_expires_in + SKEW));
	if (begin_locked(s) == -1)
		return -1;
	if ((r = store_run(s, &store_set_keys, KQ_KEYS_RETIRE_CURRENT, 1, p)) == NULL)
		goto out;
	PQclear(r);
	if (create(s, cfg, now, now + (time_t)cfg->jwks_rotate_days * 86400)
	    == -1)
		goto out;
	rc = store_commit(s);
out:
	if (rc == -1)
		store_rollback(s);
	return rc;
}

int
keys_withdraw(struct store *s, const struct config *cfg, time_t now,
    long *withdrawn)
{
	PGresult	*r;
	int		 rc = -1;

	if (begin_locked(s) == -1)
		return -1;
	if ((r = store_run(s, &store_set_keys, KQ_KEYS_REVOKE_ALL, 0, NULL)) == NULL)
		goto out;
	*withdrawn = atol(PQcmdTuples(r));
	PQclear(r);
	if (create(s, cfg, now, now + (time_t)cfg->jwks_rotate_days * 86400)
	    == -1)
		goto out;
	if ((r = store_run(s, &store_set_keys, KQ_NOTIFY_TOKENS, 0, NULL)) == NULL)
		goto out;
	PQclear(r);
	rc = store_commit(s);
out:
	if (rc == -1)
		store_rollback(s);
	return rc;
}

int
keys_reseal(struct store *s, const struct config *cfg, long *resealed,
    long *unreadable)
{
	struct arena	 a;
	unsigned char	 sealed[64], priv[32], out[32 + CRYPTO_AEAD_OVERHEAD];
	const char	*p[2], *kid;
	PGresult	*r, *u;
	long		 sl;
	int		 i, rc = -1, how;

	*resealed = *unreadable = 0;
	arena_init(&a, 0);
	if (store_begin(s) == -1)
		goto done;
	if ((r = store_run(s, &store_set_keys, KQ_KEYS_SEALED, 0, NULL)) == NULL)
		goto out;
	for (i = 0; i < PQntuples(r); i++) {
		kid = PQgetvalue(r, i, 0);
		sl = bytea(PQgetvalue(r, i, 1), sealed, sizeof(sealed));
		how = sl == 32 + CRYPTO_AEAD_OVERHEAD ? unseal(cfg, kid,
		    sealed, (size_t)sl, priv) : -1;
		if (how == 0)
			continue;
		if (how == -1) {
			log_kv(LOG_ERROR, "keys.unreadable", "kid", kid,
			    LOG_END);
			(*unreadable)++;
			continue;
		}
		if (crypto_aead_seal(cfg->secret_key, kid, strlen(kid), priv,
		    32, out) == -1) {
			crypto_wipe(priv, sizeof(priv));
			PQclear(r);
			goto out;
		}
		crypto_wipe(priv, sizeof(priv));
		p[0] = kid;
		p[1] = arena_printf(&a, "\\x%s", hex_encode(&a, out,
		    sizeof(out)));
		if ((u = store_run(s, &store_set_keys, KQ_KEYS_RESEAL, 2, p)) == NULL) {
			PQclear(r);
			goto out;
		}
		PQclear(u);
		(*resealed)++;
	}
	PQclear(r);
	rc = store_commit(s);
out:
	if (rc == -1)
		store_rollback(s);
done:
	crypto_wipe(sealed, sizeof(sealed));
	arena_free(&a);
	return rc;
}
