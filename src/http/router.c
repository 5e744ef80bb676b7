/*
 * router.c: matching a normalised path against the route table.  Patterns
 * and paths are compared segment by segment; ":name" captures a segment.
 */
#include <string.h>

#include "arena.h"
#include "router.h"

/*
 * Matches path against pattern.  Returns 1 on a match with captures put
 * in params (if not NULL), 0 otherwise.
 */
static int
match(struct arena *a, const char *pat, const char *path,
    struct kvlist *params)
{
	const char	*pe, *se;
	size_t		 n = 0;

	for (;;) {
		if (*pat == '\0' || *path == '\0')
			return *pat == *path;
		if (*pat != '/' || *path != '/')
			return 0;
		pat++;
		path++;
		pe = pat + strcspn(pat, "/");
		se = path + strcspn(path, "/");
		if (*pat == ':') {
			if (se == path)
				return 0;
			if (params != NULL && n < 8) {
				params->v[n].key = arena_strndup(a, pat + 1,
				    (size_t)(pe - pat - 1));
				params->v[n].val = arena_strndup(a, path,
				    (size_t)(se - path));
				if (params->v[n].key == NULL ||
				    params->v[n].val == NULL)
					return 0;
				params->n = ++n;
			} else if (params != NULL)
				return 0;
		} else if (pe - pat != se - path ||
		    memcmp(pat, path, (size_t)(pe - pat)) != 0)
			return 0;
		pat = pe;
		path = se;
	}
}

long
route_find(struct arena *a, enum method m, const char *path,
    struct kvlist *params, unsigned *allow)
{
	size_t		i;
	enum method	want = m == M_HEAD ? M_GET : m;

	*allow = 0;
	params->n = 0;
	if ((params->v = arena_alloc(a, 8 * sizeof(*params->v))) == NULL)
		return -1;
	for (i = 0; i < nroutes; i++) {
		if (!match(a, routes[i].pattern, path, NULL))
			continue;
		if (routes[i].method == want) {
			params->n = 0;
			if (!match(a, routes[i].pattern, path, params))
				return -1;
			return (long)i;
		}
		*allow |= routes[i].method;
		if (routes[i].method == M_GET)
			*allow |= M_HEAD;
	}
	return *allow != 0 ? -2 : -1;
}
