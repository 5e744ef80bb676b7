/*
 * store.c: the worker's one PostgreSQL connection and its statement table.
 * Statements are prepared when a connection is made; a failed statement
 * whose connection is gone drops the connection, and the next request
 * reconnects, so workers survive a database restart on their own.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "log.h"
#include "metrics.h"
#include "store.h"

static const struct {
	const char	*name;
	const char	*sql;
	int		 nparams;
} stmts[STMT__MAX] = {
	[STMT_PING] = { "ping", "SELECT 1", 0 },
	[STMT_INSTANCE] = { "instance",
	    "SELECT instance_id FROM instance WHERE id = $1", 1 },
	[STMT_BEGIN] = { "begin", "BEGIN", 0 },
	[STMT_COMMIT] = { "commit", "COMMIT", 0 },
	[STMT_ROLLBACK] = { "rollback", "ROLLBACK", 0 },
};

_Static_assert(sizeof(stmts) / sizeof(stmts[0]) == STMT__MAX,
    "every statement needs SQL");

static void
drop(struct store *s)
{
	if (s->conn != NULL)
		PQfinish(s->conn);
	s->conn = NULL;
	s->prepared = 0;
	s->in_tx = 0;
}

static int
prepare_all(struct store *s)
{
	PGresult	*r;
	int		 i, ok;

	for (i = 0; i < STMT__MAX; i++) {
		r = PQprepare(s->conn, stmts[i].name, stmts[i].sql,
		    stmts[i].nparams, NULL);
		ok = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			log_kv(LOG_ERROR, "db.prepare_failed", "statement",
			    stmts[i].name, "error",
			    PQerrorMessage(s->conn), LOG_END);
		PQclear(r);
		if (!ok)
			return -1;
	}
	s->prepared = 1;
	return 0;
}

static int
connect_now(struct store *s)
{
	char		 timeout[32], options[64];
	const char	*keys[] = { "dbname", "connect_timeout", "options",
	    "application_name", NULL };
	const char	*vals[5];

	snprintf(timeout, sizeof(timeout), "%lld",
	    (long long)s->cfg->db_connect_timeout);
	snprintf(options, sizeof(options), "-c statement_timeout=%lld",
	    (long long)s->cfg->db_statement_timeout * 1000);
	vals[0] = s->cfg->database_url;
	vals[1] = timeout;
	vals[2] = options;
	vals[3] = "iam";
	vals[4] = NULL;
	drop(s);
	/* Later keywords override what the URL says (expand_dbname). */
	s->conn = PQconnectdbParams(keys, vals, 1);
	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK) {
		log_kv(LOG_WARN, "db.connect_failed", "error", s->conn ?
		    PQerrorMessage(s->conn) : "out of memory", LOG_END);
		drop(s);
		return -1;
	}
	if (prepare_all(s) == -1) {
		drop(s);
		return -1;
	}
	log_kv(LOG_INFO, "db.connected", LOG_END);
	return 0;
}

void
store_init(struct store *s, const struct config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
}

void
store_close(struct store *s)
{
	drop(s);
}

int
store_ready(struct store *s)
{
	time_t	now;

	if (s->conn != NULL && PQstatus(s->conn) == CONNECTION_OK &&
	    s->prepared)
		return 1;
	now = time(NULL);
	if (now < s->next_try)
		return -1;
	if (connect_now(s) == -1) {
		s->next_try = now + 1;
		return -1;
	}
	return 1;
}

PGresult *
store_exec(struct store *s, enum stmt st, int n, const char *const *params)
{
	PGresult	*r;
	ExecStatusType	 rs;

	if ((unsigned)st >= STMT__MAX || n != stmts[st].nparams ||
	    store_ready(s) != 1)
		return NULL;
	r = PQexecPrepared(s->conn, stmts[st].name, n, params, NULL, NULL, 0);
	rs = r == NULL ? PGRES_FATAL_ERROR : PQresultStatus(r);
	/*
	 * A connection that went stale (the server restarted since our last
	 * statement) is found out only now: outside a transaction nothing was
	 * done, so reconnect at once and run the statement again, once.
	 */
	if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK && !s->in_tx &&
	    PQstatus(s->conn) != CONNECTION_OK) {
		PQclear(r);
		log_kv(LOG_INFO, "db.connection_lost", LOG_END);
		if (connect_now(s) == -1) {
			s->next_try = time(NULL) + 1;
			metrics_event(EV_DB_ERROR);
			return NULL;
		}
		r = PQexecPrepared(s->conn, stmts[st].name, n, params, NULL,
		    NULL, 0);
		rs = r == NULL ? PGRES_FATAL_ERROR : PQresultStatus(r);
	}
	if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK)
		return r;
	metrics_event(EV_DB_ERROR);
	log_kv(LOG_ERROR, "db.error", "statement", stmts[st].name,
	    "sqlstate", r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL,
	    "error", PQerrorMessage(s->conn), LOG_END);
	PQclear(r);
	if (PQstatus(s->conn) != CONNECTION_OK)
		drop(s);
	return NULL;
}

/* Runs a statement whose result is not needed: 0 or -1. */
static int
run(struct store *s, enum stmt st)
{
	PGresult	*r;

	if ((r = store_exec(s, st, 0, NULL)) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

int
store_begin(struct store *s)
{
	if (s->in_tx || run(s, STMT_BEGIN) == -1)
		return -1;
	s->in_tx = 1;
	return 0;
}

int
store_commit(struct store *s)
{
	int	rc;

	if (!s->in_tx)
		return -1;
	rc = run(s, STMT_COMMIT);
	s->in_tx = 0;
	return rc;
}

void
store_rollback(struct store *s)
{
	if (!s->in_tx)
		return;
	s->in_tx = 0;
	if (run(s, STMT_ROLLBACK) == -1)
		drop(s);
}

int
store_ping(struct store *s, double *ms)
{
	struct timespec	a, b;
	int		rc;

	clock_gettime(CLOCK_MONOTONIC, &a);
	rc = run(s, STMT_PING) == 0 ? 1 : -1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	*ms = (double)(b.tv_sec - a.tv_sec) * 1e3 +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	return rc;
}

int
store_instance(struct store *s, char *id, size_t idlen)
{
	const char	*p[1] = { "t" };
	PGresult	*r;
	int		 rc = 0;

	if ((r = store_exec(s, STMT_INSTANCE, 1, p)) == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		snprintf(id, idlen, "%s", PQgetvalue(r, 0, 0));
		rc = 1;
	}
	PQclear(r);
	return rc;
}
