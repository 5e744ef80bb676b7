/*
 * worker.c: a worker process.  Init once (connections, arena), then the
 * accept loop of one shape: accept, dispatch, finish.  SIGTERM is blocked
 * while a request is served, so a request in flight always completes; it
 * interrupts only the wait for the next request.
 */
#include <errno.h>
#include <fcgiapp.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "crypto.h"
#include "http.h"
#include "log.h"
#include "parse.h"
#include "worker.h"

extern char	**environ;

volatile sig_atomic_t	worker_stop;

int
worker_init(struct worker *w, const struct config *cfg, int connect_db)
{
	unsigned char	 rnd[8];
	char		*hex;

	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	/*
	 * A fixed mmap threshold: scrypt's 128 * N * r byte buffer is then
	 * always its own mapping, returned to the kernel when freed.  (glibc's
	 * dynamic threshold would otherwise grow past it after the first hash
	 * and keep those pages resident in every worker.)
	 */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	/* A request may use at most 64 times its body limit in memory. */
	arena_init(&w->arena, (size_t)cfg->max_body_bytes * 64);
	if (crypto_random(rnd, sizeof(rnd)) == -1 ||
	    (hex = hex_encode(&w->arena, rnd, sizeof(rnd))) == NULL)
		return -1;
	snprintf(w->rid_prefix, sizeof(w->rid_prefix), "%s", hex);
	arena_reset(&w->arena);
	if (rl_open(&w->rl, cfg) == -1) {
		log_kv(LOG_ERROR, "ratelimit.open_failed", LOG_END);
		return -1;
	}
	store_init(&w->db, cfg);
	/* The hash unknown emails are checked against, so that they cost
	 * what known ones do. */
	if (crypto_random(rnd, sizeof(rnd)) == -1 ||
	    crypto_password_hash((const char *)w->rid_prefix,
	    (uint64_t)cfg->scrypt_n, (uint32_t)cfg->scrypt_r,
	    (uint32_t)cfg->scrypt_p, w->dummy_hash) == -1)
		return -1;
	if (connect_db && store_ready(&w->db) == 1)
		(void)keys_refresh(&w->keys, &w->db, cfg, time(NULL), 0);
	return 0;
}

void
worker_free(struct worker *w)
{
	keys_free(&w->keys);
	revoke_free(&w->revoked);
	store_close(&w->db);
	rl_close(&w->rl);
	arena_free(&w->arena);
}

void
worker_request_id(struct worker *w, char *buf, size_t len)
{
	snprintf(buf, len, "%s-%llx", w->rid_prefix,
	    (unsigned long long)w->served);
}

static long
fcgx_read(void *ctx, char *buf, size_t n)
{
	FCGX_Request	*fr = ctx;

	if (n > 1 << 30)
		n = 1 << 30;
	return FCGX_GetStr(buf, (int)n, fr->in);
}

static int
fcgx_write(void *ctx, const char *buf, size_t n)
{
	FCGX_Request	*fr = ctx;

	if (n > 1 << 30)
		return -1;
	return FCGX_PutStr(buf, (int)n, fr->out) == (int)n ? 0 : -1;
}

static void
on_term(int sig)
{
	(void)sig;
	worker_stop = 1;
	FCGX_ShutdownPending();
}

int
worker_loop(struct worker *w, int fd)
{
	FCGX_Request		fr;
	struct io		io;
	struct sigaction	sa;
	sigset_t		term;
	int			rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;	/* no SA_RESTART: accept is cut short */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);

	if (FCGX_Init() != 0 ||
	    FCGX_InitRequest(&fr, fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_kv(LOG_ERROR, "worker.fcgi_init_failed", LOG_END);
		return 1;
	}
	log_kv(LOG_INFO, "worker.start", LOG_END);
	for (;;) {
		sigprocmask(SIG_UNBLOCK, &term, NULL);
		if (worker_stop)
			break;
		rc = FCGX_Accept_r(&fr);
		sigprocmask(SIG_BLOCK, &term, NULL);
		if (rc < 0) {
			if (worker_stop)
				break;
			if (rc == -EINTR)
				continue;
			log_kv(LOG_ERROR, "worker.accept_failed", "error",
			    strerror(-rc), LOG_END);
			return 1;
		}
		io.ctx = &fr;
		io.env = fr.envp;
		io.read = fcgx_read;
		io.write = fcgx_write;
		dispatch(w, &io);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 0);
	log_kv(LOG_INFO, "worker.stop", LOG_END);
	return 0;
}

static long
cgi_read(void *ctx, char *buf, size_t n)
{
	size_t	got;

	(void)ctx;
	got = fread(buf, 1, n, stdin);
	return ferror(stdin) ? -1 : (long)got;
}

static int
cgi_write(void *ctx, const char *buf, size_t n)
{
	(void)ctx;
	return fwrite(buf, 1, n, stdout) == n ? 0 : -1;
}

int
worker_cgi(struct worker *w)
{
	struct io	io;

	io.ctx = NULL;
	io.env = environ;
	io.read = cgi_read;
	io.write = cgi_write;
	dispatch(w, &io);
	return fflush(stdout) == 0 ? 0 : 1;
}

int
worker_sync(struct worker *w, time_t now)
{
	int64_t	maxage = w->cfg->jwt_expires_in + 60;

	if (store_notified(&w->db)) {
		w->keys.loaded = 0;
		(void)revoke_refresh(&w->revoked, &w->db, maxage, now, 1);
	} else
		(void)revoke_refresh(&w->revoked, &w->db, maxage, now, 0);
	return keys_refresh(&w->keys, &w->db, w->cfg, now, 0);
}
