/*
 * ctl.h: what the files of iamctl share: a command's connection and
 * caller (struct op), its argument helpers, and the commands kept in
 * files of their own.
 */
#ifndef IAM_CTL_H
#define IAM_CTL_H

#include <signal.h>

#include "accounts.h"
#include "conf.h"
#include "env.h"

struct op {
	struct config	cfg;
	struct env	w;
	struct actx	x;
};

extern volatile sig_atomic_t	stop;
void	 on_term(int);

/* Connects as the runtime role, or as the owner (DATABASE_OWNER_URL). */
int	 op_open_as(struct op *, int no_timeout, int owner);
int	 op_open(struct op *, int no_timeout);
void	 op_close(struct op *);
/* Prints a domain error; returns the exit status it maps to. */
int	 fail(struct op *, enum iam_err);
const char *opt(int argc, char *argv[], const char *name, const char *def);
int	 wants_help(int argc, char *argv[]);
int	 flags_ok(int argc, char *argv[], const char *const *allowed);

void	 print_json(json_object *);

/* ctl_audit.c */
int	 cmd_audit(int argc, char *argv[]);
/* ctl_client.c */
int	 cmd_client(int argc, char *argv[]);

#endif
