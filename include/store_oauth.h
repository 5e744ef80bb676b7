/*
 * store_oauth.h: OAuth clients, typed (store_oauth.c).  Reads return
 * three states: <0 broken, 0 not found, >0 found; documents come back as
 * JSON text in the arena.
 */
#ifndef IAM_STORE_OAUTH_H
#define IAM_STORE_OAUTH_H

#include <stdint.h>

struct arena;
struct store;

/* A client's columns as the domain writes them; arrays as JSON text. */
struct client_row {
	const char	*name, *redirect_uris, *post_logout_uris, *grant_types;
	const char	*method, *scopes, *alg;
	int		 first_party, require_pkce;
	const char	*secret_hash;	/* "\x" and hex; NULL: public */
};

int	 store_client_insert(struct store *, struct arena *, const char *org,
	    const char *client_id, const struct client_row *, char **doc);
int	 store_client_count(struct store *, const char *org, int64_t *n);
int	 store_client_list(struct store *, struct arena *, const char *org,
	    const char *limit, const char *offset, char **items);
/* The document of client id of org, row locked when for_update. */
int	 store_client_get(struct store *, struct arena *, const char *org,
	    const char *id, int for_update, char **doc);
int	 store_client_update(struct store *, struct arena *, const char *org,
	    const char *id, const struct client_row *, char **doc);
/* Deleted: 1 and its client_id. */
int	 store_client_delete(struct store *, struct arena *, const char *org,
	    const char *id, char **client_id);
/* A confidential client's new secret hash: 1 and its client_id; 0 when
 * there is no such client or it is public. */
int	 store_client_rotate(struct store *, struct arena *, const char *org,
	    const char *id, const char *hash, char **client_id);

/* What authenticating a client needs, by its client_id. */
struct client_auth {
	const char	*id, *org;
	const char	*secret_hex;	/* "" for a public client */
	const char	*method, *grant_types, *scopes;	/* arrays as JSON */
	int		 org_active;
};
int	 store_client_auth(struct store *, struct arena *,
	    const char *client_id, struct client_auth *);

#endif
