/*
 * ctl_client.c: iamctl client create | list | rotate-secret: an
 * operator registers an OAuth client for an organisation with the same
 * rules as /v1/admin/clients (clients.c), audited as the system.
 */
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "ctl.h"
#include "dom.h"
#include "oauth.h"
#include "text.h"

/* Every value of a repeatable flag, as a JSON array (NULL: none). */
static json_object *
all(struct op *o, int argc, char *argv[], const char *name)
{
	json_object	*a = NULL;
	int		 i;

	for (i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], name) != 0)
			continue;
		if (a == NULL)
			a = dom_keep(&o->x, json_object_new_array());
		json_object_array_add(a, json_object_new_string(argv[i + 1]));
	}
	return a;
}

static int
boolean(const char *v)
{
	return v == NULL ? -1 : strcmp(v, "true") == 0 ? 1 : 0;
}

int
cmd_client(int argc, char *argv[])
{
	static const char *const allowed_c[] = { "--org", "--name",
		"--redirect-uri", "--post-logout-uri", "--grant-type",
		"--scope", "--auth-method", "--first-party", "--id-token-alg",
		NULL };
	static const char *const allowed_l[] = { "--org", NULL };
	static const char *const allowed_r[] = { "--org", "--id", NULL };
	struct op		 o;
	struct listq		 lq;
	struct client_in	 in;
	json_object		*out = NULL;
	const char		*org;
	enum iam_err		 e;
	int			 rc;

	if (argc < 1 || wants_help(argc, argv)) {
		printf("usage: iamctl client create --org ID --name NAME "
		    "[--redirect-uri URI]... [--post-logout-uri URI]...\n"
		    "           [--grant-type G]... [--scope S]... "
		    "[--auth-method client_secret_basic|client_secret_post|"
		    "none]\n"
		    "           [--first-party true|false] "
		    "[--id-token-alg RS256|EdDSA]\n"
		    "       iamctl client list --org ID\n"
		    "       iamctl client rotate-secret --org ID --id ID\n");
		return argc < 1 ? 2 : 0;
	}
	if (strcmp(argv[0], "create") != 0 && strcmp(argv[0], "list") != 0 &&
	    strcmp(argv[0], "rotate-secret") != 0) {
		fprintf(stderr, "iamctl: client create, list or "
		    "rotate-secret\n");
		return 2;
	}
	if (!flags_ok(argc - 1, argv + 1, strcmp(argv[0], "create") == 0 ?
	    allowed_c : strcmp(argv[0], "list") == 0 ? allowed_l : allowed_r))
		return 2;
	if ((org = opt(argc, argv, "--org", NULL)) == NULL || !uuid_valid(org)) {
		fprintf(stderr, "iamctl: --org names the organisation (its "
		    "id)\n");
		return 2;
	}
	if (op_open(&o, 0) == -1)
		return 1;
	o.x.org_id = org;
	if (strcmp(argv[0], "create") == 0) {
		memset(&in, 0, sizeof(in));
		in.name = opt(argc, argv, "--name", NULL);
		in.method = opt(argc, argv, "--auth-method", NULL);
		in.alg = opt(argc, argv, "--id-token-alg", NULL);
		in.redirect_uris = all(&o, argc - 1, argv + 1, "--redirect-uri");
		in.post_logout_uris = all(&o, argc - 1, argv + 1,
		    "--post-logout-uri");
		in.grant_types = all(&o, argc - 1, argv + 1, "--grant-type");
		in.scopes = all(&o, argc - 1, argv + 1, "--scope");
		in.first_party = boolean(opt(argc, argv, "--first-party", NULL));
		in.require_pkce = -1;
		e = client_create(&o.x, &in, &out);
	} else if (strcmp(argv[0], "list") == 0) {
		lq.limit = 1000000;
		lq.offset = 0;
		e = client_list(&o.x, &lq);
		out = e == IAM_OK ? dom_json(&o.x, lq.items) : NULL;
	} else
		e = client_rotate_secret(&o.x, opt(argc, argv, "--id", ""),
		    &out);
	rc = e == IAM_OK ? 0 : fail(&o, e);
	if (rc == 0)
		print_json(out);
	op_close(&o);
	return rc;
}
