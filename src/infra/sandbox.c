/*
 * sandbox.c: NO_NEW_PRIVS and the seccomp allow-list (sandbox.h).  The
 * base below is what any serving process of ours does once set up; the
 * fragments of the subsystems that talk to other processes come from
 * their own files (store.c, ratelimit.c, mailer.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* REG_RAX in ucontext.h, whatever CFLAGS say */
#endif

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

static const struct sandbox_rule base[] = {
	/* FastCGI and CGI I/O: the accepted connection, stdio. */
	SB_CALL(read), SB_CALL(write), SB_CALL(readv), SB_CALL(writev),
	SB_CALL(close), SB_CALL(accept), SB_CALL(accept4),
	SB_CALL(shutdown), SB_CALL(poll), SB_CALL(ppoll), SB_CALL(select),
	SB_CALL(pselect6), SB_CALL(recvfrom), SB_CALL(sendto),
	SB_CALL(recvmsg), SB_CALL(sendmsg), SB_CALL(fcntl), SB_CALL(fstat),
	SB_CALL(newfstatat), SB_CALL(lseek), SB_CALL(getsockopt),
	SB_CALL(setsockopt), SB_CALL(getsockname), SB_CALL(getpeername),
	/* Memory, never executable: the arena, scrypt's buffers, malloc. */
	SB_MASK(mmap, 2, PROT_EXEC, 0), SB_MASK(mprotect, 2, PROT_EXEC, 0),
	SB_CALL(munmap), SB_CALL(mremap), SB_CALL(brk), SB_CALL(madvise),
	/* Time, randomness, identity. */
	SB_CALL(clock_gettime), SB_CALL(gettimeofday), SB_CALL(time),
	SB_CALL(nanosleep), SB_CALL(clock_nanosleep), SB_CALL(getrandom),
	SB_CALL(getpid), SB_CALL(gettid), SB_CALL(getppid),
	SB_CALL(getuid), SB_CALL(geteuid), SB_CALL(getrusage),
	/* Signals and ending: SIGTERM's handler, abort(). */
	SB_CALL(rt_sigprocmask), SB_CALL(rt_sigaction), SB_CALL(rt_sigreturn),
	SB_CALL(restart_syscall), SB_CALL(exit), SB_CALL(exit_group),
	SB_CALL(futex), SB_CALL(tgkill), SB_CALL(sched_yield),
	/* The hash slots without a master (hashcap.c). */
	SB_CALL(flock),
	/* Files, for reading only: cracklib opens its dictionary (and
	 * glibc /etc/passwd for it) at every check, libpq ~/.pgpass at a
	 * reconnect.  Opening for writing kills. */
	SB_MASK(openat, 2, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND, O_RDONLY),
};

/* Trap mode: name the call on stderr, let it fail with ENOSYS. */
static void
on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char		 line[96], num[24];
	size_t		 n, i;
	unsigned	 v;

	(void)sig;
	v = (unsigned)si->si_syscall;
	i = sizeof(num);
	num[--i] = '\0';
	do {
		num[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 && i > 0);
	n = strlen("sandbox: trapped syscall ");
	memcpy(line, "sandbox: trapped syscall ", n);
	memcpy(line + n, num + i, sizeof(num) - i - 1);
	n += sizeof(num) - i - 1;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
#if defined(__x86_64__)
	((ucontext_t *)uc)->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
#elif defined(__aarch64__)
	((ucontext_t *)uc)->uc_mcontext.regs[0] = (unsigned long)-ENOSYS;
#else
	(void)uc;
#endif
}

static int
add(scmp_filter_ctx ctx, const struct sandbox_rule *r)
{
	struct scmp_arg_cmp	c;

	if (r->arg < 0)
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 0);
	memset(&c, 0, sizeof(c));
	c.arg = (unsigned)r->arg;
	if (r->mask != 0) {
		c.op = SCMP_CMP_MASKED_EQ;
		c.datum_a = r->mask;
		c.datum_b = r->val;
	} else {
		c.op = SCMP_CMP_EQ;
		c.datum_a = r->val;
	}
	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, r->nr, 1, &c);
}

int
sandbox_enter(int mode, const char *who,
    const struct sandbox_frag *const *frags, size_t n)
{
	scmp_filter_ctx		 ctx;
	struct sigaction	 sa;
	size_t			 i, j;
	int			 rc;
	const char		*what = NULL;

#ifdef IAM_SANITIZED
	if (mode != SANDBOX_OFF) {
		log_kv(LOG_INFO, "sandbox.off", "process", who, "reason",
		    "sanitizer build", LOG_END);
		return 0;
	}
#endif
	if (mode == SANDBOX_OFF)
		return 0;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_kv(LOG_ERROR, "sandbox.no_new_privs_failed", "process", who,
		    "error", strerror(errno), LOG_END);
		return -1;
	}
	if (mode == SANDBOX_TRAP) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sigsys;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGSYS, &sa, NULL);
	}
	ctx = seccomp_init(mode == SANDBOX_TRAP ? SCMP_ACT_TRAP :
	    SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL) {
		log_kv(LOG_ERROR, "sandbox.init_failed", "process", who,
		    LOG_END);
		return -1;
	}
	rc = 0;
	for (i = 0; rc == 0 && i < sizeof(base) / sizeof(base[0]); i++)
		if ((rc = add(ctx, &base[i])) != 0)
			what = "base";
	for (i = 0; rc == 0 && i < n; i++)
		for (j = 0; rc == 0 && j < frags[i]->n; j++)
			if ((rc = add(ctx, &frags[i]->rules[j])) != 0)
				what = frags[i]->name;
	if (rc == 0 && (rc = seccomp_load(ctx)) != 0)
		what = "load";
	seccomp_release(ctx);
	if (rc != 0) {
		log_kv(LOG_ERROR, "sandbox.failed", "process", who, "step",
		    what, "error", strerror(-rc), LOG_END);
		return -1;
	}
	log_kv(LOG_DEBUG, "sandbox.on", "process", who, "mode",
	    mode == SANDBOX_TRAP ? "trap" : "on", LOG_END);
	return 0;
}
