/*
 * store_session.h: sessions and refresh tokens, typed (store_session.c).
 * Reads return three states: <0 broken, 0 not found, >0 found (lists:
 * how many); writes 0 or -1.  Strings are copied into the arena.
 */
#ifndef IAM_STORE_SESSION_H
#define IAM_STORE_SESSION_H

#include <stdint.h>

struct arena;
struct store;

/* A presented refresh token's row, with what decides its rotation. */
struct refresh_state {
	const char	*id, *family, *sid, *uid, *email, *org;
	const char	*roles;		/* the user's role slugs, comma list */
	int		 spent;		/* rotated away, family alive: reuse */
	int		 rotated;	/* store_refresh_rotate: it was */
};

/* A live session, times as RFC 3339 text. */
struct session_row {
	const char	*id, *created, *seen, *expires, *ip, *ua;
	const char	*kind;		/* "api" or "browser" */
};

/* A live browser session, found by its cookie's hash. */
struct cookie_session {
	const char	*sid, *uid, *org, *email;
	const char	*roles;		/* the user's role slugs, comma list */
	const char	*csrf_hash;	/* "\x" and the hex of its CSRF token's SHA-256 */
	int64_t		 auth_time, expires;	/* epoch seconds */
	int64_t		 idle;		/* the idle limit that applies (0: none) */
};

/* A session of uid for lifetime seconds (capped by the organisation's
 * sessionLifetime): its id and its end (epoch seconds). */
int	 store_session_insert(struct store *, struct arena *, const char *uid,
	    const char *lifetime, const char *ip, const char *ua, char **sid,
	    int64_t *expires);
/* A refresh token (family NULL: a new family) until expires (epoch
 * seconds, never past its session's end); 0 when the session is gone. */
int	 store_refresh_insert(struct store *, struct arena *,
	    const char *hash, const char *family, const char *parent,
	    const char *sid, const char *uid, const char *expires, char **id);
/* The token whose hash is given, its row locked (open transaction). */
int	 store_refresh_lookup(struct store *, struct arena *, const char *hash,
	    struct refresh_state *);
/*
 * Rotates the token in one statement when it is live (new_hash goes in,
 * the old one is spent, the session seen, token.refresh recorded):
 * st->rotated says whether it did.  0 when no token has that hash.
 */
int	 store_refresh_rotate(struct store *, struct arena *, const char *hash,
	    const char *new_hash, const char *ip, const char *ua,
	    struct refresh_state *st);
int	 store_refresh_revoke_family(struct store *, const char *family);
/* Ends session sid of uid (its access tokens with it). */
int	 store_session_revoke(struct store *, const char *sid, const char *uid);
/* The same and its refresh tokens. */
int	 store_session_end(struct store *, const char *sid, const char *uid);
/* Ends every session of uid but keep (NULL: all) and their tokens. */
int	 store_sessions_end_user(struct store *, const char *uid,
	    const char *keep);
/* Breach response: every session and refresh token of user, of org, or
 * (both NULL) of everyone; returns what the session statement counted. */
int64_t	 store_sessions_end_scope(struct store *, const char *org,
	    const char *user);
/* uid's live sessions, newest first (at most 100). */
int	 store_sessions_list(struct store *, struct arena *, const char *uid,
	    struct session_row **);
/*
 * A browser session of uid held by the cookie whose SHA-256 is
 * cookie_hash, with its CSRF token's: lifetime seconds unless the
 * organisation's sessionLifetime says otherwise.  0 when uid is gone.
 */
int	 store_browser_insert(struct store *, struct arena *, const char *uid,
	    const char *cookie_hash, const char *csrf_hash,
	    const char *lifetime, const char *ip, const char *ua, char **sid,
	    int64_t *expires);
/* The live session of a cookie (idle: SESSION_IDLE_TIMEOUT seconds, for
 * organisations that set none); its last_seen moves at most once a
 * minute.  0: none (unknown, ended, expired, idle, user or organisation
 * not active). */
int	 store_cookie_session(struct store *, struct arena *,
	    const char *hash, const char *idle, struct cookie_session *);
/* How many browser sessions are live (for /metrics), or -1. */
int64_t	 store_browser_count(struct store *);
/* 1 if sid is a live session of uid. */
int	 store_session_of_user(struct store *, const char *sid,
	    const char *uid);

#endif
