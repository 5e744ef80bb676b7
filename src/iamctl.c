/*
 * iamctl.c: the operator's tool.  It reads the same configuration as the
 * server (so run from a checkout after `make run` it talks to that stack
 * without flags) and exits 0 on success, 1 on failure, 2 on misuse.
 */
#include <libgen.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "keys.h"
#include "log.h"
#include "store.h"
#include "migrate.h"
#include "parse.h"

static const char *confpath;

static void
usage(FILE *f)
{
	fprintf(f, "usage: iamctl [-c file] command [args]\n"
	    "\n"
	    "commands:\n"
	    "  migrate up [N]     apply pending migrations (all, or N)\n"
	    "  migrate down [N]   revert the last N migrations (default 1)\n"
	    "  migrate status     list migrations; exit 3 if any is pending\n"
	    "  keys list          the signing keys and their lifetimes\n"
	    "  keys rotate        routine rotation now: a new key signs, the\n"
	    "                     old one stays published until its tokens\n"
	    "                     expire (workers pick it up within 30 s, or\n"
	    "                     at once on SIGHUP)\n"
	    "  config check       check the configuration\n"
	    "  config keys        list every configuration key\n"
	    "\n"
	    "The configuration is read from -c, $IAM_CONF, var/iam.conf,\n"
	    "conf/iam.conf or /etc/iam/iam.conf, then the environment.\n");
}

static int
load(struct config *cfg)
{
	char	err[512];

	if (conf_load(confpath, cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "iamctl: %s\n", err);
		return -1;
	}
	return 0;
}

/* The migrations directory: MIGRATIONS_DIR, else ../sql beside us. */
static int
migrations_dir(const struct config *cfg, char *out, size_t len)
{
	char	exe[PATH_MAX];
	ssize_t	n;

	if (cfg->migrations_dir[0] != '\0') {
		snprintf(out, len, "%s", cfg->migrations_dir);
		return 0;
	}
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) == -1)
		return -1;
	exe[n] = '\0';
	snprintf(out, len, "%s/../sql", dirname(exe));
	return 0;
}

static int
cmd_migrate(int argc, char *argv[])
{
	struct config	 cfg;
	PGconn		*c;
	char		 dir[PATH_MAX];
	int64_t		 n = 0;
	int		 rc = 1;

	if (argc < 1 || argc > 2 || (strcmp(argv[0], "up") != 0 &&
	    strcmp(argv[0], "down") != 0 && strcmp(argv[0], "status") != 0)) {
		usage(stderr);
		return 2;
	}
	if (argc == 2 && (strcmp(argv[0], "status") == 0 ||
	    parse_int(argv[1], 1, 1000, &n) == -1)) {
		fprintf(stderr, "iamctl: migrate %s: bad count %s\n", argv[0],
		    argv[1]);
		return 2;
	}
	if (load(&cfg) == -1)
		return 1;
	if (migrations_dir(&cfg, dir, sizeof(dir)) == -1) {
		conf_free(&cfg);
		return 1;
	}
	c = PQconnectdb(cfg.database_url);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "iamctl: database: %s", c ? PQerrorMessage(c) :
		    "out of memory\n");
		PQfinish(c);
		conf_free(&cfg);
		return 1;
	}
	if (strcmp(argv[0], "up") == 0)
		rc = migrate_up(c, dir, (int)n, stdout) == 0 ? 0 : 1;
	else if (strcmp(argv[0], "down") == 0)
		rc = migrate_down(c, dir, (int)n, stdout) == 0 ? 0 : 1;
	else {
		rc = migrate_status(c, dir, stdout);
		rc = rc < 0 ? 1 : rc > 0 ? 3 : 0;
	}
	PQfinish(c);
	conf_free(&cfg);
	return rc;
}

static int
cmd_keys(int argc, char *argv[])
{
	struct config	 cfg;
	struct store	 s;
	struct keyring	 kr;
	time_t		 now = time(NULL);
	size_t		 i;
	int		 rc = 1;

	if (argc != 1 || (strcmp(argv[0], "list") != 0 &&
	    strcmp(argv[0], "rotate") != 0)) {
		usage(stderr);
		return 2;
	}
	if (load(&cfg) == -1)
		return 1;
	log_init(LOG_ERROR, "iamctl");
	store_init(&s, &cfg);
	memset(&kr, 0, sizeof(kr));
	if (store_ready(&s) != 1) {
		fprintf(stderr, "iamctl: database unavailable\n");
		goto out;
	}
	if (strcmp(argv[0], "rotate") == 0 && keys_rotate(&s, &cfg, now) == -1) {
		fprintf(stderr, "iamctl: rotation failed\n");
		goto out;
	}
	if (keys_refresh(&kr, &s, &cfg, now, 1) == -1) {
		fprintf(stderr, "iamctl: cannot read the keys (is "
		    "SECRET_ENCRYPTION_KEY right?)\n");
		goto out;
	}
	for (i = 0; i < kr.n; i++)
		printf("%s %s activates=%lld retires=%lld expires=%lld\n",
		    kr.k[i].kid, keys_current(&kr, now) == &kr.k[i] ?
		    "signing" : kr.k[i].activates > now ? "next" : "published",
		    (long long)kr.k[i].activates, (long long)kr.k[i].retires,
		    (long long)kr.k[i].expires);
	rc = 0;
out:
	keys_free(&kr);
	store_close(&s);
	conf_free(&cfg);
	return rc;
}

static int
cmd_config(int argc, char *argv[])
{
	struct config	cfg;

	if (argc == 1 && strcmp(argv[0], "keys") == 0) {
		conf_list(stdout);
		return 0;
	}
	if (argc != 1 || strcmp(argv[0], "check") != 0) {
		usage(stderr);
		return 2;
	}
	if (load(&cfg) == -1)
		return 1;
	printf("configuration OK (%s)\n", cfg.path ? cfg.path :
	    "environment only");
	conf_free(&cfg);
	return 0;
}

int
main(int argc, char *argv[])
{
	int	ch;

	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	while ((ch = getopt(argc, argv, "+c:h")) != -1) {
		switch (ch) {
		case 'c':
			confpath = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[0], "migrate") == 0)
		return cmd_migrate(argc - 1, argv + 1);
	if (strcmp(argv[0], "keys") == 0)
		return cmd_keys(argc - 1, argv + 1);
	if (strcmp(argv[0], "config") == 0)
		return cmd_config(argc - 1, argv + 1);
	fprintf(stderr, "iamctl: unknown command %s\n", argv[0]);
	usage(stderr);
	return 2;
}
