/*
 * perm.c: the permission list and the matching rules.  Pure functions:
 * no I/O, unit-tested in tests/unit/test_perm.c.
 */
#include <string.h>

#include "perm.h"

const struct perm_def perm_list[] = {
	{ "users:read", "List and read members" },
	{ "users:create", "Create members" },
	{ "users:update", "Update members, their roles and sessions" },
	{ "users:delete", "Delete members" },
	{ "roles:read", "List roles and permissions" },
	{ "roles:write", "Create, update and delete roles" },
	{ "invitations:read", "List invitations" },
	{ "invitations:create", "Invite, and resend invitations" },
	{ "invitations:delete", "Revoke invitations" },
	{ "audit:read", "Query and verify the audit log" },
	{ "organisation:read", "Read the organisation and its settings" },
	{ "organisation:update", "Change the organisation's settings" },
	{ "clients:read", "List and read OAuth clients" },
	{ "clients:write", "Create, update and delete OAuth clients" },
};
const size_t nperm_list = sizeof(perm_list) / sizeof(perm_list[0]);

/* Length of the resource part of p ("users" of "users:read"), or 0. */
static size_t
resource_len(const char *p, size_t len)
{
	const char	*c = memchr(p, ':', len);

	return c == NULL ? 0 : (size_t)(c - p);
}

int
perm_valid(const char *p)
{
	size_t	i, rl, len = strlen(p);

	if (strcmp(p, "*") == 0)
		return 1;
	for (i = 0; i < nperm_list; i++) {
		if (strcmp(perm_list[i].name, p) == 0)
			return 1;
		rl = resource_len(perm_list[i].name,
		    strlen(perm_list[i].name));
		if (len == rl + 2 && strncmp(p, perm_list[i].name, rl + 1) ==
		    0 && p[rl + 1] == '*')
			return 1;
	}
	return 0;
}

/* 1 if the one held permission h (length hl) covers need (length nl). */
static int
one_covers(const char *h, size_t hl, const char *need, size_t nl)
{
	size_t	rl;

	if (hl == 1 && h[0] == '*')
		return 1;
	if (hl == nl && memcmp(h, need, nl) == 0)
		return 1;
	/* "users:*" covers "users:<anything>", "users:*" included. */
	rl = resource_len(h, hl);
	return rl > 0 && hl == rl + 2 && h[rl + 1] == '*' && nl > rl + 1 &&
	    memcmp(h, need, rl + 1) == 0;
}

static int
has(const char *held, const char *need, size_t nl)
{
	const char	*p = held, *c;
	size_t		 hl;

	if (nl == 0)
		return 0;
	while (*p != '\0') {
		c = strchr(p, ',');
		hl = c ? (size_t)(c - p) : strlen(p);
		if (hl > 0 && one_covers(p, hl, need, nl))
			return 1;
		if (c == NULL)
			break;
		p = c + 1;
	}
	return 0;
}

int
perm_has(const char *held, const char *need)
{
	return held != NULL && need != NULL && has(held, need, strlen(need));
}

int
perm_covers(const char *held, const char *want)
{
	const char	*p = want, *c;
	size_t		 wl;

	if (held == NULL || want == NULL)
		return 0;
	while (*p != '\0') {
		c = strchr(p, ',');
		wl = c ? (size_t)(c - p) : strlen(p);
		if (wl > 0 && !has(held, p, wl))
			return 0;
		if (c == NULL)
			break;
		p = c + 1;
	}
	return 1;
}
