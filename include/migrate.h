/*
 * migrate.h: numbered schema migrations (sql/NNNN_name.up.sql and
 * .down.sql), each applied in its own transaction together with its row in
 * schema_migrations, under an advisory lock so two runs cannot interleave.
 */
#ifndef IAM_MIGRATE_H
#define IAM_MIGRATE_H

#include <stdio.h>

struct pg_conn;			/* libpq's PGconn */

/* A connection for migrating (the owner's URL), or NULL with the reason
 * printed on err. */
struct pg_conn	*migrate_connect(const char *url, FILE *err);
void		 migrate_disconnect(struct pg_conn *);

/* Applies the first n pending migrations (n <= 0: all).  0 or -1. */
int	 migrate_up(struct pg_conn *, const char *dir, int n, FILE *out);
/* Reverts the last n applied migrations (n <= 0: one).  0 or -1. */
int	 migrate_down(struct pg_conn *, const char *dir, int n, FILE *out);
/* Lists every migration with its state.  Returns the number pending, or
 * -1 on error. */
int	 migrate_status(struct pg_conn *, const char *dir, FILE *out);
/*
 * As the owner: applies dir/grants.sql to the runtime role, the user
 * that the runtime connection string (DATABASE_URL) names (libpq's
 * default, the operating-system user, when it names none), in one
 * transaction.  0 or -1.
 */
int	 migrate_grant(struct pg_conn *, const char *dir, const char *runtime_url,
	    FILE *out);

#endif
