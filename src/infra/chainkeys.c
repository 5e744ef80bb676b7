/*
 * chainkeys.c: the audit chain's keys (see chainkeys.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "chainkeys.h"
#include "conf.h"
#include "crypto.h"
#include "log.h"
#include "text.h"
#include "store_int.h"

/* The chain keys' own statements. */
enum {
	CQ_AUDIT_KEYS_LIST,
	CQ_AUDIT_KEYS_LOCK,
	CQ_AUDIT_KEY_INSERT,
	CQ_AUDIT_KEYS_SEALED,
	CQ_AUDIT_KEY_RESEAL,
	CQ__MAX
};
static const struct stmt_def defs_chainkeys[CQ__MAX] = {
	/* The chain keys, sealed. */
	[CQ_AUDIT_KEYS_LIST] = { "audit_keys_list",
	    "SELECT version, encode(sealed, 'hex') FROM audit_keys"
	    " ORDER BY version", 0 },
	[CQ_AUDIT_KEYS_LOCK] = { "audit_keys_lock",
	    "SELECT pg_advisory_xact_lock(4242005)", 0 },
	[CQ_AUDIT_KEY_INSERT] = { "audit_key_insert",
	    "INSERT INTO audit_keys (version, sealed)"
	    " VALUES ($1::integer, decode($2, 'hex'))", 2 },
	[CQ_AUDIT_KEYS_SEALED] = { "audit_keys_sealed",
	    "SELECT version, encode(sealed, 'hex') FROM audit_keys"
	    " ORDER BY version FOR UPDATE", 0 },
	[CQ_AUDIT_KEY_RESEAL] = { "audit_key_reseal",
	    "UPDATE audit_keys SET sealed = decode($2, 'hex')"
	    " WHERE version = $1::integer", 2 },
};
const struct stmt_set store_set_chainkeys = { defs_chainkeys, CQ__MAX,
    STORE_SERVER | STORE_CTL };

#define SEALED_LEN	(32 + CRYPTO_AEAD_OVERHEAD)

static void
aad(int version, char *out, size_t len)
{
	snprintf(out, len, "iam-audit-chain-key:%d", version);
}

/* 0 opened with the current key, 1 with the previous one, -1 neither. */
static int
unseal(const struct config *cfg, int version, const char *hex,
    unsigned char key[32])
{
	unsigned char	sealed[SEALED_LEN];
	char		ad[48];
	int		rc = -1;

	aad(version, ad, sizeof(ad));
	if (hex_decode(hex, sealed, sizeof(sealed)) == 0)
		rc = crypto_aead_open_either(cfg->secret_key,
		    cfg->secret_key_prev[32] ? cfg->secret_key_prev : NULL, ad,
		    strlen(ad), sealed, sizeof(sealed), key);
	crypto_wipe(sealed, sizeof(sealed));
	return rc;
}

/* Seals key under SECRET_ENCRYPTION_KEY as hex (arena).  NULL on error. */
static char *
seal(struct arena *a, const struct config *cfg, int version,
    const unsigned char key[32])
{
	unsigned char	out[SEALED_LEN];
	char		ad[48];

	aad(version, ad, sizeof(ad));
	if (crypto_aead_seal(cfg->secret_key, ad, strlen(ad), key, 32,
	    out) == -1)
		return NULL;
	return hex_encode(a, out, sizeof(out));
}

/* Inserts version v with a fresh key (in the open transaction). */
static int
insert(struct store *s, const struct config *cfg, int v)
{
	struct arena	 a;
	unsigned char	 key[32];
	const char	*p[2];
	PGresult	*r;
	int		 rc = -1;

	arena_init(&a, 0);
	if (crypto_random(key, sizeof(key)) == 0 &&
	    (p[1] = seal(&a, cfg, v, key)) != NULL) {
		p[0] = arena_printf(&a, "%d", v);
		if ((r = store_run(s, &store_set_chainkeys, CQ_AUDIT_KEY_INSERT, 2, p)) != NULL) {
			PQclear(r);
			rc = 0;
		}
	}
	crypto_wipe(key, sizeof(key));
	arena_free(&a);
	return rc;
}

/* Under the keys lock: the newest version there is (0: none), or -1. */
static int
newest(struct store *s)
{
	PGresult	*r;
	int		 v;

	if ((r = store_run(s, &store_set_chainkeys, CQ_AUDIT_KEYS_LIST, 0, NULL)) == NULL)
		return -1;
	v = PQntuples(r) > 0 ? atoi(PQgetvalue(r, PQntuples(r) - 1, 0)) : 0;
	PQclear(r);
	return v;
}

/* Adds version newest+1 under the keys lock (when none is there only,
 * if first).  0 or -1. */
static int
add(struct store *s, const struct config *cfg, int first, int *version)
{
	PGresult	*r;
	char		 vs[16];
	int		 v, own = !s->in_tx;

	if (own && store_begin(s) == -1)
		return -1;
	if ((r = store_run(s, &store_set_chainkeys, CQ_AUDIT_KEYS_LOCK, 0, NULL)) == NULL)
		goto fail;
	PQclear(r);
	if ((v = newest(s)) == -1)
		goto fail;
	if (!(first && v > 0)) {
		if (insert(s, cfg, v + 1) == -1)
			goto fail;
		v++;
		snprintf(vs, sizeof(vs), "%d", v);
		log_kv(LOG_INFO, "audit.chain_key_created", "version", vs,
		    LOG_END);
	}
	if (own && store_commit(s) == -1)
		return -1;
	if (version != NULL)
		*version = v;
	return 0;
fail:
	if (own)
		store_rollback(s);
	return -1;
}

int
chainkeys_load(struct chainkeys *ck, struct store *s,
    const struct config *cfg, int create)
{
	PGresult	*r;
	int		 i, n, v;

	chainkeys_wipe(ck);
	if ((r = store_run(s, &store_set_chainkeys, CQ_AUDIT_KEYS_LIST, 0, NULL)) == NULL)
		return -1;
	if (PQntuples(r) == 0 && create) {
		PQclear(r);
		if (add(s, cfg, 1, NULL) == -1 ||
		    (r = store_run(s, &store_set_chainkeys, CQ_AUDIT_KEYS_LIST, 0, NULL)) == NULL)
			return -1;
	}
	n = PQntuples(r);
	for (i = 0; i < n && ck->n < CHAINKEYS_MAX; i++) {
		v = atoi(PQgetvalue(r, i, 0));
		if (unseal(cfg, v, PQgetvalue(r, i, 1), ck->k[ck->n].key) ==
		    -1) {
			log_kv(LOG_ERROR, "audit.chain_key_unreadable",
			    "version", PQgetvalue(r, i, 0), LOG_END);
			PQclear(r);
			chainkeys_wipe(ck);
			return -1;
		}
		ck->k[ck->n++].version = v;
	}
	PQclear(r);
	ck->loaded = time(NULL);
	return 0;
}

const unsigned char *
chainkeys_get(const struct chainkeys *ck, int version)
{
	int	i;

	for (i = 0; i < ck->n; i++)
		if (ck->k[i].version == version)
			return ck->k[i].key;
	return NULL;
}

int
chainkeys_current(const struct chainkeys *ck)
{
	return ck->n > 0 ? ck->k[ck->n - 1].version : 0;
}

int
chainkeys_rotate(struct store *s, const struct config *cfg, int *version)
{
	return add(s, cfg, 0, version);
}

int
chainkeys_reseal(struct store *s, const struct config *cfg, long *resealed,
    long *unreadable)
{
	struct arena	 a;
	unsigned char	 key[32];
	const char	*p[2];
	PGresult	*r, *u;
	int		 i, v, how, rc = -1;

	*resealed = *unreadable = 0;
	arena_init(&a, 0);
	if (store_begin(s) == -1)
		goto done;
	if ((r = store_run(s, &store_set_chainkeys, CQ_AUDIT_KEYS_SEALED, 0, NULL)) == NULL)
		goto out;
	for (i = 0; i < PQntuples(r); i++) {
		v = atoi(PQgetvalue(r, i, 0));
		if ((how = unseal(cfg, v, PQgetvalue(r, i, 1), key)) == 0)
			continue;
		if (how == -1) {
			log_kv(LOG_ERROR, "audit.chain_key_unreadable",
			    "version", PQgetvalue(r, i, 0), LOG_END);
			(*unreadable)++;
			continue;
		}
		p[0] = PQgetvalue(r, i, 0);
		p[1] = seal(&a, cfg, v, key);
		crypto_wipe(key, sizeof(key));
		if (p[1] == NULL ||
		    (u = store_run(s, &store_set_chainkeys, CQ_AUDIT_KEY_RESEAL, 2, p)) == NULL) {
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
	crypto_wipe(key, sizeof(key));
	arena_free(&a);
	return rc;
}

void
chainkeys_wipe(struct chainkeys *ck)
{
	crypto_wipe(ck, sizeof(*ck));
}
