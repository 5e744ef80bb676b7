/*
 * store_audit.c: the audit chains' rows, typed (see store_audit.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "text.h"
#include "store_int.h"
#include "store_audit.h"

/* The audit log's statements: events, chaining, export, purge, erasure. */
enum {
	AQ_AUDIT_INSERT,
	AQ_AUDIT_GET,
	AQ_AUDIT_CHAIN_TRYLOCK,
	AQ_AUDIT_CHAIN_LOCK,
	AQ_AUDIT_PENDING,
	AQ_AUDIT_HEADS,
	AQ_AUDIT_LINK,
	AQ_AUDIT_ANCHOR_GET,
	AQ_AUDIT_CHAIN_PAGE,
	AQ_AUDIT_UNLINKED,
	AQ_AUDIT_CHAINS,
	AQ_AUDIT_EXPORT_CURSOR,
	AQ_AUDIT_EXPORT_BATCH,
	AQ_AUDIT_EXPORT_ADVANCE,
	AQ_AUDIT_PURGE_ALLOW,
	AQ_AUDIT_PURGE,
	AQ_AUDIT_ERASE_ALLOW,
	AQ_AUDIT_ERASE,
	AQ__MAX
};
static const struct stmt_def defs_audit[AQ__MAX] = {
	/* No lock: the chainer links committed events in its own order. */
	[AQ_AUDIT_INSERT] = { "audit_insert",
	    "WITH t AS (SELECT clock_timestamp() AS t,"
	    "  uuid_send(gen_random_uuid()) AS s)"
	    /* an event about a user carries the user's organisation */
	    ", e AS (INSERT INTO audit_log SELECT" AUDIT_ROW("coalesce($1::uuid,"
	    " (SELECT organisation_id FROM users WHERE id = $13::uuid))",
	    "$2", "$3", "$4::boolean", "$5", "$6::uuid", "$7", "$8", "$9",
	    "$10", "$11", "coalesce($12::jsonb, '{}')") " FROM t RETURNING id)"
	    AUDIT_QUEUE, 13 },
	[AQ_AUDIT_GET] = { "audit_get",
	    "SELECT audit_doc(a)::text FROM audit_log a"
	    " WHERE a.id = $2::uuid AND a.organisation_id = $1", 2 },
	/*
	 * Chaining.  One chainer at a time (a transaction lock, tried); it
	 * reads pending events in the order their inserts committed, each
	 * with the canonical columns its link covers (AUDIT_CANON), finds
	 * each chain's head (its last link, else the anchor a purge left),
	 * inserts the links and drops the pending rows in one statement.
	 */
	[AQ_AUDIT_CHAIN_TRYLOCK] = { "audit_chain_trylock",
	    "SELECT pg_try_advisory_xact_lock(4242004)", 0 },
	[AQ_AUDIT_CHAIN_LOCK] = { "audit_chain_lock",
	    "SELECT pg_advisory_xact_lock(4242004)", 0 },
	[AQ_AUDIT_PENDING] = { "audit_pending",
	    "SELECT p.n, a.id IS NOT NULL," AUDIT_CANON
	    " FROM audit_pending p LEFT JOIN audit_log a ON a.id = p.event_id"
	    " ORDER BY p.n LIMIT $1::integer", 1 },
	[AQ_AUDIT_HEADS] = { "audit_heads",
	    "SELECT c, coalesce(l.seq, an.seq, 0),"
	    " encode(coalesce(l.mac, an.mac), 'hex')"
	    " FROM unnest($1::uuid[]) c"
	    " LEFT JOIN LATERAL (SELECT seq, mac FROM audit_links"
	    "  WHERE chain = c ORDER BY seq DESC LIMIT 1) l ON true"
	    " LEFT JOIN audit_anchor an ON an.chain = c", 1 },
	[AQ_AUDIT_LINK] = { "audit_link",
	    /* exactly the rows read: one committed since stays pending */
	    "WITH d AS (DELETE FROM audit_pending WHERE n = ANY($7::bigint[])),"
	    /* the counters, one upsert per (organisation, action) a batch */
	    " c AS (INSERT INTO audit_counts SELECT organisation_id, action,"
	    "  min(category), count(*) FROM audit_log WHERE id = ANY($1::uuid[])"
	    "  AND organisation_id IS NOT NULL GROUP BY organisation_id, action"
	    "  ON CONFLICT (organisation_id, action)"
	    "  DO UPDATE SET n = audit_counts.n + excluded.n)"
	    " INSERT INTO audit_links (event_id, chain, seq, key_version,"
	    " prev_mac, mac) SELECT e, c, q, k, decode(pm, 'hex'),"
	    " decode(m, 'hex') FROM unnest($1::uuid[], $2::uuid[],"
	    " $3::bigint[], $4::integer[], $5::text[], $6::text[])"
	    " AS u(e, c, q, k, pm, m)", 7 },
	/*
	 * Verifying one chain ($1): its anchor, then its links in order
	 * with the event each names (absent: taken out), then any event of
	 * the chain that has neither a link nor a pending row.
	 */
	[AQ_AUDIT_ANCHOR_GET] = { "audit_anchor_get",
	    "SELECT seq, encode(mac, 'hex') FROM audit_anchor"
	    " WHERE chain = $1::uuid", 1 },
	[AQ_AUDIT_CHAIN_PAGE] = { "audit_chain_page",
	    "SELECT l.seq, l.key_version, encode(l.prev_mac, 'hex'),"
	    " encode(l.mac, 'hex'), l.event_id, a.id IS NOT NULL," AUDIT_CANON
	    ", encode(a.personal_salt, 'hex'), a.actor_email, a.ip,"
	    " a.user_agent, a.erased_at IS NOT NULL"
	    " FROM audit_links l LEFT JOIN audit_log a ON a.id = l.event_id"
	    " WHERE l.chain = $1::uuid AND l.seq > $2::bigint"
	    " ORDER BY l.seq LIMIT $3::integer", 3 },
	[AQ_AUDIT_UNLINKED] = { "audit_unlinked",
	    "SELECT a.id FROM audit_log a"
	    " WHERE (a.organisation_id = $1::uuid OR ($1::uuid ="
	    "  '00000000-0000-0000-0000-000000000000'"
	    "  AND a.organisation_id IS NULL))"
	    " AND NOT EXISTS (SELECT 1 FROM audit_links l"
	    "  WHERE l.event_id = a.id)"
	    " AND NOT EXISTS (SELECT 1 FROM audit_pending p"
	    "  WHERE p.event_id = a.id)"
	    " ORDER BY a.created_at, a.id LIMIT 1", 1 },
	/* Every chain there is, for iamctl audit verify. */
	[AQ_AUDIT_CHAINS] = { "audit_chains",
	    "SELECT coalesce(organisation_id,"
	    "  '00000000-0000-0000-0000-000000000000') FROM audit_log"
	    " GROUP BY 1 UNION SELECT chain FROM audit_links GROUP BY 1"
	    " UNION SELECT chain FROM audit_anchor ORDER BY 1", 0 },
	/* The exporter ships linked events in the order they were linked. */
	[AQ_AUDIT_EXPORT_CURSOR] = { "audit_export_cursor",
	    "SELECT last_id FROM audit_export WHERE id = 1", 0 },
	[AQ_AUDIT_EXPORT_BATCH] = { "audit_export_batch",
	    "SELECT l.n, (audit_doc(a) || jsonb_build_object("
	    " 'organisationId', a.organisation_id, 'chain', l.chain,"
	    " 'seq', l.seq, 'keyVersion', l.key_version,"
	    " 'prevMac', encode(l.prev_mac, 'hex'),"
	    " 'mac', encode(l.mac, 'hex')))::text"
	    " FROM audit_links l JOIN audit_log a ON a.id = l.event_id"
	    " WHERE l.n > $1::bigint ORDER BY l.n LIMIT $2::integer", 2 },
	[AQ_AUDIT_EXPORT_ADVANCE] = { "audit_export_advance",
	    "UPDATE audit_export SET last_id = $1::bigint, updated_at = now()"
	    " WHERE id = 1 AND last_id < $1::bigint", 1 },
	/*
	 * The retention purge (the owner's connection, under the chain
	 * lock): in each chain, the links before the first one to keep go
	 * with their events; the first kept is the oldest younger than $1
	 * days, or not yet shipped (past $2, when exporting), or naming a
	 * missing event, and never past the chain's last link (the chain
	 * goes on from it).  The last link taken out becomes the anchor.
	 */
	[AQ_AUDIT_PURGE_ALLOW] = { "audit_purge_allow",
	    "SELECT set_config('iam.audit_purge', 'on', true)", 0 },
	[AQ_AUDIT_PURGE] = { "audit_purge",
	    "WITH h AS (SELECT l.chain, max(l.seq) AS last,"
	    "  min(l.seq) FILTER (WHERE a.id IS NULL"
	    "  OR a.created_at >= now() - $1::bigint * interval '1 day'"
	    "  OR l.n > coalesce($2::bigint, 9223372036854775806)) AS young"
	    "  FROM audit_links l LEFT JOIN audit_log a ON a.id = l.event_id"
	    "  GROUP BY l.chain),"
	    " cut AS (SELECT chain, least(coalesce(young, last), last) AS keep"
	    "  FROM h),"
	    " gone AS (DELETE FROM audit_links l USING cut"
	    "  WHERE l.chain = cut.chain AND l.seq < cut.keep"
	    "  RETURNING l.chain, l.seq, l.mac, l.event_id),"
	    " an AS (INSERT INTO audit_anchor (chain, seq, mac, purged)"
	    "  SELECT DISTINCT ON (chain) chain, seq, mac,"
	    "  count(*) OVER (PARTITION BY chain) FROM gone"
	    "  ORDER BY chain, seq DESC ON CONFLICT (chain) DO UPDATE"
	    "  SET seq = excluded.seq, mac = excluded.mac, purged_at = now(),"
	    "  purged = audit_anchor.purged + excluded.purged),"
	    " ev AS (DELETE FROM audit_log a USING gone"
	    "  WHERE a.id = gone.event_id RETURNING a.id)"
	    " SELECT count(*) FROM ev", 2 },
	/* Erasing a user's personal fields (the owner's connection). */
	[AQ_AUDIT_ERASE_ALLOW] = { "audit_erase_allow",
	    "SELECT set_config('iam.audit_erase', 'on', true)", 0 },
	[AQ_AUDIT_ERASE] = { "audit_erase",
	    "UPDATE audit_log SET actor_email = NULL, ip = NULL,"
	    " user_agent = NULL, personal_salt = NULL, erased_at = now()"
	    " WHERE actor_id = $1::uuid AND erased_at IS NULL", 1 },
};
const struct stmt_set store_set_audit = { defs_audit, AQ__MAX,
    STORE_SERVER | STORE_CTL };

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

	if ((r = store_run(s, &store_set_audit, wait ? AQ_AUDIT_CHAIN_LOCK :
	    AQ_AUDIT_CHAIN_TRYLOCK, 0, NULL)) == NULL)
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
	if ((r = store_run(s, &store_set_audit, AQ_AUDIT_PENDING, 1, p)) == NULL)
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
	if ((r = store_run(s, &store_set_audit, AQ_AUDIT_HEADS, 1, p)) == NULL)
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
	if ((r = store_run(s, &store_set_audit, AQ_AUDIT_LINK, 7, p)) == NULL)
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

	if ((r = store_run(s, &store_set_audit, AQ_AUDIT_ANCHOR_GET, 1, p)) == NULL)
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
	if ((r = store_run(s, &store_set_audit, AQ_AUDIT_CHAIN_PAGE, 3, p)) == NULL)
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

	if ((r = store_run(s, &store_set_audit, AQ_AUDIT_UNLINKED, 1, p)) == NULL)
		return -1;
	if (PQntuples(r) == 1)
		rc = (*id = arena_strdup(a, PQgetvalue(r, 0, 0))) != NULL ?
		    1 : -1;
	PQclear(r);
	return rc;
}

int
store_audit_insert(struct store *s, const char *const p[13])
{
	return store_do(s, &store_set_audit, AQ_AUDIT_INSERT, 13, p);
}

int
store_audit_get(struct store *s, struct arena *a, const char *org,
    const char *id, char **doc)
{
	const char	*p[2] = { org, id };

	return store_one_str(a, store_run(s, &store_set_audit, AQ_AUDIT_GET, 2,
	    p), doc);
}

int
store_audit_export_cursor(struct store *s, char *buf, size_t len)
{
	PGresult	*r;

	if ((r = store_run(s, &store_set_audit, AQ_AUDIT_EXPORT_CURSOR, 0,
	    NULL)) == NULL)
		return -1;
	snprintf(buf, len, "%s", PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ?
	    PQgetvalue(r, 0, 0) : "0");
	PQclear(r);
	return 0;
}

int
store_audit_export_batch(struct store *s, struct arena *a, const char *after,
    const char *limit, struct audit_export *out)
{
	const char	*p[2] = { after, limit };
	PGresult	*r;
	struct buf	 b;
	char		*arr;
	int		 n;

	if ((r = store_run(s, &store_set_audit, AQ_AUDIT_EXPORT_BATCH, 2, p)) ==
	    NULL)
		return -1;
	if ((n = PQntuples(r)) == 0) {
		PQclear(r);
		return 0;
	}
	/* The collector's body: {"events":[...]}, events in link order. */
	if (store_json_array(a, r, 1, &arr) == -1 ||
	    (out->last = store_str(a, r, n - 1, 0)) == NULL) {
		PQclear(r);
		return -1;
	}
	PQclear(r);
	buf_init(&b, a);
	buf_printf(&b, "{\"events\":%s}", arr);
	if (b.oom)
		return -1;
	out->body = b.data;
	out->len = b.len;
	return n;
}

int
store_audit_export_advance(struct store *s, const char *last)
{
	return store_do(s, &store_set_audit, AQ_AUDIT_EXPORT_ADVANCE, 1,
	    &last);
}

int64_t
store_audit_purge(struct store *s, const char *days, const char *upto)
{
	const char	*p[2] = { days, upto };
	PGresult	*r;
	int64_t		 n;

	if (store_do(s, &store_set_audit, AQ_AUDIT_PURGE_ALLOW, 0, NULL) == -1 ||
	    (r = store_run(s, &store_set_audit, AQ_AUDIT_PURGE, 2, p)) == NULL)
		return -1;
	n = PQntuples(r) == 1 ? store_int(r, 0, 0) : 0;
	PQclear(r);
	return n;
}

int64_t
store_audit_erase(struct store *s, const char *uid)
{
	if (store_do(s, &store_set_audit, AQ_AUDIT_ERASE_ALLOW, 0, NULL) == -1)
		return -1;
	return store_affected(store_run(s, &store_set_audit, AQ_AUDIT_ERASE, 1,
	    &uid));
}

int
store_audit_chains(struct store *s, struct arena *a, const char ***ids)
{
	PGresult	*r;
	int		 i, n;

	if ((r = store_run(s, &store_set_audit, AQ_AUDIT_CHAINS, 0, NULL)) ==
	    NULL)
		return -1;
	n = PQntuples(r);
	if ((*ids = arena_alloc(a, (size_t)(n + 1) * sizeof(**ids))) == NULL)
		n = -1;
	for (i = 0; n > 0 && i < n; i++)
		if (((*ids)[i] = store_str(a, r, i, 0)) == NULL)
			n = -1;
	PQclear(r);
	return n;
}
