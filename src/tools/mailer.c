/*
 * mailer.c: iam-mailer, the process that delivers the email outbox.
 * Requests only insert into email_outbox (in their own transaction); this
 * process claims one due message at a time with FOR UPDATE SKIP LOCKED,
 * delivers it, and marks it sent in the same transaction.  If delivery
 * fails the message is retried with exponential backoff; if the process
 * dies mid-delivery the transaction rolls back and the message is
 * delivered again (at least once, never lost).
 *
 * MAIL_TRANSPORT=file writes one .eml per message into MAIL_DIR (written
 * to a temporary name, then renamed); smtp sends through SMTP_HOST with
 * libcurl (STARTTLS or implicit TLS and AUTH when configured).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "conf.h"
#include "crypto.h"
#include "log.h"
#include "sandbox.h"
#include "text.h"
#include "store.h"
#include "store_outbox.h"

#define MAX_ATTEMPTS	10
#define BACKOFF_BASE	5	/* seconds, doubled per attempt */
#define BACKOFF_MAX	3600

static volatile sig_atomic_t	stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* The whole message, CRLF line endings. */
static char *
compose(struct arena *a, const struct config *c, const char *id,
    const char *to, const char *subject, const char *body)
{
	struct buf	 b;
	char		 date[64];
	unsigned char	 rnd[8];
	char		*hex;
	time_t		 t = time(NULL);
	struct tm	 tm;
	const char	*p;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	if (crypto_random(rnd, sizeof(rnd)) == -1 ||
	    (hex = hex_encode(a, rnd, sizeof(rnd))) == NULL)
		return NULL;
	buf_init(&b, a);
	buf_printf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n"
	    "Message-ID: <%s.%s@iam>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n", c->email_from, to,
	    subject, date, id, hex);
	for (p = body; *p != '\0'; p++) {
		if (*p == '\n' && (p == body || p[-1] != '\r'))
			buf_putc(&b, '\r');
		buf_putc(&b, *p);
	}
	return b.oom ? NULL : b.data;
}

static int
deliver_file(const struct config *c, const char *id, const char *msg,
    char *err, size_t errlen)
{
	char	tmp[4096], path[4096];
	size_t	len = strlen(msg);
	int	fd;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", c->mail_dir, id);
	snprintf(path, sizeof(path), "%s/%s.eml", c->mail_dir, id);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0640)) == -1 ||
	    write(fd, msg, len) != (ssize_t)len || fsync(fd) == -1 ||
	    close(fd) == -1 || rename(tmp, path) == -1) {
		snprintf(err, errlen, "%.200s: %s", tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/*
 * The mailer's calls beyond the base and the store's (sandbox.h): the
 * mail directory (a file written, synced, renamed into place) and the
 * SMTP connection, whose host is resolved once at start (smtp_resolve);
 * curl makes a socket pair to wake itself and asks uname for the name
 * it gives in EHLO.
 */
static const struct sandbox_rule mailer_rules[] = {
	SB_MASK(openat, 2, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND,
	    O_WRONLY | O_CREAT | O_TRUNC),
	SB_CALL(fsync), SB_CALL(rename), SB_CALL(unlink),
	SB_ARG(socket, 0, AF_INET), SB_ARG(socket, 0, AF_INET6),
	SB_CALL(connect), SB_ARG(socketpair, 0, AF_UNIX), SB_CALL(uname),
};
static const struct sandbox_frag mailer_sandbox = SB_FRAG("mailer",
    mailer_rules);

/* "host:port:address" for CURLOPT_RESOLVE, so curl looks nothing up
 * once the sandbox is on; NULL when SMTP_HOST is an address already or
 * does not resolve now (curl then says why). */
static struct curl_slist *smtp_resolve_list;

static void
smtp_resolve(const struct config *c)
{
	struct addrinfo	 hints, *ai;
	unsigned char	 a[16];
	char		 num[INET6_ADDRSTRLEN], line[600];

	if (c->mail_transport != MAIL_SMTP || c->smtp_host[0] == '\0' ||
	    inet_pton(AF_INET, c->smtp_host, a) == 1 ||
	    inet_pton(AF_INET6, c->smtp_host, a) == 1)
		return;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(c->smtp_host, NULL, &hints, &ai) != 0)
		return;
	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, num, sizeof(num), NULL,
	    0, NI_NUMERICHOST) == 0) {
		snprintf(line, sizeof(line), "%s:%lld:%s%s%s", c->smtp_host,
		    (long long)c->smtp_port, strchr(num, ':') ? "[" : "", num,
		    strchr(num, ':') ? "]" : "");
		smtp_resolve_list = curl_slist_append(NULL, line);
	}
	freeaddrinfo(ai);
}

struct upload {
	const char	*p;
	size_t		 left;
};

static size_t
reader(char *buf, size_t size, size_t n, void *arg)
{
	struct upload	*u = arg;
	size_t		 len = size * n < u->left ? size * n : u->left;

	memcpy(buf, u->p, len);
	u->p += len;
	u->left -= len;
	return len;
}

static int
deliver_smtp(const struct config *c, const char *to, const char *msg,
    char *err, size_t errlen)
{
	CURL			*h;
	struct curl_slist	*rcpt = NULL;
	struct upload		 u = { msg, strlen(msg) };
	char			 url[512], from[300], rto[300];
	CURLcode		 rc;

	if ((h = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		return -1;
	}
	snprintf(url, sizeof(url), "%s://%s:%lld",
	    c->smtp_tls == SMTP_TLS_IMPLICIT ? "smtps" : "smtp", c->smtp_host,
	    (long long)c->smtp_port);
	snprintf(from, sizeof(from), "<%s>", c->email_from);
	snprintf(rto, sizeof(rto), "<%s>", to);
	rcpt = curl_slist_append(rcpt, rto);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, reader);
	curl_easy_setopt(h, CURLOPT_READDATA, &u);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (smtp_resolve_list != NULL)
		curl_easy_setopt(h, CURLOPT_RESOLVE, smtp_resolve_list);
	if (c->smtp_tls == SMTP_TLS_STARTTLS)
		curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (c->smtp_user[0] != '\0') {
		curl_easy_setopt(h, CURLOPT_USERNAME, c->smtp_user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->smtp_pass);
	}
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK)
		snprintf(err, errlen, "smtp: %s", curl_easy_strerror(rc));
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(h);
	return rc == CURLE_OK ? 0 : -1;
}

/* Delivers one due message: 1 done (sent or rescheduled), 0 nothing due,
 * -1 database trouble. */
static int
step(struct store *s, const struct config *c, struct arena *a)
{
	struct outbox_msg m;
	const char	*id;
	char		*msg;
	char		 err[512] = "", delay[24];
	int		 ok, rc;
	long		 wait;

	if (store_begin(s) == -1)
		return -1;
	if ((rc = store_outbox_claim(s, a, &m)) <= 0) {
		if (rc == 0)
			return store_commit(s) == 0 ? 0 : -1;
		store_rollback(s);
		return -1;
	}
	id = m.id;
	if ((msg = compose(a, c, id, m.to, m.subject, m.body)) == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		ok = -1;
	} else if (c->mail_transport == MAIL_FILE)
		ok = deliver_file(c, id, msg, err, sizeof(err));
	else
		ok = deliver_smtp(c, m.to, msg, err, sizeof(err));
	if (ok == 0) {
		rc = store_outbox_sent(s, id);
		log_kv(LOG_INFO, "mail.sent", "id", id, LOG_END);
	} else {
		wait = BACKOFF_BASE << (m.attempts < 10 ? m.attempts : 10);
		if (wait > BACKOFF_MAX)
			wait = BACKOFF_MAX;
		snprintf(delay, sizeof(delay), "%ld", wait);
		rc = store_outbox_retry(s, id, wait, err, MAX_ATTEMPTS);
		log_kv(LOG_WARN, "mail.retry", "id", id, "error", err,
		    "inSeconds", delay, LOG_END);
	}
	if (rc == -1) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s) == 0 ? 1 : -1;
}

int
main(int argc, char *argv[])
{
	struct config		 cfg;
	struct store		 s;
	struct arena		 a;
	struct sigaction	 sa;
	const char		*path = NULL;
	char			 err[512];
	int			 ch, rc;

	while ((ch = getopt(argc, argv, "c:")) != -1) {
		if (ch != 'c') {
			fprintf(stderr, "usage: iam-mailer [-c file]\n");
			return 2;
		}
		path = optarg;
	}
	if (conf_load(path, &cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "iam-mailer: %s\n", err);
		return 1;
	}
	if (geteuid() == 0) {
		fprintf(stderr, "iam-mailer: refusing to run as root\n");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	log_init(cfg.log_level, "mailer");
	store_init(&s, &cfg);
	store_use(&s, STORE_MAILER);
	smtp_resolve(&cfg);
	arena_init(&a, 0);
	{
		const struct sandbox_frag *const frags[] = { &store_sandbox,
		    &mailer_sandbox };

		if (sandbox_enter(cfg.sandbox, "mailer", frags, 2) == -1)
			return 1;
	}
	log_kv(LOG_INFO, "mailer.start", "transport",
	    cfg.mail_transport == MAIL_FILE ? "file" : "smtp", LOG_END);
	while (!stop) {
		rc = store_ready(&s) == 1 ? step(&s, &cfg, &a) : -1;
		arena_reset(&a);
		if (rc == 1)
			continue;	/* more may be due */
		usleep(rc == 0 ? 200000 : 1000000);
	}
	log_kv(LOG_INFO, "mailer.stop", LOG_END);
	arena_free(&a);
	store_close(&s);
	curl_slist_free_all(smtp_resolve_list);
	curl_global_cleanup();
	conf_free(&cfg);
	return 0;
}
