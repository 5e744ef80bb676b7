/*
 * store_outbox.h: the mail outbox, typed (store_outbox.c).  Three states
 * where a row is read: <0 broken, 0 none, >0 found; 0 or -1 for writes.
 */
#ifndef IAM_STORE_OUTBOX_H
#define IAM_STORE_OUTBOX_H

struct arena;
struct store;

/* A message due, claimed for this transaction. */
struct outbox_msg {
	const char	*id, *to, *subject, *body;
	int		 attempts;
};

/* Queues a mail (to NULL: nothing) and wakes the mailer at commit. */
int	 store_outbox_put(struct store *, const char *to, const char *subject,
	    const char *body);
/* One due message, locked (others skip it); strings in the arena. */
int	 store_outbox_claim(struct store *, struct arena *,
	    struct outbox_msg *);
int	 store_outbox_sent(struct store *, const char *id);
/* Next attempt in delay seconds; failed for good after max attempts. */
int	 store_outbox_retry(struct store *, const char *id, long delay,
	    const char *err, int max);

#endif
