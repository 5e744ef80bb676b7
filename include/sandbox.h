/*
 * sandbox.h: what a serving process may ask of the kernel once it is set
 * up.  prctl(PR_SET_NO_NEW_PRIVS) and then a seccomp allow-list assembled
 * from fragments: a base (FastCGI and CGI I/O, memory, time, randomness,
 * signals) that sandbox.c holds, and one fragment from each subsystem that
 * talks to the outside (the store's libpq, the rate limiter's
 * libmemcached, the mailer's SMTP and mail directory), each declared in
 * the file that makes those calls.
 *
 * Everything else kills the process (SANDBOX = on): the master logs the
 * signal (31, SIGSYS) and forks a fresh worker.  SANDBOX = trap reports
 * each call outside the list on stderr and lets the process go on with
 * ENOSYS: the way to build the list, never a production setting.  Files
 * may be opened for reading only (cracklib reads its dictionary at each
 * check); exec, fork, ptrace, listening sockets, opening a file for
 * writing and every call not listed kill.
 *
 * Names the hosts resolve to are looked up before the filter goes on
 * (store_init, rl_open): a reconnect needs no DNS.  Files a reload needs
 * are read by freshly forked workers, before theirs.  Built with
 * -DIAM_SANITIZED (make asan), the filter stays off: the sanitizers' own
 * calls are not the server's.
 */
#ifndef IAM_SANDBOX_H
#define IAM_SANDBOX_H

#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>

/* One allowed call: any arguments (arg < 0), or argument arg equal to
 * val, or (mask != 0) argument arg with (arg & mask) == val. */
struct sandbox_rule {
	int		 nr;
	int		 arg;
	uint64_t	 mask;
	uint64_t	 val;
};

#define SB_CALL(name)		{ SCMP_SYS(name), -1, 0, 0 }
#define SB_ARG(name, i, v)	{ SCMP_SYS(name), (i), 0, (v) }
#define SB_MASK(name, i, m, v)	{ SCMP_SYS(name), (i), (m), (v) }

struct sandbox_frag {
	const char			*name;
	const struct sandbox_rule	*rules;
	size_t				 n;
};

#define SB_FRAG(name, rules) \
	{ (name), (rules), sizeof(rules) / sizeof((rules)[0]) }

enum sandbox_mode { SANDBOX_ON, SANDBOX_TRAP, SANDBOX_OFF };

/*
 * Installs the filter of the base and the n fragments in this process,
 * for good.  who names the process in the log.  Returns 0, or -1 (logged)
 * if the kernel refused it: the caller must not serve then.
 */
int	 sandbox_enter(int mode, const char *who,
	    const struct sandbox_frag *const *frags, size_t n);

#endif
