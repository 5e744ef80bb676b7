/*
 * chain.c: the audit chains (see chain.h).
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
#include "parse.h"
#include "store.h"

#define BATCH		500
#define PAGE		2000
#define NFIELDS		12	/* AUDIT_CANON's columns */
#define MAXCHAINS	BATCH
#define POLL_MS		200

/* A field as 4-byte big-endian length and bytes; NULL as 0xffffffff. */
static void
frame(struct buf *b, const char *v, size_t len, int null)
{
	unsigned char	l[4];

	if (null)
		len = 0xffffffffu;
	l[0] = (unsigned char)(len >> 24);
	l[1] = (unsigned char)(len >> 16);
	l[2] = (unsigned char)(len >> 8);
	l[3] = (unsigned char)len;
	buf_add(b, l, 4);
	if (!null)
		buf_add(b, v, len);
}

/* The MAC of a link over row i's fields at col..col+NFIELDS-1. */
static int
link_mac(struct arena *a, const unsigned char key[32], const char *chain,
    long long seq, int version, const unsigned char prev[32], PGresult *r,
    int i, int col, unsigned char out[32])
{
	struct buf	b;
	int		f;

	buf_init(&b, a);
	buf_printf(&b, "iam-audit-link-v1%c%s%c%lld%c%d%c", 0, chain, 0, seq,
	    0, version, 0);
	buf_add(&b, prev, 32);
	for (f = col; f < col + NFIELDS; f++)
		frame(&b, PQgetvalue(r, i, f), (size_t)PQgetlength(r, i, f),
		    PQgetisnull(r, i, f));
	if (b.oom)
		return -1;
	return crypto_hmac_sha256(key, 32, b.data, b.len, out);
}

/* The personal digest of row i: salt at col, email, ip, ua after it. */
static int
personal_digest(struct arena *a, PGresult *r, int i, int col,
    unsigned char out[32])
{
	struct buf	 b;
	const char	*salt = PQgetvalue(r, i, col);
	size_t		 sl = strlen(salt) / 2;
	unsigned char	*s;
	int		 f;

	if ((s = arena_alloc(a, sl + 1)) == NULL || hex_decode(salt, s, sl) == -1)
		return -1;
	buf_init(&b, a);
	buf_add(&b, s, sl);
	for (f = col + 1; f <= col + 3; f++)
		frame(&b, PQgetvalue(r, i, f), (size_t)PQgetlength(r, i, f),
		    PQgetisnull(r, i, f));
	if (b.oom)
		return -1;
	return crypto_sha256(b.data, b.len, out);
}

struct head {
	char		 chain[37];
	long long	 seq;
	unsigned char	 mac[32];
};

static struct head *
find(struct head *h, int n, const char *chain)
{
	int	i;

	for (i = 0; i < n; i++)
		if (strcmp(h[i].chain, chain) == 0)
			return &h[i];
	return NULL;
}

/* The chain of pending row i (column 4: the organisation). */
static const char *
chain_of(PGresult *r, int i)
{
	return PQgetisnull(r, i, 4) ? CHAIN_INSTANCE : PQgetvalue(r, i, 4);
}

/* Reads the heads of the chains of the pending rows. */
static int
heads(struct store *s, struct arena *a, PGresult *r, struct head *h, int *nh)
{
	struct buf	 b;
	const char	*p[1], *c;
	PGresult	*q;
	int		 i, n = PQntuples(r);

	*nh = 0;
	buf_init(&b, a);
	buf_putc(&b, '{');
	for (i = 0; i < n; i++) {
		if (PQgetvalue(r, i, 1)[0] != 't')
			continue;
		c = chain_of(r, i);
		if (find(h, *nh, c) != NULL)
			continue;
		snprintf(h[*nh].chain, sizeof(h[*nh].chain), "%s", c);
		buf_printf(&b, "%s%s", *nh ? "," : "", c);
		(*nh)++;
	}
	buf_putc(&b, '}');
	buf_putc(&b, '\0');
	if (b.oom)
		return -1;
	if (*nh == 0)
		return 0;
	p[0] = b.data;
	if ((q = store_exec(s, STMT_AUDIT_HEADS, 1, p)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(q); i++) {
		struct head *x = find(h, *nh, PQgetvalue(q, i, 0));

		if (x == NULL)
			continue;
		x->seq = atoll(PQgetvalue(q, i, 1));
		memset(x->mac, 0, sizeof(x->mac));
		if (!PQgetisnull(q, i, 2) &&
		    hex_decode(PQgetvalue(q, i, 2), x->mac, 32) == -1) {
			PQclear(q);
			return -1;
		}
	}
	PQclear(q);
	return 0;
}

/* Appends an array element (text needing no quotes: uuids, digits,
 * hex) to an array literal under way. */
static void
elem(struct buf *b, const char *v)
{
	buf_putc(b, b->len == 0 ? '{' : ',');
	buf_puts(b, v);
}

long
chain_link(struct store *s, const struct config *cfg, struct chainkeys *ck,
    int max, int wait)
{
	struct arena	 a;
	struct buf	 col[7];
	struct head	*h = NULL, *x;
	unsigned char	 mac[32];
	const unsigned char *key;
	const char	*p[7];
	char		 lim[16], num[32];
	PGresult	*r = NULL, *q;
	long		 linked = 0;
	int		 i, n, nh, version, got;

	if (store_begin(s) == -1)
		return -1;
	arena_init(&a, 0);
	if ((q = store_exec(s, wait ? STMT_AUDIT_CHAIN_LOCK :
	    STMT_AUDIT_CHAIN_TRYLOCK, 0, NULL)) == NULL)
		goto fail;
	got = wait || PQgetvalue(q, 0, 0)[0] == 't';
	PQclear(q);
	if (!got)
		goto done;
	if ((ck->n == 0 || time(NULL) - ck->loaded > 60) &&
	    chainkeys_load(ck, s, cfg, 1) == -1)
		goto fail;
	if ((version = chainkeys_current(ck)) == 0 ||
	    (key = chainkeys_get(ck, version)) == NULL)
		goto fail;
	snprintf(lim, sizeof(lim), "%d", max > 0 && max < BATCH ? max : BATCH);
	p[0] = lim;
	if ((r = store_exec(s, STMT_AUDIT_PENDING, 1, p)) == NULL)
		goto fail;
	if ((n = PQntuples(r)) == 0)
		goto done;
	if ((h = arena_alloc(&a, sizeof(*h) * MAXCHAINS)) == NULL ||
	    heads(s, &a, r, h, &nh) == -1)
		goto fail;
	for (i = 0; i < 7; i++)
		buf_init(&col[i], &a);
	for (i = 0; i < n; i++) {
		elem(&col[6], PQgetvalue(r, i, 0));
		if (PQgetvalue(r, i, 1)[0] != 't')
			continue;	/* its event is gone: verify says so */
		x = find(h, nh, chain_of(r, i));
		if (link_mac(&a, key, x->chain, x->seq + 1, version, x->mac,
		    r, i, 2, mac) == -1)
			goto fail;
		x->seq++;
		elem(&col[0], PQgetvalue(r, i, 2));
		elem(&col[1], x->chain);
		snprintf(num, sizeof(num), "%lld", x->seq);
		elem(&col[2], num);
		snprintf(num, sizeof(num), "%d", version);
		elem(&col[3], num);
		elem(&col[4], hex_encode(&a, x->mac, 32));
		elem(&col[5], hex_encode(&a, mac, 32));
		memcpy(x->mac, mac, 32);
		linked++;
	}
	for (i = 0; i < 7; i++) {
		if (col[i].len == 0)
			buf_putc(&col[i], '{');
		buf_putc(&col[i], '}');
		buf_putc(&col[i], '\0');
		if (col[i].oom)
			goto fail;
		p[i] = col[i].data;
	}
	if ((q = store_exec(s, STMT_AUDIT_LINK, 7, p)) == NULL)
		goto fail;
	PQclear(q);
done:
	PQclear(r);
	if (store_commit(s) == -1)
		linked = -1;
	crypto_wipe(mac, sizeof(mac));
	arena_free(&a);
	return linked;
fail:
	PQclear(r);
	store_rollback(s);
	arena_free(&a);
	return -1;
}

int
chain_link_all(struct store *s, const struct config *cfg,
    struct chainkeys *ck)
{
	long	n;
	int	rounds = 0;

	/* Bounded: events keep coming while we link. */
	while ((n = chain_link(s, cfg, ck, BATCH, 1)) > 0 && ++rounds < 10000)
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
		/* Another chainer holding the lock: it links, we wait. */
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
	if (rep->broken)
		return;
	rep->broken = 1;
	snprintf(rep->first_broken, sizeof(rep->first_broken), "%s", id);
	snprintf(rep->why, sizeof(rep->why), "%s", why);
}

/* Checks one page of links; returns the rows seen, or -1. */
static int
check_page(struct arena *a, struct chainkeys *ck, const char *chain,
    PGresult *r, long long *expect, unsigned char prev[32],
    struct chain_report *rep)
{
	unsigned char		 mac[32], want[32], pm[32], dg[32], sd[32];
	const unsigned char	*key;
	const char		*ev;
	long long		 seq;
	int			 i, n = PQntuples(r), v;

	for (i = 0; i < n && !rep->broken; i++) {
		seq = atoll(PQgetvalue(r, i, 0));
		v = atoi(PQgetvalue(r, i, 1));
		ev = PQgetvalue(r, i, 4);
		if (seq != *expect) {
			broken(rep, ev, "a link before it is missing");
			break;
		}
		if (hex_decode(PQgetvalue(r, i, 2), pm, 32) == -1 ||
		    hex_decode(PQgetvalue(r, i, 3), want, 32) == -1 ||
		    !crypto_eq32(pm, prev)) {
			broken(rep, ev, "does not follow the link before it");
			break;
		}
		if (PQgetvalue(r, i, 5)[0] != 't') {
			broken(rep, ev, "its event is missing");
			break;
		}
		if ((key = chainkeys_get(ck, v)) == NULL) {
			broken(rep, ev, "made with an unknown key");
			break;
		}
		if (link_mac(a, key, chain, seq, v, prev, r, i, 6, mac) == -1)
			return -1;
		if (!crypto_eq32(mac, want)) {
			broken(rep, ev, "the event or its link was altered");
			break;
		}
		/* Personal fields not erased must match their digest. */
		if (PQgetvalue(r, i, 6 + NFIELDS + 4)[0] != 't') {
			if (PQgetisnull(r, i, 6 + NFIELDS) ||
			    personal_digest(a, r, i, 6 + NFIELDS, sd) == -1 ||
			    hex_decode(PQgetvalue(r, i, 6 + NFIELDS - 1), dg, 32) ==
			    -1 || !crypto_eq32(sd, dg)) {
				broken(rep, ev, "its personal fields were "
				    "altered");
				break;
			}
		}
		memcpy(prev, want, 32);
		(*expect)++;
		rep->checked++;
	}
	return n;
}

int
chain_verify(struct store *s, const struct config *cfg, struct chainkeys *ck,
    const char *chain, struct chain_report *rep)
{
	struct arena	 a;
	unsigned char	 prev[32];
	long long	 expect = 1;
	char		 after[32], lim[16];
	const char	*p[3];
	PGresult	*r;
	int		 n, rc = -1;

	memset(rep, 0, sizeof(*rep));
	memset(prev, 0, sizeof(prev));
	if (chainkeys_load(ck, s, cfg, 0) == -1)
		return -1;
	arena_init(&a, 0);
	p[0] = chain;
	if ((r = store_exec(s, STMT_AUDIT_ANCHOR_GET, 1, p)) == NULL)
		goto out;
	if (PQntuples(r) == 1) {
		expect = atoll(PQgetvalue(r, 0, 0)) + 1;
		if (hex_decode(PQgetvalue(r, 0, 1), prev, 32) == -1) {
			PQclear(r);
			goto out;
		}
	}
	PQclear(r);
	snprintf(lim, sizeof(lim), "%d", PAGE);
	do {
		snprintf(after, sizeof(after), "%lld", expect - 1);
		p[1] = after;
		p[2] = lim;
		if ((r = store_exec(s, STMT_AUDIT_CHAIN_PAGE, 3, p)) == NULL)
			goto out;
		n = check_page(&a, ck, chain, r, &expect, prev, rep);
		PQclear(r);
		arena_free(&a);
		arena_init(&a, 0);
		if (n == -1)
			goto out;
	} while (n == PAGE && !rep->broken);
	if (!rep->broken) {
		if ((r = store_exec(s, STMT_AUDIT_UNLINKED, 1, p)) == NULL)
			goto out;
		if (PQntuples(r) == 1)
			broken(rep, PQgetvalue(r, 0, 0), "an event left out of "
			    "the chain");
		PQclear(r);
	}
	rc = 0;
out:
	crypto_wipe(prev, sizeof(prev));
	arena_free(&a);
	return rc;
}
