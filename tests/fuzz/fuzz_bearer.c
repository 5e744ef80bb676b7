/* Fuzz: the Authorization header; a token found lies inside the header. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char	*tok;
	size_t		 len;
	char		*s = fuzz_cstr(d, n);

	if (s == NULL)
		return 0;
	if (parse_bearer(s, &tok, &len) == 1 &&
	    (tok < s || tok + len > s + strlen(s) || len == 0))
		abort();
	free(s);
	return 0;
}
