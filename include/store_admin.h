/*
 * store_admin.h: roles, organisations and invitations, typed
 * (store_admin.c).  Reads return three states: <0 broken, 0 not found,
 * >0 found (lists: how many rows; their documents as one JSON array
 * text); writes 0 or -1.  Strings are copied into the arena given.
 */
#ifndef IAM_STORE_ADMIN_H
#define IAM_STORE_ADMIN_H

#include <stdint.h>

struct arena;
struct store;

struct role_brief {
	const char	*id, *slug, *perms;	/* perms: comma list */
};

struct role_row {
	const char	*doc;			/* role_doc, JSON text */
	const char	*slug, *perms;
	int		 builtin;
};

struct org_row {
	const char	*id, *slug, *name, *status;
	const char	*settings;		/* JSON text */
	const char	*created, *updated;	/* RFC 3339 */
	int		 is_default;
};

/* What a resent invitation's mail says. */
struct invite_mailing {
	const char	*email, *org_name, *role;
};

/* A live invitation, its row locked (open transaction). */
struct invite_row {
	const char	*id, *email, *role, *role_id;
	const char	*org, *org_name, *org_slug, *expires;
};

/* The roles of org among the slugs of csv. */
int	 store_roles_by_slugs(struct store *, struct arena *, const char *org,
	    const char *csv, struct role_brief **);
int	 store_user_role_add_slug(struct store *, const char *uid,
	    const char *org, const char *slug);
int	 store_user_roles_clear(struct store *, const char *uid);
/* The owners of org but uid, counted under the organisation's lock
 * (open transaction: the last-owner rule); -1 broken. */
int64_t	 store_owners_other(struct store *, const char *org, const char *uid);
int	 store_roles_list(struct store *, struct arena *, const char *org,
	    char **items);
int	 store_role_get(struct store *, struct arena *, const char *org,
	    const char *id, struct role_row *);
/* org, slug, name, description, permissions (comma list); 0: the slug is
 * taken. */
int	 store_role_insert(struct store *, struct arena *,
	    const char *const p[5], char **doc, char **id);
/* org, id, then slug, name, description, permissions (NULL: kept). */
int	 store_role_update(struct store *, struct arena *,
	    const char *const p[6], char **doc);
/* Not a built-in one. */
int	 store_role_delete(struct store *, const char *org, const char *id);
int	 store_org_get(struct store *, struct arena *, const char *id,
	    struct org_row *);
/* name and settings (JSON text) NULL: kept. */
int	 store_org_update(struct store *, const char *id, const char *name,
	    const char *settings);
/* 0: the slug is taken. */
int	 store_org_insert(struct store *, struct arena *, const char *slug,
	    const char *name, const char *settings, char **id);
int	 store_org_list(struct store *, struct arena *, const char *limit,
	    const char *offset, const char *status, char **items);
int	 store_org_count(struct store *, const char *status, int64_t *n);
int	 store_org_set_status(struct store *, const char *id,
	    const char *status, const char *name);
int	 store_org_delete(struct store *, const char *id);
int	 store_invite_count(struct store *, const char *org, int64_t *n);
int	 store_invite_list(struct store *, struct arena *, const char *org,
	    const char *limit, const char *offset, char **items);
/* 1 if email has a pending invitation to org. */
int	 store_invite_pending_for(struct store *, const char *org,
	    const char *email);
/* org, email, role id, token hash, inviter, lifetime: its document. */
int	 store_invite_insert(struct store *, struct arena *,
	    const char *const p[6], char **doc);
/* 1 revoked, 0 no such pending invitation. */
int	 store_invite_revoke(struct store *, const char *org, const char *id);
/* A new token and lifetime for a pending invitation; 0: none such. */
int	 store_invite_retoken(struct store *, struct arena *, const char *org,
	    const char *id, const char *hash, const char *ttl,
	    struct invite_mailing *);
int	 store_invite_by_token(struct store *, struct arena *,
	    const char *hash, struct invite_row *);
int	 store_invite_accepted(struct store *, const char *id,
	    const char *uid);

#endif
