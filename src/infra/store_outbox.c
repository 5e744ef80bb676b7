/*
 * store_outbox.c: the mail outbox.  The server queues (store_outbox_put,
 * inside the transaction of what the mail is about); iam-mailer claims,
 * marks sent or schedules a retry, and prepares nothing else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "store_int.h"
#include "store_outbox.h"

enum { OB_OUTBOX_INSERT, OB_OUTBOX_NOTIFY, OB__MAX };
static const struct stmt_def ob_defs[OB__MAX] = {
	[OB_OUTBOX_INSERT] = { "outbox_insert",
	    "INSERT INTO email_outbox (to_addr, subject, body)"
	    " SELECT $1::text, $2::text, $3::text WHERE $1 IS NOT NULL", 3 },
	[OB_OUTBOX_NOTIFY] = { "outbox_notify",
	    "SELECT pg_notify('iam_outbox', '')", 0 },
};
const struct stmt_set store_set_outbox = { ob_defs, OB__MAX,
    STORE_SERVER | STORE_CTL };

enum { MQ_OUTBOX_CLAIM, MQ_OUTBOX_SENT, MQ_OUTBOX_RETRY, MQ__MAX };
static const struct stmt_def mq_defs[MQ__MAX] = {
	/* One due message, locked for this transaction; others skip it. */
	[MQ_OUTBOX_CLAIM] = { "outbox_claim",
	    "SELECT id, to_addr, subject, body, attempts FROM email_outbox"
	    " WHERE sent_at IS NULL AND failed_at IS NULL"
	    " AND next_attempt_at <= now() ORDER BY next_attempt_at, id"
	    " LIMIT 1 FOR UPDATE SKIP LOCKED", 0 },
	[MQ_OUTBOX_SENT] = { "outbox_sent",
	    "UPDATE email_outbox SET sent_at = now(), attempts = attempts + 1,"
	    " last_error = NULL WHERE id = $1", 1 },
	[MQ_OUTBOX_RETRY] = { "outbox_retry",
	    "UPDATE email_outbox SET attempts = attempts + 1,"
	    " next_attempt_at = now() + $2 * interval '1 second',"
	    " last_error = $3, failed_at = CASE WHEN attempts + 1 >= $4"
	    " THEN now() END WHERE id = $1", 4 },
};
const struct stmt_set store_set_mailer = { mq_defs, MQ__MAX, STORE_MAILER };

int
store_outbox_put(struct store *s, const char *to, const char *subject,
    const char *body)
{
	const char	*p[3] = { to, subject, body };

	if (store_do(s, &store_set_outbox, OB_OUTBOX_INSERT, 3, p) == -1 ||
	    store_do(s, &store_set_outbox, OB_OUTBOX_NOTIFY, 0, NULL) == -1)
		return -1;
	return 0;
}

int
store_outbox_claim(struct store *s, struct arena *a, struct outbox_msg *m)
{
	PGresult	*r;
	int		 rc = 0;

	if ((r = store_run(s, &store_set_mailer, MQ_OUTBOX_CLAIM, 0, NULL)) ==
	    NULL)
		return -1;
	if (PQntuples(r) == 1) {
		m->id = store_str(a, r, 0, 0);
		m->to = store_str(a, r, 0, 1);
		m->subject = store_str(a, r, 0, 2);
		m->body = store_str(a, r, 0, 3);
		m->attempts = (int)store_int(r, 0, 4);
		rc = m->id != NULL && m->to != NULL && m->subject != NULL &&
		    m->body != NULL ? 1 : -1;
	}
	PQclear(r);
	return rc;
}

int
store_outbox_sent(struct store *s, const char *id)
{
	return store_do(s, &store_set_mailer, MQ_OUTBOX_SENT, 1, &id);
}

int
store_outbox_retry(struct store *s, const char *id, long delay,
    const char *err, int max)
{
	char		 d[24], m[16];
	const char	*p[4] = { id, d, err, m };

	snprintf(d, sizeof(d), "%ld", delay);
	snprintf(m, sizeof(m), "%d", max);
	return store_do(s, &store_set_mailer, MQ_OUTBOX_RETRY, 4, p);
}
