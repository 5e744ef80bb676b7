/* Fuzz: json_check must never read out of bounds, and whatever it accepts
 * json-c must parse. */
#include <json-c/json.h>

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	json_object	*o;
	char		*s;

	if (json_check((const char *)d, n, 32) != JSON_OK ||
	    (s = fuzz_cstr(d, n)) == NULL)
		return 0;
	/* As http_body does: the terminating NUL is part of the input. */
	json_tokener *t = json_tokener_new_ex(33);

	o = json_tokener_parse_ex(t, s, (int)n + 1);
	if (json_tokener_get_error(t) != json_tokener_success)
		abort();
	json_object_put(o);
	json_tokener_free(t);
	free(s);
	return 0;
}
