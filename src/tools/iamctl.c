/*
 * iamctl.c: the operator's tool.  It reads the same configuration as the
 * server (so run from a checkout after `make run` it talks to that stack
 * without flags) and exits 0 on success, 1 on failure, 2 on misuse.
 */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <signal.h>

#include "admin.h"
#include "ctl.h"
#include "conf.h"
#include "dom.h"
#include "store_user.h"
#include "export.h"
#include "keys.h"
#include "log.h"
#include "store.h"
#include "migrate.h"
#include "text.h"
#include "env.h"

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
	    "  create-admin --email EMAIL\n"
	    "                     a system administrator, owner of the\n"
	    "                     default organisation; the password is the\n"
	    "                     first line of standard input\n"
	    "  org create --name NAME --slug SLUG\n"
	    "  org list [--status active|suspended]\n"
	    "  user list [--org ID] [--search TEXT] [--limit N]\n"
	    "  user show ID|EMAIL\n"
	    "  user suspend ID|EMAIL\n"
	    "  revoke-tokens [--org ID | --user ID]\n"
	    "                     end every session and token (all, or one\n"
	    "                     organisation's, or one user's), access\n"
	    "                     tokens included\n"
	    "  force-password-reset\n"
	    "                     every user must reset; every session ends\n"
	    "  rotate-signing-key withdraw every signing key now (their\n"
	    "                     tokens stop verifying); a new one signs\n"
	    "  rotate-encryption-key\n"
	    "                     re-seal every stored secret under\n"
	    "                     SECRET_ENCRYPTION_KEY (the old key in\n"
	    "                     SECRET_ENCRYPTION_KEY_PREVIOUS)\n"
	    "  audit verify       link what is pending, then verify every\n"
	    "                     organisation's chain and the instance\n"
	    "                     chain; exit 1 if any is broken\n"
	    "  audit chain [--follow]\n"
	    "                     link pending events (once, or until\n"
	    "                     SIGTERM: for IAM_WORKERS=0 deployments)\n"
	    "  audit rotate-key   a new chain key makes new links\n"
	    "  audit purge [--days N]\n"
	    "                     delete events older than N days (default\n"
	    "                     AUDIT_RETENTION_DAYS), anchoring each chain\n"
	    "                     (DATABASE_OWNER_URL)\n"
	    "  audit erase --user ID\n"
	    "                     erase the email, IP and user agent of the\n"
	    "                     user's events (DATABASE_OWNER_URL)\n"
	    "  audit export [--follow]\n"
	    "                     ship events to LOG_REMOTE_URL (once, or\n"
	    "                     until SIGTERM)\n"
	    "\n"
	    "Each command takes --help.  Exit status: 0 done, 1 failed, 2\n"
	    "misuse, 3 (migrate status) pending, 4 not found, 5 conflict.\n"
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
	struct pg_conn	*c;
	char		 dir[PATH_MAX];
	int64_t		 n = 0;
	int		 rc = 1, owner;

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
	/* The owner migrates, and grants the runtime role what it needs. */
	owner = cfg.database_owner_url != NULL &&
	    cfg.database_owner_url[0] != '\0';
	if ((c = migrate_connect(owner ? cfg.database_owner_url :
	    cfg.database_url, stderr)) == NULL) {
		conf_free(&cfg);
		return 1;
	}
	if (strcmp(argv[0], "up") == 0) {
		rc = migrate_up(c, dir, (int)n, stdout) == 0 ? 0 : 1;
		if (rc == 0 && owner)
			rc = migrate_grant(c, dir, cfg.database_url, stdout) ==
			    0 ? 0 : 1;
	}
	else if (strcmp(argv[0], "down") == 0)
		rc = migrate_down(c, dir, (int)n, stdout) == 0 ? 0 : 1;
	else {
		rc = migrate_status(c, dir, stdout);
		rc = rc < 0 ? 1 : rc > 0 ? 3 : 0;
	}
	migrate_disconnect(c);
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

/* A domain context for the operator: acting as the system, with every
 * permission, in organisation org (may be NULL). */
volatile sig_atomic_t	stop;

void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* Connects as the runtime role, or as the owner (DATABASE_OWNER_URL,
 * when set) for what the runtime role may not do. */
int
op_open_as(struct op *o, int no_timeout, int owner)
{
	memset(o, 0, sizeof(*o));
	if (load(&o->cfg) == -1)
		return -1;
	if (owner && o->cfg.database_owner_url != NULL &&
	    o->cfg.database_owner_url[0] != '\0') {
		char	*t = o->cfg.database_url;	/* both are freed */

		o->cfg.database_url = o->cfg.database_owner_url;
		o->cfg.database_owner_url = t;
	}
	if (no_timeout)
		o->cfg.db_statement_timeout = 0;
	log_init(LOG_ERROR, "iamctl");
	o->w.cfg = &o->cfg;
	store_init(&o->w.db, &o->cfg);
	arena_init(&o->w.arena, 0);
	if (store_ready(&o->w.db) != 1) {
		fprintf(stderr, "iamctl: database unavailable\n");
		store_close(&o->w.db);
		arena_free(&o->w.arena);
		conf_free(&o->cfg);
		return -1;
	}
	o->x.w = &o->w;
	o->x.a = &o->w.arena;
	o->x.ip = "local";
	o->x.ua = "iamctl";
	o->x.perms = "*";
	o->x.actor_type = "system";
	return 0;
}

int
op_open(struct op *o, int no_timeout)
{
	return op_open_as(o, no_timeout, 0);
}

void
op_close(struct op *o)
{
	keys_free(&o->w.keys);
	revoke_free(&o->w.revoked);
	store_close(&o->w.db);
	arena_free(&o->w.arena);
	conf_free(&o->cfg);
}

/* Maps a domain error to a message and an exit status. */
int
fail(struct op *o, enum iam_err e)
{
	fprintf(stderr, "iamctl: %s%s%s\n", o->x.message ? o->x.message :
	    iam_err_message(e), o->x.field ? " (" : "", o->x.field ?
	    o->x.field : "");
	switch (e) {
	case IAM_E_NOT_FOUND:
		return 4;
	case IAM_E_CONFLICT:
	case IAM_E_EMAIL_EXISTS:
		return 5;
	case IAM_E_VALIDATION:
	case IAM_E_WEAK_PASSWORD:
		return 2;
	default:
		return 1;
	}
}

void
print_json(json_object *j)
{
	printf("%s\n", json_object_to_json_string_ext(j,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* The value after flag name in argv, or def. */
const char *
opt(int argc, char *argv[], const char *name, const char *def)
{
	int	i;

	for (i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return def;
}

int
wants_help(int argc, char *argv[])
{
	int	i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

/* Checks that argv holds only the flags listed (each with a value). */
int
flags_ok(int argc, char *argv[], const char *const *allowed)
{
	int	i;
	size_t	j;

	for (i = 0; i < argc; i += 2) {
		for (j = 0; allowed[j] != NULL; j++)
			if (strcmp(argv[i], allowed[j]) == 0)
				break;
		if (allowed[j] == NULL || i + 1 >= argc) {
			fprintf(stderr, "iamctl: unexpected argument %s\n",
			    argv[i]);
			return 0;
		}
	}
	return 1;
}

static int
cmd_create_admin(int argc, char *argv[])
{
	static const char *const allowed[] = { "--email", NULL };
	const char	*email = opt(argc, argv, "--email", NULL);
	char		 pw[1100], *uid, *nl;
	struct op	 o;
	enum iam_err	 e;
	int		 rc;

	if (wants_help(argc, argv)) {
		printf("usage: iamctl create-admin --email EMAIL < password\n"
		    "Creates a verified system administrator who owns the "
		    "default organisation.\nThe password is the first line "
		    "of standard input.\n");
		return 0;
	}
	if (!flags_ok(argc, argv, allowed) || email == NULL ||
	    !email_valid(email)) {
		fprintf(stderr, "iamctl: create-admin needs --email with a "
		    "valid address\n");
		return 2;
	}
	if (fgets(pw, sizeof(pw), stdin) == NULL) {
		fprintf(stderr, "iamctl: no password on standard input\n");
		return 2;
	}
	if ((nl = strchr(pw, '\n')) != NULL)
		*nl = '\0';
	if (strlen(pw) > 1024) {
		explicit_bzero(pw, sizeof(pw));
		fprintf(stderr, "iamctl: password too long\n");
		return 2;
	}
	if (op_open(&o, 0) == -1) {
		explicit_bzero(pw, sizeof(pw));
		return 1;
	}
	e = member_create_admin(&o.x, email, pw, &uid);
	explicit_bzero(pw, sizeof(pw));
	rc = e == IAM_OK ? 0 : fail(&o, e);
	if (rc == 0)
		printf("created system administrator %s (%s)\n", email, uid);
	op_close(&o);
	return rc;
}

static int
cmd_org(int argc, char *argv[])
{
	static const char *const allowed_c[] = { "--name", "--slug", NULL };
	static const char *const allowed_l[] = { "--status", NULL };
	struct op	 o;
	struct listq	 lq;
	struct org_in	 in;
	json_object	*out = NULL;
	enum iam_err	 e;
	int		 rc;

	if (argc < 1 || wants_help(argc, argv)) {
		printf("usage: iamctl org create --name NAME --slug SLUG\n"
		    "       iamctl org list [--status active|suspended]\n");
		return argc < 1 ? 2 : 0;
	}
	if (strcmp(argv[0], "create") == 0) {
		if (!flags_ok(argc - 1, argv + 1, allowed_c) ||
		    opt(argc, argv, "--name", NULL) == NULL ||
		    opt(argc, argv, "--slug", NULL) == NULL) {
			fprintf(stderr, "iamctl: org create needs --name and "
			    "--slug\n");
			return 2;
		}
		if (op_open(&o, 0) == -1)
			return 1;
		memset(&in, 0, sizeof(in));
		in.name = opt(argc, argv, "--name", NULL);
		in.slug = opt(argc, argv, "--slug", NULL);
		e = org_create(&o.x, &in, &out);
	} else if (strcmp(argv[0], "list") == 0) {
		if (!flags_ok(argc - 1, argv + 1, allowed_l))
			return 2;
		if (op_open(&o, 0) == -1)
			return 1;
		lq.limit = 1000000;
		lq.offset = 0;
		e = org_list(&o.x, opt(argc, argv, "--status", NULL), &lq);
		out = e == IAM_OK ? dom_json(&o.x, lq.items) : NULL;
	} else {
		fprintf(stderr, "iamctl: org create or org list\n");
		return 2;
	}
	rc = e == IAM_OK ? 0 : fail(&o, e);
	if (rc == 0)
		print_json(out);
	op_close(&o);
	return rc;
}

/* Resolves ID|EMAIL to a live user: *uid and *org, or an exit status. */
static int
find_user(struct op *o, const char *who, const char **uid, const char **org)
{
	struct user_row		 u;
	struct user_brief	 b;
	const char		*key;
	int			 rc;

	if (uuid_valid(who)) {
		rc = store_user_get(&o->w.db, o->x.a, who, &u);
		*uid = u.id;
		*org = u.org_id;
	} else {
		/* An address finds its account by its canonical key. */
		if ((key = dom_email_key(&o->x, who)) == NULL)
			return 1;
		rc = store_user_for_email(&o->w.db, o->x.a, key, &b);
		*uid = b.id;
		*org = b.org;
	}
	if (rc < 0) {
		fprintf(stderr, "iamctl: database unavailable\n");
		return 1;
	}
	if (rc == 0) {
		fprintf(stderr, "iamctl: no such user\n");
		return 4;
	}
	return 0;
}

static int
cmd_user(int argc, char *argv[])
{
	static const char *const allowed[] = { "--org", "--search",
		"--limit", NULL };
	struct user_query	 q;
	struct listq		 lq;
	struct op		 o;
	const char		*uid, *org, *p[1] = { "open" };
	struct member_patch	 patch;
	json_object		*out = NULL;
	enum iam_err		 e = IAM_OK;
	struct org_brief	 ob;
	int64_t			 lim = 50;
	int			 rc;

	if (argc < 1 || wants_help(argc, argv)) {
		printf("usage: iamctl user list [--org ID] [--search TEXT] "
		    "[--limit N]\n"
		    "       iamctl user show ID|EMAIL\n"
		    "       iamctl user suspend ID|EMAIL\n");
		return argc < 1 ? 2 : 0;
	}
	if (strcmp(argv[0], "list") == 0) {
		if (!flags_ok(argc - 1, argv + 1, allowed) ||
		    (opt(argc, argv, "--limit", NULL) != NULL &&
		    parse_int(opt(argc, argv, "--limit", NULL), 1, 1000000,
		    &lim) == -1) || (opt(argc, argv, "--org", NULL) != NULL &&
		    !uuid_valid(opt(argc, argv, "--org", NULL)))) {
			fprintf(stderr, "iamctl: user list [--org ID] "
			    "[--search TEXT] [--limit N]\n");
			return 2;
		}
		if (op_open(&o, 0) == -1)
			return 1;
		o.x.org_id = opt(argc, argv, "--org", NULL);
		if (o.x.org_id == NULL) {
			if (store_org_default(&o.w.db, o.x.a, p[0], &ob) !=
			    1) {
				op_close(&o);
				return 1;
			}
			o.x.org_id = ob.id;
		}
		memset(&q, 0, sizeof(q));
		q.search = opt(argc, argv, "--search", NULL);
		lq.limit = lim;
		lq.offset = 0;
		e = member_list(&o.x, &q, &lq);
		out = e == IAM_OK ? dom_json(&o.x, lq.items) : NULL;
	} else if ((strcmp(argv[0], "show") == 0 ||
	    strcmp(argv[0], "suspend") == 0) && argc == 2) {
		if (op_open(&o, 0) == -1)
			return 1;
		if ((rc = find_user(&o, argv[1], &uid, &org)) != 0) {
			op_close(&o);
			return rc;
		}
		o.x.org_id = org;
		if (strcmp(argv[0], "show") == 0)
			e = member_get(&o.x, uid, &out);
		else {
			memset(&patch, 0, sizeof(patch));
			patch.status = "suspended";
			e = member_update(&o.x, uid, &patch, &out);
		}
	} else {
		fprintf(stderr, "iamctl: user list, show ID|EMAIL or "
		    "suspend ID|EMAIL\n");
		return 2;
	}
	rc = e == IAM_OK ? 0 : fail(&o, e);
	if (rc == 0)
		print_json(out);
	op_close(&o);
	return rc;
}

static int
cmd_breach(const char *cmd, int argc, char *argv[])
{
	static const char *const allowed[] = { "--org", "--user", NULL };
	static const char *const none[] = { NULL };
	const char	*org = opt(argc, argv, "--org", NULL);
	const char	*user = opt(argc, argv, "--user", NULL);
	struct op	 o;
	enum iam_err	 e;
	int64_t		 n = 0;
	int		 rc, revoke = strcmp(cmd, "revoke-tokens") == 0;

	if (wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	if (!flags_ok(argc, argv, revoke ? allowed : none) ||
	    (org != NULL && !uuid_valid(org)) ||
	    (user != NULL && !uuid_valid(user)) ||
	    (org != NULL && user != NULL)) {
		fprintf(stderr, "iamctl: %s%s\n", cmd, revoke ?
		    " [--org ID | --user ID]" : " takes no arguments");
		return 2;
	}
	if (op_open(&o, 1) == -1)
		return 1;
	if (revoke)
		e = breach_revoke(&o.x, org, user, &n);
	else if (strcmp(cmd, "force-password-reset") == 0)
		e = breach_force_reset(&o.x, &n);
	else if (strcmp(cmd, "rotate-signing-key") == 0)
		e = breach_rotate_signing(&o.x, &n);
	else
		e = breach_rotate_encryption(&o.x, &n);
	rc = e == IAM_OK ? 0 : fail(&o, e);
	if (rc == 0)
		printf("%s: affected %lld\n", cmd, (long long)n);
	op_close(&o);
	return rc;
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
	if (strcmp(argv[0], "create-admin") == 0)
		return cmd_create_admin(argc - 1, argv + 1);
	if (strcmp(argv[0], "org") == 0)
		return cmd_org(argc - 1, argv + 1);
	if (strcmp(argv[0], "user") == 0)
		return cmd_user(argc - 1, argv + 1);
	if (strcmp(argv[0], "client") == 0)
		return cmd_client(argc - 1, argv + 1);
	if (strcmp(argv[0], "audit") == 0)
		return cmd_audit(argc - 1, argv + 1);
	if (strcmp(argv[0], "revoke-tokens") == 0 ||
	    strcmp(argv[0], "force-password-reset") == 0 ||
	    strcmp(argv[0], "rotate-signing-key") == 0 ||
	    strcmp(argv[0], "rotate-encryption-key") == 0)
		return cmd_breach(argv[0], argc - 1, argv + 1);
	fprintf(stderr, "iamctl: unknown command %s\n", argv[0]);
	usage(stderr);
	return 2;
}
