/*
 * conf.c: the configuration table and its loader.  Keys are declared once,
 * here, with their type, default, limits and meaning; the README table and
 * `iam-fcgi -K` come from the same list.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "arena.h"
#include "conf.h"
#include "text.h"

enum ctype { C_STR, C_INT, C_DUR, C_ENUM, C_CIDRS, C_BOOL, C_KEY32,
	C_KEY32OPT };

struct ckey {
	const char	*name;
	enum ctype	 type;
	size_t		 off;
	const char	*def;		/* NULL: required */
	int64_t		 min, max;
	const char	*const *choices;	/* C_ENUM: index stored */
	const char	*help;
};

static const char *const fail_modes[] = { "open", "closed", NULL };
static const char *const log_levels[] = { "debug", "info", "warn",
	"error", NULL };
static const char *const sandbox_modes[] = { "on", "trap", "off", NULL };
static const char *const transports[] = { "file", "smtp", NULL };
static const char *const reg_modes[] = { "open", "invite", "closed", NULL };
static const char *const tls_modes[] = { "none", "starttls", "tls", NULL };
static const char *const secure_modes[] = { "auto", "true", "false", NULL };

#define O(f)	offsetof(struct config, f)

static const struct ckey keys[] = {
	{ "DATABASE_URL", C_STR, O(database_url), NULL, 0, 0, NULL,
	  "libpq connection string or URI (required): the runtime role, "
	  "which owns nothing" },
	{ "DATABASE_OWNER_URL", C_STR, O(database_owner_url), "", 0, 0, NULL,
	  "the schema owner's connection, for iamctl migrate, audit purge "
	  "and audit erase (empty: DATABASE_URL)" },
	{ "DB_CONNECT_TIMEOUT", C_DUR, O(db_connect_timeout), "2s", 1, 60,
	  NULL, "time allowed to connect to PostgreSQL" },
	{ "DB_STATEMENT_TIMEOUT", C_DUR, O(db_statement_timeout), "5s", 1,
	  600, NULL, "longest a single SQL statement may run" },
	{ "MEMCACHED_SERVERS", C_STR, O(memcached_servers),
	  "127.0.0.1:11211", 0, 0, NULL,
	  "comma list of host:port or /socket; empty disables rate limits" },
	{ "MEMCACHED_TIMEOUT_MS", C_INT, O(memcached_timeout_ms), "100", 1,
	  5000, NULL, "connect and I/O timeout for memcached" },
	{ "IAM_WORKERS", C_INT, O(workers), "", 0, 256, NULL,
	  "worker processes (default: cores); 0 serves in one process "
	  "without a master (mod_fcgid, CGI)" },
	{ "HASH_CONCURRENCY", C_INT, O(hash_concurrency), "", 0, 256, NULL,
	  "password hashes computed at once by the whole server, beyond "
	  "which a request needing one gets 503 at once (default: half the "
	  "workers, at least 1; 0: no cap)" },
	{ "COMMON_PASSWORDS_FILE", C_STR, O(common_passwords_file), "", 0, 0,
	  NULL, "list of common passwords to refuse, one per line (the tree "
	  "ships conf/common-passwords.txt); empty: the built-in list and "
	  "cracklib only" },
	{ "HASH_SLOTS_FILE", C_STR, O(hash_slots_file), "", 0, 0, NULL,
	  "lock file the processes share the hash slots through when there "
	  "is no master (mod_fcgid, CGI); empty: one hash per process" },
	{ "SANDBOX", C_ENUM, O(sandbox), "on", 0, 0, sandbox_modes,
	  "seccomp allow-list of the serving processes: on (a call outside "
	  "it kills the process, the master forks another), trap (reports "
	  "such calls on stderr: for building the list), off" },
	{ "SHUTDOWN_TIMEOUT", C_DUR, O(shutdown_timeout), "10s", 1, 3600,
	  NULL, "grace for in-flight requests on SIGTERM" },
	{ "MAX_BODY_BYTES", C_INT, O(max_body_bytes), "65536", 1024,
	  16777216, NULL, "largest request body accepted" },
	{ "RATE_IPV6_PREFIX", C_INT, O(rate_ipv6_prefix), "64", 32, 128, NULL,
	  "IPv6 clients are counted by this prefix (a host holds a /64)" },
	{ "RATE_MAX", C_INT, O(rate_max), "120", 1, 1000000000, NULL,
	  "requests per client IP per window (every route but /health*)" },
	{ "RATE_WINDOW_SEC", C_DUR, O(rate_window), "60", 1, 86400, NULL,
	  "length of the RATE_MAX window" },
	{ "RATE_LIMIT_FAIL", C_ENUM, O(rate_fail_closed), "open", 0, 0,
	  fail_modes, "when memcached is down: open serves, closed refuses" },
	{ "TRUSTED_PROXIES", C_CIDRS, O(trusted_proxies), "", 0, 0, NULL,
	  "CIDRs whose X-Forwarded-For is believed" },
	{ "METRICS_TOKEN", C_STR, O(metrics_token), "", 0, 0, NULL,
	  "bearer token that may read /metrics (empty: none)" },
	{ "METRICS_ALLOW", C_CIDRS, O(metrics_allow), "127.0.0.1/32,::1/128",
	  0, 0, NULL, "client CIDRs that may read /metrics without a token" },
	{ "LOG_LEVEL", C_ENUM, O(log_level), "info", 0, 0, log_levels,
	  "debug, info, warn or error" },
	{ "MIGRATIONS_DIR", C_STR, O(migrations_dir), "", 0, 0, NULL,
	  "directory of sql/NNNN_name.{up,down}.sql (default: ../sql beside "
	  "the binary)" },
	{ "ISSUER_URL", C_STR, O(issuer_url), "http://127.0.0.1:8080", 0, 0,
	  NULL, "public base URL: token iss, links in mails" },
	{ "JWT_AUDIENCE", C_STR, O(jwt_audience), "", 0, 0, NULL,
	  "aud of first-party access tokens (default: ISSUER_URL)" },
	{ "JWT_EXPIRES_IN", C_DUR, O(jwt_expires_in), "15m", 1, 86400, NULL,
	  "access token lifetime" },
	{ "JWT_REFRESH_EXPIRES_IN", C_DUR, O(jwt_refresh_expires_in), "7d",
	  1, 31536000, NULL, "refresh token (and session) lifetime" },
	{ "JWKS_ROTATE_DAYS", C_INT, O(jwks_rotate_days), "30", 1, 3650, NULL,
	  "days a signing key signs before the next one takes over" },
	{ "SECRET_ENCRYPTION_KEY", C_KEY32, O(secret_key), NULL, 0, 0, NULL,
	  "32 bytes, hex (64 digits) or base64: encrypts stored secrets "
	  "(required; make run generates one)" },
	{ "SCRYPT_N", C_INT, O(scrypt_n), "16384", 1024, 1048576, NULL,
	  "scrypt cost N (a power of two)" },
	{ "SCRYPT_R", C_INT, O(scrypt_r), "8", 1, 32, NULL,
	  "scrypt block size r" },
	{ "SCRYPT_P", C_INT, O(scrypt_p), "5", 1, 16, NULL,
	  "scrypt parallelism p" },
	{ "PASSWORD_MIN_LENGTH", C_INT, O(password_min_length), "8", 8, 128,
	  NULL, "shortest password accepted (longest: 128)" },
	{ "REQUIRE_EMAIL_VERIFICATION", C_BOOL, O(require_email_verification),
	  "false", 0, 0, NULL, "refuse login until the address is verified" },
	{ "REGISTRATION_MODE", C_ENUM, O(registration_mode), "open", 0, 0,
	  reg_modes, "the default organisation's mode until an administrator "
	  "sets one: open, invite or closed" },
	{ "AUTH_RATE_MAX", C_INT, O(auth_rate_max), "30", 1, 1000000000, NULL,
	  "requests per IP per window on /v1/auth/*" },
	{ "AUTH_RATE_WINDOW_SEC", C_DUR, O(auth_rate_window), "60", 1, 86400,
	  NULL, "length of the AUTH_RATE_MAX window" },
	{ "LOCKOUT_THRESHOLD", C_INT, O(lockout_threshold), "5", 1, 1000, NULL,
	  "failed logins that lock an account" },
	{ "LOCKOUT_SEC", C_DUR, O(lockout_sec), "900", 1, 86400 * 30, NULL,
	  "how long a lockout lasts" },
	{ "MAIL_TRANSPORT", C_ENUM, O(mail_transport), "file", 0, 0,
	  transports, "file (one .eml per message in MAIL_DIR) or smtp" },
	{ "MAIL_DIR", C_STR, O(mail_dir), "var/mail", 0, 0, NULL,
	  "where the file transport writes messages" },
	{ "SMTP_HOST", C_STR, O(smtp_host), "127.0.0.1", 0, 0, NULL,
	  "SMTP relay host" },
	{ "SMTP_PORT", C_INT, O(smtp_port), "25", 1, 65535, NULL,
	  "SMTP relay port" },
	{ "SMTP_USER", C_STR, O(smtp_user), "", 0, 0, NULL,
	  "SMTP AUTH user (empty: no AUTH)" },
	{ "SMTP_PASS", C_STR, O(smtp_pass), "", 0, 0, NULL,
	  "SMTP AUTH password" },
	{ "SMTP_TLS", C_ENUM, O(smtp_tls), "none", 0, 0, tls_modes,
	  "none (loopback relays), starttls, or tls (implicit)" },
	{ "EMAIL_FROM", C_STR, O(email_from), "iam@localhost", 0, 0, NULL,
	  "From address of every mail" },
	{ "SECRET_ENCRYPTION_KEY_PREVIOUS", C_KEY32OPT, O(secret_key_prev), "",
	  0, 0, NULL, "the key before SECRET_ENCRYPTION_KEY, read (never "
	  "written) until rotate-encryption-key has re-sealed every secret" },
	{ "ONBOARDING_ENABLED", C_BOOL, O(onboarding_enabled), "false", 0, 0,
	  NULL, "POST /v1/auth/onboard creates organisations and owners" },
	{ "INVITATION_EXPIRES_IN", C_DUR, O(invitation_expires_in), "7d", 1,
	  86400 * 90, NULL, "how long an invitation link is good for" },
	{ "ADMIN_WEB_ORIGIN", C_STR, O(admin_web_origin), "", 0, 0, NULL,
	  "comma list of origins allowed to call /v1/* from a browser (CORS)" },
	{ "AUDIT_RETENTION_DAYS", C_INT, O(audit_retention_days), "365", 1,
	  36500, NULL, "iamctl audit purge deletes events older than this" },
	{ "LOG_REMOTE_URL", C_STR, O(log_remote_url), "", 0, 0, NULL,
	  "collector that audit events are POSTed to in batches (empty: no "
	  "export)" },
	{ "LOG_REMOTE_API_KEY", C_STR, O(log_remote_api_key), "", 0, 0, NULL,
	  "sent to the collector as Authorization: Bearer" },
	{ "LOG_REMOTE_BATCH_SIZE", C_INT, O(log_remote_batch_size), "100", 1,
	  10000, NULL, "most events in one POST" },
	{ "LOG_REMOTE_FLUSH_INTERVAL_MS", C_INT, O(log_remote_flush_ms),
	  "1000", 10, 3600000, NULL, "how often the exporter looks for new "
	  "events (and the first retry delay)" },
	{ "SESSION_LIFETIME", C_DUR, O(session_lifetime), "12h", 1,
	  86400 * 366, NULL, "a browser session's absolute lifetime, for "
	  "organisations that set no sessionLifetime" },
	{ "SESSION_IDLE_TIMEOUT", C_DUR, O(session_idle_timeout), "1h", 0,
	  86400 * 366, NULL, "a browser session unused this long ends, for "
	  "organisations that set no sessionIdleTimeout (0: never)" },
	{ "SESSION_COOKIE_SECURE", C_ENUM, O(session_cookie_secure), "auto",
	  0, 0, secure_modes, "Secure on the session and CSRF cookies (auto: "
	  "when ISSUER_URL is https)" },
	{ "SESSION_COOKIE_DOMAIN", C_STR, O(session_cookie_domain), "", 0, 0,
	  NULL, "Domain of the session cookies (empty: this host only); "
	  "return_to may then name hosts under it (forward auth)" },
	{ "TEMPLATES_DIR", C_STR, O(templates_dir), "conf/templates", 0, 0,
	  NULL, "the page templates and stylesheet shipped with iam" },
	{ "TEMPLATE_OVERRIDE_DIR", C_STR, O(template_override_dir), "", 0, 0,
	  NULL, "the operator's templates: a file here replaces the shipped "
	  "one of the same name (empty: none)" },
};

#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

static const struct ckey *
findkey(const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < NKEYS; i++)
		if (strlen(keys[i].name) == len &&
		    strncmp(keys[i].name, name, len) == 0)
			return &keys[i];
	return NULL;
}

int
conf_is_key(const char *name)
{
	return findkey(name, strlen(name)) != NULL;
}

static const char *conf_allowed(const struct ckey *, char *, size_t);

void
conf_list(FILE *f)
{
	size_t	i;
	char	buf[160];

	for (i = 0; i < NKEYS; i++)
		fprintf(f, "%s\t%s\t%s\t%s\n", keys[i].name,
		    keys[i].def == NULL ? "(required)" : keys[i].def,
		    keys[i].help, conf_allowed(&keys[i], buf, sizeof(buf)));
}

const char *
conf_default_path(void)
{
	static const char *const paths[] = { "var/iam.conf", "conf/iam.conf",
		"/etc/iam/iam.conf" };
	const char	*env;
	size_t		 i;

	if ((env = getenv("IAM_CONF")) != NULL && *env != '\0')
		return env;
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], R_OK) == 0)
			return paths[i];
	return NULL;
}

void
conf_free(struct config *c)
{
	size_t	i;

	for (i = 0; i < NKEYS; i++) {
		if (keys[i].type == C_STR) {
			char **p = (char **)((char *)c + keys[i].off);

			if (*p != NULL)
				explicit_bzero(*p, strlen(*p));
			free(*p);
			*p = NULL;
		} else if (keys[i].type == C_CIDRS)
			cidrlist_free((struct cidrlist *)((char *)c +
			    keys[i].off));
	}
	explicit_bzero(c->secret_key, sizeof(c->secret_key));
	explicit_bzero(c->secret_key_prev, sizeof(c->secret_key_prev));
	free(c->path);
	c->path = NULL;
}

/*
 * Reads 32 bytes given as 64 hex digits or as base64 (either alphabet,
 * padded with exactly one '=' or not at all).
 */
static int
key32(const char *v, unsigned char out[32])
{
	struct arena	 a;
	unsigned char	*d;
	char		 tmp[44];
	size_t		 len = strlen(v), i, n = 0;
	int		 rc = -1;

	if (len == 64) {
		for (i = 0; i < 32; i++) {
			if (!isxdigit((unsigned char)v[2 * i]) ||
			    !isxdigit((unsigned char)v[2 * i + 1]))
				break;
			sscanf(v + 2 * i, "%2hhx", &out[i]);
		}
		if (i == 32)
			return 0;
	}
	if (len == 44 && v[43] == '=')
		len = 43;
	if (len != 43)
		return -1;
	for (i = 0; i < len; i++)
		tmp[i] = v[i] == '+' ? '-' : v[i] == '/' ? '_' : v[i];
	arena_init(&a, 0);
	if ((d = b64url_decode(&a, tmp, len, &n)) != NULL && n == 32) {
		memcpy(out, d, 32);
		rc = 0;
	}
	explicit_bzero(tmp, sizeof(tmp));
	arena_free(&a);		/* the arena wipes what it held */
	return rc;
}

/* Converts one raw value into its field.  Returns 0 or -1. */
static int
setval(struct config *c, const struct ckey *k, const char *v)
{
	char	*base = (char *)c + k->off;
	int64_t	 n;
	size_t	 i;

	switch (k->type) {
	case C_STR:
		free(*(char **)base);
		return (*(char **)base = strdup(v)) == NULL ? -1 : 0;
	case C_INT:
		if (parse_int(v, k->min, k->max, &n) == -1)
			return -1;
		*(int64_t *)base = n;
		return 0;
	case C_DUR:
		if (parse_duration(v, &n) == -1 || n < k->min || n > k->max)
			return -1;
		*(int64_t *)base = n;
		return 0;
	case C_ENUM:
		for (i = 0; k->choices[i] != NULL; i++)
			if (strcmp(k->choices[i], v) == 0) {
				*(int *)base = (int)i;
				return 0;
			}
		return -1;
	case C_CIDRS:
		cidrlist_free((struct cidrlist *)base);
		return cidrlist_parse(v, (struct cidrlist *)base);
	case C_BOOL:
		if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
		    strcmp(v, "yes") == 0)
			*(int *)base = 1;
		else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 ||
		    strcmp(v, "no") == 0)
			*(int *)base = 0;
		else
			return -1;
		return 0;
	case C_KEY32:
		return key32(v, (unsigned char *)base);
	case C_KEY32OPT:
		/* 32 bytes, then the flag saying they were given */
		if (v[0] == '\0') {
			explicit_bzero(base, 32);
			base[32] = 0;
			return 0;
		}
		base[32] = 1;
		return key32(v, (unsigned char *)base);
	}
	return -1;
}

/*
 * What a key takes, in words, for its one-line error and the README
 * table: never the value given (it may be a secret).
 */
static const char *
conf_allowed(const struct ckey *k, char *buf, size_t len)
{
	size_t	i, o;

	switch (k->type) {
	case C_STR:
		return "text";
	case C_INT:
		snprintf(buf, len, "an integer from %lld to %lld",
		    (long long)k->min, (long long)k->max);
		return buf;
	case C_DUR:
		snprintf(buf, len, "a duration from %llds to %llds (a number "
		    "of seconds, or with s, m, h or d)", (long long)k->min,
		    (long long)k->max);
		return buf;
	case C_ENUM:
		o = (size_t)snprintf(buf, len, "one of");
		for (i = 0; k->choices[i] != NULL && o < len; i++)
			o += (size_t)snprintf(buf + o, len - o, "%s %s",
			    i ? "," : "", k->choices[i]);
		return buf;
	case C_CIDRS:
		return "a comma-separated list of addresses or CIDRs";
	case C_BOOL:
		return "true or false";
	case C_KEY32:
		return "32 bytes, as 64 hex digits or base64";
	case C_KEY32OPT:
		return "empty, or 32 bytes as 64 hex digits or base64";
	}
	return "see the README";
}

static char *
trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Reads the file into raw[], one string per key.  Returns 0 or -1. */
static int
readfile(const char *path, char **raw, char *err, size_t errlen)
{
	FILE		*f;
	char		 line[4096], *k, *v, *eq;
	const struct ckey *key;
	size_t		 len;
	int		 lineno = 0, rc = -1;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		len = strlen(line);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			snprintf(err, errlen, "%s:%d: line too long", path,
			    lineno);
			goto out;
		}
		k = trim(line);
		if (*k == '\0' || *k == '#')
			continue;
		if ((eq = strchr(k, '=')) == NULL) {
			snprintf(err, errlen, "%s:%d: expected KEY = value",
			    path, lineno);
			goto out;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		len = strlen(v);
		if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
			v[len - 1] = '\0';
			v++;
		}
		if ((key = findkey(k, strlen(k))) == NULL) {
			snprintf(err, errlen, "%s:%d: unknown key %s", path,
			    lineno, k);
			goto out;
		}
		free(raw[key - keys]);
		if ((raw[key - keys] = strdup(v)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	explicit_bzero(line, sizeof(line));
	fclose(f);
	return rc;
}

int
conf_load(const char *path, struct config *c, char *err, size_t errlen)
{
	char		*raw[NKEYS] = { NULL }, allowed[160];
	const char	*v;
	size_t		 i;
	long		 ncpu;
	int		 rc = -1;

	memset(c, 0, sizeof(*c));
	if (path == NULL)
		path = conf_default_path();
	if (path != NULL) {
		if (readfile(path, raw, err, errlen) == -1)
			goto out;
		if ((c->path = strdup(path)) == NULL)
			goto out;
	}
	for (i = 0; i < NKEYS; i++) {
		if ((v = getenv(keys[i].name)) != NULL) {
			free(raw[i]);
			if ((raw[i] = strdup(v)) == NULL)
				goto out;
		}
		v = raw[i] != NULL ? raw[i] : keys[i].def;
		if (v == NULL || (keys[i].def == NULL && *v == '\0')) {
			snprintf(err, errlen, "%s: required but not set",
			    keys[i].name);
			goto out;
		}
		/* IAM_WORKERS "" means one worker per core. */
		if (keys[i].off == O(workers) && *v == '\0') {
			ncpu = sysconf(_SC_NPROCESSORS_ONLN);
			c->workers = ncpu < 1 ? 1 : ncpu > 256 ? 256 : ncpu;
			continue;
		}
		/* HASH_CONCURRENCY "" means half the workers (keys are set in
		 * table order: IAM_WORKERS comes first). */
		if (keys[i].off == O(hash_concurrency) && *v == '\0') {
			c->hash_concurrency = c->workers > 1 ?
			    c->workers / 2 : 1;
			continue;
		}
		if (setval(c, &keys[i], v) == -1) {
			/* Name the key and what it takes, never echo a value:
			 * it may be secret. */
			snprintf(err, errlen, "%s: invalid value, expected %s",
			    keys[i].name, conf_allowed(&keys[i], allowed,
			    sizeof(allowed)));
			goto out;
		}
	}
	if ((c->scrypt_n & (c->scrypt_n - 1)) != 0) {
		snprintf(err, errlen, "SCRYPT_N: invalid value (a power of two)");
		goto out;
	}
	/* auto, true, false: resolved to whether cookies say Secure */
	c->session_cookie_secure = c->session_cookie_secure == 0 ?
	    strncmp(c->issuer_url, "https://", 8) == 0 :
	    c->session_cookie_secure == 1;
	if (c->session_cookie_domain[0] == '.')
		memmove(c->session_cookie_domain, c->session_cookie_domain + 1,
		    strlen(c->session_cookie_domain));
	if (c->jwt_audience[0] == '\0') {
		free(c->jwt_audience);
		if ((c->jwt_audience = strdup(c->issuer_url)) == NULL)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < NKEYS; i++) {
		if (raw[i] != NULL)
			explicit_bzero(raw[i], strlen(raw[i]));
		free(raw[i]);
	}
	if (rc == -1)
		conf_free(c);
	return rc;
}
