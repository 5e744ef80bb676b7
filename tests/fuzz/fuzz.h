/* Shared by the fuzz drivers: a fresh arena per input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A NUL-terminated copy, for parsers that take C strings. */
static inline char *
fuzz_cstr(const uint8_t *d, size_t n)
{
	char	*s = malloc(n + 1);

	if (s != NULL) {
		memcpy(s, d, n);
		s[n] = '\0';
	}
	return s;
}
