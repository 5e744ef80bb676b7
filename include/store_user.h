/*
 * store_user.h: users, typed (store_user.c).  Reads return three states:
 * <0 broken, 0 not found, >0 found (lists: how many); writes 0 or -1.
 * Strings are copied into the arena given.
 */
#ifndef IAM_STORE_USER_H
#define IAM_STORE_USER_H

#include <stdint.h>

struct arena;
struct store;

/* The sanitised user (every user answer is written from it). */
struct user_row {
	const char	*id, *email, *status;
	const char	*org_id, *org_slug, *org_name;
	const char	*first, *last, *phone;
	const char	*preferences, *addresses;	/* JSON text */
	int		 verified;
	int64_t		 created, updated, last_login;	/* epoch seconds */
	int		 has_last_login;
	const char	*roles;		/* role slugs, comma list */
	const char	*perms;		/* held permissions, comma list */
	const char	*hash;		/* store_user_get: the password hash */
	int		 owner;		/* store_member_get: an owner? */
};

struct org_brief {
	const char	*id, *slug, *name, *status;
	const char	*mode;		/* registration mode */
};

/* A sign-in's view of an address (known or not). */
struct login_row {
	const char	*uid, *email, *hash, *status, *org_status, *org;
	int		 verified, must_reset;
	int64_t		 locked;	/* until (epoch seconds), or 0 */
};

struct password_state {
	const char	*hash;		/* NULL: none set */
	const char	*email, *org;
	int64_t		 locked;
};

struct user_brief {
	const char	*id, *email, *status, *org;
	int		 verified;
};

/* The caller as the database has it now. */
struct caller_row {
	const char	*status, *org_status, *org, *email, *perms;
	int		 system_admin;
};

struct org_policy {
	const char	*policy;	/* passwordPolicy JSON text, or NULL */
	const char	*name, *slug;
};

int	 store_user_get(struct store *, struct arena *, const char *uid,
	    struct user_row *);
/* uid as a member of org, with whether it is an owner. */
int	 store_member_get(struct store *, struct arena *, const char *org,
	    const char *uid, struct user_row *);
/* The users whose ids ("{id,...}", a uuid[] literal) are given, in that
 * order. */
int	 store_users_docs(struct store *, struct arena *, const char *ids,
	    struct user_row **);
int	 store_org_default(struct store *, struct arena *, const char *mode,
	    struct org_brief *);
/* 0 when the address (its key) has an account already. */
int	 store_user_insert(struct store *, struct arena *, const char *org,
	    const char *email, const char *hash, const char *key, char **uid);
int	 store_profile_insert(struct store *, const char *uid,
	    const char *first, const char *last);
/* 1 known (l filled), 0 unknown (l->locked: the address's lock). */
int	 store_user_for_login(struct store *, struct arena *, const char *key,
	    const char *addr_key, struct login_row *l);
int	 store_password_state(struct store *, struct arena *, const char *uid,
	    struct password_state *);
/* Counts a failure of uid, or (uid NULL) of the address; *count after. */
int	 store_login_failed(struct store *, const char *uid,
	    const char *threshold, const char *lock_sec, const char *addr_key,
	    int64_t *count);
int	 store_login_ok(struct store *, const char *uid, const char *ip);
int	 store_user_set_hash(struct store *, const char *uid,
	    const char *hash);
int	 store_user_for_email(struct store *, struct arena *, const char *key,
	    struct user_brief *);
int	 store_user_verify_email(struct store *, const char *uid);
int	 store_user_reset_password(struct store *, const char *uid,
	    const char *hash);
int	 store_user_change_password(struct store *, const char *uid,
	    const char *hash);
/* firstName, lastName, phone, preferences, addresses (NULL: keep). */
int	 store_profile_update(struct store *, const char *uid,
	    const char *const fields[5]);
int	 store_user_soft_delete(struct store *, const char *uid);
/* Everything held about uid beyond the user document, as JSON text. */
int	 store_user_export(struct store *, struct arena *, const char *uid,
	    char **doc);
int	 store_caller(struct store *, struct arena *, const char *uid,
	    struct caller_row *);
/* org NULL: the default organisation. */
int	 store_org_policy(struct store *, struct arena *, const char *org,
	    struct org_policy *);
/* A mailed token (uid NULL: no row, the same work); older ones of the
 * purpose die. */
int	 store_email_token_insert(struct store *, const char *uid,
	    const char *purpose, const char *hash, const char *ttl);
int	 store_email_tokens_void(struct store *, const char *uid,
	    const char *purpose);
/* Spends a live token: *uid its user; 0 unknown, spent or expired. */
int	 store_email_token_consume(struct store *, struct arena *,
	    const char *hash, const char *purpose, char **uid);
/*
 * A search page (users_search(): search, status, role id, sort, limit,
 * offset after the organisation), its rows and the number of matches.
 */
int	 store_users_search(struct store *, struct arena *,
	    const char *const p[7], struct user_row **, int64_t *total);
/* status and verified ("true"/"false") NULL: kept. */
int	 store_member_set(struct store *, const char *uid, const char *status,
	    const char *verified);
int	 store_user_force_reset(struct store *, const char *uid);
int	 store_user_make_admin(struct store *, const char *uid);
/* Every live user must reset; how many were not yet.  -1 broken. */
int64_t	 store_all_force_reset(struct store *);

#endif
