/*
 * ident.h: canonical keys of identities (infra/ident.c).
 */
#ifndef IAM_IDENT_H
#define IAM_IDENT_H

#include <stddef.h>

/* The longest key: an address of 254 bytes may fold a little longer. */
#define IDENT_KEY_MAX	1024

/*
 * Writes the canonical key of email (NFKC + case fold of the local part,
 * IDNA of the domain) into out.  1 done; 0 refused, with the reason in
 * *why ("must not mix scripts ..."); -1 out of memory.
 */
int	ident_email_key(const char *email, char *out, size_t outlen,
	    const char **why);

#endif
