/*
 * audit.c: security events into the append-only audit log: one insert,
 * no lock (the chainer links committed events into their organisation's
 * keyed chain: chain.c).  Never a secret in details.
 */
#include <string.h>

#include "accounts.h"
#include "env.h"
#include "text.h"
#include "store.h"
#include "store_audit.h"
#include "store_outbox.h"

/* "auth.login" → "auth" */
static const char *
category(struct actx *x, const char *action)
{
	const char	*dot = strchr(action, '.');

	return dot ? arena_strndup(x->a, action, (size_t)(dot - action)) :
	    action;
}

int
audit(struct actx *x, const char *action, int success, const char *actor_id,
    const char *actor_email, const char *target_type, const char *target_id,
    const char *org_id, json_object *details)
{
	struct store	*s = &x->w->db;
	const char	*p[13];

	p[0] = org_id;
	p[1] = action;
	p[2] = category(x, action);
	p[3] = success ? "true" : "false";
	p[4] = actor_id != NULL ? "user" : x->actor_type != NULL ?
	    x->actor_type : "anonymous";
	p[5] = actor_id;
	p[6] = actor_email;
	p[7] = target_type;
	p[8] = target_id;
	p[9] = x->ip;
	p[10] = x->ua;
	p[11] = details != NULL ? json_object_to_json_string_ext(details,
	    JSON_C_TO_STRING_PLAIN) : NULL;
	/* Without an organisation, the event takes that of the user it is
	 * about (its actor, or its target user), so that organisation's
	 * administrators see it. */
	p[12] = NULL;
	if (org_id == NULL) {
		if (actor_id != NULL && uuid_valid(actor_id))
			p[12] = actor_id;
		else if (target_type != NULL && strcmp(target_type, "user") ==
		    0 && target_id != NULL && uuid_valid(target_id))
			p[12] = target_id;
	}
	/* One statement: atomic on its own outside a transaction. */
	return store_audit_insert(s, p);
}

int
mail_queue(struct actx *x, const char *to, const char *subject,
    const char *body)
{
	return store_outbox_put(&x->w->db, to, subject, body);
}
