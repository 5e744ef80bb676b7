/*
 * main.c: iam-fcgi.  Checks its configuration, refuses to run as root, and
 * then serves in one of three ways: as a FastCGI master forking workers
 * (spawn-fcgi, the default), as a single FastCGI process (IAM_WORKERS=0,
 * for Apache mod_fcgid, which manages processes itself), or as plain CGI
 * when not started on a FastCGI socket (shared hosting).
 */
#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "html.h"
#include "hashcap.h"
#include "log.h"
#include "master.h"
#include "metrics.h"
#include "router.h"
#include "worker.h"

static void
usage(void)
{
	fprintf(stderr, "usage: iam-fcgi [-nK] [-c file]\n"
	    "  -c file  configuration file (default: $IAM_CONF, var/iam.conf,"
	    " conf/iam.conf, /etc/iam/iam.conf)\n"
	    "  -n       check the configuration and exit\n"
	    "  -K       list the configuration keys and exit\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct config	 cfg;
	struct env	 w;
	const char	*path = NULL;
	char		 err[512];
	int		 ch, check = 0, rc;

	while ((ch = getopt(argc, argv, "c:nK")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'K':
			conf_list(stdout);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (conf_load(path, &cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "iam-fcgi: %s\n", err);
		return 1;
	}
	/* The page templates, once, before any worker forks: a broken one
	 * stops the start with one line naming it. */
	if (tmpl_load(cfg.templates_dir, cfg.template_override_dir, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "iam-fcgi: %s\n", err);
		conf_free(&cfg);
		return 1;
	}
	if (check) {
		printf("iam-fcgi: configuration OK (%s)\n",
		    cfg.path ? cfg.path : "environment only");
		tmpl_free();
		conf_free(&cfg);
		return 0;
	}
	if (geteuid() == 0 || getuid() == 0) {
		fprintf(stderr, "iam-fcgi: refusing to run as root; start it "
		    "as an unprivileged user (spawn-fcgi -u USER)\n");
		conf_free(&cfg);
		return 1;
	}
	log_init(cfg.log_level, "iam-fcgi");
	if (metrics_init(nroutes) == -1) {
		fprintf(stderr, "iam-fcgi: cannot map metrics memory\n");
		conf_free(&cfg);
		return 1;
	}
	if (FCGX_IsCGI()) {
		if (getenv("REQUEST_METHOD") == NULL) {
			fprintf(stderr, "iam-fcgi: not started on a FastCGI "
			    "socket (spawn-fcgi, mod_fcgid) nor as CGI\n");
			conf_free(&cfg);
			return 2;
		}
		log_init(cfg.log_level, "cgi");
		if (hashcap_init(&cfg, 0) == -1 || env_init(&w, &cfg, 0) == -1)
			return 1;
		rc = worker_cgi(&w);
		env_free(&w);
		tmpl_free();
		conf_free(&cfg);
		return rc;
	}
	if (cfg.workers == 0) {
		log_init(cfg.log_level, "worker");
		if (hashcap_init(&cfg, 0) == -1 || env_init(&w, &cfg, 1) == -1)
			return 1;
		rc = worker_loop(&w, 0);
		env_free(&w);
		tmpl_free();
		conf_free(&cfg);
		return rc;
	}
	return master_run(&cfg, path != NULL ? path : cfg.path);
}
