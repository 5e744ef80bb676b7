/*
 * chain.h: linking audit events into their chains, and verifying them.
 *
 * A request only inserts its event and a pending row.  The chainer (a
 * child of the fcgi master; iamctl audit chain; and every verification
 * first) links pending events in the order their inserts committed: the
 * event's chain is its organisation (the nil UUID for events about none);
 * its link is (seq, key version, prev MAC, MAC) with
 *
 *   MAC = HMAC-SHA256(chain key[version], "iam-audit-link-v1" 0 chain 0
 *         seq 0 version 0 prev-MAC(32) field*)
 *
 * each field of the event (id, time in microseconds, organisation,
 * action, category, success, actor type and id, target type and id,
 * details, the personal digest) as a 4-byte big-endian length and its
 * bytes, a NULL as length 0xffffffff.  The personal digest is SHA-256 of
 * a salt and the actor's email, IP and user agent framed the same way,
 * so erasing those (and the salt) keeps the chain whole.
 */
#ifndef IAM_CHAIN_H
#define IAM_CHAIN_H

#include <signal.h>
#include <stdint.h>

struct chainkeys;
struct config;
struct store;


/*
 * Links up to max pending events.  wait: block for the chain lock (else
 * a busy chainer elsewhere means 0).  Returns how many were linked, or -1.
 */
long	 chain_link(struct store *, const struct config *, struct chainkeys *,
	    int max, int wait);
/* Links until nothing is pending.  0 or -1. */
int	 chain_link_all(struct store *, const struct config *,
	    struct chainkeys *);

/*
 * The chainer: links pending events in batches, looking every 200 ms,
 * until *stop.  Reconnects on
 * its own.  0, or -1 if it could never start.
 */
int	 chain_follow(struct store *, const struct config *,
	    volatile sig_atomic_t *stop);

struct chain_report {
	int64_t		 checked;	/* links verified */
	int		 broken;
	char		 first_broken[37];	/* event id, when broken */
	char		 why[64];
};

/*
 * Verifies one chain (an organisation id, or AUDIT_INSTANCE of store_audit.h): from its
 * anchor, every link in order names an event that is there and unchanged,
 * follows the one before it, and carries the MAC of its key; and no event
 * of the chain is left unlinked.  0 (see the report), or -1 (broken
 * database, or keys that cannot be read).
 */
int	 chain_verify(struct store *, const struct config *,
	    struct chainkeys *, const char *chain, struct chain_report *);

#endif
