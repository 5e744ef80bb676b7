/*
 * password.c: the password policy.  A password is refused when it is
 * common: on the built-in list below (the passwords of eight or more
 * characters that head the public lists of leaked passwords), on the
 * shipped list COMMON_PASSWORDS_FILE names (conf/common-passwords.txt:
 * zxcvbn's 30,000 most common, MIT licence beside it), loaded once per
 * process and searched in O(log n), or refused by cracklib's check
 * against Debian's packaged dictionary; or when it contains, case-folded,
 * the address, its local part or the organisation's name or slug.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <crack.h>

#include "log.h"
#include "accounts.h"
#include "conf.h"
#include "text.h"
#include "env.h"

static const char *const common[] = {
	"password", "password1", "password12", "password123", "password1234",
	"12345678", "123456789", "1234567890", "12345678910", "11111111",
	"00000000", "88888888", "87654321", "123123123", "1q2w3e4r",
	"1q2w3e4r5t", "1qaz2wsx", "qwertyui", "qwertyuiop", "qwerty123",
	"qwerty1234", "iloveyou", "iloveyou1", "sunshine", "princess",
	"football", "baseball", "superman", "starwars", "whatever",
	"trustno1", "welcome1", "welcome123", "passw0rd", "p@ssw0rd",
	"p@ssword", "letmein1", "abc12345", "abcd1234", "asdfghjkl",
	"zaq12wsx", "changeme", "changeme123", "admin123", "administrator",
	"computer", "internet", "michelle", "jennifer", "jordan23",
	"basketball", "liverpool", "chelsea1", "arsenal1", "football1",
	"baseball1", "monkey123", "dragon123", "shadow123", "master123",
	"1234qwer", "qazwsxedc", "q1w2e3r4", "q1w2e3r4t5", "zxcvbnm1",
	"aa123456", "a1234567", "a12345678", "123456abc", "123abc123",
	"iloveyou2", "lovely123", "sunshine1", "princess1", "michael1",
	"charlie1", "password!", "qwerty12", "1password", "987654321",
	"123qweasd", "qweasdzxc", "asdf1234", "asdfasdf", "11223344",
	"12341234", "55555555", "66666666", "77777777", "99999999",
	"12344321", "147258369", "159753456", "789456123", "123654789",
	"secret123", "security", "corvette", "mercedes", "samantha",
	"mustang1", "access14", "buster123", "fuckyou1", "hello123",
	"welcome!", "letmein!", "test1234", "testtest", "guest123",
	"default1", "summer2024", "winter2024", "spring2024", "autumn2024",
	"summer2025", "winter2025", "password2024", "password2025",
	"company123",
};

/* The shipped list, lower-cased and sorted; loaded at first use. */
static char	**list;
static size_t	  nlist;
static int	  list_tried;

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
list_load(const char *path)
{
	FILE	*f;
	char	 line[256], **v = NULL, **nv, *p;
	size_t	 n = 0, cap = 0;

	list_tried = 1;
	if (path == NULL || path[0] == '\0')
		return;
	if ((f = fopen(path, "r")) == NULL) {
		log_kv(LOG_ERROR, "password.list_unreadable", "path", path,
		    LOG_END);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		for (p = line; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				break;
			v = nv;
		}
		if ((v[n] = strdup(line)) == NULL)
			break;
		n++;
	}
	fclose(f);
	qsort(v, n, sizeof(*v), cmpstr);
	list = v;
	nlist = n;
}

void
password_preload(const struct config *cfg)
{
	if (!list_tried)
		list_load(cfg->common_passwords_file);
}

static int
on_list(const char *pw)
{
	char	 low[256], *key = low;
	size_t	 i;

	if (strlen(pw) >= sizeof(low))
		return 0;	/* longer than any entry */
	for (i = 0; pw[i] != '\0'; i++)
		low[i] = (char)tolower((unsigned char)pw[i]);
	low[i] = '\0';
	return bsearch(&key, list, nlist, sizeof(*list), cmpstr) != NULL;
}

int
password_common(const char *pw)
{
	size_t	i;

	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (strcasecmp(common[i], pw) == 0)
			return 1;
	return nlist > 0 && on_list(pw);
}

/* 1 if pw contains s (4 characters or more), case-folded. */
static int
contains(const char *pw, const char *s, size_t n)
{
	char	*t;
	int	 found;

	if (s == NULL || n < 4 || (t = strndup(s, n)) == NULL)
		return 0;
	found = strcasestr(pw, t) != NULL;
	free(t);
	return found;
}

void
pwpolicy_from_json(struct pwpolicy *p, json_object *o)
{
	json_object	*v;

	memset(p, 0, sizeof(*p));
	if (o == NULL || !json_object_is_type(o, json_type_object))
		return;
	if (json_object_object_get_ex(o, "minLength", &v) &&
	    json_object_is_type(v, json_type_int))
		p->min_length = json_object_get_int64(v);
	p->upper = json_object_object_get_ex(o, "requireUpper", &v) &&
	    json_object_get_boolean(v);
	p->lower = json_object_object_get_ex(o, "requireLower", &v) &&
	    json_object_get_boolean(v);
	p->digit = json_object_object_get_ex(o, "requireDigit", &v) &&
	    json_object_get_boolean(v);
	p->symbol = json_object_object_get_ex(o, "requireSymbol", &v) &&
	    json_object_get_boolean(v);
}

/* Which ASCII classes pw has: 1 upper, 2 lower, 4 digit, 8 symbol. */
static int
classes(const char *pw)
{
	const unsigned char	*p;
	int			 c = 0;

	for (p = (const unsigned char *)pw; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z')
			c |= 1;
		else if (*p >= 'a' && *p <= 'z')
			c |= 2;
		else if (*p >= '0' && *p <= '9')
			c |= 4;
		else if (*p >= 0x20 && *p < 0x7f)
			c |= 8;
	}
	return c;
}

enum iam_err
password_policy(const struct actx *x, const struct pwpolicy *pol,
    const char *pw, const char *email, const char **why)
{
	size_t		 n, min = (size_t)x->w->cfg->password_min_length;
	int		 c;
	const char	*cr;

	if (!utf8_valid(pw, strlen(pw))) {
		*why = "Password must be valid UTF-8";
		return IAM_E_WEAK_PASSWORD;
	}
	n = utf8_chars(pw);
	if (pol != NULL && pol->min_length > 0 &&
	    (size_t)pol->min_length > min)
		min = (size_t)pol->min_length;
	if (n < min) {
		*why = "Password is too short";
		return IAM_E_WEAK_PASSWORD;
	}
	if (n > 128) {
		*why = "Password is longer than 128 characters";
		return IAM_E_WEAK_PASSWORD;
	}
	c = classes(pw);
	if (pol != NULL && ((pol->upper && !(c & 1)) ||
	    (pol->lower && !(c & 2)) || (pol->digit && !(c & 4)) ||
	    (pol->symbol && !(c & 8)))) {
		*why = arena_printf(x->a, "Password needs %s%s%s%s",
		    pol->upper ? "an upper-case letter, " : "",
		    pol->lower ? "a lower-case letter, " : "",
		    pol->digit ? "a digit, " : "",
		    pol->symbol ? "a symbol, " : "");
		if (*why != NULL)	/* drop the last ", " */
			((char *)*why)[strlen(*why) - 2] = '\0';
		else
			*why = "Password lacks a required character class";
		return IAM_E_WEAK_PASSWORD;
	}
	if (!list_tried)
		list_load(x->w->cfg->common_passwords_file);
	if (password_common(pw)) {
		*why = "Password is too common";
		return IAM_E_WEAK_PASSWORD;
	}
	/* cracklib: its dictionary, and its rules (a dictionary word
	 * mangled, too simple, too few different characters). */
	if ((cr = FascistCheck(pw, GetDefaultCracklibDict())) != NULL &&
	    strncmp(cr, "error", 5) != 0) {	/* no dictionary: skipped */
		*why = arena_printf(x->a, "Password is too easy to guess: %s",
		    cr);
		if (*why == NULL)
			*why = "Password is too easy to guess";
		return IAM_E_WEAK_PASSWORD;
	}
	if (email != NULL && (contains(pw, email, strlen(email)) ||
	    contains(pw, email, strcspn(email, "@")))) {
		*why = "Password must not contain the email address";
		return IAM_E_WEAK_PASSWORD;
	}
	if (pol != NULL && (contains(pw, pol->org_name, pol->org_name ?
	    strlen(pol->org_name) : 0) || contains(pw, pol->org_slug,
	    pol->org_slug ? strlen(pol->org_slug) : 0))) {
		*why = "Password must not contain the organisation's name";
		return IAM_E_WEAK_PASSWORD;
	}
	return IAM_OK;
}
