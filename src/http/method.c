/*
 * method.c: HTTP method names, shared by the router and the metrics.
 */
#include <string.h>

#include "router.h"

static const struct {
	enum method	 m;
	const char	*name;
} methods[] = {
	{ M_GET, "GET" }, { M_HEAD, "HEAD" }, { M_POST, "POST" },
	{ M_PUT, "PUT" }, { M_PATCH, "PATCH" }, { M_DELETE, "DELETE" },
	{ M_OPTIONS, "OPTIONS" },
};

enum method
method_parse(const char *s)
{
	size_t	i;

	if (s == NULL)
		return M_OTHER;
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(methods[i].name, s) == 0)
			return methods[i].m;
	return M_OTHER;
}

const char *
method_name(enum method m)
{
	size_t	i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (methods[i].m == m)
			return methods[i].name;
	return "OTHER";
}
