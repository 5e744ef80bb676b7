/* Fuzz: the Cookie header parser. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct arena	 a;
	struct kvlist	 l;
	char		*s = fuzz_cstr(d, n);

	if (s == NULL)
		return 0;
	arena_init(&a, 0);
	if (parse_cookies(&a, s, 32, &l) == 0 && l.n > 32)
		abort();
	arena_free(&a);
	free(s);
	return 0;
}
