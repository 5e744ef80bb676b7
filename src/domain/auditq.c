/*
 * auditq.c: reading the audit log: filtered pages of the caller's
 * organisation, one event, and the hash chain's verification.
 */
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "chain.h"
#include "chainkeys.h"
#include "dom.h"
#include "store_audit.h"
#include "text.h"
#include "env.h"

enum iam_err
auditq_list(struct actx *x, const struct audit_query *aq, struct listq *lq)
{
	struct audit_filter	 f;
	char			*items;
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
	/* the total, when the page's statement could tell it */
	if (store_audit_page(&x->w->db, x->a, &f, &items, &lq->total,
	    &more) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	lq->items = items;
	if (more && store_audit_count(&x->w->db, &f, &lq->total) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	return IAM_OK;
}

enum iam_err
auditq_get(struct actx *x, const char *id, json_object **out)
{
	char	*doc;
	int	 rc;

	if (!uuid_valid(id))
		return IAM_E_NOT_FOUND;
	if ((rc = store_audit_get(&x->w->db, x->a, x->org_id, id, &doc)) < 0)
		return IAM_E_SERVICE_UNAVAILABLE;
	*out = rc == 1 ? dom_json(x, doc) : NULL;
	return *out != NULL ? IAM_OK : IAM_E_NOT_FOUND;
}

/* Links what is pending, then verifies one chain. */
enum iam_err
auditq_verify_chain(struct actx *x, const char *chain,
    struct chain_report *rep)
{
	struct chainkeys	ck;
	int			rc;

	memset(&ck, 0, sizeof(ck));
	rc = chain_link_all(&x->w->db, x->w->cfg, &ck) == -1 ? -1 :
	    chain_verify(&x->w->db, x->w->cfg, &ck, chain, rep);
	chainkeys_wipe(&ck);
	return rc == -1 ? IAM_E_SERVICE_UNAVAILABLE : IAM_OK;
}

/* The caller's organisation's chain, and only it. */
enum iam_err
auditq_verify(struct actx *x, json_object **out)
{
	struct chain_report	rep;
	enum iam_err		e;

	if ((e = auditq_verify_chain(x, x->org_id, &rep)) != IAM_OK)
		return e;
	*out = dom_keep(x, json_object_new_object());
	json_object_object_add(*out, "valid", json_object_new_boolean(
	    !rep.broken));
	json_object_object_add(*out, "checked", json_object_new_int64(
	    rep.checked));
	json_object_object_add(*out, "firstBrokenId", rep.broken ?
	    json_object_new_string(rep.first_broken) : NULL);
	return IAM_OK;
}

/*
 * The retention purge, per chain (run on the owner's connection: the
 * runtime role cannot delete audit rows).  Pending events are linked
 * first, so the cut sees every chain's whole length.
 */
enum iam_err
auditq_purge(struct actx *x, int64_t days, int exporting, int64_t *purged)
{
	struct chainkeys	 ck;
	char			 upto[32];
	enum iam_err		 e;
	int			 rc;

	*purged = 0;
	memset(&ck, 0, sizeof(ck));
	rc = chain_link_all(&x->w->db, x->w->cfg, &ck);
	chainkeys_wipe(&ck);
	if (rc == -1)
		return IAM_E_SERVICE_UNAVAILABLE;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	/* No chainer links while the chains' starts move. */
	if (store_audit_chain_lock(&x->w->db, 1) < 0 ||
	    (exporting && store_audit_export_cursor(&x->w->db, upto,
	    sizeof(upto)) == -1) ||
	    (*purged = store_audit_purge(&x->w->db, dom_num(x, days),
	    exporting ? upto : NULL)) < 0)
		return dom_end(x, IAM_E_SERVICE_UNAVAILABLE);
	if (*purged > 0 && (e = dom_audit(x, "audit.purge", "audit_log",
	    dom_num(x, *purged), NULL)) != IAM_OK)
		return dom_end(x, e);
	return dom_end(x, dom_commit(x));
}

/* Erases the personal fields of the events a user acted in (owner). */
enum iam_err
auditq_erase(struct actx *x, const char *user_id, int64_t *erased)
{
	enum iam_err	 e;

	*erased = 0;
	if (!uuid_valid(user_id))
		return IAM_E_NOT_FOUND;
	if ((e = dom_begin(x)) != IAM_OK)
		return e;
	if ((*erased = store_audit_erase(&x->w->db, user_id)) < 0) {
		*erased = 0;
		return dom_end(x, IAM_E_SERVICE_UNAVAILABLE);
	}
	return dom_end(x, dom_commit(x));
}
