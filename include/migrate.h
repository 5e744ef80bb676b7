/*
 * migrate.h: numbered schema migrations (sql/NNNN_name.up.sql and
 * .down.sql), each applied in its own transaction together with its row in
 * schema_migrations, under an advisory lock so two runs cannot interleave.
 */
#ifndef IAM_MIGRATE_H
#define IAM_MIGRATE_H

#include <libpq-fe.h>
#include <stdio.h>

/* Applies the first n pending migrations (n <= 0: all).  0 or -1. */
int	 migrate_up(PGconn *, const char *dir, int n, FILE *out);
/* Reverts the last n applied migrations (n <= 0: one).  0 or -1. */
int	 migrate_down(PGconn *, const char *dir, int n, FILE *out);
/* Lists every migration with its state.  Returns the number pending, or
 * -1 on error. */
int	 migrate_status(PGconn *, const char *dir, FILE *out);
/*
 * As the owner: applies dir/grants.sql to the runtime role, the user
 * that the runtime connection string (DATABASE_URL) names (libpq's
 * default, the operating-system user, when it names none), in one
 * transaction.  0 or -1.
 */
int	 migrate_grant(PGconn *, const char *dir, const char *runtime_url,
	    FILE *out);

#endif
