/*
 * revoke.h: the worker's copy of recent token revocations.  Access tokens
 * are verified without the database; a revocation (all tokens, one
 * organisation's, one user's) voids those issued before its cutoff, and
 * a session's every token that carries its sid.  Only
 * revocations younger than the longest access-token life matter, so the
 * list stays short.  Workers reload it with the keys, and at once when
 * PostgreSQL notifies iam_tokens.
 */
#ifndef IAM_REVOKE_H
#define IAM_REVOKE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct store;

struct revocation {
	char		subject[37];	/* "" for all */
	char		scope;		/* 'a'll, 'o'rg, 'u'ser, 's'ession */
	int64_t		cutoff;
};

struct revocations {
	struct revocation	*v;	/* malloc */
	size_t			 n;
	int64_t			 all;	/* newest cutoff of scope all */
	int64_t			 floor;	/* older tokens untrusted (list full) */
	time_t			 loaded;
};

/* Reloads when forced or older than KEYS_RELOAD_SEC.  0 or -1. */
int	revoke_refresh(struct revocations *, struct store *, int64_t maxage,
	    time_t now, int force);
/* 1 if a token of user sub in org, of session sid (each may be NULL),
 * issued at iat, is void. */
int	revoke_voids(const struct revocations *, const char *org,
	    const char *sub, const char *sid, int64_t iat);
void	revoke_free(struct revocations *);
/*
 * Records a revocation of scope ("session", "user", "org", "all") and
 * subject, effective from the next whole second after now, and wakes
 * every worker at commit: *cutoff its time (epoch seconds).  0 or -1.
 */
int	revoke_record(struct store *, const char *scope, const char *subject,
	    int64_t *cutoff);

#endif
