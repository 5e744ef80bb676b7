/*
 * env.c: the long-lived state of a process that serves requests (a
 * worker, the CGI process, iamctl): configuration, the database
 * connection, the rate-limit backend, the arena, the signing keyring and
 * the revocation list.  Set up once before the first request; the only
 * global state.  Nothing here knows FastCGI or HTTP.
 */
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "crypto.h"
#include "env.h"
#include "log.h"
#include "text.h"

int
env_init(struct env *w, const struct config *cfg, int connect_db)
{
	unsigned char	 rnd[8];
	char		*hex;

	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	/*
	 * A fixed mmap threshold: scrypt's 128 * N * r byte buffer is then
	 * always its own mapping, returned to the kernel when freed.  (glibc's
	 * dynamic threshold would otherwise grow past it after the first hash
	 * and keep those pages resident in every worker.)
	 */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	/* A request may use at most 64 times its body limit in memory. */
	arena_init(&w->arena, (size_t)cfg->max_body_bytes * 64);
	if (crypto_random(rnd, sizeof(rnd)) == -1 ||
	    (hex = hex_encode(&w->arena, rnd, sizeof(rnd))) == NULL)
		return -1;
	snprintf(w->rid_prefix, sizeof(w->rid_prefix), "%s", hex);
	arena_reset(&w->arena);
	if (rl_open(&w->rl, cfg) == -1) {
		log_kv(LOG_ERROR, "ratelimit.open_failed", LOG_END);
		return -1;
	}
	store_init(&w->db, cfg);
	if (vcache_init(&w->sessions, 512) == -1 ||
	    vcache_init(&w->tokens, 1024) == -1)
		return -1;
	/* The hash unknown emails are checked against, so that they cost
	 * what known ones do. */
	if (crypto_random(rnd, sizeof(rnd)) == -1 ||
	    crypto_password_hash((const char *)w->rid_prefix,
	    (uint64_t)cfg->scrypt_n, (uint32_t)cfg->scrypt_r,
	    (uint32_t)cfg->scrypt_p, w->dummy_hash) == -1)
		return -1;
	if (connect_db && store_ready(&w->db) == 1)
		(void)keys_refresh(&w->keys, &w->db, cfg, time(NULL), 0);
	return 0;
}

void
env_free(struct env *w)
{
	keys_free(&w->keys);
	revoke_free(&w->revoked);
	vcache_free(&w->sessions);
	vcache_free(&w->tokens);
	store_close(&w->db);
	rl_close(&w->rl);
	arena_free(&w->arena);
}

void
env_request_id(struct env *w, char *buf, size_t len)
{
	snprintf(buf, len, "%s-%llx", w->rid_prefix,
	    (unsigned long long)w->served);
}

int
env_sync(struct env *w, time_t now)
{
	int64_t	maxage = w->cfg->jwt_expires_in + 60;

	if (store_notified(&w->db)) {
		w->keys.loaded = 0;
		(void)revoke_refresh(&w->revoked, &w->db, maxage, now, 1);
	} else
		(void)revoke_refresh(&w->revoked, &w->db, maxage, now, 0);
	return keys_refresh(&w->keys, &w->db, w->cfg, now, 0);
}
