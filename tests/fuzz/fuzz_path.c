/* Fuzz: path normalisation is idempotent and never leaves a dot segment,
 * neither inside the path nor at its end. */
#include "fuzz.h"

static int
ends_with(const char *s, const char *tail)
{
	size_t	n = strlen(s), m = strlen(tail);

	return n >= m && strcmp(s + n - m, tail) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct arena	 a;
	char		*s = fuzz_cstr(d, n), *p, *q;

	if (s == NULL)
		return 0;
	arena_init(&a, 0);
	if ((p = path_normalise(&a, s)) != NULL) {
		q = path_normalise(&a, p);
		if (q == NULL || strcmp(p, q) != 0 || strstr(p, "/../") ||
		    strstr(p, "/./") || strstr(p, "//") ||
		    ends_with(p, "/..") || ends_with(p, "/.") || p[0] != '/')
			abort();
	}
	arena_free(&a);
	free(s);
	return 0;
}
