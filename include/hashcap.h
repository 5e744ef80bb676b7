/*
 * hashcap.h: at most HASH_CONCURRENCY password hashes at once across the
 * server's processes (infra/hashcap.c says how).
 */
#ifndef IAM_HASHCAP_H
#define IAM_HASHCAP_H

struct config;

#define HASHCAP_BUSY		(-1)	/* every slot taken: answer 503 */
#define HASHCAP_UNBOUNDED	(-2)	/* no cap here: go ahead */

/*
 * Opens the slots: the master (master = 1) makes an unnamed file its
 * workers inherit; other processes open HASH_SLOTS_FILE if it is set.
 * Called again on reload.  0, or -1 (logged) when the file cannot be had.
 */
int	hashcap_init(const struct config *, int master);
/* A slot (>= 0, to release), HASHCAP_BUSY or HASHCAP_UNBOUNDED. */
int	hashcap_acquire(void);
void	hashcap_release(int slot);

#endif
