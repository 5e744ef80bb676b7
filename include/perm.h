/*
 * perm.h: permissions as data.  A permission is "resource:action"; a held
 * "resource:*" covers every action on the resource and "*" covers
 * everything.  The list of permissions a role may hold lives in perm.c
 * and nowhere else.
 */
#ifndef IAM_PERM_H
#define IAM_PERM_H

#include <stddef.h>

struct perm_def {
	const char	*name;
	const char	*description;
};

extern const struct perm_def	perm_list[];
extern const size_t		nperm_list;

/* 1 if p may be stored in a role: a listed permission, "resource:*" of a
 * listed resource, or "*". */
int	perm_valid(const char *p);

/*
 * 1 if the held set covers need.  held is a comma-separated list as the
 * store returns it ("users:*,audit:read"); need is one permission.
 */
int	perm_has(const char *held, const char *need);

/*
 * 1 if every permission of the comma-separated set want is covered by
 * held: what a caller may grant.  A wanted "users:*" needs a held
 * "users:*" or "*"; a wanted "*" needs "*".
 */
int	perm_covers(const char *held, const char *want);

#endif
