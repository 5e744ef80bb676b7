/*
 * store_audit.c: the audit chains' rows, typed (see store_audit.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "text.h"
#include "store.h"
#include "store_audit.h"

/* Column c of row i, copied, NULL kept as NULL. */
static int
col(struct arena *a, PGresult *r, int i, int c, struct sqlv *out)
{
	out->len = 0;
	out->v = NULL;
	if (PQgetisnull(r, i, c))
		return 0;
	out->len = (size_t)PQgetlength(r, i, c);
	if ((out->v = arena_strndup(a, PQgetvalue(r, i, c), out->len)) ==
	    NULL)
		return -1;
	return 0;
}

static int
cols(struct arena *a, PGresult *r, int i, int c, struct sqlv *out, int n)
{
	int	k;

	for (k = 0; k < n; k++)
		if (col(a, r, i, c + k, &out[k]) == -1)
			return -1;
	return 0;
}

static int
is_true(PGresult *r, int i, int c)
{
	return !PQgetisnull(r, i, c) && PQgetvalue(r, i, c)[0] == 't';
}

int
store_audit_chain_lock(struct store *s, int wait)
{
	PGresult	*r;
	int		 got;

	if ((r = store_exec(s, wait ? STMT_AUDIT_CHAIN_LOCK :
	    STMT_AUDIT_CHAIN_TRYLOCK, 0, NULL)) == NULL)
		return -1;
	got = wait || is_true(r, 0, 0);
	PQclear(r);
	return got;
}

int
store_audit_pending(struct store *s, struct arena *a, int max,
    struct audit_pending **out)
{
	char			 lim[16];
	const char		*p[1] = { lim };
	struct audit_pending	*v;
	PGresult		*r;
	int			 i, n;

	snprintf(lim, sizeof(lim), "%d", max);
	if ((r = store_exec(s, STMT_AUDIT_PENDING, 1, p)) == NULL)
		return -1;
	n = PQntuples(r);
	if ((v = arena_alloc(a, sizeof(*v) * (size_t)(n + 1))) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		v[i].n = arena_strdup(a, PQgetvalue(r, i, 0));
		v[i].exists = is_true(r, i, 1);
		if (v[i].n == NULL || cols(a, r, i, 2, v[i].f, AUDIT_NFIELDS) ==
		    -1)
			goto fail;
		/* column 4, the third field: the organisation */
		v[i].chain = v[i].f[2].v != NULL ? v[i].f[2].v : AUDIT_INSTANCE;
	}
	PQclear(r);
	*out = v;
	return n;
fail:
	PQclear(r);
	return -1;
}

int
store_audit_heads(struct store *s, struct arena *a, struct audit_head *h,
    int n)
{
	struct buf	 b;
	const char	*p[1];
	PGresult	*r;
	int		 i, k;

	buf_init(&b, a);
	for (i = 0; i < n; i++) {
		buf_printf(&b, "%c%s", i ? ',' : '{', h[i].chain);
		h[i].seq = 0;
		memset(h[i].mac, 0, sizeof(h[i].mac));
	}
	buf_puts(&b, n ? "}" : "{}");
	buf_putc(&b, '\0');
	if (b.oom)
		return -1;
	p[0] = b.data;
	if ((r = store_exec(s, STMT_AUDIT_HEADS, 1, p)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(r); i++)
		for (k = 0; k < n; k++) {
			if (strcmp(h[k].chain, PQgetvalue(r, i, 0)) != 0)
				continue;
			h[k].seq = atoll(PQgetvalue(r, i, 1));
			if (!PQgetisnull(r, i, 2) &&
			    hex_decode(PQgetvalue(r, i, 2), h[k].mac, 32) == -1) {
				PQclear(r);
				return -1;
			}
		}
	PQclear(r);
	return 0;
}

/* Appends an element needing no quotes (uuids, digits, hex) to an array
 * literal under way. */
static void
elem(struct buf *b, const char *v)
{
	buf_putc(b, b->len == 0 ? '{' : ',');
	buf_puts(b, v);
}

int
store_audit_link(struct store *s, struct arena *a,
    const struct audit_newlink *l, int n, const char *const *done, int nd)
{
	struct buf	 c[7];
	const char	*p[7];
	char		 num[32];
	PGresult	*r;
	int		 i;

	for (i = 0; i < 7; i++)
		buf_init(&c[i], a);
	for (i = 0; i < n; i++) {
		elem(&c[0], l[i].event);
		elem(&c[1], l[i].chain);
		snprintf(num, sizeof(num), "%lld", l[i].seq);
		elem(&c[2], num);
		snprintf(num, sizeof(num), "%d", l[i].version);
		elem(&c[3], num);
		elem(&c[4], hex_encode(a, l[i].prev, 32));
		elem(&c[5], hex_encode(a, l[i].mac, 32));
	}
	for (i = 0; i < nd; i++)
		elem(&c[6], done[i]);
	for (i = 0; i < 7; i++) {
		if (c[i].len == 0)
			buf_putc(&c[i], '{');
		buf_putc(&c[i], '}');
		buf_putc(&c[i], '\0');
		if (c[i].oom)
			return -1;
		p[i] = c[i].data;
	}
	if ((r = store_exec(s, STMT_AUDIT_LINK, 7, p)) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

int
store_audit_anchor(struct store *s, const char *chain, long long *seq,
    unsigned char mac[32])
{
	const char	*p[1] = { chain };
	PGresult	*r;
	int		 rc = 0;

	if ((r = store_exec(s, STMT_AUDIT_ANCHOR_GET, 1, p)) == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		*seq = atoll(PQgetvalue(r, 0, 0));
		rc = hex_decode(PQgetvalue(r, 0, 1), mac, 32) == 0 ? 1 : -1;
	}
	PQclear(r);
	return rc;
}

int
store_audit_chain_page(struct store *s, struct arena *a, const char *chain,
    long long after, int limit, struct audit_link **out)
{
	char			 aft[32], lim[16];
	const char		*p[3] = { chain, aft, lim };
	struct audit_link	*v;
	PGresult		*r;
	int			 i, n, c = 6 + AUDIT_NFIELDS;

	snprintf(aft, sizeof(aft), "%lld", after);
	snprintf(lim, sizeof(lim), "%d", limit);
	if ((r = store_exec(s, STMT_AUDIT_CHAIN_PAGE, 3, p)) == NULL)
		return -1;
	n = PQntuples(r);
	if ((v = arena_alloc(a, sizeof(*v) * (size_t)(n + 1))) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		v[i].seq = atoll(PQgetvalue(r, i, 0));
		v[i].version = atoi(PQgetvalue(r, i, 1));
		v[i].readable = hex_decode(PQgetvalue(r, i, 2), v[i].prev, 32)
		    == 0 && hex_decode(PQgetvalue(r, i, 3), v[i].mac, 32) == 0;
		v[i].event = arena_strdup(a, PQgetvalue(r, i, 4));
		v[i].exists = is_true(r, i, 5);
		v[i].erased = is_true(r, i, c + 4);
		if (v[i].event == NULL ||
		    cols(a, r, i, 6, v[i].f, AUDIT_NFIELDS) == -1 ||
		    col(a, r, i, c, &v[i].salt) == -1 ||
		    cols(a, r, i, c + 1, v[i].personal, 3) == -1)
			goto fail;
	}
	PQclear(r);
	*out = v;
	return n;
fail:
	PQclear(r);
	return -1;
}

int
store_audit_unlinked(struct store *s, struct arena *a, const char *chain,
    const char **id)
{
	const char	*p[1] = { chain };
	PGresult	*r;
	int		 rc = 0;

	if ((r = store_exec(s, STMT_AUDIT_UNLINKED, 1, p)) == NULL)
		return -1;
	if (PQntuples(r) == 1)
		rc = (*id = arena_strdup(a, PQgetvalue(r, 0, 0))) != NULL ?
		    1 : -1;
	PQclear(r);
	return rc;
}
