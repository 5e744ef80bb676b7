/*
 * worker.c: a worker process's accept loop, of one shape: accept,
 * dispatch, finish (its state is set up once by env_init, infra/env.c).  SIGTERM is blocked
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

#include "accounts.h"
#include "conf.h"
#include "crypto.h"
#include "http.h"
#include "log.h"
#include "parse.h"
#include "ratelimit.h"
#include "sandbox.h"
#include "store.h"
#include "worker.h"

extern char	**environ;

volatile sig_atomic_t	worker_stop;

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
worker_loop(struct env *w, int fd)
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
	if (worker_sandbox(w, "worker") == -1)
		return 1;
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

/* What a process serving requests may do from here on (sandbox.h). */
int
worker_sandbox(struct env *w, const char *who)
{
	const struct sandbox_frag *const frags[] = { &store_sandbox,
	    &rl_sandbox };

	/* The lists a check reads are read now, before the filter. */
	password_preload(w->cfg);
	return sandbox_enter(w->cfg->sandbox, who, frags,
	    sizeof(frags) / sizeof(frags[0]));
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
worker_cgi(struct env *w)
{
	struct io	io;

	if (worker_sandbox(w, "cgi") == -1)
		return 1;
	io.ctx = NULL;
	io.env = environ;
	io.read = cgi_read;
	io.write = cgi_write;
	dispatch(w, &io);
	return fflush(stdout) == 0 ? 0 : 1;
}
