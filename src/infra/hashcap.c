/*
 * hashcap.c: a bound on the password hashes computed at once by all the
 * processes of one server, so that scrypt (about 200 ms of a core each)
 * cannot occupy every single-threaded worker and starve the routes that
 * need no hash.  A hash takes a slot first: one byte of a lock file,
 * write-locked with fcntl(2) without waiting.  When every slot is held the
 * caller is answered at once (503 with Retry-After) instead of queueing.
 *
 * Locks, not a counter: the kernel drops a process's locks when it dies,
 * so a worker killed in the middle of a hash never leaks its slot, and
 * unrelated processes (Apache mod_fcgid, plain CGI) share the slots as
 * well as the master's workers do.  Under the master the file is an
 * unnamed temporary one opened before the fork; elsewhere it is
 * HASH_SLOTS_FILE.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "hashcap.h"
#include "log.h"
#include "metrics.h"

static int	slots_fd = -1;
static int	nslots;

int
hashcap_init(const struct config *cfg, int master)
{
	char	path[] = "/tmp/iam-hash.XXXXXX";
	int	fd;

	if (slots_fd != -1) {
		close(slots_fd);
		slots_fd = -1;
	}
	nslots = (int)cfg->hash_concurrency;
	if (nslots <= 0)
		return 0;		/* no cap */
	if (cfg->hash_slots_file[0] != '\0')
		fd = open(cfg->hash_slots_file, O_RDWR | O_CREAT | O_CLOEXEC,
		    0600);
	else if (master) {
		if ((fd = mkostemp(path, O_CLOEXEC)) != -1)
			(void)unlink(path);
	} else {
		/* One process, one request at a time (CGI, mod_fcgid
		 * without a file): the process itself is the bound. */
		nslots = 0;
		return 0;
	}
	if (fd == -1) {
		log_kv(LOG_ERROR, "hashcap.open_failed", "error",
		    strerror(errno), LOG_END);
		return -1;
	}
	slots_fd = fd;
	return 0;
}

static int
lock(int slot, short type)
{
	struct flock	fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = slot;
	fl.l_len = 1;
	return fcntl(slots_fd, F_SETLK, &fl);
}

int
hashcap_acquire(void)
{
	int	i;

	if (slots_fd == -1 || nslots <= 0)
		return HASHCAP_UNBOUNDED;
	for (i = 0; i < nslots; i++)
		if (lock(i, F_WRLCK) == 0) {
			metrics_hashing(1);
			return i;
		}
	metrics_event(EV_PASSWORD_HASH_BUSY);
	return HASHCAP_BUSY;
}

void
hashcap_release(int slot)
{
	if (slot < 0 || slots_fd == -1)
		return;
	(void)lock(slot, F_UNLCK);
	metrics_hashing(-1);
}
