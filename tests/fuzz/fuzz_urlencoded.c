/* Fuzz: query strings and form bodies; every decoded value is valid UTF-8
 * without NUL. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct arena	a;
	struct kvlist	l;
	size_t		i;

	arena_init(&a, 0);
	if (parse_urlencoded(&a, (const char *)d, n, 64, &l) == 0)
		for (i = 0; i < l.n; i++)
			if (!utf8_valid(l.v[i].key, strlen(l.v[i].key)) ||
			    !utf8_valid(l.v[i].val, strlen(l.v[i].val)))
				abort();
	arena_free(&a);
	return 0;
}
