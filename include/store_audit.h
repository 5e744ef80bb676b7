/*
 * store_audit.h: the audit chains' rows, typed.  The statements are those
 * of store.c's table; what they answer is read here into structs (copied
 * into the caller's arena), so the domain (chain.c) sees no PGresult.
 * Loaders return three states: <0 broken, 0 none / not found, >0 found
 * (for lists, how many).
 */
#ifndef IAM_STORE_AUDIT_H
#define IAM_STORE_AUDIT_H

#include <stddef.h>

struct arena;
struct store;

#define AUDIT_NFIELDS	12	/* the columns a link covers (AUDIT_CANON) */
#define AUDIT_INSTANCE	"00000000-0000-0000-0000-000000000000"

/* A column's text: v NULL is SQL NULL. */
struct sqlv {
	const char	*v;
	size_t		 len;
};

/* An event waiting for its link. */
struct audit_pending {
	const char	*n;		/* its queue position */
	int		 exists;	/* 0: the event is gone */
	const char	*chain;		/* its organisation, or AUDIT_INSTANCE */
	struct sqlv	 f[AUDIT_NFIELDS];	/* f[0] is its id */
};

/* A chain's last link (seq 0 and a zero MAC: none yet). */
struct audit_head {
	char		 chain[37];
	long long	 seq;
	unsigned char	 mac[32];
};

/* A link about to be written. */
struct audit_newlink {
	const char	*event, *chain;
	long long	 seq;
	int		 version;
	unsigned char	 prev[32], mac[32];
};

/* A link as stored, with the event it names. */
struct audit_link {
	long long	 seq;
	int		 version;
	int		 readable;	/* its MACs were 32 bytes of hex */
	unsigned char	 prev[32], mac[32];
	const char	*event;
	int		 exists;	/* 0: the event is gone */
	struct sqlv	 f[AUDIT_NFIELDS];
	struct sqlv	 salt;		/* hex; NULL once erased */
	struct sqlv	 personal[3];	/* email, ip, user agent */
	int		 erased;
};

/* The chain lock of this transaction: wait, or try.  1 held, 0 busy. */
int	 store_audit_chain_lock(struct store *, int wait);
/* Up to max pending events, oldest first. */
int	 store_audit_pending(struct store *, struct arena *, int max,
	    struct audit_pending **);
/* Fills in the heads of the n chains named in h[i].chain.  0 or -1. */
int	 store_audit_heads(struct store *, struct arena *, struct audit_head *,
	    int n);
/* Writes n links and drops the nd queue rows (positions done[]).  0/-1. */
int	 store_audit_link(struct store *, struct arena *,
	    const struct audit_newlink *, int n, const char *const *done,
	    int nd);
/* A chain's anchor (what the last purge took out).  1, 0 none, -1. */
int	 store_audit_anchor(struct store *, const char *chain, long long *seq,
	    unsigned char mac[32]);
/* Up to limit links of a chain after seq, in order. */
int	 store_audit_chain_page(struct store *, struct arena *,
	    const char *chain, long long after, int limit,
	    struct audit_link **);
/* An event of the chain with neither link nor queue row.  1 (*id), 0. */
int	 store_audit_unlinked(struct store *, struct arena *,
	    const char *chain, const char **id);

/* An event: the 13 columns of audit_insert (its queue row too). */
int	 store_audit_insert(struct store *, const char *const p[13]);
/* One event of org (the instance's with org NULL) as JSON text. */
int	 store_audit_get(struct store *, struct arena *, const char *org,
	    const char *id, char **doc);
/* The exporter's position ("0" before the first batch) into buf. */
int	 store_audit_export_cursor(struct store *, char *buf, size_t len);
/* The next events after the position: how many (0: none). */
struct audit_export {
	const char	*body;		/* {"events":[...]} */
	size_t		 len;
	const char	*last;		/* the position after them */
};
int	 store_audit_export_batch(struct store *, struct arena *,
	    const char *after, const char *limit, struct audit_export *);
int	 store_audit_export_advance(struct store *, const char *last);
/* Purges events older than days (not past upto, the export position,
 * when given); how many.  The owner's role.  -1 broken. */
int64_t	 store_audit_purge(struct store *, const char *days,
	    const char *upto);
/* Erases the personal fields of uid's events; how many.  -1 broken. */
int64_t	 store_audit_erase(struct store *, const char *uid);
/* Every chain's id. */
int	 store_audit_chains(struct store *, struct arena *, const char ***);

#endif
