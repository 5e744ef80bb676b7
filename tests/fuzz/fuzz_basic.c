/* Fuzz: the Basic client credentials parser (the token endpoint's
 * Authorization header), and the return_to rule beside it. */
#include <string.h>

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct arena	 a;
	char		*s = fuzz_cstr(d, n), *id, *sec;

	if (s == NULL)
		return 0;
	arena_init(&a, 0);
	if (parse_basic(&a, s, &id, &sec) == 1 &&
	    (id == NULL || sec == NULL || *id == '\0'))
		abort();
	/* a path return_to never names another host */
	if (return_to_ok(s, NULL) && (s[0] != '/' || s[1] == '/' ||
	    strchr(s, '\\') != NULL))
		abort();
	arena_free(&a);
	free(s);
	return 0;
}
