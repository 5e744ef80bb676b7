/* Fuzz: Content-Type parsing. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct arena	 a;
	char		*s = fuzz_cstr(d, n), *t, *cs;

	if (s == NULL)
		return 0;
	arena_init(&a, 0);
	if (parse_content_type(&a, s, &t, &cs) == 0 && strchr(t, '/') == NULL)
		abort();
	arena_free(&a);
	free(s);
	return 0;
}
