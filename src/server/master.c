/*
 * master.c: fork IAM_WORKERS workers on the inherited socket; respawn one
 * that dies (at once if it had lived a while, with doubling backoff if it
 * keeps dying young); on SIGHUP re-read the configuration and, if it is
 * good, replace the workers gracefully; on SIGTERM stop accepting, let
 * in-flight requests finish, and kill what is left after SHUTDOWN_TIMEOUT.
 * Signals are taken synchronously with sigtimedwait: no handler runs here.
 * Beside the workers, one child is the audit chainer (chain.h), respawned
 * and replaced like them.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chain.h"
#include "conf.h"
#include "html.h"
#include "hashcap.h"
#include "log.h"
#include "master.h"
#include "metrics.h"
#include "sandbox.h"
#include "store.h"
#include "worker.h"

#define MAXSLOTS	520
#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000
#define YOUNG_MS	1000

struct slot {
	pid_t		pid;		/* 0: free or waiting to respawn */
	int		active;		/* part of the current generation */
	int64_t		started;	/* ms */
	int64_t		respawn_at;	/* ms; when pid == 0 and active */
	int64_t		backoff;	/* ms */
	int		chainer;	/* the audit chainer, not a worker */
};

static struct slot	slots[MAXSLOTS];

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static volatile sig_atomic_t	chainer_stop;

static void
on_chainer_term(int sig)
{
	(void)sig;
	chainer_stop = 1;
}

static void
count_alive(void)
{
	int64_t	n = 0;
	size_t	i;

	for (i = 0; i < MAXSLOTS; i++)
		n += slots[i].pid != 0 && !slots[i].chainer;
	metrics_workers(n);
}

static void
spawn(struct slot *s, const struct config *cfg, const sigset_t *oldmask)
{
	struct env	w;
	pid_t		pid, ppid = getpid();
	int		rc;

	if ((pid = fork()) == -1) {
		log_kv(LOG_ERROR, "master.fork_failed", "error",
		    strerror(errno), LOG_END);
		s->respawn_at = now_ms() + BACKOFF_MAX_MS;
		return;
	}
	if (pid == 0) {
		/* A worker whose master is gone stops too. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != ppid)
			_exit(0);
		signal(SIGHUP, SIG_IGN);
		signal(SIGCHLD, SIG_DFL);
		if (s->chainer) {
			struct store	db;
			const struct sandbox_frag *const frags[] = {
			    &store_sandbox };

			prctl(PR_SET_NAME, "iam-chainer");
			signal(SIGTERM, on_chainer_term);
			signal(SIGINT, on_chainer_term);
			sigprocmask(SIG_SETMASK, oldmask, NULL);
			log_init(cfg->log_level, "chainer");
			store_init(&db, cfg);
			if (sandbox_enter(cfg->sandbox, "chainer", frags, 1)
			    == -1)
				_exit(1);
			rc = chain_follow(&db, cfg, &chainer_stop);
			store_close(&db);
			_exit(rc == 0 ? 0 : 1);
		}
		sigprocmask(SIG_SETMASK, oldmask, NULL);
		log_init(cfg->log_level, "worker");
		if (env_init(&w, cfg, 1) == -1)
			_exit(1);
		rc = worker_loop(&w, 0);
		env_free(&w);
		_exit(rc);
	}
	s->pid = pid;
	s->started = now_ms();
	s->respawn_at = 0;
	count_alive();
}

/* Reaps dead children; schedules respawns for the current generation. */
static void
reap(int stopping)
{
	struct slot	*s;
	pid_t		 pid;
	int		 st, i;
	int64_t		 now = now_ms(), lived;
	char		 buf[32], how[32], delay[32];

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < MAXSLOTS && slots[i].pid != pid; i++)
			;
		if (i == MAXSLOTS)
			continue;
		s = &slots[i];
		s->pid = 0;
		if (!s->active || stopping)
			continue;
		lived = now - s->started;
		s->backoff = lived >= YOUNG_MS ? 0 : s->backoff == 0 ?
		    BACKOFF_MIN_MS : s->backoff * 2;
		if (s->backoff > BACKOFF_MAX_MS)
			s->backoff = BACKOFF_MAX_MS;
		s->respawn_at = now + s->backoff;
		snprintf(buf, sizeof(buf), "%ld", (long)pid);
		if (WIFSIGNALED(st))
			snprintf(how, sizeof(how), "signal %d", WTERMSIG(st));
		else
			snprintf(how, sizeof(how), "exit %d", WEXITSTATUS(st));
		snprintf(delay, sizeof(delay), "%lld", (long long)s->backoff);
		log_kv(LOG_WARN, s->chainer ? "master.chainer_died" :
		    "master.worker_died", "workerPid", buf, "how", how,
		    "respawnInMs", delay, LOG_END);
		metrics_event(EV_WORKER_RESTART);
	}
	count_alive();
}

/* Starts the current generation's missing workers whose time has come;
 * returns ms until the next one is due, or -1 if none is waiting. */
static int64_t
respawn_due(const struct config *cfg, const sigset_t *oldmask)
{
	int64_t	now = now_ms(), next = -1, wait;
	size_t	i;

	for (i = 0; i < MAXSLOTS; i++) {
		if (!slots[i].active || slots[i].pid != 0)
			continue;
		if (slots[i].respawn_at <= now)
			spawn(&slots[i], cfg, oldmask);
		else {
			wait = slots[i].respawn_at - now;
			if (next == -1 || wait < next)
				next = wait;
		}
	}
	return next;
}

/* Retires the current generation and starts n fresh workers. */
static void
new_generation(int n, const struct config *cfg, const sigset_t *oldmask)
{
	size_t	i;
	int	started = 0;

	for (i = 0; i < MAXSLOTS; i++) {
		if (slots[i].active && slots[i].pid != 0)
			kill(slots[i].pid, SIGTERM);
		slots[i].active = 0;
	}
	for (i = 0; i < MAXSLOTS && started < n; i++) {
		if (slots[i].pid != 0)
			continue;
		memset(&slots[i], 0, sizeof(slots[i]));
		slots[i].active = 1;
		/* the first slot of a generation is its chainer */
		slots[i].chainer = started == 0;
		spawn(&slots[i], cfg, oldmask);
		started++;
	}
}

static void
drain(const struct config *cfg)
{
	int64_t		deadline = now_ms() + cfg->shutdown_timeout * 1000;
	size_t		i;
	int		alive;

	for (i = 0; i < MAXSLOTS; i++)
		if (slots[i].pid != 0)
			kill(slots[i].pid, SIGTERM);
	for (;;) {
		reap(1);
		for (alive = 0, i = 0; i < MAXSLOTS; i++)
			alive += slots[i].pid != 0;
		if (alive == 0)
			break;
		if (now_ms() >= deadline) {
			log_kv(LOG_WARN, "master.drain_timeout", LOG_END);
			for (i = 0; i < MAXSLOTS; i++)
				if (slots[i].pid != 0)
					kill(slots[i].pid, SIGKILL);
			deadline = now_ms() + 1000;
		}
		usleep(20000);
	}
}

int
master_run(struct config *cfg, const char *confpath)
{
	sigset_t	 set, oldmask;
	struct timespec	 ts;
	struct config	 next;
	char		 err[512], n[16];
	int64_t		 wait;
	int		 sig;
	char		*path = NULL;

	/* cfg->path goes with cfg on reload: keep our own copy. */
	if (confpath != NULL && (path = strdup(confpath)) == NULL)
		return 1;

	if (cfg->workers > MAXSLOTS / 2)
		cfg->workers = MAXSLOTS / 2;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &oldmask);
	signal(SIGPIPE, SIG_IGN);
	log_init(cfg->log_level, "master");
	snprintf(n, sizeof(n), "%lld", (long long)cfg->workers);
	log_kv(LOG_INFO, "master.start", "workers", n, LOG_END);
	if (hashcap_init(cfg, 1) == -1) {
		free(path);
		return 1;
	}
	new_generation((int)cfg->workers + 1, cfg, &oldmask);

	for (;;) {
		wait = respawn_due(cfg, &oldmask);
		if (wait < 0 || wait > 1000)
			wait = 1000;
		ts.tv_sec = wait / 1000;
		ts.tv_nsec = (wait % 1000) * 1000000;
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGCHLD || sig == -1)
			reap(0);
		else if (sig == SIGTERM || sig == SIGINT) {
			log_kv(LOG_INFO, "master.draining", LOG_END);
			drain(cfg);
			break;
		} else if (sig == SIGHUP) {
			if (conf_load(path, &next, err, sizeof(err)) == -1) {
				log_kv(LOG_ERROR, "master.reload_failed",
				    "error", err, LOG_END);
				continue;
			}
			/* The templates too, or nothing: a broken one keeps
			 * the running generation and its set. */
			if (tmpl_load(next.templates_dir,
			    next.template_override_dir, err, sizeof(err)) == -1) {
				log_kv(LOG_ERROR, "master.reload_failed",
				    "error", err, LOG_END);
				conf_free(&next);
				continue;
			}
			conf_free(cfg);
			*cfg = next;
			if (cfg->workers > MAXSLOTS / 2)
				cfg->workers = MAXSLOTS / 2;
			if (cfg->workers < 1)
				cfg->workers = 1;
			log_setlevel(cfg->log_level);
			/* A new generation shares new slots (the old one keeps
			 * its own until it has drained). */
			(void)hashcap_init(cfg, 1);
			log_kv(LOG_INFO, "master.reloaded", LOG_END);
			new_generation((int)cfg->workers + 1, cfg, &oldmask);
		}
	}
	log_kv(LOG_INFO, "master.stop", LOG_END);
	conf_free(cfg);
	free(path);
	return 0;
}
