/*
 * worker.h: the driver's entry points: the FastCGI accept loop, the single
 * CGI request, and the dispatcher they hand each request to.
 */
#ifndef IAM_WORKER_H
#define IAM_WORKER_H

#include <signal.h>

#include "env.h"

struct io;

/* Serves FastCGI requests on listen_fd until SIGTERM.  Returns an exit
 * status. */
int	 worker_loop(struct env *, int listen_fd);
/* Serves the single CGI request of this process. */
int	 worker_cgi(struct env *);

/* Puts this serving process in its sandbox (sandbox.h).  0 or -1. */
int	 worker_sandbox(struct env *, const char *who);

/* Answers one request read from io (the transport's single entry). */
void	 dispatch(struct env *, struct io *);

/* Set from the SIGTERM handler. */
extern volatile sig_atomic_t	worker_stop;

#endif
