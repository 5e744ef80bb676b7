/*
 * revoke.c: the worker's revocation list (see revoke.h).  Kept sorted by
 * scope and subject, so a request's check is a few binary searches
 * however many sessions ended lately.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "revoke.h"
#include "store_int.h"

/* The revocation list's own statements. */
enum {
	RQ_REVOCATIONS_LIST,
	RQ_REVOCATION_INSERT,
	RQ__MAX
};
static const struct stmt_def defs_revoke[RQ__MAX] = {
	[RQ_REVOCATIONS_LIST] = { "revocations_list",
	    "SELECT scope, coalesce(subject::text, ''),"
	    " extract(epoch FROM cutoff)::bigint FROM token_revocations"
	    " WHERE cutoff > now() - $1 * interval '1 second'"
	    " ORDER BY scope = 'all' DESC, cutoff DESC LIMIT 65536", 1 },
	/*
	 * The cutoff is the next whole second: tokens (iat in seconds)
	 * issued before it are void.  The caller waits for it to pass
	 * before answering, so a token issued after the answer is good.
	 */
	[RQ_REVOCATION_INSERT] = { "revocation_insert",
	    "WITH r AS (INSERT INTO token_revocations (scope, subject, cutoff)"
	    " VALUES ($1, $2, date_trunc('second', clock_timestamp())"
	    " + interval '1 second') RETURNING cutoff)"
	    " SELECT extract(epoch FROM cutoff)::bigint,"
	    " pg_notify('iam_tokens', '') FROM r", 2 },
};
const struct stmt_set store_set_revoke = { defs_revoke, RQ__MAX,
    STORE_SERVER | STORE_CTL };

/* At most this many revocations are held; beyond, fail closed (floor). */
#define REVOKE_MAX	65536

static int
cmp(const void *a, const void *b)
{
	const struct revocation	*x = a, *y = b;

	if (x->scope != y->scope)
		return x->scope < y->scope ? -1 : 1;
	return strcmp(x->subject, y->subject);
}

int
revoke_refresh(struct revocations *rv, struct store *s, int64_t maxage,
    time_t now, int force)
{
	char			 age[24];
	const char		*p[1] = { age };
	struct revocation	*v = NULL;
	PGresult		*r;
	int64_t			 all = 0, oldest = 0;
	int			 i, n;

	if (!force && rv->loaded != 0 && now - rv->loaded < KEYS_RELOAD_SEC)
		return 0;
	snprintf(age, sizeof(age), "%lld", (long long)maxage);
	if ((r = store_run(s, &store_set_revoke, RQ_REVOCATIONS_LIST, 1, p)) == NULL)
		return -1;
	n = PQntuples(r);
	if (n > 0 && (v = calloc((size_t)n, sizeof(*v))) == NULL) {
		PQclear(r);
		return -1;
	}
	for (i = 0; i < n; i++) {
		v[i].scope = PQgetvalue(r, i, 0)[0];
		snprintf(v[i].subject, sizeof(v[i].subject), "%s",
		    PQgetvalue(r, i, 1));
		v[i].cutoff = atoll(PQgetvalue(r, i, 2));
		if (v[i].scope == 'a' && v[i].cutoff > all)
			all = v[i].cutoff;
		if (i == 0 || v[i].cutoff < oldest)
			oldest = v[i].cutoff;
	}
	PQclear(r);
	if (n > 1)
		qsort(v, (size_t)n, sizeof(*v), cmp);
	free(rv->v);
	rv->v = v;
	rv->n = (size_t)n;
	rv->all = all;
	/*
	 * A full list may have left older revocations out (the newest are
	 * loaded first): then no token issued before the oldest one held is
	 * trusted.  Its holder signs in or refreshes again.
	 */
	rv->floor = n == REVOKE_MAX ? oldest : 0;
	rv->loaded = now;
	return 0;
}

/* 1 if a revocation of scope for subject voids a token issued at iat. */
static int
voided_by(const struct revocations *rv, char scope, const char *subject,
    int64_t iat)
{
	struct revocation	 key;
	size_t			 lo = 0, hi = rv->n, mid;

	if (subject == NULL || strlen(subject) >= sizeof(key.subject))
		return 0;
	key.scope = scope;
	snprintf(key.subject, sizeof(key.subject), "%s", subject);
	while (lo < hi) {		/* the first entry >= key */
		mid = lo + (hi - lo) / 2;
		if (cmp(&rv->v[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < rv->n && cmp(&rv->v[lo], &key) == 0; lo++)
		/* A session's tokens end with it, whenever they were made. */
		if (scope == 's' || iat < rv->v[lo].cutoff)
			return 1;
	return 0;
}

int
revoke_voids(const struct revocations *rv, const char *org, const char *sub,
    const char *sid, int64_t iat)
{
	if (iat < rv->all || iat < rv->floor)
		return 1;
	return voided_by(rv, 'u', sub, iat) || voided_by(rv, 'o', org, iat) ||
	    voided_by(rv, 's', sid, iat);
}

void
revoke_free(struct revocations *rv)
{
	free(rv->v);
	memset(rv, 0, sizeof(*rv));
}

int
revoke_record(struct store *s, const char *scope, const char *subject,
    int64_t *cutoff)
{
	const char	*p[2] = { scope, subject };
	PGresult	*r;

	if ((r = store_run(s, &store_set_revoke, RQ_REVOCATION_INSERT, 2, p)) ==
	    NULL)
		return -1;
	*cutoff = PQntuples(r) == 1 ? store_int(r, 0, 0) : 0;
	PQclear(r);
	return 0;
}
