/*
 * chain.c: the audit chains (see chain.h).  The rows come typed from
 * store_audit.c; the rules, the framing and the MACs are here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "chain.h"
#include "chainkeys.h"
#include "conf.h"
#include "crypto.h"
#include "log.h"
#include "text.h"
#include "store.h"
#include "store_audit.h"

#define BATCH		500
#define PAGE		2000
#define POLL_MS		200
#define KEYS_RELOAD	60	/* s: the chainer sees a rotated key */

/* A field as 4-byte big-endian length and bytes; NULL as 0xffffffff. */
static void
frame(struct buf *b, const struct sqlv *f)
{
	size_t		len = f->v == NULL ? 0xffffffffu : f->len;
	unsigned char	l[4];

	l[0] = (unsigned char)(len >> 24);
	l[1] = (unsigned char)(len >> 16);
	l[2] = (unsigned char)(len >> 8);
	l[3] = (unsigned char)len;
	buf_add(b, l, 4);
	if (f->v != NULL)
		buf_add(b, f->v, f->len);
}

/* The MAC of a link (the bytes chain.h writes out). */
static int
link_mac(struct arena *a, const unsigned char key[32], const char *chain,
    long long seq, int version, const unsigned char prev[32],
    const struct sqlv *f, unsigned char out[32])
{
	struct buf	b;
	int		i;

	buf_init(&b, a);
	buf_printf(&b, "iam-audit-link-v1%c%s%c%lld%c%d%c", 0, chain, 0, seq,
	    0, version, 0);
	buf_add(&b, prev, 32);
	for (i = 0; i < AUDIT_NFIELDS; i++)
		frame(&b, &f[i]);
	if (b.oom)
		return -1;
	return crypto_hmac_sha256(key, 32, b.data, b.len, out);
}

/* The personal digest: SHA-256 of the salt and the three fields framed
 * (audit_personal() in migration 0007 computes it at insert). */
static int
personal_digest(struct arena *a, const struct audit_link *l,
    unsigned char out[32])
{
	struct buf	 b;
	unsigned char	*salt;
	size_t		 sl = l->salt.len / 2;
	int		 i;

	if (l->salt.v == NULL || (salt = arena_alloc(a, sl + 1)) == NULL ||
	    hex_decode(l->salt.v, salt, sl) == -1)
		return -1;
	buf_init(&b, a);
	buf_add(&b, salt, sl);
	for (i = 0; i < 3; i++)
		frame(&b, &l->personal[i]);
	if (b.oom)
		return -1;
	return crypto_sha256(b.data, b.len, out);
}

static struct audit_head *
find(struct audit_head *h, int n, const char *chain)
{
	int	i;

	for (i = 0; i < n; i++)
		if (strcmp(h[i].chain, chain) == 0)
			return &h[i];
	return NULL;
}

long
chain_link(struct store *s, const struct config *cfg, struct chainkeys *ck,
    int max, int wait)
{
	struct arena		 a;
	struct audit_pending	*ev;
	struct audit_head	*h, *x;
	struct audit_newlink	*l;
	const unsigned char	*key;
	const char		**done;
	long			 linked = -1;
	int			 i, n, nh = 0, nl = 0, version, got;

	if (store_begin(s) == -1)
		return -1;
	arena_init(&a, 0);
	if ((got = store_audit_chain_lock(s, wait)) <= 0) {
		linked = got;	/* 0: another chainer is at work */
		goto end;
	}
	if ((ck->n == 0 || time(NULL) - ck->loaded > KEYS_RELOAD) &&
	    chainkeys_load(ck, s, cfg, 1) == -1)
		goto end;
	if ((version = chainkeys_current(ck)) == 0 ||
	    (key = chainkeys_get(ck, version)) == NULL)
		goto end;
	if ((n = store_audit_pending(s, &a, max > 0 && max < BATCH ? max :
	    BATCH, &ev)) <= 0) {
		linked = n;
		goto end;
	}
	h = arena_alloc(&a, sizeof(*h) * (size_t)n);
	l = arena_alloc(&a, sizeof(*l) * (size_t)n);
	done = arena_alloc(&a, sizeof(*done) * (size_t)n);
	if (h == NULL || l == NULL || done == NULL)
		goto end;
	for (i = 0; i < n; i++)
		if (ev[i].exists && find(h, nh, ev[i].chain) == NULL)
			snprintf(h[nh++].chain, sizeof(h[0].chain), "%s",
			    ev[i].chain);
	if (store_audit_heads(s, &a, h, nh) == -1)
		goto end;
	for (i = 0; i < n; i++) {
		done[i] = ev[i].n;
		if (!ev[i].exists)
			continue;	/* its event is gone: verify says so */
		x = find(h, nh, ev[i].chain);
		l[nl].event = ev[i].f[0].v;
		l[nl].chain = x->chain;
		l[nl].seq = ++x->seq;
		l[nl].version = version;
		memcpy(l[nl].prev, x->mac, 32);
		if (link_mac(&a, key, x->chain, x->seq, version, x->mac,
		    ev[i].f, l[nl].mac) == -1)
			goto end;
		memcpy(x->mac, l[nl].mac, 32);
		nl++;
	}
	if (store_audit_link(s, &a, l, nl, done, n) == -1)
		goto end;
	linked = nl;
end:
	if (linked >= 0 && store_commit(s) == -1)
		linked = -1;
	if (linked < 0)
		store_rollback(s);
	arena_free(&a);		/* wipes the MACs it held */
	return linked;
}

int
chain_link_all(struct store *s, const struct config *cfg,
    struct chainkeys *ck)
{
	long	n;

	while ((n = chain_link(s, cfg, ck, BATCH, 1)) == BATCH)
		;
	return n < 0 ? -1 : 0;
}

int
chain_follow(struct store *s, const struct config *cfg,
    volatile sig_atomic_t *stop)
{
	struct chainkeys	ck;
	long			n = 0;
	int			failing = 0;

	memset(&ck, 0, sizeof(ck));
	log_kv(LOG_INFO, "audit.chainer_start", LOG_END);
	while (!*stop) {
		if (store_ready(s) != 1) {
			(void)store_wait(s, 1000);
			continue;
		}
		/* 0 also when another chainer holds the lock: it links. */
		while (!*stop && (n = chain_link(s, cfg, &ck, BATCH, 0)) > 0)
			;
		if (n == -1 && !failing)
			log_kv(LOG_WARN, "audit.chain_failed", LOG_END);
		failing = n == -1;
		/* Polled: a NOTIFY per audited write would serialise them. */
		(void)store_wait(s, failing ? 1000 : POLL_MS);
	}
	chainkeys_wipe(&ck);
	log_kv(LOG_INFO, "audit.chainer_stop", LOG_END);
	return 0;
}

static void
broken(struct chain_report *rep, const char *id, const char *why)
{
	rep->broken = 1;
	snprintf(rep->first_broken, sizeof(rep->first_broken), "%s", id);
	snprintf(rep->why, sizeof(rep->why), "%s", why);
}

/* What is wrong with link l (expected at seq after prev), or NULL. */
static const char *
check(struct arena *a, struct chainkeys *ck, const char *chain,
    const struct audit_link *l, long long seq, const unsigned char prev[32],
    int *err)
{
	const unsigned char	*key;
	unsigned char		 mac[32], dg[32], want[32];

	if (l->seq != seq)
		return "a link before it is missing";
	if (!l->readable || !crypto_eq32(l->prev, prev))
		return "does not follow the link before it";
	if (!l->exists)
		return "its event is missing";
	if ((key = chainkeys_get(ck, l->version)) == NULL)
		return "made with an unknown key";
	if (link_mac(a, key, chain, seq, l->version, prev, l->f, mac) == -1) {
		*err = 1;
		return NULL;
	}
	if (!crypto_eq32(mac, l->mac))
		return "the event or its link was altered";
	/* Personal fields not erased must match their digest (the last
	 * field, which the MAC covers). */
	if (!l->erased && (personal_digest(a, l, dg) == -1 ||
	    hex_decode(l->f[AUDIT_NFIELDS - 1].v, want, 32) == -1 ||
	    !crypto_eq32(dg, want)))
		return "its personal fields were altered";
	return NULL;
}

int
chain_verify(struct store *s, const struct config *cfg, struct chainkeys *ck,
    const char *chain, struct chain_report *rep)
{
	struct arena		 a;
	struct audit_link	*l;
	unsigned char		 prev[32];
	long long		 seq = 0;
	const char		*why, *id;
	int			 i, n, err = 0, rc = -1;

	memset(rep, 0, sizeof(*rep));
	memset(prev, 0, sizeof(prev));
	if (chainkeys_load(ck, s, cfg, 0) == -1)
		return -1;
	arena_init(&a, 0);
	if (store_audit_anchor(s, chain, &seq, prev) == -1)
		goto out;
	do {
		if ((n = store_audit_chain_page(s, &a, chain, seq, PAGE, &l)) ==
		    -1)
			goto out;
		for (i = 0; i < n; i++) {
			if ((why = check(&a, ck, chain, &l[i], seq + 1, prev,
			    &err)) != NULL) {
				broken(rep, l[i].event, why);
				break;
			}
			if (err)
				goto out;
			memcpy(prev, l[i].mac, 32);
			seq++;
			rep->checked++;
		}
		arena_free(&a);
		arena_init(&a, 0);
	} while (n == PAGE && !rep->broken);
	if (!rep->broken) {
		if ((n = store_audit_unlinked(s, &a, chain, &id)) == -1)
			goto out;
		if (n == 1)
			broken(rep, id, "an event left out of the chain");
	}
	rc = 0;
out:
	crypto_wipe(prev, sizeof(prev));
	arena_free(&a);
	return rc;
}
