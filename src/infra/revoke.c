/*
 * revoke.c: the worker's revocation list (see revoke.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "revoke.h"
#include "store.h"

int
revoke_refresh(struct revocations *rv, struct store *s, int64_t maxage,
    time_t now, int force)
{
	char			 age[24];
	const char		*p[1] = { age };
	struct revocation	*v = NULL;
	PGresult		*r;
	int64_t			 all = 0;
	int			 i, n;

	if (!force && rv->loaded != 0 && now - rv->loaded < KEYS_RELOAD_SEC)
		return 0;
	snprintf(age, sizeof(age), "%lld", (long long)maxage);
	if ((r = store_exec(s, STMT_REVOCATIONS_LIST, 1, p)) == NULL)
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
	}
	PQclear(r);
	free(rv->v);
	rv->v = v;
	rv->n = (size_t)n;
	rv->all = all;
	rv->loaded = now;
	return 0;
}

int
revoke_voids(const struct revocations *rv, const char *org, const char *sub,
    int64_t iat)
{
	size_t	i;

	if (iat < rv->all)
		return 1;
	for (i = 0; i < rv->n; i++) {
		if (iat >= rv->v[i].cutoff)
			continue;
		if ((rv->v[i].scope == 'u' && sub != NULL &&
		    strcmp(rv->v[i].subject, sub) == 0) ||
		    (rv->v[i].scope == 'o' && org != NULL &&
		    strcmp(rv->v[i].subject, org) == 0))
			return 1;
	}
	return 0;
}

void
revoke_free(struct revocations *rv)
{
	free(rv->v);
	memset(rv, 0, sizeof(*rv));
}
