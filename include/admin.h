/*
 * admin.h: the administrative rules (domain layer): members, roles,
 * organisations, invitations, the audit log and breach response.  Every
 * call acts within the caller's organisation (x->org_id) with the
 * permissions the dispatcher loaded (x->perms); an id from another
 * organisation is NOT_FOUND.  Objects handed back live in the arena.
 */
#ifndef IAM_ADMIN_H
#define IAM_ADMIN_H

#include <json-c/json.h>
#include <stdint.h>

#include "accounts.h"

/* One page of a list. */
struct listq {
	int64_t		 limit, offset;
	const char	*items;		/* out: a JSON array, as text */
	int64_t		 total;		/* out */
};

/* members.c */
struct user_query {
	const char	*search, *role, *status, *sort;
};
enum iam_err	member_list(struct actx *, const struct user_query *,
		    struct listq *);
enum iam_err	member_get(struct actx *, const char *id, json_object **);
/* A member to create: no password means an invitation mail. */
struct member_in {
	const char		*email, *password, *first, *last, *status;
	const struct strlist	*roles;		/* NULL: ["user"] */
	int			 verified;	/* -1, 0 or 1 */
};
/* A member's profile and status as an administrator changes them. */
struct member_patch {
	struct profile_in	 profile;
	const char		*status;
};
enum iam_err	member_create(struct actx *, const struct member_in *,
		    json_object **);
enum iam_err	member_update(struct actx *, const char *id,
		    const struct member_patch *, json_object **);
enum iam_err	member_set_roles(struct actx *, const char *id,
		    const struct strlist *roles, json_object **);
enum iam_err	member_delete(struct actx *, const char *id);
enum iam_err	member_revoke_sessions(struct actx *, const char *id);
enum iam_err	member_force_reset(struct actx *, const char *id);
/* iamctl create-admin: a system administrator, owner of the default
 * organisation, verified. */
enum iam_err	member_create_admin(struct actx *, const char *email,
		    const char *password, char **uid);

/* roles.c */
enum iam_err	role_list(struct actx *, json_object **);
enum iam_err	role_get(struct actx *, const char *id, json_object **);
struct role_in {
	const char		*slug, *name, *description;
	const struct strlist	*permissions;
};
enum iam_err	role_create(struct actx *, const struct role_in *,
		    json_object **);
enum iam_err	role_update(struct actx *, const char *id,
		    const struct role_in *, json_object **);
enum iam_err	role_delete(struct actx *, const char *id);
json_object	*role_permissions(struct actx *);
/*
 * Resolves role slugs in the caller's organisation: *csv
 * the slugs, *perms every permission they carry.  VALIDATION_ERROR
 * (field) for an unknown slug.
 */
enum iam_err	role_resolve(struct actx *, const struct strlist *slugs,
		    const char *field, char **csv, char **perms);

/* orgs.c */
struct org_in {
	const char	*name, *slug, *status;
	json_object	*settings;	/* merged into the stored settings */
};
/* An organisation and its owner, for onboarding. */
struct onboard_in {
	struct org_in	 org;		/* name and slug */
	const char	*email, *password, *first, *last;
};
enum iam_err	org_get(struct actx *, const char *id, json_object **);
/* The caller's organisation: name, settings. */
enum iam_err	org_update(struct actx *, const struct org_in *,
		    json_object **);
enum iam_err	org_list(struct actx *, const char *status, struct listq *);
/* A system administrator's: name, slug, settings. */
enum iam_err	org_create(struct actx *, const struct org_in *,
		    json_object **);
/* A system administrator's: name, status. */
enum iam_err	org_patch(struct actx *, const char *id,
		    const struct org_in *, json_object **);
enum iam_err	org_delete(struct actx *, const char *id);
/* The organisation, its owner and the owner's tokens. */
enum iam_err	org_onboard(struct actx *, const struct onboard_in *,
		    json_object **);

/* invites.c */
enum iam_err	invite_list(struct actx *, struct listq *);
enum iam_err	invite_create(struct actx *, const char *email,
		    const char *role, json_object **);
enum iam_err	invite_revoke(struct actx *, const char *id);
enum iam_err	invite_resend(struct actx *, const char *id);
enum iam_err	invite_public(struct actx *, const char *token,
		    json_object **);
enum iam_err	invite_accept(struct actx *, const char *token,
		    const char *password, const char *first, const char *last,
		    json_object **);

/* auditq.c */
struct audit_query {
	const char	*actor, *action, *category, *target, *success;
	const char	*since, *until;
};
enum iam_err	auditq_list(struct actx *, const struct audit_query *,
		    struct listq *);
enum iam_err	auditq_get(struct actx *, const char *id, json_object **);
/* {valid, checked, firstBrokenId} over the caller's organisation's
 * chain (pending events linked first). */
enum iam_err	auditq_verify(struct actx *, json_object **);
struct chain_report;
/* One chain (an organisation id, or the instance chain's nil UUID), linked first. */
enum iam_err	auditq_verify_chain(struct actx *, const char *chain,
		    struct chain_report *);

/*
 * Deletes, chain by chain, events older than days (keeping each chain's
 * newest link, and, when exporting, whatever the exporter has not
 * shipped), anchoring each chain at the last link taken out so it still
 * verifies.  *purged counts them.  The owner's connection.
 */
enum iam_err	auditq_purge(struct actx *, int64_t days, int exporting,
		    int64_t *purged);
/* Erases the actor email, IP and user agent of a user's events (the
 * owner's connection); the chain stays valid.  *erased counts them. */
enum iam_err	auditq_erase(struct actx *, const char *user_id,
		    int64_t *erased);

/* breach.c: each answers *affected. */
enum iam_err	breach_revoke(struct actx *, const char *org,
		    const char *user, int64_t *affected);
enum iam_err	breach_force_reset(struct actx *, int64_t *affected);
enum iam_err	breach_rotate_signing(struct actx *, int64_t *affected);
enum iam_err	breach_rotate_encryption(struct actx *, int64_t *affected);

#endif
