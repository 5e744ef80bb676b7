/*
 * migrate.c: the schema migration runner used by iamctl.  Migration files
 * are trusted (they ship with the program); they run through the simple
 * query protocol because a file holds several statements.  No input from
 * a request ever reaches this file.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "migrate.h"

#define LOCK_KEY	"4242001"
#define MAXMIG		1000

struct mig {
	int	 version;
	char	 name[128];
};

static int
cmp(const void *a, const void *b)
{
	return ((const struct mig *)a)->version -
	    ((const struct mig *)b)->version;
}

/* Lists NNNN_name.up.sql files (each must have its .down.sql). */
static int
scan(const char *dir, struct mig *v, size_t *n, FILE *out)
{
	DIR		*d;
	struct dirent	*e;
	size_t		 len, i;
	char		 path[4096];
	struct stat	 st;

	*n = 0;
	if ((d = opendir(dir)) == NULL) {
		fprintf(out, "migrations directory %s: %s\n", dir,
		    strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len < 12 || len - 7 >= sizeof(v[0].name) ||
		    strcmp(e->d_name + len - 7, ".up.sql") != 0)
			continue;
		for (i = 0; i < 4; i++)
			if (!isdigit((unsigned char)e->d_name[i]))
				break;
		if (i < 4 || e->d_name[4] != '_')
			continue;
		if (*n == MAXMIG) {
			closedir(d);
			return -1;
		}
		v[*n].version = atoi(e->d_name);
		snprintf(v[*n].name, sizeof(v[*n].name), "%.*s",
		    (int)(len - 12), e->d_name + 5);
		snprintf(path, sizeof(path), "%s/%04d_%s.down.sql", dir,
		    v[*n].version, v[*n].name);
		if (stat(path, &st) == -1) {
			fprintf(out, "%s: missing\n", path);
			closedir(d);
			return -1;
		}
		for (i = 0; i < *n; i++)
			if (v[i].version == v[*n].version) {
				fprintf(out, "migration %04d appears twice\n",
				    v[i].version);
				closedir(d);
				return -1;
			}
		(*n)++;
	}
	closedir(d);
	qsort(v, *n, sizeof(*v), cmp);
	return 0;
}

static char *
slurp(const char *path, FILE *out)
{
	FILE	*f;
	char	*buf;
	long	 len;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(out, "%s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == -1 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) == -1 || (buf = malloc((size_t)len + 1))
	    == NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* Runs sql; 0 or -1 with the server's message printed. */
static int
exec(PGconn *c, const char *sql, FILE *out)
{
	PGresult	*r = PQexec(c, sql);
	int		 ok;

	ok = r != NULL && (PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK);
	if (!ok)
		fprintf(out, "%s", PQerrorMessage(c));
	PQclear(r);
	return ok ? 0 : -1;
}

static int
prepare(PGconn *c, FILE *out)
{
	return exec(c, "SET client_min_messages = warning;"
	    "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " version integer PRIMARY KEY,"
	    " name text NOT NULL,"
	    " applied_at timestamptz NOT NULL DEFAULT now());"
	    "SELECT pg_advisory_lock(" LOCK_KEY ")", out);
}

static void
unlock(PGconn *c)
{
	PQclear(PQexec(c, "SELECT pg_advisory_unlock(" LOCK_KEY ")"));
}

/* Marks which of v[] are applied.  Returns 0 or -1. */
static int
applied(PGconn *c, const struct mig *v, size_t n, char *mark, FILE *out)
{
	PGresult	*r;
	int		 i, j, ver;

	memset(mark, 0, n);
	r = PQexec(c, "SELECT version FROM schema_migrations ORDER BY 1");
	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(out, "%s", PQerrorMessage(c));
		PQclear(r);
		return -1;
	}
	for (i = 0; i < PQntuples(r); i++) {
		ver = atoi(PQgetvalue(r, i, 0));
		for (j = 0; j < (int)n; j++)
			if (v[j].version == ver)
				mark[j] = 1;
	}
	PQclear(r);
	return 0;
}

/* Applies or reverts one migration in a transaction. */
static int
step(PGconn *c, const char *dir, const struct mig *m, int up, FILE *out)
{
	char		 path[4096], ver[16];
	char		*sql;
	const char	*p[2];
	PGresult	*r;
	int		 ok;

	snprintf(path, sizeof(path), "%s/%04d_%s.%s.sql", dir, m->version,
	    m->name, up ? "up" : "down");
	if ((sql = slurp(path, out)) == NULL)
		return -1;
	if (exec(c, "BEGIN", out) == -1) {
		free(sql);
		return -1;
	}
	ok = exec(c, sql, out) == 0;
	free(sql);
	if (ok) {
		snprintf(ver, sizeof(ver), "%d", m->version);
		p[0] = ver;
		p[1] = m->name;
		r = up ? PQexecParams(c, "INSERT INTO schema_migrations "
		    "(version, name) VALUES ($1, $2)", 2, NULL, p, NULL, NULL,
		    0) : PQexecParams(c, "DELETE FROM schema_migrations "
		    "WHERE version = $1", 1, NULL, p, NULL, NULL, 0);
		ok = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			fprintf(out, "%s", PQerrorMessage(c));
		PQclear(r);
	}
	if (ok && exec(c, "COMMIT", out) == 0) {
		fprintf(out, "%s %04d_%s\n", up ? "applied" : "reverted",
		    m->version, m->name);
		return 0;
	}
	PQclear(PQexec(c, "ROLLBACK"));
	fprintf(out, "failed: %s\n", path);
	return -1;
}

static int
run(PGconn *c, const char *dir, int n, int up, FILE *out)
{
	struct mig	*v;
	char		 mark[MAXMIG];
	size_t		 count;
	int		 i, done = 0, rc = -1;

	if ((v = calloc(MAXMIG, sizeof(*v))) == NULL)
		return -1;
	if (scan(dir, v, &count, out) == -1 || prepare(c, out) == -1) {
		free(v);
		return -1;
	}
	if (applied(c, v, count, mark, out) == -1)
		goto out;
	if (up) {
		for (i = 0; i < (int)count && (n <= 0 || done < n); i++)
			if (!mark[i]) {
				if (step(c, dir, &v[i], 1, out) == -1)
					goto out;
				done++;
			}
	} else {
		if (n <= 0)
			n = 1;
		for (i = (int)count - 1; i >= 0 && done < n; i--)
			if (mark[i]) {
				if (step(c, dir, &v[i], 0, out) == -1)
					goto out;
				done++;
			}
	}
	if (done == 0)
		fprintf(out, "nothing to do\n");
	rc = 0;
out:
	unlock(c);
	free(v);
	return rc;
}

int
migrate_up(PGconn *c, const char *dir, int n, FILE *out)
{
	return run(c, dir, n, 1, out);
}

int
migrate_down(PGconn *c, const char *dir, int n, FILE *out)
{
	return run(c, dir, n, 0, out);
}

int
migrate_status(PGconn *c, const char *dir, FILE *out)
{
	struct mig	*v;
	char		 mark[MAXMIG];
	size_t		 count, i;
	int		 pending = -1;

	if ((v = calloc(MAXMIG, sizeof(*v))) == NULL)
		return -1;
	if (scan(dir, v, &count, out) == 0 && prepare(c, out) == 0) {
		if (applied(c, v, count, mark, out) == 0) {
			pending = 0;
			for (i = 0; i < count; i++) {
				fprintf(out, "%s %04d_%s\n", mark[i] ?
				    "applied" : "pending", v[i].version,
				    v[i].name);
				pending += !mark[i];
			}
		}
		unlock(c);
	}
	free(v);
	return pending;
}

/* The user a connection string names, else libpq's default (malloc). */
static char *
conninfo_user(const char *url)
{
	PQconninfoOption	*o, *i;
	char			*user = NULL;

	if ((o = PQconninfoParse(url, NULL)) != NULL) {
		for (i = o; i->keyword != NULL; i++)
			if (strcmp(i->keyword, "user") == 0 && i->val != NULL &&
			    i->val[0] != '\0')
				user = strdup(i->val);
		PQconninfoFree(o);
	}
	if (user == NULL && (o = PQconndefaults()) != NULL) {
		for (i = o; i->keyword != NULL; i++)
			if (strcmp(i->keyword, "user") == 0 && i->val != NULL &&
			    i->val[0] != '\0')
				user = strdup(i->val);
		PQconninfoFree(o);
	}
	return user;
}

int
migrate_grant(PGconn *c, const char *dir, const char *runtime_url,
    FILE *out)
{
	char	 path[4096], *sql = NULL, *user = NULL, *q = NULL, *role = NULL;
	char	*w;
	const char *at, *from;
	size_t	 need, rl;
	int	 rc = -1;

	snprintf(path, sizeof(path), "%s/grants.sql", dir);
	if ((user = conninfo_user(runtime_url)) == NULL) {
		fprintf(out, "DATABASE_URL names no role to grant to\n");
		return -1;
	}
	if ((sql = slurp(path, out)) == NULL ||
	    (role = PQescapeIdentifier(c, user, strlen(user))) == NULL)
		goto out;
	/* Room for every @RUNTIME@ replaced by the quoted role. */
	rl = strlen(role);
	need = strlen(sql) + 1;
	for (at = sql; (at = strstr(at, "@RUNTIME@")) != NULL; at += 9)
		need += rl;
	if ((q = malloc(need)) == NULL)
		goto out;
	for (w = q, from = sql; (at = strstr(from, "@RUNTIME@")) != NULL;
	    from = at + 9) {
		memcpy(w, from, (size_t)(at - from));
		w += at - from;
		memcpy(w, role, rl);
		w += rl;
	}
	strcpy(w, from);
	if (exec(c, "BEGIN", out) == -1)
		goto out;
	if (exec(c, q, out) == -1 || exec(c, "COMMIT", out) == -1) {
		PQclear(PQexec(c, "ROLLBACK"));
		goto out;
	}
	fprintf(out, "granted the runtime role %s its privileges\n", role);
	rc = 0;
out:
	if (role != NULL)
		PQfreemem(role);
	free(q);
	free(sql);
	free(user);
	return rc;
}

PGconn *
migrate_connect(const char *url, FILE *err)
{
	PGconn	*c = PQconnectdb(url);

	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		fprintf(err, "iamctl: database: %s", c ? PQerrorMessage(c) :
		    "out of memory\n");
		PQfinish(c);
		return NULL;
	}
	return c;
}

void
migrate_disconnect(PGconn *c)
{
	PQfinish(c);
}
