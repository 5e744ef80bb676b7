/*
 * store_list.c: the list queries whose WHERE and ORDER BY vary with the
 * request.  The SQL is put together here from fixed fragments only; every
 * value from a request is a bound parameter ($n).  They run unprepared,
 * so the planner sees the values (a search pattern can use its trigram
 * index; a filter that is absent costs nothing).
 */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "store_int.h"

#define MAXP	12

struct q {
	char		 sql[2048];
	size_t		 len;
	const char	*p[MAXP];
	int		 n;
};

static void
add(struct q *q, const char *s)
{
	int	w;

	w = snprintf(q->sql + q->len, sizeof(q->sql) - q->len, "%s", s);
	if (w > 0)
		q->len += (size_t)w;
	if (q->len >= sizeof(q->sql))
		q->len = sizeof(q->sql) - 1;
}

/* Appends fmt with "$n" for the next parameter (fmt has one %d). */
static void
bind(struct q *q, const char *fmt, const char *val)
{
	char	frag[256];

	if (val == NULL || q->n >= MAXP)
		return;
	q->p[q->n++] = val;
	snprintf(frag, sizeof(frag), fmt, q->n);
	add(q, frag);
}

/* Replaces mark in q's SQL by text.  0 or -1 (too long). */
static int
replace_mark(struct q *q, const char *mark, const char *text)
{
	char	*at = strstr(q->sql, mark), tail[2048];
	size_t	 ml = strlen(mark), tl = strlen(text);

	if (at == NULL || q->len - ml + tl >= sizeof(q->sql))
		return -1;
	snprintf(tail, sizeof(tail), "%s", at + ml);
	snprintf(at, sizeof(q->sql) - (size_t)(at - q->sql), "%s%s", text,
	    tail);
	q->len = strlen(q->sql);
	return 0;
}

static const char *const user_order[US__MAX] = {
	[US_CREATED] = "u.created_at, u.id",
	[US_CREATED_DESC] = "u.created_at DESC, u.id DESC",
	[US_EMAIL] = "lower(u.email), u.id",
	[US_EMAIL_DESC] = "lower(u.email) DESC, u.id DESC",
	[US_LOGIN] = "u.last_login_at NULLS FIRST, u.id",
	[US_LOGIN_DESC] = "u.last_login_at DESC NULLS LAST, u.id DESC",
	[US_STATUS] = "u.status, u.id",
	[US_STATUS_DESC] = "u.status DESC, u.id DESC",
};

static PGresult *
store_users(struct store *s, const struct user_filter *f, int count)
{
	struct q	 q;
	const char	*order = user_order[(unsigned)f->sort < US__MAX ?
	    f->sort : US_CREATED];

	memset(&q, 0, sizeof(q));
	/*
	 * The page is chosen from users alone (its indexes): ids, in order.
	 * Their documents come from the prepared STMT_USERS_DOCS, so this
	 * statement stays small to plan.  A plain listing counts apart, and
	 * its page follows an index in order.
	 */
	/* A search's page comes from users_search() (STMT_USERS_SEARCH). */
	add(&q, count ? "SELECT count(*) FROM users u" :
	    "SELECT u.id, NULL::bigint FROM users u");
	bind(&q, " WHERE u.organisation_id = $%d AND u.deleted_at IS NULL",
	    f->org);
	/* search is escaped for LIKE by the caller; search_text is lower. */
	bind(&q, " AND u.search_text LIKE '%%' || lower($%d) || '%%'",
	    f->search);
	bind(&q, " AND EXISTS (SELECT 1 FROM user_roles ur"
	    " JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id"
	    " AND r.organisation_id = $1 AND r.slug = $%d)", f->role);
	bind(&q, " AND u.status = $%d", f->status);
	if (!count) {
		add(&q, " ORDER BY ");
		add(&q, order);
		bind(&q, " LIMIT $%d::integer", f->limit);
		bind(&q, " OFFSET $%d::bigint", f->offset);
	}
	return store_exec_text(s, q.sql, q.n, q.p);
}

int
store_user_ids(struct store *s, struct arena *a, const struct user_filter *f,
    char **ids)
{
	PGresult	*r;
	struct buf	 b;
	int		 j, n;

	if ((r = store_users(s, f, 0)) == NULL)
		return -1;
	/* ids as an array literal (UUIDs need no quoting) */
	buf_init(&b, a);
	buf_putc(&b, '{');
	n = PQntuples(r);
	for (j = 0; j < n; j++)
		buf_printf(&b, "%s%s", j ? "," : "", PQgetvalue(r, j, 0));
	buf_putc(&b, '}');
	PQclear(r);
	if (b.oom)
		return -1;
	*ids = b.data;
	return n;
}

int
store_users_count(struct store *s, const struct user_filter *f,
    int64_t *total)
{
	return store_count(store_users(s, f, 1), total);
}

static PGresult *
store_audit(struct store *s, const struct audit_filter *f, int count)
{
	struct q	q;
	char		frag[256];
	int		counted, act = 0, cat = 0;

	memset(&q, 0, sizeof(q));
	/*
	 * Totals of the common filters (none, action, category) come from
	 * audit_total() (the chainer's counters and its queue), so they do
	 * not grow with the log, and with the page in the same statement.
	 * Other filters are counted from their index, apart.
	 */
	counted = f->actor == NULL && f->target == NULL &&
	    f->success == NULL && f->since == NULL && f->until == NULL;
	if (count && counted) {
		add(&q, "SELECT audit_total(");
		bind(&q, "$%d::uuid", f->org);
		add(&q, ", ");
		if (f->action == NULL)
			add(&q, "NULL");
		bind(&q, "$%d", f->action);
		add(&q, ", ");
		if (f->category == NULL)
			add(&q, "NULL");
		bind(&q, "$%d", f->category);
		add(&q, ")");
		return store_exec_text(s, q.sql, q.n, q.p);
	}
	add(&q, count ? "SELECT count(*) FROM audit_log a" :
	    "SELECT audit_doc(a)::text, @TOTAL@ FROM audit_log a"
	    " LEFT JOIN audit_links l ON l.event_id = a.id");
	bind(&q, " WHERE a.organisation_id = $%d", f->org);
	bind(&q, " AND a.actor_id = $%d::uuid", f->actor);
	act = f->action != NULL ? q.n + 1 : 0;
	bind(&q, " AND a.action = $%d", f->action);
	cat = f->category != NULL ? q.n + 1 : 0;
	bind(&q, " AND a.category = $%d", f->category);
	bind(&q, " AND a.target_id = $%d", f->target);
	bind(&q, " AND a.success = $%d::boolean", f->success);
	bind(&q, " AND a.created_at >= $%d::timestamptz", f->since);
	bind(&q, " AND a.created_at < $%d::timestamptz", f->until);
	if (!count) {
		/* by time, then chain position (pending events first) */
		add(&q, " ORDER BY a.created_at DESC, l.seq DESC NULLS FIRST,"
		    " a.id DESC");
		bind(&q, " LIMIT $%d::integer", f->limit);
		bind(&q, " OFFSET $%d::bigint", f->offset);
		/* The total's expression, in the place kept for it. */
		snprintf(frag, sizeof(frag), "NULL::bigint");
		if (counted) {
			char	pa[16] = "NULL", pc[16] = "NULL";

			if (act)
				snprintf(pa, sizeof(pa), "$%d", act);
			if (cat)
				snprintf(pc, sizeof(pc), "$%d", cat);
			snprintf(frag, sizeof(frag), "audit_total($1, %s, %s)",
			    pa, pc);
		}
		if (replace_mark(&q, "@TOTAL@", frag) == -1)
			return NULL;
	}
	return store_exec_text(s, q.sql, q.n, q.p);
}

int
store_audit_page(struct store *s, struct arena *a,
    const struct audit_filter *f, char **items, int64_t *total, int *more)
{
	PGresult	*r;
	int		 n;

	if ((r = store_audit(s, f, 0)) == NULL)
		return -1;
	n = store_json_array(a, r, 0, items);
	*more = PQntuples(r) == 0 || PQgetisnull(r, 0, 1);
	if (!*more)
		*total = store_int(r, 0, 1);
	PQclear(r);
	return n;
}

int
store_audit_count(struct store *s, const struct audit_filter *f,
    int64_t *total)
{
	return store_count(store_audit(s, f, 1), total);
}
