/*
 * master.h: the process that forks and watches the workers.
 */
#ifndef IAM_MASTER_H
#define IAM_MASTER_H

struct config;

/*
 * Runs the master on the inherited FastCGI socket (fd 0) until SIGTERM or
 * SIGINT; takes ownership of cfg (reloaded on SIGHUP).  Returns an exit
 * status.
 */
int	 master_run(struct config *cfg, const char *confpath);

#endif
