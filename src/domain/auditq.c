/*
 * auditq.c: reading the audit log: filtered pages of the caller's
 * organisation, one event, and the hash chain's verification.
 */
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "dom.h"
#include "parse.h"
#include "env.h"

enum iam_err
auditq_list(struct actx *x, const struct audit_query *aq, struct listq *lq)
{
	struct audit_filter	 f;
	PGresult		*r;
	int			 more;

	memset(&f, 0, sizeof(f));
	f.org = x->org_id;
	if (aq->actor != NULL && !uuid_valid(aq->actor))
		return dom_field(x, IAM_E_VALIDATION, "actor",
		    "actor is a user id");
	if (aq->success != NULL && strcmp(aq->success, "true") != 0 &&
	    strcmp(aq->success, "false") != 0)
		return dom_field(x, IAM_E_VALIDATION, "success",
		    "success is true or false");
	if (aq->since != NULL && !rfc3339_valid(aq->since))
		return dom_field(x, IAM_E_VALIDATION, "since",
		    "since is an RFC 3339 date or time");
	if (aq->until != NULL && !rfc3339_valid(aq->until))
		return dom_field(x, IAM_E_VALIDATION, "until",
		    "until is an RFC 3339 date or time");
	if ((aq->action != NULL && (strlen(aq->action) > 100 ||
	    !utf8_valid(aq->action, strlen(aq->action)))) ||
	    (aq->category != NULL && (strlen(aq->category) > 100 ||
	    !utf8_valid(aq->category, strlen(aq->category)))) ||
	    (aq->target != NULL && (strlen(aq->target) > 200 ||
	    !utf8_valid(aq->target, strlen(aq->target)))))
		return dom_field(x, IAM_E_VALIDATION, aq->target != NULL &&
		    strlen(aq->target) > 200 ? "target" : "action",
		    "filters are short UTF-8 strings");
	f.actor = aq->actor;
	f.action = aq->action;
	f.category = aq->category;
	f.target = aq->target;
	f.success = aq->success;
	f.since = aq->since;
	f.until = aq->until;
	f.limit = dom_num(x, lq->limit);
	f.offset = dom_num(x, lq->offset);
	if ((r = store_audit(&x->w->db, &f, 0)) == NULL)
		return IAM_E_SERVICE_UNAVAILABLE;
	lq->items = dom_rows_text(x, r);
	/* the total, when the page's statement could tell it */
	more = PQntuples(r) == 0 || PQgetisnull(r, 0, 1);
	if (!more)
		lq->total = atoll(PQgetvalue(r, 0, 1));
	PQclear(r);
	if (lq->items == NULL)
		return IAM_E_INTERNAL;
	if (more) {
		if ((r = store_audit(&x->w->db, &f, 1)) == NULL)
			return IAM_E_SERVICE_UNAVAILABLE;
		lq->total = atoll(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	return IAM_OK;
}

enum iam_err
auditq_get(struct actx *x, const char *id, json_object **out)
{
	const char	*p[2] = { x->org_id, id };
	PGresult	*r;
	enum iam_err	 e;
	size_t		 i;

	for (i = 0; id[i] != '\0'; i++)
		if (id[i] < '0' || id[i] > '9' || i >= 18)
			return IAM_E_NOT_FOUND;
	if (i == 0)
		return IAM_E_NOT_FOUND;
	if ((e = dom_query(x, STMT_AUDIT_GET, 2, p, &r)) != IAM_OK)
		return e;
	*out = PQntuples(r) == 1 ? dom_json(x, PQgetvalue(r, 0, 0)) : NULL;
	PQclear(r);
	return *out != NULL ? IAM_OK : IAM_E_NOT_FOUND;
}

enum iam_err
auditq_verify(struct actx *x, json_object **out)
{
	PGresult	*r;
	enum iam_err	 e;
	int		 broken;

	if ((e = dom_query(x, STMT_AUDIT_VERIFY, 0, NULL, &r)) != IAM_OK)
		return e;
	broken = !PQgetisnull(r, 0, 1);
	*out = dom_keep(x, json_object_new_object());
	json_object_object_add(*out, "valid", json_object_new_boolean(
	    !broken));
	json_object_object_add(*out, "checked", json_object_new_int64(
	    atoll(PQgetvalue(r, 0, 0))));
	json_object_object_add(*out, "firstBrokenId", broken ?
	    json_object_new_int64(atoll(PQgetvalue(r, 0, 1))) : NULL);
	PQclear(r);
	return IAM_OK;
}

enum iam_err
auditq_purge(struct actx *x, int64_t days, int exporting, int64_t *purged)
{
	const char	*p[2];
	char		*first, *oldest;
	PGresult	*r;
	enum iam_err	 e;

	*purged = 0;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	/* No writer appends while the chain's start moves. */
	if ((e = dom_run(x, STMT_AUDIT_LOCK, 0, NULL)) != IAM_OK)
		return dom_end(x, e);
	p[1] = NULL;
	if (exporting) {
		if ((e = dom_query(x, STMT_AUDIT_EXPORT_CURSOR, 0, NULL, &r)) !=
		    IAM_OK)
			return dom_end(x, e);
		p[1] = arena_strdup(x->a, PQntuples(r) == 1 ?
		    PQgetvalue(r, 0, 0) : "0");
		PQclear(r);
	}
	p[0] = dom_num(x, days);
	if ((e = dom_query(x, STMT_AUDIT_PURGE_MARK, 2, p, &r)) != IAM_OK)
		return dom_end(x, e);
	first = PQgetisnull(r, 0, 0) ? NULL : arena_strdup(x->a,
	    PQgetvalue(r, 0, 0));
	oldest = PQgetisnull(r, 0, 1) ? NULL : arena_strdup(x->a,
	    PQgetvalue(r, 0, 1));
	PQclear(r);
	if (first == NULL || oldest == NULL || atoll(first) <= atoll(oldest))
		return dom_end(x, dom_commit(x));
	if ((e = dom_run(x, STMT_AUDIT_PURGE_ALLOW, 0, NULL)) != IAM_OK ||
	    (e = dom_query(x, STMT_AUDIT_DELETE_BEFORE, 1, (const char **)
	    &first, &r)) != IAM_OK)
		return dom_end(x, e);
	*purged = atoll(PQcmdTuples(r));
	PQclear(r);
	p[0] = first;
	p[1] = dom_num(x, *purged);
	if ((e = dom_run(x, STMT_AUDIT_ANCHOR, 2, p)) != IAM_OK ||
	    (e = dom_audit(x, "audit.purge", "audit_log", first, NULL)) !=
	    IAM_OK)
		return dom_end(x, e);
	return dom_end(x, dom_commit(x));
}
