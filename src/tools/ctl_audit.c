/*
 * ctl_audit.c: iamctl audit: verify every chain, link, rotate the chain
 * key, purge and erase (as the owner), export.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "chain.h"
#include "chainkeys.h"
#include "ctl.h"
#include "dom.h"
#include "store_audit.h"
#include "export.h"
#include "log.h"
#include "text.h"
#include "store.h"

/* Every chain: one line each, broken ones named.  0 all valid, 1 not. */
static int
verify_all(struct op *o)
{
	struct chain_report	 rep;
	struct chainkeys	 ck;
	const char		**ids;
	enum iam_err		 e;
	int			 i, n, bad = 0;

	memset(&ck, 0, sizeof(ck));
	if (chain_link_all(&o->w.db, &o->cfg, &ck) == -1) {
		chainkeys_wipe(&ck);
		return fail(o, IAM_E_SERVICE_UNAVAILABLE);
	}
	chainkeys_wipe(&ck);
	if ((n = store_audit_chains(&o->w.db, o->x.a, &ids)) < 0)
		return fail(o, IAM_E_SERVICE_UNAVAILABLE);
	for (i = 0; i < n; i++) {
		if ((e = auditq_verify_chain(&o->x, ids[i], &rep)) != IAM_OK)
			return fail(o, e);
		if (rep.broken) {
			bad = 1;
			printf("%s broken checked=%lld firstBrokenId=%s (%s)\n",
			    ids[i], (long long)rep.checked, rep.first_broken,
			    rep.why);
		} else
			printf("%s valid checked=%lld\n", ids[i],
			    (long long)rep.checked);
	}
	printf("%d chains, %s\n", n, bad ? "broken" : "valid");
	return bad;
}

static int
chain_once(struct op *o)
{
	struct chainkeys	ck;
	int			rc;

	memset(&ck, 0, sizeof(ck));
	rc = chain_link_all(&o->w.db, &o->cfg, &ck);
	chainkeys_wipe(&ck);
	if (rc == -1)
		return fail(o, IAM_E_SERVICE_UNAVAILABLE);
	printf("linked\n");
	return 0;
}

int
cmd_audit(int argc, char *argv[])
{
	static const char *const allowed[] = { "--days", NULL };
	struct op	 o;
	json_object	*out = NULL;
	enum iam_err	 e;
	int64_t		 days, n;
	long		 shipped;
	int		 rc, follow;

	if (argc < 1 || wants_help(argc, argv)) {
		printf("usage: iamctl audit verify\n"
		    "       iamctl audit chain [--follow]\n"
		    "       iamctl audit rotate-key\n"
		    "       iamctl audit purge [--days N]\n"
		    "       iamctl audit erase --user ID\n"
		    "       iamctl audit export [--follow]\n");
		return argc < 1 ? 2 : 0;
	}
	(void)out;
	if (strcmp(argv[0], "verify") == 0 && argc == 1) {
		if (op_open(&o, 1) == -1)
			return 1;
		rc = verify_all(&o);
	} else if (strcmp(argv[0], "chain") == 0 && (argc == 1 ||
	    (argc == 2 && strcmp(argv[1], "--follow") == 0))) {
		if (op_open(&o, 1) == -1)
			return 1;
		signal(SIGTERM, on_term);
		signal(SIGINT, on_term);
		rc = argc == 2 ? (chain_follow(&o.w.db, &o.cfg, &stop) == 0 ?
		    0 : 1) : chain_once(&o);
	} else if (strcmp(argv[0], "rotate-key") == 0 && argc == 1) {
		struct chainkeys	ck;
		int			v;

		if (op_open(&o, 1) == -1)
			return 1;
		memset(&ck, 0, sizeof(ck));
		/* links so far keep their key; the new one takes over */
		rc = chain_link_all(&o.w.db, &o.cfg, &ck) == 0 &&
		    chainkeys_rotate(&o.w.db, &o.cfg, &v) == 0 ? 0 : 1;
		chainkeys_wipe(&ck);
		if (rc == 0) {
			printf("chain key version %d makes new links\n", v);
			(void)audit(&o.x, "audit.rotate_key", 1, NULL, NULL,
			    "audit_key", NULL, NULL, NULL);
		} else
			fprintf(stderr, "iamctl: rotation failed\n");
	} else if (strcmp(argv[0], "erase") == 0 && argc == 3 &&
	    strcmp(argv[1], "--user") == 0) {
		if (op_open_as(&o, 1, 1) == -1)
			return 1;
		e = auditq_erase(&o.x, argv[2], &n);
		rc = e == IAM_OK ? 0 : fail(&o, e);
		if (rc == 0)
			printf("erased the personal fields of %lld events\n",
			    (long long)n);
	} else if (strcmp(argv[0], "purge") == 0) {
		if (!flags_ok(argc - 1, argv + 1, allowed))
			return 2;
		if (op_open_as(&o, 1, 1) == -1)
			return 1;
		days = o.cfg.audit_retention_days;
		if (opt(argc, argv, "--days", NULL) != NULL &&
		    parse_int(opt(argc, argv, "--days", NULL), 0, 36500,
		    &days) == -1) {
			fprintf(stderr, "iamctl: --days takes 0 to 36500\n");
			op_close(&o);
			return 2;
		}
		e = auditq_purge(&o.x, days, o.cfg.log_remote_url[0] != '\0',
		    &n);
		rc = e == IAM_OK ? 0 : fail(&o, e);
		if (rc == 0)
			printf("purged %lld events older than %lld days\n",
			    (long long)n, (long long)days);
	} else if (strcmp(argv[0], "export") == 0 && (argc == 1 ||
	    (argc == 2 && strcmp(argv[1], "--follow") == 0))) {
		follow = argc == 2;
		if (op_open(&o, 0) == -1)
			return 1;
		if (o.cfg.log_remote_url[0] == '\0') {
			fprintf(stderr, "iamctl: LOG_REMOTE_URL is not set\n");
			op_close(&o);
			return 2;
		}
		signal(SIGTERM, on_term);
		signal(SIGINT, on_term);
		log_init((enum log_level)o.cfg.log_level, "iam-export");
		/* Only linked events are shipped: link what is pending. */
		{
			struct chainkeys	ck;

			memset(&ck, 0, sizeof(ck));
			rc = chain_link_all(&o.w.db, &o.cfg, &ck);
			chainkeys_wipe(&ck);
		}
		rc = rc == 0 && export_run(&o.w.db, &o.cfg, follow, &stop,
		    &shipped) == 0 ? 0 : 1;
		printf("exported %ld events\n", shipped);
	} else {
		fprintf(stderr, "iamctl: audit verify, chain, rotate-key, "
		    "purge, erase or export\n");
		return 2;
	}
	op_close(&o);
	return rc;
}

