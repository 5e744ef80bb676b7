/*
 * store.c: a process's one PostgreSQL connection.  The statements of the
 * sets this program uses (store_int.h; each area's in its own file) are
 * prepared when a connection is made; a failed statement whose
 * connection is gone drops the connection, and the next request
 * reconnects, so workers survive a database restart on their own.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "log.h"
#include "metrics.h"
#include "arena.h"
#include "store_int.h"

/* Every process's: the connection's own statements. */
enum { Q_PING, Q_INSTANCE, Q_BEGIN, Q_COMMIT, Q_ROLLBACK, Q__MAX };
static const struct stmt_def core_defs[Q__MAX] = {
	[Q_PING] = { "ping", "SELECT 1", 0 },
	[Q_INSTANCE] = { "instance",
	    "SELECT instance_id FROM instance WHERE id = $1", 1 },
	[Q_BEGIN] = { "begin", "BEGIN", 0 },
	[Q_COMMIT] = { "commit", "COMMIT", 0 },
	[Q_ROLLBACK] = { "rollback", "ROLLBACK", 0 },
};
static const struct stmt_set core = { core_defs, Q__MAX, STORE_ALL };


static void
drop(struct store *s)
{
	if (s->conn != NULL)
		PQfinish(s->conn);
	s->conn = NULL;
	s->prepared = 0;
	s->in_tx = 0;
}

/*
 * The areas' statement sets (store_int.h).  The references are weak: a
 * program links the areas it uses (iam-mailer: the outbox alone), and a
 * set it does not link is NULL here and never prepared.
 */
#pragma weak store_set_session
#pragma weak store_set_outbox
#pragma weak store_set_mailer
#pragma weak store_set_user
#pragma weak store_set_admin
#pragma weak store_set_keys
#pragma weak store_set_chainkeys
#pragma weak store_set_revoke
#pragma weak store_set_audit
#pragma weak store_set_oauth
static const struct stmt_set *const sets[] = {
	&core, &store_set_session, &store_set_outbox, &store_set_mailer,
	&store_set_user, &store_set_admin, &store_set_keys,
	&store_set_chainkeys, &store_set_revoke, &store_set_audit,
	&store_set_oauth,
};

static int
prepare(struct store *s, const struct stmt_def *d)
{
	PGresult	*r;
	int		 ok;

	r = PQprepare(s->conn, d->name, d->sql, d->nparams, NULL);
	ok = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		log_kv(LOG_ERROR, "db.prepare_failed", "statement", d->name,
		    "error", PQerrorMessage(s->conn), LOG_END);
	PQclear(r);
	return ok ? 0 : -1;
}

/* Prepares the statements of the sets this process uses. */
static int
prepare_all(struct store *s)
{
	size_t	i;
	int	j, n = 0;

	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		for (j = 0; sets[i] != NULL && (s->procs & sets[i]->procs) &&
		    j < sets[i]->n; j++)
			if (prepare(s, &sets[i]->v[j]) == -1)
				return -1;
			else
				n++;
	s->prepared = n;	/* how many: never 0, the core set is there */
	return 0;
}

const struct sandbox_rule store_sandbox_rules[] = {
	SB_ARG(socket, 0, AF_UNIX), SB_ARG(socket, 0, AF_INET),
	SB_ARG(socket, 0, AF_INET6), SB_CALL(connect),
};
const struct sandbox_frag store_sandbox = SB_FRAG("store",
    store_sandbox_rules);

/* 1 if h is an address (or a socket directory), not a name to look up. */
static int
numeric_host(const char *h)
{
	unsigned char	a[16];

	return h[0] == '/' || h[0] == '@' || inet_pton(AF_INET, h, a) == 1 ||
	    inet_pton(AF_INET6, h, a) == 1;
}

/* Fills s->hostaddr when DATABASE_URL names hosts by name (each in the
 * comma list resolved to its first address), else leaves it empty. */
static void
resolve_hosts(struct store *s)
{
	PQconninfoOption	*o, *opts;
	struct addrinfo		 hints, *ai;
	const char		*host = NULL, *addr = NULL;
	char			*copy, *h, *save = NULL, num[INET6_ADDRSTRLEN];
	size_t			 len = 0;
	int			 names = 0, bad = 0;

	if ((opts = PQconninfoParse(s->cfg->database_url, NULL)) == NULL)
		return;
	for (o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "hostaddr") == 0)
			addr = o->val;
	}
	if (host == NULL || host[0] == '\0' || (addr != NULL && addr[0]) ||
	    (copy = strdup(host)) == NULL) {
		PQconninfoFree(opts);
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	for (h = strtok_r(copy, ",", &save); h != NULL && !bad;
	    h = strtok_r(NULL, ",", &save)) {
		if (numeric_host(h))
			snprintf(num, sizeof(num), "%s", h[0] == '/' ||
			    h[0] == '@' ? "" : h);
		else if (getaddrinfo(h, NULL, &hints, &ai) != 0)
			bad = 1;
		else {
			names = 1;
			bad = getnameinfo(ai->ai_addr, ai->ai_addrlen, num,
			    sizeof(num), NULL, 0, NI_NUMERICHOST) != 0;
			freeaddrinfo(ai);
		}
		if (!bad && len + strlen(num) + 2 > sizeof(s->hostaddr))
			bad = 1;
		if (!bad)
			len += (size_t)snprintf(s->hostaddr + len,
			    sizeof(s->hostaddr) - len, "%s%s", len ? "," : "",
			    num);
	}
	free(copy);
	PQconninfoFree(opts);
	/* Nothing to add, or a name that does not resolve now: libpq looks
	 * it up itself (and says why it cannot). */
	if (!names || bad)
		s->hostaddr[0] = '\0';
}

static int
connect_now(struct store *s)
{
	char		 timeout[32], options[64];
	const char	*keys[] = { "dbname", "connect_timeout", "options",
	    "application_name", "hostaddr", NULL };
	const char	*vals[6];
	PGresult	*r;
	int		 ok;

	snprintf(timeout, sizeof(timeout), "%lld",
	    (long long)s->cfg->db_connect_timeout);
	snprintf(options, sizeof(options), "-c statement_timeout=%lld",
	    (long long)s->cfg->db_statement_timeout * 1000);
	vals[0] = s->cfg->database_url;
	vals[1] = timeout;
	vals[2] = options;
	vals[3] = "iam";
	vals[4] = s->hostaddr;
	vals[5] = NULL;
	if (s->hostaddr[0] == '\0')
		keys[4] = NULL;
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
	/* Revocations and withdrawn keys reach every worker at once. */
	r = PQexec(s->conn, "LISTEN iam_tokens");
	ok = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (!ok) {
		drop(s);
		return -1;
	}
	s->notified = 1;	/* what was missed while away */
	snprintf(timeout, sizeof(timeout), "%d", s->prepared);
	log_kv(LOG_INFO, "db.connected", "statements", timeout, LOG_END);
	return 0;
}

void
store_init(struct store *s, const struct config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->procs = STORE_SERVER | STORE_CTL;
	resolve_hosts(s);
}

void
store_use(struct store *s, unsigned procs)
{
	s->procs = procs;
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

/* Runs one prepared statement of a set. */
static PGresult *
exec_def(struct store *s, const struct stmt_def *d, int n,
    const char *const *params)
{
	PGresult	*r;
	ExecStatusType	 rs;

	if (n != d->nparams || store_ready(s) != 1)
		return NULL;
	r = PQexecPrepared(s->conn, d->name, n, params, NULL, NULL, 0);
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
		r = PQexecPrepared(s->conn, d->name, n, params, NULL, NULL, 0);
		rs = r == NULL ? PGRES_FATAL_ERROR : PQresultStatus(r);
	}
	if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK)
		return r;
	metrics_event(EV_DB_ERROR);
	log_kv(LOG_ERROR, "db.error", "statement", d->name,
	    "sqlstate", r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL,
	    "error", PQerrorMessage(s->conn), LOG_END);
	PQclear(r);
	if (PQstatus(s->conn) != CONNECTION_OK)
		drop(s);
	return NULL;
}

PGresult *
store_run(struct store *s, const struct stmt_set *set, int i, int n,
    const char *const *params)
{
	if (i < 0 || i >= set->n || !(s->procs & set->procs))
		return NULL;
	return exec_def(s, &set->v[i], n, params);
}

int
store_do(struct store *s, const struct stmt_set *set, int i, int n,
    const char *const *params)
{
	PGresult	*r;

	if ((r = store_run(s, set, i, n, params)) == NULL)
		return -1;
	PQclear(r);
	return 0;
}

char *
store_str(struct arena *a, PGresult *r, int row, int c)
{
	if (PQgetisnull(r, row, c))
		return NULL;
	return arena_strndup(a, PQgetvalue(r, row, c),
	    (size_t)PQgetlength(r, row, c));
}

int64_t
store_int(PGresult *r, int row, int c)
{
	return PQgetisnull(r, row, c) ? 0 :
	    strtoll(PQgetvalue(r, row, c), NULL, 10);
}

int
store_any(PGresult *r)
{
	int	rc;

	if (r == NULL)
		return -1;
	rc = PQntuples(r) > 0;
	PQclear(r);
	return rc;
}

int
store_one_str(struct arena *a, PGresult *r, char **out)
{
	int	rc = 0;

	if (r == NULL)
		return -1;
	if (PQntuples(r) == 1)
		rc = (*out = store_str(a, r, 0, 0)) != NULL ? 1 : -1;
	PQclear(r);
	return rc;
}

int
store_json_array(struct arena *a, PGresult *r, int c, char **out)
{
	struct buf	b;
	int		i, n = PQntuples(r);

	buf_init(&b, a);
	buf_putc(&b, '[');
	for (i = 0; i < n; i++) {
		if (i)
			buf_putc(&b, ',');
		buf_add(&b, PQgetvalue(r, i, c), (size_t)PQgetlength(r, i, c));
	}
	buf_putc(&b, ']');
	if (b.oom)
		return -1;
	*out = b.data;
	return n;
}

int
store_docs(struct arena *a, PGresult *r, char **out)
{
	int	n;

	if (r == NULL)
		return -1;
	n = store_json_array(a, r, 0, out);
	PQclear(r);
	return n;
}

int
store_count(PGresult *r, int64_t *n)
{
	if (r == NULL)
		return -1;
	*n = PQntuples(r) == 1 ? store_int(r, 0, 0) : 0;
	PQclear(r);
	return 0;
}

int64_t
store_affected(PGresult *r)
{
	int64_t	n;

	if (r == NULL)
		return -1;
	n = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return n;
}

int
store_bool(PGresult *r, int row, int c)
{
	return !PQgetisnull(r, row, c) && PQgetvalue(r, row, c)[0] == 't';
}

/* Runs a statement of the core set whose result is not needed. */
static int
run(struct store *s, int i)
{
	return store_do(s, &core, i, 0, NULL);
}

int
store_begin(struct store *s)
{
	if (s->in_tx || run(s, Q_BEGIN) == -1)
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
	rc = run(s, Q_COMMIT);
	s->in_tx = 0;
	return rc;
}

void
store_rollback(struct store *s)
{
	if (!s->in_tx)
		return;
	s->in_tx = 0;
	if (run(s, Q_ROLLBACK) == -1)
		drop(s);
}

PGresult *
store_exec_text(struct store *s, const char *sql, int n,
    const char *const *params)
{
	PGresult	*r;
	ExecStatusType	 rs;

	if (store_ready(s) != 1)
		return NULL;
	r = PQexecParams(s->conn, sql, n, NULL, params, NULL, NULL, 0);
	rs = r == NULL ? PGRES_FATAL_ERROR : PQresultStatus(r);
	if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK)
		return r;
	metrics_event(EV_DB_ERROR);
	log_kv(LOG_ERROR, "db.error", "statement", "composed",
	    "sqlstate", r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL,
	    "error", PQerrorMessage(s->conn), LOG_END);
	PQclear(r);
	if (PQstatus(s->conn) != CONNECTION_OK)
		drop(s);
	return NULL;
}

int
store_notified(struct store *s)
{
	PGnotify	*n;
	int		 got = s->notified;

	s->notified = 0;
	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK)
		return got;
	(void)PQconsumeInput(s->conn);
	while ((n = PQnotifies(s->conn)) != NULL) {
		got = 1;
		PQfreemem(n);
	}
	return got;
}

int
store_wait(struct store *s, int ms)
{
	struct pollfd	 p;
	PGnotify	*n;

	if (s->conn != NULL && PQstatus(s->conn) == CONNECTION_OK &&
	    !s->notified && (p.fd = PQsocket(s->conn)) >= 0) {
		p.events = POLLIN;
		(void)PQconsumeInput(s->conn);
		if ((n = PQnotifies(s->conn)) != NULL) {
			PQfreemem(n);
			s->notified = 1;
		} else
			(void)poll(&p, 1, ms);
	} else if (!s->notified)
		(void)poll(NULL, 0, ms);
	return store_notified(s);
}

int
store_ping(struct store *s, double *ms)
{
	struct timespec	a, b;
	int		rc;

	clock_gettime(CLOCK_MONOTONIC, &a);
	rc = run(s, Q_PING) == 0 ? 1 : -1;
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

	if ((r = store_run(s, &core, Q_INSTANCE, 1, p)) == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		snprintf(id, idlen, "%s", PQgetvalue(r, 0, 0));
		rc = 1;
	}
	PQclear(r);
	return rc;
}
