/* Fuzz: path normalisation is idempotent and never leaves a dot segment. */
#include "fuzz.h"

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
		    strstr(p, "/./") || strstr(p, "//"))
			abort();
	}
	arena_free(&a);
	free(s);
	return 0;
}
