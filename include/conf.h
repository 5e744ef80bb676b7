/*
 * conf.h: configuration.  One table (conf.c) names every key with its type,
 * default and meaning; a file of "key = value" lines is read first, then an
 * environment variable of the same name overrides each key.  An unknown key
 * in the file or a bad value stops start-up with one line naming it.
 */
#ifndef IAM_CONF_H
#define IAM_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "netaddr.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
enum mail_transport { MAIL_FILE, MAIL_SMTP };
enum smtp_tls { SMTP_TLS_NONE, SMTP_TLS_STARTTLS, SMTP_TLS_IMPLICIT };

struct config {
	char		*database_url;
	char		*database_owner_url;
	int64_t		 db_connect_timeout;	/* seconds */
	int64_t		 db_statement_timeout;	/* seconds */
	char		*memcached_servers;	/* "" → null rate backend */
	int64_t		 memcached_timeout_ms;
	int64_t		 workers;		/* 0: serve without forking */
	int64_t		 hash_concurrency;	/* 0: no cap */
	char		*common_passwords_file;
	char		*hash_slots_file;
	int64_t		 shutdown_timeout;	/* seconds */
	int64_t		 max_body_bytes;
	int64_t		 rate_max;
	int64_t		 rate_ipv6_prefix;
	int64_t		 rate_window;		/* seconds */
	int		 rate_fail_closed;
	struct cidrlist	 trusted_proxies;
	char		*metrics_token;		/* secret; "" = none */
	struct cidrlist	 metrics_allow;
	int		 log_level;
	int		 sandbox;		/* enum sandbox_mode */
	char		*migrations_dir;	/* "" → ../sql beside binary */

	/* Accounts and tokens. */
	char		*issuer_url;
	char		*jwt_audience;		/* "" → issuer_url */
	int64_t		 jwt_expires_in;	/* seconds */
	int64_t		 jwt_refresh_expires_in;
	int64_t		 jwks_rotate_days;
	unsigned char	 secret_key[32];	/* SECRET_ENCRYPTION_KEY */
	int64_t		 scrypt_n, scrypt_r, scrypt_p;
	int64_t		 password_min_length;
	int		 require_email_verification;
	int		 registration_mode;	/* 0 open, 1 invite, 2 closed */
	int64_t		 auth_rate_max;
	int64_t		 auth_rate_window;
	int64_t		 lockout_threshold;
	int64_t		 lockout_sec;
	int		 mail_transport;	/* MAIL_FILE or MAIL_SMTP */
	char		*mail_dir;
	char		*smtp_host;
	int64_t		 smtp_port;
	char		*smtp_user;
	char		*smtp_pass;		/* secret */
	int		 smtp_tls;		/* SMTP_TLS_* */
	char		*email_from;

	/* Administration. */
	unsigned char	 secret_key_prev[33];	/* 32 bytes + "set" flag */
	int		 onboarding_enabled;
	int64_t		 invitation_expires_in;
	char		*admin_web_origin;
	int64_t		 audit_retention_days;
	char		*log_remote_url;
	char		*log_remote_api_key;	/* secret */
	int64_t		 log_remote_batch_size;
	int64_t		 log_remote_flush_ms;
	int64_t		 session_lifetime;	/* browser sessions, seconds */
	int64_t		 session_idle_timeout;	/* 0: none */
	int		 session_cookie_secure;	/* resolved from auto */
	char		*session_cookie_domain;	/* "": host-only cookies */
	char		*templates_dir;		/* the shipped page templates */
	char		*template_override_dir;	/* "": none */
	char		*path;			/* file it was read from */
};

/*
 * Loads defaults, then path (NULL: the default search, see conf.c), then the
 * environment.  On error returns -1 with one line in err, and out holds
 * nothing to free.  On success the caller frees out with conf_free.
 */
int	 conf_load(const char *path, struct config *out, char *err,
	    size_t errlen);
void	 conf_free(struct config *);
/* Writes "KEY<TAB>default<TAB>meaning" lines, one per key. */
void	 conf_list(FILE *);
/* Returns 1 if name is a configuration key. */
int	 conf_is_key(const char *name);
/* The file conf_load would read when given NULL, or NULL if none. */
const char *conf_default_path(void);

#endif
