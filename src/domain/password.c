/*
 * password.c: the password policy.  The common-password list holds the
 * passwords of eight or more characters that head the public lists of
 * leaked passwords (SecLists' most common credentials, the NCSC's
 * "100,000 most common" top, haveibeenpwned's top entries); shorter ones
 * are refused by length already.
 */
#include <string.h>
#include <strings.h>

#include "accounts.h"
#include "conf.h"
#include "parse.h"
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

int
password_common(const char *pw)
{
	size_t	i;

	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (strcasecmp(common[i], pw) == 0)
			return 1;
	return 0;
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
	size_t	n, min = (size_t)x->w->cfg->password_min_length;
	int	c;

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
	if (password_common(pw)) {
		*why = "Password is too common";
		return IAM_E_WEAK_PASSWORD;
	}
	if (email != NULL && strcasecmp(pw, email) == 0) {
		*why = "Password must not be the email address";
		return IAM_E_WEAK_PASSWORD;
	}
	return IAM_OK;
}
