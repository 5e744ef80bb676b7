/*
 * responder.c: the benchmark's yardstick.  A minimal libfcgi responder that
 * does only the primitive work an endpoint needs, chosen per request by the
 * query string: mode=none, or a comma list of sign (one Ed25519 signature
 * over a JWT-sized input), verify (one Ed25519 verification), incr (one
 * memcached increment), pk (one PostgreSQL primary-key select), tx2 (a
 * transaction of two statements), ins (a transaction inserting one row)
 * and insa (the same, plus the audit insert the server makes, its
 * organisation alternating between two).  Run by spawn-fcgi -F N beside the
 * server, behind the same NGINX, so the ratio of an endpoint to the mode
 * doing the same work shows how close the server is to this design's limit.
 */
#include <fcgiapp.h>
#include <libscrypt.h>
#include <time.h>
#include <libmemcached/memcached.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static EVP_PKEY		*key;
static unsigned char	 sig[64];
static const char	 msg[] = "eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIiwidHlwIjoi"
    "YXQrand0In0.eyJzdWIiOiI3ZjNlYTljMi0xYjJjLTRkNWUtOWYwYS0xMjM0NTY3ODlhYmMi"
    "LCJpc3MiOiJodHRwOi8vMTI3LjAuMC4xOjgwODAiLCJleHAiOjE5MDAwMDAwMDB9";
static memcached_st	*mc;
static PGconn		*pg;

static int
do_sign(void)
{
	EVP_MD_CTX	*c = EVP_MD_CTX_new();
	size_t		 len = sizeof(sig);
	int		 ok;

	ok = c && EVP_DigestSignInit(c, NULL, NULL, NULL, key) == 1 &&
	    EVP_DigestSign(c, sig, &len, (const unsigned char *)msg,
	    sizeof(msg) - 1) == 1;
	EVP_MD_CTX_free(c);
	return ok ? 0 : -1;
}

static int
do_verify(void)
{
	EVP_MD_CTX	*c = EVP_MD_CTX_new();
	int		 ok;

	ok = c && EVP_DigestVerifyInit(c, NULL, NULL, NULL, key) == 1 &&
	    EVP_DigestVerify(c, sig, sizeof(sig), (const unsigned char *)msg,
	    sizeof(msg) - 1) == 1;
	EVP_MD_CTX_free(c);
	return ok ? 0 : -1;
}

static int
do_incr(void)
{
	uint64_t	v;

	return memcached_success(memcached_increment_with_initial(mc,
	    "bench:incr", 10, 1, 1, 60, &v)) ? 0 : -1;
}

static PGresult *
pg_run(const char *name)
{
	const char	*p[1] = { "t" };

	return PQexecPrepared(pg, name, strcmp(name, "pk") == 0 ? 1 : 0,
	    p, NULL, NULL, 0);
}

static int
do_sql(const char *const *names)
{
	PGresult	*r;
	int		 ok = 1;

	for (; *names != NULL && ok; names++) {
		r = pg_run(*names);
		ok = r != NULL && (PQresultStatus(r) == PGRES_TUPLES_OK ||
		    PQresultStatus(r) == PGRES_COMMAND_OK);
		PQclear(r);
	}
	return ok ? 0 : -1;
}

/* ins / insa: one write, alone or with its audit event, in a
 * transaction; the organisation alternates between two. */
static int
do_write(int audited)
{
	static const char *const org[2] = {
		"0a000000-0000-4000-8000-000000000001",
		"0b000000-0000-4000-8000-000000000002" };
	static unsigned	 turn;
	const char	*p[1] = { org[turn++ & 1] };
	PGresult	*r;
	int		 ok;

	r = PQexecPrepared(pg, "begin", 0, NULL, NULL, NULL, 0);
	PQclear(r);
	r = PQexecPrepared(pg, "ins", 1, p, NULL, NULL, 0);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (ok && audited) {
		r = PQexecPrepared(pg, "audit", 1, p, NULL, NULL, 0);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
	}
	r = PQexecPrepared(pg, ok ? "commit" : "rollback", 0, NULL, NULL,
	    NULL, 0);
	PQclear(r);
	return ok ? 0 : -1;
}

static void
init(void)
{
	EVP_PKEY_CTX	*kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	const char	*pgurl = getenv("BENCH_PG"), *mcs = getenv("BENCH_MC");
	PGresult	*r;

	if (kc == NULL || EVP_PKEY_keygen_init(kc) != 1 ||
	    EVP_PKEY_keygen(kc, &key) != 1)
		exit(1);
	EVP_PKEY_CTX_free(kc);
	do_sign();
	mc = memcached_create(NULL);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
	if (mcs != NULL) {
		memcached_server_st *list = memcached_servers_parse(mcs);

		memcached_server_push(mc, list);
		memcached_server_list_free(list);
	}
	if (pgurl != NULL) {
		pg = PQconnectdb(pgurl);
		if (PQstatus(pg) != CONNECTION_OK)
			exit(1);
		PQclear(PQprepare(pg, "pk", "SELECT instance_id FROM instance "
		    "WHERE id = $1", 1, NULL));
		PQclear(PQprepare(pg, "begin", "BEGIN", 0, NULL));
		PQclear(PQprepare(pg, "upd", "UPDATE instance SET created_at = "
		    "created_at WHERE id", 0, NULL));
		PQclear(PQprepare(pg, "commit", "COMMIT", 0, NULL));
		PQclear(PQprepare(pg, "rollback", "ROLLBACK", 0, NULL));
		PQclear(PQprepare(pg, "ins", "INSERT INTO bench_writes (org)"
		    " VALUES ($1::uuid)", 1, NULL));
		/* what the server's audit insert writes (store.c) */
		PQclear(PQprepare(pg, "audit", "WITH t AS (SELECT"
		    " clock_timestamp() AS t, uuid_send(gen_random_uuid()) AS s),"
		    " e AS (INSERT INTO audit_log SELECT uuid7(t.t), t.t, $1::uuid,"
		    " 'organisation.update', 'organisation', true, 'user',"
		    " NULL, 'bench@example.test', 'organisation', $1::text,"
		    " '127.0.0.1', 'wrk', '{}', t.s, audit_personal(t.s,"
		    " 'bench@example.test', '127.0.0.1', 'wrk'), NULL FROM t"
		    " RETURNING id) INSERT INTO audit_pending (event_id)"
		    " SELECT id FROM e",
		    1, NULL));
		r = pg_run("pk");
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			exit(1);
		PQclear(r);
	}
}

/* Runs the work named by one mode word. */
static int
work(const char *w, size_t n)
{
	static const char *const pk[] = { "pk", NULL };
	static const char *const tx2[] = { "begin", "pk", "upd", "commit",
	    NULL };

	if (n == 4 && memcmp(w, "none", 4) == 0)
		return 0;
	if (n == 4 && memcmp(w, "sign", 4) == 0)
		return do_sign();
	if (n == 6 && memcmp(w, "verify", 6) == 0)
		return do_verify();
	if (n == 4 && memcmp(w, "incr", 4) == 0)
		return do_incr();
	if (n == 2 && memcmp(w, "pk", 2) == 0)
		return do_sql(pk);
	if (n == 3 && memcmp(w, "tx2", 3) == 0)
		return do_sql(tx2);
	if (n == 3 && memcmp(w, "ins", 3) == 0)
		return do_write(0);
	if (n == 4 && memcmp(w, "insa", 4) == 0)
		return do_write(1);
	return -1;
}

/*
 * responder -t N r p count: prints the milliseconds one scrypt check takes
 * with these parameters (the login bound is workers / that time).
 */
static int
time_scrypt(char *argv[])
{
	char		 mcf[SCRYPT_MCF_LEN], copy[SCRYPT_MCF_LEN];
	struct timespec	 a, b;
	int		 i, n = atoi(argv[5]);

	if (libscrypt_hash(mcf, "benchmark password", (uint32_t)atol(argv[2]),
	    (uint8_t)atoi(argv[3]), (uint8_t)atoi(argv[4])) <= 0 || n < 1)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		memcpy(copy, mcf, sizeof(copy));
		if (libscrypt_check(copy, "benchmark password") <= 0)
			return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.3f\n", ((double)(b.tv_sec - a.tv_sec) * 1e3 +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e6) / n);
	return 0;
}

int
main(int argc, char *argv[])
{
	FCGX_Request	 r;
	const char	*q, *p, *e;
	int		 ok;

	if (argc == 6 && strcmp(argv[1], "-t") == 0)
		return time_scrypt(argv);
	init();
	FCGX_Init();
	FCGX_InitRequest(&r, 0, 0);
	while (FCGX_Accept_r(&r) >= 0) {
		q = FCGX_GetParam("QUERY_STRING", r.envp);
		ok = 1;
		if (q != NULL && strncmp(q, "mode=", 5) == 0) {
			for (p = q + 5; *p != '\0' && ok; p = *e ? e + 1 : e) {
				e = p + strcspn(p, ",");
				ok = work(p, (size_t)(e - p)) == 0;
			}
		}
		FCGX_FPrintF(r.out, "Status: %s\r\nContent-Type: "
		    "application/json\r\nContent-Length: %d\r\n\r\n%s",
		    ok ? "200 OK" : "500 Error", ok ? 15 : 16,
		    ok ? "{\"status\":\"ok\"}" : "{\"status\":\"bad\"}");
		FCGX_Finish_r(&r);
	}
	return 0;
}
