/*
 * ident.c: the canonical key an email address is compared on, so that
 * addresses that look the same are the same account.  The local part is
 * put in Unicode NFKC and case-folded (libunistring: fullwidth letters,
 * the Kelvin sign and other compatibility forms fold onto their plain
 * letters), and must not mix scripts (Latin with Cyrillic, say: the
 * classic look-alike); the domain goes through IDNA (libidn2, UTS #46
 * non-transitional) to its lower-case ASCII form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "ident.h"

/* 1 if the local part's letters all belong to one script (Common and
 * Inherited characters, digits and punctuation, go with any). */
static int
one_script(const uint8_t *s, size_t n)
{
	const uc_script_t	*first = NULL, *sc;
	ucs4_t			 c;
	size_t			 i;
	int			 len;

	for (i = 0; i < n; i += (size_t)len) {
		if ((len = u8_mbtouc(&c, s + i, n - i)) <= 0)
			return 0;
		if ((sc = uc_script(c)) == NULL ||
		    strcmp(sc->name, "Common") == 0 ||
		    strcmp(sc->name, "Inherited") == 0)
			continue;
		if (first == NULL)
			first = sc;
		else if (sc != first)
			return 0;
	}
	return 1;
}

int
ident_email_key(const char *email, char *out, size_t outlen,
    const char **why)
{
	const char	*at;
	uint8_t		*local = NULL;
	char		*domain = NULL, *ascii = NULL, *p;
	size_t		 ln, n;
	int		 rc = 0;

	*why = "must be a valid email address";
	if (email == NULL || (at = strrchr(email, '@')) == NULL ||
	    at == email || at[1] == '\0')
		return 0;
	ln = (size_t)(at - email);
	if (u8_check((const uint8_t *)email, strlen(email)) != NULL)
		return 0;
	local = u8_casefold((const uint8_t *)email, ln, NULL, UNINORM_NFKC,
	    NULL, &n);
	if (local == NULL) {
		rc = -1;
		goto out;
	}
	if (!one_script(local, n)) {
		*why = "must not mix scripts in its local part";
		goto out;
	}
	if ((domain = strdup(at + 1)) == NULL) {
		rc = -1;
		goto out;
	}
	if (idn2_to_ascii_8z(domain, &ascii, IDN2_NFC_INPUT |
	    IDN2_NONTRANSITIONAL) != IDN2_OK) {
		*why = "must have a valid domain";
		goto out;
	}
	for (p = ascii; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (n + 1 + strlen(ascii) + 1 > outlen) {
		*why = "is too long";
		goto out;
	}
	memcpy(out, local, n);
	out[n] = '@';
	strcpy(out + n + 1, ascii);
	/* Folding must not yield what an address cannot hold. */
	for (p = out; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			goto out;
	*why = NULL;
	rc = 1;
out:
	free(local);
	free(domain);
	free(ascii);
	return rc;
}
